// JSON Logic evaluator, faithful to json-logic-js 2.0.5 (see docs/jsonlogic.md and
// /work/shared/design/JSONLOGIC.md). JS values are modelled as `Value`: undefined, a reference
// to a node of the rule or the data (no copy), or an owned result. Numbers are JS doubles;
// results that are integral and fit int64 are stored as JSON integers.
#include "dsselect/rules/jsonlogic.hpp"

#include "dsselect/core/error.hpp"
#include "dsselect/core/text.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <ostream>
#include <span>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace dsselect::jsonlogic {
namespace {

using json = nlohmann::json;

std::atomic<std::ostream*> g_log_stream{nullptr};

[[noreturn]] void fail(std::string message, std::string hint = {}) {
    throw Error(ErrorKind::invalid_data, std::move(message), std::move(hint));
}

// User text for a one-line message: cut to at most its first 64 bytes, back to the start of a UTF-8
// sequence so that no character is split ("..." after a cut), then escaped by the one
// terminal-safe helper (controls, C1 and bytes of broken UTF-8 included).
std::string short_printable(std::string_view text) {
    constexpr std::size_t k_max_bytes = 64;
    if (text.size() <= k_max_bytes) {
        return printable(text);
    }
    std::size_t cut = k_max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0u) == 0x80u) {
        --cut;  // text[cut] continues a sequence: keep the whole character out
    }
    return printable(text.substr(0, cut)) + "...";
}

// ---------------------------------------------------------------------------------------------
// Text: UTF-8 <-> UTF-16 (JS strings are UTF-16; lengths and indices count code units)

bool is_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Decodes one code point at s[i], advancing i; invalid sequences give U+FFFD and advance 1 byte.
char32_t decode_utf8(std::string_view s, std::size_t& i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        ++i;
        return b0;
    }
    int extra = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((b0 & 0xe0) == 0xc0) {
        extra = 1;
        cp = b0 & 0x1f;
        min = 0x80;
    } else if ((b0 & 0xf0) == 0xe0) {
        extra = 2;
        cp = b0 & 0x0f;
        min = 0x800;
    } else if ((b0 & 0xf8) == 0xf0) {
        extra = 3;
        cp = b0 & 0x07;
        min = 0x10000;
    } else {
        ++i;
        return 0xfffd;
    }
    if (i + static_cast<std::size_t>(extra) >= s.size()) {
        ++i;
        return 0xfffd;
    }
    for (int k = 1; k <= extra; ++k) {
        const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
        if ((b & 0xc0) != 0x80) {
            ++i;
            return 0xfffd;
        }
        cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        ++i;
        return 0xfffd;
    }
    i += static_cast<std::size_t>(extra) + 1;
    return cp;
}

std::u16string to_utf16(std::string_view s) {
    std::u16string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const char32_t cp = decode_utf8(s, i);
        if (cp >= 0x10000) {
            const char32_t v = cp - 0x10000;
            out += static_cast<char16_t>(0xd800 + (v >> 10));
            out += static_cast<char16_t>(0xdc00 + (v & 0x3ff));
        } else {
            out += static_cast<char16_t>(cp);
        }
    }
    return out;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

// Lone surrogates (a slice through a pair) become U+FFFD so that the result stays valid UTF-8.
std::string from_utf16(std::u16string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char16_t u = s[i];
        if (u >= 0xd800 && u <= 0xdbff && i + 1 < s.size() && s[i + 1] >= 0xdc00 && s[i + 1] <= 0xdfff) {
            const char32_t high = static_cast<char32_t>(u) - 0xd800;
            const char32_t low = static_cast<char32_t>(s[i + 1]) - 0xdc00;
            append_utf8(out, 0x10000 + (high << 10) + low);
            ++i;
        } else if (u >= 0xd800 && u <= 0xdfff) {
            append_utf8(out, 0xfffd);
        } else {
            append_utf8(out, u);
        }
    }
    return out;
}

std::size_t utf16_length(std::string_view s) {
    if (is_ascii(s)) {
        return s.size();
    }
    std::size_t n = 0;
    std::size_t i = 0;
    while (i < s.size()) {
        n += decode_utf8(s, i) >= 0x10000 ? 2 : 1;
    }
    return n;
}

// String.prototype.slice-style [begin, end) in UTF-16 code units, both already clamped.
std::string utf16_slice(std::string_view s, std::size_t begin, std::size_t end) {
    if (is_ascii(s)) {
        return std::string(s.substr(begin, end - begin));
    }
    const std::u16string units = to_utf16(s);
    return from_utf16(std::u16string_view(units).substr(begin, end - begin));
}

// JS `a < b` on strings: code-unit order.
bool utf16_less(std::string_view a, std::string_view b) {
    if (is_ascii(a) && is_ascii(b)) {
        return a < b;
    }
    return to_utf16(a) < to_utf16(b);
}

// JS WhiteSpace and LineTerminator code points (what String.prototype.trim removes).
bool is_js_space(char32_t cp) {
    switch (cp) {
    case 0x09: case 0x0a: case 0x0b: case 0x0c: case 0x0d: case 0x20: case 0xa0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202f: case 0x205f: case 0x3000: case 0xfeff:
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200a;
    }
}

std::string_view trim_start(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t next = i;
        if (!is_js_space(decode_utf8(s, next))) {
            break;
        }
        i = next;
    }
    return s.substr(i);
}

std::string_view trim(std::string_view s) {
    s = trim_start(s);
    // Scan forward, remembering where the last non-space code point ended.
    std::size_t end = 0;
    std::size_t i = 0;
    while (i < s.size()) {
        const char32_t cp = decode_utf8(s, i);
        if (!is_js_space(cp)) {
            end = i;
        }
    }
    return s.substr(0, end);
}

// ---------------------------------------------------------------------------------------------
// Numbers: JS ToNumber(string), parseFloat and Number.prototype.toString

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Length of the longest prefix of `s` that is a StrUnsignedDecimalLiteral without "Infinity"
// (digits [. digits] [e [+-] digits] or . digits [e ...]); 0 if none.
std::size_t scan_decimal(std::string_view s) {
    std::size_t i = 0;
    std::size_t digits = 0;
    while (i < s.size() && is_digit(s[i])) {
        ++i;
        ++digits;
    }
    if (i < s.size() && s[i] == '.') {
        std::size_t j = i + 1;
        while (j < s.size() && is_digit(s[j])) {
            ++j;
            ++digits;
        }
        if (digits == 0) {
            return 0;
        }
        i = j;
    }
    if (digits == 0) {
        return 0;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        std::size_t j = i + 1;
        if (j < s.size() && (s[j] == '+' || s[j] == '-')) {
            ++j;
        }
        const std::size_t exponent_start = j;
        while (j < s.size() && is_digit(s[j])) {
            ++j;
        }
        if (j > exponent_start) {
            i = j;
        }
    }
    return i;
}

