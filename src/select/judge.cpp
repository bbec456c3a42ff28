#include "select/judge.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "select/rejection.hpp"
#include "select/rule_context.hpp"

namespace dsselect::select {

namespace {
// The latency limits, in the order they are judged: ttft, tpot, latency. The TTFT judged is
// `ttft_judged_ms`: the estimate's TTFT plus the queue wait at the offered load, judged at load
// (docs/method.md "TTFT at load") when the scenario has a load.
LimitMiss ttft_limit(const Constraints& c, double ttft_judged_ms, bool at_load) {
    return {"ttft", at_load ? "time to first token at load" : "time to first token", "ms", "--max-ttft-ms",
            *c.max_ttft_ms, ttft_judged_ms};
}
LimitMiss tpot_limit(const Constraints& c, const PerformanceEstimate& p) {
    return {"tpot", "time per output token", "ms", "--max-tpot-ms", *c.max_tpot_ms, p.tpot_ms};
}
LimitMiss latency_limit(const Constraints& c, const PerformanceEstimate& p) {
    return {"latency", "end-to-end latency", "ms", "--max-latency-ms", *c.max_latency_ms, p.latency_ms};
}

// Every latency limit the estimate misses, in order (a judgement in full).
void latency_misses(const Constraints& c, const PerformanceEstimate& p, double ttft_judged_ms, bool at_load,
                    std::vector<Rejection>& out) {
    if (c.max_ttft_ms && ttft_judged_ms > *c.max_ttft_ms) {
        out.push_back(over_limit(ttft_limit(c, ttft_judged_ms, at_load)));
    }
    if (c.max_tpot_ms && p.tpot_ms > *c.max_tpot_ms) {
        out.push_back(over_limit(tpot_limit(c, p)));
    }
    if (c.max_latency_ms && p.latency_ms > *c.max_latency_ms) {
        out.push_back(over_limit(latency_limit(c, p)));
    }
}

// Whether the estimate misses a latency limit: the batch-size search's test (latency_miss below
// says which limit, in the same order).
bool misses_latency(const Constraints& c, const PerformanceEstimate& p, double ttft_judged_ms) {
    return (c.max_ttft_ms && ttft_judged_ms > *c.max_ttft_ms) || (c.max_tpot_ms && p.tpot_ms > *c.max_tpot_ms) ||
           (c.max_latency_ms && p.latency_ms > *c.max_latency_ms);
}

// The first latency limit the estimate misses, if any (the search's hot path: no allocation).
std::optional<LimitMiss> latency_miss(const Constraints& c, const PerformanceEstimate& p, double ttft_judged_ms,
                                      bool at_load) {
    if (c.max_ttft_ms && ttft_judged_ms > *c.max_ttft_ms) {
        return ttft_limit(c, ttft_judged_ms, at_load);
    }
    if (c.max_tpot_ms && p.tpot_ms > *c.max_tpot_ms) {
        return tpot_limit(c, p);
    }
    if (c.max_latency_ms && p.latency_ms > *c.max_latency_ms) {
        return latency_limit(c, p);
    }
    return std::nullopt;
}

// The queue of one candidate at the offered load (docs/method.md "TTFT at load"). M/D/1:
// Poisson arrivals at qps / replicas, a deterministic service of `service_ms`; the wait is
// W = rho S / (2 (1 - rho)) with rho = arrivals x S. From the count the throughput needs: with a
// TTFT limit and slack = limit - TTFT > 0, the largest utilization whose wait fits the slack is
// rho_max = 2 slack / (S + 2 slack), so replicas = max(count, ceil(qps S / rho_max)); otherwise
// (no TTFT limit, or one the TTFT misses without any load) the fewest replicas with rho < 1, so
// that the queue is finite. Closed form, no search.
struct QueueSizing {
    std::int64_t replicas = 1;
    double wait_ms = 0;
    double utilization = 0;
    bool for_queue = false;  // the queue raised the count above the throughput's
};

class LoadQueue {
public:
    LoadQueue(double qps, double service_ms, const std::optional<double>& max_ttft_ms)
        : m_service_ms(service_ms), m_max_ttft_ms(max_ttft_ms),
          m_loaded(qps > 0.0 && service_ms > 0.0), m_busy_replicas(qps * service_ms / k_ms_per_s) {}

    bool loaded() const { return m_loaded; }
    // Whether a TTFT leaves no slack under the limit at this load: then the limit is missed
    // whatever the replicas (the usual ttft miss).
    bool misses(double ttft_ms) const { return m_loaded && m_max_ttft_ms && !(ttft_ms < *m_max_ttft_ms); }

