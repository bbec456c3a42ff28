#pragma once
// Shared by the JSON renderers (private to src/report/).
#include <cmath>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "dsselect/report/views.hpp"

namespace dsselect::report::detail {

// Every document starts with its schema version and kind.
inline nlohmann::ordered_json document_header(const char* kind) {
    nlohmann::ordered_json out;
    out["schema_version"] = k_schema_version;
    out["kind"] = kind;
    return out;
}

// A count or byte figure as the JSON integer it is, rounded to the nearest.
inline std::int64_t whole(double value) { return static_cast<std::int64_t>(std::llround(value)); }

// The "accuracy" object of an Estimate, of a Recommendation's and a Comparison's candidates and of a
// Tco (json_output.cpp).
nlohmann::ordered_json accuracy_json(const AccuracyClaim& claim);

// The "multi_task" object of a Recommendation (multitask_report.cpp).
nlohmann::ordered_json multi_task_json(const Scenario& scenario, const MultiTaskResult& result);

}  // namespace dsselect::report::detail
