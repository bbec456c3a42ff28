#pragma once
// Output formats and the number formatting shared by the table renderers.
#include <optional>
#include <string>

namespace dsselect::report {

enum class OutputFormat { table, json, jsonl, csv, markdown, html };
inline constexpr const char* k_output_format_names = "table|json|jsonl|csv|markdown|html";
std::optional<OutputFormat> parse_output_format(const std::string& text);

// Fixed decimals; "-" for a missing value.
std::string fixed(double value, int decimals);
std::string fixed(const std::optional<double>& value, int decimals);
// 6740512768 -> "6.74B"; 1300000000 -> "1.30B"; 125829120 -> "125.8M".
std::string count_short(double count);
// Bytes as GiB (2^30 bytes, k_bytes_per_gib) with two decimals: the one unit memory is shown in.
std::string gib(double bytes);
// Dollars with thousands separators and no cents: 120000 -> "$120,000".
std::string usd(double dollars);
// Rounds to a number of decimals (for byte-stable JSON).
double round_to(double value, int decimals);

}  // namespace dsselect::report
