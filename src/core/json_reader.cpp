#include "core/json_reader.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "dsselect/core/error.hpp"
#include "dsselect/core/text.hpp"

namespace dsselect::detail {

void Problems::add(const std::string& pointer, const std::string& message) {
    // One line whatever the document holds: a value quoted in the message ("got \"...\""), a key
    // in the pointer or the file's own name may carry control characters.
    if (m_list.size() < k_max_listed) {
        m_list.push_back(printable(fmt::format("{}: {}: {}", m_file, pointer.empty() ? "/" : pointer, message)));
    } else if (m_list.size() == k_max_listed) {
        m_list.push_back(printable(fmt::format("{}: /: more than {} problems; the rest are not listed", m_file, k_max_listed)));
    }
}

std::string escape_pointer_token(const std::string& token) {
    std::string escaped;
    for (char c : token) {
        if (c == '~') {
            escaped += "~0";
        } else if (c == '/') {
            escaped += "~1";
        } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            // Messages stay on one line: control characters are shown escaped.
            escaped += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        } else {
            escaped += c;
        }
    }
    return escaped;
}

namespace {
constexpr int k_max_depth = 256;  // JSON nesting accepted in any input document

// One open object or array of the structure pass: the key or element index it is at (for the
// pointer of a problem) and where its keys start in the pass's one key list.
struct OpenValue {
    bool object = false;
    std::int64_t index = 0;
    std::string_view key;
    std::size_t keys_begin = 0;
};

std::string pointer_of(const std::vector<OpenValue>& open) {
    std::string pointer;
    for (std::size_t i = 0; i + 1 < open.size(); ++i) {
        const OpenValue& parent = open[i];
        pointer += "/" + (parent.object ? escape_pointer_token(std::string(parent.key)) : std::to_string(parent.index));
    }
    return pointer;
}

// What the structure pass found: the nesting was too deep (then nothing else is known), or the
// first key repeated in one object (its object's pointer and the key), reported only once the
// parser has accepted the text, since on text that is not JSON the pass cannot tell keys apart.
struct Structure {
    bool too_deep = false;
    std::optional<std::pair<std::string, std::string>> repeated_key;
};

// A key as the parser reads it: the text between the quotes, its escapes decoded where it has
// any (kept in `decoded`, whose elements do not move). An escape the parser would refuse leaves
// it as written: the text is then refused anyway.
std::string_view decoded_key(std::string_view raw, std::deque<std::string>& decoded) {
    if (raw.find('\\') == std::string_view::npos) {
        return raw;
    }
    try {
        decoded.push_back(json::parse("\"" + std::string(raw) + "\"").get<std::string>());
        return decoded.back();
    } catch (const json::exception&) {
        return raw;
    }
}

// One linear pass over the text outside strings: nesting depth and keys repeated in one object.
// The text need not be valid JSON.
Structure scan_structure(std::string_view view) {
    Structure found;
    std::vector<OpenValue> open;
    // The open objects' keys, innermost last, each with its place in the text.
    std::vector<std::pair<std::string_view, std::size_t>> keys;
    std::deque<std::string> decoded;
    std::size_t repeat_at = std::numeric_limits<std::size_t>::max();  // the first repeat's place
    std::string_view last_string;
    for (std::size_t at = 0; at < view.size(); ++at) {
        const char c = view[at];
        if (c == '"') {
            // Skip to the closing quote: the content is scanned for quotes and backslashes only.
            const std::size_t start = at + 1;
            std::size_t end = start;
            while ((end = view.find_first_of("\"\\", end)) != std::string_view::npos && view[end] == '\\') {
                end += 2;
            }
            if (end == std::string_view::npos) {
                break;  // unterminated: the parser names it
            }
            last_string = view.substr(start, end - start);
            at = end;
        } else if (c == '[' || c == '{') {
            if (open.size() >= static_cast<std::size_t>(k_max_depth)) {
                found.too_deep = true;
                return found;
            }
            open.push_back(OpenValue{c == '{', 0, {}, keys.size()});
        } else if (c == ':' && !open.empty() && open.back().object) {
            open.back().key = decoded_key(last_string, decoded);
            keys.emplace_back(open.back().key, at);
        } else if (c == ',' && !open.empty() && !open.back().object) {
            ++open.back().index;
        } else if ((c == ']' || c == '}') && !open.empty()) {  // unbalanced: the parser names it
            const auto begin = keys.begin() + static_cast<std::ptrdiff_t>(open.back().keys_begin);
            std::sort(begin, keys.end());  // by key, then by place
            for (auto it = begin; it != keys.end() && std::next(it) != keys.end(); ++it) {
                const auto& second = *std::next(it);
                if (it->first == second.first && second.second < repeat_at) {
                    repeat_at = second.second;
                    found.repeated_key.emplace(pointer_of(open), std::string(second.first));
                }
            }
            keys.erase(begin, keys.end());
            open.pop_back();
        }
    }
    return found;
}
}  // namespace

