#pragma once
// How the passes build a Rejection: a categorical one with its sentence, or a numeric limit
// missed (the sentence is formatted on demand by Rejection::detail).
#include <limits>
#include <string>

#include "dsselect/select/candidate.hpp"

namespace dsselect::select {

inline Rejection reject(const std::string& reason, std::string text, const char* flag = "", double needed = 0,
                        double had = 0, double ratio = std::numeric_limits<double>::infinity()) {
    return {.reason = reason,
            .text = std::move(text),
            .what = "",
            .unit = "",
            .flag = flag,
            .needed = needed,
            .had = had,
            .miss_ratio = ratio,
            .at_least = false};
}

// A maximum limit missed: ratio had / limit.
inline Rejection over_limit(const char* reason, const char* what, const char* unit, const char* flag, double limit,
                            double had) {
    return {.reason = reason,
            .text = {},
            .what = what,
            .unit = unit,
            .flag = flag,
            .needed = limit,
            .had = had,
            .miss_ratio = had / limit,
            .at_least = false};
}

}  // namespace dsselect::select
