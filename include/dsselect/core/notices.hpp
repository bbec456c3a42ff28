#pragma once
// Warnings that code far from the CLI raises (a deprecated id read as its new one): collected
// here, printed once each on stderr by the CLI after the command (unless --quiet). Safe to add
// from any thread.
#include <string>
#include <vector>

namespace dsselect {

// Records a warning line; the same line twice is kept once.
void add_notice(const std::string& line);
// The warnings recorded since the last call, in the order first added; clears them.
std::vector<std::string> take_notices();

}  // namespace dsselect