// The one escaping helper (core/text.hpp): controls as \u00XX, ill-formed UTF-8 as \xNN.
std::string printable(const std::string& text) { return dsselect::printable(text); }

std::string describe(const json& value) {
    std::string text = value.dump(-1, ' ', true, json::error_handler_t::replace);
    constexpr std::size_t k_max_chars = 60;
    if (text.size() > k_max_chars) {
        text = text.substr(0, k_max_chars) + "...";
    }
    return text;
}

std::optional<json> parse_document(const std::string& text, Problems& problems) {
    std::string_view view = text;
    // A UTF-8 byte order mark is tolerated: editors on some systems add one.
    if (view.size() >= 3 && view.substr(0, 3) == "\xEF\xBB\xBF") {
        view.remove_prefix(3);
    }
    if (auto nul = view.find('\0'); nul != std::string_view::npos) {
        const auto before = view.substr(0, nul);
        const auto line = 1 + std::count(before.begin(), before.end(), '\n');
        const auto line_start = before.rfind('\n');
        const auto column = nul - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1;
        problems.add("", fmt::format("malformed JSON: unexpected NUL byte at line {}, column {}", line, column));
        return std::nullopt;
    }
    // Nesting is bounded before any recursive copy or print can overflow the stack, and a key
    // repeated in one object (which the parser would resolve silently, the last one winning) is
    // refused once the text is known to be JSON: one linear pass over the text outside strings
    // (a parser callback would make parsing quadratic).
    const Structure structure = scan_structure(view);
    if (structure.too_deep) {
        problems.add("", fmt::format("JSON nested deeper than {} levels", k_max_depth));
        return std::nullopt;
    }
    try {
        json document = json::parse(view.begin(), view.end());
        if (structure.repeated_key) {
            problems.add(structure.repeated_key->first,
                         fmt::format("key '{}' appears twice in one object; JSON keeps only one of them, so remove "
                                     "the other",
                                     structure.repeated_key->second));
            return std::nullopt;
        }
        return document;
    } catch (const json::parse_error& error) {
        std::string message = error.what();
        // Drop nlohmann's "[json.exception.parse_error.101] " prefix.
        if (auto bracket = message.find("] "); bracket != std::string::npos) {
            message = message.substr(bracket + 2);
        }
        problems.add("", "malformed JSON: " + printable(message));
        return std::nullopt;
    } catch (const json::exception& error) {
        // e.g. "number overflow parsing '1e400'": numbers must be finite doubles.
        std::string message = error.what();
        if (auto bracket = message.find("] "); bracket != std::string::npos) {
            message = message.substr(bracket + 2);
        }
        problems.add("", "invalid JSON: " + printable(message));
        return std::nullopt;
    }
}

ObjectReader::ObjectReader(const json& value, std::string pointer, Problems& problems)
    : m_value(value), m_pointer(std::move(pointer)), m_problems(problems) {
    if (!m_value.is_object()) {
        m_problems.add(m_pointer, "expected an object, got " + describe(m_value));
    }
}

const json* ObjectReader::member(const std::string& key, Presence presence) {
    m_known.insert(key);
    if (!m_value.is_object()) {
        return nullptr;
    }
    auto found = m_value.find(key);
    if (found == m_value.end()) {
        if (presence == Presence::required) {
            m_problems.add(m_pointer, fmt::format("missing required field '{}'", key));
        }
        return nullptr;
    }
    return &*found;
}

namespace {
const char* rule_text(NumberRule rule) {
    switch (rule) {
    case NumberRule::any_finite: return "a finite number";
    case NumberRule::positive: return "a positive number";
    case NumberRule::non_negative: return "a non-negative number";
    case NumberRule::fraction: return "a number between 0 and 1";
    case NumberRule::positive_fraction: return "a number greater than 0 and at most 1";
    }
    return "a number";
}

bool satisfies(double value, NumberRule rule) {
    if (!std::isfinite(value)) {
        return false;
    }
    switch (rule) {
    case NumberRule::any_finite: return true;
    case NumberRule::positive: return value > 0.0;
    case NumberRule::non_negative: return value >= 0.0;
    case NumberRule::fraction: return value >= 0.0 && value <= 1.0;
    case NumberRule::positive_fraction: return value > 0.0 && value <= 1.0;
    }
    return false;
}
}  // namespace

