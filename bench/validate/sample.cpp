// The measured sample, its mapping onto the catalog and the fit/hold-out split.
#include "sample.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>
#include <tuple>

#include <fmt/core.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dsselect/core/error.hpp"

namespace validate {

namespace {

using dsselect::Error;
using dsselect::ErrorKind;

// ---------------------------------------------------------------------------------------
// CSV (RFC 4180: quoted fields, doubled quotes, CRLF or LF).

struct CsvTable {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> records;
    std::vector<std::int64_t> record_lines;  // 1-based line where each record starts
};

CsvTable parse_csv(const std::string& text, const std::string& name) {
    CsvTable table;
    std::vector<std::vector<std::string>> rows;
    std::vector<std::int64_t> lines;
    std::vector<std::string> record;
    std::string field;
    bool in_quotes = false;
    bool field_was_quoted = false;
    std::int64_t line = 1;
    std::int64_t record_line = 1;
    auto end_field = [&] {
        record.push_back(field);
        field.clear();
        field_was_quoted = false;
    };
    auto end_record = [&] {
        end_field();
        if (!(record.size() == 1 && record[0].empty())) {
            rows.push_back(std::move(record));
            lines.push_back(record_line);
        }
        record.clear();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_quotes) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    field.push_back('"');
                    ++i;
                } else {
                    in_quotes = false;
                }
            } else {
                if (c == '\n') {
                    ++line;
                }
                field.push_back(c);
            }
            continue;
        }
        switch (c) {
        case '"':
            if (!field.empty() || field_was_quoted) {
                throw Error(ErrorKind::invalid_data,
                            fmt::format("{}:{}: a quote inside an unquoted field", name, line));
            }
            in_quotes = true;
            field_was_quoted = true;
            break;
        case ',': end_field(); break;
        case '\r': break;
        case '\n':
            end_record();
            ++line;
            record_line = line;
            break;
        default: field.push_back(c); break;
        }
    }
    if (in_quotes) {
        throw Error(ErrorKind::invalid_data, fmt::format("{}:{}: unterminated quoted field", name, record_line));
    }
    if (!field.empty() || !record.empty()) {
        end_record();
    }
    if (rows.empty()) {
        throw Error(ErrorKind::invalid_data, fmt::format("{}: empty file, expected a header line", name));
    }
    table.header = std::move(rows.front());
    for (std::size_t r = 1; r < rows.size(); ++r) {
        if (rows[r].size() != table.header.size()) {
            throw Error(ErrorKind::invalid_data, fmt::format("{}:{}: expected {} fields as in the header, got {}", name,
                                                             lines[r], table.header.size(), rows[r].size()));
        }
        table.records.push_back(std::move(rows[r]));
        table.record_lines.push_back(lines[r]);
    }
    return table;
}

