#include <iostream>

#include "dsselect/cli/app.hpp"
#include "dsselect/core/allocator.hpp"

int main(int argc, char** argv) {
    dsselect::keep_search_memory_in_heap();
    std::vector<std::string> args(argv + 1, argv + argc);
    return dsselect::cli::run(args, std::cout, std::cerr, dsselect::cli::process_environment());
}
