#include "dsselect/plan/finetune.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "dsselect/core/error.hpp"

namespace dsselect {

namespace {
// Activation memory, bf16, per token (docs/finetune.md). With full activation checkpointing each
// layer keeps its input (d values, 2 bytes) and one layer at a time is recomputed with its whole
// working set, 34 d bytes per token (Korthikanti et al. 2022, "Reducing Activation Recomputation
// in Large Transformer Models", eq. 1 without the attention-score term that flash attention removes).
constexpr double k_checkpoint_bytes_per_hidden = 2.0;
constexpr double k_layer_working_set_bytes_per_hidden = 34.0;
// ZeRO-3 / FSDP all-gather the current layer and prefetch the next, in 16 bits.
constexpr double k_gathered_layers = 2.0;
constexpr double k_gathered_bytes_per_parameter = 2.0;
// fp32 training (the baseline mixed precision is compared with): weights 4 + gradients 4 +
// Adam moments 4 + 4 bytes per parameter, activations at 4 bytes instead of 2.
constexpr double k_fp32_adam_bytes_per_parameter = 16.0;
constexpr double k_fp32_activation_factor = 2.0;
// Discriminative learning rates: each lower tier's rate is the one above divided by 2.6
// (Howard & Ruder 2018, ULMFiT §3.2); seed §5.3 names three tiers but gives no figures.
constexpr double k_tier_ratio = 2.6;
constexpr double k_full_learning_rate = 1e-5;
constexpr double k_lora_learning_rate = 2e-4;

std::int64_t scaled(std::int64_t count, double scale) {
    return static_cast<std::int64_t>(std::llround(static_cast<double>(count) * scale));
}

// Trainable parameters of layers [first, last] under the method (adapters for LoRA / QLoRA).
std::int64_t trainable_in_layers(const FinetuneRequest& r, std::int64_t first, std::int64_t last, double scale) {
    const Architecture& a = r.model->architecture;
    std::int64_t sum = 0;
    for (std::int64_t layer = first; layer <= last; ++layer) {
        sum += r.method == FinetuneMethod::full ? scaled(layer_parameters(a, layer), scale)
                                                : lora_parameters_per_layer(a, layer, r.lora_rank, r.lora_targets);
    }
    return sum;
}

void check_request(const FinetuneRequest& r) {
    const Architecture& a = r.model->architecture;
    if (!(std::isfinite(r.tokens) && r.tokens >= 1 && r.tokens <= 1e16)) {
        throw Error(ErrorKind::usage, fmt::format("--tokens: expected a number of tokens from 1 to 1e16, got {}", r.tokens));
    }
    if (r.stages < 1 || r.stages > a.num_hidden_layers) {
        throw Error(ErrorKind::usage, fmt::format("--stages: expected 1 to {} (the layers of '{}'), got {}",
                                                  a.num_hidden_layers, r.model->id, r.stages));
    }
    if (a.max_position_embeddings > 0 && r.sequence_tokens > a.max_position_embeddings) {
        throw Error(ErrorKind::usage, fmt::format("--sequence-tokens: {} exceeds model '{}''s context window of {} tokens",
                                                  r.sequence_tokens, r.model->id, a.max_position_embeddings));
    }
    if (r.sequence_tokens < 1 || r.micro_batch_sequences < 1) {
        throw Error(ErrorKind::usage, "--sequence-tokens and --micro-batch: expected at least 1");
    }
    if (!(r.mfu >= k_min_mfu && r.mfu <= 1)) {
        throw Error(ErrorKind::usage, fmt::format("--mfu: expected a fraction from {:g} to 1, got '{}'", k_min_mfu, r.mfu));
    }
    if (r.learning_rate && !(std::isfinite(*r.learning_rate) && *r.learning_rate > 0)) {
        throw Error(ErrorKind::usage, fmt::format("--learning-rate: expected a positive number, got {}", *r.learning_rate));
    }
    if (r.method != FinetuneMethod::full && (r.lora_rank < 1 || r.lora_rank > a.hidden_size)) {
        throw Error(ErrorKind::usage, fmt::format("--lora-rank: expected 1 to {} (the hidden size of '{}'), got {}",
                                                  a.hidden_size, r.model->id, r.lora_rank));
    }
    if (!r.hardware->peak_tflops_at(Precision::bf16) && !r.hardware->peak_tflops_at(Precision::fp16)) {
        throw Error(ErrorKind::usage,
                    fmt::format("--gpu: '{}' has no 16-bit matrix peak (bf16 or fp16) to train at", r.hardware->id));
    }
}
}  // namespace

const char* to_string(FinetuneMethod method) {
    switch (method) {
    case FinetuneMethod::full: return "full";
    case FinetuneMethod::lora: return "lora";
    case FinetuneMethod::qlora: return "qlora";
    }
    return "full";
}

std::optional<FinetuneMethod> parse_finetune_method(const std::string& text) {
    for (FinetuneMethod method : k_all_finetune_methods) {
        if (text == to_string(method)) {
            return method;
        }
    }
    return std::nullopt;
}

const char* to_string(LoraTargets targets) {
    switch (targets) {
    case LoraTargets::attention: return "attention";
    case LoraTargets::all: return "all";
    }
    return "all";
}

std::optional<LoraTargets> parse_lora_targets(const std::string& text) {
    if (text == "attention") {
        return LoraTargets::attention;
    }
    if (text == "all") {
        return LoraTargets::all;
    }
    return std::nullopt;
}

std::int64_t lora_parameters_per_layer(const Architecture& a, std::int64_t layer, std::int64_t rank,
                                       LoraTargets targets) {
    const std::int64_t d = a.hidden_size;
    const std::int64_t h = a.num_attention_heads;
    // A d_in x d_out matrix gets A (d_in x r) and B (r x d_out): r (d_in + d_out) parameters.
    auto adapter = [rank](std::int64_t d_in, std::int64_t d_out) { return rank * (d_in + d_out); };
    std::int64_t sum = 0;
    if (a.is_mla()) {
        const std::int64_t qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
        sum += a.q_lora_rank > 0 ? adapter(d, a.q_lora_rank) + adapter(a.q_lora_rank, h * qk) : adapter(d, h * qk);
        sum += adapter(d, a.kv_lora_rank + a.qk_rope_head_dim);
        sum += adapter(a.kv_lora_rank, h * (a.qk_nope_head_dim + a.v_head_dim));
        sum += adapter(h * a.v_head_dim, d);
    } else {
        const std::int64_t q_width = h * a.effective_head_dim();
        const std::int64_t kv_width = a.effective_kv_heads() * a.effective_head_dim();
        sum += adapter(d, q_width) + 2 * adapter(d, kv_width) + adapter(q_width, d);
    }
    if (targets == LoraTargets::all) {
        const bool dense = a.is_dense_layer(layer);
        // Gated FFN: gate and up d x d_ff, down d_ff x d. MoE layers adapt their shared experts.
        sum += dense ? 3 * adapter(d, a.intermediate_size)
                     : a.n_shared_experts * 3 * adapter(d, a.moe_intermediate_size);
    }
    return sum;
}

FinetunePlan plan_finetune(const FinetuneRequest& r) {
    check_request(r);
    FinetunePlan plan;
    plan.request = r;
    const Model& model = *r.model;
    const Architecture& a = model.architecture;
    const std::int64_t layers = a.num_hidden_layers;
    const double d = static_cast<double>(a.hidden_size);
    plan.parameters = model_parameters(model);
    const ParameterCounts& p = plan.parameters;
    const std::int64_t computed_total = count_parameters(a).total;
    const double scale = computed_total > 0 ? static_cast<double>(p.total) / static_cast<double>(computed_total) : 1.0;
    const double total = static_cast<double>(p.total);
    const bool full = r.method == FinetuneMethod::full;

    // Trainable parameters (everything the last stage trains).
    for (std::int64_t layer = 0; layer < layers; ++layer) {
        plan.adapter_parameters += full ? 0 : lora_parameters_per_layer(a, layer, r.lora_rank, r.lora_targets);
    }
    plan.trainable_parameters = full ? p.total : plan.adapter_parameters;
    const double trainable = static_cast<double>(plan.trainable_parameters);

    // Memory: model states.
    FinetuneMemory& m = plan.memory;
    switch (r.method) {
    case FinetuneMethod::full:
        m.weights_bytes = k_mixed_adam_weight_bytes * total;
        break;
    case FinetuneMethod::lora: {
        Variant sixteen;
        sixteen.weight_bits = 16.0;
        m.weights_bytes = model_weight_bytes(p, r.variant != nullptr ? *r.variant : sixteen) +
                          k_mixed_adam_weight_bytes * trainable;
        break;
    }
    case FinetuneMethod::qlora: {
        Variant nf4;
        nf4.weight_bits = k_qlora_base_bits;
        nf4.bits_per_group = GroupBits{k_qlora_base_bits, k_qlora_base_bits, 16.0, 16.0};
        m.weights_bytes = model_weight_bytes(p, nf4) + k_mixed_adam_weight_bytes * trainable;
        break;
    }
    }
    m.gradients_bytes = k_mixed_adam_gradient_bytes * trainable;
    m.optimizer_bytes = k_mixed_adam_optimizer_bytes * trainable;
    m.states_bytes = m.weights_bytes + m.gradients_bytes + m.optimizer_bytes;
    m.bytes_per_parameter = total > 0 ? m.states_bytes / total : 0.0;

    // Activations of one micro-batch on one GPU, with full activation checkpointing.
    const double micro_batch_tokens = static_cast<double>(r.sequence_tokens * r.micro_batch_sequences);
    const double layer_activations = micro_batch_tokens * d *
                                     (k_checkpoint_bytes_per_hidden * static_cast<double>(layers) +
                                      k_layer_working_set_bytes_per_hidden);
    const double logits = micro_batch_tokens * static_cast<double>(a.vocab_size) * k_logit_bytes;
    m.activations_bytes = layer_activations + logits;
    m.total_bytes = m.states_bytes + m.activations_bytes;
    if (full) {
        m.fp32_total_bytes = k_fp32_adam_bytes_per_parameter * total + k_fp32_activation_factor * layer_activations + logits;
        m.computed_saving_fraction = 1.0 - m.total_bytes / *m.fp32_total_bytes;
    }

    // GPUs: states sharded (ZeRO-3 / FSDP), activations per GPU, two gathered layers from 2 GPUs on.
    std::int64_t widest = std::max<std::int64_t>(a.vocab_size * a.hidden_size, 0);
    for (std::int64_t layer = 0; layer < layers; ++layer) {
        widest = std::max(widest, scaled(layer_parameters(a, layer), scale));
    }
    m.overhead_bytes_per_gpu = r.runtime_overhead_bytes;
    m.capacity_per_gpu_bytes = r.hardware->memory_gb * k_bytes_per_gb;
    m.usable_per_gpu_bytes = m.capacity_per_gpu_bytes * r.usable_memory_fraction;
    auto per_gpu = [&](std::int64_t gpus) {
        const double gather = gpus >= 2 ? k_gathered_layers * k_gathered_bytes_per_parameter * static_cast<double>(widest) : 0.0;
        return m.states_bytes / static_cast<double>(gpus) + m.activations_bytes + m.overhead_bytes_per_gpu + gather;
    };
    std::int64_t chosen = r.max_gpus;
    for (std::int64_t gpus = 1; gpus <= r.max_gpus; ++gpus) {
        if (per_gpu(gpus) <= m.usable_per_gpu_bytes) {
            plan.fits = true;
            plan.gpus = gpus;
            chosen = gpus;
            break;
        }
    }
    m.gather_bytes_per_gpu =
        chosen >= 2 ? k_gathered_layers * k_gathered_bytes_per_parameter * static_cast<double>(widest) : 0.0;
    m.per_gpu_bytes = per_gpu(chosen);
    m.shortfall_bytes = std::max(0.0, m.per_gpu_bytes - m.usable_per_gpu_bytes);

    // Time and cost: the TCO training term (6 N_a D full, 4 N_a D LoRA and QLoRA).
    const TrainingMethod tco_method = full ? TrainingMethod::full : TrainingMethod::lora;
    plan.cost = training_cost(tco_method, static_cast<double>(p.active), r.tokens, 1.0, *r.hardware, r.mfu);
    if (plan.fits) {
        plan.wall_hours = plan.cost.gpu_hours / static_cast<double>(plan.gpus);
    }

    // Progressive unfreezing (seed §5.3): lower layers frozen, stage k trains the top
    // ceil(L k / S) layers; equal token shares.
    // The head (0 when tied: the shared matrix thaws with the embedding) and the final norm.
    const std::int64_t head_parameters = p.output_head + a.hidden_size;
    for (std::int64_t k = 1; k <= r.stages; ++k) {
        FinetuneStage stage;
        stage.stage = k;
        const std::int64_t unfrozen = (layers * k + r.stages - 1) / r.stages;
        stage.first_layer = layers - unfrozen;
        stage.last_layer = layers - 1;
        stage.head = true;
        stage.embedding = full && k == r.stages;
        stage.trainable_parameters = trainable_in_layers(r, stage.first_layer, stage.last_layer, scale);
        if (full) {
            stage.trainable_parameters += head_parameters + (stage.embedding ? p.embedding : 0);
        }
        stage.tokens = r.tokens / static_cast<double>(r.stages);
        stage.flops = plan.cost.flops / static_cast<double>(r.stages);
        stage.gpu_hours = plan.cost.gpu_hours / static_cast<double>(r.stages);
        plan.stages.push_back(stage);
    }

    // Three tiers with discriminative learning rates (seed §5.3).
    plan.learning_rate = r.learning_rate.value_or(full ? k_full_learning_rate : k_lora_learning_rate);
    plan.learning_rate_source =
        r.learning_rate ? "--learning-rate"
        : full          ? "assumption: a common full fine-tuning rate for decoder LLMs (1e-5 to 2e-5)"
                        : "Dettmers et al. 2023 (QLoRA): 2e-4 for 7B and 13B models";
    plan.tier_ratio = k_tier_ratio;
    const std::int64_t bottom_end = layers / 3;       // bottom: [0, L/3)
    const std::int64_t middle_end = 2 * layers / 3;  // middle: [L/3, 2L/3); top: [2L/3, L)
    struct TierShape {
        const char* name;
        std::int64_t first;
        std::int64_t last;
        double multiplier;
    };
    const TierShape shapes[] = {
        {"top", middle_end, layers - 1, 1.0},
        {"middle", bottom_end, middle_end - 1, 1.0 / k_tier_ratio},
        {"bottom", 0, bottom_end - 1, 1.0 / (k_tier_ratio * k_tier_ratio)},
    };
    for (const TierShape& shape : shapes) {
        FinetuneTier tier;
        tier.name = shape.name;
        tier.first_layer = shape.first;
        tier.last_layer = shape.last;
        tier.trainable_parameters = shape.last >= shape.first ? trainable_in_layers(r, shape.first, shape.last, scale) : 0;
        if (full && tier.name == "top") {
            tier.includes = {"head", "final_norm"};
            tier.trainable_parameters += head_parameters;
        } else if (full && tier.name == "bottom") {
            tier.includes = {"embedding"};
            tier.trainable_parameters += p.embedding;
        }
        tier.learning_rate_multiplier = shape.multiplier;
        tier.learning_rate = plan.learning_rate * shape.multiplier;
        plan.tiers.push_back(tier);
    }
    return plan;
}

}  // namespace dsselect