    // The replicas a batch with this TTFT needs, given the throughput's count.
    std::int64_t replicas(double ttft_ms, std::int64_t for_throughput) const {
        if (!m_loaded) {
            return for_throughput;
        }
        if (m_max_ttft_ms) {
            const double slack_ms = *m_max_ttft_ms - ttft_ms;
            if (slack_ms > 0.0) {
                const double rho_max = md1_max_utilization(slack_ms, m_service_ms);
                const double needed = std::min(std::ceil(m_busy_replicas / rho_max), k_most_replicas);
                return std::max(for_throughput, static_cast<std::int64_t>(needed));
            }
        }
        // The fewest with rho < 1.
        return m_busy_replicas < static_cast<double>(for_throughput)
                   ? for_throughput
                   : static_cast<std::int64_t>(std::min(std::floor(m_busy_replicas), k_most_replicas)) + 1;
    }

    // The count of the batch kept, its wait and its utilization.
    QueueSizing size(double ttft_ms, std::int64_t for_throughput) const {
        QueueSizing q{.replicas = replicas(ttft_ms, for_throughput), .wait_ms = 0.0, .utilization = 0.0, .for_queue = false};
        if (!m_loaded) {
            return q;
        }
        q.utilization = m_busy_replicas / static_cast<double>(q.replicas);
        q.wait_ms = md1_wait_at_utilization_ms(q.utilization, m_service_ms);
        if (m_max_ttft_ms && ttft_ms < *m_max_ttft_ms && ttft_ms + q.wait_ms > *m_max_ttft_ms) {
            ++q.replicas;  // rho_max's last bit of rounding
            q.utilization = m_busy_replicas / static_cast<double>(q.replicas);
            q.wait_ms = md1_wait_at_utilization_ms(q.utilization, m_service_ms);
        }
        q.for_queue = q.replicas > for_throughput;
        return q;
    }

private:
    static constexpr double k_ms_per_s = 1000.0;
    static constexpr double k_most_replicas = 1e15;  // keeps the count an integer whatever the slack
    double m_service_ms;
    std::optional<double> m_max_ttft_ms;
    bool m_loaded;
    double m_busy_replicas;  // the offered work: replicas whose prefill would be busy all the time
};

LimitMiss power_limit(const Constraints& k, const Estimate& e) {
    return {"power", "power per replica", "W", "--max-power-w", *k.max_power_w, e.power_w};
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
            .queue_wait_ms = 0,
            .ttft_at_load_ms = 0,
            .prefill_utilization = 0,
            .replicas_for_queue = false,
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
    const std::optional<double> kv_cache_bits =
        judging.options.kv_cache_bits ? judging.options.kv_cache_bits : x.engine_kv_cache_bits;
    EstimateRequest at_one = request_for(judging.scenario, x.model, x.variant, x.hardware, x.gpus, 1, x.profile,
                                         x.facts.active_fraction, kv_cache_bits);
    at_one.parameters = &x.facts.parameters;
    return at_one;
}

// The rest of the judgement, for a candidate at batch 1 that passed the pre-checks.
void judge_sizing(Candidate& c, const EstimatePlan& plan, const Judging& judging, Depth depth) {
    const Scenario& s = judging.scenario;
    const Constraints& k = s.constraints;
    const Estimate& e1 = c.estimate;
    if (!e1.memory.fits) {
        set_over_limit(c.rejection, {"memory", "memory per GPU", "GiB", "", e1.memory.usable_per_gpu_bytes / k_bytes_per_gib,
                                     e1.memory.per_gpu_bytes / k_bytes_per_gib});
        return;
    }
    // The batch: the largest (power of two) that still meets the latency limits and fits gives
    // the fewest replicas; of the batches that reach that count, the smallest is chosen, since a
    // larger batch then only adds latency (docs/ranking.md). A single-stream engine (llama.cpp)
    // serves one sequence at a time.
    // A candidate that misses a latency limit at batch 1 stays at batch 1, the batch with the
    // lowest latency, and is sized and costed there (docs/tco.md, "Candidates that miss a constraint").
    const bool single_stream = judging.engine != nullptr && !judging.engine->continuous_batching;
    const std::int64_t batch_limit = single_stream ? 1 : std::min(judging.options.max_batch, e1.memory.max_concurrency);
    const double needed_qps = s.workload.qps * (1.0 + k.headroom);
    auto replicas_at = [&](double per_replica_qps) {
        return needed_qps > 0 ? std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(needed_qps / per_replica_qps - 1e-9)))
                              : std::int64_t{1};
    };
    // The replicas a batch needs: for the throughput (with headroom), then for the queue at the
    // scenario's load (without: headroom is spare capacity, not traffic). What queues is the
    // request's prefill work (chunked prefill shares the steps' weight reads) and the eager
    // overhead of its prefill steps, both at batch 1 (where two prompts sharing a step would
    // leave the CUDA graphs and one does not, this understates: docs/method.md), or the whole
    // request on a single-stream engine, which serves one at a time.
    const LoadQueue queue(s.workload.qps,
                          single_stream ? e1.performance.latency_ms
                                        : e1.performance.prefill_work_ms + e1.performance.prefill_eager_ms,
                          k.max_ttft_ms);
    const bool at_load = queue.loaded();
    // The TTFT the limit judges at batch 1. At load a TTFT below the limit meets it (the queue's
    // replicas see to it); one at or above it misses by its wait too.
    double ttft_judged_one = e1.performance.ttft_ms;
    if (queue.misses(e1.performance.ttft_ms)) {
        ttft_judged_one += queue.size(e1.performance.ttft_ms, replicas_at(e1.performance.qps)).wait_ms;
    }
    const bool late_at_one = misses_latency(k, e1.performance, ttft_judged_one);
    const bool over_power = k.max_power_w && e1.power_w > *k.max_power_w;
    // Compare shows what a candidate that fits would cost even when it misses power or
    // latency; a search does not need to know.
    if (depth == Depth::verdict && (over_power || late_at_one)) {
        set_over_limit(c.rejection, over_power ? power_limit(k, e1) : *latency_miss(k, e1.performance, ttft_judged_one, at_load));
        return;
    }
    // Each rung reads only the timing; the chosen batch gets its whole estimate once.
    // Of each rung that meets the limits (powers of two: at most 64): the batch, the replicas it
    // needs in all and those the throughput needs.
    struct LadderRung {
        std::int64_t batch;
        std::int64_t replicas;
        std::int64_t for_throughput;
    };
    std::array<LadderRung, 64> ladder;  // filled rung by rung: no need to clear 1.5 KB per candidate
    std::size_t rungs = 0;
    const std::int64_t throughput_one = replicas_at(e1.performance.qps);
    ladder[rungs++] = {1, queue.replicas(e1.performance.ttft_ms, throughput_one), throughput_one};
    for (std::int64_t batch = 2; !late_at_one && batch <= batch_limit; batch *= 2) {
        // Once the queue sets the count, a larger batch cannot lower it: its TTFT is no shorter,
        // so its slack is no longer.
        if (ladder[rungs - 1].replicas > ladder[rungs - 1].for_throughput) {
            break;
        }
        const EstimatePlan::Rung next = plan.rung(batch);
        if (!next.timed || queue.misses(next.performance.ttft_ms) ||
            misses_latency(k, next.performance, next.performance.ttft_ms)) {
            break;
        }
        const std::int64_t for_throughput = replicas_at(next.performance.qps);
        ladder[rungs++] = {batch, queue.replicas(next.performance.ttft_ms, for_throughput), for_throughput};
        // Once one replica carries the load with headroom, a larger batch only adds latency.
        if (next.performance.qps >= needed_qps) {
            break;
        }
    }
    // The fewest replicas, throughput and queue together; the smallest batch among equals.
    std::size_t chosen = 0;
    for (std::size_t i = 1; i < rungs; ++i) {
        if (ladder[i].replicas < ladder[chosen].replicas) {
            chosen = i;
        }
    }
    c.batch = ladder[chosen].batch;
    if (c.batch != 1) {
        c.estimate = plan.at(c.batch);
    }
    const QueueSizing sizing = queue.size(c.estimate.performance.ttft_ms, ladder[chosen].for_throughput);
    const double per_replica_qps = c.estimate.performance.qps;
    c.replicas = sizing.replicas;
    c.capacity_qps = per_replica_qps * static_cast<double>(c.replicas);
    c.queue_wait_ms = sizing.wait_ms;
    c.ttft_at_load_ms = c.estimate.performance.ttft_ms + sizing.wait_ms;
    c.prefill_utilization = sizing.utilization;
    c.replicas_for_queue = sizing.for_queue;
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
            set_over_limit(c.rejection, {"budget", "yearly cost", "USD", "--budget-usd", *k.budget_usd_per_year, c.cost.yearly_usd});
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
        misses.push_back(over_limit(power_limit(k, e1)));
    }
    latency_misses(k, e1.performance, ttft_judged_one, at_load, misses);
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
                            std::optional<double> active_fraction, std::optional<double> kv_cache_bits) {
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
    request.kv_cache_bits = kv_cache_bits;
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
