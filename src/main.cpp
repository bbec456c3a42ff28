#include <iostream>

#include <malloc.h>

#include "dsselect/cli/app.hpp"

int main(int argc, char** argv) {
    // A search allocates and frees a few hundred kilobytes per scenario. glibc would hand such
    // blocks to mmap or trim them back to the kernel after each one, and fault them in again
    // for the next: in a batch that was a third of the run time. Keep them in the heap.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    std::vector<std::string> args(argv + 1, argv + argc);
    return dsselect::cli::run(args, std::cout, std::cerr, dsselect::cli::process_environment());
}