// Converts a literal accepted by scan_decimal; out-of-range values become Infinity or 0 as in JS.
double parse_decimal(std::string_view literal) {
    double value = 0;
    const auto result = std::from_chars(literal.data(), literal.data() + literal.size(), value);
    if (result.ec != std::errc::result_out_of_range) {
        return value;
    }
    // Decide overflow or underflow from the decimal exponent of the first non-zero digit.
    std::int64_t position = 0;  // power of ten of the first significant digit, before the exponent
    bool found = false;
    std::int64_t integer_digits = 0;
    std::size_t i = 0;
    for (; i < literal.size() && is_digit(literal[i]); ++i) {
        if (!found && literal[i] != '0') {
            found = true;
            integer_digits = 0;
        }
        if (found) {
            ++integer_digits;
        }
    }
    if (found) {
        position = integer_digits - 1;
    }
    if (i < literal.size() && literal[i] == '.') {
        ++i;
        std::int64_t index = 0;
        for (; i < literal.size() && is_digit(literal[i]); ++i) {
            ++index;
            if (!found && literal[i] != '0') {
                found = true;
                position = -index;
            }
        }
    }
    std::int64_t exponent = 0;
    if (i < literal.size() && (literal[i] == 'e' || literal[i] == 'E')) {
        ++i;
        bool negative = false;
        if (i < literal.size() && (literal[i] == '+' || literal[i] == '-')) {
            negative = literal[i] == '-';
            ++i;
        }
        for (; i < literal.size() && is_digit(literal[i]); ++i) {
            exponent = std::min<std::int64_t>(exponent * 10 + (literal[i] - '0'), 1'000'000'000);
        }
        if (negative) {
            exponent = -exponent;
        }
    }
    if (!found) {
        return 0;
    }
    return position + exponent > 0 ? std::numeric_limits<double>::infinity() : 0.0;
}

constexpr std::string_view k_infinity = "Infinity";
constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

// JS StringToNumber: trimmed; "" -> 0; 0x/0o/0b integers; [+-] decimal or Infinity; else NaN.
double string_to_number(std::string_view text) {
    const std::string_view s = trim(text);
    if (s.empty()) {
        return 0;
    }
    if (s.size() > 2 && s[0] == '0') {
        int radix = 0;
        switch (s[1]) {
        case 'x': case 'X': radix = 16; break;
        case 'o': case 'O': radix = 8; break;
        case 'b': case 'B': radix = 2; break;
        default: break;
        }
        if (radix != 0) {
            double value = 0;
            for (const char c : s.substr(2)) {
                int digit = radix;
                if (is_digit(c)) {
                    digit = c - '0';
                } else if (c >= 'a' && c <= 'f') {
                    digit = c - 'a' + 10;
                } else if (c >= 'A' && c <= 'F') {
                    digit = c - 'A' + 10;
                }
                if (digit >= radix) {
                    return k_nan;
                }
                value = value * radix + digit;
            }
            return value;
        }
    }
    std::string_view rest = s;
    double sign = 1;
    if (rest[0] == '+' || rest[0] == '-') {
        sign = rest[0] == '-' ? -1 : 1;
        rest.remove_prefix(1);
    }
    if (rest == k_infinity) {
        return sign * std::numeric_limits<double>::infinity();
    }
    const std::size_t length = scan_decimal(rest);
    if (length == 0 || length != rest.size()) {
        return k_nan;
    }
    return sign * parse_decimal(rest);
}

// JS parseFloat on a string: the longest decimal prefix after leading white space.
double parse_float_prefix(std::string_view text) {
    std::string_view rest = trim_start(text);
    double sign = 1;
    if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
        sign = rest[0] == '-' ? -1 : 1;
        rest.remove_prefix(1);
    }
    if (rest.starts_with(k_infinity)) {
        return sign * std::numeric_limits<double>::infinity();
    }
    const std::size_t length = scan_decimal(rest);
    if (length == 0) {
        return k_nan;
    }
    return sign * parse_decimal(rest.substr(0, length));
}

// JS Number::toString(10): shortest round-trip digits, exponent form outside [1e-7, 1e21).
std::string js_number_string(double x) {
    if (std::isnan(x)) {
        return "NaN";
    }
    if (x == 0) {
        return "0";
    }
    if (std::isinf(x)) {
        return x < 0 ? "-Infinity" : "Infinity";
    }
    std::string out;
    if (x < 0) {
        out += '-';
        x = -x;
    }
    std::array<char, 64> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), x, std::chars_format::scientific);
    const std::string_view text(buffer.data(), static_cast<std::size_t>(result.ptr - buffer.data()));
    const std::size_t e = text.find('e');
    std::string digits;
    for (const char c : text.substr(0, e)) {
        if (c != '.') {
            digits += c;
        }
    }
    std::string_view exponent_text = text.substr(e + 1);
    bool negative_exponent = false;
    if (!exponent_text.empty() && (exponent_text[0] == '+' || exponent_text[0] == '-')) {
        negative_exponent = exponent_text[0] == '-';
        exponent_text.remove_prefix(1);
    }
    int exponent = 0;
    std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(), exponent);
    if (negative_exponent) {
        exponent = -exponent;
    }
    const int k = static_cast<int>(digits.size());
    const int n = exponent + 1;
    if (k <= n && n <= 21) {
        out += digits;
        out.append(static_cast<std::size_t>(n - k), '0');
    } else if (0 < n && n <= 21) {
        out += digits.substr(0, static_cast<std::size_t>(n));
        out += '.';
        out += digits.substr(static_cast<std::size_t>(n));
    } else if (-6 < n && n <= 0) {
        out += "0.";
        out.append(static_cast<std::size_t>(-n), '0');
        out += digits;
    } else {
        out += digits[0];
        if (k > 1) {
            out += '.';
            out += digits.substr(1);
        }
        out += n - 1 < 0 ? "e-" : "e+";
        out += std::to_string(std::abs(n - 1));
    }
    return out;
}

// ToIntegerOrInfinity.
double to_integer(double x) {
    if (std::isnan(x)) {
        return 0;
    }
    return std::trunc(x);
}

