#pragma once
// Plain, validated catalog values. Only src/catalog/ knows the JSON field names; everything
// else works on these structs. Units are in the names.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dsselect {

// Figures taken from a document carry where they came from: field name -> source text.
using SourceMap = std::map<std::string, std::string>;

// Transformer shape with Hugging Face config.json key names. Zero means "absent".
struct Architecture {
    std::int64_t num_hidden_layers = 0;
    std::int64_t hidden_size = 0;
    std::int64_t intermediate_size = 0;
    std::int64_t num_attention_heads = 0;
    std::int64_t num_key_value_heads = 0;  // defaults to num_attention_heads (MHA)
    std::int64_t head_dim = 0;             // defaults to hidden_size / num_attention_heads
    std::int64_t vocab_size = 0;
    std::int64_t max_position_embeddings = 0;
    bool tie_word_embeddings = false;
    // Mixture of experts (all zero for a dense model).
    std::int64_t n_routed_experts = 0;
    std::int64_t n_shared_experts = 0;
    std::int64_t num_experts_per_tok = 0;
    std::int64_t moe_intermediate_size = 0;
    std::int64_t first_k_dense_replace = 0;
    // Multi-head latent attention (all zero for MHA/GQA).
    std::int64_t q_lora_rank = 0;  // 0: queries are not compressed
    std::int64_t kv_lora_rank = 0;
    std::int64_t qk_rope_head_dim = 0;
    std::int64_t qk_nope_head_dim = 0;
    std::int64_t v_head_dim = 0;
    // Sliding-window attention (both zero when every layer attends to the whole context):
    // sliding_window_layers of the layers attend to, and keep the KV cache of, at most the last
    // sliding_window tokens (docs/method.md, "Sliding-window attention").
    std::int64_t sliding_window = 0;  // tokens
    std::int64_t sliding_window_layers = 0;
    // The Hugging Face model_type, where the config gives one: some engines apply no window to
    // some model types (an engine's no_sliding_window_model_types).
    std::string model_type;

    bool is_moe() const { return n_routed_experts > 0; }
    bool is_mla() const { return kv_lora_rank > 0; }
    bool has_sliding_window() const { return sliding_window > 0 && sliding_window_layers > 0; }
    // Layers whose FFN is a mixture of experts: all but the first first_k_dense_replace of a MoE
    // model, none of a dense one. The rest keep a dense FFN.
    std::int64_t moe_layers() const { return is_moe() ? num_hidden_layers - first_k_dense_replace : 0; }
    std::int64_t dense_layers() const { return num_hidden_layers - moe_layers(); }
    bool is_dense_layer(std::int64_t layer) const { return !is_moe() || layer < first_k_dense_replace; }
    std::int64_t effective_head_dim() const {
        return head_dim > 0 ? head_dim : hidden_size / num_attention_heads;
    }
    std::int64_t effective_kv_heads() const {
        return num_key_value_heads > 0 ? num_key_value_heads : num_attention_heads;
    }
};

// Quality of a model on one task kind (a 0..1 score such as accuracy or F1).
struct QualityScore {
    std::string task_kind;  // "default" applies when no task-specific entry exists
    std::string metric;     // e.g. "F1"; empty when unspecified
    double score = 0.0;
    std::string source;
};

// A figure the source document quotes about a model (e.g. seed §1.2: 175B at INT4 in 89 GB),
// shown beside what dsselect computes, never in its place.
struct ModelReference {
    std::string metric;      // e.g. "weights_bytes"
    std::string variant_id;  // the variant the figure is about; empty = any
    double value = 0.0;
    std::string source;
};

