#pragma once
// Chart geometry for the HTML report: scales with nice ticks, and SVG
// element builders that escape every string. Pure functions: no catalog, no I/O.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dsselect::report::svg {

// Escapes & < > " ' for XML text and attribute values (the page is well-formed XHTML).
std::string escape(std::string_view text);

// A coordinate with two decimals ("12.50"; never "-0.00").
std::string coord(double value);

// Maps a data domain onto a pixel range. Linear domains are widened to multiples of a nice
// step (1, 2 or 5 times a power of ten); log domains to whole powers of ten. A range may run
// backwards (range_min > range_max), as a y axis does.
struct Scale {
    bool log = false;
    double domain_min = 0;
    double domain_max = 1;
    double range_min = 0;
    double range_max = 1;
    std::vector<double> ticks;  // inside [domain_min, domain_max], ascending

    double operator()(double value) const;  // values outside the domain are clamped to it
};

// The nice step for about `target` intervals over `span`: 1, 2 or 5 x 10^k.
double nice_step(double span, int target);
// Linear scale over [lo, hi] (lo == hi is widened around the value; lo > 0 may start at 0
// when `include_zero`).
Scale linear_scale(double lo, double hi, double range_min, double range_max, bool include_zero = false);
// Log10 scale; lo and hi must be > 0. Ticks at each power of ten (and 2 and 5 times it when the
// domain spans fewer than three decades).
Scale log_scale(double lo, double hi, double range_min, double range_max);
// Log when every value is > 0 and hi / lo >= 20 (the points would crowd one corner), else linear.
Scale auto_scale(double lo, double hi, double range_min, double range_max);

// Tick label: 0.5, 20, 1.5k, 120k, 2.5M, 1B (three significant digits at most).
std::string short_number(double value);

struct Point {
    double x = 0;
    double y = 0;
};

// Element builders; `css_class` and `title` may be empty. A title becomes a hover tooltip.
std::string rect(double x, double y, double width, double height, std::string_view css_class, std::string_view title = {});
std::string line(double x1, double y1, double x2, double y2, std::string_view css_class);
std::string circle(double cx, double cy, double r, std::string_view css_class, std::string_view title = {});
// anchor: "start", "middle" or "end".
std::string text(double x, double y, std::string_view content, std::string_view css_class, std::string_view anchor = "start");
std::string polyline(const std::vector<Point>& points, std::string_view css_class);

}  // namespace dsselect::report::svg