std::optional<double> ObjectReader::number(const std::string& key, NumberRule rule, Presence presence) {
    const json* value = member(key, presence);
    if (value == nullptr) {
        return std::nullopt;
    }
    if (!value->is_number() || !satisfies(value->get<double>(), rule)) {
        m_problems.add(child(key), fmt::format("expected {}, got {}", rule_text(rule), describe(*value)));
        return std::nullopt;
    }
    // A positive figure below 0.001 (1e-300 GB/s, 1e-9 W) is no physical quantity of ours, and
    // dividing by it overflows every time estimate to infinity.
    constexpr double k_smallest_positive = 1e-3;
    if (rule == NumberRule::positive && value->get<double>() < k_smallest_positive) {
        m_problems.add(child(key), fmt::format("expected a positive number of at least 0.001, got {}", describe(*value)));
        return std::nullopt;
    }
    return value->get<double>();
}

std::optional<std::int64_t> ObjectReader::integer(const std::string& key, std::int64_t minimum,
                                                  Presence presence) {
    const json* value = member(key, presence);
    if (value == nullptr) {
        return std::nullopt;
    }
    std::string expected = minimum == 1   ? "a positive integer"
                           : minimum == 0 ? "a non-negative integer"
                                          : fmt::format("an integer of at least {}", minimum);
    std::optional<std::int64_t> result;
    if (value->is_number_integer() && !value->is_number_unsigned()) {
        result = value->get<std::int64_t>();
    } else if (value->is_number_unsigned()) {
        auto unsigned_value = value->get<std::uint64_t>();
        if (unsigned_value <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            result = static_cast<std::int64_t>(unsigned_value);
        }
    } else if (value->is_number_float()) {
        double as_double = value->get<double>();
        // Integral values written as 4096.0 or 1e3 are accepted; 2^53 keeps them exact.
        if (std::isfinite(as_double) && std::floor(as_double) == as_double && std::fabs(as_double) <= 9007199254740992.0) {
            result = static_cast<std::int64_t>(as_double);
        }
    }
    if (!result || *result < minimum) {
        m_problems.add(child(key), fmt::format("expected {}, got {}", expected, describe(*value)));
        return std::nullopt;
    }
    // Sizes beyond 2^40 are no transformer dimension or token count: refuse them so that
    // products of dimensions cannot overflow 64 bits.
    constexpr std::int64_t k_max_dimension = std::int64_t{1} << 40;
    if (*result > k_max_dimension) {
        m_problems.add(child(key), fmt::format("expected {} of at most 2^40, got {}", expected, describe(*value)));
        return std::nullopt;
    }
    return result;
}

std::optional<std::string> ObjectReader::text(const std::string& key, Presence presence) {
    const json* value = member(key, presence);
    if (value == nullptr) {
        return std::nullopt;
    }
    if (!value->is_string()) {
        m_problems.add(child(key), "expected a string, got " + describe(*value));
        return std::nullopt;
    }
    auto result = value->get<std::string>();
    if (presence == Presence::required && result.empty()) {
        m_problems.add(child(key), "expected a non-empty string, got \"\"");
        return std::nullopt;
    }
    return result;
}

std::optional<bool> ObjectReader::boolean(const std::string& key, Presence presence) {
    const json* value = member(key, presence);
    if (value == nullptr) {
        return std::nullopt;
    }
    if (!value->is_boolean()) {
        m_problems.add(child(key), "expected true or false, got " + describe(*value));
        return std::nullopt;
    }
    return value->get<bool>();
}

std::vector<std::string> ObjectReader::string_list(const std::string& key) {
    std::vector<std::string> result;
    const json* value = member(key);
    if (value == nullptr) {
        return result;
    }
    if (!value->is_array()) {
        m_problems.add(child(key), "expected an array of strings, got " + describe(*value));
        return result;
    }
    for (std::size_t index = 0; index < value->size(); ++index) {
        const json& item = (*value)[index];
        if (!item.is_string() || item.get<std::string>().empty()) {
            m_problems.add(fmt::format("{}/{}", child(key), index), "expected a non-empty string, got " + describe(item));
            continue;
        }
        result.push_back(item.get<std::string>());
    }
    return result;
}

void ObjectReader::ignore(const std::set<std::string>& keys) {
    m_known.insert(keys.begin(), keys.end());
}

void ObjectReader::finish() {
    if (!m_value.is_object()) {
        return;
    }
    for (const auto& [key, value] : m_value.items()) {
        if (m_known.count(key) == 0) {
            m_problems.add(child(key), fmt::format("unknown field '{}'{}", printable(key), did_you_mean(key, m_known)));
        }
    }
}

}  // namespace dsselect::detail
