#include "dsselect/select/search.hpp"

#include <algorithm>
#include <cmath>
#include <cctype>
#include <exception>
#include <thread>

#include <fmt/format.h>

#include "dsselect/core/error.hpp"

namespace dsselect {

namespace {
constexpr std::int64_t k_gpu_counts[] = {1, 2, 4, 8, 16, 32};

// GPUs per replica searched on this hardware: up to one node, or up to four nodes of GPUs when
// the scenario allows multi-node replicas.
bool searchable(const Hardware& hardware, std::int64_t gpus, const Scenario& s) {
    if (gpus <= hardware.max_devices_per_node) {
        return true;
    }
    return s.constraints.allow_multi_node && hardware.kind == HardwareKind::gpu && hardware.max_devices_per_node >= 8 &&
           hardware.interconnect_gb_per_s > 0 && gpus % hardware.max_devices_per_node == 0;
}

Rejection reject(const std::string& reason, const std::string& text, const std::string& flag = {}, double needed = 0,
                 double had = 0, double ratio = std::numeric_limits<double>::infinity()) {
    Rejection r;
    r.reason = reason;
    r.text = text;
    r.flag = flag;
    r.needed = needed;
    r.had = had;
    r.miss_ratio = ratio;
    return r;
}

// A maximum limit missed: ratio had / limit.
Rejection over_limit(const char* reason, const char* what, const char* unit, const char* flag, double limit, double had) {
    Rejection r;
    r.reason = reason;
    r.what = what;
    r.unit = unit;
    r.flag = flag;
    r.needed = limit;
    r.had = had;
    r.miss_ratio = had / limit;
    return r;
}

bool allowed(const std::vector<std::string>& list, const std::string& id) {
    return list.empty() || std::find(list.begin(), list.end(), id) != list.end();
}

EstimateRequest request_for(const Scenario& s, const Model& model, const Variant& variant, const Hardware& hardware,
                            std::int64_t gpus, std::int64_t batch, const Engine* engine) {
    EstimateRequest request;
    request.model = &model;
    request.variant = &variant;
    request.hardware = &hardware;
    request.gpus = gpus;
    request.batch = batch;
    request.prompt_tokens = s.workload.prompt_tokens;
    request.output_tokens = s.workload.output_tokens;
    request.context_tokens = s.workload.context_tokens;
    request.profile = engine_profile(engine, hardware, variant.compute_precision);
    return request;
}

// The first latency limit the estimate misses, if any.
std::optional<Rejection> latency_miss(const Constraints& c, const PerformanceEstimate& p) {
    if (c.max_ttft_ms && p.ttft_ms > *c.max_ttft_ms) {
        return over_limit("ttft", "time to first token", "ms", "--max-ttft-ms", *c.max_ttft_ms, p.ttft_ms);
    }
    if (c.max_tpot_ms && p.tpot_ms > *c.max_tpot_ms) {
        return over_limit("tpot", "time per output token", "ms", "--max-tpot-ms", *c.max_tpot_ms, p.tpot_ms);
    }
    if (c.max_latency_ms && p.latency_ms > *c.max_latency_ms) {
        return over_limit("latency", "end-to-end latency", "ms", "--max-latency-ms", *c.max_latency_ms, p.latency_ms);
    }
    return std::nullopt;
}
}  // namespace

std::string Rejection::detail() const {
    if (!text.empty()) {
        return text;
    }
    return fmt::format("needs {} {} {:.6g}{}{}, has {:.6g}{}{}", what, at_least ? ">=" : "<=", needed,
                       *unit != '\0' ? " " : "", unit, had, *unit != '\0' ? " " : "", unit);
}

std::string Candidate::label() const {
    return fmt::format("{}:{}@{}x{}", model->id, variant->id, hardware->id, gpus_per_replica);
}

Candidate evaluate_candidate(const Catalog& catalog, const Scenario& s, const RuleSet& rules, const Model& model,
                             const Variant& variant, const Hardware& hardware, std::int64_t gpus,
                             const SearchOptions& options) {
    const Engine* engine = catalog.find_engine(s.engine_id.empty() ? k_default_engine_id : s.engine_id);
    Candidate c;
    c.model = &model;
    c.variant = &variant;
    c.hardware = &hardware;
    c.gpus_per_replica = gpus;
    const Constraints& k = s.constraints;
    const auto quality_base = model.quality_for(s.task_kind);
    c.quality = quality_base.value_or(0.0) * variant.quality_retention;
    c.estimate = estimate(request_for(s, model, variant, hardware, gpus, 1, engine));
    const Estimate& e1 = c.estimate;

    if (!allowed(k.allowed_models, model.id) || !allowed(k.allowed_hardware, hardware.id) ||
        !allowed(k.allowed_variants, variant.id)) {
        c.rejection = reject("not_allowed", "excluded by the scenario's allowed models, variants or hardware");
        return c;
    }
    if (!variant.applies_to_model(model.id)) {
        c.rejection = reject("variant_not_applicable", fmt::format("variant '{}' does not apply to '{}'", variant.id, model.id));
        return c;
    }
    if (k.max_gpus_per_replica && gpus > *k.max_gpus_per_replica) {
        c.rejection = over_limit("max_gpus", "GPUs per replica", "", "--max-gpus",
                                 static_cast<double>(*k.max_gpus_per_replica), static_cast<double>(gpus));
        return c;
    }
    if (e1.feasibility == Feasibility::context_too_long) {
        Rejection r = reject("context", "", "--context", static_cast<double>(s.workload.context_tokens),
                             static_cast<double>(model.architecture.max_position_embeddings),
                             static_cast<double>(s.workload.context_tokens) /
                                 static_cast<double>(model.architecture.max_position_embeddings));
        r.what = "a context window";
        r.unit = "tokens";
        r.at_least = true;
        c.rejection = r;
        return c;
    }
    if (e1.feasibility == Feasibility::precision_unsupported) {
        c.rejection = reject("precision", fmt::format("'{}' has no {} matrix units", hardware.id,
                                                      to_string(variant.compute_precision)));
        return c;
    }
    if (k.max_model_mb && e1.weights_on_disk_bytes / 1e6 > *k.max_model_mb) {
        c.rejection = over_limit("model_size", "model size", "MB", "--max-model-mb", *k.max_model_mb,
                                 e1.weights_on_disk_bytes / 1e6);
        return c;
    }
    if (k.min_quality) {
        if (!quality_base) {
            c.rejection = reject("quality", fmt::format("'{}' has no quality figure for task '{}'", model.id, s.task_kind));
            return c;
        }
        if (c.quality < *k.min_quality) {
            Rejection r = reject("quality", "", "--min-quality", *k.min_quality, c.quality,
                                 *k.min_quality / std::max(c.quality, 1e-9));
            r.what = "quality";
            r.at_least = true;
            c.rejection = r;
            return c;
        }
    }
    if (!e1.memory.fits) {
        c.rejection = over_limit("memory", "memory per GPU", "GB", "", e1.memory.usable_per_gpu_bytes / 1e9,
                                 e1.memory.per_gpu_bytes / 1e9);
        return c;
    }
    // Size and cost every candidate that fits, so that compare can show what a rejected one
    // would cost; then apply the power, latency and budget limits.
    const std::optional<Rejection> latency_at_one = latency_miss(k, e1.performance);
    // The largest batch (power of two) that still meets the latency limits and fits.
    // A single-stream engine (llama.cpp) serves one sequence at a time.
    const std::int64_t batch_limit = engine != nullptr && !engine->continuous_batching
                                         ? 1
                                         : std::min(options.max_batch, e1.memory.max_concurrency);
    for (std::int64_t batch = 2; !latency_at_one && batch <= batch_limit; batch *= 2) {
        Estimate next = estimate(request_for(s, model, variant, hardware, gpus, batch, engine));
        if (!next.has_timing() || latency_miss(k, next.performance)) {
            break;
        }
        c.estimate = next;
        c.batch = batch;
        // Once one replica carries the load with headroom, a larger batch only adds latency.
        if (next.performance.qps >= s.workload.qps * (1.0 + k.headroom)) {
            break;
        }
    }
    const double per_replica_qps = c.estimate.performance.qps;
    const double needed_qps = s.workload.qps * (1.0 + k.headroom);
    c.replicas = needed_qps > 0 ? std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(needed_qps / per_replica_qps - 1e-9))) : 1;
    c.capacity_qps = per_replica_qps * static_cast<double>(c.replicas);
    Deployment deployment{&model, &variant, &hardware, gpus, c.replicas, c.estimate.power_w,
                          static_cast<double>(c.estimate.parameters.active)};
    c.cost = compute_tco(s.tco, deployment, s.workload, options.tco_weights);
    c.costed = true;
    if (k.max_power_w && e1.power_w > *k.max_power_w) {
        c.rejection = over_limit("power", "power per replica", "W", "--max-power-w", *k.max_power_w, e1.power_w);
        return c;
    }
    if (latency_at_one) {
        c.rejection = latency_at_one;
        return c;
    }
    if (k.budget_usd_per_year && c.cost.yearly_usd > *k.budget_usd_per_year) {
        c.rejection = over_limit("budget", "yearly cost", "USD", "--budget-usd", *k.budget_usd_per_year, c.cost.yearly_usd);
        return c;
    }

    // Until all candidates are judged, the smallest feasible model is taken to be this one.
    RuleCandidate context{&s, &model, &variant, &hardware, &c.estimate, &c.cost, gpus, c.replicas, c.batch,
                          c.quality, c.capacity_qps, static_cast<double>(c.estimate.parameters.total), false};
    RuleOutcome outcome = apply_rules(rules, context, RulePhase::constraints);
    if (!outcome.rejected_by.empty()) {
        c.rejection = reject(outcome.rejected_by, outcome.message);
    }
    return c;
}