struct Model {
    std::string id;
    std::string name;
    std::string family;  // e.g. "deepseek-guide" for the seed's versions
    double parameters_nominal = 0.0;  // as published; 0 when not given
    std::optional<std::int64_t> parameters_override;  // pins a published exact count
    Architecture architecture;
    std::string reference_hardware_id;  // seed §2.1 reference deployment, may be empty
    std::int64_t reference_gpus = 0;
    std::string typical_scenario_id;
    std::vector<QualityScore> quality;
    std::vector<ModelReference> references;
    // Former ids that still resolve to this model, with a deprecation warning (`v3` is read as
    // `v3-13b`: one typo from `deepseek-v3`).
    std::vector<std::string> deprecated_ids;
    // What the model's published checkpoint names as its KV-cache type, per serving format
    // ("fp8" -> "auto"): "auto" when its quantization config names none. An engine that takes the
    // KV-cache type from the checkpoint (data/engines.json kv_cache_dtype "fp8", TensorRT-LLM)
    // follows it; a format not listed is a checkpoint the catalog does not describe
    // (docs/data-format.md, docs/method.md "KV cache").
    std::map<std::string, std::string> checkpoint_kv_cache_dtype;
    // The weight scales of the model's published FP8 checkpoint: "block" (128 x 128 blocks, as
    // DeepSeek-V3/R1's weight_block_size) or "tensor"; empty: no FP8 checkpoint, so an FP8 variant
    // is quantized per tensor when the engine loads it. Picks the engine's MoE kernel law
    // (docs/method.md "MoE expert kernels").
    std::string checkpoint_fp8_weight_scales;
    std::string source;
    SourceMap sources;

    // Quality on a task kind: the task's entry, else "default", else nullopt.
    std::optional<double> quality_for(const std::string& task_kind) const;
};

enum class Precision { fp16, bf16, fp8, int8, int4 };
inline constexpr Precision k_all_precisions[] = {Precision::fp16, Precision::bf16, Precision::fp8,
                                                 Precision::int8, Precision::int4};
const char* to_string(Precision precision);
std::optional<Precision> parse_precision(const std::string& text);

// One value per precision, each present or absent; iterates the present ones in Precision
// order as (precision, value) pairs. A flat table: the search looks a hardware's peak up for
// every candidate it estimates.
class PrecisionValues {
public:
    static constexpr std::size_t k_count = std::size(k_all_precisions);
    static_assert(static_cast<std::size_t>(k_all_precisions[k_count - 1]) == k_count - 1,
                  "k_all_precisions lists the precisions in enum order");
    // The value for `precision`, made present (0) when absent, as std::map's operator[].
    double& operator[](Precision precision) {
        const auto i = static_cast<std::size_t>(precision);
        m_present[i] = true;
        return m_values[i];
    }
    std::optional<double> find(Precision precision) const {
        const auto i = static_cast<std::size_t>(precision);
        return m_present[i] ? std::optional<double>(m_values[i]) : std::nullopt;
    }
    std::size_t size() const { return static_cast<std::size_t>(std::count(m_present.begin(), m_present.end(), true)); }
    bool empty() const { return size() == 0; }

    class const_iterator {
    public:
        const_iterator(const PrecisionValues* values, std::size_t index) : m_values(values), m_index(index) { skip(); }
        std::pair<Precision, double> operator*() const { return {k_all_precisions[m_index], m_values->m_values[m_index]}; }
        const_iterator& operator++() {
            ++m_index;
            skip();
            return *this;
        }
        bool operator==(const const_iterator& other) const { return m_index == other.m_index; }

    private:
        void skip() {
            while (m_index < k_count && !m_values->m_present[m_index]) {
                ++m_index;
            }
        }
        const PrecisionValues* m_values;
        std::size_t m_index;
    };
    const_iterator begin() const { return {this, 0}; }
    const_iterator end() const { return {this, k_count}; }

private:
    std::array<double, k_count> m_values{};
    std::array<bool, k_count> m_present{};
};

// Bits per stored weight for each parameter group (seed §5.3 dynamic quantization: attention
// weights in FP16, the rest lower). A group left out uses the variant's weight_bits.
struct GroupBits {
    std::optional<double> attention;  // Q/K/V/O projections (MHA, GQA, MLA) and the norms
    std::optional<double> ffn;        // dense FFN, routed and shared experts, router
    std::optional<double> embedding;  // token embedding (a tied output head is this matrix)
    std::optional<double> head;       // untied output head
};