std::optional<double> parse_number(const std::string& text) {
    if (text.empty()) {
        return std::nullopt;
    }
    std::size_t used = 0;
    double value = 0;
    try {
        value = std::stod(text, &used);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (used != text.size() || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

std::vector<Row> rows_of(const CsvTable& table, const std::string& name) {
    auto column = [&](std::string_view wanted) -> std::size_t {
        for (std::size_t i = 0; i < table.header.size(); ++i) {
            if (table.header[i] == wanted) {
                return i;
            }
        }
        throw Error(ErrorKind::invalid_data, fmt::format("{}:1: missing column '{}'", name, wanted));
    };
    const std::size_t c_model = column("model_path");
    const std::size_t c_system = column("system");
    const std::size_t c_backend = column("backend");
    const std::size_t c_precision = column("precision");
    const std::size_t c_mode = column("mode");
    const std::size_t c_isl = column("isl");
    const std::size_t c_osl = column("osl");
    const std::size_t c_batch = column("batch_size");
    const std::size_t c_tp = column("tp_size");
    const std::size_t c_pp = column("pp_size");
    const std::size_t c_dp = column("attention_dp_size");
    const std::size_t c_moe_tp = column("moe_tp_size");
    const std::size_t c_ep = column("moe_ep_size");
    const std::size_t c_ttft = column("silicon_ttft_ms");
    const std::size_t c_tpot = column("silicon_tpot_ms");
    const std::size_t c_source = column("silicon_data_source");

    std::vector<Row> rows;
    rows.reserve(table.records.size());
    for (std::size_t r = 0; r < table.records.size(); ++r) {
        const auto& record = table.records[r];
        const std::int64_t line = table.record_lines[r];
        // Required in every row: positive lengths and positive measured times.
        auto required = [&](std::size_t c) {
            const auto value = parse_number(record[c]);
            if (!value || *value <= 0) {
                throw Error(ErrorKind::invalid_data, fmt::format("{}:{}: column '{}': expected a positive number, got '{}'",
                                                                 name, line, table.header[c], record[c]));
            }
            return *value;
        };
        // Optional (empty in disaggregated rows), but a number when present.
        auto optional_count = [&](std::size_t c) -> std::int64_t {
            if (record[c].empty()) {
                return 0;
            }
            const auto value = parse_number(record[c]);
            if (!value || *value < 0 || *value != std::floor(*value)) {
                throw Error(ErrorKind::invalid_data, fmt::format("{}:{}: column '{}': expected a whole number, got '{}'",
                                                                 name, line, table.header[c], record[c]));
            }
            return static_cast<std::int64_t>(*value);
        };
        Row row;
        row.line = line;
        row.model_path = record[c_model];
        row.system = record[c_system];
        row.backend = record[c_backend];
        row.precision = record[c_precision];
        row.mode = record[c_mode];
        row.isl = static_cast<std::int64_t>(required(c_isl));
        row.osl = static_cast<std::int64_t>(required(c_osl));
        row.ttft_ms = required(c_ttft);
        row.tpot_ms = required(c_tpot);
        row.batch = optional_count(c_batch);
        row.tp = optional_count(c_tp);
        row.pp = optional_count(c_pp);
        row.attention_dp = optional_count(c_dp);
        row.moe_tp = optional_count(c_moe_tp);
        row.moe_ep = optional_count(c_ep);
        row.source = record[c_source];
        if (row.model_path.empty() || row.system.empty()) {
            throw Error(ErrorKind::invalid_data, fmt::format("{}:{}: empty model_path or system", name, line));
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

// A catalog id from a Hugging Face id: the part after the owner, lower case; then the same
// without packaging suffixes (-Instruct, -FP8, -NVFP4), which do not change the shape.
std::vector<std::string> model_id_candidates(const std::string& model_path) {
    std::string slug = model_path.substr(model_path.find('/') == std::string::npos ? 0 : model_path.find('/') + 1);
    for (char& c : slug) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) {
            c = '-';
        }
    }
    std::vector<std::string> out{slug};
    constexpr std::array<std::string_view, 4> k_suffixes{"-instruct", "-fp8", "-nvfp4", "-fp4"};
    bool stripped = true;
    while (stripped) {
        stripped = false;
        for (std::string_view suffix : k_suffixes) {
            if (slug.size() > suffix.size() &&
                slug.compare(slug.size() - suffix.size(), suffix.size(), suffix) == 0) {
                slug.erase(slug.size() - suffix.size());
                out.push_back(slug);
                stripped = true;
            }
        }
    }
    return out;
}

// aiconfigurator system names -> catalog hardware ids.
std::string hardware_id_for(const std::string& system) {
    static const std::map<std::string, std::string> k_systems{
        {"h100_sxm", "h100-sxm"}, {"h200_sxm", "h200"}, {"b200_sxm", "b200"}, {"gb200", "gb200"}};
    const auto it = k_systems.find(system);
    if (it != k_systems.end()) {
        return it->second;
    }
    std::string id = system;
    std::replace(id.begin(), id.end(), '_', '-');
    return id;
}

// What a repeated measurement is, and what the layout of a copy is (see select_cases).
// The measured figures to 12 significant digits: the CSV writes some copies of one measurement
// with a different last digit (…654977 and …654975).
using MeasurementKey =
    std::tuple<std::string, std::string, std::string, std::string, std::int64_t, std::int64_t, std::string, std::string>;
using LayoutKey = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t>;

MeasurementKey measurement_of(const Row& row) {
    return {row.system,  row.backend, row.precision, row.mode, row.isl, row.osl, fmt::format("{:.12g}", row.ttft_ms),
            fmt::format("{:.12g}", row.tpot_ms)};
}

LayoutKey layout_of(const Row& row) {
    return {row.batch, row.tp, row.pp, row.attention_dp, row.moe_tp, row.moe_ep};
}

// For each row, why it is not the one copy of its measurement that is kept ("" when it is).
std::vector<std::string> repeated_measurements(const std::vector<Row>& rows) {
    struct Copies {
        std::vector<std::size_t> rows;
        bool layouts_agree = true;
    };
    std::map<MeasurementKey, Copies> by_measurement;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        Copies& copies = by_measurement[measurement_of(rows[i])];
        if (!copies.rows.empty() && layout_of(rows[copies.rows.front()]) != layout_of(rows[i])) {
            copies.layouts_agree = false;
        }
        copies.rows.push_back(i);
    }
    std::vector<std::string> why(rows.size());
    for (const auto& [key, copies] : by_measurement) {
        if (copies.rows.size() < 2) {
            continue;
        }
        for (std::size_t k = 0; k < copies.rows.size(); ++k) {
            if (!copies.layouts_agree) {
                why[copies.rows[k]] = "one measurement recorded under conflicting parallel layouts or batch sizes (no copy kept)";
            } else if (k > 0) {
                why[copies.rows[k]] = "repeated measurement (same layout; the first copy is kept)";
            }
        }
    }
    return why;
}

// The fields of a row's silicon_data_source ("key=value; key=value; ..."), split at ';', spaces
// trimmed.
std::vector<std::string_view> source_fields(std::string_view source) {
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    while (start <= source.size()) {
        std::size_t end = source.find(';', start);
        if (end == std::string_view::npos) {
            end = source.size();
        }
        std::string_view field = source.substr(start, end - start);
        while (!field.empty() && field.front() == ' ') {
            field.remove_prefix(1);
        }
        while (!field.empty() && field.back() == ' ') {
            field.remove_suffix(1);
        }
        fields.push_back(field);
        start = end + 1;
    }
    return fields;
}

// The value of the field `key` of a row's source: the text after "key=", leading spaces trimmed;
// none when no field starts with "key=".
std::optional<std::string_view> source_field(std::string_view source, std::string_view key) {
    for (const std::string_view field : source_fields(source)) {
        if (field.size() > key.size() && field.substr(0, key.size()) == key && field[key.size()] == '=') {
            std::string_view value = field.substr(key.size() + 1);
            while (!value.empty() && value.front() == ' ') {
                value.remove_prefix(1);
            }
            return value;
        }
    }
    return std::nullopt;
}

// Whether some field of the source names the engine image `image`: the field is the image, or ends
// with it right after a '/', ':', '=' or ' ' (the sample writes "image=nvcr.io#nvidia/tensorrt-llm/..."
// in some rows and "nvcr.io/nvidia/tensorrt-llm/..." in others), so "...post3" never matches "...post30".
bool source_names_image(std::string_view source, std::string_view image) {
    for (const std::string_view field : source_fields(source)) {
        if (field.size() < image.size() || field.substr(field.size() - image.size()) != image) {
            continue;
        }
        const std::size_t before = field.size() - image.size();
        if (before == 0 || field[before - 1] == '/' || field[before - 1] == ':' || field[before - 1] == '=' ||
            field[before - 1] == ' ') {
            return true;
        }
    }
    return false;
}

// YYYY-MM-DD with a month from 01 to 12 and a day from 01 to 31.
bool is_iso_date(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (i != 4 && i != 7 && std::isdigit(static_cast<unsigned char>(text[i])) == 0) {
            return false;
        }
    }
    const int month = (text[5] - '0') * 10 + (text[6] - '0');
    const int day = (text[8] - '0') * 10 + (text[9] - '0');
    return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// The day a row was measured (its source's "measured=" field, YYYY-MM-DD, a time after 'T' allowed);
// none when the field is absent or is not such a date.
std::optional<std::string_view> measured_day(const Row& row) {
    const auto value = source_field(row.source, "measured");
    if (!value || value->size() < 10 || !is_iso_date(value->substr(0, 10)) || (value->size() > 10 && (*value)[10] != 'T')) {
        return std::nullopt;
    }
    return value->substr(0, 10);
}

// Whether the client concurrency the row's source records ("silicon_concurrency=N") differs from
// the requests the engine ran, batch_size per attention data-parallel rank; a value that is not a
// count counts as differing. A source that records none does not differ.
bool concurrency_differs(const Row& row) {
    const auto value = source_field(row.source, "silicon_concurrency");
    if (!value) {
        return false;
    }
    std::int64_t concurrency = 0;
    if (value->empty()) {
        return true;
    }
    for (const char c : *value) {
        if (std::isdigit(static_cast<unsigned char>(c)) == 0 ||
            concurrency > (std::numeric_limits<std::int64_t>::max() - 9) / 10) {
            return true;
        }
        concurrency = concurrency * 10 + (c - '0');
    }
    return concurrency != row.batch * std::max<std::int64_t>(row.attention_dp, 1);
}

std::string precision_label(const std::string& precision) {
    return precision.empty() ? std::string("bf16") : precision;
}

}  // namespace

std::vector<Row> read_rows(const std::string& text, const std::string& name) {
    return rows_of(parse_csv(text, name), name);
}

const char* to_string(Set set) { return set == Set::fit ? "fit" : "hold-out"; }

Set Split::set_of(const std::string& system) const {
    return std::find(fit_systems.begin(), fit_systems.end(), system) != fit_systems.end() ? Set::fit : Set::hold_out;
}

namespace {

constexpr std::int64_t k_max_requests_per_client = 100;

// A harness JSON file's problem: invalid_data naming the file, the JSON path and what was expected.
Error json_file_error(const std::string& name, const std::string& pointer, const std::string& expected) {
    return Error(ErrorKind::invalid_data, fmt::format("{}: {}: expected {}", name, pointer, expected));
}

// A harness JSON file (split.json, protocols.json) whose document must be an object.
nlohmann::json json_object_file(const std::string& text, const std::string& name, const char* expected_object) {
    auto document = nlohmann::json::parse(text, nullptr, false);
    if (document.is_discarded()) {
        throw json_file_error(name, "/", "a JSON document");
    }
    if (!document.is_object()) {
        throw json_file_error(name, "/", expected_object);
    }
    return document;
}

}  // namespace

Split read_split(const std::string& text, const std::string& name) {
    const auto document = json_object_file(text, name, "an object with \"fit_systems\" and \"reason\"");
    auto fail = [&](const std::string& pointer, const std::string& expected) { return json_file_error(name, pointer, expected); };
    Split split;
    const auto reason = document.find("reason");
    if (reason == document.end() || !reason->is_string() || reason->get<std::string>().empty()) {
        throw fail("/reason", "a non-empty string saying why the rows are split this way");
    }
    split.reason = reason->get<std::string>();
    const auto systems = document.find("fit_systems");
    if (systems == document.end() || !systems->is_array() || systems->empty()) {
        throw fail("/fit_systems", "a non-empty array of system names");
    }
    for (std::size_t i = 0; i < systems->size(); ++i) {
        const auto& system = (*systems)[i];
        if (!system.is_string() || system.get<std::string>().empty()) {
            throw fail(fmt::format("/fit_systems/{}", i), "a system name (a non-empty string)");
        }
        split.fit_systems.push_back(system.get<std::string>());
    }
    return split;
}

namespace {
bool matches(const BenchmarkProtocol& protocol, const Row& row) {
    return std::any_of(protocol.source_contains.begin(), protocol.source_contains.end(),
                       [&](const std::string& text) { return row.source.find(text) != std::string::npos; });
}
}  // namespace

const BenchmarkProtocol* BenchmarkProtocols::for_row(const Row& row) const {
    const auto found = std::find_if(protocols.begin(), protocols.end(), [&](const BenchmarkProtocol& p) { return matches(p, row); });
    return found == protocols.end() ? nullptr : &*found;
}

const BenchmarkProtocol* BenchmarkProtocols::second_match(const Row& row) const {
    const auto first = std::find_if(protocols.begin(), protocols.end(), [&](const BenchmarkProtocol& p) { return matches(p, row); });
    if (first == protocols.end()) {
        return nullptr;
    }
    const auto second = std::find_if(std::next(first), protocols.end(), [&](const BenchmarkProtocol& p) { return matches(p, row); });
    return second == protocols.end() ? nullptr : &*second;
}

const LeftOutRun* BenchmarkProtocols::left_out_run_for(const Row& row) const {
    const BenchmarkProtocol* protocol = for_row(row);
    if (protocol == nullptr) {
        return nullptr;
    }
    for (const std::vector<LeftOutRun>* runs : {&protocol->speculative_decoding_runs, &protocol->unreproduced_runs}) {
        const auto found = std::find_if(runs->begin(), runs->end(), [&](const LeftOutRun& run) { return run.runs.matches(row); });
        if (found != runs->end()) {
            return &*found;
        }
    }
    return nullptr;
}

bool DayRange::contains(std::string_view day) const {
    return (!from || day >= *from) && (!to || day <= *to);
}

bool RunSelector::matches(const Row& row) const {
    if (std::find(model_paths.begin(), model_paths.end(), row.model_path) == model_paths.end() || row.system != system ||
        row.backend != backend || precision_label(row.precision) != precision || !source_names_image(row.source, image)) {
        return false;
    }
    // No readable measured day: when the row ran cannot be told, so it may be of the run.
    const auto day = measured_day(row);
    return !day || measured.contains(*day);
}

std::string RunSelector::describe() const {
    return fmt::format("{} on {} {} {} with {} from {}{}", fmt::join(model_paths, ", "), system, backend, precision, image,
                       measured.from.value_or(""), measured.to ? " to " + *measured.to : std::string());
}

std::string LeftOutRun::reason() const {
    if (!flags) {
        return fmt::format("speculative decoding may have run (not modelled): {} (protocols.json speculative_decoding_runs)",
                           runs.describe());
    }
    return fmt::format("server flags not reproduced ({}): {} (protocols.json unreproduced_runs)", *flags, runs.describe());
}

namespace {

// The array `key` of a protocols.json object: non-empty, of non-empty strings; else `fail` names
// the JSON path, with `expected` for the array itself.
template <typename Fail>
std::vector<std::string> non_empty_strings(const nlohmann::json& object, const std::string& pointer, const char* key,
                                           const char* expected, const Fail& fail) {
    const auto found = object.find(key);
    if (found == object.end() || !found->is_array() || found->empty()) {
        throw fail(pointer + "/" + key, expected);
    }
    std::vector<std::string> values;
    for (std::size_t k = 0; k < found->size(); ++k) {
        const auto& item = (*found)[k];
        if (!item.is_string() || item.get<std::string>().empty()) {
            throw fail(fmt::format("{}/{}/{}", pointer, key, k), "a non-empty string");
        }
        values.push_back(item.get<std::string>());
    }
    return values;
}

// The "measured_from" and "measured_to" days (YYYY-MM-DD) of a protocols.json object, the first
// required when `from_required`; the second not before the first.
template <typename Fail>
DayRange read_day_range(const nlohmann::json& entry, const std::string& pointer, bool from_required, const Fail& fail) {
    const auto day = [&](const char* key, bool required) -> std::optional<std::string> {
        const auto found = entry.find(key);
        if (found == entry.end() && !required) {
            return std::nullopt;
        }
        if (found == entry.end() || !found->is_string() || !is_iso_date(found->get<std::string>())) {
            throw fail(pointer + "/" + key, "a date written YYYY-MM-DD (month 01 to 12, day 01 to 31)");
        }
        return found->get<std::string>();
    };
    DayRange range{.from = day("measured_from", from_required), .to = day("measured_to", false)};
    if (range.from && range.to && *range.to < *range.from) {
        throw fail(pointer + "/measured_to", fmt::format("a day on or after measured_from ({})", *range.from));
    }
    return range;
}

template <typename Fail>
ServerSetting read_server_setting(const nlohmann::json& entry, const std::string& pointer, const Fail& fail) {
    if (!entry.is_object()) {
        throw fail(pointer, "an object");
    }
    static constexpr std::array<std::string_view, 19> k_keys{"model",
                                                             "backend",
                                                             "source",
                                                             "isl",
                                                             "osl",
                                                             "tp_max",
                                                             "system",
                                                             "image",
                                                             "measured_from",
                                                             "measured_to",
                                                             "max_num_batched_tokens",
                                                             "max_num_batched_tokens_headroom",
                                                             "max_num_batched_tokens_isl_multiple",
                                                             "batch_wait_timeout_iters",
                                                             "batch_wait_max_tokens_ratio",
                                                             "kv_cache_dtype",
                                                             "expert_parallel",
                                                             "gpu_memory_utilization",
                                                             "cuda_graph_max_tokens"};
    for (const auto& [key, value] : entry.items()) {
        if (std::find(k_keys.begin(), k_keys.end(), key) == k_keys.end()) {
            throw fail(pointer + "/" + key, fmt::format("one of the server-setting keys ({})", fmt::join(k_keys, ", ")));
        }
    }
    const auto text = [&](const char* key, bool required) -> std::optional<std::string> {
        const auto found = entry.find(key);
        if (found == entry.end() && !required) {
            return std::nullopt;
        }
        if (found == entry.end() || !found->is_string() || found->get<std::string>().empty()) {
            throw fail(pointer + "/" + key, "a non-empty string");
        }
        return found->get<std::string>();
    };
    const auto whole = [&](const char* key, std::int64_t minimum) -> std::optional<std::int64_t> {
        const auto found = entry.find(key);
        if (found == entry.end()) {
            return std::nullopt;
        }
        if (!found->is_number_integer() || found->get<std::int64_t>() < minimum) {
            throw fail(pointer + "/" + key, fmt::format("a whole number of at least {}", minimum));
        }
        return found->get<std::int64_t>();
    };
    ServerSetting setting;
    setting.model = text("model", false).value_or("");  // absent: every model of the family
    setting.backend = *text("backend", true);
    setting.source = *text("source", true);
    setting.isl = whole("isl", 1);
    setting.osl = whole("osl", 1);
    setting.tp_max = whole("tp_max", 1);
    setting.system = text("system", false);
    setting.image = text("image", false);
    setting.measured = read_day_range(entry, pointer, /*from_required=*/false, fail);
    setting.max_num_batched_tokens = whole("max_num_batched_tokens", 1);
    setting.max_num_batched_tokens_headroom = whole("max_num_batched_tokens_headroom", 0);
    setting.max_num_batched_tokens_isl_multiple = whole("max_num_batched_tokens_isl_multiple", 1);
    const int budgets = (setting.max_num_batched_tokens ? 1 : 0) + (setting.max_num_batched_tokens_headroom ? 1 : 0) +
                        (setting.max_num_batched_tokens_isl_multiple ? 1 : 0);
    if (budgets > 1) {
        throw fail(pointer + (setting.max_num_batched_tokens_isl_multiple ? "/max_num_batched_tokens_isl_multiple"
                                                                           : "/max_num_batched_tokens_headroom"),
                   "one token budget: max_num_batched_tokens, max_num_batched_tokens_headroom or "
                   "max_num_batched_tokens_isl_multiple, not two");
    }
    setting.batch_wait_timeout_iters = whole("batch_wait_timeout_iters", 0);
    if (const auto ratio = entry.find("batch_wait_max_tokens_ratio"); ratio != entry.end()) {
        if (!ratio->is_number() || !(ratio->get<double>() >= 0.0) || ratio->get<double>() > 1.0) {
            throw fail(pointer + "/batch_wait_max_tokens_ratio", "a number between 0 and 1");
        }
        setting.batch_wait_max_tokens_ratio = ratio->get<double>();
    }
    setting.kv_cache_dtype = text("kv_cache_dtype", false);
    if (setting.kv_cache_dtype && !dsselect::kv_cache_dtype_bits(*setting.kv_cache_dtype)) {
        throw fail(pointer + "/kv_cache_dtype", "\"fp16\", \"bf16\" or \"fp8\"");
    }
    if (const auto expert = entry.find("expert_parallel"); expert != entry.end()) {
        if (!expert->is_boolean()) {
            throw fail(pointer + "/expert_parallel", "true or false");
        }
        setting.expert_parallel = expert->get<bool>();
    }
    if (const auto share = entry.find("gpu_memory_utilization"); share != entry.end()) {
        if (!share->is_number() || !(share->get<double>() > 0.0) || share->get<double>() > 1.0) {
            throw fail(pointer + "/gpu_memory_utilization", "a number above 0 and at most 1");
        }
        setting.gpu_memory_utilization = share->get<double>();
    }
    setting.cuda_graph_max_tokens = whole("cuda_graph_max_tokens", 1);
    return setting;
}


// A protocols.json list of left-out runs: its key, what an entry is called in a message, and
// whether an entry names its `flags`.
struct LeftOutList {
    const char* key;
    const char* entry_kind;
    bool with_flags;
};
constexpr std::array<LeftOutList, 2> k_left_out_lists{{{"speculative_decoding_runs", "speculative-decoding", false},
                                                       {"unreproduced_runs", "unreproduced-run", true}}};

// An entry of a left-out list; `flags` required in unreproduced_runs and refused in the other.
template <typename Fail>
LeftOutRun read_left_out_run(const nlohmann::json& entry, const std::string& pointer, const LeftOutList& list,
                             const Fail& fail) {
    if (!entry.is_object()) {
        throw fail(pointer, "an object");
    }
    std::vector<std::string_view> keys{"model_paths", "system", "backend", "precision", "image", "measured_from",
                                       "measured_to", "source"};
    if (list.with_flags) {
        keys.emplace_back("flags");
    }
    for (const auto& [key, value] : entry.items()) {
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
            throw fail(pointer + "/" + key, fmt::format("one of the {} keys ({})", list.entry_kind, fmt::join(keys, ", ")));
        }
    }
    const auto text = [&](const char* key) {
        const auto found = entry.find(key);
        if (found == entry.end() || !found->is_string() || found->get<std::string>().empty()) {
            throw fail(pointer + "/" + key, "a non-empty string");
        }
        return found->get<std::string>();
    };
    LeftOutRun run;
    RunSelector& runs = run.runs;
    runs.model_paths = non_empty_strings(entry, pointer, "model_paths", "a non-empty array of the CSV's model_path values", fail);
    runs.system = text("system");
    runs.backend = text("backend");
    if (runs.backend != "sglang" && runs.backend != "trtllm" && runs.backend != "vllm") {
        throw fail(pointer + "/backend", "\"sglang\", \"trtllm\" or \"vllm\"");
    }
    runs.precision = text("precision");
    if (runs.precision != "bf16" && runs.precision != "fp8") {
        throw fail(pointer + "/precision", "\"bf16\" or \"fp8\"");
    }
    runs.image = text("image");
    runs.measured = read_day_range(entry, pointer, /*from_required=*/true, fail);
    if (list.with_flags) {
        run.flags = text("flags");
    }
    run.source = text("source");
    return run;
}

}  // namespace

bool ServerSetting::matches(const Case& c) const {
    if (!((model.empty() || c.model->id == model) && c.row->backend == backend && (!isl || c.row->isl == *isl) &&
          (!osl || c.row->osl == *osl) && (!tp_max || c.row->tp <= *tp_max) && (!system || c.row->system == *system) &&
          (!image || source_names_image(c.row->source, *image)))) {
        return false;
    }
    if (!measured.bounded()) {
        return true;
    }
    const auto day = measured_day(*c.row);  // no readable day: which script ran the row cannot be told
    return day && measured.contains(*day);
}

BenchmarkProtocols read_protocols(const std::string& text, const std::string& name) {
    const auto document = json_object_file(text, name, "an object with \"reason\" and \"protocols\"");
    auto fail = [&](const std::string& pointer, const std::string& expected) { return json_file_error(name, pointer, expected); };
    auto non_empty_string = [&](const nlohmann::json& object, const std::string& pointer, const char* key) {
        const auto found = object.find(key);
        if (found == object.end() || !found->is_string() || found->get<std::string>().empty()) {
            throw fail(pointer + "/" + key, "a non-empty string");
        }
        return found->get<std::string>();
    };
    BenchmarkProtocols result;
    result.reason = non_empty_string(document, "", "reason");
    const auto protocols = document.find("protocols");
    if (protocols == document.end() || !protocols->is_array() || protocols->empty()) {
        throw fail("/protocols", "a non-empty array of protocols");
    }
    for (std::size_t i = 0; i < protocols->size(); ++i) {
        const auto& entry = (*protocols)[i];
        const std::string pointer = fmt::format("/protocols/{}", i);
        if (!entry.is_object()) {
            throw fail(pointer, "an object");
        }
        BenchmarkProtocol protocol;
        protocol.id = non_empty_string(entry, pointer, "id");
        for (const BenchmarkProtocol& earlier : result.protocols) {
            if (earlier.id == protocol.id) {
                throw fail(pointer + "/id", fmt::format("an id no other protocol has ('{}' is taken)", protocol.id));
            }
        }
        protocol.source = non_empty_string(entry, pointer, "source");
        protocol.source_contains = non_empty_strings(entry, pointer, "source_contains",
                                                     "a non-empty array of strings found in silicon_data_source", fail);
        const auto requests = entry.find("requests_per_client");
        // Up to 100 (the documented clients send 10 to 50): the harness simulates every request
        // of every row, so a larger figure would only make it slow.
        if (requests == entry.end() || !requests->is_number_integer() || requests->get<std::int64_t>() < 1 ||
            requests->get<std::int64_t>() > k_max_requests_per_client) {
            throw fail(pointer + "/requests_per_client", fmt::format("a whole number from 1 to {}", k_max_requests_per_client));
        }
        protocol.loop.requests_per_client = requests->get<std::int64_t>();
        const auto low = entry.find("length_low_fraction");
        if (low == entry.end() || !low->is_number() || !(low->get<double>() > 0.0) || low->get<double>() > 1.0) {
            throw fail(pointer + "/length_low_fraction", "a number above 0 and at most 1 (1: fixed lengths)");
        }
        protocol.loop.length_low_fraction = low->get<double>();
        const auto seed = entry.find("seed");
        if (seed == entry.end() || !seed->is_number_unsigned()) {
            throw fail(pointer + "/seed", "a whole number of at least 0 (the length draws' seed)");
        }
        protocol.loop.seed = seed->get<std::uint64_t>();
        if (const auto settings = entry.find("server_settings"); settings != entry.end()) {
            if (!settings->is_array()) {
                throw fail(pointer + "/server_settings", "an array of server settings");
            }
            for (std::size_t k = 0; k < settings->size(); ++k) {
                protocol.server_settings.push_back(read_server_setting((*settings)[k], fmt::format("{}/server_settings/{}", pointer, k), fail));
            }
        }
        for (const LeftOutList& list : k_left_out_lists) {
            const auto runs = entry.find(list.key);
            if (runs == entry.end()) {
                continue;
            }
            if (!runs->is_array()) {
                throw fail(fmt::format("{}/{}", pointer, list.key), fmt::format("an array of {} entries", list.entry_kind));
            }
            auto& into = list.with_flags ? protocol.unreproduced_runs : protocol.speculative_decoding_runs;
            for (std::size_t k = 0; k < runs->size(); ++k) {
                into.push_back(read_left_out_run((*runs)[k], fmt::format("{}/{}/{}", pointer, list.key, k), list, fail));
            }
        }
        result.protocols.push_back(std::move(protocol));
    }
    return result;
}

namespace {

constexpr const char* k_concurrency_reason =
    "client concurrency (silicon_concurrency) differs from batch_size (how the engine held the other requests is not "
    "recorded)";

// For each row, the rule on the row itself that leaves it out ("" when none): a run that may have
// used speculative decoding or whose server flags are not reproduced, or a client concurrency other
// than the engine's batch. A measurement
// is one whatever copy of it the CSV writes, so when any copy is left out every copy is, under the
// first copy's reason, before repeated copies are folded (a copy that names no image or
// concurrency cannot bring the measurement back, nor can the copies' order).
std::vector<std::string> row_rule_reasons(const std::vector<Row>& rows, const BenchmarkProtocols& protocols) {
    std::vector<std::string> why(rows.size());
    std::map<MeasurementKey, std::string> by_measurement;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (const LeftOutRun* run = protocols.left_out_run_for(rows[i]); run != nullptr) {
            why[i] = run->reason();
        } else if (concurrency_differs(rows[i])) {
            why[i] = k_concurrency_reason;
        }
        if (!why[i].empty()) {
            by_measurement.emplace(measurement_of(rows[i]), why[i]);
        }
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (const auto found = by_measurement.find(measurement_of(rows[i])); found != by_measurement.end()) {
            why[i] = found->second;
        }
    }
    return why;
}

}  // namespace