void score_candidates(std::vector<Candidate>& candidates, const Scenario& s, const RuleSet& rules,
                      const SearchOptions& options) {
    double cheapest = std::numeric_limits<double>::infinity();
    double smallest = std::numeric_limits<double>::infinity();
    for (const Candidate& c : candidates) {
        if (c.accepted()) {
            cheapest = std::min(cheapest, c.cost.yearly_usd);
            smallest = std::min(smallest, static_cast<double>(c.estimate.parameters.total));
        }
    }
    const Constraints& k = s.constraints;
    const ScoreWeights& w = options.score_weights;
    for (Candidate& c : candidates) {
        if (!c.accepted()) {
            continue;
        }
        ScoreParts& score = c.score;
        score.cost = c.cost.yearly_usd > 0 ? w.cost * cheapest / c.cost.yearly_usd : w.cost;
        score.quality = w.quality * c.quality;
        const auto& p = c.estimate.performance;
        if (k.max_latency_ms) {
            score.latency = w.latency * (1.0 - p.latency_ms / *k.max_latency_ms);
        } else if (k.max_tpot_ms) {
            score.latency = w.latency * (1.0 - p.tpot_ms / *k.max_tpot_ms);
        } else if (k.max_ttft_ms) {
            score.latency = w.latency * (1.0 - p.ttft_ms / *k.max_ttft_ms);
        }
        RuleCandidate context{&s, c.model, c.variant, c.hardware, &c.estimate, &c.cost, c.gpus_per_replica,
                              c.replicas, c.batch, c.quality, c.capacity_qps, smallest, false};
        RuleOutcome scored = apply_rules(rules, context, RulePhase::scoring);
        score.rules = scored.score;
        c.warnings = scored.warnings;
        c.warning_messages = scored.warning_messages;
        score.total = score.cost + score.quality + score.latency + score.rules;
    }
}