struct Variant {
    std::string id;
    std::string name;
    double weight_bits = 16.0;       // effective bits per stored weight, scales included
    double kv_cache_bits = 16.0;
    double activation_bits = 16.0;
    double parameter_fraction = 1.0;  // fraction of parameters kept (pruning, Lite sharing)
    double active_fraction = 1.0;     // fraction of parameters active per token (dynamic)
    double quality_retention = 1.0;
    Precision compute_precision = Precision::fp16;  // precision the matrix units run at
    bool structured_sparsity_2_4 = false;  // 2:4 sparse tensor cores (stores half + metadata)
    std::vector<std::string> risk_flags;   // e.g. "numeric_risk"
    std::vector<std::string> applies_to;   // model ids; empty = every model
    std::vector<std::string> combines;     // base variant ids this one combines (documentation)
    std::optional<double> training_memory_fraction;  // mixed precision's training memory (seed §2.2)
    std::optional<double> reference_speedup;         // a quoted speed-up, shown, never used
    std::optional<GroupBits> bits_per_group;  // absent: every weight at weight_bits
    // Rests only on the source document's claim, not on a known serving technique: searched
    // and filled in only on opt-in (--include-claimed), labelled wherever used (docs/quality.md).
    bool claimed = false;
    std::string claim;  // why it is a claim, and whose
    std::string source;
    SourceMap sources;

    bool has_risk(const std::string& flag) const;
    bool applies_to_model(const std::string& model_id) const;
};

// The format an engine serves a variant in, as data/deploy.json and data/engines.json's
// `weight_formats` name them: "fp16", "bf16" (16-bit weights), "fp8", "int8-w8a8", "int8-w8a16",
// "int4-w4a16", "int4-w4a4", "mixed-bits" (per-group bit widths), "dynamic-activation" (an
// active fraction below 1). Read from the variant's fields, not its id.
std::string serving_format(const Variant& variant);
// True for the weight-only quantized formats, int8-w8a16 and int4-w4a16: weights stored in 8 or
// fewer bits, matrix units at 16 bits (GGUF Q8_0 and Q4_K_M, AWQ, GPTQ).
bool weight_only_quantized(const Variant& variant);
// True for the integer-quantized formats, int8-w8a8, int8-w8a16, int4-w4a16 and int4-w4a4: weights
// stored as integers of 8 or fewer bits (llama.cpp serves the int8 ones as GGUF Q8_0 and int4-w4a16
// as Q4_K_M; it has no W4A4 format).
bool integer_quantized_weights(const Variant& variant);
bool is_serving_format(const std::string& name);
std::string serving_format_names();  // "fp16, bf16, ..."

enum class HardwareKind { gpu, edge };

// Where a candidate string's hardware part HW[xN] ends and its GPU count "x<digits>" begins: the
// position of that last 'x' (not the first character), or npos when the text has no such suffix.
// Candidate parsing splits there, and the loader refuses a hardware id that has one.
std::size_t gpu_count_suffix(std::string_view hardware);

struct Hardware {
    std::string id;
    std::string name;
    HardwareKind kind = HardwareKind::gpu;
    double memory_gb = 0.0;  // decimal gigabytes (1e9 bytes), as on datasheets
    double memory_bandwidth_gb_per_s = 0.0;
    PrecisionValues peak_tflops;         // dense, without sparsity; missing = unsupported
    // The dense FP16 tensor peak with FP16 accumulation, where it is higher than peak_tflops.fp16
    // (which is the FP32-accumulate rate): GeForce cards run FP16 accumulation at twice the rate.
    // Used for an engine whose 16-bit GEMMs accumulate in FP16 (Engine::fp16_accumulate).
    std::optional<double> fp16_accumulate_peak_tflops;
    // Streaming multiprocessors (NVIDIA) and their boost clock: an engine factor set with an
    // SM-cycle law (EngineFactors::sm_bytes_per_cycle, sm_quantized_flops_per_cycle) rates the
    // hardware from them (llama.cpp on an NVIDIA GPU a user adds; docs/method.md).
    std::optional<std::int64_t> sm_count;
    std::optional<double> boost_clock_mhz;
    double interconnect_gb_per_s = 0.0;  // per direction, GPU to GPU; 0 = none
    double tdp_w = 0.0;
    double price_usd_per_hour = 0.0;  // rented, per device
    double purchase_usd = 0.0;
    std::int64_t max_devices_per_node = 8;
    // A consumer card (GeForce): its driver licence forbids data-centre deployment. Results on
    // it carry a warning; constraints.exclude_consumer (--exclude-consumer) leaves it out.
    bool consumer = false;
    std::string vendor;  // "nvidia", "amd", ...; empty: unknown (every engine may serve it)
    std::string source;
    SourceMap sources;

