#include "select/prechecks.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "dsselect/select/topology.hpp"
#include "select/rejection.hpp"

namespace dsselect::select {

namespace {
bool allowed(const std::vector<std::string>& list, const std::string& id) {
    return list.empty() || std::find(list.begin(), list.end(), id) != list.end();
}
}  // namespace

ModelFacts model_facts(const Scenario& s, const Model& model) {
    return {.parameters = model_parameters(model), .quality_base = model.quality_for(s.task_kind)};
}

std::optional<double> engine_kv_cache_bits(const Engine* engine, const Model& model, const Variant& variant) {
    return kv_cache_bits_for(engine, model, variant, std::nullopt);
}

PairFacts pair_facts(const Scenario& s, const Model& model, const Variant& variant, const Engine* engine) {
    return pair_facts(s, model, variant, model_facts(s, model), engine_kv_cache_bits(engine, model, variant),
                      has_sparse_2_4_kernels(engine));
}

PairFacts pair_facts(const Scenario& s, const Model& model, const Variant& variant, const ModelFacts& of_model,
                     std::optional<double> kv_cache_bits, bool sparse_2_4_kernels) {
    PairFacts facts;
    facts.engine_kv_cache_bits = kv_cache_bits;
    facts.parameters = of_model.parameters;
    facts.quality_base = of_model.quality_base;
    facts.quality = facts.quality_base.value_or(0.0) * variant.quality_retention;
    facts.weights_on_disk_bytes = model_weight_bytes(facts.parameters, variant, sparse_2_4_kernels);
    const std::int64_t context = s.workload.context_tokens > 0 ? s.workload.context_tokens
                                                                : s.workload.prompt_tokens + s.workload.output_tokens;
    facts.context_too_long = exceeds_context_window(model.architecture, context);
    facts.active_fraction = mixed_active_fraction(s.complexity_mix, variant);  // docs/method.md
    // Every floor: the scenario's, then each task's (its own floor, else the scenario's). No
    // published figure is unknown, not zero; a floor of 0 asks for nothing (docs/quality.md).
    double lowest = std::numeric_limits<double>::infinity();
    auto floor_check = [&](int task, const std::string& kind, std::optional<double> floor) {
        if (!floor || *floor <= 0.0) {
            return;
        }
        // The scenario's own kind was looked up once per model.
        const std::optional<double> base = &kind == &s.task_kind ? of_model.quality_base : model.quality_for(kind);
        const double quality = base.value_or(0.0) * variant.quality_retention;
        if (base) {
            lowest = std::min(lowest, quality);
        }
        const double ratio = !base ? std::numeric_limits<double>::infinity()
                                   : (quality < *floor ? *floor / std::max(quality, 1e-9) : 0.0);
        if (ratio > facts.quality_miss_ratio) {
            facts.quality_miss_ratio = ratio;
            facts.quality_miss_task = task;
            facts.quality_miss_floor = *floor;
        }
    };
    floor_check(-1, s.task_kind, s.constraints.min_quality);
    for (std::size_t i = 0; i < s.tasks.size(); ++i) {
        const TaskSpec& task = s.tasks[i];
        floor_check(static_cast<int>(i), task.task_kind.empty() ? s.task_kind : task.task_kind,
                    task.min_quality ? task.min_quality : s.constraints.min_quality);
    }
    facts.quality_admitted_at = std::isfinite(lowest) ? lowest : 0.0;
    return facts;
}

bool pair_allowed(const Constraints& k, const Model& model, const Variant& variant) {
    return allowed(k.allowed_models, model.id) && allowed(k.allowed_variants, variant.id);
}

bool hardware_allowed(const Constraints& k, const Hardware& hardware) { return allowed(k.allowed_hardware, hardware.id); }

bool has_precision(const Hardware& hardware, const Variant& variant) {
    return hardware.peak_tflops_at(variant.compute_precision).has_value();
}

EarlyFlags early_flags(const Scenario& s, const Model& model, const Variant& variant, const Hardware& hardware,
                       std::int64_t gpus, const Engine* engine) {
    const Constraints& k = s.constraints;
    return {.allowed = pair_allowed(k, model, variant) && hardware_allowed(k, hardware),
            .applies = variant.applies_to_model(model.id),
            .has_precision = has_precision(hardware, variant),
            .consumer_ok = consumer_ok(k, hardware),
            .served = engine_serves(engine, variant, hardware),
            .splits = tensor_parallel_allowed(model, gpus, engine)};
}

std::string_view early_reason(Early early) {
    switch (early) {
    case Early::none: break;
    case Early::not_allowed: return "not_allowed";
    case Early::variant_not_applicable: return "variant_not_applicable";
    case Early::max_gpus: return "max_gpus";
    case Early::context: return "context";
    case Early::precision: return "precision";
    case Early::engine: return "engine";
    case Early::tensor_parallel: return "tensor_parallel";
    case Early::model_size: return "model_size";
    case Early::quality: return "quality";
    case Early::consumer: return "consumer";
    case Early::count: break;
    }
    return "";
}

std::vector<EarlyMiss> every_precheck_miss(const Scenario& s, const Model& model, std::int64_t gpus,
                                           const PairFacts& facts, const EarlyFlags& flags) {
    std::vector<EarlyMiss> misses;
    visit_precheck_misses(s, model, gpus, facts, flags, [&](const EarlyMiss& miss) {
        misses.push_back(miss);
        return true;
    });
    return misses;
}

std::optional<Rejection> explain_precheck(const EarlyMiss& miss, const Scenario& s, const Model& model,
                                          const Variant& variant, const Hardware& hardware, std::int64_t gpus,
                                          const PairFacts& facts, const Engine* engine) {
    const Constraints& k = s.constraints;
    Rejection r;
    switch (miss.early) {
    case Early::none:
    case Early::count:
        return std::nullopt;
    case Early::not_allowed:
        return reject("not_allowed", "excluded by the scenario's allowed models, variants or hardware");
    case Early::variant_not_applicable:
        return reject("variant_not_applicable", fmt::format("variant '{}' does not apply to '{}'", variant.id, model.id));
    case Early::max_gpus:
        return over_limit("max_gpus", "GPUs per replica", "", "--max-gpus", static_cast<double>(*k.max_gpus_per_replica),
                          static_cast<double>(gpus));
    case Early::context: {
        const double window = static_cast<double>(model.architecture.max_position_embeddings);
        const double context = static_cast<double>(s.workload.context_tokens);
        r = reject("context", "", "--context", context, window, miss.miss_ratio);
        r.what = "a context window";
        r.unit = "tokens";
        r.at_least = true;
        return r;
    }
    case Early::consumer:
        return reject("consumer", fmt::format("'{}' is a consumer card (its licence forbids data-centre deployment) and "
                                              "the scenario excludes consumer cards (--exclude-consumer)",
                                              hardware.id));
    case Early::precision:
        return reject("precision", fmt::format("'{}' has no {} matrix units", hardware.id, to_string(variant.compute_precision)));
    case Early::engine:
        return reject("engine", engine_problem(engine, variant, hardware));
    case Early::tensor_parallel:
        return reject("tensor_parallel", tensor_parallel_problem(model, gpus, engine));
    case Early::model_size:
        return over_limit("model_size", "model size", "MB", "--max-model-mb", *k.max_model_mb,
                          facts.weights_on_disk_bytes / 1e6);
    case Early::quality:
        if (facts.quality_miss_task >= 0) {
            const TaskSpec& task = s.tasks[static_cast<std::size_t>(facts.quality_miss_task)];
            const std::string& kind = task.task_kind.empty() ? s.task_kind : task.task_kind;
            const std::optional<double> base = model.quality_for(kind);
            if (!base) {
                return reject("quality", fmt::format("task '{}': '{}' has no published quality figure for task kind "
                                                     "'{}'; add one with --data FILE (docs/quality.md), or pass "
                                                     "--min-quality 0",
                                                     task.id, model.id, kind));
            }
            const double quality = *base * variant.quality_retention;
            return reject("quality",
                          fmt::format("task '{}': needs quality >= {:.6g} for task kind '{}', has {:.6g}", task.id,
                                      facts.quality_miss_floor, kind, quality),
                          "--min-quality", facts.quality_miss_floor, facts.quality_admitted_at, miss.miss_ratio);
        }
        if (!facts.quality_base) {
            return reject("quality",
                          fmt::format("'{}' has no published quality figure for task kind '{}' (nor a 'default' one); "
                                      "add one with --data FILE, a model entry '{}' whose quality list has "
                                      "{{\"task_kind\": \"{}\", \"score\": 0..1, \"source\": ...}} (docs/quality.md), "
                                      "or pass --min-quality 0",
                                      model.id, s.task_kind, model.id, s.task_kind));
        }
        r = reject("quality", "", "--min-quality", *k.min_quality, facts.quality, miss.miss_ratio);
        r.what = "quality";
        r.at_least = true;
        return r;
    }
    return std::nullopt;
}

}  // namespace dsselect::select
