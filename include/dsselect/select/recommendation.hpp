#pragma once
// A scenario's recommendation: the search and, for a scenario with tasks, its multi-task plans.
// The one place recommend, report and batch get their answer from.
#include <optional>

#include "dsselect/catalog/types.hpp"
#include "dsselect/rules/rules.hpp"
#include "dsselect/select/multitask.hpp"
#include "dsselect/select/search.hpp"

namespace dsselect {

struct Recommendation {
    SearchResult search;
    // A scenario with tasks whose search accepted a candidate (docs/multitask.md).
    std::optional<MultiTaskResult> multi_task;

    const MultiTaskResult* plans() const { return multi_task ? &*multi_task : nullptr; }
    // Something satisfies the scenario (recommend exits 1 otherwise).
    bool satisfied() const { return !search.ranked.empty(); }
};

Recommendation run_recommendation(const Catalog& catalog, const Scenario& scenario, const RuleSet& rules,
                                  const SearchOptions& options);

}  // namespace dsselect
