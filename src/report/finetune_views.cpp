// FinetunePlan rendering: tables for people, JSON for programs. Nothing is computed here.
#include "dsselect/report/finetune_views.hpp"

#include <cmath>

#include <fmt/format.h>

#include "dsselect/report/format.hpp"
#include "json_common.hpp"
#include "table_columns.hpp"

namespace dsselect::report {

using detail::L;
using detail::R;

namespace {
using nlohmann::ordered_json;

using detail::whole;

ordered_json layer_or_null(std::int64_t first, std::int64_t last, std::int64_t value) {
    return last >= first ? ordered_json(value) : ordered_json(nullptr);
}

std::string layer_range(std::int64_t first, std::int64_t last) {
    if (last < first) {
        return "-";
    }
    return first == last ? fmt::format("{}", first) : fmt::format("{}-{}", first, last);
}

// seed §2.2's quoted saving, when the catalog carries it (variant "mixed-precision").
std::optional<double> catalog_saving(const FinetunePlan& plan) {
    const Variant* reference = plan.request.mixed_precision_reference;
    if (reference == nullptr || !reference->training_memory_fraction) {
        return std::nullopt;
    }
    return 1.0 - *reference->training_memory_fraction;
}

std::string catalog_saving_source(const FinetunePlan& plan) {
    const Variant* reference = plan.request.mixed_precision_reference;
    auto found = reference->sources.find("training_memory_fraction");
    return found != reference->sources.end() ? found->second : reference->source;
}
}  // namespace

std::string finetune_json(const FinetunePlan& plan, JsonStyle style) {
    const FinetuneRequest& r = plan.request;
    const FinetuneMemory& m = plan.memory;
    ordered_json out = detail::document_header("FinetunePlan");
    out["model"] = r.model->id;
    out["variant"] = r.variant != nullptr ? ordered_json(r.variant->id) : ordered_json(nullptr);
    out["hardware"] = r.hardware->id;
    out["method"] = to_string(r.method);
    out["tokens"] = whole(r.tokens);
    out["training"] = {{"sequence_tokens", r.sequence_tokens},
                       {"micro_batch_sequences", r.micro_batch_sequences},
                       {"activation_checkpointing", true},
                       {"optimizer", "adam"},
                       {"precision", "bf16 mixed (fp32 master weights)"},
                       {"mfu", round_to(r.mfu, 6)}};
    if (r.method == FinetuneMethod::full) {
        out["lora"] = nullptr;
    } else {
        out["lora"] = {{"rank", r.lora_rank},
                       {"targets", to_string(r.lora_targets)},
                       {"adapter_parameters", plan.adapter_parameters},
                       {"base_bits", r.method == FinetuneMethod::qlora ? ordered_json(round_to(k_qlora_base_bits, 6))
                                                                       : ordered_json(nullptr)}};
    }
    out["parameters"] = {{"total", plan.parameters.total},
                         {"active", plan.parameters.active},
                         {"trainable", plan.trainable_parameters}};
    ordered_json memory;
    memory["weights_bytes"] = whole(m.weights_bytes);
    memory["gradients_bytes"] = whole(m.gradients_bytes);
    memory["optimizer_bytes"] = whole(m.optimizer_bytes);
    memory["states_bytes"] = whole(m.states_bytes);
    memory["activations_bytes"] = whole(m.activations_bytes);
    memory["total_bytes"] = whole(m.total_bytes);
    memory["bytes_per_parameter"] = round_to(m.bytes_per_parameter, 6);
    memory["gather_bytes_per_gpu"] = whole(m.gather_bytes_per_gpu);
    memory["overhead_bytes_per_gpu"] = whole(m.overhead_bytes_per_gpu);
    memory["per_gpu_bytes"] = whole(m.per_gpu_bytes);
    memory["capacity_per_gpu_bytes"] = whole(m.capacity_per_gpu_bytes);
    memory["usable_per_gpu_bytes"] = whole(m.usable_per_gpu_bytes);
    memory["shortfall_bytes"] = whole(m.shortfall_bytes);
    if (m.fp32_total_bytes) {
        const auto quoted = catalog_saving(plan);
        memory["mixed_precision"] = {
            {"fp32_total_bytes", whole(*m.fp32_total_bytes)},
            {"computed_saving_fraction", round_to(*m.computed_saving_fraction, 6)},
            {"catalog_saving_fraction", quoted ? ordered_json(round_to(*quoted, 6)) : ordered_json(nullptr)},
            {"catalog_source", quoted ? ordered_json(catalog_saving_source(plan)) : ordered_json(nullptr)}};
    } else {
        memory["mixed_precision"] = nullptr;
    }
    out["memory"] = memory;
    out["fits"] = plan.fits;
    out["gpus"] = plan.fits ? ordered_json(plan.gpus) : ordered_json(nullptr);
    out["max_gpus"] = r.max_gpus;
    out["time_hours"] = plan.wall_hours ? ordered_json(round_to(*plan.wall_hours, 4)) : ordered_json(nullptr);
    out["time"] = {{"flops", round_to(plan.cost.flops, 0)},
                   {"peak_tflops_per_gpu", round_to(plan.cost.peak_flops_per_gpu / 1e12, 3)},
                   {"gpu_hours", round_to(plan.cost.gpu_hours, 4)},
                   {"wall_hours", out["time_hours"]}};
    out["cost"] = {{"training_usd", round_to(plan.cost.usd, 2)},
                   {"usd_per_gpu_hour", round_to(r.hardware->price_usd_per_hour, 4)},
                   {"source", "TCO training term: FLOPs / (16-bit peak * MFU * 3600) GPU-hours * price per GPU-hour"}};
    out["learning_rate"] = {{"base", plan.learning_rate},
                            {"source", plan.learning_rate_source},
                            {"tier_ratio", round_to(plan.tier_ratio, 6)}};
    ordered_json stages = ordered_json::array();
    for (const FinetuneStage& stage : plan.stages) {
        stages.push_back({{"stage", stage.stage},
                          {"first_layer", stage.first_layer},
                          {"last_layer", stage.last_layer},
                          {"unfrozen_layers", stage.last_layer - stage.first_layer + 1},
                          {"head", stage.head},
                          {"embedding", stage.embedding},
                          {"trainable_parameters", stage.trainable_parameters},
                          {"tokens", whole(stage.tokens)},
                          {"flops", round_to(stage.flops, 0)},
                          {"gpu_hours", round_to(stage.gpu_hours, 4)}});
    }
    out["stages"] = stages;
    ordered_json tiers = ordered_json::array();
    for (const FinetuneTier& tier : plan.tiers) {
        tiers.push_back({{"tier", tier.name},
                         {"first_layer", layer_or_null(tier.first_layer, tier.last_layer, tier.first_layer)},
                         {"last_layer", layer_or_null(tier.first_layer, tier.last_layer, tier.last_layer)},
                         {"includes", tier.includes},
                         {"trainable_parameters", tier.trainable_parameters},
                         {"learning_rate_multiplier", round_to(tier.learning_rate_multiplier, 6)},
                         {"learning_rate", tier.learning_rate}});
    }
    out["tiers"] = tiers;
    return style == JsonStyle::lines ? out.dump() + "\n" : out.dump(2) + "\n";
}

std::vector<Table> finetune_tables(const FinetunePlan& plan) {
    const FinetuneRequest& r = plan.request;
    const FinetuneMemory& m = plan.memory;
    std::vector<Table> tables;

    Table summary;
    summary.id = "plan";
    summary.title = fmt::format("Fine-tuning plan: {} {} on {}  ({} tokens)", r.model->id, to_string(r.method),
                                r.hardware->id, count_short(r.tokens));
    summary.columns = {{"quantity", L}, {"value", R}, {"unit", L}};
    summary.rows = {
        {"parameters", count_short(static_cast<double>(plan.parameters.total)), "params"},
        {"trainable parameters", count_short(static_cast<double>(plan.trainable_parameters)), "params"},
        {"GPUs (ZeRO-3 / FSDP)", plan.fits ? fmt::format("{}", plan.gpus) : std::string("-"), r.hardware->id},
        {"training FLOPs", fmt::format("{:.3e}", plan.cost.flops), "FLOP"},
        {"GPU-hours", fixed(plan.cost.gpu_hours, 1), "h"},
        {"wall-clock time", fixed(plan.wall_hours, 2), "h"},
        {"cost", usd(plan.cost.usd), "USD"},
    };
    if (r.method != FinetuneMethod::full) {
        summary.rows.push_back({"LoRA rank / targets", fmt::format("{} / {}", r.lora_rank, to_string(r.lora_targets)), ""});
    }
    summary.notes.push_back(plan.fits ? fmt::format("fits on {} x {}", plan.gpus, r.hardware->id)
                                      : fmt::format("does NOT fit on up to {} x {}: {} GiB short per GPU (activations "
                                                    "and overhead alone exceed one GPU)",
                                                    r.max_gpus, r.hardware->id, gib(m.shortfall_bytes)));
    tables.push_back(summary);

    Table memory;
    memory.id = "training_memory";
    memory.title = "Training memory";
    memory.columns = {{"part", L}, {"whole job GiB", R}, {"per GPU GiB", R}};
    const double gpus = static_cast<double>(plan.fits ? plan.gpus : r.max_gpus);
    memory.rows = {
        {"weights", gib(m.weights_bytes), gib(m.weights_bytes / gpus)},
        {"gradients", gib(m.gradients_bytes), gib(m.gradients_bytes / gpus)},
        {"optimizer (fp32 master + Adam m, v)", gib(m.optimizer_bytes), gib(m.optimizer_bytes / gpus)},
        {"activations (one micro-batch)", gib(m.activations_bytes), gib(m.activations_bytes)},
        {"gathered layers + runtime", "-", gib(m.gather_bytes_per_gpu + m.overhead_bytes_per_gpu)},
        {"total", gib(m.total_bytes), gib(m.per_gpu_bytes)},
        {"usable per GPU", "-", gib(m.usable_per_gpu_bytes)},
    };
    memory.notes.push_back(fmt::format("{} bytes per parameter before activations", fixed(m.bytes_per_parameter, 2)));
    if (m.fp32_total_bytes) {
        std::string note = fmt::format("mixed precision vs fp32 training: computed saving {} % ({} GiB vs {} GiB)",
                                       fixed(*m.computed_saving_fraction * 100.0, 1), gib(m.total_bytes),
                                       gib(*m.fp32_total_bytes));
        if (const auto quoted = catalog_saving(plan)) {
            note += fmt::format("; catalog figure {} % ({})", fixed(*quoted * 100.0, 0), catalog_saving_source(plan));
        }
        memory.notes.push_back(note);
    }
    tables.push_back(memory);

    Table stages;
    stages.id = "unfreezing_stages";
    stages.title = "Progressive unfreezing (seed §5.3: lower layers frozen, unfrozen upward stage by stage)";
    stages.columns = {{"stage", R}, {"layers", L}, {"also", L}, {"trainable", R}, {"tokens", R}, {"GPU-hours", R}};
    for (const FinetuneStage& stage : plan.stages) {
        std::string also = stage.embedding ? "head, embedding" : "head";
        stages.rows.push_back({fmt::format("{}", stage.stage), layer_range(stage.first_layer, stage.last_layer),
                               r.method == FinetuneMethod::full ? also : std::string("adapters only"),
                               count_short(static_cast<double>(stage.trainable_parameters)),
                               count_short(stage.tokens), fixed(stage.gpu_hours, 1)});
    }
    tables.push_back(stages);

    Table tiers;
    tiers.id = "learning_rate_tiers";
    tiers.title = "Learning-rate tiers (seed §5.3: three importance tiers)";
    tiers.columns = {{"tier", L}, {"layers", L}, {"also", L}, {"trainable", R}, {"multiplier", R}, {"learning rate", R}};
    for (const FinetuneTier& tier : plan.tiers) {
        std::string also;
        for (const std::string& item : tier.includes) {
            also += (also.empty() ? "" : ", ") + item;
        }
        tiers.rows.push_back({tier.name, layer_range(tier.first_layer, tier.last_layer), also.empty() ? "-" : also,
                              count_short(static_cast<double>(tier.trainable_parameters)),
                              fixed(tier.learning_rate_multiplier, 3), fmt::format("{:.3g}", tier.learning_rate)});
    }
    tiers.notes.push_back(fmt::format("base rate {:.3g} ({}); each lower tier / {} (Howard & Ruder 2018, ULMFiT)",
                                      plan.learning_rate, plan.learning_rate_source, fixed(plan.tier_ratio, 1)));
    tables.push_back(tiers);
    return tables;
}

}  // namespace dsselect::report
