#include "dsselect/core/error.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include <fmt/format.h>

namespace dsselect {

int exit_code(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::unsatisfiable: return 1;
    case ErrorKind::usage: return 2;
    case ErrorKind::invalid_data: return 65;
    case ErrorKind::input_missing: return 66;
    case ErrorKind::output_failed: return 74;
    case ErrorKind::internal: return 70;
    }
    return 70;
}

Error::Error(ErrorKind kind, std::string message, std::string hint)
    : std::runtime_error(std::move(message)), m_kind(kind), m_hint(std::move(hint)) {}

Error Error::with_context(const std::string& context) const {
    return Error(m_kind, context + ": " + what(), m_hint);
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> previous(b.size() + 1);
    std::vector<std::size_t> current(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        previous[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
        }
        std::swap(previous, current);
    }
    return previous[b.size()];
}

namespace {
std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}
}  // namespace

std::string id_suggestion(const std::string& typed, const std::vector<std::string>& ids) {
    const std::string wanted = lowercase(typed);
    std::vector<std::string> prefixed;
    for (const std::string& id : ids) {
        if (!wanted.empty() && lowercase(id).rfind(wanted, 0) == 0) {
            prefixed.push_back(id);
        }
    }
    if (prefixed.empty()) {
        // The nearest id by edit distance, ignoring case, within did_you_mean's reach (the first
        // of equals), named as the catalog spells it.
        const std::string* nearest = nullptr;
        std::size_t best_distance = wanted.size() / 2 + 2;
        for (const std::string& id : ids) {
            if (const std::size_t distance = edit_distance(wanted, lowercase(id)); distance < best_distance) {
                best_distance = distance;
                nearest = &id;
            }
        }
        return nearest == nullptr ? std::string{} : "; did you mean '" + *nearest + "'?";
    }
    constexpr std::size_t k_shown = 4;
    std::string list;
    for (std::size_t i = 0; i < prefixed.size() && i < k_shown; ++i) {
        list += (i == 0 ? "'" : (i + 1 == std::min(prefixed.size(), k_shown) ? "' or '" : "', '")) + prefixed[i];
    }
    list += "'";
    if (prefixed.size() > k_shown) {
        list += fmt::format(" ({} more)", prefixed.size() - k_shown);
    }
    return "; did you mean " + list + "?";
}

Error unknown_id_error(const char* what, const std::string& id, const std::vector<std::string>& ids) {
    const std::string kind = what;
    return Error(ErrorKind::usage, fmt::format("unknown {} '{}'{}", kind, id, id_suggestion(id, ids)),
                 fmt::format("'dsselect catalog {}' lists them", kind == "hardware" ? kind : kind + "s"));
}

}  // namespace dsselect
