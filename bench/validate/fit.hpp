#pragma once
// Grid search of the efficiency factors on the fit rows (split.json) only.
#include <cstdint>
#include <string>
#include <vector>

#include "predict.hpp"

namespace validate {

enum class FitTarget { both, ttft, tpot };
const char* to_string(FitTarget target);

struct FitOptions {
    FitTarget target = FitTarget::tpot;
    bool allreduce = false;   // also fit allreduce_latency_us
    bool ttft_fixed = false;  // then fit ttft_fixed_ms, the other factors fixed, on the TTFT target
};

struct FitResult {
    FactorOverride factors;
    double objective = 0;  // median APE (TPOT, TTFT, or their sum) on the fit rows
    std::int64_t rows = 0;
    std::int64_t grid_points = 0;
    std::string description;  // which factors, in which order
};

// Fits compute_efficiency, memory_efficiency and per_step_overhead_ms (coarse grid, then a fine
// grid around the best point) on the cases tagged Set::fit that the estimator can time; rows
// that stop being timeable count as 100 % errors. Throws usage when there is no fit row.
FitResult fit_factors(const std::vector<Case>& cases, const Profiles& profiles, const FitOptions& options);

}  // namespace validate
