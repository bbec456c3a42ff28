#include <iostream>

#include "dsselect/cli/app.hpp"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return dsselect::cli::run(args, std::cout, std::cerr, dsselect::cli::process_environment());
}
