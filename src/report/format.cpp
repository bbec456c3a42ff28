#include "dsselect/report/format.hpp"

#include <cmath>

#include <fmt/format.h>

#include "dsselect/estimate/estimator.hpp"

namespace dsselect::report {

std::optional<OutputFormat> parse_output_format(const std::string& text) {
    if (text == "table") {
        return OutputFormat::table;
    }
    if (text == "json") {
        return OutputFormat::json;
    }
    if (text == "jsonl") {
        return OutputFormat::jsonl;
    }
    if (text == "csv") {
        return OutputFormat::csv;
    }
    if (text == "markdown" || text == "md") {
        return OutputFormat::markdown;
    }
    if (text == "html") {
        return OutputFormat::html;
    }
    return std::nullopt;
}

std::string fixed(double value, int decimals) {
    if (!std::isfinite(value)) {
        return "-";
    }
    std::string text = fmt::format("{:.{}f}", value, decimals);
    if (text.rfind("-0", 0) == 0 && std::stod(text) == 0.0) {
        text.erase(0, 1);  // no "-0.00"
    }
    return text;
}

std::string fixed(const std::optional<double>& value, int decimals) {
    return value ? fixed(*value, decimals) : std::string("-");
}

std::string count_short(double count) {
    if (count >= 1e9) {
        return fmt::format("{:.2f}B", count / 1e9);
    }
    if (count >= 1e6) {
        return fmt::format("{:.1f}M", count / 1e6);
    }
    return fmt::format("{:.0f}", count);
}

std::string gib(double bytes) { return fixed(bytes / k_bytes_per_gib, 2); }

std::string usd(double dollars) {
    const bool negative = dollars < 0;
    // Small sums keep their cents: a training run of 0.72 GPU-hours costs "$1.30", not "$1".
    if (std::isfinite(dollars) && std::fabs(dollars) >= 0.005 && std::fabs(dollars) < 100.0) {
        return fmt::format("{}${:.2f}", negative ? "-" : "", std::fabs(dollars));
    }
    // Past a quadrillion dollars (and for an infinite sum) whole digits would overflow a long long,
    // which printed "$0": such a figure is shown in scientific notation instead.
    if (std::isnan(dollars)) {
        return "$nan";
    }
    if (!std::isfinite(dollars)) {
        return negative ? "-$inf" : "$inf";
    }
    if (std::fabs(dollars) >= 1e15) {
        return fmt::format("{}${:.3g}", negative ? "-" : "", std::fabs(dollars));
    }
    auto whole = static_cast<long long>(std::llround(std::fabs(dollars)));
    std::string digits = std::to_string(whole);
    std::string grouped;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            grouped += ',';
        }
        grouped += digits[i];
    }
    return (negative ? "-$" : "$") + grouped;
}

double round_to(double value, int decimals) {
    if (!std::isfinite(value)) {
        return value;
    }
    const double scale = std::pow(10.0, decimals);
    double rounded = std::round(value * scale) / scale;
    return rounded == 0.0 ? 0.0 : rounded;  // no -0
}

}  // namespace dsselect::report
