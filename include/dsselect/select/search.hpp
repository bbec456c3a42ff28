#pragma once
// The candidate search: version x valid variant x hardware x GPUs per replica, each estimated,
// checked against the scenario's hard constraints and the policy rules, sized into replicas,
// costed, scored and ranked. Rejections are findings with a reason, not errors.
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dsselect/catalog/types.hpp"
#include "dsselect/estimate/estimator.hpp"
#include "dsselect/rules/rules.hpp"
#include "dsselect/tco/tco.hpp"

namespace dsselect {

// Score weights (docs/ranking.md). Higher score ranks first.
struct ScoreWeights {
    double cost = 0.5;     // cheapest yearly cost / this yearly cost
    double quality = 0.2;  // quality (0..1)
    double latency = 0.1;  // 1 - latency / limit, when a latency limit exists
};

struct SearchOptions {
    std::int64_t top = 5;
    TcoWeights tco_weights;
    ScoreWeights score_weights;
    std::int64_t max_candidates = 100'000;  // --max-candidates; exceeding it is an error, not a truncation
    std::int64_t max_batch = 1024;
    // Worker threads for large searches (0: one per core). Results are identical whatever
    // the count: each candidate is judged independently and kept in enumeration order.
    std::int64_t threads = 0;
    std::int64_t parallel_threshold = 20'000;  // candidates below which the search stays on one thread
    bool keep_evaluated = false;  // fill Recommendation::evaluated (the HTML report's scatter)
    // Recommendation::ranked keeps only the best N accepted candidates (0: all of them). The
    // scores, the order and candidates_accepted are the same either way; a caller that shows
    // the top N (batch) or needs only the winner (a multi-task plan's per-task search) skips
    // ranking and keeping the rest (docs/ranking.md, "Speed"). The HTML report ranks every
    // accepted candidate of its scatter, so it needs 0.
    std::int64_t keep_ranked = 0;
};

struct ScoreParts {
    double cost = 0;
    double quality = 0;
    double latency = 0;
    double rules = 0;
    double total = 0;
};

// Why a candidate was rejected, with the numbers. The sentence is formatted on demand (the
// search rejects thousands of candidates and shows a few).
struct Rejection {
    std::string reason;  // constraint or rule id: "memory", "latency", "over-quantization", ...
    std::string text;    // a categorical reason's sentence; empty for a numeric limit
    const char* what = "";  // numeric limits: "end-to-end latency"
    const char* unit = "";  // numeric limits: "ms"
    const char* flag = "";  // the flag that relaxes it, e.g. "--max-latency-ms"; empty when none
    double needed = 0;   // the limit
    double had = 0;      // the candidate's value
    // How far off: >= 1; 1 means just missed. Infinity for categorical misses.
    double miss_ratio = std::numeric_limits<double>::infinity();
    bool at_least = false;  // the limit is a minimum (quality), not a maximum

    // "needs latency <= 200 ms, has 240.1 ms", or the categorical sentence.
    std::string detail() const;
};

struct Candidate {
    const Model* model = nullptr;
    const Variant* variant = nullptr;
    const Hardware* hardware = nullptr;
    std::int64_t gpus_per_replica = 1;
    std::int64_t batch = 1;
    std::int64_t replicas = 0;
    Estimate estimate;
    double quality = 0;
    double capacity_qps = 0;
    TcoResult cost;
    bool costed = false;
    ScoreParts score;
    std::optional<Rejection> rejection;
    std::vector<std::string> warnings;
    std::vector<std::string> warning_messages;
    bool accepted() const { return !rejection.has_value(); }
    std::string label() const;  // base:int8@a40x2
};

struct Recommendation {
    Scenario scenario;
    std::vector<Candidate> ranked;  // accepted, best first (all of them, or SearchOptions::keep_ranked)
    std::int64_t candidates_accepted = 0;  // all accepted candidates, whatever ranked keeps
    std::map<std::string, std::int64_t> rejected_by_reason;
    std::map<std::string, Candidate> nearest_miss;  // per reason
    std::int64_t candidates_evaluated = 0;
    SearchOptions options;
    std::vector<Candidate> evaluated;  // every judged candidate in enumeration order; only with keep_evaluated
};

Recommendation recommend(const Catalog& catalog, const Scenario& scenario, const RuleSet& rules,
                         const SearchOptions& options);

// SearchOptions::keep_ranked for a caller that shows the top N: N, or the whole ranking for a
// scenario with tasks, whose shared plan walks it for the first candidate that meets every
// task's floor (rank 25 for the shipped multi-task-support; a kept few would mean a second search).
inline std::int64_t ranked_to_keep(const Scenario& scenario, std::int64_t top) {
    return scenario.tasks.empty() ? top : 0;
}

// One candidate, judged the same way (compare shows rejected ones too).
Candidate evaluate_candidate(const Catalog& catalog, const Scenario& scenario, const RuleSet& rules,
                             const Model& model, const Variant& variant, const Hardware& hardware,
                             std::int64_t gpus_per_replica, const SearchOptions& options);
// Scores a set of judged candidates against each other (cheapest cost, smallest model).
void score_candidates(std::vector<Candidate>& candidates, const Scenario& scenario, const RuleSet& rules,
                      const SearchOptions& options);

// A parsed candidate string MODEL[:VARIANT][@HARDWARE[xGPUS]].
struct CandidateSpec {
    std::string model;
    std::string variant;   // empty: best for the scenario
    std::string hardware;  // empty: best for the scenario
    std::int64_t gpus = 0;  // 0: best for the scenario
};
// Throws a usage Error naming the text on junk such as "@@" or "a40x0".
CandidateSpec parse_candidate(const std::string& text);

// The best judged candidate matching a spec (parts left out are searched).
Candidate resolve_candidate(const Catalog& catalog, const Scenario& scenario, const RuleSet& rules,
                            const CandidateSpec& spec, const SearchOptions& options);

}  // namespace dsselect