namespace {
bool ranks_before(const Candidate& a, const Candidate& b) {
    if (a.score.total != b.score.total) {
        return a.score.total > b.score.total;
    }
    return a.label() < b.label();  // deterministic ties
}
}  // namespace

Recommendation recommend(const Catalog& catalog, const Scenario& s, const RuleSet& rules, const SearchOptions& options) {
    Recommendation result;
    result.scenario = s;
    result.options = options;
    std::int64_t space = 0;
    for (const Hardware& hardware : catalog.hardware) {
        for (std::int64_t gpus : k_gpu_counts) {
            space += searchable(hardware, gpus, s) ? 1 : 0;
        }
    }
    space *= static_cast<std::int64_t>(catalog.models.size() * catalog.variants.size());
    if (space > options.max_candidates) {
        throw Error(ErrorKind::usage, fmt::format("the search space has {} candidates, more than --max-candidates {}",
                                                  space, options.max_candidates),
                    "raise --max-candidates, or narrow the scenario with --gpu and allowed_models");
    }
    struct Slot {
        const Model* model;
        const Variant* variant;
        const Hardware* hardware;
        std::int64_t gpus;
    };
    std::vector<Slot> slots;
    for (const Model& model : catalog.models) {
        for (const Variant& variant : catalog.variants) {
            if (!variant.applies_to_model(model.id)) {
                continue;
            }
            for (const Hardware& hardware : catalog.hardware) {
                for (std::int64_t gpus : k_gpu_counts) {
                    if (searchable(hardware, gpus, s)) {
                        slots.push_back({&model, &variant, &hardware, gpus});
                    }
                }
            }
        }
    }
    result.candidates_evaluated = static_cast<std::int64_t>(slots.size());
    std::vector<Candidate> judged(slots.size());
    auto judge_range = [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
            const Slot& slot = slots[i];
            judged[i] = evaluate_candidate(catalog, s, rules, *slot.model, *slot.variant, *slot.hardware, slot.gpus, options);
        }
    };
    std::size_t threads = options.threads > 0 ? static_cast<std::size_t>(options.threads)
                                              : std::max(1u, std::thread::hardware_concurrency());
    if (static_cast<std::int64_t>(slots.size()) < options.parallel_threshold) {
        threads = 1;
    }
    threads = std::min(threads, std::max<std::size_t>(slots.size(), 1));
    if (threads <= 1) {
        judge_range(0, slots.size());
    } else {
        std::vector<std::thread> workers;
        std::vector<std::exception_ptr> failures(threads);
        const std::size_t chunk = (slots.size() + threads - 1) / threads;
        for (std::size_t t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                try {
                    judge_range(t * chunk, std::min(slots.size(), (t + 1) * chunk));
                } catch (...) {
                    failures[t] = std::current_exception();
                }
            });
        }
        for (auto& worker : workers) {
            worker.join();
        }
        for (const auto& failure : failures) {
            if (failure) {
                std::rethrow_exception(failure);  // the first in enumeration order
            }
        }
    }
    score_candidates(judged, s, rules, options);
    if (options.keep_evaluated) {
        result.evaluated = judged;
    }
    for (Candidate& c : judged) {
        if (c.accepted()) {
            result.ranked.push_back(std::move(c));
            continue;
        }
        const Rejection& r = *c.rejection;
        ++result.rejected_by_reason[r.reason];
        auto nearest = result.nearest_miss.find(r.reason);
        if (nearest == result.nearest_miss.end() || r.miss_ratio < nearest->second.rejection->miss_ratio ||
            (r.miss_ratio == nearest->second.rejection->miss_ratio && c.label() < nearest->second.label())) {
            result.nearest_miss[r.reason] = c;
        }
    }
    std::sort(result.ranked.begin(), result.ranked.end(), ranks_before);
    return result;
}

