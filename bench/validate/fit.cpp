#include "fit.hpp"

#include <algorithm>
#include <cmath>

#include "dsselect/core/error.hpp"
#include "stats.hpp"

namespace validate {

namespace {

// Median APE of the target on `cases` with `factors` on top of each row's profile.
double objective(const std::vector<Case>& cases, Profiles profiles, const FactorOverride& factors, FitTarget target) {
    profiles.set_override(factors);
    std::vector<double> ttft;
    std::vector<double> tpot;
    for (const Case& c : cases) {
        const Prediction p = predict_row(c, profiles);
        ttft.push_back(p.ok ? std::fabs(p.ttft_ms - c.row->ttft_ms) / c.row->ttft_ms : 1.0);
        tpot.push_back(p.ok ? std::fabs(p.tpot_ms - c.row->tpot_ms) / c.row->tpot_ms : 1.0);
    }
    switch (target) {
    case FitTarget::both: return median(ttft) + median(tpot);
    case FitTarget::ttft: return median(ttft);
    case FitTarget::tpot: return median(tpot);
    }
    return 0.0;
}

// lo, lo + step, ..., hi (inclusive), none below `floor`.
std::vector<double> grid(double lo, double hi, double step, double floor) {
    std::vector<double> values;
    for (double v = std::max(lo, floor); v <= hi + 1e-9; v += step) {
        values.push_back(v);
    }
    return values;
}

struct Axes {
    std::vector<double> compute_efficiency;
    std::vector<double> memory_efficiency;
    std::vector<double> per_step_overhead_ms;
    std::vector<std::optional<double>> allreduce_latency_us;
};

std::vector<std::optional<double>> optional_grid(bool enabled, double lo, double hi, double step) {
    if (!enabled) {
        return {std::nullopt};
    }
    std::vector<std::optional<double>> values;
    for (double v : grid(lo, hi, step, 0.0)) {
        values.emplace_back(v);
    }
    return values;
}

}  // namespace

const char* to_string(FitTarget target) {
    switch (target) {
    case FitTarget::both: return "both";
    case FitTarget::ttft: return "ttft";
    case FitTarget::tpot: return "tpot";
    }
    return "both";
}

FitResult fit_factors(const std::vector<Case>& cases, const Profiles& profiles, const FitOptions& options) {
    // Rows the estimator cannot time with the starting profiles stay out: feasibility does not
    // depend on the fitted factors, so they would only shift the median.
    std::vector<Case> fit_cases;
    for (const Case& c : cases) {
        if (c.set == Set::fit && predict_row(c, profiles).ok) {
            fit_cases.push_back(c);
        }
    }
    if (fit_cases.empty()) {
        throw dsselect::Error(dsselect::ErrorKind::usage, "--fit: no fit row the estimator can time (split.json)");
    }
    FitResult best{
        .factors = {},
        .objective = 1e300,
        .rows = static_cast<std::int64_t>(fit_cases.size()),
        .grid_points = 0,
        .description = options.allreduce
                           ? "compute_efficiency, memory_efficiency, per_step_overhead_ms, allreduce_latency_us"
                           : "compute_efficiency, memory_efficiency, per_step_overhead_ms",
    };
    auto search = [&](const Axes& axes) {
        for (double eta_c : axes.compute_efficiency) {
            for (double eta_m : axes.memory_efficiency) {
                for (double overhead : axes.per_step_overhead_ms) {
                    for (const std::optional<double>& allreduce : axes.allreduce_latency_us) {
                        const FactorOverride factors{
                            .compute_efficiency = eta_c,
                            .memory_efficiency = eta_m,
                            .per_step_overhead_ms = overhead,
                            .allreduce_latency_us = allreduce,
                            .ttft_fixed_ms = std::nullopt,
                        };
                        ++best.grid_points;
                        const double value = objective(fit_cases, profiles, factors, options.target);
                        if (value < best.objective - 1e-12) {
                            best.objective = value;
                            best.factors = factors;
                        }
                    }
                }
            }
        }
    };
    search({
        .compute_efficiency = grid(0.2, 1.0, 0.1, 0.05),
        .memory_efficiency = grid(0.4, 1.0, 0.1, 0.05),
        .per_step_overhead_ms = grid(0.0, 8.0, 1.0, 0.0),
        .allreduce_latency_us = optional_grid(options.allreduce, 0.0, 60.0, 10.0),
    });
    const FactorOverride coarse = best.factors;
    const double eta_c = coarse.compute_efficiency.value_or(0);
    const double eta_m = coarse.memory_efficiency.value_or(0);
    const double overhead = coarse.per_step_overhead_ms.value_or(0);
    const double allreduce = coarse.allreduce_latency_us.value_or(0);
    search({
        .compute_efficiency = grid(eta_c - 0.1, std::min(1.0, eta_c + 0.1), 0.02, 0.05),
        .memory_efficiency = grid(eta_m - 0.1, std::min(1.0, eta_m + 0.1), 0.02, 0.05),
        .per_step_overhead_ms = grid(overhead - 1.0, overhead + 1.0, 0.25, 0.0),
        .allreduce_latency_us = optional_grid(options.allreduce, allreduce - 10.0, allreduce + 10.0, 2.0),
    });
    if (options.ttft_fixed) {
        // One more factor, the others fixed: the constant part of TTFT, on the TTFT target.
        FactorOverride factors = best.factors;
        double best_value = 1e300;
        for (double fixed : grid(0.0, 400.0, 5.0, 0.0)) {
            ++best.grid_points;
            factors.ttft_fixed_ms = fixed;
            const double value = objective(fit_cases, profiles, factors, FitTarget::ttft);
            if (value < best_value - 1e-12) {
                best_value = value;
                best.factors.ttft_fixed_ms = fixed;
            }
        }
        best.description += "; then ttft_fixed_ms on the TTFT target";
    }
    return best;
}

}  // namespace validate