    std::optional<double> peak_tflops_at(Precision precision) const { return peak_tflops.find(precision); }
};

struct Workload {
    std::int64_t prompt_tokens = 512;
    std::int64_t output_tokens = 128;
    double qps = 1.0;
    std::int64_t context_tokens = 4096;  // context window the deployment must offer
    std::string source;  // where the section's figures come from ("workload.source"); empty: none given
};

// Hard limits. Absent optionals do not constrain.
struct Constraints {
    std::optional<double> max_latency_ms;  // end-to-end: TTFT + (O-1) * TPOT
    std::optional<double> max_ttft_ms;
    std::optional<double> max_tpot_ms;
    std::optional<double> min_quality;
    std::optional<double> max_model_mb;  // weights on disk, 1e6 bytes
    std::optional<double> max_power_w;   // per replica under load
    std::optional<std::int64_t> max_gpus_per_replica;
    std::optional<double> budget_usd_per_year;
    std::vector<std::string> allowed_hardware;  // empty: any
    std::vector<std::string> allowed_models;    // empty: any
    std::vector<std::string> allowed_variants;  // empty: any
    double headroom = 0.2;  // capacity >= (1 + headroom) * qps (seed §5.1)
    bool allow_multi_node = false;  // search replicas of 16 and 32 GPUs across nodes
    bool include_claimed = false;   // search claimed variants too (--include-claimed)
    bool exclude_consumer = false;  // leave consumer cards out (--exclude-consumer)
    std::string source;  // "constraints.source"; empty: none given
};

enum class TrainingMethod { none, lora, full, pretrain };

// Which training figure enters the total when the scenario quotes one (tco.training.cost,
// --training-cost): the quote (the default, the seed's worked example) or the computed cost.
// Both are always reported (docs/tco.md).
enum class TrainingCostChoice { quoted, computed };
const char* to_string(TrainingCostChoice choice);

struct TrainingPlan {
    TrainingMethod method = TrainingMethod::none;
    double tokens = 0.0;
    double epochs = 1.0;
    // Quoted training cost per model id (seed §3.2), used and labelled as given.
    std::map<std::string, double> quoted_cost_usd;
    TrainingCostChoice cost = TrainingCostChoice::quoted;
    std::string source;
};

enum class Ownership { rented, owned };

// The lowest model FLOPs utilisation a training cost is computed at: below it the cost runs off
// toward infinity, and no training run is planned at under 0.1 % of peak.
inline constexpr double k_min_mfu = 0.001;

struct TcoInputs {
    double years = 3.0;
    Ownership ownership = Ownership::rented;
    double utilization = 1.0;  // fraction of hours the fleet is provisioned
    double electricity_usd_per_kwh = 0.12;
    double pue = 1.3;
    double depreciation_years = 3.0;
    double maintenance_fraction_per_year = 0.1;  // of hardware value (owned) or spend (rented)
    double engineering_hours_per_year = 0.0;
    double engineering_usd_per_hour = 0.0;
    double mfu = 0.4;  // at least k_min_mfu (the loader and plan finetune's --mfu refuse less)
    TrainingPlan training;
    std::string source;  // "tco.source"; empty: none given (the figures are assumptions)
};

// A figure the source document quotes for a scenario, shown beside what dsselect computes.
struct QuotedFigure {
    std::string model_id;
    std::string metric;  // e.g. "latency_ms", "f1", "training_usd"
    double value = 0.0;
    std::string source;
};

// One class of requests by complexity (dynamic activation, seed §2.2 V4): its share of the
// requests and the fraction of the parameters a request of that class activates.
struct ComplexityClass {
    double share = 0.0;
    double active_fraction = 1.0;
};

