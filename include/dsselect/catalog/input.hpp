#pragma once
// The one seam that reads input files: data, scenario and rules documents whole, batch inputs
// line by line. Both read with POSIX read(2) so that a read error (a closed or directory stdin,
// EIO) is reported as one, naming the input (exit 66), and never taken for an empty input, and
// both hold at most a bounded amount in memory (docs/reliability.md lists the bounds).
#include <cstddef>
#include <cstdint>
#include <string>

namespace dsselect {

struct DataSource {
    std::string name;  // shown in messages: a path, or "<builtin>/models.json"
    std::string text;
};

// The largest data, scenario or rules file dsselect reads (the shipped ones are under 100 KB).
inline constexpr std::size_t k_max_data_file_bytes = std::size_t{16} << 20;
// Reads a file into memory. Throws input_missing (exit 66) for a missing, unreadable or
// directory path and for a read error, invalid_data (65) beyond k_max_data_file_bytes.
// "-" reads standard input.
DataSource read_data_file(const std::string& path);

// Batch input bounds: one line (one item, or the whole document when the input is one JSON
// array) is at most a data file's size; the whole input at most 1 GiB.
inline constexpr std::size_t k_max_batch_line_bytes = k_max_data_file_bytes;
inline constexpr std::size_t k_max_batch_input_bytes = std::size_t{1} << 30;

// A file (or "-", standard input) read one line at a time, with the bounds above (smaller ones
// for tests). Opening throws as read_data_file does; next() throws input_missing on a read
// error and invalid_data, saying which bound, when a line or the total is too large.
class InputLines {
public:
    explicit InputLines(const std::string& path, std::size_t max_line_bytes = k_max_batch_line_bytes,
                        std::size_t max_total_bytes = k_max_batch_input_bytes);
    ~InputLines();
    InputLines(const InputLines&) = delete;
    InputLines& operator=(const InputLines&) = delete;

    // "<stdin>" or the path.
    const std::string& name() const { return m_name; }
    // The next line without its '\n' (a last line without one too); false at the end of input.
    bool next(std::string& line);
    // Everything not read yet, as one document bounded by max_line_bytes together with `prefix`
    // (the lines already taken from it): a batch given as one JSON array.
    std::string rest(std::string prefix);

private:
    bool fill();  // reads more; false at the end of input

    int m_fd = -1;
    bool m_owned = false;
    std::string m_name;
    std::size_t m_max_line;
    std::size_t m_max_total;
    std::string m_buffer;
    std::size_t m_start = 0;  // first unread byte of m_buffer
    std::size_t m_total = 0;  // bytes read so far
    std::int64_t m_line = 0;  // lines returned so far
    bool m_end = false;
};

}  // namespace dsselect
