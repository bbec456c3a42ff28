#pragma once
// Shared by the table builders (private to src/report/): short names for the alignments of
// their column lists, kept out of the public header so that no user of dsselect/report/table.hpp
// gets one-letter names in its namespace.
#include "dsselect/report/table.hpp"

namespace dsselect::report::detail {

inline constexpr Align R = Align::right;
inline constexpr Align L = Align::left;

}  // namespace dsselect::report::detail
