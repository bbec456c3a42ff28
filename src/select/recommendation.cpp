#include "dsselect/select/recommendation.hpp"

namespace dsselect {

Recommendation run_recommendation(const Catalog& catalog, const Scenario& scenario, const RuleSet& rules,
                                  const SearchOptions& options) {
    Recommendation recommendation{.search = search(catalog, scenario, rules, options), .multi_task = std::nullopt};
    if (!scenario.tasks.empty() && recommendation.satisfied()) {
        // The plans' own searches give no advice: a plan reports why it is rejected instead.
        SearchOptions planning = options;
        planning.advice = Advice::never;
        recommendation.multi_task = plan_multi_task(catalog, scenario, rules, planning, &recommendation.search);
    }
    return recommendation;
}

}  // namespace dsselect
