#include "stats.hpp"

#include <algorithm>
#include <cmath>

namespace validate {

namespace {

double nearest_rank(std::vector<double> values, double quantile) {
    if (values.empty()) {
        return 0.0;
    }
    std::sort(values.begin(), values.end());
    const auto rank = static_cast<std::size_t>(std::ceil(quantile * static_cast<double>(values.size())));
    return values[std::min(values.size(), std::max<std::size_t>(rank, 1)) - 1];
}

}  // namespace

double median(std::vector<double> values) {
    if (values.empty()) {
        return 0.0;
    }
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

ErrorStats stats_of(const std::vector<double>& signed_errors) {
    ErrorStats s;
    s.n = static_cast<std::int64_t>(signed_errors.size());
    if (signed_errors.empty()) {
        return s;
    }
    std::vector<double> absolute;
    absolute.reserve(signed_errors.size());
    double sum = 0;
    for (double e : signed_errors) {
        absolute.push_back(std::fabs(e));
        sum += e;
    }
    s.mean_signed = sum / static_cast<double>(signed_errors.size());
    s.median_ape = median(absolute);
    s.p90_ape = nearest_rank(absolute, 0.9);
    return s;
}

}  // namespace validate
