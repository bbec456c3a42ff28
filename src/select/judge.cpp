#include "select/judge.hpp"

#include <algorithm>
#include <cmath>
#include <array>
#include <utility>

#include <fmt/format.h>

#include "select/rejection.hpp"
#include "select/rule_context.hpp"

namespace dsselect::select {

namespace {
// Every latency limit the estimate misses, in the order ttft, tpot, latency (a judgement in full).
void latency_misses(const Constraints& c, const PerformanceEstimate& p, std::vector<Rejection>& out) {
    if (c.max_ttft_ms && p.ttft_ms > *c.max_ttft_ms) {
        out.push_back(over_limit("ttft", "time to first token", "ms", "--max-ttft-ms", *c.max_ttft_ms, p.ttft_ms));
    }
    if (c.max_tpot_ms && p.tpot_ms > *c.max_tpot_ms) {
        out.push_back(over_limit("tpot", "time per output token", "ms", "--max-tpot-ms", *c.max_tpot_ms, p.tpot_ms));
    }
    if (c.max_latency_ms && p.latency_ms > *c.max_latency_ms) {
        out.push_back(over_limit("latency", "end-to-end latency", "ms", "--max-latency-ms", *c.max_latency_ms, p.latency_ms));
    }
}

// The first latency limit the estimate misses, if any (the search's hot path: no allocation).
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

Rejection power_miss(const Constraints& k, const Estimate& e) {
    return over_limit("power", "power per replica", "W", "--max-power-w", *k.max_power_w, e.power_w);
}

// The candidate at batch 1, before any check: what every judgement starts from.
Candidate at_batch_one(const Configuration& x, const EstimatePlan& plan) {
    return {.model = &x.model,
            .variant = &x.variant,
            .hardware = &x.hardware,
            .gpus_per_replica = x.gpus,
            .batch = 1,
            .replicas = 0,
            .estimate = plan.at(1),
            .quality = x.facts.quality,
            .quality_published = x.facts.quality_base.has_value(),
            .capacity_qps = 0,
            .cost = {},
            .costed = false,
            .score = {},
            .rejection = std::nullopt,
            .warnings = {},
            .warning_messages = {},
            .misses = {},
            .identical_variants = {}};
}

// The request at batch 1, which an EstimatePlan prepares for every batch (the plan keeps a
// pointer to it, so the caller keeps it alive).
EstimateRequest request_at_one(const Judging& judging, const Configuration& x) {
    EstimateRequest at_one = request_for(judging.scenario, x.model, x.variant, x.hardware, x.gpus, 1, x.profile,
                                         x.facts.active_fraction, judging.engine, judging.options.kv_cache_bits);
    at_one.parameters = &x.facts.parameters;
    return at_one;
}

// The rest of the judgement, for a candidate at batch 1 that passed the pre-checks.
void judge_sizing(Candidate& c, const EstimatePlan& plan, const Judging& judging, Depth depth) {
    const Scenario& s = judging.scenario;
    const Constraints& k = s.constraints;
    const Estimate& e1 = c.estimate;
    if (!e1.memory.fits) {
        c.rejection = over_limit("memory", "memory per GPU", "GiB", "", e1.memory.usable_per_gpu_bytes / k_bytes_per_gib,
                                 e1.memory.per_gpu_bytes / k_bytes_per_gib);
        return;
    }
    const std::optional<Rejection> latency_at_one = latency_miss(k, e1.performance);
    const bool over_power = k.max_power_w && e1.power_w > *k.max_power_w;
    // Compare shows what a candidate that fits would cost even when it misses power or
    // latency; a search does not need to know.
    if (depth == Depth::verdict && (over_power || latency_at_one)) {
        c.rejection = over_power ? power_miss(k, e1) : *latency_at_one;
        return;
    }
    // The batch: the largest (power of two) that still meets the latency limits and fits gives
    // the fewest replicas; of the batches that reach that count, the smallest is chosen, since a
    // larger batch then only adds latency (docs/ranking.md). A single-stream engine (llama.cpp)
    // serves one sequence at a time.
    // A candidate that misses a latency limit at batch 1 stays at batch 1, the batch with the
    // lowest latency, and is sized and costed there (docs/tco.md, "Candidates that miss a constraint").
    const std::int64_t batch_limit = judging.engine != nullptr && !judging.engine->continuous_batching
                                         ? 1
                                         : std::min(judging.options.max_batch, e1.memory.max_concurrency);
    const double needed_qps = s.workload.qps * (1.0 + k.headroom);
    auto replicas_at = [&](double per_replica_qps) {
        return needed_qps > 0 ? std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(needed_qps / per_replica_qps - 1e-9)))
                              : std::int64_t{1};
    };
    // Each rung reads only the timing; the chosen batch gets its whole estimate once.
    // Batch and QPS per replica of each rung that meets the limits (powers of two: at most 64).
    std::array<std::pair<std::int64_t, double>, 64> ladder{};
    std::size_t rungs = 0;
    ladder[rungs++] = {1, e1.performance.qps};
    for (std::int64_t batch = 2; !latency_at_one && batch <= batch_limit; batch *= 2) {
        const EstimatePlan::Rung next = plan.rung(batch);
        if (!next.timed || latency_miss(k, next.performance)) {
            break;
        }
        ladder[rungs++] = {batch, next.performance.qps};
        // Once one replica carries the load with headroom, a larger batch only adds latency.
        if (next.performance.qps >= needed_qps) {
            break;
        }
    }
    const std::int64_t fewest_replicas = replicas_at(ladder[rungs - 1].second);
    for (std::size_t i = 0; i < rungs; ++i) {
        if (replicas_at(ladder[i].second) == fewest_replicas) {
            c.batch = ladder[i].first;
            break;
        }
    }
    if (c.batch != 1) {
        c.estimate = plan.at(c.batch);
    }
    const double per_replica_qps = c.estimate.performance.qps;
    c.replicas = replicas_at(per_replica_qps);
    c.capacity_qps = per_replica_qps * static_cast<double>(c.replicas);
    if (!can_cost(s.tco, *c.hardware)) {
        c.rejection = reject("price", fmt::format("'{}' has no {}, so it cannot be costed; add one with --data "
                                                  "(docs/tco.md)",
                                                  c.hardware->id,
                                                  s.tco.ownership == Ownership::owned ? "purchase_usd (the scenario owns its hardware)"
                                                                                      : "price_usd_per_hour nor purchase_usd"));
        return;
    }
    const Deployment deployment{c.model, c.variant, c.hardware, c.gpus_per_replica, c.replicas, c.estimate.power_w,
                                static_cast<double>(c.estimate.parameters.active)};
    c.cost = compute_tco(s.tco, deployment, s.workload, judging.options.tco_weights,
                         depth == Depth::verdict ? TcoDetail::totals : TcoDetail::per_year);
    c.costed = true;
    if (depth == Depth::verdict) {
        // A verdict stops at the first miss (power and latency were checked above).
        if (k.budget_usd_per_year && c.cost.yearly_usd > *k.budget_usd_per_year) {
            c.rejection = over_limit("budget", "yearly cost", "USD", "--budget-usd", *k.budget_usd_per_year, c.cost.yearly_usd);
            return;
        }
        // Until all candidates are judged, the smallest feasible model is taken to be this one.
        const RuleCandidate context = rule_context(c, s, static_cast<double>(c.estimate.parameters.total));
        const RuleOutcome outcome = judging.rules.apply(context, RulePhase::constraints, judging.budget, RuleMessages::skip);
        if (!outcome.rejected_by.empty()) {
            c.rejection = reject(outcome.rejected_by, outcome.message);
        }
        return;
    }
    // A judgement in full lists every miss: the candidate's whole set of violations, what
    // `constraint_misses` shows and what advice must change.
    std::vector<Rejection> misses;
    if (over_power) {
        misses.push_back(power_miss(k, e1));
    }
    latency_misses(k, e1.performance, misses);
    if (k.budget_usd_per_year && c.cost.yearly_usd > *k.budget_usd_per_year) {
        misses.push_back(over_limit("budget", "yearly cost", "USD", "--budget-usd", *k.budget_usd_per_year, c.cost.yearly_usd));
    }
    const RuleCandidate context = rule_context(c, s, static_cast<double>(c.estimate.parameters.total));
    const RuleOutcome outcome = judging.rules.apply(context, RulePhase::constraints, judging.budget, RuleMessages::format);
    if (!outcome.rejected_by.empty()) {
        misses.push_back(reject(outcome.rejected_by, outcome.message));
    }
    if (!misses.empty()) {
        c.rejection = misses.front();
    }
    c.misses = std::move(misses);
}
}  // namespace

