#pragma once
// The cost-latency Pareto frontier: the accepted candidates that no other accepted candidate
// beats on both end-to-end latency and yearly cost. A derived figure of the search, computed
// here so that every view (the HTML report's scatter today) shows the same one.
#include <cstddef>
#include <vector>

#include "dsselect/select/candidate.hpp"

namespace dsselect {

// Indices into `candidates` of the frontier among the accepted ones, by ascending latency.
// Of candidates with the same latency and cost the first is kept; rejected candidates and
// those without timing are ignored.
std::vector<std::size_t> cost_latency_frontier(const std::vector<const Candidate*>& candidates);

}  // namespace dsselect
