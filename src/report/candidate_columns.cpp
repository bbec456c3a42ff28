#include "dsselect/report/candidate_columns.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dsselect/catalog/embedded.hpp"
#include "dsselect/report/format.hpp"

namespace dsselect::report {

namespace {
constexpr std::string_view k_file = "candidate.columns.json";

template <typename Enum, std::size_t N>
Enum named(const std::pair<std::string_view, Enum> (&names)[N], const std::string& name, std::string_view what) {
    for (const auto& [text, value] : names) {
        if (text == name) {
            return value;
        }
    }
    // The file is built into the binary and checked by the tests: a bad name is a build fault.
    throw std::logic_error(fmt::format("{}: unknown {} '{}'", k_file, what, name));
}

constexpr std::pair<std::string_view, CellFormat> k_formats[] = {
    {"rank", CellFormat::rank},       {"model", CellFormat::model},   {"variant", CellFormat::variant},
    {"hardware_gpus", CellFormat::hardware_gpus}, {"label", CellFormat::label}, {"count", CellFormat::count},
    {"gpus_total", CellFormat::gpus_total}, {"batch", CellFormat::batch},
    {"fixed", CellFormat::fixed},     {"gib", CellFormat::gib},       {"usd", CellFormat::usd},
    {"training_usd", CellFormat::training_usd}, {"warnings", CellFormat::warnings}, {"verdict", CellFormat::verdict}};
constexpr std::pair<std::string_view, CellRequires> k_requires[] = {
    {"nothing", CellRequires::nothing}, {"timing", CellRequires::timing}, {"costed", CellRequires::costed},
    {"quality", CellRequires::quality}};
constexpr std::pair<std::string_view, CandidateView> k_views[] = {
    {"ranked", CandidateView::ranked}, {"compared", CandidateView::compared}, {"page", CandidateView::page}};
constexpr std::pair<std::string_view, Align> k_aligns[] = {{"left", Align::left}, {"right", Align::right}};

std::string plain(double value, int decimals) {
    if (!std::isfinite(value)) {
        return "";
    }
    std::string text = fmt::format("{:.{}f}", value, decimals);
    if (text.rfind("-0", 0) == 0 && std::stod(text) == 0.0) {
        text.erase(0, 1);
    }
    return text;
}

// A CSV field's plain value: text, or a number with the field's decimals.
struct CsvValue {
    std::string_view name;
    CellRequires requires_value;
    std::string (*text)(const Candidate& c, const std::string& rank, int decimals);
};

// The training figure in the total and, beside a quote, the other one (docs/tco.md).
std::string training_cell(const TcoResult& t) {
    if (!t.training_quoted_usd) {
        return usd(t.training_usd);
    }
    if (t.training_quoted) {
        return usd(t.training_usd) + " (given; computed " + usd(t.training_computed_usd) + ")";
    }
    return usd(t.training_usd) + " (computed; quoted " + usd(*t.training_quoted_usd) + ")";
}

constexpr CsvValue k_csv_values[] = {
    {"rank", CellRequires::nothing, [](const Candidate&, const std::string& rank, int) { return rank; }},
    {"model", CellRequires::nothing, [](const Candidate& c, const std::string&, int) { return c.model->id; }},
    {"variant", CellRequires::nothing, [](const Candidate& c, const std::string&, int) { return c.variant->id; }},
    {"hardware", CellRequires::nothing, [](const Candidate& c, const std::string&, int) { return c.hardware->id; }},
    {"gpus_per_replica", CellRequires::nothing,
     [](const Candidate& c, const std::string&, int) { return std::to_string(c.gpus_per_replica); }},
    {"label", CellRequires::nothing, [](const Candidate& c, const std::string&, int) { return c.label(); }},
    {"replicas", CellRequires::costed, [](const Candidate& c, const std::string&, int) { return std::to_string(c.replicas); }},
    {"gpus_total", CellRequires::costed,
     [](const Candidate& c, const std::string&, int) { return std::to_string(c.replicas * c.gpus_per_replica); }},
    {"batch_per_replica", CellRequires::timing,
     [](const Candidate& c, const std::string&, int) { return std::to_string(c.batch); }},
    {"ttft_ms", CellRequires::timing,
     [](const Candidate& c, const std::string&, int d) { return plain(c.estimate.performance.ttft_ms, d); }},
    {"ttft_at_load_ms", CellRequires::costed,
     [](const Candidate& c, const std::string&, int d) { return plain(c.ttft_at_load_ms, d); }},
    {"queue_wait_ms", CellRequires::costed,
     [](const Candidate& c, const std::string&, int d) { return plain(c.queue_wait_ms, d); }},
    {"tpot_ms", CellRequires::timing,
     [](const Candidate& c, const std::string&, int d) { return plain(c.estimate.performance.tpot_ms, d); }},
    {"latency_ms", CellRequires::timing,
     [](const Candidate& c, const std::string&, int d) { return plain(c.estimate.performance.latency_ms, d); }},
    {"qps", CellRequires::timing, [](const Candidate& c, const std::string&, int d) { return plain(c.estimate.performance.qps, d); }},
    {"memory_per_gpu_gib", CellRequires::nothing,
     [](const Candidate& c, const std::string&, int d) { return plain(c.estimate.memory.per_gpu_bytes / k_bytes_per_gib, d); }},
    {"quality", CellRequires::quality, [](const Candidate& c, const std::string&, int d) { return plain(c.quality, d); }},
    {"training_usd", CellRequires::costed,
     [](const Candidate& c, const std::string&, int d) { return plain(c.cost.training_usd, d); }},
    {"training_computed_usd", CellRequires::costed,
     [](const Candidate& c, const std::string&, int d) { return plain(c.cost.training_computed_usd, d); }},
    {"training_quoted", CellRequires::costed,
     [](const Candidate& c, const std::string&, int) { return std::string(c.cost.training_quoted ? "true" : "false"); }},
    {"total_usd", CellRequires::costed, [](const Candidate& c, const std::string&, int d) { return plain(c.cost.total_usd, d); }},
    {"yearly_usd", CellRequires::costed, [](const Candidate& c, const std::string&, int d) { return plain(c.cost.yearly_usd, d); }},
    {"weighted_index_usd", CellRequires::costed,
     [](const Candidate& c, const std::string&, int d) { return plain(c.cost.weighted_index_usd, d); }},
    {"warnings", CellRequires::nothing, [](const Candidate& c, const std::string&, int) {
         if (c.rejection) {
             return "REJECTED " + c.rejection->reason + ": " + c.rejection->detail();
         }
         return fmt::format("{}", fmt::join(c.warnings, ","));
     }},
    {"verdict", CellRequires::nothing, [](const Candidate& c, const std::string&, int) {
         if (!c.accepted()) {
             return "rejected: " + c.rejection->reason + ": " + c.rejection->detail();
         }
         return c.warnings.empty() ? std::string("accepted")
                                   : "accepted; warnings: " + fmt::format("{}", fmt::join(c.warnings, ", "));
     }},
};

const CsvValue& csv_value(const std::string& name) {
    for (const CsvValue& value : k_csv_values) {
        if (value.name == name) {
            return value;
        }
    }
    throw std::logic_error(fmt::format("{}: unknown csv value '{}'", k_file, name));
}

std::vector<CandidateColumn> parse_columns() {
    for (std::size_t index = 0; index < embedded::k_file_count; ++index) {
        const embedded::File& file = embedded::k_files[index];
        if (file.name != k_file) {
            continue;
        }
        const nlohmann::json document = nlohmann::json::parse(std::string_view(file.data, file.size));
        std::vector<CandidateColumn> columns;
        for (const nlohmann::json& entry : document.at("columns")) {
            CandidateColumn column{
                .header = entry.at("header").get<std::string>(),
                .json_key = entry.at("json_key").get<std::string>(),
                .unit = entry.at("unit").get<std::string>(),
                .align = named(k_aligns, entry.at("align").get<std::string>(), "align"),
                .format = named(k_formats, entry.at("format").get<std::string>(), "format"),
                .decimals = entry.value("decimals", 0),
                .requires_value = named(k_requires, entry.value("requires", std::string("nothing")), "requires"),
                .views = {},
                .csv = {}};
            for (const nlohmann::json& view : entry.at("views")) {
                column.views.push_back(named(k_views, view.get<std::string>(), "view"));
            }
            for (const nlohmann::json& field : entry.at("csv")) {
                column.csv.push_back({.header = field.at("header").get<std::string>(),
                                      .value = field.at("value").get<std::string>(),
                                      .decimals = field.value("decimals", 0)});
                csv_value(column.csv.back().value);  // an unknown name fails here, at the first use
            }
            columns.push_back(std::move(column));
        }
        return columns;
    }
    throw std::logic_error(fmt::format("{} is not embedded in the binary", k_file));
}

std::string warnings_cell(const Candidate& c) {
    if (c.rejection) {
        return "REJECTED " + c.rejection->reason + ": " + c.rejection->detail();
    }
    return c.warnings.empty() ? "-" : fmt::format("{}", fmt::join(c.warnings, ","));
}

std::string verdict_cell(const Candidate& c) {
    if (!c.accepted()) {
        return "rejected: " + c.rejection->reason + ": " + c.rejection->detail();
    }
    return c.warnings.empty() ? "accepted" : "accepted; warnings: " + fmt::format("{}", fmt::join(c.warnings, ", "));
}

// The number a fixed-decimals column shows.
// Whether the candidate has what a cell requires; else the cell is '-' (empty in CSV).
bool has_value(CellRequires requires_value, const Candidate& c) {
    switch (requires_value) {
    case CellRequires::nothing: return true;
    case CellRequires::timing: return c.timed();
    case CellRequires::costed: return c.costed;
    case CellRequires::quality: return c.quality_published;
    }
    return true;
}

double fixed_value(const CandidateColumn& column, const Candidate& c) {
    const PerformanceEstimate& p = c.estimate.performance;
    if (column.json_key == "ttft_ms") {
        return p.ttft_ms;
    }
    if (column.json_key == "ttft_at_load_ms") {
        return c.ttft_at_load_ms;
    }
    if (column.json_key == "tpot_ms") {
        return p.tpot_ms;
    }
    if (column.json_key == "latency_ms") {
        return p.latency_ms;
    }
    if (column.json_key == "qps") {
        return p.qps;
    }
    if (column.json_key == "quality") {
        return c.quality;
    }
    throw std::logic_error(fmt::format("{}: no fixed value for '{}'", k_file, column.json_key));
}

// The dollars a usd column shows.
double usd_value(const CandidateColumn& column, const Candidate& c) {
    if (column.json_key == "cost.total_usd") {
        return c.cost.total_usd;
    }
    if (column.json_key == "cost.yearly_usd") {
        return c.cost.yearly_usd;
    }
    if (column.json_key == "cost.weighted_index_usd") {
        return c.cost.weighted_index_usd;
    }
    if (column.json_key == "cost.training_usd") {
        return c.cost.training_usd;
    }
    throw std::logic_error(fmt::format("{}: no dollar value for '{}'", k_file, column.json_key));
}
}  // namespace

const std::vector<CandidateColumn>& candidate_columns() {
    static const std::vector<CandidateColumn> columns = parse_columns();
    return columns;
}

std::vector<const CandidateColumn*> candidate_columns(CandidateView view) {
    std::vector<const CandidateColumn*> out;
    for (const CandidateColumn& column : candidate_columns()) {
        if (std::find(column.views.begin(), column.views.end(), view) != column.views.end()) {
            out.push_back(&column);
        }
    }
    return out;
}

std::vector<Column> candidate_table_columns(CandidateView view) {
    std::vector<Column> out;
    for (const CandidateColumn* column : candidate_columns(view)) {
        out.push_back({column->header, column->align});
    }
    return out;
}

std::string candidate_cell(const CandidateColumn& column, const Candidate& c, const std::string& rank) {
    if (!has_value(column.requires_value, c)) {
        return "-";
    }
    switch (column.format) {
    case CellFormat::rank: return rank;
    case CellFormat::model: return c.model->id;
    case CellFormat::variant: return c.variant->id;
    case CellFormat::hardware_gpus: return fmt::format("{} x{}", c.hardware->id, c.gpus_per_replica);
    case CellFormat::label: return c.label();
    case CellFormat::count: return std::to_string(c.replicas);
    case CellFormat::gpus_total: return std::to_string(c.replicas * c.gpus_per_replica);
    case CellFormat::batch: return std::to_string(c.batch);
    case CellFormat::fixed: return fixed(fixed_value(column, c), column.decimals);
    case CellFormat::gib: return gib(c.estimate.memory.per_gpu_bytes);
    case CellFormat::usd: return usd(usd_value(column, c));
    case CellFormat::training_usd: return training_cell(c.cost);
    case CellFormat::warnings: return warnings_cell(c);
    case CellFormat::verdict: return verdict_cell(c);
    }
    return "-";
}

std::vector<std::string> candidate_row(const Candidate& c, const std::string& rank, CandidateView view) {
    std::vector<std::string> cells;
    for (const CandidateColumn* column : candidate_columns(view)) {
        cells.push_back(candidate_cell(*column, c, rank));
    }
    return cells;
}

std::vector<std::string> candidate_csv_header(CandidateView view) {
    std::vector<std::string> out;
    for (const CandidateColumn* column : candidate_columns(view)) {
        for (const CsvField& field : column->csv) {
            out.push_back(field.header);
        }
    }
    return out;
}

std::vector<std::string> candidate_csv_row(const Candidate& c, const std::string& rank, CandidateView view) {
    std::vector<std::string> out;
    for (const CandidateColumn* column : candidate_columns(view)) {
        for (const CsvField& field : column->csv) {
            const CsvValue& value = csv_value(field.value);
            const bool missing = !has_value(value.requires_value, c);
            out.push_back(missing ? std::string() : value.text(c, rank, field.decimals));
        }
    }
    return out;
}

}  // namespace dsselect::report