// A task adapter (docs/multitask.md): LoRA on some matrices of every layer, or a task head.
enum class AdapterKind { lora, head };
// LoRA target matrices, Hugging Face PEFT names without "_proj".
enum class AdapterModule { q, k, v, o, gate, up, down };
const char* to_string(AdapterModule module);
std::optional<AdapterModule> parse_adapter_module(const std::string& text);

struct AdapterSpec {
    AdapterKind kind = AdapterKind::lora;
    std::int64_t rank = 0;                      // lora
    std::vector<AdapterModule> target_modules;  // lora
    std::int64_t parameters = 0;                // head: the head's parameter count
};

// One task of a multi-task scenario: its share of the requests, its quality floor and adapter.
struct TaskSpec {
    std::string id;
    double share = 0.0;                 // of the scenario's QPS; the tasks' shares sum to 1
    std::optional<double> min_quality;  // absent: the scenario's
    std::string task_kind;              // empty: the scenario's
    AdapterSpec adapter;
    std::optional<std::int64_t> output_dimension;  // absent: the serving model's vocabulary
    std::vector<std::string> fused_with;           // ids of tasks whose outputs are fused with this one's
    std::string source;
};

// Catalog-wide multi-task data ("multi_task" in data/models.json).
struct MultiTaskDefaults {
    AdapterSpec default_adapter;              // the adapter the reference reuse rate is computed for
    double reference_reuse_rate = 0.0;        // seed §3.3: 78 %
    std::int64_t reference_tasks = 0;         // seed §3.3: 16 task types
    std::string reference_source;
    double adapter_engineering_hours_per_year = 0.0;  // upkeep of one adapter on a shared base
    std::string source;
    SourceMap sources;
};

struct Scenario {
    std::string id;
    std::string engine_id;  // empty: the default engine (k_default_engine_id)
    std::string name;
    std::string description;
    std::string task_kind = "default";
    bool numerically_sensitive = false;
    Workload workload;
    Constraints constraints;
    TcoInputs tco;
    std::vector<QuotedFigure> quoted;
    // Dynamic activation: the request mix by complexity (empty: the variant's own fraction).
    std::vector<ComplexityClass> complexity_mix;
    // Multi-task: the tasks served (empty: one task). With tasks, candidates carry their adapters.
    std::vector<TaskSpec> tasks;
    std::string source;
    SourceMap sources;
    // Figures a command-line flag set, "section.field" -> the flag ("workload.qps" -> "--min-qps"),
    // so that a page credits them to the flag. Not part of the data format (never serialized).
    SourceMap flag_sources;
};

// --min-quality's meaning: one floor for the scenario and for every task (docs/multitask.md).
// The CLI flag and the advice that suggests a floor (select/tally.cpp) both set it here.
inline void set_quality_floor(Scenario& s, double floor) {
    s.constraints.min_quality = floor;
    for (TaskSpec& task : s.tasks) {
        task.min_quality = floor;
    }
}

// Efficiency factors of an engine for the hardware and precisions they match (first match
// wins; an absent key keeps the engine's or the estimator's default).
struct EngineFactors {
    std::vector<std::string> hardware;           // hardware ids; empty: any
    std::vector<std::string> vendors;            // hardware vendors ("apple", ...); empty: any
    std::optional<HardwareKind> hardware_kind;   // absent: any
    std::optional<Precision> precision;          // compute precision; absent: any
    std::optional<double> compute_efficiency;
    // The efficiency, against the 16-bit peak, of an integer-quantized variant
    // (integer_quantized_weights), whose GEMMs run the engine's quantized kernels (llama.cpp's
    // MMQ); absent: such a variant takes compute_efficiency against its compute precision's peak.
    std::optional<double> quantized_compute_efficiency;
    std::optional<double> memory_efficiency;
    // SM-cycle laws, applied to hardware that lists sm_count and boost_clock_mhz: decode streams
    // at most sm_bytes_per_cycle per SM-cycle (memory_efficiency becomes the lower of its value and
    // SMs x clock x b / bandwidth), and an integer-quantized variant's GEMMs run at
    // sm_quantized_flops_per_cycle per SM-cycle (quantized_compute_efficiency becomes that rate over
    // the 16-bit peak, at most 1). Hardware without the two figures keeps the set's values.
    std::optional<double> sm_bytes_per_cycle;
    std::optional<double> sm_quantized_flops_per_cycle;
    std::optional<double> per_step_overhead_ms;
    std::optional<double> per_layer_overhead_us;
    std::optional<double> moe_layer_overhead_us;
    // Host time per layer, and extra per MoE layer, of a step that runs outside CUDA graphs (one
    // that carries prompt tokens beyond the engine's cuda_graph_max_tokens).
    std::optional<double> eager_layer_overhead_us;
    std::optional<double> eager_moe_layer_overhead_us;
    std::optional<double> allreduce_latency_us;
    std::optional<double> ttft_fixed_ms;
    std::optional<double> ttft_batch_exponent;
    std::string source;
};