const Engine* scenario_engine(const Catalog& catalog, const Scenario& s) {
    return catalog.find_engine(s.engine_id.empty() ? k_default_engine_id : s.engine_id);
}

EstimateRequest request_for(const Scenario& s, const Model& model, const Variant& variant, const Hardware& hardware,
                            std::int64_t gpus, std::int64_t batch, const EfficiencyProfile& profile,
                            std::optional<double> active_fraction, const Engine* engine,
                            std::optional<double> kv_cache_bits) {
    EstimateRequest request;
    request.model = &model;
    request.variant = &variant;
    request.hardware = &hardware;
    request.gpus = gpus;
    request.batch = batch;
    request.prompt_tokens = s.workload.prompt_tokens;
    request.output_tokens = s.workload.output_tokens;
    request.context_tokens = s.workload.context_tokens;
    request.profile = profile;
    request.active_fraction = active_fraction;
    request.kv_cache_bits = kv_cache_bits_for(engine, variant, kv_cache_bits);
    request.adapter_tasks = s.tasks.empty() ? nullptr : &s.tasks;  // docs/multitask.md
    return request;
}

Candidate judge_fitting(const Judging& judging, const Configuration& configuration, Depth depth) {
    const EstimateRequest at_one = request_at_one(judging, configuration);
    const EstimatePlan plan(at_one);
    Candidate c = at_batch_one(configuration, plan);
    judge_sizing(c, plan, judging, depth);
    return c;
}

Candidate judge_in_full(const Judging& judging, const Configuration& x) {
    const EstimateRequest at_one = request_at_one(judging, x);
    const EstimatePlan plan(at_one);
    Candidate c = at_batch_one(x, plan);
    const std::vector<EarlyMiss> early = every_precheck_miss(judging.scenario, x.model, x.gpus, x.facts, x.flags);
    std::vector<Rejection> misses;
    bool sizable = true;
    for (const EarlyMiss& miss : early) {
        misses.push_back(*explain_precheck(miss, judging.scenario, x.model, x.variant, x.hardware, x.gpus, x.facts,
                                           judging.engine));
        sizable = sizable && can_size_despite(miss.early);
    }
    // Whatever can be sized is sized and costed, even when it misses a constraint (docs/tco.md).
    if (sizable) {
        judge_sizing(c, plan, judging, Depth::full);
        if (!c.misses.empty()) {
            misses.insert(misses.end(), c.misses.begin(), c.misses.end());
        } else if (c.rejection) {
            misses.push_back(*c.rejection);  // memory: nothing further was judged
        }
    }
    if (!misses.empty()) {
        c.rejection = misses.front();
    }
    c.misses = std::move(misses);
    return c;
}

}  // namespace dsselect::select