namespace {
bool is_id(const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
    });
}
}  // namespace

CandidateSpec parse_candidate(const std::string& text) {
    auto junk = [&text]() {
        return Error(ErrorKind::usage,
                     fmt::format("candidate '{}': expected MODEL[:VARIANT][@HARDWARE[xGPUS]], such as base:int8@a40x2", text));
    };
    CandidateSpec spec;
    const std::size_t at = text.find('@');
    const std::string left = text.substr(0, at);
    const std::size_t colon = left.find(':');
    spec.model = left.substr(0, colon);
    if (colon != std::string::npos) {
        spec.variant = left.substr(colon + 1);
        if (!is_id(spec.variant)) {
            throw junk();
        }
    }
    if (!is_id(spec.model)) {
        throw junk();
    }
    if (at == std::string::npos) {
        return spec;
    }
    spec.hardware = text.substr(at + 1);
    // A trailing "x<digits>" is the GPU count (the last 'x', so "mi300xx8" is mi300x x 8).
    const std::size_t x = spec.hardware.rfind('x');
    if (x != std::string::npos && x > 0 && x + 1 < spec.hardware.size() &&
        std::all_of(spec.hardware.begin() + static_cast<std::ptrdiff_t>(x) + 1, spec.hardware.end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
        const std::string digits = spec.hardware.substr(x + 1);
        spec.hardware = spec.hardware.substr(0, x);
        if (digits.size() > 4 || std::stoll(digits) < 1) {
            throw Error(ErrorKind::usage, fmt::format("candidate '{}': GPU count must be 1 to 9999, got '{}'", text, digits));
        }
        spec.gpus = std::stoll(digits);
    }
    if (!is_id(spec.hardware)) {
        throw junk();
    }
    return spec;
}

Candidate resolve_candidate(const Catalog& catalog, const Scenario& s, const RuleSet& rules, const CandidateSpec& spec,
                            const SearchOptions& options) {
    const Model& model = catalog.model(spec.model);
    std::vector<const Variant*> variants;
    if (!spec.variant.empty()) {
        variants.push_back(&catalog.variant(spec.variant));
    } else {
        for (const Variant& v : catalog.variants) {
            if (v.applies_to_model(model.id)) {
                variants.push_back(&v);
            }
        }
    }
    std::vector<const Hardware*> hardware;
    if (!spec.hardware.empty()) {
        hardware.push_back(&catalog.hardware_by_id(spec.hardware));
    } else {
        for (const Hardware& h : catalog.hardware) {
            hardware.push_back(&h);
        }
    }
    std::vector<Candidate> judged;
    for (const Variant* variant : variants) {
        for (const Hardware* h : hardware) {
            std::vector<std::int64_t> counts;
            if (spec.gpus > 0) {
                if (!searchable(*h, spec.gpus, s)) {
                    throw Error(ErrorKind::usage,
                                fmt::format("candidate GPU count {} exceeds the {} devices of one '{}' node{}", spec.gpus,
                                            h->max_devices_per_node, h->id,
                                            s.constraints.allow_multi_node ? " and is no multiple of it"
                                                                           : " (add --multi-node to span nodes)"));
                }
                counts.push_back(spec.gpus);
            } else {
                for (std::int64_t gpus : k_gpu_counts) {
                    if (searchable(*h, gpus, s)) {
                        counts.push_back(gpus);
                    }
                }
            }
            for (std::int64_t gpus : counts) {
                judged.push_back(evaluate_candidate(catalog, s, rules, model, *variant, *h, gpus, options));
            }
        }
    }
    score_candidates(judged, s, rules, options);
    // Prefer an accepted candidate; among rejected ones, the nearest miss.
    std::sort(judged.begin(), judged.end(), [](const Candidate& a, const Candidate& b) {
        if (a.accepted() != b.accepted()) {
            return a.accepted();
        }
        if (!a.accepted()) {
            // Among rejected ones, prefer those that fit and could be costed: they show more.
            if (a.costed != b.costed) {
                return a.costed;
            }
            if (a.rejection->miss_ratio != b.rejection->miss_ratio) {
                return a.rejection->miss_ratio < b.rejection->miss_ratio;
            }
            return a.label() < b.label();
        }
        return ranks_before(a, b);
    });
    return judged.front();
}

}  // namespace dsselect