enum class MultiGpu { tensor_parallel, layer_split };

// A serving engine profile (data/engines.json).
// One engine's routed-expert GEMM kernels for one MoE weight format, timed alone on an H100
// (docs/method.md "MoE expert kernels", scripts/moe_kernel_study.py): T tokens on a GPU of a
// replica whose experts are split EP ways whole and gpus / EP ways by columns, each GPU holding
// w = moe_intermediate_size / (gpus / EP) columns of its experts, take
// 6 h [(T k / EP) (w + routed_columns) + T token_columns] / (peak x efficiency) of compute; with
// the touched experts' bytes at the memory bandwidth, the layer takes (m^n + c^n)^(1/n), n the
// kernels' measured ridge_exponent (where memory and compute times meet, a kernel takes longer
// than the larger of them).
struct MoeExpertKernel {
    std::string weight_format;  // "bf16", "fp8" (per-tensor scales) or "fp8_block" (128 x 128 blocks)
    double efficiency = 1.0;    // share of the format's peak for the law's work
    double routed_columns = 0;  // GEMM columns of work per token routed to the GPU's experts
    double token_columns = 0;   // GEMM columns of work per token entering the GPU's MoE layer
    double ridge_exponent = 1;  // n >= 1 of (m^n + c^n)^(1/n)
    // The kernel's memory side: the share of the GPU's bandwidth its reads of the touched experts
    // reach (0: absent, the engine's memory_efficiency) and a fixed time per MoE layer and step
    // (launches, routing, the tail of small GEMMs), both from the kernels timed at few tokens.
    double memory_efficiency = 0;
    double latency_us = 0;
    std::string source;
    // The GPUs the law was timed on, as parts of a hardware id ("b200" names b200 and gb200); empty:
    // every GPU without a law of its own for the format.
    std::vector<std::string> hardware_ids_containing;
};
// The names a MoeExpertKernel's weight_format takes: "bf16, fp8, fp8_block".
bool is_moe_kernel_format(const std::string& name);
std::string moe_kernel_format_names();  // "bf16, fp8, fp8_block"

