#include "dsselect/catalog/input.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "dsselect/core/error.hpp"

namespace dsselect {

namespace {
constexpr std::size_t k_chunk_bytes = 65536;

// Opens `path` for reading ("-": standard input, not owned). `expected` names what a
// directory should have been, for the message.
int open_input(const std::string& path, const char* expected, bool& owned) {
    if (path == "-") {
        owned = false;
        return STDIN_FILENO;
    }
    int fd = -1;
    do {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        const int error = errno;
        if (error == ENOENT || error == ENOTDIR || error == ELOOP) {
            throw Error(ErrorKind::input_missing, fmt::format("{}: no such file", path));
        }
        if (error == EACCES || error == EPERM) {
            throw Error(ErrorKind::input_missing, fmt::format("{}: cannot be read (permission denied?)", path));
        }
        throw Error(ErrorKind::input_missing, fmt::format("{}: cannot open: {}", path, std::strerror(error)));
    }
    struct stat info {};
    if (::fstat(fd, &info) == 0 && S_ISDIR(info.st_mode)) {
        ::close(fd);
        throw Error(ErrorKind::input_missing, fmt::format("{}: is a directory, expected {}", path, expected));
    }
    owned = true;
    return fd;
}

// Appends up to `limit` bytes read from `fd` to `text`; 0 at the end of input. A read error
// (EBADF for a closed stdin, EISDIR for a directory on stdin, EIO) throws input_missing.
std::size_t read_some(int fd, std::string& text, std::size_t limit, const std::string& name) {
    const std::size_t old_size = text.size();
    text.resize(old_size + limit);
    ssize_t got = 0;
    do {
        got = ::read(fd, text.data() + old_size, limit);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
        const int error = errno;
        text.resize(old_size);
        throw Error(ErrorKind::input_missing, fmt::format("{}: read error: {}", name, std::strerror(error)));
    }
    text.resize(old_size + static_cast<std::size_t>(got));
    return static_cast<std::size_t>(got);
}

class FileCloser {
public:
    FileCloser(int fd, bool owned) : m_fd(fd), m_owned(owned) {}
    ~FileCloser() {
        if (m_owned) {
            ::close(m_fd);
        }
    }
    FileCloser(const FileCloser&) = delete;
    FileCloser& operator=(const FileCloser&) = delete;

private:
    int m_fd;
    bool m_owned;
};
}  // namespace

// Refuses a file larger than k_max_data_file_bytes before holding more than that in memory (a
// pipe or FIFO has no size to check up front).
DataSource read_data_file(const std::string& path) {
    const std::string name = path == "-" ? "<stdin>" : path;
    bool owned = false;
    const int fd = open_input(path, "a JSON file", owned);
    FileCloser closer(fd, owned);
    std::string text;
    while (read_some(fd, text, k_chunk_bytes, name) > 0) {
        if (text.size() > k_max_data_file_bytes) {
            throw Error(ErrorKind::invalid_data,
                        fmt::format("{}: more than {} MiB; a dsselect data, scenario or rules file is at most that large",
                                    name, k_max_data_file_bytes >> 20));
        }
    }
    return {name, std::move(text)};
}

InputLines::InputLines(const std::string& path, std::size_t max_line_bytes, std::size_t max_total_bytes)
    : m_name(path == "-" ? "<stdin>" : path), m_max_line(max_line_bytes), m_max_total(max_total_bytes) {
    m_fd = open_input(path, "a JSON Lines file", m_owned);
}

InputLines::~InputLines() {
    if (m_owned) {
        ::close(m_fd);
    }
}

bool InputLines::fill() {
    if (m_end) {
        return false;
    }
    if (m_start > 0 && m_start * 2 >= m_buffer.size()) {
        m_buffer.erase(0, m_start);
        m_start = 0;
    }
    const std::size_t got = read_some(m_fd, m_buffer, k_chunk_bytes, m_name);
    if (got == 0) {
        m_end = true;
        return false;
    }
    m_total += got;
    if (m_total > m_max_total) {
        throw Error(ErrorKind::invalid_data,
                    fmt::format("{}: more than {} MiB of input; a batch input is at most that large (split it)", m_name,
                                m_max_total >> 20));
    }
    return true;
}

bool InputLines::next(std::string& line) {
    std::size_t scanned = m_start;
    while (true) {
        const std::size_t newline = m_buffer.find('\n', scanned);
        const std::size_t end = newline == std::string::npos ? m_buffer.size() : newline;
        if (end - m_start > m_max_line) {
            throw Error(ErrorKind::invalid_data,
                        fmt::format("{}:{}: line longer than {} MiB; a batch item is at most that large", m_name,
                                    m_line + 1, m_max_line >> 20));
        }
        if (newline != std::string::npos) {
            line.assign(m_buffer, m_start, newline - m_start);
            m_start = newline + 1;
            ++m_line;
            return true;
        }
        scanned = m_buffer.size() - m_start;  // offsets move when fill() compacts
        if (!fill()) {
            if (m_start == m_buffer.size()) {
                return false;
            }
            line.assign(m_buffer, m_start, std::string::npos);
            m_start = m_buffer.size();
            ++m_line;
            return true;
        }
        scanned += m_start;
    }
}

std::string InputLines::rest(std::string prefix) {
    const auto too_large = [&] {
        return Error(ErrorKind::invalid_data,
                     fmt::format("{}: a JSON array input of more than {} MiB; a batch given as one array is at most that "
                                 "large (use JSON Lines)",
                                 m_name, m_max_line >> 20));
    };
    while (fill()) {
        if (prefix.size() + (m_buffer.size() - m_start) > m_max_line) {
            throw too_large();
        }
    }
    prefix.append(m_buffer, m_start, std::string::npos);
    m_start = m_buffer.size();
    if (prefix.size() > m_max_line) {
        throw too_large();
    }
    return prefix;
}

}  // namespace dsselect