Selection select_cases(const std::vector<Row>& rows, const dsselect::Catalog& catalog, const Split& split,
                       const BenchmarkProtocols& protocols, const Filters& filters) {
    Selection selection;
    // Over the whole CSV, so a filter never changes which copy of a measurement is kept.
    const std::vector<std::string> row_rules = row_rule_reasons(rows, protocols);
    const std::vector<std::string> repeated = repeated_measurements(rows);
    for (std::size_t index = 0; index < rows.size(); ++index) {
        const Row& row = rows[index];
        auto skip = [&](const std::string& reason) { ++selection.skipped[reason]; };
        if (!filters.system.empty() && row.system != filters.system) {
            skip("filtered out (--filter-system)");
            continue;
        }
        if (!filters.model_text.empty() && row.model_path.find(filters.model_text) == std::string::npos) {
            skip("filtered out (--filter-model)");
            continue;
        }
        if (row.mode != "agg") {
            skip("mode " + row.mode + " (disaggregated serving is not modelled)");
            continue;
        }
        if (!row_rules[index].empty()) {
            skip(row_rules[index]);
            continue;
        }
        if (!repeated[index].empty()) {
            skip(repeated[index]);
            continue;
        }
        const std::string precision = precision_label(row.precision);
        if (precision != "bf16" && precision != "fp8") {
            skip("precision " + precision + " (no variant / no peak in the catalog)");
            continue;
        }
        const dsselect::Model* model = nullptr;
        for (const std::string& id : model_id_candidates(row.model_path)) {
            if ((model = catalog.find_model(id)) != nullptr) {
                break;
            }
        }
        if (model == nullptr) {
            skip("model not in the catalog: " + row.model_path);
            continue;
        }
        const dsselect::Hardware* hardware = catalog.find_hardware(hardware_id_for(row.system));
        if (hardware == nullptr) {
            skip("system not in the catalog: " + row.system);
            continue;
        }
        if (row.pp != 1) {
            skip("pp_size != 1");
            continue;
        }
        if (row.tp < 1 || row.batch < 1) {
            skip("tp_size or batch_size missing");
            continue;
        }
        if (row.attention_dp > 1) {
            skip("attention_dp_size > 1 (attention data parallelism is not modelled)");
            continue;
        }
        if (row.tp > hardware->max_devices_per_node) {
            // The CSV records several of these measurements a second time with a single-node
            // layout (e.g. tp 64 / moe tp 8 / ep 8 beside tp 8 / ep 8, same figures to the last
            // digit), so a multi-node layout in this sample cannot be trusted.
            skip("tp_size above one node of the system (the sample's multi-node layouts are unreliable)");
            continue;
        }
        selection.cases.push_back(Case{
            .row = &row,
            .model = model,
            .variant = &catalog.variant(precision),
            .hardware = hardware,
            .precision = precision,
            .subset = fmt::format("{} | {} | {} | {}", model->id, row.system, precision, row.backend),
            .dense = !model->architecture.is_moe(),
            .set = split.set_of(row.system),
        });
    }
    return selection;
}

}  // namespace validate