struct Engine {
    std::string id;
    std::string name;
    bool continuous_batching = true;
    // Prompt chunks share a step with the running decodes (vLLM, TensorRT-LLM); false: a prefill
    // batch runs alone, and first whenever requests wait (SGLang's default). The serving
    // simulation reads it (docs/method.md, "Serving simulation").
    bool mixed_prefill = true;
    // Its GEMMs on FP16 weights accumulate in FP16 (llama.cpp's cuBLAS call, CUBLAS_COMPUTE_16F):
    // an fp16 variant's GEMMs (prefill and decode compute) run at the hardware's
    // fp16_accumulate_peak_tflops where it has one.
    bool fp16_accumulate = false;
    // It runs 2:4 structured-sparse GEMMs (sparse tensor cores) on a 2:4 sparse checkpoint and
    // keeps it packed (half the values plus index metadata). False, the default and every
    // shipped engine's value: it serves such a checkpoint as the dense weights it holds, zeros
    // included, at the dense rate (docs/method.md, "Memory").
    bool sparse_2_4_kernels = false;
    // A model with sliding-window layers: true ("window", the default) when the engine frees what
    // falls out of a window layer's window (vLLM's hybrid KV cache manager, llama.cpp's SWA
    // cache), false ("full") when it holds every layer's cache at the whole context (SGLang for
    // most such models, TensorRT-LLM without a per-layer attention window) while its attention
    // still reads the window (docs/method.md, "Sliding-window attention").
    bool sliding_window_kv_freed = true;
    // Model types (an architecture's model_type) whose window the engine does not apply at all:
    // their attention and KV cache span the whole context (SGLang and llama.cpp run Mistral's
    // checkpoints as Llama's).
    std::vector<std::string> no_sliding_window_model_types;
    MultiGpu multi_gpu = MultiGpu::tensor_parallel;
    std::optional<double> runtime_overhead_gib;
    std::optional<double> communication_buffer_gib;
    std::optional<double> usable_memory_fraction;
    // Scheduler defaults (docs/method.md): sequences running at once, tokens per step.
    std::optional<std::int64_t> max_num_seqs;
    std::optional<std::int64_t> max_num_batched_tokens;
    // Smaller scheduler defaults on smaller GPUs (vLLM's EngineArgs: 256 sequences and 2,048
    // tokens per step below 70 GiB of device memory, or on an A100 of any size; SGLang's memory
    // tiers of chunked_prefill_size): a rule replaces the two above on hardware with less than
    // below_memory_gib of memory (memory_gb * 1e9 bytes) or whose id contains one of
    // hardware_ids_containing. Rules are tried in order and the first that applies wins.
    struct SmallGpuScheduler {
        double below_memory_gib = 0;
        std::vector<std::string> hardware_ids_containing;
        std::optional<std::int64_t> max_num_seqs;
        std::optional<std::int64_t> max_num_batched_tokens;
    };
    std::vector<SmallGpuScheduler> small_gpu_scheduler;
    // The data file gave small_gpu_scheduler as a list of rules (written back as one).
    bool small_gpu_scheduler_is_list = false;
    // The most tokens a step that carries prompt tokens may hold and still replay a CUDA graph
    // (vLLM's piecewise graphs); absent or 0: such steps always run eagerly (SGLang, TensorRT-LLM).
    std::optional<std::int64_t> cuda_graph_max_tokens;
    // The share of the hardware's 16-bit peak its attention kernels (FlashAttention and the like)
    // reach on a prompt's attention FLOPs, QK^T and PV, whatever the weights' format: the engines
    // run attention in 16 bits by default. Absent: those FLOPs run at the GEMMs' rate.
    std::optional<double> attention_kernel_efficiency;
    // Batch waiting (TensorRT-LLM's batch_wait_timeout_iters and batch_wait_max_tokens_ratio):
    // while sequences decode, waiting prompts are held back for up to batch_wait_timeout_iters
    // steps, or until the step's tokens (the held prompts' and one per decode) reach
    // batch_wait_max_tokens_ratio of max_num_batched_tokens (docs/method.md, "Batch waiting").
    // Absent or 0 (either of them): prompts are never held.
    std::optional<std::int64_t> batch_wait_timeout_iters;
    std::optional<double> batch_wait_max_tokens_ratio;
    std::vector<EngineFactors> factors;
    // What the engine can serve (docs/ranking.md, "Engine capabilities"); empty: anything.
    std::vector<std::string> vendors;         // hardware vendors it runs on
    std::vector<std::string> weight_formats;  // serving formats (select/topology.hpp serving_format)
    // The KV-cache element type the engine stores by default, per serving format ("fp8" ->
    // "fp8"): "auto" (the variant's own kv_cache_bits, the model's 16-bit type), "fp16", "bf16"
    // or "fp8". A format not listed is "auto" (docs/data-format.md, docs/method.md "KV cache").
    std::map<std::string, std::string> kv_cache_dtype;
    // Its routed-expert kernels by MoE weight format; empty: the experts run at the roofline.
    std::vector<MoeExpertKernel> moe_expert_kernels;
    std::string source;
    SourceMap sources;
    // The data file that first defined this engine, as messages name it ("data/engines.json" for
    // the built-in one, else the --data path), and a later file whose entry of the same id set a
    // key (an overlay merges into an engine key by key): by top-level key ("factors" for the factor
    // sets), or, where the overlay's value is an object, which merges key by key, by "KEY/SUBKEY".
    // Not written back.
    std::string defined_in;
    std::map<std::string, std::string> key_defined_in;
    // "KEY/SUBKEY" entries of an object key that a later file set without a sources text of its
    // own: the key's sources text, kept for the entries it did not set, does not describe them.
    std::set<std::string> unsourced_entries;
    // The file that gave `key` ("KEY" or "KEY/SUBKEY") its value: the key's own entry; for a
    // sub-key, else its parent's; for a key, else a file that set one of its sub-keys; else the
    // defining file. "no data file" for an engine built in code.
    std::string file_of(const std::string& key) const;
};

