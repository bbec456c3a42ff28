#include "dsselect/core/error.hpp"

#include <algorithm>
#include <vector>

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

}  // namespace dsselect
