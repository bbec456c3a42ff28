#pragma once
// The command-line program as a library function: parse, run, print; returns the exit code.
// main() only forwards to it, and the tests call it in-process with captured streams.
#include <ostream>
#include <string>
#include <vector>

namespace dsselect::cli {

struct Environment {
    bool stdout_is_terminal = false;
    bool stderr_is_terminal = false;
    bool no_color = false;   // NO_COLOR is set and non-empty
    bool term_dumb = false;  // TERM=dumb
};

// Reads the environment of this process (isatty, NO_COLOR, TERM).
Environment process_environment();

// args excludes the program name.
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        const Environment& environment = {});

}  // namespace dsselect::cli
