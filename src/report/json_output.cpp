// Every JSON document dsselect writes. Keys carry units; money is rounded to cents and times
// to microseconds so output is byte-stable. Field names are a public contract (README).
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "catalog/serialize.hpp"
#include "json_common.hpp"
#include "pick.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/report/format.hpp"
#include "dsselect/report/views.hpp"

namespace dsselect::report {

using ordered_json = nlohmann::ordered_json;

namespace {
std::string dump(const ordered_json& document) { return document.dump(2) + "\n"; }

std::string dump_lines(const ordered_json& items) {
    std::string out;
    for (const auto& item : items) {
        out += item.dump() + "\n";
    }
    return out;
}

ordered_json model_json(const Model& model) {
    ordered_json out = dsselect::detail::to_json(model);
    const ParameterCounts counts = model_parameters(model);
    // Computed figures next to the catalog's own.
    ordered_json computed;
    computed["parameters"] = counts.total;
    computed["active_parameters"] = counts.active;
    if (model.parameters_nominal > 0) {
        computed["parameters_vs_nominal"] =
            round_to(static_cast<double>(counts.total) / model.parameters_nominal - 1.0, 6);
    }
    computed["kv_cache_elements_per_token"] = kv_cache_elements_per_token(model.architecture);
    computed["attention"] = model.architecture.is_mla() ? "mla"
                            : model.architecture.effective_kv_heads() == model.architecture.num_attention_heads
                                ? "mha"
                                : "gqa";
    ordered_json result;
    result["id"] = out["id"];
    result["name"] = out["name"];
    result["family"] = out["family"];
    if (out.contains("parameters_nominal")) {
        result["parameters_nominal"] = out["parameters_nominal"];
    }
    for (auto& [key, value] : computed.items()) {
        result[key] = value;
    }
    for (auto& [key, value] : out.items()) {
        if (!result.contains(key)) {
            result[key] = value;
        }
    }
    return result;
}
}  // namespace

std::string catalog_json(const Catalog& catalog, CatalogKind kind, const std::string& id, JsonStyle style) {
    ordered_json items = ordered_json::array();
    const char* document_kind = "";
    const char* key = "";
    switch (kind) {
    case CatalogKind::models:
        document_kind = "ModelList";
        key = "models";
        for (const Model* model : detail::pick_entries(catalog.models, id, "model")) {
            items.push_back(model_json(*model));
        }
        break;
    case CatalogKind::variants:
        document_kind = "VariantList";
        key = "variants";
        for (const Variant* variant : detail::pick_entries(catalog.variants, id, "variant")) {
            items.push_back(dsselect::detail::to_json(*variant));
        }
        break;
    case CatalogKind::hardware:
        document_kind = "HardwareList";
        key = "hardware";
        for (const Hardware* hardware : detail::pick_entries(catalog.hardware, id, "hardware")) {
            items.push_back(dsselect::detail::to_json(*hardware));
        }
        break;
    case CatalogKind::engines:
        document_kind = "EngineList";
        key = "engines";
        for (const Engine* engine : detail::pick_entries(catalog.engines, id, "engine")) {
            items.push_back(dsselect::detail::to_json(*engine));
        }
        break;
    case CatalogKind::scenarios:
        document_kind = "ScenarioList";
        key = "scenarios";
        for (const Scenario* scenario : detail::pick_entries(catalog.scenarios, id, "scenario")) {
            items.push_back(dsselect::detail::to_json(*scenario));
        }
        break;
    }
    if (style == JsonStyle::lines) {
        return dump_lines(items);
    }
    ordered_json document = detail::document_header(document_kind);
    document[key] = items;
    return dump(document);
}

namespace {
ordered_json nullable(bool present, double value, int decimals) {
    return present ? ordered_json(round_to(value, decimals)) : ordered_json(nullptr);
}
std::int64_t whole_bytes(double bytes) { return static_cast<std::int64_t>(std::llround(bytes)); }

ordered_json error_figures_json(const std::optional<ErrorFigures>& figures) {
    if (!figures) {
        return nullptr;
    }
    return {{"rows", figures->rows},
            {"median_abs_error_pct", round_to(figures->median_abs_error_pct, 1)},
            {"mean_signed_error_pct", round_to(figures->mean_signed_error_pct, 1)}};
}

}  // namespace

// Added in schema 1.2: how far such estimates have been from measurements (data/accuracy.json).
ordered_json detail::accuracy_json(const AccuracyClaim& claim) {
    ordered_json out;
    const AccuracyEntry* entry = claim.entry;
    out["measured"] = entry != nullptr;
    out["set"] = entry != nullptr ? ordered_json(entry->set) : ordered_json(nullptr);
    out["engine"] = claim.engine_id.empty() ? ordered_json(nullptr) : ordered_json(claim.engine_id);
    out["model_kind"] = entry != nullptr ? ordered_json(entry->model_kind) : ordered_json(nullptr);
    out["models"] = entry != nullptr ? ordered_json(entry->models) : ordered_json::array();
    out["measured_on"] = entry != nullptr ? ordered_json(measured_on(*entry)) : ordered_json::array();
    out["hardware_measured"] = claim.hardware_measured;
    out["precision_measured"] = claim.precision_measured;
    // ttft, tpot and (added in 1.3) capacity; all null when nothing was measured.
    const AccuracyEntry unmeasured;  // a local, not a temporary: the figures point into it
    for (const NamedFigures& named : named_figures(entry != nullptr ? *entry : unmeasured)) {
        out[named.key] = error_figures_json(*named.figures);
    }
    out["note"] = claim.note;
    out["source"] = entry != nullptr ? entry->source : std::string("data/accuracy.json");
    return out;
}

std::string estimate_json(const EstimateView& view, JsonStyle style) {
    const EstimateRequest& request = *view.request;
    const Estimate& e = *view.estimate;
    ordered_json out = detail::document_header("Estimate");
    out["model"] = request.model->id;
    out["variant"] = request.variant->id;
    out["hardware"] = request.hardware->id;
    out["gpus"] = request.gpus;
    out["workload"] = {{"prompt_tokens", request.prompt_tokens},
                       {"output_tokens", request.output_tokens},
                       {"batch", request.batch},
                       {"context_tokens", request.context_tokens > 0 ? request.context_tokens
                                                                      : request.prompt_tokens + request.output_tokens}};
    out["feasibility"] = to_string(e.feasibility);
    out["parameters"] = e.parameters.total;
    out["active_parameters"] = static_cast<std::int64_t>(std::llround(e.active_parameters));
    out["kept_parameters"] = static_cast<std::int64_t>(std::llround(e.kept_parameters));
    out["compute_precision"] = to_string(e.compute_precision);
    if (request.model->architecture.is_moe()) {
        out["expert_parallel_size"] = request.expert_parallel_size;  // 1: every GPU a slice of each expert
    }
    const MemoryEstimate& m = e.memory;
    ordered_json memory;
    // Replica totals (weights, KV cache, adapters, total) and per-GPU figures; the *_per_gpu parts
    // with activations_bytes and overhead_bytes add up to per_gpu_bytes.
    const double gpus = static_cast<double>(request.gpus);
    memory["weights_bytes"] = whole_bytes(m.weights_bytes);
    memory["kv_cache_bytes"] = whole_bytes(m.kv_cache_bytes);
    memory["kv_cache_bytes_per_token"] = whole_bytes(m.kv_cache_bytes_per_token);
    memory["activations_bytes"] = whole_bytes(m.activations_bytes);
    memory["adapter_bytes"] = whole_bytes(m.adapter_bytes);
    memory["overhead_bytes"] = whole_bytes(m.overhead_bytes);
    memory["total_bytes"] = whole_bytes(m.total_bytes);
    memory["per_gpu_bytes"] = whole_bytes(m.per_gpu_bytes);
    memory["weights_bytes_per_gpu"] = whole_bytes(m.weights_bytes / gpus);
    memory["kv_cache_bytes_per_gpu"] = whole_bytes(m.kv_cache_bytes / gpus);
    memory["adapter_bytes_per_gpu"] = whole_bytes(m.adapter_bytes / gpus);
    memory["kv_cache_tokens"] = round_to(m.kv_cache_tokens, 1);  // P + O/2 per sequence may be a half
    memory["capacity_per_gpu_bytes"] = whole_bytes(m.capacity_per_gpu_bytes);
    memory["usable_per_gpu_bytes"] = whole_bytes(m.usable_per_gpu_bytes);
    memory["shortfall_bytes"] = whole_bytes(m.shortfall_bytes);
    memory["fits"] = m.fits;
    memory["max_concurrency"] = m.max_concurrency;
    out["memory"] = memory;
    const bool timed = e.has_timing();
    const PerformanceEstimate& p = e.performance;
    ordered_json performance;
    performance["ttft_ms"] = nullable(timed, p.ttft_ms, 3);
    performance["tpot_ms"] = nullable(timed, p.tpot_ms, 3);
    performance["decode_step_ms"] = nullable(timed, p.decode_step_ms, 3);
    performance["latency_ms"] = nullable(timed, p.latency_ms, 3);
    performance["output_tokens_per_s"] = nullable(timed, p.output_tokens_per_s, 3);
    performance["output_tokens_per_s_per_sequence"] = nullable(timed, p.output_tokens_per_s_per_sequence, 3);
    performance["prefill_tokens_per_s"] = nullable(timed, p.prefill_tokens_per_s, 3);
    performance["qps"] = nullable(timed, p.qps, 4);
    performance["decode_bound"] = timed ? ordered_json(p.decode_memory_bound ? "memory" : "compute") : ordered_json(nullptr);
    out["performance"] = performance;
    out["power"] = {{"watts", round_to(e.power_w, 2)},
                    {"energy_wh_per_1k_output_tokens", nullable(timed, e.energy_wh_per_1k_output_tokens, 4)}};
    out["max_throughput"] = {{"batch", e.max_throughput_batch},
                             {"output_tokens_per_s", round_to(e.max_throughput_output_tokens_per_s, 3)}};
    // Added in schema 1.1's line: the figure a fixed-length throughput benchmark would measure.
    out["max_throughput"]["benchmark_output_tokens_per_s"] =
        nullable(e.max_throughput_benchmark_output_tokens_per_s.has_value(),
                 e.max_throughput_benchmark_output_tokens_per_s.value_or(0.0), 3);
    if (view.accuracy != nullptr) {
        out["accuracy"] = detail::accuracy_json(*view.accuracy);
    }
    if (view.trace != nullptr) {
        ordered_json steps = ordered_json::array();
        for (const TraceItem& item : *view.trace) {
            steps.push_back({{"name", item.name}, {"value", round_to(item.value, 6)}, {"unit", item.unit},
                             {"formula", item.formula}});
        }
        out["explain"] = steps;
    }
    return style == JsonStyle::lines ? out.dump() + "\n" : dump(out);
}

}  // namespace dsselect::report
