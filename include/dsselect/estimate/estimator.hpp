#pragma once
// First-principles estimator: parameters, memory, prefill/decode time, throughput, power.
// Pure functions of their inputs, no I/O, no heap allocation unless a Trace is requested.
// The method is documented formula by formula in docs/method.md.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dsselect/catalog/types.hpp"

namespace dsselect {

// Parameter counts by group, computed from a Hugging Face style architecture: whole counts
// (ParameterCounts), or the same formulas in doubles (largest_parameter_count), which cannot overflow.
template <typename Count>
struct BasicParameterCounts {
    Count embedding = 0;    // V * d (token lookup; no matmul)
    Count output_head = 0;  // V * d when untied, else 0 (the tied matrix is counted once)
    Count attention = 0;    // all layers
    Count dense_ffn = 0;    // gated FFN of dense layers
    Count routed_experts = 0;
    Count shared_experts = 0;
    Count router = 0;
    Count norms = 0;
    Count total = 0;
    // Active per token, the published convention (embedding included): attention + dense FFN +
    // shared experts + k routed experts + router + norms + embedding + head.
    Count active = 0;
    // Parameters that take part in a matrix multiply per token: active minus the embedding
    // lookup (plus the tied head, which multiplies by the embedding matrix).
    Count active_matmul = 0;
    // Of active_matmul, the output head (V x d, tied or not): a prefill multiplies it only for the
    // prompt's last token, whose logits give the first output token.
    Count head_matmul = 0;
};
using ParameterCounts = BasicParameterCounts<std::int64_t>;

ParameterCounts count_parameters(const Architecture& arch);
// The largest count of parameters the estimator forms from `arch` (the total, the per-token
// matmul count, one dense FFN or one expert), by count_parameters' formulas in doubles: the
// catalog loader refuses an architecture above k_max_parameter_count, so that no whole count
// the estimator forms can overflow.
double largest_parameter_count(const Architecture& arch);
inline constexpr double k_max_parameter_count = 1e15;
// Parameters of transformer layer `layer` (0-based): attention + its two norms + the gated FFN
// (dense layers) or routed + shared experts + router (MoE layers). Embedding, head and the
// final norm are not in any layer.
std::int64_t layer_parameters(const Architecture& arch, std::int64_t layer);
// As count_parameters, with a catalog parameters_override applied: the total is pinned and
// the other counts are scaled by override / computed.
ParameterCounts model_parameters(const Model& model);

// Layers in units of the layer the engine overheads were fitted on, for the fixed per-layer costs
// (per_layer_overhead_us, eager_layer_overhead_us): those costs (kernel launches, host work, the
// quantisation and epilogue kernels around each GEMM) grow with the weight matrices a layer
// applies, and every fit row's layer applies four (fused QKV and output projections; fused gate-up
// and down, or a router with grouped routed experts, whose own extra is the MoE-layer term).
// Multi-head latent attention applies four in attention (fused q_a and kv_a down-projections, the
// q_b and kv_b up-projections, output) and shared experts two more (gate-up, down), so
// units = sum over layers of (attention + FFN matrices) / 4: L for a GQA model without shared
// experts (docs/method.md, "Per-step overhead by layer").
double layer_overhead_units(const Architecture& arch);

// KV-cache elements one token adds across all layers. MHA/GQA: 2 * L * h_kv * d_h;
// MLA: L * (kv_lora_rank + qk_rope_head_dim).
std::int64_t kv_cache_elements_per_token(const Architecture& arch);
// KV-cache elements per token held by ONE GPU of a tensor-parallel group of `gpus`:
// MHA/GQA heads are split (at least one head per GPU), MLA's latent cache is replicated.
double kv_cache_elements_per_token_per_gpu(const Architecture& arch, std::int64_t gpus);

// Sliding-window attention (docs/method.md, "Sliding-window attention"): with a share s of the
// layers attending to at most the last W tokens, a sequence of C context tokens holds, and a
// decode step reads, kv_positions(C) = C - s * max(C - W, 0) positions at every layer's rate (C
// without a window); a decode's mean over its output, as the context grows from P to P + O, is
// mean_kv_positions(P, O) (P + O/2 without a window); and a prompt's attention multiplies its P
// queries by prompt_key_positions(P) keys on average, counted as decode counts them (P without a
// window; 2W - W^2/P on a window layer once P > W).
double kv_positions(const Architecture& arch, double context_tokens);
double sliding_layer_share(const Architecture& arch);  // s: the share of the layers with the window (0 without)
double mean_kv_positions(const Architecture& arch, double prompt_tokens, double output_tokens);
double prompt_key_positions(const Architecture& arch, double prompt_tokens);
struct EfficiencyProfile;
// Whether the engine of `profile` applies the architecture's sliding window at all: a model with
// one, whose model_type is not among the engine's no_sliding_window_model_types.
bool applies_sliding_window(const Architecture& arch, const EfficiencyProfile& profile);

// Weight bytes under a variant: kept parameters * effective bits / 8; a 2:4 sparse variant, where
// packed_2_4, stores half the values plus 2 bits of index per kept value. Unpacked (the default
// here and below) it is held dense, as software without 2:4 kernels holds it (fine-tuning, every
// shipped engine); the estimator and the search pass packs_sparse_2_4 (the engine decides).
double weight_bytes(double parameters, const Variant& variant, bool packed_2_4 = false);
// The weights of a model under a variant, as loaded (and as stored on disk), 2:4 held dense.
double model_weight_bytes(const Model& model, const Variant& variant);
// True when a request's context (prompt + output, or the scenario's context) is longer than
// the model's window; 0 means the window is unknown.
bool exceeds_context_window(const Architecture& architecture, std::int64_t context_tokens);

// Weight bytes by parameter group when a variant sets bits per group (seed §5.3 dynamic
// quantization): attention (with the norms), FFN (dense FFN, experts, router), embedding and
// untied output head, each kept parameters * its bits / 8 (2:4 sparsity as above). A group the
// variant leaves out uses weight_bits, so a variant without bits_per_group gives
// weight_bytes(total) up to the rounding of scaled group counts.
enum class WeightGroup { attention, ffn, embedding, head };
inline constexpr WeightGroup k_all_weight_groups[] = {WeightGroup::attention, WeightGroup::ffn,
                                                      WeightGroup::embedding, WeightGroup::head};
const char* to_string(WeightGroup group);
double group_weight_bits(const Variant& variant, WeightGroup group);
std::int64_t group_parameters(const ParameterCounts& counts, WeightGroup group);
struct GroupWeightBytes {
    double attention = 0;
    double ffn = 0;
    double embedding = 0;
    double head = 0;
    double total = 0;
    double of(WeightGroup group) const;
};
GroupWeightBytes weight_bytes_by_group(const ParameterCounts& counts, const Variant& variant, bool packed_2_4 = false);
// Whole-model weight bytes: by group when the variant sets bits_per_group, else
// weight_bytes(total). The estimator's single source of weights memory.
double model_weight_bytes(const ParameterCounts& counts, const Variant& variant, bool packed_2_4 = false);

// Expected distinct experts touched by a decode step of `tokens` tokens when each picks k of E:
// E * (1 - (1 - k/E)^tokens).
double expected_experts_touched(double experts, double experts_per_token, double tokens);

// Dynamic activation under a request mix (docs/method.md): the share-weighted mean of the
// classes' active fractions. Applies to variants with dynamic activation (active_fraction < 1)
// only; nullopt for an empty mix or a static variant (whose fraction stays the variant's).
std::optional<double> mixed_active_fraction(const std::vector<ComplexityClass>& mix, const Variant& variant);

// Memory a person reads is in GiB (2^30 bytes) everywhere: tables, explanations, nearest
// misses and the HTML page (report::gib formats it). Datasheet capacities (memory_gb) are
// decimal GB, 10^9 bytes, and are converted on the way in.
inline constexpr double k_bytes_per_gib = 1073741824.0;
inline constexpr double k_bytes_per_gb = 1e9;
// Logits (and, in training, their gradient) are kept in fp32: by serving engines, and for the
// cross-entropy loss.
inline constexpr double k_logit_bytes = 4.0;

// Adapters (docs/multitask.md). Task adapters are held at 16 bits (bf16), an assumption that
// matches how LoRA adapters are published and served (PEFT, vLLM, S-LoRA).
inline constexpr double k_adapter_bits = 16.0;
// Parameters of one adapter on a model of this shape. LoRA: sum over layers and target
// matrices of rank * (d_in + d_out); a head: its parameter count.
std::int64_t adapter_parameters(const Architecture& arch, const AdapterSpec& adapter);

// What serving the unmerged adapters of `tasks` beside a base costs one replica whose decode
// steps carry `batch` sequences. Shares are renormalised over `tasks`.
struct AdapterLoad {
    double parameters = 0;                 // all adapters
    double resident_bytes = 0;             // all adapters, held beside the weights
    double mean_parameters_per_token = 0;  // share-weighted: the adapter one token multiplies
    double mean_bytes_per_request = 0;     // share-weighted: the adapter one request reads
    // Each distinct adapter in the batch is read once per step (S-LoRA / Punica batching);
    // task i is present with probability 1 - (1 - share_i)^batch.
    double bytes_read_per_step = 0;
};
AdapterLoad adapter_load(const Architecture& arch, const std::vector<TaskSpec>& tasks, double batch);
// One task's adapter as the decode steps read it: its renormalised share of the requests and its bytes.
// A plain pair (no initialisers): a plan keeps room for several and fills only as many as
// there are tasks.
struct AdapterRead {
    double share;
    double bytes;
};

// Efficiency factors and overheads. Defaults are assumptions from docs/method.md until the
// engine profiles (data/engines.json) calibrate them.
// One routed-expert kernel law as a profile carries it (MoeExpertKernel's numbers); efficiency 0:
// none, the experts run at the roofline.
struct MoeKernelLaw {
    double efficiency = 0.0;
    double routed_columns = 0.0;
    double token_columns = 0.0;
    double ridge_exponent = 0.0;  // below 1: max(memory, compute)
    double memory_efficiency = 0.0;  // of the experts' reads; 0: the engine's memory_efficiency
    double latency_us = 0.0;         // per MoE layer and step
};

struct EfficiencyProfile {
    double compute_efficiency = 0.70;      // eta_c, large prefill GEMMs (PHYSICS.md)
    // eta_c, against the 16-bit peak, of an integer-quantized variant (int8-w8a8, int8-w8a16,
    // int4-w4a16, int4-w4a4), whose GEMMs run the engine's quantized kernels (llama.cpp's MMQ);
    // 0: such a variant runs at compute_efficiency of its compute precision's peak.
    double quantized_compute_efficiency = 0.0;
    double memory_efficiency = 0.75;       // eta_m, decode weight streaming (A100 7B measurement, PHYSICS.md)
    double per_step_overhead_ms = 0.5;     // scheduler, sampling and launches per step
    // Kernel launches and synchronisation that grow with depth: per transformer layer, and extra
    // per MoE layer (routing, token permutation, grouped expert GEMMs). Added to every step.
    double per_layer_overhead_us = 0.0;
    double moe_layer_overhead_us = 0.0;
    // A step that carries prompt tokens runs outside CUDA graphs when it holds more than
    // cuda_graph_max_tokens tokens (0: always): the host then launches every kernel of every
    // layer, per layer and extra per MoE layer (docs/method.md, "Eager steps").
    double eager_layer_overhead_us = 0.0;
    double eager_moe_layer_overhead_us = 0.0;
    std::int64_t cuda_graph_max_tokens = 0;
    // A prompt's attention FLOPs (QK^T and PV) at this share of the 16-bit peak, the engine's
    // attention kernels'; 0: at the GEMMs' rate (gemm_peak, compute_efficiency).
    double attention_efficiency = 0.0;
    double allreduce_latency_us = 8.0;     // per all-reduce call
    // Replicas wider than one node reach the other node over the scale-out network.
    double inter_node_gb_per_s = 50.0;     // per GPU: one 400 Gb/s InfiniBand NDR port (assumption)
    double inter_node_allreduce_latency_us = 20.0;  // assumption: several NVLink hops + a network round trip
    double runtime_overhead_bytes = 1.0 * 1073741824.0;  // driver context + engine workspace per GPU
    double communication_buffer_bytes = 2.0 * 1073741824.0;  // per GPU when tensor parallel
    double usable_memory_fraction = 0.90;  // vLLM's default gpu_memory_utilization
    double load_power_fraction = 0.80;     // share of TDP drawn under serving load
    std::int64_t max_batched_tokens = 8192;  // chunked-prefill step budget (activation sizing)
    // Batch waiting (docs/method.md, "Batch waiting"): while sequences decode, arriving prompts
    // are held for up to batch_wait_timeout_iters steps, or until the held prompts' tokens and one
    // per decode reach batch_wait_max_tokens_ratio * max_batched_tokens. Either 0: never held.
    std::int64_t batch_wait_timeout_iters = 0;
    double batch_wait_max_tokens_ratio = 0.0;
    bool continuous_batching = true;   // prefills of other requests interleave with decode steps
    bool mixed_prefill = true;         // prompt chunks share steps with decodes (false: prefill steps alone, first)
    bool sliding_window_kv_freed = true;  // window layers hold only their window (false: the whole context)
    // The engine's model types run without any window (Engine::no_sliding_window_model_types);
    // it outlives the profile (the catalog's engine), null: none.
    const std::vector<std::string>* no_sliding_window_model_types = nullptr;
    bool layer_split = false;          // multi-GPU by splitting layers (llama.cpp), not tensor parallel
    // The engine's GEMMs on FP16 weights accumulate in FP16 (llama.cpp): the GEMMs (prefill and decode
    // compute) of an fp16 variant that is not integer-quantized run at the hardware's
    // fp16_accumulate_peak_tflops where it has one.
    bool fp16_accumulate = false;
    // The engine runs 2:4 structured-sparse kernels (Engine::sparse_2_4_kernels): only then is a
    // 2:4 sparse variant stored packed and, on a GPU, its GEMMs run at twice the dense peak.
    bool sparse_2_4_kernels = false;
    // Optional extra fixed delay before the first token (HTTP, tokenizer, admission) that a user
    // profile may add; 0 in the shipped profiles, whose TTFT is physics (docs/method.md).
    double ttft_fixed_ms = 0.0;
    // Deprecated (kept so older profiles still load and mean what they meant): the own prefill's
    // compute and communication are multiplied by B^x. 0 (the shipped value) leaves them alone.
    double ttft_batch_exponent = 0.0;
    // The engine's cap on sequences running at once (vLLM max_num_seqs, TensorRT-LLM
    // max_batch_size, SGLang max_running_requests); 0: no cap beyond memory.
    std::int64_t max_num_seqs = 0;
    // KV cache held per running sequence. Paged engines (the default) hold on average the prompt
    // and half the output, P + O/2; the conservative reservation holds the full P + O.
    bool kv_full_reservation = false;
    // The engine's routed-expert kernel laws at this compute precision (MoeExpertKernel,
    // docs/method.md "MoE expert kernels"): 16-bit, its bf16 law; FP8, its per-tensor fp8 law here
    // and its fp8_block law in moe_kernel_block_scaled. moe_kernel_law_for picks one per model and
    // variant; an empty law: the routed experts' GEMMs run at compute_efficiency like the others.
    MoeKernelLaw moe_kernel;
    MoeKernelLaw moe_kernel_block_scaled;
};

// The default profile for a hardware kind (edge devices have no driver-sized overheads).
EfficiencyProfile default_profile(HardwareKind kind);
// The default profile overlaid with a serving engine's overheads and the first of its factor
// sets that matches the hardware and the compute precision. A null engine gives the default.
EfficiencyProfile engine_profile(const Engine* engine, const Hardware& hardware, Precision precision);
// The first of the engine's smaller scheduler rules, in the data file's order, that applies to
// this hardware (less memory than its below_memory_gib, or an id containing one of its
// hardware_ids_containing); else null.
const Engine::SmallGpuScheduler* small_gpu_scheduler(const Engine& engine, const Hardware& hardware);
// The engine's first factor set that matches the hardware (id, vendor, kind) and the compute
// precision (the one engine_profile applies); null when none matches or the engine is null.
const EngineFactors* matching_factors(const Engine* engine, const Hardware& hardware, Precision precision);
// The engine's routed-expert kernel entry for a MoE weight format ("bf16", "fp8", "fp8_block") on
// this hardware: the entry whose hardware_ids_containing names a part of the hardware's id, else
// the entry that names none; null when the engine is null or has neither.
const MoeExpertKernel* moe_expert_kernel(const Engine* engine, const std::string& weight_format, const Hardware& hardware);
// That entry's law as a profile carries it; an empty law where there is none.
MoeKernelLaw moe_kernel_law(const Engine* engine, const std::string& weight_format, const Hardware& hardware);
// The MoE weight format a variant's routed experts run in (the one rule; docs/method.md "MoE expert
// kernels"): "bf16" for 16-bit compute, "fp8_block" for FP8 compute on a model whose published FP8
// checkpoint is block-scaled (checkpoint_fp8_weight_scales), "fp8" for other FP8 (the engines
// quantize per tensor when they load a 16-bit checkpoint); "" for integer-quantized weights and
// 8- or 4-bit integer compute, whose kernels no law times.
std::string moe_kernel_format(const Model& model, const Variant& variant);
// The law an estimate applies: the profile's for moe_kernel_format; an empty law where the format
// has none, the model has no routed experts or the engine splits layers.
MoeKernelLaw moe_kernel_law_for(const EfficiencyProfile& profile, const Model& model, const Variant& variant);
// Why experts split whole over `expert_parallel` of a replica's `gpus` GPUs (the rest splitting
// every expert's columns) cannot run, or "" when they can: the model has routed experts and, for
// expert_parallel above 1, the engine splits tensors (not layers), expert_parallel divides gpus
// and the routed experts split evenly over it.
std::string expert_parallel_problem(const Model& model, const Engine* engine, std::int64_t gpus,
                                    std::int64_t expert_parallel);
// True when the factor set's SM-cycle laws (EngineFactors::sm_bytes_per_cycle,
// sm_quantized_flops_per_cycle) change a value on this hardware, which lists sm_count and
// boost_clock_mhz: memory_efficiency becomes min(its value, SMs x clock x b / bandwidth) and
// quantized_compute_efficiency min(1, SMs x clock x q / 16-bit peak). engine_profile applies them
// to the matching set; --explain reads this to say so.
inline bool sm_laws_apply(const EngineFactors& set, const Hardware& hardware) {
    if (!hardware.sm_count || !hardware.boost_clock_mhz) {
        return false;
    }
    return (set.sm_bytes_per_cycle && hardware.memory_bandwidth_gb_per_s > 0.0) ||
           (set.sm_quantized_flops_per_cycle && hardware.peak_tflops_at(Precision::fp16));
}
// True when the profile's quantized kernels run the variant's GEMMs: the profile sets
// quantized_compute_efficiency and the variant's weights are integer-quantized.
inline bool uses_quantized_kernels(const EfficiencyProfile& profile, const Variant& variant) {
    return profile.quantized_compute_efficiency > 0.0 && integer_quantized_weights(variant);
}

// True when a 2:4 sparse variant's weights stay packed (half the values plus 2 bits of index per
// kept value): the engine runs 2:4 kernels. Otherwise the engine serves the dense weights the
// checkpoint holds, zeros included (docs/method.md, "Memory").
inline bool packs_sparse_2_4(const EfficiencyProfile& profile, const Variant& variant) {
    return variant.structured_sparsity_2_4 && profile.sparse_2_4_kernels;
}
// True when a 2:4 sparse variant's GEMMs run on sparse tensor cores, at twice the dense peak: the
// engine runs 2:4 kernels and the hardware is a GPU.
inline bool runs_sparse_2_4(const EfficiencyProfile& profile, const Variant& variant, const Hardware& hardware) {
    return packs_sparse_2_4(profile, variant) && hardware.kind == HardwareKind::gpu;
}

// How a 2:4 sparse variant is served under the profile on the hardware, for --explain: the
// decision packs_sparse_2_4, runs_sparse_2_4 and gemm_peak make, in words.
inline const char* sparse_2_4_outcome(const EfficiencyProfile& profile, const Variant& variant, const Hardware& hardware) {
    if (!packs_sparse_2_4(profile, variant)) {
        return "none: the 2:4 sparse checkpoint is served dense, full-width weights, GEMMs at the peak above";
    }
    if (uses_quantized_kernels(profile, variant)) {
        return "weights packed; the engine's quantized kernels run the GEMMs, without the 2:4 speed-up";
    }
    return runs_sparse_2_4(profile, variant, hardware) ? "used: weights packed, GEMMs at twice the dense peak"
                                                       : "weights packed; no sparse tensor cores on this hardware: the dense peak";
}

// True when the variant's GEMMs run at the hardware's FP16-accumulate peak: the engine's FP16 GEMMs
// accumulate in FP16, the variant computes in fp16 from 16-bit weights (not integer-quantized, not
// on 2:4 sparse kernels), and the hardware lists that peak (GeForce cards, where it is twice the
// FP32-accumulate rate).
inline bool uses_fp16_accumulate_peak(const EfficiencyProfile& profile, const Variant& variant, const Hardware& hardware) {
    return profile.fp16_accumulate && variant.compute_precision == Precision::fp16 && !integer_quantized_weights(variant) &&
           !runs_sparse_2_4(profile, variant, hardware) && hardware.fp16_accumulate_peak_tflops.has_value();
}

// The tensor peak a variant's GEMMs run at on the hardware, and the profile's share of it: one
// decision for the estimator's rate and --explain's inputs.
struct GemmPeak {
    std::optional<double> tflops;      // dense; none: the hardware lacks it
    Precision precision = Precision::fp16;  // the peak_tflops entry read (unless fp16_accumulate)
    bool fp16_accumulate = false;      // hardware.fp16_accumulate_peak_tflops instead
    double efficiency = 0.0;           // eta_c against it
    bool sparse_2_4 = false;           // the 2:4 structured-sparsity speed-up applies
};
// An integer-quantized variant under the engine's quantized kernels (uses_quantized_kernels): the
// 16-bit peak at quantized_compute_efficiency, whatever its compute precision, without the 2:4
// speed-up those kernels do not use. An fp16 variant under an engine that accumulates in FP16
// (uses_fp16_accumulate_peak): the FP16-accumulate peak at compute_efficiency. Any other: its
// compute precision's peak at compute_efficiency, doubled for a 2:4 sparse variant on 2:4 kernels
// (runs_sparse_2_4).
inline GemmPeak gemm_peak(const EfficiencyProfile& profile, const Variant& variant, const Hardware& hardware) {
    GemmPeak peak;
    peak.efficiency = profile.compute_efficiency;
    if (uses_quantized_kernels(profile, variant) && hardware.peak_tflops_at(Precision::fp16)) {
        peak.tflops = hardware.peak_tflops_at(Precision::fp16);
        peak.efficiency = profile.quantized_compute_efficiency;
    } else if (uses_fp16_accumulate_peak(profile, variant, hardware)) {
        peak.tflops = hardware.fp16_accumulate_peak_tflops;
        peak.fp16_accumulate = true;
    } else {
        peak.tflops = hardware.peak_tflops_at(variant.compute_precision);
        peak.precision = variant.compute_precision;
        peak.sparse_2_4 = runs_sparse_2_4(profile, variant, hardware);
    }
    return peak;
}

struct EstimateRequest {
    const Model* model = nullptr;
    const Variant* variant = nullptr;
    const Hardware* hardware = nullptr;
    std::int64_t gpus = 1;            // tensor parallel degree of one replica
    std::int64_t prompt_tokens = 512;
    std::int64_t output_tokens = 128;
    std::int64_t batch = 1;           // concurrent sequences
    std::int64_t context_tokens = 0;  // window the deployment must offer; 0 = prompt + output
    EfficiencyProfile profile;
    // Dynamic activation under a scenario's complexity mix (mixed_active_fraction); absent:
    // the variant's active_fraction.
    std::optional<double> active_fraction;
    // Tasks served as unmerged adapters beside the base (a multi-task scenario); null: none.
    // Must outlive the estimate() call.
    const std::vector<TaskSpec>* adapter_tasks = nullptr;
    // model_parameters(*model), when the caller already has it (a search estimates each model
    // thousands of times); null: computed here. Must outlive the estimate() call.
    const ParameterCounts* parameters = nullptr;
    // KV-cache bits per element, replacing the variant's (--kv-cache-dtype); absent: the variant's.
    std::optional<double> kv_cache_bits;
    // GPUs a MoE layer's experts are split over whole (expert parallelism, --expert-parallel); the
    // rest of the replica's `gpus` split every expert's columns (gpus / expert_parallel_size-way
    // tensor parallelism). 1, every engine's default: each GPU holds a slice of every expert.
    // Must divide gpus.
    std::int64_t expert_parallel_size = 1;
};

enum class Feasibility {
    ok,
    does_not_fit,           // memory per GPU exceeds the usable capacity
    precision_unsupported,  // the hardware has no matrix peak at the variant's compute precision
    context_too_long,       // the context exceeds the model's max_position_embeddings
};
const char* to_string(Feasibility feasibility);

struct MemoryEstimate {
    double weights_bytes = 0;           // whole model
    double kv_cache_bytes_per_token = 0;  // whole model, all layers
    double kv_cache_bytes = 0;          // whole replica at this batch and sequence length
    double activations_bytes = 0;       // per GPU, transient
    double overhead_bytes = 0;          // per GPU
    double total_bytes = 0;             // whole replica
    double per_gpu_bytes = 0;
    double capacity_per_gpu_bytes = 0;  // physical
    double usable_per_gpu_bytes = 0;    // capacity * usable fraction
    double shortfall_bytes = 0;         // per GPU, > 0 when it does not fit
    double adapter_bytes = 0;           // whole replica: unmerged task adapters (in total and per GPU)
    bool fits = false;
    // Sequences that run at once: those whose KV cache fits (P + O/2 tokens each when paged, P + O
    // under the full reservation), capped by the engine's max_num_seqs.
    std::int64_t max_concurrency = 0;
    double kv_tokens_per_sequence = 0;  // P + O/2 (paged) or P + O (full reservation)
    // Tokens the KV cache holds at this batch: B * kv_tokens_per_sequence, or the context window
    // (the request's context_tokens, else P + O) when that is more: an engine holds one sequence
    // of its whole window (vLLM refuses to start when max_model_len tokens do not fit its cache).
    double kv_cache_tokens = 0;
};

struct PerformanceEstimate {
    double ttft_ms = 0;
    double prefill_ms = 0;         // the request's own prefill at its parallelism (+ one step overhead)
    double step_wait_ms = 0;       // waiting for the step in progress: half a decode step when B > 1
    // Batch waiting (profile batch_wait_*; docs/method.md "Batch waiting"): the mean time a prompt
    // is held back while the B - 1 others decode; 0 when the engine never holds prompts.
    double batch_wait_ms = 0;
    // The request's prefill work on its replica: prefill compute + prefill communication, what
    // continuous batching interleaves into the decode steps (TPOT's (B - 1) / O term) and what a
    // request queues behind at the offered load (the search's M/D/1 service, docs/method.md).
    double prefill_work_ms = 0;
    // The eager-step overhead of the request's own prefill steps, ceil(P / budget) of them
    // (docs/method.md "Eager steps"); in prefill_ms, and in the queue's service beside prefill_work_ms.
    double prefill_eager_ms = 0;
    double tpot_ms = 0;
    double decode_step_ms = 0;     // pure decode step at this batch
    double latency_ms = 0;         // ttft + (O - 1) * tpot
    double output_tokens_per_s = 0;  // whole batch: qps * O (Little's law: each request's prefill included)
    double output_tokens_per_s_per_sequence = 0;
    double prefill_tokens_per_s = 0;
    double qps = 0;                 // requests per second per replica (Little's law)
    bool decode_memory_bound = true;
    bool prefill_compute_bound = true;
};

struct Estimate {
    Feasibility feasibility = Feasibility::ok;
    ParameterCounts parameters;
    double kept_parameters = 0;      // after pruning / sharing
    double active_parameters = 0;    // per token after dynamic activation
    double active_fraction = 1;      // dynamic activation used: the variant's or the scenario mix's
    double adapter_parameters = 0;   // all unmerged task adapters held by a replica
    double weights_on_disk_bytes = 0;
    Precision compute_precision = Precision::fp16;
    double peak_flops_per_gpu = 0;   // the GEMMs' peak (gemm_peak), sparsity included
    MemoryEstimate memory;
    PerformanceEstimate performance;  // meaningful only when feasibility == ok
    double power_w = 0;
    double energy_wh_per_1k_output_tokens = 0;
    // Max-throughput serving: output tokens/s of one replica at the largest concurrency that runs
    // (memory.max_concurrency: paged KV, the engine's max_num_seqs), with continuous batching's
    // prefill paid inside the steps: its requests/s * O; 0 when that batch cannot be timed.
    std::int64_t max_throughput_batch = 0;
    double max_throughput_output_tokens_per_s = 0;
    // The same concurrency as a fixed-length throughput benchmark measures it (waves of requests
    // that start and finish together; benchmark_output_tokens_per_s in serving_sim.hpp). Only
    // `dsselect estimate` runs that simulation: nullopt elsewhere and where it cannot run.
    std::optional<double> max_throughput_benchmark_output_tokens_per_s;
    bool has_timing() const { return feasibility == Feasibility::ok; }
};

// One intermediate quantity for --explain.
struct TraceItem {
    std::string name;
    double value = 0;
    std::string unit;
    std::string formula;
};
using Trace = std::vector<TraceItem>;

Estimate estimate(const EstimateRequest& request, Trace* trace = nullptr);

// The validation protocol of a closed-loop benchmark's first wave: request.batch requests of
// request.prompt_tokens tokens submitted at once into an empty engine. The engine runs chunked
// prefill, first come first served, at most profile.max_batched_tokens tokens per step, requests
// that finished their prefill decode one token in each later step (taken from the same budget);
// each step takes max(compute, weights + KV read) + all-reduce + step overhead. Returns the mean
// TTFT over the batch plus ttft_fixed_ms; nullopt when the request cannot be timed.
std::optional<double> burst_mean_ttft_ms(const EstimateRequest& request);

// The validation protocol of the same closed loop once it has settled: requests of equal length
// finish in the groups their prefills were chunked in, so they come back in waves of
// g = clamp(floor(max_batched_tokens / P), 1, B) prompts while B - g others decode (at the mean
// context P + O/2). The group waits half a decode step at B (the step under way), then runs the
// chunked prefill above beside the running decodes. Returns the group's mean TTFT plus
// ttft_fixed_ms; nullopt when the request cannot be timed.
std::optional<double> wave_mean_ttft_ms(const EstimateRequest& request);

// A request's latency, TTFT + (O - 1) TPOT, and the requests per second that `batch` of them in
// flight complete (Little's law: batch / latency): the estimate's latency_ms and qps, and how the
// validation harness reads a measured closed loop's capacity (docs/validation.md, "Capacity").
inline double request_latency_ms(double ttft_ms, double tpot_ms, double output_tokens) {
    return ttft_ms + (output_tokens - 1.0) * tpot_ms;
}
inline double closed_loop_qps(double batch, double latency_ms) { return batch / latency_ms * 1000.0; }

// Waiting time in an M/D/1 queue (Poisson arrivals at `arrivals_per_s`, a deterministic service
// of `service_ms`): rho * S / (2 (1 - rho)) with rho = arrivals * S; infinity when rho >= 1.
double md1_queue_wait_ms(double arrivals_per_s, double service_ms);
// The same wait at a given utilization rho = arrivals * S: rho * S / (2 (1 - rho)); infinity when
// rho >= 1.
double md1_wait_at_utilization_ms(double utilization, double service_ms);
// The largest utilization whose M/D/1 wait fits `slack_ms`: 2 slack / (S + 2 slack) (0 when the
// slack is not positive).
double md1_max_utilization(double slack_ms, double service_ms);

// One request prepared for every batch size. The batch-size search of a recommendation
// estimates each candidate at batch 1, 2, 4, ...; everything that does not depend on the batch
// (parameters, weights, KV cache per token, rates, the prefill, the largest batch that fits) is
// computed once here, and at(B) computes the rest. at(B) is bit for bit estimate() of the
// request at batch B (estimate() is at(request.batch) of a fresh plan). The request must
// outlive the plan.
class EstimatePlan {
public:
    explicit EstimatePlan(const EstimateRequest& request);
    EstimatePlan(const EstimateRequest&& request) = delete;  // the plan keeps a pointer to the request
    // The estimate at batch B. The max-throughput figure (max_throughput_*) is left at 0: it
    // costs one more timing, which a search does not read; add_max_throughput fills it, and
    // estimate() does both.
    Estimate at(std::int64_t batch, Trace* trace = nullptr) const;
    void add_max_throughput(Estimate& result, Trace* trace = nullptr) const;
    // What the batch-size search reads at batch B, without the rest of the estimate: whether B
    // can be timed (at(B).has_timing()) and, if so, TTFT, TPOT, the decode step, latency and
    // QPS, bit for bit at(B)'s. The output and prefill rates are left at 0.
    struct Rung {
        bool timed = false;
        PerformanceEstimate performance;
    };
    Rung rung(std::int64_t batch) const;
    // burst_mean_ttft_ms of the request at this batch; nullopt when it cannot be timed.
    std::optional<double> burst_mean_ttft_ms(std::int64_t batch) const;
    // wave_mean_ttft_ms of the request at this batch; nullopt when it cannot be timed.
    std::optional<double> wave_mean_ttft_ms(std::int64_t batch) const;
    // A step's time from its memory and compute times, each including the routed experts' share
    // (docs/method.md "MoE expert kernels"): without an expert kernel law one roofline over the
    // step, max(memory, compute); with one, the rest of the step's roofline plus the experts' own,
    // (expert memory^n + expert compute^n)^(1/n), their kernels running after the rest of each layer.
    double roofline_ms(double memory_ms, double compute_ms, double expert_memory_ms, double expert_compute_ms) const {
        // Inline: every step of every estimate of a model without a law takes this branch.
        return m_expert_kernel_ms_per_token <= 0.0
                   ? std::max(memory_ms, compute_ms)
                   : expert_roofline_ms(memory_ms, compute_ms, expert_memory_ms, expert_compute_ms);
    }
    // One engine step that prefills `prompt_tokens` prompt tokens beside `decoding` sequences
    // that each decode one token while reading `context_tokens` tokens of KV cache in all:
    // max(compute, memory) + all-reduces of the step's tokens + the step overhead (+ the eager
    // overhead when it carries prompt tokens beyond the CUDA-graph limit), where compute
    // is a prompt token's share of this request's prefill FLOPs per prompt token plus one decode
    // token's FLOPs per decoding sequence, and memory the weights the step's tokens touch (the
    // routed experts they route to) plus the KV read (docs/method.md, "Serving simulation").
    // Only for a plan that can be timed. Weights include one request's task adapter, as its
    // prefill reads it; dynamic activation is not applied.
    double mixed_step_ms(double prompt_tokens, double decoding, double context_tokens) const;
    // The fewest prompt chunks that make a steady-state step (beside `decoding` decodes, chunks
    // at most `room` tokens) exceed cuda_graph_max_tokens; and, with each of `others` sequences in
    // a prefill step with probability q independently, the share of steps that carry that many
    // (steps) and of the request's own prefill steps, which hold its chunk too (own_steps).
    double eager_prompts_needed(double decoding, double room) const;
    struct EagerShares {
        double steps = 0;
        double own_steps = 0;
    };
    EagerShares eager_step_shares(double others, double prompts_needed) const;
    // The same two tails summed in logarithms, for a P(K = 0) below the smallest normal double.
    [[gnu::cold]] static EagerShares eager_step_shares_in_logs(double others, double prompts_needed, double q);
    // The eager overhead a step of `prompt_tokens` prompt tokens beside `decoding` decodes pays:
    // the engine's per-layer eager overhead when the step carries prompt tokens and holds more
    // tokens than the engine's cuda_graph_max_tokens, else 0.
    double eager_overhead_ms(double prompt_tokens, double decoding) const;
    // The engine applies the model's sliding window (applies_sliding_window).
    bool applies_window() const { return m_applies_window; }
    // The mean number of decode steps a prompt is held by batch waiting when B sequences run,
    // in a steady state whose B - 1 others arrive at (B - 1) / O per step: a window opens with
    // the first held prompt and closes after batch_wait_timeout_iters steps, or once
    // n = ceil((ratio * budget - (B - 1)) / P) prompts are held (0 when one prompt suffices);
    // its W = min(timeout, (n - 1) / a) steps give a mean hold of (W + a W^2 / 2) / (1 + a W).
    double batch_wait_steps(double batch) const;

private:
    // The routed experts per MoE layer that `tokens` tokens touch: expected_experts_touched.
    double routed_experts_touched(double tokens) const;
    // roofline_ms with an expert kernel law.
    double expert_roofline_ms(double memory_ms, double compute_ms, double expert_memory_ms, double expert_compute_ms) const;
    // Mean TTFT of `arriving` prompts submitted together while `running` sequences decode at
    // `running_context` tokens: chunked prefill at the engine's token budget (no fixed delay).
    double chunked_prefill_mean_ms(std::int64_t arriving, std::int64_t running, double running_context) const;
    struct MemoryAt {
        double kv_cache_tokens = 0;  // max(B * KV tokens per sequence, the context window)
        double activations_bytes = 0;
        double per_gpu_bytes = 0;
    };
    // Ring all-reduces of a replica, prepared: ms(tokens) for one forward pass.
    struct Allreduce {
        Allreduce() = default;
        Allreduce(const Architecture& a, std::int64_t gpus, double bytes_per_activation, double link_gb_per_s,
                  double latency_us);
        double ms(double tokens) const;
        bool active = false;  // two GPUs or more
        double hidden = 0;
        double activation_bytes = 0;
        double ring_share = 0;  // 2 (t - 1) / t
        double link_bytes_per_s = 1;
        double latency_s = 0;
        double calls = 0;  // 2 per layer
    };
    AdapterLoad adapters_at(std::int64_t batch) const;
    MemoryAt memory_at(double batch) const;
    // Whether batch B can be timed: the plan can, and B's memory fits (at(B).has_timing()).
    bool timeable(double batch) const {
        return !m_context_too_long && m_has_peak && memory_at(batch).per_gpu_bytes <= m_usable_per_gpu_bytes;
    }
    // The decode step and TPOT only (timing_at's first half).
    void decode_at(double batch, const AdapterLoad& adapters, Trace* trace, PerformanceEstimate& perf) const;
    void timing_at(double batch, const AdapterLoad& adapters, Trace* trace, PerformanceEstimate& perf) const;

