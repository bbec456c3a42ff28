// Writing results: to stdout, or to --output-file atomically (temporary file in the same
// directory, then rename). A path that exists and is not a regular file (/dev/stdout, a FIFO,
// /dev/full) is written in place: renaming over a device node would destroy it.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include <fcntl.h>
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
    struct stat info {};
    if (::stat(output_file.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
        if (S_ISDIR(info.st_mode)) {
            throw Error(ErrorKind::output_failed, fmt::format("{}: is a directory", output_file));
        }
        int fd = ::open(output_file.c_str(), O_WRONLY);
        if (fd < 0) {
            throw Error(ErrorKind::output_failed, fmt::format("{}: cannot open: {}", output_file, std::strerror(errno)));
        }
        try {
            write_all(fd, text, output_file);
        } catch (...) {
            ::close(fd);
            throw;
        }
        if (::close(fd) != 0) {
            throw Error(ErrorKind::output_failed, fmt::format("{}: cannot write: {}", output_file, std::strerror(errno)));
        }
        return;
    }
    std::filesystem::path target(output_file);
    std::filesystem::path directory = target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
    std::string temporary = (directory / fmt::format(".{}.tmp-{}", target.filename().string(), ::getpid())).string();
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        throw Error(ErrorKind::output_failed, fmt::format("{}: cannot create: {}", output_file, std::strerror(errno)));
    }
    try {
        write_all(fd, text, output_file);
        if (::fsync(fd) != 0 || ::close(fd) != 0) {
            fd = -1;
            throw Error(ErrorKind::output_failed, fmt::format("{}: cannot write: {}", output_file, std::strerror(errno)));
        }
        fd = -1;
        if (std::rename(temporary.c_str(), output_file.c_str()) != 0) {
            throw Error(ErrorKind::output_failed, fmt::format("{}: cannot replace: {}", output_file, std::strerror(errno)));
        }
    } catch (...) {
        if (fd >= 0) {
            ::close(fd);
        }
        std::remove(temporary.c_str());
        throw;
    }
}

}  // namespace dsselect::cli
