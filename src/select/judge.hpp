#pragma once
// Pass: the judgement of a candidate that passed the pre-checks: memory, the batch size,
// replicas, cost, power, latency, budget and the policy rules' reject phase.
#include <cstdint>
#include <optional>

#include "dsselect/catalog/types.hpp"
#include "dsselect/estimate/estimator.hpp"
#include "dsselect/rules/rules.hpp"
#include "dsselect/select/search.hpp"
#include "select/prechecks.hpp"

namespace dsselect::select {

// How much of a rejected candidate a judgement works out: `verdict` skips the work that only
// explains a rejection (the cost of a candidate rejected for power or latency, the rules'
// sentences, the cost by year); `full` is what compare and the nearest misses show.
enum class Depth { verdict, full };

// The engine the scenario names, or the default one.
const Engine* scenario_engine(const Catalog& catalog, const Scenario& s);

// The request, given the engine's profile for this hardware and precision and the scenario's
// active fraction for this variant (a search computes those once per hardware and variant). The
// KV cache is stored in `kv_cache_bits`: --kv-cache-dtype's when given, else the engine's default
// for the variant's format (kv_cache_bits_for, resolved once per pair in PairFacts).
EstimateRequest request_for(const Scenario& s, const Model& model, const Variant& variant, const Hardware& hardware,
                            std::int64_t gpus, std::int64_t batch, const EfficiencyProfile& profile,
                            std::optional<double> active_fraction, std::optional<double> kv_cache_bits);

// Everything one judgement reads besides the candidate itself.
struct Judging {
    const Scenario& scenario;
    const Engine* engine;
    const SearchOptions& options;
    RuleSession& rules;
    RuleBudget* budget;  // the search's shared rule budget; null outside a search
};

// One configuration and what the search knows of it ahead of the estimate.
struct Configuration {
    const Model& model;
    const Variant& variant;
    const Hardware& hardware;
    std::int64_t gpus = 1;
    const PairFacts& facts;
    EarlyFlags flags;
    const EfficiencyProfile& profile;
    // The engine's default KV-cache bits on this hardware:
    // engine_kv_cache_bits_on(hardware, facts.engine_kv_cache_bits), which a search tabulates.
    std::optional<double> engine_kv_cache_bits;
};

// A candidate of this configuration that passed the pre-checks, judged as deeply as `depth`
// asks. Its estimate is the one at the chosen batch.
Candidate judge_fitting(const Judging& judging, const Configuration& configuration, Depth depth);

// A configuration judged in full, pre-checks included: what compare shows and what explains
// a nearest miss. A candidate a pre-check rejects keeps its estimate at batch 1.
Candidate judge_in_full(const Judging& judging, const Configuration& configuration);

}  // namespace dsselect::select
