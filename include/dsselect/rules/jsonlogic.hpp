#pragma once
// JSON Logic (jsonlogic.com) evaluator, faithful to json-logic-js 2.0.5, over nlohmann::json.
// Semantics, dsselect's decisions on the edge cases and the limits: docs/jsonlogic.md.
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace dsselect::jsonlogic {

// Bounds that make evaluation safe on hostile rules and data. Exceeding one throws
// dsselect::Error(ErrorKind::invalid_data).
struct Limits {
    // Nesting depth of evaluation (rule nesting, array literals), and the deepest value
    // the evaluator will copy or build.
    int max_depth = 200;
    // Total operation evaluations in one apply(), including per-element work: one per element
    // in map/filter/reduce/all/some/none, per element scanned by 'in', copied by 'merge' or
    // stringified by 'cat' and the comparisons, per node copied out of the data.
    std::int64_t max_operations = 1'000'000;
    // Where to report the operations one apply() used (also when it throws); not owned.
    std::int64_t* operations_used = nullptr;
};

// Applies `rule` to `data` and returns the result (JS `undefined` becomes null). Throws
// dsselect::Error(ErrorKind::invalid_data, ...) for an unknown operator ("unknown JSON Logic
// operator 'X'; did you mean 'Y'?"), an exceeded limit, a non-finite numeric result ("non-finite
// result of '/'", e.g. division by zero), 'min'/'max' of nothing and '*' of nothing.
// `data` is never modified and not copied except where a result embeds part of it.
nlohmann::json apply(const nlohmann::json& rule, const nlohmann::json& data, const Limits& limits = {});

// truthy(apply(rule, data, limits)) without materialising the result (cheaper for rules whose
// result is a part of the data).
bool apply_truthy(const nlohmann::json& rule, const nlohmann::json& data, const Limits& limits = {});

// JSON Logic truthiness: false, null, 0, "" and [] are falsy; everything else, including "0"
// and {}, is truthy.
bool truthy(const nlohmann::json& value);

// Where the 'log' operator writes (one line per call: the value as compact JSON). nullptr,
// the default, makes 'log' silent; it still returns its argument. Not owned; the stream must
// outlive its use. Thread-safe to set; writes from concurrent evaluations may interleave.
void set_log_stream(std::ostream* stream);

// Static check of a rule expression for rule authors: unknown operators, wrong arity, and
// literal `var`/`missing`/`missing_some` paths that `known_path` rejects (skipped when
// `known_path` is empty, inside the per-element logic of map/filter/all/none/some, and for
// non-literal paths; inside reduce's logic a path must start with 'current' or 'accumulator').
// Issues come in document order (pre-order walk).
struct Issue {
    std::string pointer;  // RFC 6901 JSON pointer into the rule, e.g. "/and/1/var"
    std::string message;  // one line, e.g. "unknown JSON Logic operator 'mapp'; did you mean 'map'?"
};
std::vector<Issue> check(const nlohmann::json& rule,
                         const std::function<bool(const std::string&)>& known_path = {});

// The names of the supported operators, sorted (for help text and did-you-mean).
const std::vector<std::string>& operator_names();

}  // namespace dsselect::jsonlogic
