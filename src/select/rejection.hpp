#pragma once
// How the passes build a Rejection: a categorical one with its sentence, or a numeric limit
// missed (the sentence is formatted on demand by Rejection::detail).
#include <limits>
#include <optional>
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

// A maximum limit missed, before it is a Rejection: plain data, cheap to pass around.
struct LimitMiss {
    const char* reason;
    const char* what;
    const char* unit;
    const char* flag;
    double limit;
    double had;
};

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
inline Rejection over_limit(const LimitMiss& m) { return over_limit(m.reason, m.what, m.unit, m.flag, m.limit, m.had); }

// over_limit(m) written in place into `out`, the same fields without a temporary to move (a
// search's verdict on each candidate that misses memory, power or latency).
inline void set_over_limit(std::optional<Rejection>& out, const LimitMiss& m) {
    Rejection& r = out.emplace();
    r.reason = m.reason;
    r.what = m.what;
    r.unit = m.unit;
    r.flag = m.flag;
    r.needed = m.limit;
    r.had = m.had;
    r.miss_ratio = m.had / m.limit;
    r.at_least = false;
}

}  // namespace dsselect::select
