#pragma once
// A rule expression compiled for the common case: numbers and booleans read straight from a
// candidate, combined by comparisons, arithmetic and logic. The search evaluates its per-candidate
// rules (headroom-20: capacity against 1.2 x qps) thousands of times per scenario; the JSON Logic
// interpreter builds a JSON context and walks the expression for each. A compiled rule skips both.
//
// It is an accelerator, not a second semantics: it handles only finite numbers and booleans, in
// the operators below, exactly as the interpreter (json-logic-js) would. Anything else (a null or
// string value, a bool in arithmetic, a non-finite result, which the interpreter reports as an
// error) makes evaluate() answer "not handled", and the caller runs the interpreter instead.
// docs/jsonlogic.md ("Speed") lists the operators.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace dsselect {
struct RuleCandidate;
}

namespace dsselect::detail {

// A context field's value for one candidate, as the interpreter's context would hold it.
using FieldReader = nlohmann::json (*)(const RuleCandidate&);

struct CompiledValue {
    bool is_number = true;
    double number = 0;
    bool boolean = false;
    bool truthy() const { return is_number ? number != 0 : boolean; }  // finite numbers only
};

// Defined in rules.cpp, beside the table of context fields: the reader of a literal var path
// naming one field (nullptr for anything else), and a candidate's whole context as the
// interpreter sees it (tests and the rules fuzzer compare the two paths with them).
FieldReader context_field_reader(std::string_view path);
nlohmann::json full_context(const RuleCandidate& candidate);

class CompiledRule {
public:
    // nullopt when the expression uses anything outside the compiled subset. `reader` maps a
    // literal var path to its field (nullptr: not a single field, e.g. "model").
    static std::optional<CompiledRule> compile(const nlohmann::json& expression,
                                               FieldReader (*reader)(std::string_view path));
    // The expression's value, or nullopt when the interpreter must decide (see above).
    // `operations` counts the operators evaluated (`var` included, literals not), as the
    // interpreter counts them for the search's rule budget.
    std::optional<CompiledValue> evaluate(const RuleCandidate& candidate, std::int64_t& operations) const;
    std::size_t size() const { return m_nodes.size(); }

private:
    enum class Op : std::uint8_t {
        literal, field, less, less_equal, greater, greater_equal, equal, not_equal, strict_equal,
        strict_not_equal, plus, times, minus, divide, m_not, not_not, m_and, m_or, m_if
    };
    struct Node {
        Op op = Op::literal;
        CompiledValue value;          // literal
        FieldReader reader = nullptr;  // field
        std::uint32_t first = 0;       // arguments: m_children[first, first + count)
        std::uint32_t count = 0;
    };
    std::optional<std::uint32_t> add(const nlohmann::json& expression, FieldReader (*reader)(std::string_view), int depth);
    std::optional<CompiledValue> eval(std::uint32_t node, const RuleCandidate& candidate, std::int64_t& operations) const;

    std::vector<Node> m_nodes;
    std::vector<std::uint32_t> m_children;
    std::uint32_t m_root = 0;
};

}  // namespace dsselect::detail
