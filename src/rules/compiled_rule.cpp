#include "rules/compiled_rule.hpp"

#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

namespace dsselect::detail {

namespace {
using json = nlohmann::json;

// Deeper expressions go to the interpreter, which enforces its own depth limit.
constexpr int k_max_compiled_depth = 100;

struct OpName {
    std::string_view name;
    std::uint8_t op;
    std::uint32_t min_args;
    std::uint32_t max_args;
};

// JS ToNumber of a number or boolean.
double to_number(const CompiledValue& v) { return v.is_number ? v.number : (v.boolean ? 1.0 : 0.0); }

CompiledValue boolean(bool b) { return CompiledValue{false, 0, b}; }
CompiledValue number(double x) { return CompiledValue{true, x, false}; }
}  // namespace

std::optional<CompiledRule> CompiledRule::compile(const json& expression, FieldReader (*reader)(std::string_view)) {
    CompiledRule rule;
    const auto root = rule.add(expression, reader, 0);
    if (!root) {
        return std::nullopt;
    }
    rule.m_root = *root;
    return rule;
}

std::optional<std::uint32_t> CompiledRule::add(const json& expression, FieldReader (*reader)(std::string_view), int depth) {
    if (depth > k_max_compiled_depth) {
        return std::nullopt;
    }
    Node node;
    if (expression.is_number()) {
        node.value = number(expression.get<double>());
    } else if (expression.is_boolean()) {
        node.value = boolean(expression.get<bool>());
    } else if (expression.is_object() && expression.size() == 1) {
        const auto first = expression.begin();
        const std::string& name = first.key();
        const json& raw = first.value();
        if (name == "var") {
            // {"var": "path"} or {"var": ["path"]}: a single field, no default.
            const json* path = &raw;
            if (raw.is_array()) {
                if (raw.size() != 1) {
                    return std::nullopt;
                }
                path = &raw[0];
            }
            if (!path->is_string()) {
                return std::nullopt;
            }
            node.op = Op::field;
            node.reader = reader(path->get_ref<const std::string&>());
            if (node.reader == nullptr) {
                return std::nullopt;
            }
        } else {
            static constexpr OpName k_ops[] = {
                {"<", static_cast<std::uint8_t>(Op::less), 2, 3},
                {"<=", static_cast<std::uint8_t>(Op::less_equal), 2, 3},
                {">", static_cast<std::uint8_t>(Op::greater), 2, 2},
                {">=", static_cast<std::uint8_t>(Op::greater_equal), 2, 2},
                {"==", static_cast<std::uint8_t>(Op::equal), 2, 2},
                {"!=", static_cast<std::uint8_t>(Op::not_equal), 2, 2},
                {"===", static_cast<std::uint8_t>(Op::strict_equal), 2, 2},
                {"!==", static_cast<std::uint8_t>(Op::strict_not_equal), 2, 2},
                {"+", static_cast<std::uint8_t>(Op::plus), 0, 1'000'000},
                {"*", static_cast<std::uint8_t>(Op::times), 1, 1'000'000},
                {"-", static_cast<std::uint8_t>(Op::minus), 1, 2},
                {"/", static_cast<std::uint8_t>(Op::divide), 2, 2},
                {"!", static_cast<std::uint8_t>(Op::m_not), 1, 1},
                {"!!", static_cast<std::uint8_t>(Op::not_not), 1, 1},
                {"and", static_cast<std::uint8_t>(Op::m_and), 1, 1'000'000},
                {"or", static_cast<std::uint8_t>(Op::m_or), 1, 1'000'000},
                {"if", static_cast<std::uint8_t>(Op::m_if), 1, 1'000'000},
                {"?:", static_cast<std::uint8_t>(Op::m_if), 1, 1'000'000},
            };
            const OpName* found = nullptr;
            for (const OpName& candidate : k_ops) {
                found = candidate.name == name ? &candidate : found;
            }
            // A non-array argument is one argument, as in the interpreter.
            const std::uint32_t count = raw.is_array() ? static_cast<std::uint32_t>(raw.size()) : 1;
            if (found == nullptr || count < found->min_args || count > found->max_args) {
                return std::nullopt;
            }
            node.op = static_cast<Op>(found->op);
            std::vector<std::uint32_t> arguments;
            for (std::uint32_t i = 0; i < count; ++i) {
                const auto child = add(raw.is_array() ? raw[i] : raw, reader, depth + 1);
                if (!child) {
                    return std::nullopt;
                }
                arguments.push_back(*child);
            }
            node.first = static_cast<std::uint32_t>(m_children.size());
            node.count = count;
            m_children.insert(m_children.end(), arguments.begin(), arguments.end());
        }
    } else {
        return std::nullopt;  // strings, null, arrays, plain objects
    }
    m_nodes.push_back(node);
    return static_cast<std::uint32_t>(m_nodes.size() - 1);
}

std::optional<CompiledValue> CompiledRule::evaluate(const RuleCandidate& candidate, std::int64_t& operations) const {
    return eval(m_root, candidate, operations);
}

std::optional<CompiledValue> CompiledRule::eval(std::uint32_t index, const RuleCandidate& candidate,
                                                std::int64_t& operations) const {
    const Node& node = m_nodes[index];
    // One operation per operator, `var` included, as the interpreter counts; literals are free.
    operations += node.op == Op::literal ? 0 : 1;
    auto argument = [&](std::uint32_t i) { return eval(m_children[node.first + i], candidate, operations); };
    // Argument i as parseFloat sees it: a number, or nullopt (parseFloat(true) is NaN, which
    // the interpreter reports as a non-finite result).
    auto parsed = [&](std::uint32_t i) -> std::optional<double> {
        const auto v = argument(i);
        if (!v || !v->is_number) {
            return std::nullopt;
        }
        return v->number;
    };
    // Arithmetic: a non-finite result is an error in the interpreter; let it report that.
    auto finite = [](double x) -> std::optional<CompiledValue> {
        if (!std::isfinite(x)) {
            return std::nullopt;
        }
        return number(x);
    };
    switch (node.op) {
    case Op::literal:
        return node.value;
    case Op::field: {
        const json value = node.reader(candidate);
        if (value.is_number()) {
            const double x = value.get<double>();
            if (!std::isfinite(x)) {
                return std::nullopt;  // NaN is falsy in JS, and arithmetic on it fails: the interpreter decides
            }
            return number(x);
        }
        if (value.is_boolean()) {
            return boolean(value.get<bool>());
        }
        return std::nullopt;
    }
    case Op::less:
    case Op::less_equal:
    case Op::greater:
    case Op::greater_equal: {
        // JS relational comparison of numbers and booleans (ToNumber on both sides).
        double x[3] = {0, 0, 0};
        for (std::uint32_t i = 0; i < node.count; ++i) {
            const auto v = argument(i);
            if (!v) {
                return std::nullopt;
            }
            x[i] = to_number(*v);
        }
        switch (node.op) {
        case Op::less: return boolean(x[0] < x[1] && (node.count < 3 || x[1] < x[2]));
        case Op::less_equal: return boolean(x[0] <= x[1] && (node.count < 3 || x[1] <= x[2]));
        case Op::greater: return boolean(x[0] > x[1]);
        default: return boolean(x[0] >= x[1]);
        }
    }
    case Op::equal:
    case Op::not_equal:
    case Op::strict_equal:
    case Op::strict_not_equal: {
        const auto a = argument(0);
        const auto b = argument(1);
        if (!a || !b) {
            return std::nullopt;
        }
        bool same = false;
        if (node.op == Op::equal || node.op == Op::not_equal) {
            same = to_number(*a) == to_number(*b);  // loose: a boolean becomes 0 or 1
        } else {
            same = a->is_number == b->is_number && (a->is_number ? a->number == b->number : a->boolean == b->boolean);
        }
        return boolean((node.op == Op::equal || node.op == Op::strict_equal) ? same : !same);
    }
    case Op::plus: {
        double sum = 0;
        for (std::uint32_t i = 0; i < node.count; ++i) {
            const auto term = parsed(i);
            if (!term) {
                return std::nullopt;
            }
            sum += *term;
        }
        return finite(sum);
    }
    case Op::times: {
        if (node.count == 1) {
            return argument(0);  // returned unchanged, as Array.prototype.reduce does
        }
        double product = 1;
        for (std::uint32_t i = 0; i < node.count; ++i) {
            const auto factor = parsed(i);
            if (!factor) {
                return std::nullopt;
            }
            product = i == 0 ? *factor : product * *factor;
        }
        return finite(product);
    }
    case Op::minus:
    case Op::divide: {
        const auto a = argument(0);
        if (!a) {
            return std::nullopt;
        }
        if (node.count == 1) {
            return finite(-to_number(*a));
        }
        const auto b = argument(1);
        if (!b) {
            return std::nullopt;
        }
        return finite(node.op == Op::minus ? to_number(*a) - to_number(*b) : to_number(*a) / to_number(*b));
    }
    case Op::m_not:
    case Op::not_not: {
        const auto a = argument(0);
        if (!a) {
            return std::nullopt;
        }
        return boolean(node.op == Op::m_not ? !a->truthy() : a->truthy());
    }
    case Op::m_and:
    case Op::m_or: {
        // The first value that decides (falsy for and, truthy for or), else the last.
        std::optional<CompiledValue> current;
        for (std::uint32_t i = 0; i < node.count; ++i) {
            current = argument(i);
            if (!current) {
                return std::nullopt;
            }
            if (current->truthy() != (node.op == Op::m_and)) {
                return current;
            }
        }
        return current;
    }
    case Op::m_if: {
        std::uint32_t i = 0;
        for (; i + 1 < node.count; i += 2) {
            const auto condition = argument(i);
            if (!condition) {
                return std::nullopt;
            }
            if (condition->truthy()) {
                return argument(i + 1);
            }
        }
        if (node.count == i + 1) {
            return argument(i);
        }
        return std::nullopt;  // null: no branch taken
    }
    }
    return std::nullopt;
}

}  // namespace dsselect::detail
