#pragma once
// Fine-tuning plan (`dsselect plan finetune`): training memory (weights, gradients, optimizer
// states, activations), the smallest GPU count that holds it, time and cost through the TCO
// training term, and a schedule after seed §5.3 (progressive unfreezing, three learning-rate
// tiers). Pure functions of their inputs; every formula is in docs/finetune.md.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dsselect/catalog/types.hpp"
#include "dsselect/estimate/estimator.hpp"
#include "dsselect/tco/tco.hpp"

namespace dsselect {

enum class FinetuneMethod { full, lora, qlora };
inline constexpr FinetuneMethod k_all_finetune_methods[] = {FinetuneMethod::full, FinetuneMethod::lora,
                                                            FinetuneMethod::qlora};
const char* to_string(FinetuneMethod method);
std::optional<FinetuneMethod> parse_finetune_method(const std::string& text);

// Which linear layers get LoRA adapters: the attention projections only, or attention and the
// FFN (dense FFN and shared experts; routed experts are never adapted, see docs/finetune.md).
enum class LoraTargets { attention, all };
const char* to_string(LoraTargets targets);
std::optional<LoraTargets> parse_lora_targets(const std::string& text);

// Bytes per trainable parameter under mixed-precision Adam: bf16 weights 2 + bf16 gradients 2 +
// fp32 master weights 4 + Adam first and second moments 4 + 4 (Rajbhandari et al. 2020, ZeRO §3).
inline constexpr double k_mixed_adam_weight_bytes = 2.0;
inline constexpr double k_mixed_adam_gradient_bytes = 2.0;
inline constexpr double k_mixed_adam_optimizer_bytes = 12.0;
// QLoRA's frozen base: NF4 (4 bits) + double-quantized block constants, 0.127 bits per parameter
// (Dettmers et al. 2023, QLoRA §2); the embedding and the head stay at 16 bits.
inline constexpr double k_qlora_base_bits = 4.127;

struct FinetuneRequest {
    const Model* model = nullptr;
    const Variant* variant = nullptr;   // LoRA only: how the frozen base is stored; nullptr: 16 bits
    const Hardware* hardware = nullptr;
    const Variant* mixed_precision_reference = nullptr;  // catalog entry quoting seed §2.2's -40 %
    FinetuneMethod method = FinetuneMethod::full;
    double tokens = 1e8;                   // training tokens over the whole schedule
    std::int64_t sequence_tokens = 4096;   // tokens per training sequence
    std::int64_t micro_batch_sequences = 1;  // sequences per GPU per step
    std::int64_t lora_rank = 16;
    LoraTargets lora_targets = LoraTargets::all;
    std::int64_t stages = 4;               // progressive unfreezing stages
    double mfu = 0.4;                      // model FLOPs utilisation (the TCO default, PHYSICS.md)
    std::optional<double> learning_rate;   // absent: the method's default
    std::int64_t max_gpus = 1024;          // search bound
    double runtime_overhead_bytes = 1.0 * 1073741824.0;  // CUDA context + framework workspace per GPU
    double usable_memory_fraction = 0.90;  // assumption: allocator fragmentation keeps ~10 % unusable
};

// LoRA adapter parameters of one layer: rank * (d_in + d_out) for every targeted matrix.
std::int64_t lora_parameters_per_layer(const Architecture& arch, std::int64_t layer, std::int64_t rank,
                                       LoraTargets targets);

struct FinetuneMemory {
    double weights_bytes = 0;      // whole model: the trained copy (full) or the frozen base + adapters
    double gradients_bytes = 0;    // whole model
    double optimizer_bytes = 0;    // whole model: fp32 master weights + Adam moments
    double states_bytes = 0;       // weights + gradients + optimizer, sharded over the GPUs
    double activations_bytes = 0;  // per GPU, one micro-batch (not sharded)
    double total_bytes = 0;        // states + activations of one micro-batch
    double bytes_per_parameter = 0;  // states / total parameters
    double gather_bytes_per_gpu = 0;  // ZeRO-3 / FSDP: two gathered layers in 16 bits (GPUs >= 2)
    double overhead_bytes_per_gpu = 0;  // runtime
    double per_gpu_bytes = 0;      // at the chosen GPU count (or max_gpus when nothing fits)
    double capacity_per_gpu_bytes = 0;
    double usable_per_gpu_bytes = 0;
    double shortfall_bytes = 0;    // per GPU, > 0 when nothing up to max_gpus fits
    // Full fine-tuning only: the same job in fp32 (4 + 4 + 8 bytes per parameter, activations at
    // 4 bytes), and the saving mixed precision computes to against it.
    std::optional<double> fp32_total_bytes;
    std::optional<double> computed_saving_fraction;
};

struct FinetuneStage {
    std::int64_t stage = 0;        // 1-based
    std::int64_t first_layer = 0;  // lowest unfrozen layer, 0-based; the top layer is L - 1
    std::int64_t last_layer = 0;
    bool head = true;              // output head and final norm train in every stage
    bool embedding = false;        // full fine-tuning: the embedding thaws in the last stage
    std::int64_t trainable_parameters = 0;
    double tokens = 0;
    double flops = 0;
    double gpu_hours = 0;
};

struct FinetuneTier {
    std::string name;               // "top", "middle", "bottom"
    std::int64_t first_layer = 0;
    std::int64_t last_layer = 0;
    std::vector<std::string> includes;  // "head", "final_norm", "embedding"
    std::int64_t trainable_parameters = 0;
    double learning_rate_multiplier = 1.0;
    double learning_rate = 0;
};

struct FinetunePlan {
    FinetuneRequest request;
    ParameterCounts parameters;
    std::int64_t adapter_parameters = 0;    // LoRA / QLoRA
    std::int64_t trainable_parameters = 0;  // in the last stage (everything the method trains)
    FinetuneMemory memory;
    bool fits = false;
    std::int64_t gpus = 0;  // smallest count that holds the plan; 0 when none up to max_gpus
    TrainingCost cost;      // the TCO training term
    std::optional<double> wall_hours;  // gpu_hours / gpus, when it fits
    double learning_rate = 0;
    std::string learning_rate_source;
    double tier_ratio = 2.6;  // each lower tier's rate is the one above / tier_ratio
    std::vector<FinetuneStage> stages;
    std::vector<FinetuneTier> tiers;
};

// Throws a usage Error for inputs out of range (stages > layers, non-positive tokens, ...).
FinetunePlan plan_finetune(const FinetuneRequest& request);

}  // namespace dsselect
