#pragma once
// Pass: the score (docs/ranking.md). One formula for candidates and for multi-task plans:
// cost relative to the cheapest, quality, latency headroom under the scenario's tightest-named
// limit, and the scoring rules' points.
#include <vector>

#include "dsselect/rules/rules.hpp"
#include "dsselect/select/search.hpp"

namespace dsselect::select {

// What the score reads of a candidate or a plan.
struct ScoreInputs {
    double yearly_usd = 0;
    double cheapest_yearly_usd = 0;  // among those scored together
    double quality = 0;
    double latency_ms = 0;
    double tpot_ms = 0;
    double ttft_ms = 0;
    double rules = 0;  // the scoring rules' points
};

// The one score formula.
ScoreParts score_parts(const ScoreInputs& inputs, const ScoreWeights& weights, const Constraints& limits);

// Scores every accepted candidate against the others; returns the smallest total parameter
// count among them (what the scoring rules compared against). With RuleMessages::skip the
// warnings stay empty: word_kept fills them for the candidates a search keeps. The scoring
// rules run in `session` (a search shares it with the judgements in full that follow: those run
// the other phase's rules, so neither sees the other's remembered results).
double score_accepted(std::vector<Candidate>& candidates, const Scenario& s, RuleSession& session,
                      const SearchOptions& options, RuleBudget* budget, RuleMessages messages);

// What a search judged only for its verdict, completed for the candidates it keeps: the cost
// by year and, when they were scored with RuleMessages::skip, their warnings, worded as
// score_accepted words them. The rules already ran within the search's budget; running them
// again for the few kept is the same work, so it is not charged twice.
void finish_kept(std::vector<Candidate>& kept, const Scenario& s, const RuleSet& rules, double smallest,
                 RuleMessages scored_with);

}  // namespace dsselect::select
