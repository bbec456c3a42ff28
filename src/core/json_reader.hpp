#pragma once
// Strict reading of JSON objects with diagnostics that name the file and the JSON pointer.
// Shared by src/catalog/ (data files) and src/rules/ (rule files), which read JSON the same way;
// not part of the public headers.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dsselect::detail {

using json = nlohmann::json;

// Collects every problem of one document: "file: /pointer: message".
class Problems {
public:
    explicit Problems(std::string file) : m_file(std::move(file)) {}
    // Keeps the first k_max_listed problems, then one line saying that more were left out.
    void add(const std::string& pointer, const std::string& message);
    const std::vector<std::string>& list() const { return m_list; }
    // True once the list is full: readers of long arrays stop early.
    bool full() const { return m_list.size() > k_max_listed; }
    static constexpr std::size_t k_max_listed = 1000;
    bool empty() const { return m_list.empty(); }
    const std::string& file() const { return m_file; }

private:
    std::string m_file;
    std::vector<std::string> m_list;
};

enum class Presence { optional, required };
enum class NumberRule { any_finite, positive, non_negative, fraction, positive_fraction };

std::string escape_pointer_token(const std::string& token);
// The text with control characters shown as \\uXXXX, so that messages stay on one line.
std::string printable(const std::string& text);
// A short JSON rendering of a value for "got ..." messages.
std::string describe(const json& value);
// Parses text; on malformed JSON adds "malformed JSON at line L, column C: ..." and returns null.
std::optional<json> parse_document(const std::string& text, Problems& problems);

class ObjectReader {
public:
    ObjectReader(const json& value, std::string pointer, Problems& problems);
    bool is_object() const { return m_value.is_object(); }
    const std::string& pointer() const { return m_pointer; }
    std::string child(const std::string& key) const { return m_pointer + "/" + escape_pointer_token(key); }
    Problems& problems() { return m_problems; }

    // Returns the member or nullptr, and records the key as known.
    const json* member(const std::string& key, Presence presence = Presence::optional);
    std::optional<double> number(const std::string& key, NumberRule rule, Presence presence = Presence::optional);
    std::optional<std::int64_t> integer(const std::string& key, std::int64_t minimum,
                                        Presence presence = Presence::optional);
    std::optional<std::string> text(const std::string& key, Presence presence = Presence::optional);
    std::optional<bool> boolean(const std::string& key, Presence presence = Presence::optional);
    std::vector<std::string> string_list(const std::string& key);
    // Keys accepted and ignored (e.g. Hugging Face config keys that do not affect estimates).
    void ignore(const std::set<std::string>& keys);
    // Reports members that no accessor asked for, with "did you mean".
    void finish();

private:
    const json& m_value;
    std::string m_pointer;
    Problems& m_problems;
    std::set<std::string> m_known;
};

}  // namespace dsselect::detail
