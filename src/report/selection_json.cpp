// JSON for Recommendation, Comparison and Tco documents.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dsselect/report/format.hpp"
#include "dsselect/report/views.hpp"
#include "json_common.hpp"

namespace dsselect::report {

using ordered_json = nlohmann::ordered_json;

namespace {
double cents(double usd) { return round_to(usd, 2); }

ordered_json cost_json(const TcoResult& c) {
    ordered_json out;
    out["training_usd"] = cents(c.training_usd);
    out["training_source"] = c.training_quoted ? "given by the scenario (quoted)" : "computed: FLOPs / (peak * MFU) * price";
    // Both training figures, whichever is in the total (tco.training.cost, --training-cost).
    out["training_computed_usd"] = cents(c.training_computed_usd);
    out["training_quoted_usd"] = c.training_quoted_usd ? ordered_json(cents(*c.training_quoted_usd)) : ordered_json(nullptr);
    out["training_gpu_hours"] = round_to(c.training_gpu_hours, 2);
    // How the hardware was costed: a device without a rental price is costed as owned.
    out["ownership"] = c.ownership == Ownership::rented ? "rented" : "owned";
    out["inference_usd"] = cents(c.inference_usd);
    out["maintenance_usd"] = cents(c.maintenance_usd);
    out["total_usd"] = cents(c.total_usd);
    out["weighted_index_usd"] = cents(c.weighted_index_usd);
    out["weights"] = {{"alpha", c.weights.alpha}, {"beta", c.weights.beta}, {"gamma", c.weights.gamma}};
    out["yearly_usd"] = cents(c.yearly_usd);
    out["breakdown"] = {{"inference_rental_usd", cents(c.inference_rental_usd)},
                        {"inference_depreciation_usd", cents(c.inference_depreciation_usd)},
                        {"inference_energy_usd", cents(c.inference_energy_usd)},
                        {"maintenance_hardware_usd", cents(c.maintenance_hardware_usd)},
                        {"maintenance_engineering_usd", cents(c.maintenance_engineering_usd)}};
    ordered_json years = ordered_json::array();
    for (const TcoYear& y : c.per_year) {
        years.push_back({{"year", y.year}, {"training_usd", cents(y.training_usd)}, {"inference_usd", cents(y.inference_usd)},
                         {"maintenance_usd", cents(y.maintenance_usd)}});
    }
    out["per_year"] = years;
    out["usd_per_million_output_tokens"] =
        c.usd_per_million_output_tokens ? ordered_json(round_to(*c.usd_per_million_output_tokens, 4)) : ordered_json(nullptr);
    return out;
}

// The rules' warnings of an accepted candidate ({rule, message}; empty otherwise) and, for a
// claimed variant, "claimed": true and its "claim" (docs/quality.md): one shape in every document.
void put_warnings_and_claim(ordered_json& out, const Candidate& c) {
    ordered_json warnings = ordered_json::array();
    for (std::size_t i = 0; i < c.warnings.size(); ++i) {
        warnings.push_back({{"rule", c.warnings[i]}, {"message", c.warning_messages[i]}});
    }
    out["warnings"] = warnings;
    if (c.variant != nullptr && c.variant->claimed) {  // rests on the source document's claim
        out["claimed"] = true;
        out["claim"] = c.variant->claim;
    }
}

// Every constraint the candidate misses (compare and tco cost a candidate that can be sized
// whatever it misses, docs/tco.md); a search's verdict lists only the first.
ordered_json constraint_misses_json(const Candidate& c) {
    ordered_json misses = ordered_json::array();
    const auto add_miss = [&](const Rejection& r) {
        const bool numeric = std::isfinite(r.miss_ratio);
        std::string detail = r.detail();
        if (c.costed && (r.reason == "ttft" || r.reason == "tpot" || r.reason == "latency")) {
            detail += fmt::format("; sized and costed at batch {}, the batch with the lowest latency", c.batch);
        }
        misses.push_back({{"check", r.reason},
                          {"limit", numeric ? ordered_json(round_to(r.needed, 4)) : ordered_json(nullptr)},
                          {"value", numeric ? ordered_json(round_to(r.had, 4)) : ordered_json(nullptr)},
                          {"unit", numeric ? ordered_json(r.unit) : ordered_json(nullptr)},
                          {"detail", detail}});
    };
    if (!c.misses.empty()) {
        for (const Rejection& r : c.misses) {
            add_miss(r);
        }
    } else if (c.rejection) {
        add_miss(*c.rejection);
    }
    return misses;
}

ordered_json candidate_json(const Candidate& c, const Scenario& scenario) {
    ordered_json out;
    out["model"] = c.model->id;
    out["variant"] = c.variant->id;
    ordered_json identical = ordered_json::array();  // folded rows (docs/ranking.md)
    for (const Variant* v : c.identical_variants) {
        identical.push_back(v->id);
    }
    out["identical_variants"] = identical;
    out["hardware"] = c.hardware->id;
    out["gpus_per_replica"] = c.gpus_per_replica;
    out["replicas"] = c.accepted() || c.costed ? ordered_json(c.replicas) : ordered_json(nullptr);
    out["batch_per_replica"] = c.batch;
    out["gpus_total"] = c.accepted() || c.costed ? ordered_json(c.replicas * c.gpus_per_replica) : ordered_json(nullptr);
    const bool timed = c.timed();
    auto timing = [&](double value, int decimals) { return timed ? ordered_json(round_to(value, decimals)) : ordered_json(nullptr); };
    const auto& p = c.estimate.performance;
    out["ttft_ms"] = timing(p.ttft_ms, 3);
    out["tpot_ms"] = timing(p.tpot_ms, 3);
    out["latency_ms"] = timing(p.latency_ms, 3);
    out["qps"] = timing(p.qps, 4);
    out["capacity_qps"] = c.costed ? ordered_json(round_to(c.capacity_qps, 4)) : ordered_json(nullptr);
    // The queue at the scenario's load on the replicas above (docs/method.md "TTFT at load").
    auto sized = [&](double value, int decimals) { return c.costed ? ordered_json(round_to(value, decimals)) : ordered_json(nullptr); };
    out["queue_wait_ms"] = sized(c.queue_wait_ms, 3);
    out["ttft_at_load_ms"] = sized(c.ttft_at_load_ms, 3);
    out["prefill_utilization"] = sized(c.prefill_utilization, 4);
    out["replicas_for_queue"] = c.costed ? ordered_json(c.replicas_for_queue) : ordered_json(nullptr);
    out["output_tokens_per_s"] = timing(p.output_tokens_per_s, 3);
    out["memory"] = {{"weights_bytes", static_cast<std::int64_t>(std::llround(c.estimate.memory.weights_bytes))},
                     {"per_gpu_bytes", static_cast<std::int64_t>(std::llround(c.estimate.memory.per_gpu_bytes))},
                     {"capacity_per_gpu_bytes", static_cast<std::int64_t>(std::llround(c.estimate.memory.capacity_per_gpu_bytes))},
                     {"fits", c.estimate.memory.fits},
                     // The breakdown the report page draws (the estimate's own keys and meaning).
                     {"kv_cache_bytes", static_cast<std::int64_t>(std::llround(c.estimate.memory.kv_cache_bytes))},
                     {"kv_cache_tokens", round_to(c.estimate.memory.kv_cache_tokens, 1)},
                     {"activations_bytes", static_cast<std::int64_t>(std::llround(c.estimate.memory.activations_bytes))},
                     // Task adapters resident beside the weights (all GPUs of a replica, split like them).
                     {"adapter_bytes", static_cast<std::int64_t>(std::llround(c.estimate.memory.adapter_bytes))},
                     {"overhead_bytes", static_cast<std::int64_t>(std::llround(c.estimate.memory.overhead_bytes))},
                     {"usable_per_gpu_bytes", static_cast<std::int64_t>(std::llround(c.estimate.memory.usable_per_gpu_bytes))}};
    out["power_w"] = round_to(c.estimate.power_w, 2);
    out["quality"] = round_to(c.quality, 4);
    out["quality_published"] = c.quality_published;
    out["cost"] = c.costed ? cost_json(c.cost) : ordered_json(nullptr);
    out["score"] = c.accepted() ? ordered_json({{"total", round_to(c.score.total, 6)},
                                                {"cost", round_to(c.score.cost, 6)},
                                                {"quality", round_to(c.score.quality, 6)},
                                                {"latency", round_to(c.score.latency, 6)},
                                                {"rules", round_to(c.score.rules, 6)}})
                                : ordered_json(nullptr);
    put_warnings_and_claim(out, c);
    out["meets_constraints"] = c.meets_constraints();
    out["constraint_misses"] = constraint_misses_json(c);
    if (c.rejection) {
        const Rejection& r = *c.rejection;
        // A numeric limit carries the limit, the candidate's value and their unit; a categorical
        // reason (a rule, an unsupported precision) carries none.
        const bool numeric = std::isfinite(r.miss_ratio);
        out["rejected"] = {{"reason", r.reason},
                           {"detail", r.detail()},
                           {"flag", *r.flag == '\0' ? ordered_json(nullptr) : ordered_json(r.flag)},
                           {"needed", numeric ? ordered_json(round_to(r.needed, 4)) : ordered_json(nullptr)},
                           {"had", numeric ? ordered_json(round_to(r.had, 4)) : ordered_json(nullptr)},
                           {"unit", numeric ? ordered_json(r.unit) : ordered_json(nullptr)}};
    } else {
        out["rejected"] = nullptr;
    }
    ordered_json quoted = ordered_json::array();
    for (const QuotedFigure& q : scenario.quoted) {
        if (q.model_id == c.model->id) {
            quoted.push_back({{"metric", q.metric}, {"value", q.value}, {"source", q.source}});
        }
    }
    out["quoted"] = quoted;
    return out;
}

ordered_json scenario_summary(const Scenario& s) {
    return {{"id", s.id}, {"task_kind", s.task_kind}, {"qps", s.workload.qps},
            {"prompt_tokens", s.workload.prompt_tokens}, {"output_tokens", s.workload.output_tokens},
            {"context_tokens", s.workload.context_tokens}};
}
std::string finish(const ordered_json& document, JsonStyle style) {
    return style == JsonStyle::lines ? document.dump() + "\n" : document.dump(2) + "\n";
}
}  // namespace

namespace {
ordered_json changes_json(const Suggestion& suggestion) {
    ordered_json changes = ordered_json::array();
    for (const SuggestedChange& change : suggestion.changes) {
        changes.push_back({{"check", change.check}, {"flag", change.flag}, {"value", change.value}, {"unit", change.unit}});
    }
    return changes;
}

// The nearest miss that flag changes admit, with every change it needs (the verified advice
// with the fewest changes, docs/ranking.md "Advice"): what the stderr line "nothing satisfies …;
// to admit it: FLAGS" says, as data. `flag` and `suggested_value` are its first change. With no
// verified advice: the nearest miss over every reason, with null flag and no changes. Null when
// nothing was missed.
ordered_json nearest_miss_json(const SearchResult& result) {
    if (const Suggestion* best = best_suggestion(result)) {
        const Rejection& r = *best->candidate.rejection;
        const SuggestedChange& first = best->changes.front();
        return {{"candidate", best->candidate.label()},
                {"reason", r.reason},
                {"detail", r.detail()},
                {"flag", first.flag},
                {"suggested_value", first.value},
                {"unit", first.unit},
                {"changes", changes_json(*best)}};
    }
    const Candidate* nearest = nullptr;
    for (const auto& [reason, candidate] : result.nearest_miss) {
        if (nearest == nullptr || candidate.rejection->miss_ratio < nearest->rejection->miss_ratio) {
            nearest = &candidate;
        }
    }
    if (nearest == nullptr) {
        return nullptr;
    }
    const Rejection& r = *nearest->rejection;
    return {{"candidate", nearest->label()},
            {"reason", r.reason},
            {"detail", r.detail()},
            {"flag", nullptr},
            {"suggested_value", nullptr},
            {"unit", nullptr},
            {"changes", ordered_json::array()}};
}

// Per reason, its verified advice: the candidate and every flag change that admits it.
ordered_json suggestions_json(const SearchResult& result) {
    ordered_json out = ordered_json::array();
    for (const auto& [reason, suggestion] : result.suggestions) {
        out.push_back({{"reason", reason},
                       {"candidate", suggestion.candidate.label()},
                       {"detail", suggestion.candidate.rejection->detail()},
                       {"flags", suggestion.flags()},
                       {"changes", changes_json(suggestion)}});
    }
    return out;
}

ordered_json recommendation_document(const SearchResult& result, std::int64_t top, bool explain,
                                     const MultiTaskResult* multi_task = nullptr) {
    ordered_json out = detail::document_header("Recommendation");
    out["scenario"] = scenario_summary(result.scenario);
    ordered_json recommendations = ordered_json::array();
    for (std::size_t i = 0; i < result.ranked.size() && static_cast<std::int64_t>(i) < top; ++i) {
        const Candidate& c = result.ranked[i];
        ordered_json item = candidate_json(c, result.scenario);
        item["rank"] = i + 1;
        item["accuracy"] = detail::accuracy_json(candidate_accuracy(c, result.engine_id));
        recommendations.push_back(item);
    }
    out["recommendations"] = recommendations;
    ordered_json reasons = ordered_json::object();
    std::int64_t rejected = 0;
    for (const auto& [reason, count] : result.rejected_by_reason) {
        reasons[reason] = count;
        rejected += count;
    }
    out["rejected_by_reason"] = reasons;
    out["candidates_evaluated"] = result.candidates_evaluated;
    out["candidates_accepted"] = result.candidates_accepted;
    out["candidates_folded"] = result.candidates_folded;
    out["candidates_rejected"] = rejected;
    // When nothing satisfies the scenario the misses are the answer: they come without --explain.
    const bool unsatisfied = result.ranked.empty();
    if (explain || unsatisfied) {
        ordered_json misses = ordered_json::object();
        for (const auto& [reason, candidate] : result.nearest_miss) {
            misses[reason] = candidate_json(candidate, result.scenario);
        }
        out["nearest_miss_by_reason"] = misses;
    }
    if (unsatisfied) {
        out["nearest_miss"] = nearest_miss_json(result);
        out["suggestions"] = suggestions_json(result);
    }
    if (multi_task != nullptr) {
        out["multi_task"] = detail::multi_task_json(result.scenario, *multi_task);
    }
    return out;
}

ordered_json comparison_document(const Scenario& scenario, const std::vector<Candidate>& candidates,
                                 const std::string& engine_id) {
    ordered_json out = detail::document_header("Comparison");
    out["scenario"] = scenario_summary(scenario);
    ordered_json items = ordered_json::array();
    for (const Candidate& c : candidates) {
        ordered_json item = candidate_json(c, scenario);
        item["accuracy"] = detail::accuracy_json(candidate_accuracy(c, engine_id));
        items.push_back(item);
    }
    out["candidates"] = items;
    // Differences of each candidate against the first.
    ordered_json differences = ordered_json::array();
    for (std::size_t i = 1; i < candidates.size(); ++i) {
        const Candidate& a = candidates.front();
        const Candidate& b = candidates[i];
        ordered_json d;
        d["candidate"] = b.label();
        d["against"] = a.label();
        auto delta = [&](const char* key, bool present, double first, double second) {
            if (!present || first == 0) {
                d[key] = nullptr;
                return;
            }
            d[key] = {{"delta", round_to(second - first, 4)}, {"delta_pct", round_to((second / first - 1.0) * 100.0, 2)}};
        };
        delta("training_usd", a.costed && b.costed, a.cost.training_usd, b.cost.training_usd);
        delta("total_usd", a.costed && b.costed, a.cost.total_usd, b.cost.total_usd);
        delta("weighted_index_usd", a.costed && b.costed, a.cost.weighted_index_usd, b.cost.weighted_index_usd);
        delta("latency_ms", a.timed() && b.timed(), a.estimate.performance.latency_ms,
              b.estimate.performance.latency_ms);
        delta("quality", true, a.quality, b.quality);
        differences.push_back(d);
    }
    out["differences"] = differences;
    return out;
}

ordered_json batch_header(std::int64_t line, const std::string& id, const char* status) {
    ordered_json out = detail::document_header("BatchResult");
    out["line"] = line;
    out["id"] = id.empty() ? ordered_json(nullptr) : ordered_json(id);
    out["status"] = status;
    return out;
}
}  // namespace

std::string recommendation_json(const SearchResult& result, std::int64_t top, bool explain, JsonStyle style) {
    return finish(recommendation_document(result, top, explain), style);
}

std::string recommendation_json(const SearchResult& result, std::int64_t top, bool explain, JsonStyle style,
                                const MultiTaskResult* multi_task) {
    return finish(recommendation_document(result, top, explain, multi_task), style);
}

std::string comparison_json(const Scenario& scenario, const std::vector<Candidate>& candidates,
                            const std::string& engine_id, JsonStyle style) {
    return finish(comparison_document(scenario, candidates, engine_id), style);
}

std::string batch_recommendation_json(std::int64_t line, const SearchResult& result, std::int64_t top,
                                      const MultiTaskResult* multi_task) {
    ordered_json out = batch_header(line, result.scenario.id, result.ranked.empty() ? "unsatisfiable" : "ok");
    out["result"] = recommendation_document(result, top, false, multi_task);
    return out.dump() + "\n";
}

std::string batch_comparison_json(std::int64_t line, const Scenario& scenario, const std::vector<Candidate>& candidates,
                                  const std::string& engine_id) {
    const bool any_accepted = std::any_of(candidates.begin(), candidates.end(), [](const Candidate& c) { return c.accepted(); });
    ordered_json out = batch_header(line, scenario.id, any_accepted ? "ok" : "unsatisfiable");
    out["result"] = comparison_document(scenario, candidates, engine_id);
    return out.dump() + "\n";
}

std::string batch_error_json(std::int64_t line, const std::string& id, int exit_code, const std::string& message) {
    ordered_json out = batch_header(line, id, "invalid");
    out["error"] = {{"exit_code", exit_code}, {"message", message}};
    return out.dump() + "\n";
}

std::string batch_summary_json(const BatchCounts& counts) {
    ordered_json out = detail::document_header("BatchSummary");
    out["items"] = counts.items;
    out["ok"] = counts.ok;
    out["unsatisfiable"] = counts.unsatisfiable;
    out["invalid"] = counts.invalid;
    return out.dump() + "\n";
}

std::string tco_json(const Scenario& scenario, const Candidate& c, const std::string& engine_id, JsonStyle style) {
    ordered_json out = detail::document_header("Tco");
    out["scenario"] = scenario_summary(scenario);
    out["candidate"] = c.label();
    // Added in 1.2: how far estimates like this candidate's have been from measurements.
    out["accuracy"] = detail::accuracy_json(candidate_accuracy(c, engine_id));
    out["replicas"] = c.replicas;
    out["ownership"] = scenario.tco.ownership == Ownership::rented ? "rented" : "owned";
    out["years"] = scenario.tco.years;
    out["meets_constraints"] = c.meets_constraints();
    out["constraint_misses"] = constraint_misses_json(c);
    // Added in 1.10: the rules' warnings and the claim, as a candidate of recommend or compare carries them.
    put_warnings_and_claim(out, c);
    if (!c.costed) {
        out["cost"] = nullptr;
        out["rejected"] = c.rejection ? ordered_json({{"reason", c.rejection->reason}, {"detail", c.rejection->detail()}})
                                      : ordered_json(nullptr);
        return finish(out, style);
    }
    ordered_json cost = cost_json(c.cost);
    for (auto& [key, value] : cost.items()) {
        out[key] = value;
    }
    out["inputs"] = {{"price_usd_per_hour", c.hardware->price_usd_per_hour},
                     {"price_source", c.hardware->sources.count("price_usd_per_hour") ? c.hardware->sources.at("price_usd_per_hour") : c.hardware->source},
                     {"purchase_usd", c.hardware->purchase_usd},
                     {"purchase_source", c.hardware->sources.count("purchase_usd") ? c.hardware->sources.at("purchase_usd") : c.hardware->source},
                     {"weights_source", "seed §3.2 (alpha : beta : gamma = 0.3 : 0.5 : 0.2) unless --weights"},
                     {"training_source", scenario.tco.training.source.empty() ? "scenario training plan" : scenario.tco.training.source}};
    return finish(out, style);
}

}  // namespace dsselect::report
