#include "dsselect/core/notices.hpp"

#include <algorithm>
#include <mutex>

namespace dsselect {

namespace {
std::mutex& notices_mutex() {
    static std::mutex mutex;
    return mutex;
}
std::vector<std::string>& notices() {
    static std::vector<std::string> lines;
    return lines;
}
}  // namespace

void add_notice(const std::string& line) {
    const std::lock_guard<std::mutex> lock(notices_mutex());
    std::vector<std::string>& lines = notices();
    if (std::find(lines.begin(), lines.end(), line) == lines.end()) {
        lines.push_back(line);
    }
}

std::vector<std::string> take_notices() {
    const std::lock_guard<std::mutex> lock(notices_mutex());
    std::vector<std::string> out;
    out.swap(notices());
    return out;
}

}  // namespace dsselect
