#pragma once
// The candidate search: version x valid variant x hardware x GPUs per replica, each estimated,
// checked against the scenario's hard constraints and the policy rules, sized into replicas,
// costed, scored and ranked. Rejections are findings with a reason, not errors.
// The passes live in src/select/ (docs/architecture.md): the candidate space, the pre-checks,
// the judgement, the score, the ranking and the rejection tally; search() runs them in turn.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dsselect/catalog/types.hpp"
#include "dsselect/rules/rules.hpp"
#include "dsselect/select/candidate.hpp"
#include "dsselect/tco/tco.hpp"

namespace dsselect {

// When a search works out advice (SearchResult::suggestions, docs/ranking.md "Advice"): when it
// accepts nothing (recommend's exit 1), always (the explain views and the HTML report), or never
// (the searches that verify a suggestion).
enum class Advice { when_unsatisfied, always, never };

struct SearchOptions {
    TcoWeights tco_weights;
    ScoreWeights score_weights;
    std::int64_t max_candidates = 100'000;  // --max-candidates; exceeding it is an error, not a truncation
    std::int64_t max_batch = 1024;
    // Worker threads for large searches (0: one per core). Results are identical whatever
    // the count: each candidate is judged independently and kept in enumeration order.
    std::int64_t threads = 0;
    std::int64_t parallel_threshold = 20'000;  // candidates below which the search stays on one thread
    bool keep_evaluated = false;  // fill SearchResult::evaluated (the HTML report's scatter)
    // SearchResult::ranked keeps only the best N accepted candidates (0: all of them). The
    // scores, the order and candidates_accepted are the same either way; a caller that shows
    // the top N (batch) or needs only the winner (a multi-task plan's per-task search) skips
    // ranking and keeping the rest (docs/ranking.md, "Speed"). The HTML report ranks every
    // accepted candidate of its scatter, so it needs 0.
    std::int64_t keep_ranked = 0;
    Advice advice = Advice::when_unsatisfied;
    // --kv-cache-dtype: bits per KV element for every candidate; absent: each engine's default
    // for the variant's format, or the model's checkpoint where the engine reads it from there
    // (data/engines.json kv_cache_dtype, a model's checkpoint_kv_cache_dtype, kv_cache_bits_for).
    std::optional<double> kv_cache_bits;
};

// One change of the scenario that advice asks for: a flag and the value to pass.
struct SuggestedChange {
    std::string check;  // the constraint it relaxes: "latency", "quality", "budget", ...
    std::string flag;   // "--max-latency-ms"
    double value = 0;   // rounded to 4 significant digits towards admitting the candidate
    std::string unit;   // "ms", "USD", "" for ratios
};

// Advice for one rejection reason: the nearest candidate of that reason that changing limit
// flags admits, with every change it needs (its whole set of violations, and what follows from
// them: a candidate admitted at a looser latency is sized again and may then cost more). A
// suggestion is kept only when searching again with all its changes applied accepts a
// candidate, and never names a candidate a reject rule removes.
struct Suggestion {
    std::string reason;
    Candidate candidate;  // judged in full under the scenario as given: its misses
    std::vector<SuggestedChange> changes;
    // The changes as command-line flags: "--max-latency-ms 152.4 --min-quality 0.848".
    std::string flags() const;
};

// What a search found: the ranked accepted candidates, the rejections counted by reason with
// the nearest miss of each, and (on request) every candidate judged in full.
struct SearchResult {
    Scenario scenario;
    std::string engine_id;  // the engine profile the search ran (data/engines.json); empty: built-in defaults
    std::vector<Candidate> ranked;  // accepted, best first (all of them, or SearchOptions::keep_ranked)
    std::int64_t candidates_accepted = 0;  // all accepted candidates, whatever ranked keeps
    // Accepted candidates folded into an identical row (Candidate::identical_variants): ranked
    // holds at most candidates_accepted - candidates_folded rows.
    std::int64_t candidates_folded = 0;
    std::map<std::string, std::int64_t> rejected_by_reason;
    std::map<std::string, Candidate> nearest_miss;  // per reason
    std::int64_t candidates_evaluated = 0;
    SearchOptions options;
    std::vector<Candidate> evaluated;  // every judged candidate in enumeration order; only with keep_evaluated
    // Per rejection reason, verified advice (SearchOptions::advice says when it is worked out);
    // a reason no change of limit flags can fix has none.
    std::map<std::string, Suggestion> suggestions;
};

// The suggestion a one-line answer gives: the fewest changes, then the nearest miss, then the
// smaller label; null when there is none.
const Suggestion* best_suggestion(const SearchResult& result);

SearchResult search(const Catalog& catalog, const Scenario& scenario, const RuleSet& rules, const SearchOptions& options);
// The engine profile a search, compare or tco of this scenario runs (data/engines.json id; empty:
// the catalog has none of that id, so the built-in defaults): SearchResult::engine_id.
std::string search_engine_id(const Catalog& catalog, const Scenario& scenario);

// SearchOptions::keep_ranked for a caller that shows the top N: N, a scenario with tasks
// included: its search applies every task's floor, so the shared plan's base is the first ranked
// (docs/multitask.md) and the kept few suffice.
inline std::int64_t ranked_to_keep(const Scenario& scenario, std::int64_t top) {
    static_cast<void>(scenario);
    return top;
}

// One candidate, judged the same way (compare shows rejected ones too).
Candidate evaluate_candidate(const Catalog& catalog, const Scenario& scenario, const RuleSet& rules,
                             const Model& model, const Variant& variant, const Hardware& hardware,
                             std::int64_t gpus_per_replica, const SearchOptions& options);
// Scores a set of judged candidates against each other (cheapest cost, smallest model).
void score_candidates(std::vector<Candidate>& candidates, const Scenario& scenario, const RuleSet& rules,
                      const SearchOptions& options);

}  // namespace dsselect
