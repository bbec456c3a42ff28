#include <csignal>
#include <iostream>

#include "dsselect/cli/app.hpp"
#include "dsselect/core/allocator.hpp"

int main(int argc, char** argv) {
    // A reader that closes the pipe early (`dsselect report | head`) makes a write fail with EPIPE,
    // which every command reports as exit 74, instead of the signal killing the process (141).
    std::signal(SIGPIPE, SIG_IGN);
    dsselect::keep_search_memory_in_heap();
    std::vector<std::string> args(argv + 1, argv + argc);
    return dsselect::cli::run(args, std::cout, std::cerr, dsselect::cli::process_environment());
}
