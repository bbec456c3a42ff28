#include "select/score.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include "select/rule_context.hpp"

namespace dsselect::select {

namespace {
// Every result on a claimed variant says so, after the rules' warnings (docs/quality.md).
void label_claim(Candidate& c) {
    if (c.variant != nullptr && c.variant->claimed) {
        c.warnings.emplace_back(k_claimed_variant_rule);
        c.warning_messages.push_back(claimed_variant_message(*c.variant));
    }
}

// What a scoring rule sees of an accepted candidate; `smallest` is the smallest total
// parameter count among all accepted candidates.
RuleCandidate scoring_view(const Candidate& c, const Scenario& s, double smallest) { return rule_context(c, s, smallest); }
}  // namespace

ScoreParts score_parts(const ScoreInputs& in, const ScoreWeights& w, const Constraints& k) {
    ScoreParts score;
    score.cost = in.yearly_usd > 0 ? w.cost * in.cheapest_yearly_usd / in.yearly_usd : w.cost;
    score.quality = w.quality * in.quality;
    if (k.max_latency_ms) {
        score.latency = w.latency * (1.0 - in.latency_ms / *k.max_latency_ms);
    } else if (k.max_tpot_ms) {
        score.latency = w.latency * (1.0 - in.tpot_ms / *k.max_tpot_ms);
    } else if (k.max_ttft_ms) {
        score.latency = w.latency * (1.0 - in.ttft_ms / *k.max_ttft_ms);
    }
    score.rules = in.rules;
    score.total = score.cost + score.quality + score.latency + score.rules;
    return score;
}

double score_accepted(std::vector<Candidate>& candidates, const Scenario& s, RuleSession& session,
                      const SearchOptions& options, RuleBudget* budget, RuleMessages messages) {
    double cheapest = std::numeric_limits<double>::infinity();
    double smallest = std::numeric_limits<double>::infinity();
    for (const Candidate& c : candidates) {
        if (c.accepted()) {
            cheapest = std::min(cheapest, c.cost.yearly_usd);
            smallest = std::min(smallest, static_cast<double>(c.estimate.parameters.total));
        }
    }
    for (Candidate& c : candidates) {
        if (!c.accepted()) {
            continue;
        }
        RuleOutcome scored = session.apply(scoring_view(c, s, smallest), RulePhase::scoring, budget, messages);
        c.warnings = std::move(scored.warnings);
        c.warning_messages = std::move(scored.warning_messages);
        label_claim(c);
        const PerformanceEstimate& p = c.estimate.performance;
        c.score = score_parts({.yearly_usd = c.cost.yearly_usd,
                               .cheapest_yearly_usd = cheapest,
                               .quality = c.quality,
                               .latency_ms = p.latency_ms,
                               .tpot_ms = p.tpot_ms,
                               .ttft_ms = c.ttft_at_load_ms,  // what --max-ttft-ms judges
                               .rules = scored.score},
                              options.score_weights, s.constraints);
    }
    return smallest;
}

void finish_kept(std::vector<Candidate>& kept, const Scenario& s, const RuleSet& rules, double smallest,
                 RuleMessages scored_with) {
    // A session only when the warnings are worded here (building one compiles every rule).
    std::optional<RuleSession> session;
    if (scored_with == RuleMessages::skip) {
        session.emplace(rules);
    }
    for (Candidate& c : kept) {
        c.cost.per_year = tco_years(s.tco.years, c.cost);
        if (session) {
            RuleOutcome worded = session->apply(scoring_view(c, s, smallest), RulePhase::scoring);
            c.warnings = std::move(worded.warnings);
            c.warning_messages = std::move(worded.warning_messages);
            label_claim(c);
        }
    }
}

}  // namespace dsselect::select