    const EstimateRequest* m_request;
    ParameterCounts m_parameters;
    AdapterLoad m_adapters_at_one;  // bytes_read_per_step depends on the batch: at() recomputes it
    std::array<AdapterRead, 8> m_adapter_reads;  // the first tasks' shares and bytes, in task order (as many as there are)
    bool m_has_adapters = false;
    bool m_context_too_long = false;
    bool m_has_peak = false;  // the hardware has a matrix peak at the compute precision
    bool m_multi_node = false;
    std::int64_t m_max_concurrency = 0;
    double m_gpus = 1;
    double m_prompt = 0;
    double m_output = 0;
    double m_sequence = 0;
    double m_kv_tokens_per_sequence = 0;  // P + O/2 paged, P + O under the full reservation, in KV positions
    double m_window_tokens = 0;           // the context window the deployment offers: one sequence that long fits (its KV positions)
    double m_layer_units = 0;        // layer_overhead_units of the model
    double m_step_layer_units = 0;   // of them, the step overhead's: without the routed experts where a law has a latency
    double m_step_overhead_ms = 0;  // per step + per layer unit + per MoE layer
    double m_eager_overhead_ms = 0;  // per layer unit + per MoE layer, steps outside CUDA graphs
    double m_prompt_steps = 1;       // steps one prompt's prefill takes at the token budget
    double m_prompt_step_chance = 0;  // min(1, ceil(P / budget) / O): a step holds one of them
    double m_prefill_expert_memory_ms = 0;  // the routed experts the prompt touches, at the bandwidth (MoE)
    double m_expert_memory_scale = 1;       // engine memory_efficiency / the law's: the experts' reads at the law's share
    double m_expert_latency_ms = 0;         // MoE layers * the law's latency_us / 1000, once per step
    double m_prefill_roofline_ms = 0;       // roofline_ms of the prefill's terms (no TTFT sharing)
    double m_budget_tokens = 1;      // the engine's token budget per step, max(max_batched_tokens, 1)
    double m_kept_parameters = 0;
    double m_active_fraction = 1;
    double m_active_parameters = 0;
    double m_active_matmul = 0;
    double m_head_matmul = 0;  // the part of m_active_matmul a prefill runs once, not per prompt token
    double m_weights_bytes = 0;
    double m_kv_cache_bytes_per_token = 0;
    double m_kv_per_token_per_gpu = 0;
    double m_step_token_cap = 0;
    double m_activation_bytes_per_token = 0;
    double m_logit_bytes_per_sequence = 0;
    double m_overhead_bytes = 0;
    double m_weights_per_gpu = 0;
    double m_capacity_per_gpu_bytes = 0;
    double m_usable_per_gpu_bytes = 0;
    double m_power_w = 0;
    // Set only when the configuration can be timed (context within the window, a peak).
    double m_peak_flops_per_gpu = 0;
    double m_compute_rate = 0;
    double m_attention_rate = 0;  // attention's FLOP/s: the engine's attention kernels, or m_compute_rate
    double m_bandwidth = 0;
    double m_link_gb_per_s = 0;
    double m_prefill_flops = 0;
    double m_prefill_compute_ms = 0;
    double m_prefill_memory_ms = 0;
    double m_prefill_comm_ms = 0;
    double m_streamed_weights = 0;
    double m_adapter_split = 1;
    double m_mean_context = 0;         // KV positions a decoding sequence holds on average (kv_positions)
    double m_prompt_kv_positions = 0;  // ... and one that has just taken its prompt
    bool m_applies_window = false;
    double m_routed_bytes_per_gpu = 0;
    double m_kv_read_per_token = 0;
    double m_decode_flops_per_sequence = 0;
    // Routed experts on the engine's own kernels (profile moe_kernel_*): their FLOPs per token,
    // taken out of the roofline's compute, and the kernel law's time per token; 0 without.
    MoeKernelLaw m_expert_law;  // moe_kernel_law_for the request: efficiency 0 without one
    double m_kernel_expert_flops_per_token = 0;
    double m_expert_kernel_ms_per_token = 0;
    double m_decode_compute_ms_per_sequence = 0;  // one sequence's share of a decode step's compute
    Allreduce m_allreduce;
};

}  // namespace dsselect
