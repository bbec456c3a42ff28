#pragma once
// Error statistics. Signed error = (predicted - measured) / measured; APE = its absolute value.
#include <cstdint>
#include <vector>

namespace validate {

struct ErrorStats {
    std::int64_t n = 0;
    double median_ape = 0;
    double mean_signed = 0;
    double p90_ape = 0;  // nearest-rank 90th percentile of the APE
};

double median(std::vector<double> values);
ErrorStats stats_of(const std::vector<double>& signed_errors);

}  // namespace validate
