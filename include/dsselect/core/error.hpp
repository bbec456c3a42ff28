#pragma once
// One error type for the whole program (STYLE.md principle 4). Low-level code throws with
// what went wrong; callers higher up add where (file, JSON pointer, flag) with with_context();
// the CLI's run function is the only catch and maps ErrorKind to the exit code.
#include <stdexcept>
#include <string>
#include <vector>

namespace dsselect {

// Exit codes are a public contract (README "Exit codes"); never renumber.
enum class ErrorKind {
    unsatisfiable,   // 1: nothing satisfies the requirement
    usage,           // 2: bad flag or argument
    invalid_data,    // 65: input data malformed or inconsistent
    input_missing,   // 66: input file missing or unreadable
    output_failed,   // 74: output could not be written
    internal,        // 70: a bug
};

int exit_code(ErrorKind kind);

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, std::string message, std::string hint = {});
    ErrorKind kind() const { return m_kind; }
    const std::string& hint() const { return m_hint; }
    // Returns a copy whose message is "context: message".
    Error with_context(const std::string& context) const;

private:
    ErrorKind m_kind;
    std::string m_hint;
};

// "did you mean" support: the closest candidate within a small edit distance, or "".
std::size_t edit_distance(const std::string& a, const std::string& b);

// Formats " (did you mean 'x'?)" or "" when nothing is close.
template <typename Range>
std::string did_you_mean(const std::string& typed, const Range& candidates) {
    std::string best;
    std::size_t best_distance = typed.size() / 2 + 2;
    for (const auto& candidate : candidates) {
        const std::string text{candidate};
        std::size_t distance = edit_distance(typed, text);
        if (distance < best_distance) {
            best_distance = distance;
            best = text;
        }
    }
    return best.empty() ? std::string{} : "; did you mean '" + best + "'?";
}

// Formats "; did you mean ...?" for an unknown id: the ids the typed one begins, ignoring case
// ("h100" -> 'h100-sxm' or 'h100-pcie'), first; else the nearest by edit distance, ignoring case;
// "" when nothing is close. One rule for every command that names a catalog id.
std::string id_suggestion(const std::string& typed, const std::vector<std::string>& ids);

// The usage error for an unknown catalog id of kind `what` ("model", "hardware", ...): its
// suggestion above and the hint naming the listing command.
Error unknown_id_error(const char* what, const std::string& id, const std::vector<std::string>& ids);

}  // namespace dsselect
