#include "dsselect/estimate/estimator.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>

#include <fmt/format.h>

namespace dsselect {

namespace {
constexpr double k_bits_per_byte = 8.0;
// The hidden states between layers (the residual stream, the tensor-parallel all-reduces, the
// step's activation buffers) stay in 16 bits under W8A8 and FP8 variants: vLLM, SGLang and
// TensorRT-LLM quantize a matrix product's input inside the layer and return its output in the
// model's 16-bit type (docs/method.md, "Activations"). A variant with wider activations keeps them.
constexpr double k_residual_stream_bits = 16.0;
constexpr double k_ms_per_s = 1000.0;
constexpr double k_flops_per_tflop = 1e12;
// 2:4 structured sparsity keeps 2 of every 4 values and a 2-bit index per kept value.
constexpr double k_sparse_2_4_kept_fraction = 0.5;
constexpr double k_sparse_2_4_index_bits = 2.0;
// Sparse tensor cores double the dense matrix peak (NVIDIA Ampere and later datasheets).
constexpr double k_sparse_2_4_speedup = 2.0;

[[gnu::noinline]] void record_item(Trace& trace, const char* name, double value, const char* unit, const char* formula) {
    trace.push_back({name, value, unit, formula});
}

// std::pow, remembered: a search raises the same few bases to the same few batch sizes
// hundreds of thousands of times (expert, weight and adapter touch probabilities, TTFT
// sharing). Each thread keeps a small direct-mapped table keyed by the exact bits of both
// arguments, so a hit returns exactly what std::pow returned.
double remembered_pow(double base, double exponent) {
    struct Entry {
        std::uint64_t base = 0;
        std::uint64_t exponent = 0;
        double value = 0;
        bool used = false;
    };
    constexpr unsigned k_index_bits = 8;
    thread_local std::array<Entry, std::size_t{1} << k_index_bits> table{};
    const auto base_bits = std::bit_cast<std::uint64_t>(base);
    const auto exponent_bits = std::bit_cast<std::uint64_t>(exponent);
    const std::uint64_t mixed = (base_bits * 0x9e3779b97f4a7c15ULL) ^ (exponent_bits * 0xc2b2ae3d27d4eb4fULL);
    Entry& entry = table[static_cast<std::size_t>(mixed >> (64 - k_index_bits))];
    if (!entry.used || entry.base != base_bits || entry.exponent != exponent_bits) {
        entry = {base_bits, exponent_bits, std::pow(base, exponent), true};
    }
    return entry.value;
}

// Free when no trace is asked for: the estimate is the search's inner loop.
inline void record(Trace* trace, const char* name, double value, const char* unit, const char* formula) {
    if (trace != nullptr) [[unlikely]] {
        record_item(*trace, name, value, unit, formula);
    }
}

// The formulas below are written once, over the count type: std::int64_t for the estimate, double
// for the catalog loader's bound (largest_parameter_count), which cannot overflow.
template <typename N>
N attention_parameters_per_layer(const Architecture& a) {
    const N d = static_cast<N>(a.hidden_size);
    const N h = static_cast<N>(a.num_attention_heads);
    if (a.is_mla()) {
        const N q_lora = static_cast<N>(a.q_lora_rank);
        const N kv_lora = static_cast<N>(a.kv_lora_rank);
        const N qk_dim = static_cast<N>(a.qk_nope_head_dim) + static_cast<N>(a.qk_rope_head_dim);
        const N q = a.q_lora_rank > 0 ? d * q_lora + q_lora + q_lora * h * qk_dim : d * h * qk_dim;
        const N kv_down = d * (kv_lora + static_cast<N>(a.qk_rope_head_dim)) + kv_lora;
        const N kv_up = kv_lora * h * (static_cast<N>(a.qk_nope_head_dim) + static_cast<N>(a.v_head_dim));
        const N out = h * static_cast<N>(a.v_head_dim) * d;
        return q + kv_down + kv_up + out;
    }
    const N dh = static_cast<N>(a.effective_head_dim());
    const N kv = static_cast<N>(a.effective_kv_heads());
    return d * h * dh + 2 * d * kv * dh + h * dh * d;
}

template <typename N>
BasicParameterCounts<N> count_parameters_as(const Architecture& a) {
    BasicParameterCounts<N> p;
    const N d = static_cast<N>(a.hidden_size);
    const N layers = static_cast<N>(a.num_hidden_layers);
    const N vocab = static_cast<N>(a.vocab_size);
    p.embedding = vocab * d;
    p.output_head = a.tie_word_embeddings ? 0 : vocab * d;
    p.attention = layers * attention_parameters_per_layer<N>(a);
    // RMSNorm/LayerNorm weights: two per layer and a final one.
    p.norms = layers * 2 * d + d;
    const N dense_layers = static_cast<N>(a.dense_layers());
    const N moe_layers = static_cast<N>(a.moe_layers());
    // Gated FFN (gate, up, down): 3 * d * d_ff.
    p.dense_ffn = dense_layers * 3 * d * static_cast<N>(a.intermediate_size);
    N active_routed = 0;
    if (a.is_moe()) {
        const N expert = 3 * d * static_cast<N>(a.moe_intermediate_size);
        p.routed_experts = moe_layers * static_cast<N>(a.n_routed_experts) * expert;
        p.shared_experts = moe_layers * static_cast<N>(a.n_shared_experts) * expert;
        p.router = moe_layers * d * static_cast<N>(a.n_routed_experts);
        active_routed = moe_layers * static_cast<N>(a.num_experts_per_tok) * expert;
    }
    p.total = p.embedding + p.output_head + p.attention + p.norms + p.dense_ffn + p.routed_experts +
              p.shared_experts + p.router;
    p.active = p.total - p.routed_experts + active_routed;
    // The head multiplies by a V x d matrix whether or not it is tied to the embedding.
    p.active_matmul = p.active - p.embedding - p.output_head + vocab * d - p.norms;
    p.head_matmul = vocab * d;
    return p;
}
}  // namespace

ParameterCounts count_parameters(const Architecture& a) {
    return count_parameters_as<std::int64_t>(a);
}

double largest_parameter_count(const Architecture& a) {
    const BasicParameterCounts<double> p = count_parameters_as<double>(a);
    // One dense FFN and one expert are formed even where no layer has them (layer_parameters), and
    // a token's FFN width, its k routed and shared experts (the activations' size).
    const double d = static_cast<double>(a.hidden_size);
    const double ffn = 3.0 * d * static_cast<double>(std::max(a.intermediate_size, a.moe_intermediate_size));
    const double token_experts = 3.0 * d * static_cast<double>(a.moe_intermediate_size) *
                                 (static_cast<double>(a.num_experts_per_tok) + static_cast<double>(a.n_shared_experts));
    return std::max({p.total, p.active_matmul, ffn, token_experts});
}

std::int64_t layer_parameters(const Architecture& a, std::int64_t layer) {
    const std::int64_t d = a.hidden_size;
    const std::int64_t attention_and_norms = attention_parameters_per_layer<std::int64_t>(a) + 2 * d;
    if (a.is_dense_layer(layer)) {
        return attention_and_norms + 3 * d * a.intermediate_size;
    }
    const std::int64_t expert = 3 * d * a.moe_intermediate_size;
    return attention_and_norms + (a.n_routed_experts + a.n_shared_experts) * expert + d * a.n_routed_experts;
}

ParameterCounts model_parameters(const Model& model) {
    ParameterCounts p = count_parameters(model.architecture);
    if (model.parameters_override && p.total > 0) {
        const double scale = static_cast<double>(*model.parameters_override) / static_cast<double>(p.total);
        auto scaled = [scale](std::int64_t count) { return static_cast<std::int64_t>(std::llround(count * scale)); };
        p.embedding = scaled(p.embedding);
        p.output_head = scaled(p.output_head);
        p.attention = scaled(p.attention);
        p.dense_ffn = scaled(p.dense_ffn);
        p.routed_experts = scaled(p.routed_experts);
        p.shared_experts = scaled(p.shared_experts);
        p.router = scaled(p.router);
        p.norms = scaled(p.norms);
        p.active = scaled(p.active);
        p.active_matmul = scaled(p.active_matmul);
        p.head_matmul = scaled(p.head_matmul);
        p.total = *model.parameters_override;
    }
    return p;
}

// Weight matrices a layer unit stands for (the fit rows' layers), and a FFN's (or the routed
// experts') share of them: an up (with gate) and a down projection.
constexpr double k_fitted_layer_matrices = 4.0;
constexpr double k_routed_expert_matrices = 2.0;

double layer_overhead_units(const Architecture& a) {
    const double attention_matrices = a.is_mla() ? 4.0 : 2.0;
    const double ffn_matrices = k_routed_expert_matrices;  // a dense layer's MLP, or a MoE layer's routed experts
    const double shared_expert_matrices = a.n_shared_experts > 0 ? 2.0 : 0.0;
    return (static_cast<double>(a.dense_layers()) * (attention_matrices + ffn_matrices) +
            static_cast<double>(a.moe_layers()) * (attention_matrices + ffn_matrices + shared_expert_matrices)) /
           k_fitted_layer_matrices;
}

std::int64_t kv_cache_elements_per_token(const Architecture& a) {
    if (a.is_mla()) {
        return a.num_hidden_layers * (a.kv_lora_rank + a.qk_rope_head_dim);
    }
    return 2 * a.num_hidden_layers * a.effective_kv_heads() * a.effective_head_dim();
}

double kv_cache_elements_per_token_per_gpu(const Architecture& a, std::int64_t gpus) {
    if (a.is_mla()) {
        return static_cast<double>(kv_cache_elements_per_token(a));
    }
    const double heads_per_gpu =
        std::max(static_cast<double>(a.effective_kv_heads()) / static_cast<double>(gpus), 1.0);
    return 2.0 * static_cast<double>(a.num_hidden_layers) * heads_per_gpu * static_cast<double>(a.effective_head_dim());
}

namespace {
// The KV held (and read) by an engine that keeps every layer's cache at the whole context.
const Architecture k_no_window{};
}  // namespace

double sliding_layer_share(const Architecture& a) {
    return a.has_sliding_window() ? static_cast<double>(a.sliding_window_layers) / static_cast<double>(a.num_hidden_layers)
                                  : 0.0;
}

double kv_positions(const Architecture& a, double context_tokens) {
    if (!a.has_sliding_window()) {
        return context_tokens;
    }
    const double window = static_cast<double>(a.sliding_window);
    return context_tokens - sliding_layer_share(a) * std::max(context_tokens - window, 0.0);
}

bool applies_sliding_window(const Architecture& a, const EfficiencyProfile& profile) {
    if (!a.has_sliding_window()) {
        return false;
    }
    const std::vector<std::string>* skipped = profile.no_sliding_window_model_types;
    return skipped == nullptr || a.model_type.empty() ||
           std::find(skipped->begin(), skipped->end(), a.model_type) == skipped->end();
}

double mean_kv_positions(const Architecture& a, double prompt_tokens, double output_tokens) {
    if (!a.has_sliding_window()) {
        return prompt_tokens + output_tokens / 2.0;
    }
    // The mean of max(C - W, 0) over C from P to P + O.
    const double window = static_cast<double>(a.sliding_window);
    const double end = prompt_tokens + output_tokens;
    double beyond = 0.0;
    if (output_tokens <= 0.0 || prompt_tokens >= window) {
        beyond = std::max(prompt_tokens + output_tokens / 2.0 - window, 0.0);
    } else if (end > window) {
        beyond = (end - window) * (end - window) / (2.0 * output_tokens);
    }
    return prompt_tokens + output_tokens / 2.0 - sliding_layer_share(a) * beyond;
}

double prompt_key_positions(const Architecture& a, double prompt_tokens) {
    if (!a.has_sliding_window() || prompt_tokens <= static_cast<double>(a.sliding_window)) {
        return prompt_tokens;
    }
    // Query i of P attends to min(i, W) keys: sum W^2/2 + (P - W) W, against P^2/2 at full attention.
    const double window = static_cast<double>(a.sliding_window);
    const double windowed = 2.0 * window - window * window / prompt_tokens;
    const double share = sliding_layer_share(a);
    return (1.0 - share) * prompt_tokens + share * windowed;
}

namespace {
double weight_bytes_at(double parameters, double bits, const Variant& variant, bool packed_2_4) {
    const double kept = parameters * variant.parameter_fraction;
    if (packed_2_4 && variant.structured_sparsity_2_4) {
        const double stored = kept * k_sparse_2_4_kept_fraction;
        return stored * (bits + k_sparse_2_4_index_bits) / k_bits_per_byte;
    }
    return kept * bits / k_bits_per_byte;
}
}  // namespace

double weight_bytes(double parameters, const Variant& variant, bool packed_2_4) {
    return weight_bytes_at(parameters, variant.weight_bits, variant, packed_2_4);
}

const char* to_string(WeightGroup group) {
    switch (group) {
    case WeightGroup::attention: return "attention";
    case WeightGroup::ffn: return "ffn";
    case WeightGroup::embedding: return "embedding";
    case WeightGroup::head: return "head";
    }
    return "attention";
}

double group_weight_bits(const Variant& variant, WeightGroup group) {
    if (!variant.bits_per_group) {
        return variant.weight_bits;
    }
    const GroupBits& bits = *variant.bits_per_group;
    switch (group) {
    case WeightGroup::attention: return bits.attention.value_or(variant.weight_bits);
    case WeightGroup::ffn: return bits.ffn.value_or(variant.weight_bits);
    case WeightGroup::embedding: return bits.embedding.value_or(variant.weight_bits);
    case WeightGroup::head: return bits.head.value_or(variant.weight_bits);
    }
    return variant.weight_bits;
}

std::int64_t group_parameters(const ParameterCounts& p, WeightGroup group) {
    switch (group) {
    // The norms (2 d per layer + d) are a few thousandths of a percent: kept with attention.
    case WeightGroup::attention: return p.attention + p.norms;
    case WeightGroup::ffn: return p.dense_ffn + p.routed_experts + p.shared_experts + p.router;
    case WeightGroup::embedding: return p.embedding;
    case WeightGroup::head: return p.output_head;
    }
    return 0;
}

double GroupWeightBytes::of(WeightGroup group) const {
    switch (group) {
    case WeightGroup::attention: return attention;
    case WeightGroup::ffn: return ffn;
    case WeightGroup::embedding: return embedding;
    case WeightGroup::head: return head;
    }
    return 0.0;
}

GroupWeightBytes weight_bytes_by_group(const ParameterCounts& p, const Variant& variant, bool packed_2_4) {
    auto bytes = [&](WeightGroup group) {
        return weight_bytes_at(static_cast<double>(group_parameters(p, group)), group_weight_bits(variant, group), variant,
                               packed_2_4);
    };
    GroupWeightBytes out;
    out.attention = bytes(WeightGroup::attention);
    out.ffn = bytes(WeightGroup::ffn);
    out.embedding = bytes(WeightGroup::embedding);
    out.head = bytes(WeightGroup::head);
    out.total = out.attention + out.ffn + out.embedding + out.head;
    return out;
}

double model_weight_bytes(const ParameterCounts& p, const Variant& variant, bool packed_2_4) {
    // Without per-group bits, the pinned total (parameters_override) is used as it is, not the
    // sum of its rounded scaled groups.
    return variant.bits_per_group ? weight_bytes_by_group(p, variant, packed_2_4).total
                                  : weight_bytes(static_cast<double>(p.total), variant, packed_2_4);
}

double model_weight_bytes(const Model& model, const Variant& variant) {
    return model_weight_bytes(model_parameters(model), variant);
}

bool exceeds_context_window(const Architecture& architecture, std::int64_t context_tokens) {
    return architecture.max_position_embeddings > 0 && context_tokens > architecture.max_position_embeddings;
}

double expected_experts_touched(double experts, double experts_per_token, double tokens) {
    if (experts <= 0.0) {
        return 0.0;
    }
    return experts * (1.0 - remembered_pow(1.0 - experts_per_token / experts, tokens));
}

std::optional<double> mixed_active_fraction(const std::vector<ComplexityClass>& mix, const Variant& variant) {
    if (mix.empty() || variant.active_fraction >= 1.0) {
        return std::nullopt;
    }
    double fraction = 0.0;
    for (const ComplexityClass& item : mix) {
        fraction += item.share * item.active_fraction;
    }
    return fraction;
}

std::int64_t adapter_parameters(const Architecture& a, const AdapterSpec& adapter) {
    if (adapter.kind == AdapterKind::head) {
        return adapter.parameters;
    }
    const std::int64_t d = a.hidden_size;
    const std::int64_t h = a.num_attention_heads;
    const std::int64_t dh = a.effective_head_dim();
    const std::int64_t layers = a.num_hidden_layers;
    const std::int64_t dense_layers = a.dense_layers();
    const std::int64_t moe_layers = a.moe_layers();
    const bool mla = a.is_mla();
    // Sum over layers of d_in + d_out of each target matrix; MLA's projections are taken as
    // served (queries d or q_lora_rank -> h (d_nope + d_rope); k: the KV down-projection d ->
    // r_kv + d_rope; v: the KV up-projection r_kv -> h (d_nope + d_v)). FFN targets attach to
    // dense FFNs and to MoE layers' shared experts, not to routed experts.
    std::int64_t width_sum = 0;
    for (AdapterModule module : adapter.target_modules) {
        switch (module) {
        case AdapterModule::q:
            width_sum += layers * (mla ? (a.q_lora_rank > 0 ? a.q_lora_rank : d) + h * (a.qk_nope_head_dim + a.qk_rope_head_dim)
                                       : d + h * dh);
            break;
        case AdapterModule::k:
            width_sum += layers * (mla ? d + a.kv_lora_rank + a.qk_rope_head_dim : d + a.effective_kv_heads() * dh);
            break;
        case AdapterModule::v:
            width_sum += layers * (mla ? a.kv_lora_rank + h * (a.qk_nope_head_dim + a.v_head_dim)
                                       : d + a.effective_kv_heads() * dh);
            break;
        case AdapterModule::o: width_sum += layers * ((mla ? h * a.v_head_dim : h * dh) + d); break;
        case AdapterModule::gate:
        case AdapterModule::up:
        case AdapterModule::down:
            width_sum += dense_layers * (d + a.intermediate_size) +
                         moe_layers * a.n_shared_experts * (d + a.moe_intermediate_size);
            break;
        }
    }
    return adapter.rank * width_sum;
}

namespace {
// The bytes of one task's adapter that a decode step of `batch` sequences reads: the adapter is
// in the batch with probability 1 - (1 - share)^batch.
double adapter_bytes_read(const AdapterRead& task, double batch) {
    return (1.0 - remembered_pow(1.0 - task.share, batch)) * task.bytes;
}

// adapter_load, keeping each task's share and bytes in `reads` (up to its size) for a plan
// that reads the adapters at other batch sizes.
AdapterLoad adapter_load_into(const Architecture& arch, const std::vector<TaskSpec>& tasks, double batch,
                              std::span<AdapterRead> reads) {
    AdapterLoad load;
    double share_sum = 0.0;
    for (const TaskSpec& task : tasks) {
        share_sum += task.share;
    }
    std::size_t index = 0;
    for (const TaskSpec& task : tasks) {
        const double parameters = static_cast<double>(adapter_parameters(arch, task.adapter));
        const double bytes = parameters * k_adapter_bits / k_bits_per_byte;
        const double share = share_sum > 0.0 ? task.share / share_sum : 1.0 / static_cast<double>(tasks.size());
        const AdapterRead read{share, bytes};
        if (index < reads.size()) {
            reads[index++] = read;
        }
        load.parameters += parameters;
        load.resident_bytes += bytes;
        load.mean_parameters_per_token += share * parameters;
        load.mean_bytes_per_request += share * bytes;
        load.bytes_read_per_step += adapter_bytes_read(read, batch);
    }
    return load;
}
}  // namespace

AdapterLoad adapter_load(const Architecture& arch, const std::vector<TaskSpec>& tasks, double batch) {
    return adapter_load_into(arch, tasks, batch, {});
}

EfficiencyProfile default_profile(HardwareKind kind) {
    EfficiencyProfile profile;
    if (kind == HardwareKind::edge) {
        // Assumption: an on-device runtime (llama.cpp / vendor NPU SDK) needs tens of MB and
        // the device's memory_gb is already what an app may use.
        profile.runtime_overhead_bytes = 0.05e9;
        profile.communication_buffer_bytes = 0.0;
        profile.usable_memory_fraction = 1.0;
        profile.per_step_overhead_ms = 1.0;
        profile.load_power_fraction = 1.0;
        profile.compute_efficiency = 0.5;
        profile.memory_efficiency = 0.6;
        profile.max_batched_tokens = 512;
    }
    return profile;
}

namespace {
// The factor set's SM-cycle laws on hardware that lists its SMs and clock (sm_laws_apply):
// memory_efficiency = min(its value, SMs x clock x b / bandwidth), quantized_compute_efficiency =
// min(1, SMs x clock x q / 16-bit peak). Cold: engine_profile runs once per configuration, and
// inlined there its size shifts the hot estimator code.
[[gnu::cold]] void apply_sm_laws(const EngineFactors& set, const Hardware& hardware, EfficiencyProfile& profile) {
    if (!sm_laws_apply(set, hardware)) {  // the one test --explain reads too
        return;
    }
    const double sm_cycles_per_s = static_cast<double>(*hardware.sm_count) * *hardware.boost_clock_mhz * 1e6;
    if (set.sm_bytes_per_cycle && hardware.memory_bandwidth_gb_per_s > 0.0) {
        profile.memory_efficiency =
            std::min(profile.memory_efficiency,
                     sm_cycles_per_s * *set.sm_bytes_per_cycle / (hardware.memory_bandwidth_gb_per_s * k_bytes_per_gb));
    }
    const std::optional<double> fp16_peak = hardware.peak_tflops_at(Precision::fp16);
    if (set.sm_quantized_flops_per_cycle && fp16_peak) {
        profile.quantized_compute_efficiency =
            std::min(1.0, sm_cycles_per_s * *set.sm_quantized_flops_per_cycle / (*fp16_peak * k_flops_per_tflop));
    }
}

// Whether the hardware's id contains one of `parts` (a data file's hardware_ids_containing).
bool hardware_id_contains_any(const Hardware& hardware, const std::vector<std::string>& parts) {
    return std::any_of(parts.begin(), parts.end(),
                       [&](const std::string& part) { return hardware.id.find(part) != std::string::npos; });
}
}  // namespace

const Engine::SmallGpuScheduler* small_gpu_scheduler(const Engine& engine, const Hardware& hardware) {
    // The first rule, in the data file's order, that applies to this hardware.
    for (const Engine::SmallGpuScheduler& rule : engine.small_gpu_scheduler) {
        const bool small = hardware.memory_gb * k_bytes_per_gb < rule.below_memory_gib * k_bytes_per_gib;
        const bool named = hardware_id_contains_any(hardware, rule.hardware_ids_containing);
        if (small || named) {
            return &rule;
        }
    }
    return nullptr;
}

EfficiencyProfile engine_profile(const Engine* engine, const Hardware& hardware, Precision precision) {
    EfficiencyProfile profile = default_profile(hardware.kind);
    if (engine == nullptr) {
        return profile;
    }
    profile.continuous_batching = engine->continuous_batching;
    profile.mixed_prefill = engine->mixed_prefill;
    profile.sliding_window_kv_freed = engine->sliding_window_kv_freed;
    profile.no_sliding_window_model_types = &engine->no_sliding_window_model_types;
    profile.fp16_accumulate = engine->fp16_accumulate;
    profile.sparse_2_4_kernels = engine->sparse_2_4_kernels;
    profile.layer_split = engine->multi_gpu == MultiGpu::layer_split;
    profile.max_num_seqs = engine->max_num_seqs.value_or(profile.max_num_seqs);
    profile.max_batched_tokens = engine->max_num_batched_tokens.value_or(profile.max_batched_tokens);
    if (const Engine::SmallGpuScheduler* small = small_gpu_scheduler(*engine, hardware)) {
        profile.max_num_seqs = small->max_num_seqs.value_or(profile.max_num_seqs);
        profile.max_batched_tokens = small->max_num_batched_tokens.value_or(profile.max_batched_tokens);
    }
    profile.cuda_graph_max_tokens = engine->cuda_graph_max_tokens.value_or(profile.cuda_graph_max_tokens);
    profile.batch_wait_timeout_iters = engine->batch_wait_timeout_iters.value_or(profile.batch_wait_timeout_iters);
    profile.batch_wait_max_tokens_ratio = engine->batch_wait_max_tokens_ratio.value_or(profile.batch_wait_max_tokens_ratio);
    if (hardware.kind == HardwareKind::gpu) {
        // Edge devices keep their own attention rate and small overheads whatever the engine.
        profile.attention_efficiency = engine->attention_kernel_efficiency.value_or(profile.attention_efficiency);
        if (engine->runtime_overhead_gib) {
            profile.runtime_overhead_bytes = *engine->runtime_overhead_gib * k_bytes_per_gib;
        }
        if (engine->communication_buffer_gib) {
            profile.communication_buffer_bytes = *engine->communication_buffer_gib * k_bytes_per_gib;
        }
        if (engine->usable_memory_fraction) {
            profile.usable_memory_fraction = *engine->usable_memory_fraction;
        }
    }
    if (const EngineFactors* found = matching_factors(engine, hardware, precision)) {
        const EngineFactors& set = *found;
        profile.compute_efficiency = set.compute_efficiency.value_or(profile.compute_efficiency);
        profile.quantized_compute_efficiency = set.quantized_compute_efficiency.value_or(profile.quantized_compute_efficiency);
        profile.memory_efficiency = set.memory_efficiency.value_or(profile.memory_efficiency);
        profile.per_step_overhead_ms = set.per_step_overhead_ms.value_or(profile.per_step_overhead_ms);
        profile.per_layer_overhead_us = set.per_layer_overhead_us.value_or(profile.per_layer_overhead_us);
        profile.moe_layer_overhead_us = set.moe_layer_overhead_us.value_or(profile.moe_layer_overhead_us);
        profile.eager_layer_overhead_us = set.eager_layer_overhead_us.value_or(profile.eager_layer_overhead_us);
        profile.eager_moe_layer_overhead_us = set.eager_moe_layer_overhead_us.value_or(profile.eager_moe_layer_overhead_us);
        profile.allreduce_latency_us = set.allreduce_latency_us.value_or(profile.allreduce_latency_us);
        profile.ttft_fixed_ms = set.ttft_fixed_ms.value_or(profile.ttft_fixed_ms);
        profile.ttft_batch_exponent = set.ttft_batch_exponent.value_or(profile.ttft_batch_exponent);
        apply_sm_laws(set, hardware, profile);
    }
    // The kernel laws were timed on a data-centre GPU; edge devices keep the roofline.
    if (hardware.kind == HardwareKind::gpu) {
        if (precision == Precision::fp16 || precision == Precision::bf16) {
            profile.moe_kernel = moe_kernel_law(engine, "bf16", hardware);
        } else if (precision == Precision::fp8) {
            profile.moe_kernel = moe_kernel_law(engine, "fp8", hardware);
            profile.moe_kernel_block_scaled = moe_kernel_law(engine, "fp8_block", hardware);
        }
    }
    return profile;
}

const MoeExpertKernel* moe_expert_kernel(const Engine* engine, const std::string& weight_format, const Hardware& hardware) {
    if (engine == nullptr) {
        return nullptr;
    }
    const MoeExpertKernel* any_gpu = nullptr;
    for (const MoeExpertKernel& kernel : engine->moe_expert_kernels) {
        if (kernel.weight_format != weight_format) {
            continue;
        }
        if (kernel.hardware_ids_containing.empty()) {
            any_gpu = any_gpu == nullptr ? &kernel : any_gpu;
        } else if (hardware_id_contains_any(hardware, kernel.hardware_ids_containing)) {
            return &kernel;
        }
    }
    return any_gpu;
}

MoeKernelLaw moe_kernel_law(const Engine* engine, const std::string& weight_format, const Hardware& hardware) {
    const MoeExpertKernel* kernel = moe_expert_kernel(engine, weight_format, hardware);
    if (kernel == nullptr) {
        return {};
    }
    return {kernel->efficiency,     kernel->routed_columns,    kernel->token_columns,
            kernel->ridge_exponent, kernel->memory_efficiency, kernel->latency_us};
}

std::string moe_kernel_format(const Model& model, const Variant& variant) {
    if (integer_quantized_weights(variant)) {
        return "";
    }
    switch (variant.compute_precision) {
    case Precision::fp16:
    case Precision::bf16: return "bf16";
    case Precision::fp8: return model.checkpoint_fp8_weight_scales == "block" ? "fp8_block" : "fp8";
    case Precision::int8:
    case Precision::int4: return "";
    }
    return "";
}

std::string expert_parallel_problem(const Model& model, const Engine* engine, std::int64_t gpus,
                                    std::int64_t expert_parallel) {
    const Architecture& a = model.architecture;
    if (!a.is_moe()) {
        return fmt::format("model '{}' has no routed experts", model.id);
    }
    if (expert_parallel == 1) {
        return "";
    }
    if (engine != nullptr && engine->multi_gpu == MultiGpu::layer_split) {
        return fmt::format("engine '{}' splits layers over the GPUs, not experts", engine->id);
    }
    if (expert_parallel < 1 || gpus % expert_parallel != 0) {
        return fmt::format("{} GPUs do not divide into expert-parallel groups of {}", gpus, expert_parallel);
    }
    if (a.n_routed_experts % expert_parallel != 0) {
        return fmt::format("{} routed experts do not split evenly over {} GPUs", a.n_routed_experts, expert_parallel);
    }
    return "";
}

MoeKernelLaw moe_kernel_law_for(const EfficiencyProfile& profile, const Model& model, const Variant& variant) {
    if (!model.architecture.is_moe() || profile.layer_split) {
        return {};
    }
    const std::string format = moe_kernel_format(model, variant);
    if (format == "fp8_block") {
        return profile.moe_kernel_block_scaled;
    }
    return format.empty() ? MoeKernelLaw{} : profile.moe_kernel;
}

const EngineFactors* matching_factors(const Engine* engine, const Hardware& hardware, Precision precision) {
    if (engine == nullptr) {
        return nullptr;
    }
    for (const EngineFactors& set : engine->factors) {
        const bool hardware_matches = set.hardware.empty() ||
                                      std::find(set.hardware.begin(), set.hardware.end(), hardware.id) != set.hardware.end();
        const bool vendor_matches = set.vendors.empty() ||
                                    std::find(set.vendors.begin(), set.vendors.end(), hardware.vendor) != set.vendors.end();
        const bool kind_matches = !set.hardware_kind || *set.hardware_kind == hardware.kind;
        const bool precision_matches = !set.precision || *set.precision == precision;
        if (hardware_matches && vendor_matches && kind_matches && precision_matches) {
            return &set;
        }
    }
    return nullptr;
}

const char* to_string(Feasibility feasibility) {
    switch (feasibility) {
    case Feasibility::ok: return "ok";
    case Feasibility::does_not_fit: return "does_not_fit";
    case Feasibility::precision_unsupported: return "precision_unsupported";
    case Feasibility::context_too_long: return "context_too_long";
    }
    return "ok";
}

namespace {

}  // namespace

// Ring all-reduces of one forward pass over `tokens` tokens: 2 per layer, each
// 2 (t-1)/t * size / link bandwidth + a per-call latency; size = tokens * d * max(activation_bits, 16) / 8.
// Everything but the tokens is fixed by the replica, so a plan prepares it once.
EstimatePlan::Allreduce::Allreduce(const Architecture& a, std::int64_t gpus, double bytes_per_activation,
                                   double link_gb_per_s, double latency_us)
    : active(gpus >= 2),
      hidden(static_cast<double>(a.hidden_size)),
      activation_bytes(bytes_per_activation),
      ring_share(2.0 * (static_cast<double>(gpus) - 1.0) / static_cast<double>(gpus)),
      // Callers refuse a replica of several devices without a link (gpu_count_problem); the
      // floor only keeps a library caller's division finite.
      link_bytes_per_s(std::max(link_gb_per_s, 1.0) * k_bytes_per_gb),
      latency_s(latency_us * 1e-6),
      calls(2.0 * static_cast<double>(a.num_hidden_layers)) {}

double EstimatePlan::Allreduce::ms(double tokens) const {
    if (!active) {
        return 0.0;
    }
    const double size_bytes = tokens * hidden * activation_bytes;
    const double per_call_s = ring_share * size_bytes / link_bytes_per_s + latency_s;
    return calls * per_call_s * k_ms_per_s;
}

namespace {

// Attention FLOPs per layer-head for one query token against `context` keys: QK^T and AV,
// 2 FLOPs per multiply-add each.
double attention_head_dim(const Architecture& a) {
    if (a.is_mla()) {
        return 0.5 * static_cast<double>(a.qk_nope_head_dim + a.qk_rope_head_dim + a.v_head_dim);
    }
    return static_cast<double>(a.effective_head_dim());
}

}  // namespace

namespace {
// The weights entries of the trace: by group when the variant sets bits_per_group.
void record_weights(Trace& trace, const ParameterCounts& p, const Variant& variant, bool packed_2_4,
                    double weights_bytes, double kept_parameters) {
    if (variant.bits_per_group) {
        const GroupWeightBytes groups = weight_bytes_by_group(p, variant, packed_2_4);
        for (WeightGroup group : k_all_weight_groups) {
            const std::string name = to_string(group);
            trace.push_back({"parameters." + name, static_cast<double>(group_parameters(p, group)), "parameters",
                             group == WeightGroup::attention ? "attention projections of all layers + norms"
                             : group == WeightGroup::ffn     ? "dense FFN + routed and shared experts + router"
                             : group == WeightGroup::embedding ? "V * d"
                                                               : "V * d when untied, else 0"});
            trace.push_back({"bits_per_group." + name, group_weight_bits(variant, group), "bits",
                             "variant bits_per_group." + name + " (weight_bits when absent)"});
            trace.push_back({"weights_bytes." + name, groups.of(group), "bytes",
                             packed_2_4 ? name + " parameters * parameter_fraction * 0.5 * (bits + 2) / 8"
                                        : name + " parameters * parameter_fraction * bits_per_group." + name + " / 8"});
        }
        trace.push_back({"weights_bytes_at_uniform_weight_bits", weight_bytes(static_cast<double>(p.total), variant, packed_2_4),
                         "bytes", "N * parameter_fraction * weight_bits / 8 (for comparison: one width for all)"});
        record(&trace, "weights_bytes", weights_bytes, "bytes", "sum of the per-group weight bytes");
        record(&trace, "effective_weight_bits", weights_bytes * k_bits_per_byte / std::max(kept_parameters, 1.0), "bits",
               "8 * weights_bytes / kept parameters");
    } else {
        record(&trace, "weights_bytes", weights_bytes, "bytes",
               packed_2_4 ? "N * parameter_fraction * 0.5 * (weight_bits + 2) / 8 (2:4 packed: the engine runs 2:4 kernels)"
               : variant.structured_sparsity_2_4
                   ? "N * parameter_fraction * weight_bits / 8 (2:4 sparse, served dense: the engine has no 2:4 kernels)"
                   : "N * parameter_fraction * weight_bits / 8");
    }
}
}  // namespace

// The batch-independent half of the estimate (docs/method.md). Each value is computed here
// exactly as estimate() computed it before the split, so at(B) is bit for bit what a single
// pass gives; at() records the trace in the documented order from these values.
EstimatePlan::EstimatePlan(const EstimateRequest& request)
    : m_request(&request),
      // Initialised here, so model_parameters' result is built in place rather than copied.
      m_parameters(request.parameters != nullptr ? *request.parameters : model_parameters(*request.model)) {
    const Model& model = *request.model;
    const Variant& variant = *request.variant;
    const Hardware& hw = *request.hardware;
    const Architecture& a = model.architecture;
    const EfficiencyProfile& profile = request.profile;
    m_gpus = static_cast<double>(request.gpus);
    m_prompt = static_cast<double>(request.prompt_tokens);
    m_output = static_cast<double>(request.output_tokens);
    m_sequence = m_prompt + m_output;
    // A sliding window as the engine runs it: attended (a decode's reads, a prompt's keys) and held
    // (not where the engine keeps a window layer's cache at the whole context).
    m_applies_window = applies_sliding_window(a, profile);
    const Architecture& attended = m_applies_window ? a : k_no_window;
    const Architecture& held_kv = m_applies_window && profile.sliding_window_kv_freed ? a : k_no_window;
    // Paged KV: a running sequence holds its prompt and, on average over its life, half its output.
    m_kv_tokens_per_sequence = profile.kv_full_reservation ? kv_positions(held_kv, m_sequence)
                                                           : mean_kv_positions(held_kv, m_prompt, m_output);
    const auto moe_layers = static_cast<double>(a.moe_layers());
    m_layer_units = layer_overhead_units(a);
    // Where an expert kernel law times the routed experts with its own fixed latency, their two
    // matrices leave the per-layer units of the step overhead (counted once, in the law's latency);
    // the eager step's host launches keep them.
    m_expert_law = moe_kernel_law_for(profile, model, variant);
    m_step_layer_units = m_layer_units;
    if (m_expert_law.efficiency > 0.0 && m_expert_law.latency_us > 0.0) {
        m_step_layer_units -= moe_layers * k_routed_expert_matrices / k_fitted_layer_matrices;
    }
    m_step_overhead_ms = profile.per_step_overhead_ms +
                         (m_step_layer_units * profile.per_layer_overhead_us +
                          moe_layers * profile.moe_layer_overhead_us) /
                             1000.0;
    m_eager_overhead_ms = (m_layer_units * profile.eager_layer_overhead_us +
                           moe_layers * profile.eager_moe_layer_overhead_us) /
                          1000.0;
    const std::int64_t context = request.context_tokens > 0 ? request.context_tokens
                                                            : request.prompt_tokens + request.output_tokens;

    // Parameters.
    const ParameterCounts& p = m_parameters;
    m_kept_parameters = static_cast<double>(p.total) * variant.parameter_fraction;
    m_active_fraction = request.active_fraction.value_or(variant.active_fraction);
    m_active_parameters = static_cast<double>(p.active) * variant.parameter_fraction * m_active_fraction;
    m_has_adapters = request.adapter_tasks != nullptr && !request.adapter_tasks->empty();
    // Everything but bytes_read_per_step is independent of the batch; that one is kept at batch 1.
    m_adapters_at_one = m_has_adapters ? adapter_load_into(a, *request.adapter_tasks, 1.0, m_adapter_reads) : AdapterLoad{};
    m_active_matmul = static_cast<double>(p.active_matmul) * variant.parameter_fraction * m_active_fraction +
                     m_adapters_at_one.mean_parameters_per_token;
    m_head_matmul = static_cast<double>(p.head_matmul) * variant.parameter_fraction * m_active_fraction;

    // Memory.
    const double kv_cache_bits = request.kv_cache_bits.value_or(variant.kv_cache_bits);
    const double bytes_kv = kv_cache_bits / k_bits_per_byte;
    const double bytes_act = std::max(variant.activation_bits, k_residual_stream_bits) / k_bits_per_byte;
    const bool packed_2_4 = packs_sparse_2_4(profile, variant);  // the engine decides how 2:4 weights are held
    m_weights_bytes = model_weight_bytes(p, variant, packed_2_4);
    m_kv_cache_bytes_per_token = static_cast<double>(kv_cache_elements_per_token(a)) * bytes_kv;
    m_kv_per_token_per_gpu = (profile.layer_split ? static_cast<double>(kv_cache_elements_per_token(a)) / m_gpus
                                                 : kv_cache_elements_per_token_per_gpu(a, request.gpus)) *
                            bytes_kv;
    const double ffn_width = a.is_moe()
                                 ? (static_cast<double>(a.num_experts_per_tok) + static_cast<double>(a.n_shared_experts)) *
                                       static_cast<double>(a.moe_intermediate_size)
                                 : static_cast<double>(a.intermediate_size);
    m_step_token_cap = static_cast<double>(std::max<std::int64_t>(profile.max_batched_tokens, request.prompt_tokens));
    m_budget_tokens = static_cast<double>(std::max<std::int64_t>(profile.max_batched_tokens, 1));
    m_prompt_steps = std::ceil(m_prompt / m_budget_tokens);
    m_prompt_step_chance = std::min(1.0, m_prompt_steps / m_output);  // q of the eager share (decode_at)
    // Tensor parallelism splits the FFN's columns and the logits' vocabulary over the GPUs; a
    // layer split gives each GPU whole layers, so the GPU running a layer holds its full widths
    // (and the last GPU the whole vocabulary's logits).
    const double width_split = profile.layer_split ? 1.0 : m_gpus;
    m_activation_bytes_per_token = (4.0 * static_cast<double>(a.hidden_size) + 2.0 * ffn_width / width_split) * bytes_act;
    m_logit_bytes_per_sequence = static_cast<double>(a.vocab_size) * k_logit_bytes / width_split;
    m_overhead_bytes = profile.runtime_overhead_bytes + (request.gpus > 1 ? profile.communication_buffer_bytes : 0.0);
    m_weights_per_gpu = (m_weights_bytes + m_adapters_at_one.resident_bytes) / m_gpus;
    m_capacity_per_gpu_bytes = hw.memory_gb * k_bytes_per_gb;
    m_usable_per_gpu_bytes = m_capacity_per_gpu_bytes * profile.usable_memory_fraction;
    const double free_for_sequences =
        m_usable_per_gpu_bytes - m_weights_per_gpu - m_overhead_bytes - m_step_token_cap * m_activation_bytes_per_token;
    const double bytes_per_sequence = m_kv_tokens_per_sequence * m_kv_per_token_per_gpu + m_logit_bytes_per_sequence;
    // The window: one sequence of context tokens must fit beside the batch's logits, or the engine
    // does not start (vLLM: max_model_len larger than the KV cache holds), whatever the batch.
    m_window_tokens = kv_positions(held_kv, static_cast<double>(context));
    const double free_beside_window = free_for_sequences - m_window_tokens * m_kv_per_token_per_gpu;
    m_max_concurrency =
        free_for_sequences > 0.0 && free_beside_window >= m_logit_bytes_per_sequence
            ? static_cast<std::int64_t>(std::floor(std::min(free_for_sequences / bytes_per_sequence,
                                                            free_beside_window / m_logit_bytes_per_sequence)))
            : 0;
    if (profile.max_num_seqs > 0) {
        m_max_concurrency = std::min(m_max_concurrency, profile.max_num_seqs);
    }
    if (!profile.continuous_batching) {
        m_max_concurrency = std::min<std::int64_t>(m_max_concurrency, 1);  // one sequence at a time
    }
    m_power_w = m_gpus * hw.tdp_w * profile.load_power_fraction;

    // Rates and the prefill: only a configuration that can be timed at some batch.
    m_context_too_long = exceeds_context_window(a, context);
    // Timeable only where the hardware has a peak at the variant's compute precision (as the search's
    // precheck asks); the GEMMs then run at the peak gemm_peak chooses (the engine's quantized
    // kernels at the 16-bit peak, which every hardware has, FP16 accumulation, or that precision's own).
    m_has_peak = hw.peak_tflops_at(variant.compute_precision).has_value();
    if (m_context_too_long || !m_has_peak) {
        return;
    }
    const GemmPeak gemm = gemm_peak(profile, variant, hw);
    m_peak_flops_per_gpu = *gemm.tflops * k_flops_per_tflop * (gemm.sparse_2_4 ? k_sparse_2_4_speedup : 1.0);
    // Layer split runs the GPUs one after another: one GPU's rate, the whole model's bytes.
    const double parallel_gpus = profile.layer_split ? 1.0 : m_gpus;
    m_compute_rate = parallel_gpus * m_peak_flops_per_gpu * gemm.efficiency;  // FLOP/s
    m_bandwidth = hw.memory_bandwidth_gb_per_s * k_bytes_per_gb * profile.memory_efficiency;  // per GPU
    // A replica wider than one node all-reduces over the slower scale-out link.
    m_multi_node = request.gpus > hw.max_devices_per_node;
    const std::int64_t allreduce_gpus = profile.layer_split ? 1 : request.gpus;  // no all-reduce across layers
    m_link_gb_per_s =
        m_multi_node ? std::min(hw.interconnect_gb_per_s, profile.inter_node_gb_per_s) : hw.interconnect_gb_per_s;
    const double link_latency_us = m_multi_node ? profile.inter_node_allreduce_latency_us : profile.allreduce_latency_us;
    const double attention_dim = static_cast<double>(a.num_hidden_layers * a.num_attention_heads) * attention_head_dim(a);

    // Prefill of one request's P tokens.
    // The head's logits are needed for the prompt's last token only (the engines gather that
    // position before the head); every other matrix multiplies every prompt token.
    // Attention's own FLOPs (QK^T and PV) run on the engine's attention kernels, in 16 bits
    // whatever the weights' format, at their share of the 16-bit peak; without one, at the GEMMs'
    // rate. With an 8-bit KV cache an engine may run attention in 8 bits (FP8 attention kernels),
    // which the share was not timed on: the GEMMs' rate then too.
    const std::optional<double> peak_16bit_tflops = hw.peak_tflops_at(Precision::fp16);
    m_attention_rate = profile.attention_efficiency > 0.0 && peak_16bit_tflops && kv_cache_bits > 8.0
                           ? parallel_gpus * *peak_16bit_tflops * k_flops_per_tflop * profile.attention_efficiency
                           : m_compute_rate;
    const double prefill_attention_flops = 2.0 * attention_dim * m_prompt * prompt_key_positions(attended, m_prompt);
    m_prefill_flops = 2.0 * (m_active_matmul - m_head_matmul) * m_prompt + 2.0 * m_head_matmul * std::min(m_prompt, 1.0) +
                      prefill_attention_flops;
    m_prefill_compute_ms = ((m_prefill_flops - prefill_attention_flops) / m_compute_rate +
                            prefill_attention_flops / m_attention_rate) *
                           k_ms_per_s;
    m_streamed_weights = profile.layer_split ? m_weights_bytes : m_weights_bytes / m_gpus;
    // Adapters are split like the weights; one request's prefill reads its task's adapter.
    m_adapter_split = profile.layer_split ? 1.0 : m_gpus;
    double prefill_weights_read = m_streamed_weights;
    if (a.is_moe()) {
        m_routed_bytes_per_gpu =
            weight_bytes_at(static_cast<double>(p.routed_experts), group_weight_bits(variant, WeightGroup::ffn), variant,
                            packed_2_4) /
            parallel_gpus;
        // The prompt's P tokens read the routed experts they touch, as a decode step's B tokens do.
        const double experts = static_cast<double>(a.n_routed_experts);
        const double touched = routed_experts_touched(m_prompt);
        prefill_weights_read -= m_routed_bytes_per_gpu * (1.0 - touched / experts);
        // Their own memory time, which the ridge reads where an expert kernel law times them.
        m_prefill_expert_memory_ms = m_routed_bytes_per_gpu * touched / experts / m_bandwidth * k_ms_per_s;
    }
    m_prefill_memory_ms =
        (prefill_weights_read + m_adapters_at_one.mean_bytes_per_request / m_adapter_split) / m_bandwidth * k_ms_per_s;
    m_allreduce = Allreduce(a, allreduce_gpus, bytes_act, m_link_gb_per_s, link_latency_us);
    m_prefill_comm_ms = m_allreduce.ms(m_prompt);

    // Decode at the mean context P + O / 2: the parts one sequence adds.
    m_mean_context = mean_kv_positions(attended, m_prompt, m_output);
    m_prompt_kv_positions = kv_positions(attended, m_prompt);
    m_kv_read_per_token = profile.layer_split ? m_kv_per_token_per_gpu * m_gpus : m_kv_per_token_per_gpu;
    // (A decode step's attention reads its KV cache at a few FLOPs per byte: its FLOPs stay with
    // the step's compute at the GEMMs' rate, which its memory time dominates.)
    m_decode_flops_per_sequence = 2.0 * m_active_matmul + 4.0 * attention_dim * m_mean_context;
    m_decode_compute_ms_per_sequence = m_decode_flops_per_sequence / m_compute_rate * k_ms_per_s;

    // Routed experts on the engine's own kernels (docs/method.md "MoE expert kernels"): their
    // GEMMs leave the roofline's compute and take the kernel law's time per token instead.
    // Integer-quantized experts run other kernels (none timed), and a layer split none of these.
    if (m_expert_law.efficiency > 0.0) {
        // From the architecture, as the law's slice width is (a parameters_override scales neither).
        const double scale = variant.parameter_fraction * m_active_fraction;
        const double expert_matrices = 3.0 * static_cast<double>(a.hidden_size) * static_cast<double>(a.moe_intermediate_size);
        m_kernel_expert_flops_per_token =
            2.0 * moe_layers * static_cast<double>(a.num_experts_per_tok) * expert_matrices * scale;
        // The caller checks the layout (expert_parallel_problem); an impossible one is clamped.
        const double expert_parallel =
            static_cast<double>(std::clamp<std::int64_t>(request.expert_parallel_size, 1, request.gpus));
        const double expert_width = static_cast<double>(a.moe_intermediate_size) * scale / (m_gpus / expert_parallel);
        const double columns_per_token =
            static_cast<double>(a.num_experts_per_tok) / expert_parallel * (expert_width + m_expert_law.routed_columns) +
            m_expert_law.token_columns;
        // The laws were fitted against the format's dense peak (no 2:4 doubling, no FP16 accumulation).
        const double format_peak_flops = hw.peak_tflops_at(variant.compute_precision).value_or(0.0) * k_flops_per_tflop;
        m_expert_kernel_ms_per_token = moe_layers * 6.0 * static_cast<double>(a.hidden_size) * columns_per_token /
                                       (format_peak_flops * m_expert_law.efficiency) * k_ms_per_s;
        // The kernels' own memory side: their reads at the law's share of the bandwidth, and a
        // fixed time per MoE layer that a faster memory does not shorten.
        if (m_expert_law.memory_efficiency > 0.0) {
            m_expert_memory_scale = profile.memory_efficiency / m_expert_law.memory_efficiency;
        }
        m_expert_latency_ms = moe_layers * m_expert_law.latency_us / 1000.0;
        m_prefill_compute_ms += m_prompt * (m_expert_kernel_ms_per_token -
                                            m_kernel_expert_flops_per_token / m_compute_rate * k_ms_per_s);
        m_decode_compute_ms_per_sequence +=
            m_expert_kernel_ms_per_token - m_kernel_expert_flops_per_token / m_compute_rate * k_ms_per_s;
    }
    // The prefill's roofline without TTFT sharing (its deprecated exponent 0, the shipped value),
    // the same at every batch: timing_at reads it instead of joining the terms again.
    m_prefill_roofline_ms = roofline_ms(m_prefill_memory_ms, m_prefill_compute_ms, m_prefill_expert_memory_ms,
                                        m_prompt * m_expert_kernel_ms_per_token);
}

AdapterLoad EstimatePlan::adapters_at(std::int64_t batch_size) const {
    // Unmerged task adapters: held beside the weights, multiplied by every token of their task;
    // only the bytes a step reads depend on the batch.
    AdapterLoad adapters = m_adapters_at_one;
    if (m_has_adapters && batch_size != 1) {
        const std::vector<TaskSpec>& tasks = *m_request->adapter_tasks;
        const double batch = static_cast<double>(batch_size);
        if (tasks.size() <= m_adapter_reads.size()) {
            adapters.bytes_read_per_step = 0.0;  // summed in task order, as adapter_load sums it
            for (std::size_t i = 0; i < tasks.size(); ++i) {
                adapters.bytes_read_per_step += adapter_bytes_read(m_adapter_reads[i], batch);
            }
        } else {
            adapters = adapter_load(m_request->model->architecture, tasks, batch);
        }
    }
    return adapters;
}

EstimatePlan::MemoryAt EstimatePlan::memory_at(double batch) const {
    MemoryAt m;
    // Activations of one step: the engine reserves, at start-up, the peak of its largest step
    // (the step token cap times the widest per-token buffers, split across GPUs), whatever
    // batch it later runs, plus fp32 logits of the sequences in the batch. The same reservation
    // bounds max_concurrency, so a batch that fits is within it but for the engine's cap on
    // running sequences (max_num_seqs), which `estimate` refuses to pass and the search stops at.
    m.kv_cache_tokens = std::max(batch * m_kv_tokens_per_sequence, m_window_tokens);
    m.activations_bytes = m_step_token_cap * m_activation_bytes_per_token + batch * m_logit_bytes_per_sequence;
    m.per_gpu_bytes = m_weights_per_gpu + m.kv_cache_tokens * m_kv_per_token_per_gpu + m.activations_bytes + m_overhead_bytes;
    return m;
}

// The decode step and TPOT of a batch that fits, written into `perf`'s fields in place, with
// the prefill work and eager overhead TPOT interleaves (prefill_work_ms, prefill_eager_ms); the
// trace records them up to TPOT.
void EstimatePlan::decode_at(double batch, const AdapterLoad& adapters, Trace* trace, PerformanceEstimate& perf) const {
    const EstimateRequest& request = *m_request;
    const Architecture& a = request.model->architecture;
    const EfficiencyProfile& profile = request.profile;

    // Decode step of B sequences at the mean context P + O / 2.
    double weights_read_per_gpu = m_streamed_weights;
    double expert_bytes_read = 0.0;  // of weights_read_per_gpu, the routed experts'
    if (a.is_moe()) {
        // Read the routed experts this step touches, not all of them.
        const double touched = routed_experts_touched(batch);
        weights_read_per_gpu -= m_routed_bytes_per_gpu * (1.0 - touched / static_cast<double>(a.n_routed_experts));
        expert_bytes_read = m_routed_bytes_per_gpu * touched / static_cast<double>(a.n_routed_experts);
        record(trace, "experts_touched_per_layer", touched, "experts", "E * (1 - (1 - k/E)^B)");
    }
    if (m_active_fraction < 1.0) {
        // Dynamic activation: a token touches `active_fraction` of the weights; B tokens touch
        // 1 - (1 - f)^B of them (independent choices).
        const double touched_fraction = 1.0 - remembered_pow(1.0 - m_active_fraction, batch);
        weights_read_per_gpu *= touched_fraction;
        expert_bytes_read *= touched_fraction;
        record(trace, "weights_touched_fraction", touched_fraction, "fraction", "1 - (1 - active_fraction)^B");
    }
    if (adapters.parameters > 0.0) {
        weights_read_per_gpu += adapters.bytes_read_per_step / m_adapter_split;
        record(trace, "adapter_bytes_read_per_step", adapters.bytes_read_per_step, "bytes",
               "sum over tasks of (1 - (1 - share)^B) * adapter bytes: each distinct adapter in the batch once");
    }
    const double decode_bytes = weights_read_per_gpu + batch * m_mean_context * m_kv_read_per_token;
    const double decode_flops = batch * m_decode_flops_per_sequence;
    const double decode_memory_ms = decode_bytes / m_bandwidth * k_ms_per_s;
    const double decode_compute_ms = batch * m_decode_compute_ms_per_sequence;
    const double decode_comm_ms = m_allreduce.ms(batch);
    // (The experts' memory time only where a law reads it: roofline_ms without one does not.)
    const double expert_memory_ms =
        m_expert_kernel_ms_per_token <= 0.0 ? 0.0 : expert_bytes_read / m_bandwidth * k_ms_per_s;
    perf.decode_step_ms = roofline_ms(decode_memory_ms, decode_compute_ms, expert_memory_ms,
                                      batch * m_expert_kernel_ms_per_token) +
                          decode_comm_ms + m_step_overhead_ms;
    perf.decode_memory_bound = decode_memory_ms >= decode_compute_ms;
    record(trace, "decode_bytes_per_gpu", decode_bytes, "bytes",
           m_applies_window ? "weights read + B * c * KV per token per GPU, c the KV positions a sequence's decode "
                                    "reads on average: C - s * max(C - W, 0) over C from P to P + O"
                                  : "weights read + B * (P + O/2) * KV per token per GPU");
    record(trace, "decode_flops", decode_flops, "FLOP",
           m_applies_window ? "B * (2 * N_active + 4 * L * h_q * d_h * c)"
                                  : "B * (2 * N_active + 4 * L * h_q * d_h * (P + O/2))");
    record(trace, "decode_memory_ms", decode_memory_ms, "ms", "decode bytes / (bandwidth * eta_m)");
    record(trace, "decode_compute_ms", decode_compute_ms, "ms",
           m_expert_kernel_ms_per_token > 0.0
               ? "(decode FLOPs - B * routed expert FLOPs per token) / effective_flops_per_s + B * expert kernel ms per token"
               : "decode FLOPs / effective_flops_per_s");
    record(trace, "decode_communication_ms", decode_comm_ms, "ms", "2 L all-reduces of B * d * max(activation_bits, 16) / 8 bytes");
    record(trace, "layer_overhead_units", m_layer_units, "layers",
           "sum over layers of (attention + FFN weight matrices) / 4: attention 2 (GQA) or 4 (MLA), FFN 2, "
           "+ 2 with shared experts");
    if (m_step_layer_units != m_layer_units) {
        record(trace, "step_overhead_units", m_step_layer_units, "layers",
               "layer units - MoE layers * 2 / 4: the routed experts' fixed time is the kernel law's latency");
    }
    record(trace, "step_overhead_ms", m_step_overhead_ms, "ms",
           "per_step_overhead_ms + (step overhead units * per_layer_overhead_us + MoE layers * moe_layer_overhead_us) / "
           "1000");
    record(trace, "decode_step_ms", perf.decode_step_ms, "ms",
           m_expert_kernel_ms_per_token > 0.0
               ? "max(memory, compute) of all but the routed experts + (experts' memory^n + experts' compute^n)^(1/n) "
                 "+ MoE layers * moe_kernel_latency_us / 1000 + communication + step overhead (experts' memory at "
                 "moe_kernel_memory_efficiency)"
               : "max(memory, compute) + communication + step overhead");

    // Continuous batching: while a request decodes, the B - 1 others each run one prefill, so
    // each step carries (B - 1) / O prefills' compute on average. A single-stream engine does not.
    perf.prefill_work_ms = m_prefill_compute_ms + m_prefill_comm_ms;
    const double interleaved_prefill_ms = profile.continuous_batching ? (batch - 1.0) / m_output * perf.prefill_work_ms : 0.0;
    // A step that carries prompt tokens outside CUDA graphs pays the eager overhead once, however
    // many prompts it holds. Each of the B - 1 others is in one of its ceil(P / budget) prefill
    // steps on a given step with probability q = min(1, ceil(P / budget) / O); in steady state
    // they arrive independently (the arrivals the M/D/1 wait assumes), so the prompts a step
    // carries are K ~ Binomial(B - 1, q). Its size: the B - 1 other sequences' decodes (mixed
    // prefill; none for a prefill-first engine) and K prompt chunks in the rest of the budget; it
    // runs outside the graphs when that exceeds cuda_graph_max_tokens, i.e. when K >= k_min.
    const double step_decodes = profile.mixed_prefill ? std::min(batch - 1.0, m_budget_tokens - 1.0) : 0.0;
    const double room = m_budget_tokens - step_decodes;
    // The request's own prefill steps hold its chunk and K others': eager when K >= k_min - 1.
    const double eager_ms = eager_overhead_ms(std::min(batch * m_prompt, room), step_decodes);
    const double prompts_needed = eager_ms > 0.0 ? eager_prompts_needed(step_decodes, room) : 1.0;
    // (Skipped, as 0, where it cannot matter: no eager overhead, or no other sequence.)
    const bool interleaved = profile.continuous_batching && eager_ms > 0.0 && batch > 1.0;
    const EagerShares shares = interleaved ? eager_step_shares(batch - 1.0, prompts_needed) : EagerShares{};
    const double eager_share = shares.steps;
    const double own_eager_share = prompts_needed <= 1.0 ? 1.0 : shares.own_steps;
    perf.tpot_ms = perf.decode_step_ms + interleaved_prefill_ms + eager_share * eager_ms;
    perf.prefill_eager_ms = m_prompt_steps * own_eager_share * eager_ms;
    record(trace, "eager_step_overhead_ms", eager_ms, "ms",
           "(layer units * eager_layer_overhead_us + MoE layers * eager_moe_layer_overhead_us) / 1000 when a step of the B - 1 "
           "others' decodes (none without mixed_prefill) and prompt chunks in the rest of the budget can exceed "
           "cuda_graph_max_tokens, else 0");
    record(trace, "eager_prompts_needed", prompts_needed, "prompts",
           "k: the fewest prompt chunks that take a step past cuda_graph_max_tokens, floor((graph max - decodes) / P) + 1, "
           "or 1");
    record(trace, "eager_step_share", eager_share, "fraction",
           "P(K >= k), K ~ Binomial(B - 1, q), q = min(1, ceil(P / budget) / O): the steady state's steps that run eagerly");
    record(trace, "tpot_ms", perf.tpot_ms, "ms",
           "decode step + (B - 1) / O * prefill time + eager step share * eager step overhead (continuous batching)");
}

// The decode step, TPOT, TTFT, latency and QPS of a batch that fits, written into `perf`'s
// fields in place (the trace records all but the QPS, which at() records after the output rate).
void EstimatePlan::timing_at(double batch, const AdapterLoad& adapters, Trace* trace, PerformanceEstimate& perf) const {
    const EfficiencyProfile& profile = m_request->profile;
    perf.prefill_compute_bound = m_prefill_compute_ms >= m_prefill_memory_ms;
    decode_at(batch, adapters, trace, perf);
    // TTFT: the request's own prefill at its parallelism (one step's overhead), plus, when other
    // sequences are running, half the step in progress (arrivals uniform over a step), plus the
    // optional fixed delay of a user profile. The deprecated exponent x multiplies the prefill's
    // compute and communication by B^x (0, the shipped value: by 1).
    const double sharing = batch == 1.0 || profile.ttft_batch_exponent == 0.0
                               ? 1.0
                               : remembered_pow(batch, profile.ttft_batch_exponent);
    const double prefill_roofline_ms = sharing == 1.0 ? m_prefill_roofline_ms
                                                      : roofline_ms(m_prefill_memory_ms, sharing * m_prefill_compute_ms,
                                                                    m_prefill_expert_memory_ms,
                                                                    sharing * m_prompt * m_expert_kernel_ms_per_token);
    perf.prefill_ms = prefill_roofline_ms + sharing * m_prefill_comm_ms + m_step_overhead_ms + perf.prefill_eager_ms;
    perf.step_wait_ms = batch > 1.0 ? 0.5 * perf.decode_step_ms : 0.0;
    // (batch_wait_steps is 0 without a timeout: not called, as most engines run without one.)
    perf.batch_wait_ms = (profile.batch_wait_timeout_iters > 0 ? batch_wait_steps(batch) : 0.0) * perf.decode_step_ms;
    perf.ttft_ms = profile.ttft_fixed_ms + perf.prefill_ms + perf.step_wait_ms + perf.batch_wait_ms;
    perf.latency_ms = request_latency_ms(perf.ttft_ms, perf.tpot_ms, m_output);
    perf.qps = closed_loop_qps(batch, perf.latency_ms);
    record(trace, "prefill_ms", perf.prefill_ms, "ms",
           m_expert_kernel_ms_per_token > 0.0
               ? "max(prefill compute, prefill memory) of all but the routed experts + (experts' memory^n + experts' "
                 "compute^n)^(1/n) + MoE layers * moe_kernel_latency_us / 1000 + communication + step overhead + ceil(P / budget) "
                 "* P(K >= k - 1) * eager step overhead"
               : "max(prefill compute, prefill memory) + communication + step overhead + ceil(P / budget) * P(K >= k - 1) "
                 "* eager step overhead (always 1 when k = 1)");
    record(trace, "step_wait_ms", perf.step_wait_ms, "ms", "decode step / 2 when B > 1 (the step in progress), else 0");
    if (profile.batch_wait_timeout_iters > 0) {
        record(trace, "batch_wait_ms", perf.batch_wait_ms, "ms",
               "decode step * (W + a W^2 / 2) / (1 + a W), W = min(batch_wait_timeout_iters, (n - 1) / a), "
               "a = (B - 1) / O, n = ceil((batch_wait_max_tokens_ratio * budget - (B - 1)) / P); 0 when n <= 1");
    }
    record(trace, "ttft_ms", perf.ttft_ms, "ms",
           "ttft_fixed_ms (0 unless a profile sets it) + prefill + step wait + batch wait");
    record(trace, "latency_ms", perf.latency_ms, "ms", "TTFT + (O - 1) * TPOT");
}

EstimatePlan::Rung EstimatePlan::rung(std::int64_t batch_size) const {
    Rung r;
    const double batch = static_cast<double>(batch_size);
    if (!timeable(batch)) {
        return r;
    }
    r.timed = true;
    timing_at(batch, adapters_at(batch_size), nullptr, r.performance);
    return r;
}

Estimate EstimatePlan::at(std::int64_t batch_size, Trace* trace) const {
    const EstimateRequest& request = *m_request;
    const Model& model = *request.model;
    const Variant& variant = *request.variant;
    const Architecture& a = model.architecture;
    const double batch = static_cast<double>(batch_size);
    Estimate result;

    // Parameters.
    result.parameters = m_parameters;
    const ParameterCounts& p = result.parameters;
    result.kept_parameters = m_kept_parameters;
    result.active_fraction = m_active_fraction;
    result.active_parameters = m_active_parameters;
    const AdapterLoad adapters = adapters_at(batch_size);
    result.adapter_parameters = adapters.parameters;
    if (request.active_fraction) {
        record(trace, "active_fraction", m_active_fraction, "fraction",
               "scenario complexity mix: sum of share * active_fraction (replaces the variant's)");
    }
    if (adapters.parameters > 0.0) {
        record(trace, "adapter_parameters", adapters.parameters, "parameters",
               "sum over tasks of LoRA rank * sum over layers and targets of (d_in + d_out), or head parameters");
        record(trace, "adapter_parameters_per_token", adapters.mean_parameters_per_token, "parameters",
               "share-weighted adapter a token multiplies (2 FLOPs each, unmerged)");
    }
    record(trace, "parameters", static_cast<double>(p.total), "parameters",
           "embedding + head + layers * (attention + FFN or experts + norms)");
    record(trace, "active_parameters", result.active_parameters, "parameters",
           "(total - routed experts + k routed experts) * parameter_fraction * active_fraction");
    record(trace, "active_matmul_parameters", m_active_matmul, "parameters",
           "active parameters that multiply per token (embedding lookup and norms excluded)");

    // Memory.
    MemoryEstimate& m = result.memory;
    m.weights_bytes = m_weights_bytes;
    result.weights_on_disk_bytes = m.weights_bytes;
    if (trace != nullptr) [[unlikely]] {
        record_weights(*trace, p, variant, packs_sparse_2_4(request.profile, variant), m.weights_bytes,
                       result.kept_parameters);
    }
    m.kv_cache_bytes_per_token = m_kv_cache_bytes_per_token;
    record(trace, "kv_cache_bytes_per_token", m.kv_cache_bytes_per_token, "bytes",
           a.is_mla() ? "L * (kv_lora_rank + qk_rope_head_dim) * kv_cache_bits / 8"
                      : "2 * L * h_kv * d_h * kv_cache_bits / 8");
    // Layer split (llama.cpp): each GPU holds its layers' share of the cache.
    record(trace, "kv_cache_bytes_per_token_per_gpu", m_kv_per_token_per_gpu, "bytes",
           a.is_mla() ? "latent cache replicated on every GPU" : "2 * L * max(h_kv / t, 1) * d_h * kv_cache_bits / 8");
    m.kv_tokens_per_sequence = m_kv_tokens_per_sequence;
    if (m_applies_window && request.profile.sliding_window_kv_freed) {
        record(trace, "kv_tokens_per_sequence", m_kv_tokens_per_sequence, "tokens",
               request.profile.kv_full_reservation
                   ? "C - s * max(C - W, 0) at C = P + O (full reservation; s of the layers keep the last W tokens only)"
                   : "mean of C - s * max(C - W, 0) for C from P to P + O (paged KV; s of the layers keep the last W "
                     "tokens only)");
    } else {
        record(trace, "kv_tokens_per_sequence", m_kv_tokens_per_sequence, "tokens",
               request.profile.kv_full_reservation ? "P + O (full reservation)"
                                                   : "P + O/2 (paged KV: the mean over a sequence's life)");
    }
    const MemoryAt at_batch = memory_at(batch);
    m.kv_cache_tokens = at_batch.kv_cache_tokens;
    record(trace, "kv_cache_tokens", m.kv_cache_tokens, "tokens",
           "max(B * KV tokens per sequence, context window): one sequence of the whole window must fit");
    m.kv_cache_bytes = m.kv_cache_tokens * m_kv_per_token_per_gpu * m_gpus;
    m.activations_bytes = at_batch.activations_bytes;
    record(trace, "activations_bytes_per_gpu", m.activations_bytes, "bytes",
           "max(max_batched_tokens, P) * (4 d + 2 d_ff / t) * max(activation_bits, 16) / 8 + B * V * 4 / t (the step peak the engine reserves; "
           "t = 1 under a layer split)");
    m.overhead_bytes = m_overhead_bytes;
    record(trace, "overhead_bytes_per_gpu", m.overhead_bytes, "bytes",
           "runtime overhead + communication buffers when t >= 2");
    m.adapter_bytes = adapters.resident_bytes;
    if (adapters.parameters > 0.0) {
        record(trace, "adapter_bytes", m.adapter_bytes, "bytes", "adapter parameters * 16 / 8 (bf16), split like the weights");
    }
    m.per_gpu_bytes = at_batch.per_gpu_bytes;
    m.total_bytes = m.per_gpu_bytes * m_gpus;
    m.capacity_per_gpu_bytes = m_capacity_per_gpu_bytes;
    m.usable_per_gpu_bytes = m_usable_per_gpu_bytes;
    m.fits = m.per_gpu_bytes <= m.usable_per_gpu_bytes;
    m.shortfall_bytes = std::max(0.0, m.per_gpu_bytes - m.usable_per_gpu_bytes);
    // Largest batch that fits: each sequence adds its KV cache and its logits; activations of
    // one step are bounded by the step token cap.
    m.max_concurrency = m_max_concurrency;
    record(trace, "per_gpu_bytes", m.per_gpu_bytes, "bytes",
           "weights / t + KV cache tokens * KV per token per GPU + activations + overhead");
    record(trace, "usable_per_gpu_bytes", m.usable_per_gpu_bytes, "bytes", "memory_gb * 1e9 * usable fraction");
    record(trace, "max_concurrency", static_cast<double>(m.max_concurrency), "sequences",
           "min(max_num_seqs, floor(free / (KV tokens per sequence * KV per token per GPU + V * 4 / t)), "
           "floor((free - context window * KV per token per GPU) / (V * 4 / t))), free = usable - weights / t - overhead - step activations "
           "(0 when one sequence of the context window does not fit beside one sequence's logits); 1 at most without continuous batching");

    // Power draw of the replica under load.
    result.power_w = m_power_w;
    record(trace, "power_w", result.power_w, "W", "GPUs * TDP * load fraction");

    // Feasibility before timing: an infeasible configuration gets no timing.
    result.compute_precision = variant.compute_precision;
    if (m_context_too_long) {
        result.feasibility = Feasibility::context_too_long;
        return result;
    }
    if (!m_has_peak) {
        result.feasibility = Feasibility::precision_unsupported;
        return result;
    }
    if (!m.fits) {
        result.feasibility = Feasibility::does_not_fit;
        return result;
    }
    result.peak_flops_per_gpu = m_peak_flops_per_gpu;
    record(trace, "effective_flops_per_s", m_compute_rate, "FLOP/s",
           "t * F * eta_c, F the peak gemm_peak chooses (docs/method.md): the compute precision's (x 2 for 2:4 sparsity on the engine's 2:4 "
           "kernels), the FP16-accumulate peak under an engine that accumulates in FP16, or peak(fp16) at "
           "quantized_compute_efficiency under an engine's quantized kernels");
    if (m_attention_rate != m_compute_rate) {
        record(trace, "attention_flops_per_s", m_attention_rate, "FLOP/s",
               "t * peak(fp16) * attention_kernel_efficiency: a prompt's attention FLOPs (QK^T, PV), in 16 bits whatever "
               "the weights' format (a 16-bit KV cache; with an 8-bit one, effective_flops_per_s)");
    }
    record(trace, "effective_bandwidth_bytes_per_s_per_gpu", m_bandwidth, "bytes/s", "memory bandwidth * eta_m");
    record(trace, "link_gb_per_s", m_link_gb_per_s, "GB/s",
           m_multi_node ? "min(interconnect, inter-node network): the replica spans nodes" : "interconnect within one node");

    // Prefill of one request's P tokens (batch-independent: computed by the plan).
    record(trace, "prefill_flops", m_prefill_flops, "FLOP",
           m_applies_window
               ? "2 * (N_active - V * d) * P + 2 * V * d (the head, last token only) + 2 * L * h_q * d_h * P * K, K the "
                 "keys per query: (1 - s) P + s (2W - W^2/P) once P > W"
               : "2 * (N_active - V * d) * P + 2 * V * d (the head, last token only) + 2 * L * h_q * d_h * P^2");
    if (m_expert_kernel_ms_per_token > 0.0) {
        record(trace, "routed_expert_flops_per_token", m_kernel_expert_flops_per_token, "FLOP",
               "2 * k routed experts' parameters (taken out of the roofline: the engine's expert kernels run them)");
        record(trace, "expert_kernel_ms_per_token", m_expert_kernel_ms_per_token, "ms",
               "MoE layers * 6 h [(k / EP) (w + routed_columns) + token_columns] / (peak * moe_kernel_efficiency), "
               "w = moe_intermediate_size / (GPUs / EP)");
        record(trace, "prefill_compute_ms", m_prefill_compute_ms, "ms",
               "(prefill FLOPs - attention's 2 L h_q d_h P^2 - P * routed expert FLOPs per token) / effective_flops_per_s + "
               "attention's FLOPs / attention rate + P * expert kernel ms per token (attention rate: attention_flops_per_s where "
               "listed, else effective_flops_per_s)");
    } else {
        record(trace, "prefill_compute_ms", m_prefill_compute_ms, "ms",
               "(prefill FLOPs - attention's 2 L h_q d_h P^2) / effective_flops_per_s + attention's FLOPs / attention rate "
               "(attention_flops_per_s where listed, else effective_flops_per_s)");
    }
    record(trace, "prefill_memory_ms", m_prefill_memory_ms, "ms",
           "weights per GPU (of the routed experts, those the prompt's tokens touch) / (bandwidth * eta_m)");
    record(trace, "prefill_communication_ms", m_prefill_comm_ms, "ms", "2 L all-reduces of P * d * max(activation_bits, 16) / 8 bytes");

    PerformanceEstimate& perf = result.performance;
    timing_at(batch, adapters, trace, perf);
    perf.output_tokens_per_s = perf.qps * m_output;
    perf.output_tokens_per_s_per_sequence = k_ms_per_s / perf.tpot_ms;
    perf.prefill_tokens_per_s = m_prompt / perf.ttft_ms * k_ms_per_s;
    record(trace, "qps", perf.qps, "requests/s", "B / latency (Little's law)");
    record(trace, "output_tokens_per_s", perf.output_tokens_per_s, "tokens/s",
           "requests/s * O: each request's O tokens over its latency, its prefill included (not B / TPOT, which "
           "counts every sequence as decoding in every step)");

    result.energy_wh_per_1k_output_tokens = result.power_w * (1000.0 / perf.output_tokens_per_s) / 3600.0;
    record(trace, "energy_wh_per_1k_output_tokens", result.energy_wh_per_1k_output_tokens, "Wh",
           "power * 1000 / output tokens per second / 3600");

    return result;
}

void EstimatePlan::add_max_throughput(Estimate& result, Trace* trace) const {
    // Max-throughput serving: the largest concurrency that runs (one stream without continuous batching).
    // Its requests/s, as rung(top) gives it, bit for bit.
    const std::int64_t top = m_max_concurrency;  // 1 at most on a single-stream engine
    const double top_batch = static_cast<double>(top);
    if (top >= 1 && timeable(top_batch)) {
        PerformanceEstimate at_top;
        timing_at(top_batch, adapters_at(top), nullptr, at_top);
        result.max_throughput_batch = top;
        result.max_throughput_output_tokens_per_s = at_top.qps * m_output;
    }
    record(trace, "max_throughput_output_tokens_per_s", result.max_throughput_output_tokens_per_s, "tokens/s",
           "requests/s * O at max_concurrency: continuous batching at the largest batch that runs");
}

Estimate estimate(const EstimateRequest& request, Trace* trace) {
    const EstimatePlan plan(request);
    Estimate result = plan.at(request.batch, trace);
    plan.add_max_throughput(result, trace);
    return result;
}

double EstimatePlan::mixed_step_ms(double prompt_tokens, double decoding, double context_tokens) const {
    const Architecture& a = m_request->model->architecture;
    const double tokens = prompt_tokens + decoding;
    double weights_bytes = m_streamed_weights + m_adapters_at_one.mean_bytes_per_request / m_adapter_split;
    double expert_bytes = 0.0;  // of weights_bytes, the routed experts'
    if (a.is_moe()) {
        // The routed experts the step's tokens touch, as the decode step reads them.
        const double experts = static_cast<double>(a.n_routed_experts);
        const double touched = routed_experts_touched(tokens);
        weights_bytes -= m_routed_bytes_per_gpu * (1.0 - touched / experts);
        expert_bytes = m_routed_bytes_per_gpu * touched / experts;
    }
    const double prompt_token_ms = m_prefill_compute_ms / std::max(m_prompt, 1.0);
    const double compute_ms = prompt_tokens * prompt_token_ms + decoding * m_decode_compute_ms_per_sequence;
    const double memory_ms = (weights_bytes + context_tokens * m_kv_read_per_token) / m_bandwidth * k_ms_per_s;
    return roofline_ms(memory_ms, compute_ms, expert_bytes / m_bandwidth * k_ms_per_s, tokens * m_expert_kernel_ms_per_token) +
           m_allreduce.ms(tokens) + m_step_overhead_ms + eager_overhead_ms(prompt_tokens, decoding);
}

double EstimatePlan::routed_experts_touched(double tokens) const {
    const Architecture& a = m_request->model->architecture;
    return expected_experts_touched(static_cast<double>(a.n_routed_experts), static_cast<double>(a.num_experts_per_tok),
                                    tokens);
}

double EstimatePlan::expert_roofline_ms(double memory_ms, double compute_ms, double expert_memory_ms,
                                        double expert_compute_ms) const {
    const double rest_ms = std::max(memory_ms - expert_memory_ms, compute_ms - expert_compute_ms);
    // The experts' reads at the kernel's own share of the bandwidth (expert_memory_ms is at the engine's).
    const double kernel_memory_ms = expert_memory_ms * m_expert_memory_scale;
    // (m^n + c^n)^(1/n) as hi (1 + (lo / hi)^n)^(1/n): no overflow or underflow at any n.
    const double n = m_expert_law.ridge_exponent;
    const double hi = std::max(kernel_memory_ms, expert_compute_ms);
    const double lo = std::min(kernel_memory_ms, expert_compute_ms);
    const double expert_ms = n >= 1.0 && hi > 0.0 ? hi * std::pow(1.0 + std::pow(lo / hi, n), 1.0 / n) : hi;
    return rest_ms + expert_ms + m_expert_latency_ms;
}

double EstimatePlan::batch_wait_steps(double batch) const {
    const EfficiencyProfile& profile = m_request->profile;
    // Nothing is held while no sequence decodes: alone, or when every request ends with its first
    // token (O <= 1).
    if (profile.batch_wait_timeout_iters <= 0 || batch <= 1.0 || m_output <= 1.0 || !profile.continuous_batching) {
        return 0.0;
    }
    const double others = batch - 1.0;
    const double held_tokens_needed = profile.batch_wait_max_tokens_ratio * m_budget_tokens - others;
    const double prompts_needed = std::ceil(held_tokens_needed / std::max(m_prompt, 1.0));
    if (prompts_needed <= 1.0) {
        return 0.0;  // one prompt and the decodes already fill the share: released at once
    }
    const double arrivals_per_step = others / m_output;
    const double window_steps =
        std::min(static_cast<double>(profile.batch_wait_timeout_iters), (prompts_needed - 1.0) / arrivals_per_step);
    return (window_steps + arrivals_per_step * window_steps * window_steps / 2.0) / (1.0 + arrivals_per_step * window_steps);
}

double EstimatePlan::eager_prompts_needed(double decoding, double room) const {
    // The fewest prompt chunks whose tokens, beside `decoding` decodes, exceed the graphs' size:
    // k P > cuda_graph_max_tokens - decoding, the chunks' tokens at most `room`. One chunk always
    // suffices when it fills the room, or when the decodes alone reach the graphs' size.
    const double graph_max = static_cast<double>(m_request->profile.cuda_graph_max_tokens);
    const double spare = graph_max - decoding;
    if (spare < 0.0 || m_prompt >= room) {
        return 1.0;
    }
    return std::floor(spare / m_prompt) + 1.0;
}

EstimatePlan::EagerShares EstimatePlan::eager_step_shares(double others, double prompts_needed) const {
    // P(K >= k) and P(K >= k - 1), K ~ Binomial(others, q), k = prompts_needed: the shares of the
    // steady state's steps, and of the request's own prefill steps, that run eagerly.
    const double q = m_prompt_step_chance;
    const double none = remembered_pow(1.0 - q, others);  // P(K = 0)
    if (prompts_needed <= 1.0) {
        return {.steps = 1.0 - none, .own_steps = 1.0};  // one prompt suffices; the own chunk alone does
    }
    if (q >= 1.0) {
        // Every other sequence is prefilling on every step: K = others.
        return {.steps = prompts_needed <= others ? 1.0 : 0.0, .own_steps = prompts_needed - 1.0 <= others ? 1.0 : 0.0};
    }
    if (prompts_needed > others) {
        // Fewer others than the chunks it takes: never the steps; the own step needs one fewer.
        return {.steps = 0.0, .own_steps = prompts_needed - 1.0 <= others ? std::pow(q, others) : 0.0};
    }
    if (none < std::numeric_limits<double>::min()) {
        return eager_step_shares_in_logs(others, prompts_needed, q);  // (1 - q)^n underflows
    }
    // 1 - sum over j < k of C(n, j) q^j (1 - q)^(n - j), term by term from j = 0.
    double term = none;
    double below = 0.0;       // P(K < j) after adding terms up to j - 1
    double below_own = 0.0;   // P(K < k - 1)
    for (double j = 0.0; j < prompts_needed; j += 1.0) {
        if (j == prompts_needed - 1.0) {
            below_own = below;
        }
        below += term;
        term *= (others - j) / (j + 1.0) * q / (1.0 - q);
    }
    return {.steps = std::max(0.0, 1.0 - below), .own_steps = std::max(0.0, 1.0 - below_own)};
}

EstimatePlan::EagerShares EstimatePlan::eager_step_shares_in_logs(double others, double prompts_needed, double q) {
    // As eager_step_shares, each term exp(ln C(n, j) + j ln q + (n - j) ln(1 - q)): a term too
    // small for a double adds 0, where the product from an underflowed P(K = 0) made every term 0
    // and both shares 1 (P(K >= k) is below 1 wherever k is near the mean n q).
    // (ln C(n, j) by its own recurrence: std::lgamma writes a global, and searches run threads.)
    const double log_odds = std::log(q) - std::log1p(-q);
    double log_term = others * std::log1p(-q);  // ln P(K = 0)
    double below = 0.0;
    double below_own = 0.0;
    for (double j = 0.0; j < prompts_needed; j += 1.0) {
        if (j == prompts_needed - 1.0) {
            below_own = below;
        }
        below += std::exp(log_term);
        log_term += std::log((others - j) / (j + 1.0)) + log_odds;
    }
    return {.steps = std::max(0.0, 1.0 - below), .own_steps = std::max(0.0, 1.0 - below_own)};
}

double EstimatePlan::eager_overhead_ms(double prompt_tokens, double decoding) const {
    const double graph_max = static_cast<double>(m_request->profile.cuda_graph_max_tokens);
    return prompt_tokens > 0.0 && prompt_tokens + decoding > graph_max ? m_eager_overhead_ms : 0.0;
}

double EstimatePlan::chunked_prefill_mean_ms(std::int64_t arriving, std::int64_t running, double running_context) const {
    const std::int64_t prompt = std::max<std::int64_t>(m_request->prompt_tokens, 1);
    const auto budget = static_cast<std::int64_t>(m_budget_tokens);
    const std::int64_t total = arriving * prompt;
    std::int64_t done = 0;      // prompt tokens prefilled so far
    std::int64_t decoding = 0;  // arriving requests past their prefill
    double clock_ms = 0.0;
    double ttft_sum_ms = 0.0;
    while (done < total) {
        // Running decodes are scheduled first; the prompt tokens take the rest of the budget. The
        // running sequences read their KV at `running_context`, the new ones at about P.
        const std::int64_t room = std::max<std::int64_t>(budget - running - decoding, 1);
        const std::int64_t chunk = std::min(room, total - done);
        const double context_tokens =
            static_cast<double>(running) * running_context + static_cast<double>(decoding) * m_prompt_kv_positions;
        clock_ms += mixed_step_ms(static_cast<double>(chunk), static_cast<double>(running + decoding), context_tokens);
        const std::int64_t finished = (done + chunk) / prompt - done / prompt;
        ttft_sum_ms += static_cast<double>(finished) * clock_ms;
        decoding += finished;
        done += chunk;
    }
    return ttft_sum_ms / static_cast<double>(arriving);
}

std::optional<double> EstimatePlan::burst_mean_ttft_ms(std::int64_t batch_size) const {
    if (batch_size < 1 || !rung(batch_size).timed) {
        return std::nullopt;
    }
    return m_request->profile.ttft_fixed_ms + chunked_prefill_mean_ms(batch_size, 0, m_prompt);
}

std::optional<double> EstimatePlan::wave_mean_ttft_ms(std::int64_t batch_size) const {
    const Rung at_batch = batch_size >= 1 ? rung(batch_size) : Rung{};
    if (!at_batch.timed) {
        return std::nullopt;
    }
    const std::int64_t prompt = std::max<std::int64_t>(m_request->prompt_tokens, 1);
    const auto budget = static_cast<std::int64_t>(m_budget_tokens);
    const std::int64_t group = std::clamp<std::int64_t>(budget / prompt, 1, batch_size);
    const std::int64_t running = batch_size - group;
    // A group arrives as the step that finished its predecessors ends, while the next step of the
    // running sequences is under way: half of it, on average, before its own prefill starts.
    const double step_wait_ms = running > 0 ? 0.5 * at_batch.performance.decode_step_ms : 0.0;
    return m_request->profile.ttft_fixed_ms + step_wait_ms + chunked_prefill_mean_ms(group, running, m_mean_context);
}

std::optional<double> burst_mean_ttft_ms(const EstimateRequest& request) {
    return EstimatePlan(request).burst_mean_ttft_ms(request.batch);
}

std::optional<double> wave_mean_ttft_ms(const EstimateRequest& request) {
    return EstimatePlan(request).wave_mean_ttft_ms(request.batch);
}

double md1_queue_wait_ms(double arrivals_per_s, double service_ms) {
    return md1_wait_at_utilization_ms(arrivals_per_s * service_ms / k_ms_per_s, service_ms);
}

double md1_wait_at_utilization_ms(double utilization, double service_ms) {
    if (utilization <= 0.0) {
        return 0.0;
    }
    if (utilization >= 1.0) {
        return std::numeric_limits<double>::infinity();
    }
    return utilization * service_ms / (2.0 * (1.0 - utilization));
}

double md1_max_utilization(double slack_ms, double service_ms) {
    return slack_ms > 0.0 ? 2.0 * slack_ms / (service_ms + 2.0 * slack_ms) : 0.0;
}

}  // namespace dsselect