// A canonical array index ("0", "12"; not "01", "-1", "1.0").
std::optional<std::size_t> array_index(std::string_view segment) {
    if (segment.empty() || segment.size() > 10 || (segment.size() > 1 && segment[0] == '0')) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (const char c : segment) {
        if (!is_digit(c)) {
            return std::nullopt;
        }
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (value >= 4294967295ULL) {
        return std::nullopt;
    }
    return static_cast<std::size_t>(value);
}

// ---------------------------------------------------------------------------------------------
// Values

// A JS value: undefined, a reference to a node of the rule or the data, or an owned result.
// References stay valid for the whole evaluation (they point into the caller's rule and data,
// or into scoped arrays that outlive the scoped evaluation).
class Value {
public:
    Value() = default;  // undefined
    static Value ref(const json& node) {
        Value v;
        v.m_ref = &node;
        v.m_defined = true;
        return v;
    }
    static Value own(json node) {
        Value v;
        v.m_owned = std::move(node);
        v.m_defined = true;
        return v;
    }
    bool is_undefined() const { return !m_defined; }
    // The JSON value; null when undefined.
    const json& get() const { return m_ref != nullptr ? *m_ref : m_owned; }
    // Identity for JS `===` on arrays and objects: the referenced node, or nullptr for a value
    // built by an operator (a fresh object, identical to nothing else).
    const json* identity() const { return m_ref; }
    json* owned() { return m_ref == nullptr ? &m_owned : nullptr; }

private:
    const json* m_ref = nullptr;
    json m_owned;
    bool m_defined = false;
};

const Value k_undefined{};

enum class Type { undefined, null, boolean, number, string, object };  // object: arrays too

Type type_of(const Value& v) {
    if (v.is_undefined()) {
        return Type::undefined;
    }
    switch (v.get().type()) {
    case json::value_t::null:
    case json::value_t::discarded:
        return Type::null;
    case json::value_t::boolean:
        return Type::boolean;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
        return Type::number;
    case json::value_t::string:
        return Type::string;
    case json::value_t::array:
    case json::value_t::object:
    case json::value_t::binary:
        return Type::object;
    }
    return Type::null;
}

bool truthy_json(const json& value) {
    switch (value.type()) {
    case json::value_t::boolean:
        return value.get<bool>();
    case json::value_t::number_integer:
        return value.get<std::int64_t>() != 0;
    case json::value_t::number_unsigned:
        return value.get<std::uint64_t>() != 0;
    case json::value_t::number_float: {
        const double x = value.get<double>();
        return x != 0 && !std::isnan(x);
    }
    case json::value_t::string:
        return !value.get_ref<const std::string&>().empty();
    case json::value_t::array:
        return !value.empty();
    case json::value_t::object:
    case json::value_t::binary:
        return true;
    case json::value_t::null:
    case json::value_t::discarded:
        return false;
    }
    return false;
}

bool truthy_value(const Value& v) { return !v.is_undefined() && truthy_json(v.get()); }

const Value& arg(std::span<Value> args, std::size_t i) { return i < args.size() ? args[i] : k_undefined; }

// Scope of `var`: the data, or inside reduce's logic the pair {current, accumulator}.
struct Scope {
    const json* data = nullptr;         // nullptr inside reduce's logic
    const json* current = nullptr;      // reduce: the element
    const json* accumulator = nullptr;  // reduce: the accumulator; nullptr when JS undefined
};

// Evaluated arguments: inline for the common small counts, heap beyond.
class ArgBuffer {
public:
    explicit ArgBuffer(std::size_t count) : m_count(count) {
        if (count > m_inline.size()) {
            m_heap.resize(count);
        }
    }
    std::span<Value> span() {
        return m_count > m_inline.size() ? std::span<Value>(m_heap) : std::span<Value>(m_inline.data(), m_count);
    }

private:
    std::array<Value, 4> m_inline;
    std::vector<Value> m_heap;
    std::size_t m_count;
};

// ---------------------------------------------------------------------------------------------
// The evaluator: limits, budget and the JS conversions that need them

class Evaluator;
using EagerFn = Value (*)(Evaluator&, std::span<Value>, const Scope&);
using LazyFn = Value (*)(Evaluator&, std::span<const json>, const Scope&);

constexpr int k_variadic = std::numeric_limits<int>::max();

// An operator: exactly one of `eager` (gets its arguments evaluated) and `lazy` (gets them raw
// and evaluates what it needs) is set, by construction.
struct OpSpec {
    constexpr OpSpec(std::string_view op_name, EagerFn fn, int min, int max)
        : name(op_name), eager(fn), min_args(min), max_args(max) {}
    constexpr OpSpec(std::string_view op_name, LazyFn fn, int min, int max)
        : name(op_name), lazy(fn), min_args(min), max_args(max) {}

    std::string_view name;
    EagerFn eager = nullptr;
    LazyFn lazy = nullptr;
    int min_args;  // arity, for check()
    int max_args;
};

const OpSpec* find_op(std::string_view name);

class Evaluator {
public:
    explicit Evaluator(const Limits& limits) : m_limits(limits) {}
    Evaluator(const Evaluator&) = delete;
    Evaluator& operator=(const Evaluator&) = delete;
    ~Evaluator() {
        if (m_limits.operations_used != nullptr) {
            *m_limits.operations_used = m_operations;
        }
    }

    Value eval(const json& rule, const Scope& scope);
    Value eval_arg(std::span<const json> raw, std::size_t i, const Scope& scope) {
        return i < raw.size() ? eval(raw[i], scope) : Value{};
    }

    void charge(std::int64_t operations) {
        m_operations += operations;
        if (m_operations > m_limits.max_operations) {
            fail(fmt::format("JSON Logic evaluation exceeded the budget of {} operations", m_limits.max_operations),
                 "simplify the rule or the data it iterates over");
        }
    }

    // Walks a value iteratively, charging per node, and throws if it is nested too deeply to
    // be copied or printed safely (nlohmann's copy and dump recurse).
    void check_value(const json& node) {
        if (!node.is_structured()) {
            if (node.is_string()) {
                charge(static_cast<std::int64_t>(node.get_ref<const std::string&>().size() / 16));
            }
            return;
        }
        std::vector<std::pair<const json*, int>> stack{{&node, 1}};
        while (!stack.empty()) {
            const auto [current, depth] = stack.back();
            stack.pop_back();
            if (depth > m_limits.max_depth) {
                fail(fmt::format("JSON Logic value nested deeper than {} levels", m_limits.max_depth));
            }
            charge(1);
            for (const auto& child : *current) {
                if (child.is_structured()) {
                    stack.emplace_back(&child, depth + 1);
                } else {
                    const std::size_t bytes = child.is_string() ? child.get_ref<const std::string&>().size() : 0;
                    charge(1 + static_cast<std::int64_t>(bytes / 16));
                }
            }
        }
    }

    json copy_of(const json& node) {
        check_value(node);
        return node;
    }

    // The JSON of a value, for storing in a result (undefined becomes null).
    json materialize(Value&& v) {
        if (json* owned = v.owned()) {
            return std::move(*owned);
        }
        return copy_of(v.get());
    }

    // JS String(v) appended to `out`.
    void append_string(std::string& out, const Value& v) {
        if (v.is_undefined()) {
            out += "undefined";
            return;
        }
        append_string(out, v.get(), m_limits.max_depth);
    }
    std::string to_string(const Value& v) {
        std::string out;
        append_string(out, v);
        return out;
    }

    double to_number(const Value& v) {
        switch (type_of(v)) {
        case Type::undefined: return k_nan;
        case Type::null: return 0;
        case Type::boolean: return v.get().get<bool>() ? 1 : 0;
        case Type::number: return v.get().get<double>();
        case Type::string: return string_to_number(v.get().get_ref<const std::string&>());
        case Type::object:
            if (v.get().is_array()) {
                return string_to_number(to_string(v));
            }
            return k_nan;  // "[object Object]"
        }
        return k_nan;
    }

    double parse_float(const Value& v) {
        switch (type_of(v)) {
        case Type::number: return v.get().get<double>();
        case Type::string: return parse_float_prefix(v.get().get_ref<const std::string&>());
        case Type::object:
            if (v.get().is_array()) {
                return parse_float_prefix(to_string(v));
            }
            return k_nan;
        case Type::undefined:
        case Type::null:
        case Type::boolean:
            return k_nan;  // "undefined", "null", "true", "false"
        }
        return k_nan;
    }

    const Limits& limits() const { return m_limits; }

    // `var` lookup of a dotted path; nullptr when undefined. `temp` holds values computed on
    // the way (string characters, lengths).
    const json* lookup(const Scope& scope, std::string_view path, json& temp);
    Value whole_data(const Scope& scope);

private:
    void append_string(std::string& out, const json& node, int depth_left) {
        switch (node.type()) {
        case json::value_t::null:
        case json::value_t::discarded:
            out += "null";
            return;
        case json::value_t::boolean:
            out += node.get<bool>() ? "true" : "false";
            return;
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float:
            out += js_number_string(node.get<double>());
            return;
        case json::value_t::string: {
            const auto& s = node.get_ref<const std::string&>();
            charge(static_cast<std::int64_t>(s.size() / 16));
            out += s;
            return;
        }
        case json::value_t::object:
        case json::value_t::binary:
            out += "[object Object]";
            return;
        case json::value_t::array: {
            // Array.prototype.join(","): null elements become "".
            if (depth_left <= 0) {
                fail(fmt::format("JSON Logic value nested deeper than {} levels", m_limits.max_depth));
            }
            bool first = true;
            for (const auto& element : node) {
                charge(1);
                if (!first) {
                    out += ',';
                }
                first = false;
                if (!element.is_null()) {
                    append_string(out, element, depth_left - 1);
                }
            }
            return;
        }
        }
    }

    Limits m_limits;
    int m_depth = 0;
    std::int64_t m_operations = 0;

    friend class DepthGuard;
};

class DepthGuard {
public:
    explicit DepthGuard(Evaluator& evaluator) : m_evaluator(evaluator) {
        if (m_evaluator.m_depth >= m_evaluator.m_limits.max_depth) {
            fail(fmt::format("JSON Logic rule nested deeper than {} levels", m_evaluator.m_limits.max_depth),
                 "flatten the rule");
        }
        ++m_evaluator.m_depth;
    }
    ~DepthGuard() { --m_evaluator.m_depth; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

private:
    Evaluator& m_evaluator;
};

const json* descend(const json* node, std::string_view segment, json& temp) {
    switch (node->type()) {
    case json::value_t::object: {
        const auto& object = node->get_ref<const json::object_t&>();
        const auto it = object.find(segment);
        return it == object.end() ? nullptr : &it->second;
    }
    case json::value_t::array: {
        if (segment == "length") {
            temp = json(static_cast<std::int64_t>(node->size()));
            return &temp;
        }
        const auto index = array_index(segment);
        if (!index || *index >= node->size()) {
            return nullptr;
        }
        return &(*node)[*index];
    }
    case json::value_t::string: {
        const std::string_view s = node->get_ref<const std::string&>();
        json next;
        if (segment == "length") {
            next = json(static_cast<std::int64_t>(utf16_length(s)));
        } else {
            const auto index = array_index(segment);
            if (!index || *index >= utf16_length(s)) {
                return nullptr;
            }
            next = json(utf16_slice(s, *index, *index + 1));
        }
        temp = std::move(next);  // `node` may be `temp`: read it completely first
        return &temp;
    }
    default:
        return nullptr;  // numbers and booleans have no data properties
    }
}

const json* Evaluator::lookup(const Scope& scope, std::string_view path, json& temp) {
    const json* node = scope.data;
    std::size_t start = 0;
    if (node == nullptr) {
        // Inside reduce: the data is {"current": ..., "accumulator": ...}.
        const std::size_t dot = path.find('.');
        const std::string_view first = path.substr(0, dot);
        if (first == "current") {
            node = scope.current;
        } else if (first == "accumulator") {
            node = scope.accumulator;
        } else {
            return nullptr;
        }
        if (node == nullptr) {
            return nullptr;  // an undefined accumulator
        }
        if (dot == std::string_view::npos) {
            return node;
        }
        start = dot + 1;
    }
    while (true) {
        const std::size_t dot = path.find('.', start);
        const std::size_t length = dot == std::string_view::npos ? std::string_view::npos : dot - start;
        const std::string_view segment = path.substr(start, length);
        if (node->is_null()) {
            return nullptr;
        }
        if (node->is_string()) {
            // An index or "length" into a string walks it (UTF-16 positions): charged by its
            // bytes, as every other string operation is ({"var":"s.3999999"} into 8 MB was one).
            charge(static_cast<std::int64_t>(node->get_ref<const std::string&>().size() / 16));
        }
        node = descend(node, segment, temp);
        if (node == nullptr || dot == std::string_view::npos) {
            return node;
        }
        start = dot + 1;
    }
}

Value Evaluator::whole_data(const Scope& scope) {
    if (scope.data != nullptr) {
        return Value::ref(*scope.data);
    }
    json frame = json::object();
    frame["current"] = copy_of(*scope.current);
    if (scope.accumulator != nullptr) {
        frame["accumulator"] = copy_of(*scope.accumulator);
    }
    return Value::own(std::move(frame));
}

// ---------------------------------------------------------------------------------------------
// JS comparisons

Value boolean(bool b) { return Value::own(json(b)); }

// Numeric result: an error when not finite (JSON has no Infinity/NaN); integral values that fit
// int64 are stored as integers so that {"+":[1,2]} dumps as 3.
Value number(double x, std::string_view op) {
    if (!std::isfinite(x)) {
        fail(fmt::format("non-finite result of '{}': JSON cannot represent Infinity or NaN", op),
             "guard the operands, e.g. test the divisor against 0 with 'if'");
    }
    if (x == std::trunc(x) && x >= -9223372036854775808.0 && x < 9223372036854775808.0) {
        return Value::own(json(static_cast<std::int64_t>(x)));
    }
    return Value::own(json(x));
}

bool strict_equal(const Value& a, const Value& b) {
    const Type ta = type_of(a);
    if (ta != type_of(b)) {
        return false;
    }
    switch (ta) {
    case Type::undefined:
    case Type::null:
        return true;
    case Type::boolean:
        return a.get().get<bool>() == b.get().get<bool>();
    case Type::number:
        return a.get().get<double>() == b.get().get<double>();
    case Type::string:
        return a.get().get_ref<const std::string&>() == b.get().get_ref<const std::string&>();
    case Type::object:
        return a.identity() != nullptr && a.identity() == b.identity();
    }
    return false;
}

// JS IsLooselyEqual (a == b).
bool loose_equal(Evaluator& ev, const Value& a, const Value& b) {
    Type ta = type_of(a);
    Type tb = type_of(b);
    if (ta == tb) {
        return strict_equal(a, b);
    }
    const auto nullish = [](Type t) { return t == Type::null || t == Type::undefined; };
    if (nullish(ta) || nullish(tb)) {
        return nullish(ta) && nullish(tb);
    }
    // Booleans become numbers; then number/string compare numerically, an object is
    // converted to its primitive (a string) and compared again.
    const auto primitive = [&](const Value& v, Type t) -> std::pair<Type, Value> {
        if (t == Type::boolean) {
            return {Type::number, Value::own(json(v.get().get<bool>() ? 1 : 0))};
        }
        if (t == Type::object) {
            return {Type::string, Value::own(json(ev.to_string(v)))};
        }
        return {t, Value::ref(v.get())};
    };
    auto [pa_type, pa] = primitive(a, ta);
    auto [pb_type, pb] = primitive(b, tb);
    if (pa_type == pb_type) {
        return strict_equal(pa, pb);
    }
    // One is a number, the other a string.
    return ev.to_number(pa) == ev.to_number(pb);
}

// JS IsLessThan(a, b): nullopt when undefined (a NaN was involved).
std::optional<bool> less_than(Evaluator& ev, const Value& a, const Value& b) {
    struct Primitive {
        bool is_string = false;
        std::string owned;
        std::string_view text;
        double number = 0;
    };
    const auto to_primitive = [&](const Value& v) {
        Primitive p;
        const Type t = type_of(v);
        if (t == Type::string) {
            p.is_string = true;
            p.text = v.get().get_ref<const std::string&>();
        } else if (t == Type::object) {
            p.is_string = true;
            p.owned = ev.to_string(v);
        } else {
            p.number = ev.to_number(v);
        }
        return p;
    };
    Primitive pa = to_primitive(a);
    Primitive pb = to_primitive(b);
    const auto text = [](const Primitive& p) { return p.owned.empty() ? p.text : std::string_view(p.owned); };
    if (pa.is_string && pb.is_string) {
        return utf16_less(text(pa), text(pb));
    }
    const double x = pa.is_string ? string_to_number(text(pa)) : pa.number;
    const double y = pb.is_string ? string_to_number(text(pb)) : pb.number;
    if (std::isnan(x) || std::isnan(y)) {
        return std::nullopt;
    }
    return x < y;
}

bool js_less(Evaluator& ev, const Value& a, const Value& b) { return less_than(ev, a, b).value_or(false); }
bool js_less_equal(Evaluator& ev, const Value& a, const Value& b) {
    const auto r = less_than(ev, b, a);
    return r.has_value() && !*r;
}

// ---------------------------------------------------------------------------------------------
// Operators with evaluated arguments

Value op_not(Evaluator&, std::span<Value> args, const Scope&) { return boolean(!truthy_value(arg(args, 0))); }
Value op_not_not(Evaluator&, std::span<Value> args, const Scope&) { return boolean(truthy_value(arg(args, 0))); }

Value op_equal(Evaluator& ev, std::span<Value> args, const Scope&) {
    return boolean(loose_equal(ev, arg(args, 0), arg(args, 1)));
}
Value op_not_equal(Evaluator& ev, std::span<Value> args, const Scope&) {
    return boolean(!loose_equal(ev, arg(args, 0), arg(args, 1)));
}
Value op_strict_equal(Evaluator&, std::span<Value> args, const Scope&) {
    return boolean(strict_equal(arg(args, 0), arg(args, 1)));
}
Value op_strict_not_equal(Evaluator&, std::span<Value> args, const Scope&) {
    return boolean(!strict_equal(arg(args, 0), arg(args, 1)));
}

Value op_greater(Evaluator& ev, std::span<Value> args, const Scope&) {
    return boolean(js_less(ev, arg(args, 1), arg(args, 0)));
}
Value op_greater_equal(Evaluator& ev, std::span<Value> args, const Scope&) {
    return boolean(js_less_equal(ev, arg(args, 1), arg(args, 0)));
}
// '<' and '<=' with a third argument test "between": a < b < c.
Value op_less(Evaluator& ev, std::span<Value> args, const Scope&) {
    if (arg(args, 2).is_undefined()) {
        return boolean(js_less(ev, arg(args, 0), arg(args, 1)));
    }
    return boolean(js_less(ev, arg(args, 0), arg(args, 1)) && js_less(ev, arg(args, 1), arg(args, 2)));
}
Value op_less_equal(Evaluator& ev, std::span<Value> args, const Scope&) {
    if (arg(args, 2).is_undefined()) {
        return boolean(js_less_equal(ev, arg(args, 0), arg(args, 1)));
    }
    return boolean(js_less_equal(ev, arg(args, 0), arg(args, 1)) && js_less_equal(ev, arg(args, 1), arg(args, 2)));
}

Value op_plus(Evaluator& ev, std::span<Value> args, const Scope&) {
    double sum = 0;
    for (const Value& v : args) {
        sum += ev.parse_float(v);
    }
    return number(sum, "+");
}

Value op_times(Evaluator& ev, std::span<Value> args, const Scope&) {
    // Array.prototype.reduce without an initial value: no argument is a TypeError in JS, one
    // argument is returned unchanged (not even parseFloat'ed).
    if (args.empty()) {
        fail("'*' needs at least one argument");
    }
    if (args.size() == 1) {
        return std::move(args[0]);
    }
    double product = ev.parse_float(args[0]);
    for (std::size_t i = 1; i < args.size(); ++i) {
        product *= ev.parse_float(args[i]);
    }
    return number(product, "*");
}

Value op_minus(Evaluator& ev, std::span<Value> args, const Scope&) {
    if (arg(args, 1).is_undefined()) {
        return number(-ev.to_number(arg(args, 0)), "-");
    }
    return number(ev.to_number(arg(args, 0)) - ev.to_number(arg(args, 1)), "-");
}

Value op_divide(Evaluator& ev, std::span<Value> args, const Scope&) {
    return number(ev.to_number(arg(args, 0)) / ev.to_number(arg(args, 1)), "/");
}

Value op_modulo(Evaluator& ev, std::span<Value> args, const Scope&) {
    // JS % is fmod: the result takes the sign of the dividend.
    return number(std::fmod(ev.to_number(arg(args, 0)), ev.to_number(arg(args, 1))), "%");
}

template <bool IsMax>
Value op_extremum(Evaluator& ev, std::span<Value> args, const Scope&) {
    constexpr std::string_view name = IsMax ? "max" : "min";
    if (args.empty()) {
        fail(fmt::format("'{}' needs at least one argument (JS would give {}Infinity, which JSON cannot represent)",
                         name, IsMax ? "-" : ""));
    }
    double best = IsMax ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    for (const Value& v : args) {
        const double x = ev.to_number(v);
        if (std::isnan(x)) {
            best = x;
            break;
        }
        best = IsMax ? std::max(best, x) : std::min(best, x);
    }
    return number(best, name);
}

// Whether `pattern` occurs in `text`, in O(|text| + |pattern|) (Knuth-Morris-Pratt).
bool contains_substring(std::string_view text, std::string_view pattern) {
    if (pattern.empty()) {
        return true;
    }
    if (pattern.size() > text.size()) {
        return false;
    }
    std::vector<std::size_t> border(pattern.size(), 0);
    for (std::size_t i = 1, k = 0; i < pattern.size(); ++i) {
        while (k > 0 && pattern[i] != pattern[k]) {
            k = border[k - 1];
        }
        if (pattern[i] == pattern[k]) {
            ++k;
        }
        border[i] = k;
    }
    for (std::size_t i = 0, k = 0; i < text.size(); ++i) {
        while (k > 0 && text[i] != pattern[k]) {
            k = border[k - 1];
        }
        if (text[i] == pattern[k]) {
            ++k;
        }
        if (k == pattern.size()) {
            return true;
        }
    }
    return false;
}

Value op_in(Evaluator& ev, std::span<Value> args, const Scope&) {
    const Value& needle = arg(args, 0);
    const Value& haystack = arg(args, 1);
    if (haystack.is_undefined()) {
        return boolean(false);
    }
    const json& h = haystack.get();
    if (h.is_array()) {
        // Array.prototype.indexOf: strict equality.
        for (const auto& element : h) {
            ev.charge(1);
            if (strict_equal(needle, Value::ref(element))) {
                return boolean(true);
            }
        }
        return boolean(false);
    }
    if (h.is_string()) {
        const auto& text = h.get_ref<const std::string&>();
        if (text.empty()) {
            return boolean(false);  // `!b`
        }
        const std::string pattern = ev.to_string(needle);
        // Charged by the bytes scanned; the search is linear (std::string::find is needle x
        // haystack in the worst case: a 1 MB needle in a 2 MB haystack took 26 s).
        ev.charge(1 + static_cast<std::int64_t>((text.size() + pattern.size()) / 16));
        return boolean(contains_substring(text, pattern));
    }
    return boolean(false);
}

Value op_cat(Evaluator& ev, std::span<Value> args, const Scope&) {
    // Array.prototype.join(""): null and undefined become "".
    std::string out;
    for (const Value& v : args) {
        ev.charge(1);
        if (!v.is_undefined() && !v.get().is_null()) {
            ev.append_string(out, v);
        }
    }
    return Value::own(json(std::move(out)));
}

Value op_substr(Evaluator& ev, std::span<Value> args, const Scope&) {
    const Value& source = arg(args, 0);
    std::string owned;
    std::string_view text;
    if (type_of(source) == Type::string) {
        text = source.get().get_ref<const std::string&>();
    } else {
        owned = ev.to_string(source);
        text = owned;
    }
    const double size = static_cast<double>(utf16_length(text));
    // String.prototype.substr(start, length) in UTF-16 code units.
    double start = to_integer(ev.to_number(arg(args, 1)));
    if (start < 0) {
        start = std::max(size + start, 0.0);
    }
    start = std::min(start, size);
    const Value& end = arg(args, 2);
    double length = size - start;
    if (type_of(end) == Type::number) {
        const double e = end.get().get<double>();
        // json-logic-js: a negative length stops that many characters before the end
        // (`temp.substr(0, temp.length + end)`).
        length = to_integer(e < 0 ? size - start + e : e);
    } else if (!end.is_undefined()) {
        if (js_less(ev, end, Value::own(json(0)))) {
            // `temp.length + end` is a string concatenation in JS, so the length is NaN -> 0.
            length = 0;
        } else {
            length = to_integer(ev.to_number(end));
        }
    }
    length = std::clamp(length, 0.0, size - start);
    const auto begin = static_cast<std::size_t>(start);
    return Value::own(json(utf16_slice(text, begin, begin + static_cast<std::size_t>(length))));
}

Value op_merge(Evaluator& ev, std::span<Value> args, const Scope&) {
    json out = json::array();
    auto& items = out.get_ref<json::array_t&>();
    for (Value& v : args) {
        if (!v.is_undefined() && v.get().is_array()) {
            if (json* owned = v.owned()) {
                for (auto& element : *owned) {
                    ev.charge(1);
                    items.push_back(std::move(element));
                }
            } else {
                for (const auto& element : v.get()) {
                    ev.charge(1);
                    items.push_back(ev.copy_of(element));
                }
            }
        } else {
            ev.charge(1);
            items.push_back(ev.materialize(std::move(v)));
        }
    }
    return Value::own(std::move(out));
}

Value op_log(Evaluator& ev, std::span<Value> args, const Scope&) {
    Value value = args.empty() ? Value{} : std::move(args[0]);
    if (std::ostream* stream = g_log_stream.load()) {
        if (value.is_undefined()) {
            *stream << "undefined\n";
        } else {
            ev.check_value(value.get());
            *stream << value.get().dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
        }
    }
    return value;
}

Value op_var(Evaluator& ev, std::span<Value> args, const Scope& scope) {
    const Value& path = arg(args, 0);
    const Type type = type_of(path);
    if (type == Type::undefined || type == Type::null ||
        (type == Type::string && path.get().get_ref<const std::string&>().empty())) {
        return ev.whole_data(scope);
    }
    std::string owned;
    std::string_view text;
    if (type == Type::string) {
        text = path.get().get_ref<const std::string&>();
    } else {
        owned = ev.to_string(path);
        text = owned;
    }
    json temp;
    const json* found = ev.lookup(scope, text, temp);
    if (found == nullptr) {
        if (args.size() > 1 && !args[1].is_undefined()) {
            return std::move(args[1]);
        }
        return Value::own(json(nullptr));
    }
    if (found == &temp) {
        return Value::own(std::move(temp));
    }
    return Value::ref(*found);
}

// `missing` keys: a key is missing when its `var` lookup is null or "".
bool is_missing(Evaluator& ev, const Scope& scope, const Value& key) {
    const Type type = type_of(key);
    if (type == Type::undefined || type == Type::null ||
        (type == Type::string && key.get().get_ref<const std::string&>().empty())) {
        const Value whole = ev.whole_data(scope);
        return whole.get().is_null() || (whole.get().is_string() && whole.get().get_ref<const std::string&>().empty());
    }
    std::string owned;
    std::string_view text;
    if (type == Type::string) {
        text = key.get().get_ref<const std::string&>();
    } else {
        owned = ev.to_string(key);
        text = owned;
    }
    json temp;
    const json* found = ev.lookup(scope, text, temp);
    return found == nullptr || found->is_null() || (found->is_string() && found->get_ref<const std::string&>().empty());
}

json missing_keys(Evaluator& ev, const Scope& scope, std::span<Value> args) {
    json out = json::array();
    const auto visit = [&](const Value& key) {
        ev.charge(1);
        if (is_missing(ev, scope, key)) {
            out.push_back(key.is_undefined() ? json(nullptr) : ev.copy_of(key.get()));
        }
    };
    if (!args.empty() && !args[0].is_undefined() && args[0].get().is_array()) {
        for (const auto& key : args[0].get()) {
            visit(Value::ref(key));
        }
    } else {
        for (const Value& key : args) {
            visit(key);
        }
    }
    return out;
}

Value op_missing(Evaluator& ev, std::span<Value> args, const Scope& scope) {
    return Value::own(missing_keys(ev, scope, args));
}

Value op_missing_some(Evaluator& ev, std::span<Value> args, const Scope& scope) {
    const Value& need = arg(args, 0);
    const Value& options = arg(args, 1);
    // json-logic-js: apply({"missing": options}): an array is the argument list of 'missing'.
    json keys;
    double length = k_nan;  // options.length
    if (type_of(options) == Type::object && options.get().is_array()) {
        std::vector<Value> list;
        list.reserve(options.get().size());
        for (const auto& key : options.get()) {
            list.push_back(Value::ref(key));
        }
        keys = missing_keys(ev, scope, list);
        length = static_cast<double>(options.get().size());
    } else {
        std::array<Value, 1> list{options.is_undefined() ? Value{} : Value::ref(options.get())};
        keys = missing_keys(ev, scope, list);
        if (type_of(options) == Type::string) {
            length = static_cast<double>(utf16_length(options.get().get_ref<const std::string&>()));
        }
    }
    // options.length - missing.length >= need_count
    if (!std::isnan(length) &&
        js_less_equal(ev, need, Value::own(json(length - static_cast<double>(keys.size()))))) {
        return Value::own(json::array());
    }
    return Value::own(std::move(keys));
}

// ---------------------------------------------------------------------------------------------
// Operators that evaluate their own arguments

Value op_if(Evaluator& ev, std::span<const json> raw, const Scope& scope) {
    std::size_t i = 0;
    for (; i + 1 < raw.size(); i += 2) {
        if (truthy_value(ev.eval(raw[i], scope))) {
            return ev.eval(raw[i + 1], scope);
        }
    }
    if (raw.size() == i + 1) {
        return ev.eval(raw[i], scope);
    }
    return Value::own(json(nullptr));
}

template <bool IsAnd>
Value op_and_or(Evaluator& ev, std::span<const json> raw, const Scope& scope) {
    Value current;
    for (const auto& item : raw) {
        current = ev.eval(item, scope);
        if (truthy_value(current) != IsAnd) {
            return current;
        }
    }
    return current;
}

Value op_map(Evaluator& ev, std::span<const json> raw, const Scope& scope) {
    const Value items = ev.eval_arg(raw, 0, scope);
    json out = json::array();
    if (items.is_undefined() || !items.get().is_array()) {
        return Value::own(std::move(out));
    }
    auto& results = out.get_ref<json::array_t&>();
    results.reserve(items.get().size());
    for (const auto& element : items.get()) {
        ev.charge(1);
        results.push_back(ev.materialize(ev.eval_arg(raw, 1, Scope{&element})));
    }
    return Value::own(std::move(out));
}

Value op_filter(Evaluator& ev, std::span<const json> raw, const Scope& scope) {
    Value items = ev.eval_arg(raw, 0, scope);
    json out = json::array();
    if (items.is_undefined() || !items.get().is_array()) {
        return Value::own(std::move(out));
    }
    json* owned = items.owned();
    const std::size_t count = items.get().size();
    for (std::size_t i = 0; i < count; ++i) {
        ev.charge(1);
        const json& element = items.get()[i];
        if (truthy_value(ev.eval_arg(raw, 1, Scope{&element}))) {
            out.push_back(owned != nullptr ? std::move((*owned)[i]) : ev.copy_of(element));
        }
    }
    return Value::own(std::move(out));
}

Value op_reduce(Evaluator& ev, std::span<const json> raw, const Scope& scope) {
    const Value items = ev.eval_arg(raw, 0, scope);
    Value initial = raw.size() > 2 ? ev.eval(raw[2], scope) : Value::own(json(nullptr));
    if (items.is_undefined() || !items.get().is_array()) {
        return initial;
    }
    // The accumulator can be JS undefined (e.g. the result of {"and":[]}): then 'accumulator'
    // is absent from the logic's data.
    bool accumulator_defined = !initial.is_undefined();
    json accumulator = ev.materialize(std::move(initial));
    for (const auto& element : items.get()) {
        ev.charge(1);
        Value result = ev.eval_arg(raw, 1, Scope{nullptr, &element, accumulator_defined ? &accumulator : nullptr});
        // The result may refer into the old accumulator: copy it out before replacing that.
        accumulator_defined = !result.is_undefined();
        json next = ev.materialize(std::move(result));
        accumulator = std::move(next);
    }
    return accumulator_defined ? Value::own(std::move(accumulator)) : Value{};
}

// all: false for an empty or non-array input.
Value op_all(Evaluator& ev, std::span<const json> raw, const Scope& scope) {
    const Value items = ev.eval_arg(raw, 0, scope);
    if (items.is_undefined() || !items.get().is_array() || items.get().empty()) {
        return boolean(false);
    }
    for (const auto& element : items.get()) {
        ev.charge(1);
        if (!truthy_value(ev.eval_arg(raw, 1, Scope{&element}))) {
            return boolean(false);
        }
    }
    return boolean(true);
}

// some/none: json-logic-js runs filter; any truthy element decides, so stop at the first.
template <bool IsSome>
Value op_some_none(Evaluator& ev, std::span<const json> raw, const Scope& scope) {
    const Value items = ev.eval_arg(raw, 0, scope);
    bool found = false;
    if (!items.is_undefined() && items.get().is_array()) {
        for (const auto& element : items.get()) {
            ev.charge(1);
            if (truthy_value(ev.eval_arg(raw, 1, Scope{&element}))) {
                found = true;
                break;
            }
        }
    }
    return boolean(IsSome ? found : !found);
}

// ---------------------------------------------------------------------------------------------
// The operator table: sorted by name (checked at compile time) for binary search.

constexpr std::array<OpSpec, 35> k_ops{{
    {"!", op_not, 1, 1},
    {"!!", op_not_not, 1, 1},
    {"!=", op_not_equal, 2, 2},
    {"!==", op_strict_not_equal, 2, 2},
    {"%", op_modulo, 2, 2},
    {"*", op_times, 1, k_variadic},
    {"+", op_plus, 0, k_variadic},
    {"-", op_minus, 1, 2},
    {"/", op_divide, 2, 2},
    {"<", op_less, 2, 3},
    {"<=", op_less_equal, 2, 3},
    {"==", op_equal, 2, 2},
    {"===", op_strict_equal, 2, 2},
    {">", op_greater, 2, 2},
    {">=", op_greater_equal, 2, 2},
    {"?:", op_if, 0, k_variadic},
    {"all", op_all, 2, 2},
    {"and", op_and_or<true>, 1, k_variadic},
    {"cat", op_cat, 0, k_variadic},
    {"filter", op_filter, 2, 2},
    {"if", op_if, 0, k_variadic},
    {"in", op_in, 2, 2},
    {"log", op_log, 1, 1},
    {"map", op_map, 2, 2},
    {"max", op_extremum<true>, 1, k_variadic},
    {"merge", op_merge, 0, k_variadic},
    {"min", op_extremum<false>, 1, k_variadic},
    {"missing", op_missing, 0, k_variadic},
    {"missing_some", op_missing_some, 2, 2},
    {"none", op_some_none<false>, 2, 2},
    {"or", op_and_or<false>, 1, k_variadic},
    {"reduce", op_reduce, 2, 3},
    {"some", op_some_none<true>, 2, 2},
    {"substr", op_substr, 1, 3},
    {"var", op_var, 0, 2},
}};

static_assert(std::is_sorted(k_ops.begin(), k_ops.end(),
                             [](const OpSpec& a, const OpSpec& b) { return a.name < b.name; }),
              "k_ops must stay sorted by name");

// For each first byte, the range of k_ops whose names start with it: a lookup is one table
// access and a scan of at most six names, compared by length first.
struct OpRange {
    std::uint8_t begin = 0;
    std::uint8_t end = 0;
};
constexpr std::array<OpRange, 256> k_op_ranges = [] {
    std::array<OpRange, 256> ranges{};
    for (std::size_t i = 0; i < k_ops.size(); ++i) {
        auto& range = ranges[static_cast<unsigned char>(k_ops[i].name[0])];
        if (range.begin == range.end) {
            range.begin = static_cast<std::uint8_t>(i);
        }
        range.end = static_cast<std::uint8_t>(i + 1);
    }
    return ranges;
}();

const OpSpec* find_op(std::string_view name) {
    if (name.empty()) {
        return nullptr;
    }
    const OpRange range = k_op_ranges[static_cast<unsigned char>(name[0])];
    for (std::size_t i = range.begin; i < range.end; ++i) {
        if (k_ops[i].name.size() == name.size() && k_ops[i].name == name) {
            return &k_ops[i];
        }
    }
    return nullptr;
}

// "; did you mean 'x'?" or "": a case-insensitive match first, then the closest operator of
// the same kind (words for words, symbols for symbols: 'k' should not suggest '!').
std::string suggest_operator(const std::string& name) {
    if (name.empty() || name.size() > 64) {
        return {};
    }
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    if (lower != name && find_op(lower) != nullptr) {
        return "; did you mean '" + lower + "'?";
    }
    const auto is_word = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
    std::vector<std::string_view> candidates;
    for (const auto& op : k_ops) {
        if (is_word(op.name[0]) == is_word(name[0])) {
            candidates.push_back(op.name);
        }
    }
    // On a tie the first candidate wins: try those with the same first character first.
    std::stable_partition(candidates.begin(), candidates.end(),
                          [&](std::string_view candidate) { return candidate[0] == name[0]; });
    return did_you_mean(name, candidates);
}

[[noreturn]] void unknown_operator(const std::string& name) {
    fail(fmt::format("unknown JSON Logic operator '{}'{}", short_printable(name), suggest_operator(name)),
         "see docs/jsonlogic.md for the supported operators");
}

Value Evaluator::eval(const json& rule, const Scope& scope) {
    switch (rule.type()) {
    case json::value_t::array: {
        // An array is mapped element-wise.
        DepthGuard guard(*this);
        const auto& items = rule.get_ref<const json::array_t&>();
        charge(1 + static_cast<std::int64_t>(items.size()));
        // An array of scalars evaluates to an equal array: refer to it instead of copying.
        // (JS would build a fresh array; identity is unobservable, as no other node is it.)
        if (std::none_of(items.begin(), items.end(), [](const json& item) { return item.is_structured(); })) {
            return Value::ref(rule);
        }
        json out = json::array();
        auto& results = out.get_ref<json::array_t&>();
        results.reserve(items.size());
        for (const auto& item : items) {
            results.push_back(materialize(eval(item, scope)));
        }
        return Value::own(std::move(out));
    }
    case json::value_t::object: {
        // Logic is an object with exactly one key; other objects are passed through.
        const auto& object = rule.get_ref<const json::object_t&>();
        if (object.size() != 1) {
            return Value::ref(rule);
        }
        const auto& [name, values] = *object.begin();
        const OpSpec* op = find_op(name);
        if (op == nullptr) {
            unknown_operator(name);
        }
        DepthGuard guard(*this);
        charge(1);
        // A non-array argument is wrapped: {"var":"a"} is {"var":["a"]}.
        const std::span<const json> raw = values.is_array()
                                              ? std::span<const json>(values.get_ref<const json::array_t&>())
                                              : std::span<const json>(&values, 1);
        if (op->lazy != nullptr) {
            return op->lazy(*this, raw, scope);
        }
        ArgBuffer buffer(raw.size());
        const std::span<Value> args = buffer.span();
        for (std::size_t i = 0; i < raw.size(); ++i) {
            args[i] = eval(raw[i], scope);
        }
        return op->eager(*this, args, scope);
    }
    default:
        return Value::ref(rule);
    }
}

// ---------------------------------------------------------------------------------------------
// check()

enum class PathScope { data, element, reduce };

std::string pointer_token(std::string_view key) {
    std::string out;
    for (const char c : key) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
    return out;
}

std::string describe_arity(int min_args, int max_args) {
    const auto plural = [](int n) { return n == 1 ? "argument" : "arguments"; };
    if (min_args == max_args) {
        return fmt::format("exactly {} {}", min_args, plural(min_args));
    }
    if (max_args == k_variadic) {
        return fmt::format("at least {} {}", min_args, plural(min_args));
    }
    return fmt::format("{} to {} arguments", min_args, max_args);
}

class Checker {
public:
    explicit Checker(const std::function<bool(const std::string&)>& known_path) : m_known_path(known_path) {}

    void walk(const json& node, PathScope scope, int depth) {
        if (depth > m_max_depth) {
            add(fmt::format("rule nested deeper than {} levels; not checked further", m_max_depth));
            return;
        }
        if (node.is_array()) {
            for (std::size_t i = 0; i < node.size(); ++i) {
                const std::size_t base = push(std::to_string(i));
                walk(node[i], scope, depth + 1);
                m_pointer.resize(base);
            }
            return;
        }
        if (!node.is_object() || node.size() != 1) {
            return;  // literal
        }
        const auto& [name, values] = *node.get_ref<const json::object_t&>().begin();
        const std::size_t base = push(pointer_token(name));
        const OpSpec* op = find_op(name);
        const std::size_t count = values.is_array() ? values.size() : 1;
        if (op == nullptr) {
            add(fmt::format("unknown JSON Logic operator '{}'{}", short_printable(name), suggest_operator(name)));
        } else if (count < static_cast<std::size_t>(op->min_args) || count > static_cast<std::size_t>(op->max_args)) {
            add(fmt::format("'{}' takes {}, got {}", op->name, describe_arity(op->min_args, op->max_args), count));
        }
        const std::string_view op_name = op != nullptr ? op->name : std::string_view{};
        for (std::size_t i = 0; i < count; ++i) {
            const json& argument = values.is_array() ? values[i] : values;
            const std::size_t arg_base = values.is_array() ? push(std::to_string(i)) : m_pointer.size();
            PathScope child_scope = scope;
            if (i == 1 && (op_name == "map" || op_name == "filter" || op_name == "all" || op_name == "none" ||
                           op_name == "some")) {
                child_scope = PathScope::element;
            } else if (i == 1 && op_name == "reduce") {
                child_scope = PathScope::reduce;
            }
            if ((op_name == "var" && i == 0) || op_name == "missing") {
                check_path(argument, scope);
            }
            if ((op_name == "missing" && i == 0) || (op_name == "missing_some" && i == 1)) {
                if (argument.is_array()) {
                    for (std::size_t j = 0; j < argument.size(); ++j) {
                        const std::size_t key_base = push(std::to_string(j));
                        check_path(argument[j], scope);
                        m_pointer.resize(key_base);
                    }
                }
            }
            walk(argument, child_scope, depth + 1);
            m_pointer.resize(arg_base);
        }
        m_pointer.resize(base);
    }

    std::vector<Issue> take() { return std::move(m_issues); }

private:
    std::size_t push(const std::string& token) {
        const std::size_t base = m_pointer.size();
        m_pointer += '/';
        m_pointer += token;
        return base;
    }
    void add(std::string message) { m_issues.push_back(Issue{m_pointer, std::move(message)}); }

    void check_path(const json& path, PathScope scope) {
        if (!path.is_string() || path.get_ref<const std::string&>().empty()) {
            return;
        }
        const auto& text = path.get_ref<const std::string&>();
        switch (scope) {
        case PathScope::data:
            if (m_known_path && !m_known_path(text)) {
                add(fmt::format("unknown data path '{}'", short_printable(text)));
            }
            return;
        case PathScope::element:
            return;  // relative to an element of the iterated array: unknown here
        case PathScope::reduce: {
            const std::string_view first = std::string_view(text).substr(0, text.find('.'));
            if (first != "current" && first != "accumulator") {
                add(fmt::format("inside 'reduce' only 'current' and 'accumulator' are defined, not '{}'",
                                short_printable(text)));
            }
            return;
        }
        }
    }

    const std::function<bool(const std::string&)>& m_known_path;
    int m_max_depth = Limits{}.max_depth;
    std::string m_pointer;
    std::vector<Issue> m_issues;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public interface

nlohmann::json apply(const nlohmann::json& rule, const nlohmann::json& data, const Limits& limits) {
    Evaluator evaluator(limits);
    return evaluator.materialize(evaluator.eval(rule, Scope{&data}));
}

bool apply_truthy(const nlohmann::json& rule, const nlohmann::json& data, const Limits& limits) {
    Evaluator evaluator(limits);
    return truthy_value(evaluator.eval(rule, Scope{&data}));
}

bool truthy(const nlohmann::json& value) { return truthy_json(value); }

void set_log_stream(std::ostream* stream) { g_log_stream.store(stream); }

std::vector<Issue> check(const nlohmann::json& rule, const std::function<bool(const std::string&)>& known_path) {
    Checker checker(known_path);
    checker.walk(rule, PathScope::data, 0);
    return checker.take();
}

const std::vector<std::string>& operator_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        out.reserve(k_ops.size());
        for (const auto& op : k_ops) {
            out.emplace_back(op.name);
        }
        return out;
    }();
    return names;
}

}  // namespace dsselect::jsonlogic
