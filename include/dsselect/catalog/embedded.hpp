#pragma once
// Generated at build time from data/*.json (cmake/embed_data.cmake).
#include <cstddef>

namespace dsselect::embedded {
struct File {
    const char* name;
    const char* data;
    std::size_t size;
};
extern const File k_files[];
extern const std::size_t k_file_count;
}  // namespace dsselect::embedded
