// Writing results: to stdout, or to --output-file. The path is judged with lstat(2):
// - a regular file, or a path that does not exist yet: written atomically, to a temporary file
//   made with mkstemp(3) in the same directory (".dsselect-XXXXXX", which fits whatever the
//   target's name is), then renamed over it; a replaced file keeps its mode, a new one is 0644;
// - a symbolic link is never renamed over (it is not ours): a link to a regular file has that
//   file replaced as above, found with realpath(3); a link to anything else (/dev/stdout ->
//   /proc/self/fd/1 -> a pipe or device), or a dangling one, is written through in place;
// - a device, FIFO or socket is written in place: renaming over /dev/full would destroy it;
// - a directory is an error.
// SIGINT, SIGTERM and SIGHUP during the write remove the temporary file before the process dies.
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "context.hpp"
#include "dsselect/core/error.hpp"

namespace dsselect::cli {

namespace {
void write_all(int fd, const std::string& text, const std::string& path) {
    std::size_t written = 0;
    while (written < text.size()) {
        ssize_t result = ::write(fd, text.data() + written, text.size() - written);
        if (result < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw Error(ErrorKind::output_failed, fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
        }
        written += static_cast<std::size_t>(result);
    }
}

void write_in_place(const std::string& path, const std::string& text) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        throw Error(ErrorKind::output_failed, fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
    }
    try {
        write_all(fd, text, path);
    } catch (...) {
        ::close(fd);
        throw;
    }
    if (::close(fd) != 0) {
        throw Error(ErrorKind::output_failed, fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
    }
}

// The temporary file being written, for the signal handler: unlink(2) is async-signal-safe.
char g_temporary[PATH_MAX + 1];
std::atomic<bool> g_temporary_set{false};

extern "C" void remove_temporary_and_die(int signal_number) {
    if (g_temporary_set.load()) {
        ::unlink(g_temporary);
    }
    ::signal(signal_number, SIG_DFL);
    ::raise(signal_number);
}

// Removes the temporary file on SIGINT/SIGTERM/SIGHUP while alive; restores the handlers after.
class TemporaryGuard {
public:
    explicit TemporaryGuard(const std::string& path) {
        if (path.size() > PATH_MAX) {
            return;
        }
        std::memcpy(g_temporary, path.c_str(), path.size() + 1);
        g_temporary_set = true;
        struct sigaction action {};
        action.sa_handler = remove_temporary_and_die;
        sigemptyset(&action.sa_mask);
        for (std::size_t i = 0; i < std::size(k_signals); ++i) {
            ::sigaction(k_signals[i], &action, &m_old[i]);
        }
        m_installed = true;
    }
    ~TemporaryGuard() {
        if (m_installed) {
            for (std::size_t i = 0; i < std::size(k_signals); ++i) {
                ::sigaction(k_signals[i], &m_old[i], nullptr);
            }
        }
        g_temporary_set = false;
    }
    TemporaryGuard(const TemporaryGuard&) = delete;
    TemporaryGuard& operator=(const TemporaryGuard&) = delete;

private:
    static constexpr int k_signals[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction m_old[std::size(k_signals)] {};
    bool m_installed = false;
};

// Replaces (or creates) the regular file `target` atomically; `shown` names it in messages.
void write_atomically(const std::string& target, const std::string& shown, const std::string& text,
                      std::optional<mode_t> keep_mode) {
    const std::filesystem::path path(target);
    const std::filesystem::path directory = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    std::string temporary = (directory / ".dsselect-XXXXXX").string();
    int fd = -1;
    std::unique_ptr<TemporaryGuard> guard;
    {
        // Block the signals between creating the file and arming the handler that removes it.
        sigset_t block;
        sigset_t old;
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGHUP);
        ::sigprocmask(SIG_BLOCK, &block, &old);
        fd = ::mkstemp(temporary.data());
        const int error = errno;
        if (fd >= 0) {
            guard = std::make_unique<TemporaryGuard>(temporary);
        }
        ::sigprocmask(SIG_SETMASK, &old, nullptr);
        if (fd < 0) {
            throw Error(ErrorKind::output_failed, fmt::format("{}: cannot create: {}", shown, std::strerror(error)));
        }
    }
    try {
        if (::fchmod(fd, keep_mode ? *keep_mode : 0644) != 0) {
            throw Error(ErrorKind::output_failed, fmt::format("{}: cannot create: {}", shown, std::strerror(errno)));
        }
        write_all(fd, text, shown);
        if (::fsync(fd) != 0) {
            throw Error(ErrorKind::output_failed, fmt::format("{}: cannot write: {}", shown, std::strerror(errno)));
        }
        const int closed = ::close(fd);
        fd = -1;
        if (closed != 0) {
            throw Error(ErrorKind::output_failed, fmt::format("{}: cannot write: {}", shown, std::strerror(errno)));
        }
        if (std::rename(temporary.c_str(), target.c_str()) != 0) {
            throw Error(ErrorKind::output_failed, fmt::format("{}: cannot replace: {}", shown, std::strerror(errno)));
        }
    } catch (...) {
        if (fd >= 0) {
            ::close(fd);
        }
        ::unlink(temporary.c_str());
        throw;
    }
}
}  // namespace

void write_output(const std::string& text, const std::string& output_file, std::ostream& out) {
    if (output_file.empty() || output_file == "-") {
        out << text;
        out.flush();
        if (!out) {
            throw Error(ErrorKind::output_failed, "standard output: cannot write");
        }
        return;
    }
    struct stat link_info {};
    if (::lstat(output_file.c_str(), &link_info) != 0) {
        if (errno != ENOENT) {
            throw Error(ErrorKind::output_failed, fmt::format("{}: cannot open: {}", output_file, std::strerror(errno)));
        }
        write_atomically(output_file, output_file, text, std::nullopt);
        return;
    }
    if (S_ISREG(link_info.st_mode)) {
        write_atomically(output_file, output_file, text, link_info.st_mode & 07777);
        return;
    }
    if (S_ISDIR(link_info.st_mode)) {
        throw Error(ErrorKind::output_failed, fmt::format("{}: is a directory", output_file));
    }
    if (S_ISLNK(link_info.st_mode)) {
        struct stat target_info {};
        if (::stat(output_file.c_str(), &target_info) == 0) {
            if (S_ISDIR(target_info.st_mode)) {
                throw Error(ErrorKind::output_failed, fmt::format("{}: is a directory", output_file));
            }
            if (S_ISREG(target_info.st_mode)) {
                std::unique_ptr<char, decltype(&std::free)> resolved(::realpath(output_file.c_str(), nullptr), &std::free);
                if (resolved) {
                    struct stat resolved_info {};
                    // /proc/self/fd/N resolves to a name that may not be that file (deleted,
                    // or another mount namespace): only a name that is the same file is replaced.
                    if (::lstat(resolved.get(), &resolved_info) == 0 && S_ISREG(resolved_info.st_mode) &&
                        resolved_info.st_dev == target_info.st_dev && resolved_info.st_ino == target_info.st_ino) {
                        write_atomically(resolved.get(), output_file, text, target_info.st_mode & 07777);
                        return;
                    }
                }
            }
        }
    }
    // A device, FIFO or socket, or a link to one (or a dangling link): in place.
    write_in_place(output_file, text);
}

}  // namespace dsselect::cli
