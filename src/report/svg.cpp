#include "dsselect/report/svg.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace dsselect::report::svg {

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default:
            // Control characters other than tab and newline are not allowed in XML 1.0.
            if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
                out += "\xEF\xBF\xBD";  // U+FFFD
            } else {
                out += c;
            }
        }
    }
    return out;
}

std::string coord(double value) {
    if (!std::isfinite(value)) {
        value = 0;
    }
    std::string out = fmt::format("{:.2f}", value);
    if (out == "-0.00") {
        out = "0.00";
    }
    return out;
}

double Scale::operator()(double value) const {
    double lo = domain_min;
    double hi = domain_max;
    value = std::clamp(value, lo, hi);
    double t = 0;
    if (log) {
        t = (std::log10(value) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
    } else {
        t = (value - lo) / (hi - lo);
    }
    return range_min + t * (range_max - range_min);
}

double nice_step(double span, int target) {
    if (!(span > 0) || !std::isfinite(span) || target < 1) {
        return 1;
    }
    const double raw = span / target;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double fraction = raw / magnitude;
    const double nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
    return nice * magnitude;
}

Scale linear_scale(double lo, double hi, double range_min, double range_max, bool include_zero) {
    if (!std::isfinite(lo) || !std::isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    if (lo > hi) {
        std::swap(lo, hi);
    }
    if (include_zero) {
        lo = std::min(lo, 0.0);
        hi = std::max(hi, 0.0);
    }
    if (hi == lo) {
        if (lo == 0) {
            hi = 1;
        } else {
            const double half = std::fabs(lo) / 2;
            lo -= half;
            hi += half;
        }
    }
    const double step = nice_step(hi - lo, 5);
    Scale scale;
    scale.domain_min = std::floor(lo / step + 1e-9) * step;
    scale.domain_max = std::ceil(hi / step - 1e-9) * step;
    if (scale.domain_max <= scale.domain_min) {
        scale.domain_max = scale.domain_min + step;
    }
    scale.range_min = range_min;
    scale.range_max = range_max;
    const auto count = static_cast<long long>(std::llround((scale.domain_max - scale.domain_min) / step));
    for (long long i = 0; i <= count; ++i) {
        double tick = std::round((scale.domain_min + static_cast<double>(i) * step) / step) * step;
        scale.ticks.push_back(tick == 0 ? 0.0 : tick);
    }
    return scale;
}

Scale log_scale(double lo, double hi, double range_min, double range_max) {
    if (!(lo > 0) || !std::isfinite(lo)) {
        lo = 1;
    }
    if (!(hi > 0) || !std::isfinite(hi)) {
        hi = lo;
    }
    if (lo > hi) {
        std::swap(lo, hi);
    }
    auto low_power = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
    auto high_power = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
    if (high_power <= low_power) {
        high_power = low_power + 1;
    }
    Scale scale;
    scale.log = true;
    scale.domain_min = std::pow(10.0, low_power);
    scale.domain_max = std::pow(10.0, high_power);
    scale.range_min = range_min;
    scale.range_max = range_max;
    const bool fine = high_power - low_power < 3;
    for (int power = low_power; power <= high_power; ++power) {
        const double decade = std::pow(10.0, power);
        scale.ticks.push_back(decade);
        if (fine && power < high_power) {
            scale.ticks.push_back(2 * decade);
            scale.ticks.push_back(5 * decade);
        }
    }
    return scale;
}

Scale auto_scale(double lo, double hi, double range_min, double range_max) {
    if (lo > 0 && hi > 0 && std::isfinite(lo) && std::isfinite(hi) && std::max(lo, hi) / std::min(lo, hi) >= 20) {
        return log_scale(lo, hi, range_min, range_max);
    }
    return linear_scale(lo, hi, range_min, range_max);
}

std::string short_number(double value) {
    if (!std::isfinite(value)) {
        return "-";
    }
    if (value == 0) {
        return "0";
    }
    const char* sign = value < 0 ? "-" : "";
    double magnitude = std::fabs(value);
    const char* suffix = "";
    if (magnitude >= 1e9) {
        magnitude /= 1e9;
        suffix = "B";
    } else if (magnitude >= 1e6) {
        magnitude /= 1e6;
        suffix = "M";
    } else if (magnitude >= 1e3) {
        magnitude /= 1e3;
        suffix = "k";
    }
    return fmt::format("{}{:.3g}{}", sign, magnitude, suffix);
}

namespace {
std::string class_attribute(std::string_view css_class) {
    return css_class.empty() ? std::string() : fmt::format(" class=\"{}\"", escape(css_class));
}
std::string close(std::string_view element, std::string_view title) {
    if (title.empty()) {
        return "/>";
    }
    return fmt::format("><title>{}</title></{}>", escape(title), element);
}
}  // namespace

std::string rect(double x, double y, double width, double height, std::string_view css_class, std::string_view title) {
    return fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"{}{}\n", coord(x), coord(y),
                       coord(std::max(0.0, width)), coord(std::max(0.0, height)), class_attribute(css_class),
                       close("rect", title));
}

std::string line(double x1, double y1, double x2, double y2, std::string_view css_class) {
    return fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"{}/>\n", coord(x1), coord(y1), coord(x2), coord(y2),
                       class_attribute(css_class));
}

std::string circle(double cx, double cy, double r, std::string_view css_class, std::string_view title) {
    return fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\"{}{}\n", coord(cx), coord(cy), coord(r),
                       class_attribute(css_class), close("circle", title));
}

std::string text(double x, double y, std::string_view content, std::string_view css_class, std::string_view anchor) {
    const std::string anchor_attribute =
        anchor == "start" || anchor.empty() ? std::string() : fmt::format(" text-anchor=\"{}\"", escape(anchor));
    return fmt::format("<text x=\"{}\" y=\"{}\"{}{}>{}</text>\n", coord(x), coord(y), anchor_attribute,
                       class_attribute(css_class), escape(content));
}

std::string polyline(const std::vector<Point>& points, std::string_view css_class) {
    std::string list;
    for (const Point& p : points) {
        if (!list.empty()) {
            list += ' ';
        }
        list += coord(p.x) + ',' + coord(p.y);
    }
    return fmt::format("<polyline points=\"{}\"{}/>\n", list, class_attribute(css_class));
}

}  // namespace dsselect::report::svg
