#include "dsselect/select/recommendation.hpp"

namespace dsselect {

Recommendation run_recommendation(const Catalog& catalog, const Scenario& scenario, const RuleSet& rules,
                                  const SearchOptions& options) {
    Recommendation recommendation{.search = search(catalog, scenario, rules, options), .multi_task = std::nullopt};
    if (!scenario.tasks.empty() && recommendation.satisfied()) {
        recommendation.multi_task = plan_multi_task(catalog, scenario, rules, options, &recommendation.search);
    }
    return recommendation;
}

}  // namespace dsselect
