#include "dsselect/select/frontier.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dsselect {

std::vector<std::size_t> cost_latency_frontier(const std::vector<const Candidate*>& candidates) {
    const auto latency = [&](std::size_t i) { return candidates[i]->estimate.performance.latency_ms; };
    const auto cost = [&](std::size_t i) { return candidates[i]->cost.yearly_usd; };
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        if (candidates[i]->accepted() && std::isfinite(latency(i)) && std::isfinite(cost(i))) {
            order.push_back(i);
        }
    }
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (latency(a) != latency(b)) {
            return latency(a) < latency(b);
        }
        if (cost(a) != cost(b)) {
            return cost(a) < cost(b);
        }
        return a < b;
    });
    std::vector<std::size_t> frontier;
    double cheapest = std::numeric_limits<double>::infinity();
    for (std::size_t i : order) {
        if (cost(i) < cheapest) {
            frontier.push_back(i);
            cheapest = cost(i);
        }
    }
    return frontier;
}

}  // namespace dsselect