// The key of an engine's data file that holds the value a `sources` entry describes: "factors"
// for eager_layer_overhead_us (the eager overheads sit in every factor set), else the key itself.
std::string engine_data_key(const std::string& source_key);
// The sources entries whose value a data key holds besides its own (engine_data_key's inverse).
std::vector<std::string> engine_source_keys_in(const std::string& data_key);

// The names --kv-cache-dtype and an engine's kv_cache_dtype take: "auto, fp16, bf16, fp8".
bool is_kv_cache_dtype(const std::string& name);
std::string kv_cache_dtype_names();
// Bits per stored KV element of a named type: 16 (fp16, bf16), 8 (fp8); none for "auto".
std::optional<double> kv_cache_dtype_bits(const std::string& name);
// The KV-cache type the engine stores for this model and variant by default: its kv_cache_dtype
// entry for the variant's serving format, else "auto" (no engine: "auto"). An entry "fp8" is the
// type the engine reads from the checkpoint: where the model's checkpoint_kv_cache_dtype for the
// format is given, that type instead ("auto": the checkpoint names none, the model's 16-bit type).
std::string engine_kv_cache_dtype(const Engine* engine, const Model& model, const Variant& variant);
// Whether the model's checkpoint overrides the engine's "fp8" KV-cache entry for this variant
// (engine_kv_cache_dtype follows the checkpoint).
bool checkpoint_sets_kv_cache_dtype(const Engine* engine, const Model& model, const Variant& variant);
// An engine's default FP8 KV cache on hardware with no FP8 peak in the catalog (A100, A10, A40:
// FP8 KV needs FP8 hardware, compute capability 8.9 and later) stays 16-bit.
std::optional<double> engine_kv_cache_bits_on(const Hardware& hardware, std::optional<double> engine_bits);
// The KV-cache bits a request for this model and variant on this engine uses: `flag_bits` (the user's
// --kv-cache-dtype) when given, else the engine's default (engine_kv_cache_bits_on the hardware
// when given); none: the variant's kv_cache_bits. One function for the estimate command, the
// search (which resolves the default once per pair, then the hardware per candidate) and the
// validation harness.
std::optional<double> kv_cache_bits_for(const Engine* engine, const Model& model, const Variant& variant,
                                        std::optional<double> flag_bits = std::nullopt,
                                        const Hardware* hardware = nullptr);

inline constexpr const char* k_default_engine_id = "vllm";

struct Catalog {
    std::vector<Model> models;
    std::vector<Variant> variants;
    std::vector<Hardware> hardware;
    std::vector<Scenario> scenarios;
    std::vector<Engine> engines;
    MultiTaskDefaults multi_task;

    const Engine* find_engine(const std::string& id) const;
    const Engine& engine(const std::string& id) const;
    const Model* find_model(const std::string& id) const;
    const Variant* find_variant(const std::string& id) const;
    const Hardware* find_hardware(const std::string& id) const;
    const Scenario* find_scenario(const std::string& id) const;
    // Same, but throw a usage Error with "did you mean" when the id is unknown. model() also
    // resolves a deprecated id, with a warning (core/notices.hpp).
    const Model& model(const std::string& id) const;
    const Variant& variant(const std::string& id) const;
    const Hardware& hardware_by_id(const std::string& id) const;
    const Scenario& scenario(const std::string& id) const;
    // The model whose deprecated_ids hold `id`, or null.
    const Model* find_model_by_deprecated_id(const std::string& id) const;
};

}  // namespace dsselect
