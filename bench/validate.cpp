// dsselect_validate: compares dsselect::estimate() with measured serving data (issue 8).
//
// Reads NVIDIA aiconfigurator's silicon sample (tests/validation/data/, Apache-2.0, see its
// README for the attribution), models every row it can (known model and system, mode agg,
// pp_size 1, no attention data parallelism, BF16 or FP8), and prints the error of the
// predicted TTFT and TPOT per subset (model x system x precision x backend). With --fit it
// grid-searches eta_c, eta_m and the per-step overhead on the rows of one system and reports
// the errors in sample (that system) and out of sample (every other system).
//
// Not modelled by the estimator, so not by this program either: expert parallelism (EP) and
// its all-to-all, attention data parallelism, multi-node links (TP 64/72 rows are priced at
// the NVLink figure), speculative decoding (MTP), the engine's scheduler policy.
//
// Usage: dsselect_validate [--csv PATH] [--catalog PATH] [--sample N] [--filter-system S]
//          [--filter-model TEXT] [--format markdown|json] [--compute-efficiency X]
//          [--memory-efficiency X] [--step-overhead-ms X] [--allreduce-latency-us X]
//          [--ttft-model request|batch|prompt-x-batch|wave|sqrt-batch] [--ttft-fixed-ms X]
//          [--fit] [--fit-allreduce] [--fit-ttft-fixed] [--fit-system S]
//          [--fit-target both|ttft|tpot] [--dump PATH]
// Exit codes: 0 success, 2 usage, 65 malformed CSV or catalog, 66 file missing.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

#include "dsselect/catalog/loader.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/estimate/estimator.hpp"

namespace {

using dsselect::Error;
using dsselect::ErrorKind;

// How the measured TTFT (closed loop: `batch_size` clients, each sending its next request as
// soon as the previous one ends) is predicted from the estimator.
enum class TtftModel {
    burst,           // the sample's protocol: B requests at once into an empty engine (burst_mean_ttft_ms)
    request,         // the estimator's TTFT: one request's prefill of isl tokens
    batch,           // the whole batch's prefill: B x (prefill compute + communication)
    prompt_x_batch,  // estimate() called with prompt = isl * B, batch 1 (overcounts attention by B)
    wave,            // (B + 1) / 2 prefills: the mean position in a burst of B arrivals
    sqrt_batch,      // sqrt(B) prefills: empirical, between one request and the whole batch
};
constexpr std::array<std::pair<std::string_view, TtftModel>, 6> k_ttft_models{{
    {"burst", TtftModel::burst},
    {"request", TtftModel::request},
    {"batch", TtftModel::batch},
    {"prompt-x-batch", TtftModel::prompt_x_batch},
    {"wave", TtftModel::wave},
    {"sqrt-batch", TtftModel::sqrt_batch},
}};

std::string_view to_string(TtftModel model) {
    for (const auto& [name, value] : k_ttft_models) {
        if (value == model) {
            return name;
        }
    }
    return "request";
}

enum class Format { markdown, json };
enum class FitTarget { both, ttft, tpot };

struct Options {
    std::string csv_path = "tests/validation/data/aiconfigurator-silicon-sample.csv";
    std::string catalog_path = "tests/validation/catalog.json";
    std::int64_t sample = 0;  // 0: every row
    bool engine_profiles = false;  // each row uses its backend's shipped engine profile
    std::string filter_system;
    std::string filter_model;
    Format format = Format::markdown;
    dsselect::EfficiencyProfile profile = dsselect::default_profile(dsselect::HardwareKind::gpu);
    TtftModel ttft_model = TtftModel::burst;
    // Added to every predicted TTFT: request path outside the GPU work (HTTP, tokenizer,
    // admission, first streamed chunk). Not an estimator input yet; 0 reproduces the estimator.
    double ttft_fixed_ms = 0.0;
    bool fit = false;
    std::string fit_system = "h100_sxm";
    FitTarget fit_target = FitTarget::tpot;
    bool fit_allreduce = false;    // also fit allreduce_latency_us
    bool fit_ttft_fixed = false;   // then fit ttft_fixed_ms with the other factors fixed
    std::string dump_path;
};

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

// ---------------------------------------------------------------------------------------
// Measured rows.

struct Row {
    std::int64_t line = 0;
    std::string model_path;
    std::string system;
    std::string backend;
    std::string precision;  // "" = BF16
    std::string mode;
    std::int64_t isl = 0;
    std::int64_t osl = 0;
    std::int64_t batch = 0;  // 0: absent (disaggregated rows)
    std::int64_t tp = 0;
    std::int64_t pp = 0;
    std::int64_t attention_dp = 0;
    std::int64_t moe_ep = 0;
    double ttft_ms = 0;
    double tpot_ms = 0;
};

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

std::vector<Row> read_rows(const CsvTable& table, const std::string& name) {
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
    const std::size_t c_ep = column("moe_ep_size");
    const std::size_t c_ttft = column("silicon_ttft_ms");
    const std::size_t c_tpot = column("silicon_tpot_ms");

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
        row.moe_ep = optional_count(c_ep);
        if (row.model_path.empty() || row.system.empty()) {
            throw Error(ErrorKind::invalid_data, fmt::format("{}:{}: empty model_path or system", name, line));
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

// ---------------------------------------------------------------------------------------
// Mapping rows to catalog entries.

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

std::string precision_label(const std::string& precision) {
    return precision.empty() ? std::string("bf16") : precision;
}

// One row the estimator can model.
struct Case {
    const Row* row = nullptr;
    const dsselect::Model* model = nullptr;
    const dsselect::Variant* variant = nullptr;
    const dsselect::Hardware* hardware = nullptr;
    std::string subset;  // model | system | precision | backend
    bool dense = true;
};

struct Selection {
    std::vector<Case> cases;
    std::map<std::string, std::int64_t> skipped;  // reason -> rows
};

Selection select_cases(const std::vector<Row>& rows, const dsselect::Catalog& catalog, const Options& options) {
    Selection selection;
    for (const Row& row : rows) {
        auto skip = [&](const std::string& reason) { ++selection.skipped[reason]; };
        if (!options.filter_system.empty() && row.system != options.filter_system) {
            skip("filtered out (--filter-system)");
            continue;
        }
        if (!options.filter_model.empty() && row.model_path.find(options.filter_model) == std::string::npos) {
            skip("filtered out (--filter-model)");
            continue;
        }
        if (row.mode != "agg") {
            skip("mode " + row.mode + " (disaggregated serving is not modelled)");
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
        Case c;
        c.row = &row;
        c.model = model;
        c.variant = &catalog.variant(precision);
        c.hardware = hardware;
        c.dense = !model->architecture.is_moe();
        c.subset = fmt::format("{} | {} | {} | {}", model->id, row.system, precision, row.backend);
        selection.cases.push_back(c);
    }
    // Deterministic sample: every k-th modelled row.
    if (options.sample > 0 && static_cast<std::int64_t>(selection.cases.size()) > options.sample) {
        const std::size_t k = selection.cases.size() / static_cast<std::size_t>(options.sample);
        std::vector<Case> kept;
        for (std::size_t i = 0; i < selection.cases.size() && kept.size() < static_cast<std::size_t>(options.sample);
             i += k) {
            kept.push_back(selection.cases[i]);
        }
        selection.skipped["not in the --sample"] += static_cast<std::int64_t>(selection.cases.size() - kept.size());
        selection.cases = std::move(kept);
    }
    return selection;
}

// ---------------------------------------------------------------------------------------
// Predictions.

struct Prediction {
    bool ok = false;
    std::string failure;  // feasibility when !ok
    double ttft_ms = 0;
    double tpot_ms = 0;
    // Components (ms) from the estimator's trace, for --dump.
    double prefill_compute_ms = 0;
    double prefill_memory_ms = 0;
    double prefill_comm_ms = 0;
    double decode_memory_ms = 0;
    double decode_compute_ms = 0;
    double decode_comm_ms = 0;
    double decode_step_ms = 0;
};

// With --engine-profiles: each row uses the shipped profile of its backend (data/engines.json),
// TTFT included, instead of the profile given on the command line.
const dsselect::Catalog* g_engine_catalog = nullptr;

dsselect::EstimateRequest request_for(const Case& c, const dsselect::EfficiencyProfile& profile) {
    dsselect::EstimateRequest request;
    request.model = c.model;
    request.variant = c.variant;
    request.hardware = c.hardware;
    request.gpus = c.row->tp;
    request.batch = c.row->batch;
    request.prompt_tokens = c.row->isl;
    request.output_tokens = c.row->osl;
    request.profile = profile;
    if (g_engine_catalog != nullptr) {
        request.profile = dsselect::engine_profile(g_engine_catalog->find_engine(c.row->backend), *c.hardware,
                                                   c.variant->compute_precision);
    }
    return request;
}

double trace_value(const dsselect::Trace& trace, std::string_view name) {
    for (const auto& item : trace) {
        if (item.name == name) {
            return item.value;
        }
    }
    return 0.0;
}

bool needs_trace(TtftModel model) {
    return model == TtftModel::batch || model == TtftModel::wave || model == TtftModel::sqrt_batch;
}

Prediction predict(const Case& c, const dsselect::EfficiencyProfile& profile, TtftModel ttft_model, double ttft_fixed_ms,
                   bool want_trace) {
    Prediction p;
    const dsselect::EstimateRequest request = request_for(c, profile);
    dsselect::Trace trace;
    const bool traced = want_trace || needs_trace(ttft_model);
    const dsselect::Estimate e = dsselect::estimate(request, traced ? &trace : nullptr);
    if (!e.has_timing()) {
        p.failure = dsselect::to_string(e.feasibility);
        return p;
    }
    p.ok = true;
    p.tpot_ms = e.performance.tpot_ms;
    if (traced) {
        p.prefill_compute_ms = trace_value(trace, "prefill_compute_ms");
        p.prefill_memory_ms = trace_value(trace, "prefill_memory_ms");
        p.prefill_comm_ms = trace_value(trace, "prefill_communication_ms");
        p.decode_memory_ms = trace_value(trace, "decode_memory_ms");
        p.decode_compute_ms = trace_value(trace, "decode_compute_ms");
        p.decode_comm_ms = trace_value(trace, "decode_communication_ms");
        p.decode_step_ms = e.performance.decode_step_ms;
    }
    const double batch = static_cast<double>(c.row->batch);
    switch (ttft_model) {
    case TtftModel::request: p.ttft_ms = e.performance.ttft_ms; break;
    case TtftModel::burst: p.ttft_ms = dsselect::burst_mean_ttft_ms(request).value_or(e.performance.ttft_ms); break;
    case TtftModel::batch:
    case TtftModel::wave:
    case TtftModel::sqrt_batch: {
        // k requests prefilled back to back (one chunked-prefill stream): compute and
        // communication scale with k, the weights are read once.
        const double k = ttft_model == TtftModel::batch  ? batch
                         : ttft_model == TtftModel::wave ? (batch + 1.0) / 2.0
                                                         : std::sqrt(batch);
        p.ttft_ms = std::max(k * p.prefill_compute_ms, p.prefill_memory_ms) + k * p.prefill_comm_ms +
                    profile.per_step_overhead_ms;
        break;
    }
    case TtftModel::prompt_x_batch: {
        dsselect::EstimateRequest whole = request;
        whole.prompt_tokens = c.row->isl * c.row->batch;
        whole.batch = 1;
        // The window must still fit the model: keep the row's own context for the check.
        whole.context_tokens = c.row->isl + c.row->osl;
        const dsselect::Estimate w = dsselect::estimate(whole);
        if (!w.has_timing()) {
            p.ok = false;
            p.failure = std::string("prompt-x-batch: ") + dsselect::to_string(w.feasibility);
            return p;
        }
        p.ttft_ms = w.performance.ttft_ms;
        break;
    }
    }
    p.ttft_ms += ttft_fixed_ms;
    return p;
}

// ---------------------------------------------------------------------------------------
// Error statistics. Signed error = (predicted - measured) / measured.

struct ErrorStats {
    std::int64_t n = 0;
    double median_ape = 0;  // median |signed error|
    double mean_signed = 0;
    double p90_ape = 0;     // nearest-rank 90th percentile of |signed error|
};

double nearest_rank(std::vector<double> values, double quantile) {
    if (values.empty()) {
        return 0.0;
    }
    std::sort(values.begin(), values.end());
    const auto rank = static_cast<std::size_t>(std::ceil(quantile * static_cast<double>(values.size())));
    return values[std::min(values.size(), std::max<std::size_t>(rank, 1)) - 1];
}

double median(std::vector<double> values) {
    if (values.empty()) {
        return 0.0;
    }
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

ErrorStats stats_of(const std::vector<double>& signed_errors) {
    ErrorStats s;
    s.n = static_cast<std::int64_t>(signed_errors.size());
    if (signed_errors.empty()) {
        return s;
    }
    std::vector<double> absolute;
    absolute.reserve(signed_errors.size());
    double sum = 0;
    for (double e : signed_errors) {
        absolute.push_back(std::fabs(e));
        sum += e;
    }
    s.mean_signed = sum / static_cast<double>(signed_errors.size());
    s.median_ape = median(absolute);
    s.p90_ape = nearest_rank(absolute, 0.9);
    return s;
}

struct Accumulator {
    std::vector<double> ttft;
    std::vector<double> tpot;
    void add(const Case& c, const Prediction& p) {
        ttft.push_back((p.ttft_ms - c.row->ttft_ms) / c.row->ttft_ms);
        tpot.push_back((p.tpot_ms - c.row->tpot_ms) / c.row->tpot_ms);
    }
};

struct SummaryLine {
    std::string label;
    ErrorStats ttft;
    ErrorStats tpot;
};

struct Report {
    dsselect::EfficiencyProfile profile;
    TtftModel ttft_model = TtftModel::request;
    double ttft_fixed_ms = 0;
    std::vector<SummaryLine> subsets;
    std::vector<SummaryLine> overall;
    std::map<std::string, std::int64_t> skipped;
    std::int64_t rows_read = 0;
    std::int64_t rows_modelled = 0;
    // Fit results (fit_system empty when no fit ran).
    std::string fit_system;
    std::string fit_target;
    std::string fit_factors;
    double fit_objective = 0;
    std::int64_t fit_rows = 0;
    std::int64_t fit_grid_points = 0;
};

Report build_report(const Selection& selection, const std::vector<Prediction>& predictions, const Options& options,
                    std::int64_t rows_read) {
    Report report;
    report.profile = options.profile;
    report.ttft_model = options.ttft_model;
    report.ttft_fixed_ms = options.ttft_fixed_ms;
    report.skipped = selection.skipped;
    report.rows_read = rows_read;
    std::map<std::string, Accumulator> by_subset;
    std::map<std::string, Accumulator> overall;
    const bool split = options.fit;
    for (std::size_t i = 0; i < selection.cases.size(); ++i) {
        const Case& c = selection.cases[i];
        const Prediction& p = predictions[i];
        if (!p.ok) {
            ++report.skipped["estimator: " + p.failure];
            continue;
        }
        ++report.rows_modelled;
        const bool in_sample = c.row->system == options.fit_system;
        const std::string prefix = split ? (in_sample ? "in | " : "out | ") : "";
        by_subset[prefix + c.subset].add(c, p);
        const std::string kind = c.dense ? "dense BF16/FP8" : "MoE FP8";
        const std::string scope =
            split ? (in_sample ? fmt::format(" on {} (in sample)", options.fit_system) : " on other systems (out of sample)")
                  : std::string(" (all systems)");
        overall[kind + scope].add(c, p);
        if (c.dense && !(split && in_sample)) {
            overall["dense BF16/FP8 on " + c.row->system].add(c, p);
        }
    }
    for (auto& [label, acc] : by_subset) {
        report.subsets.push_back({label, stats_of(acc.ttft), stats_of(acc.tpot)});
    }
    for (auto& [label, acc] : overall) {
        report.overall.push_back({label, stats_of(acc.ttft), stats_of(acc.tpot)});
    }
    return report;
}

std::vector<Prediction> predict_all(const std::vector<Case>& cases, const Options& options, bool want_trace) {
    std::vector<Prediction> out;
    out.reserve(cases.size());
    for (const Case& c : cases) {
        out.push_back(predict(c, options.profile, options.ttft_model, options.ttft_fixed_ms, want_trace));
    }
    return out;
}

// ---------------------------------------------------------------------------------------
// Grid search on the dense rows of one system. Objective: the pooled median absolute
// percentage error of TPOT (default), of TTFT, or their sum; rows the estimator cannot time
// count as 100 % errors. TTFT in the data is dominated by effects the estimator does not
// model (docs/validation-study.md), so fitting eta_c to it would make eta_c absorb them:
// the default target is TPOT, and --fit-ttft-fixed then fits the TTFT constant alone.

double objective(const std::vector<Case>& cases, const dsselect::EfficiencyProfile& profile, TtftModel ttft_model,
                 double ttft_fixed_ms, FitTarget target) {
    std::vector<double> ttft;
    std::vector<double> tpot;
    // The TPOT target needs no TTFT: skip the traced TTFT models.
    const TtftModel model = target == FitTarget::tpot ? TtftModel::request : ttft_model;
    for (const Case& c : cases) {
        const Prediction p = predict(c, profile, model, ttft_fixed_ms, false);
        if (!p.ok) {
            ttft.push_back(1.0);
            tpot.push_back(1.0);
            continue;
        }
        ttft.push_back(std::fabs(p.ttft_ms - c.row->ttft_ms) / c.row->ttft_ms);
        tpot.push_back(std::fabs(p.tpot_ms - c.row->tpot_ms) / c.row->tpot_ms);
    }
    switch (target) {
    case FitTarget::both: return median(ttft) + median(tpot);
    case FitTarget::ttft: return median(ttft);
    case FitTarget::tpot: return median(tpot);
    }
    return 0.0;
}

struct FitResult {
    dsselect::EfficiencyProfile profile;
    double ttft_fixed_ms = 0;
    double objective = 0;
    std::int64_t rows = 0;
    std::int64_t grid_points = 0;
    std::string factors;
};

// Values lo, lo + step, ..., hi (inclusive, clamped at `floor`).
std::vector<double> grid(double lo, double hi, double step, double floor) {
    std::vector<double> values;
    for (double v = std::max(lo, floor); v <= hi + 1e-9; v += step) {
        values.push_back(v);
    }
    return values;
}

FitResult fit_profile(const Selection& selection, const Options& options) {
    // Rows the estimator cannot time (does_not_fit) stay out: feasibility does not depend on
    // the fitted factors, so they would only shift the median.
    std::vector<Case> fit_cases;
    for (const Case& c : selection.cases) {
        if (c.dense && c.row->system == options.fit_system &&
            predict(c, options.profile, TtftModel::request, 0.0, false).ok) {
            fit_cases.push_back(c);
        }
    }
    if (fit_cases.empty()) {
        throw Error(ErrorKind::usage, fmt::format("--fit: no dense rows on system '{}'", options.fit_system));
    }
    FitResult best;
    best.rows = static_cast<std::int64_t>(fit_cases.size());
    best.objective = 1e300;
    best.profile = options.profile;
    best.ttft_fixed_ms = options.ttft_fixed_ms;
    auto search = [&](const std::vector<double>& eta_c_values, const std::vector<double>& eta_m_values,
                      const std::vector<double>& overhead_values, const std::vector<double>& allreduce_values) {
        dsselect::EfficiencyProfile profile = best.profile;
        double best_value = 1e300;
        dsselect::EfficiencyProfile best_profile = best.profile;
        for (double eta_c : eta_c_values) {
            for (double eta_m : eta_m_values) {
                for (double overhead : overhead_values) {
                    for (double allreduce : allreduce_values) {
                        profile.compute_efficiency = eta_c;
                        profile.memory_efficiency = eta_m;
                        profile.per_step_overhead_ms = overhead;
                        profile.allreduce_latency_us = allreduce;
                        ++best.grid_points;
                        const double value = objective(fit_cases, profile, options.ttft_model, best.ttft_fixed_ms,
                                                       options.fit_target);
                        if (value < best_value - 1e-12) {
                            best_value = value;
                            best_profile = profile;
                        }
                    }
                }
            }
        }
        best.profile = best_profile;
        best.objective = best_value;
    };
    const double allreduce_now = options.profile.allreduce_latency_us;
    // Coarse grid, then a fine grid around the best point.
    search(grid(0.2, 1.0, 0.1, 0.05), grid(0.4, 1.0, 0.1, 0.05), grid(0.0, 8.0, 1.0, 0.0),
           options.fit_allreduce ? grid(0.0, 60.0, 10.0, 0.0) : std::vector<double>{allreduce_now});
    const dsselect::EfficiencyProfile coarse = best.profile;
    search(grid(coarse.compute_efficiency - 0.1, std::min(1.0, coarse.compute_efficiency + 0.1), 0.02, 0.05),
           grid(coarse.memory_efficiency - 0.1, std::min(1.0, coarse.memory_efficiency + 0.1), 0.02, 0.05),
           grid(coarse.per_step_overhead_ms - 1.0, coarse.per_step_overhead_ms + 1.0, 0.25, 0.0),
           options.fit_allreduce ? grid(coarse.allreduce_latency_us - 10.0, coarse.allreduce_latency_us + 10.0, 2.0, 0.0)
                                 : std::vector<double>{allreduce_now});
    best.factors = options.fit_allreduce ? "compute_efficiency, memory_efficiency, per_step_overhead_ms, allreduce_latency_us"
                                         : "compute_efficiency, memory_efficiency, per_step_overhead_ms";
    if (options.fit_ttft_fixed) {
        // One more factor, with the others fixed: the constant part of TTFT.
        double best_value = 1e300;
        for (double fixed : grid(0.0, 400.0, 5.0, 0.0)) {
            ++best.grid_points;
            const double value = objective(fit_cases, best.profile, options.ttft_model, fixed, FitTarget::ttft);
            if (value < best_value - 1e-12) {
                best_value = value;
                best.ttft_fixed_ms = fixed;
            }
        }
        best.factors += "; then ttft_fixed_ms on the TTFT target";
    }
    return best;
}

// ---------------------------------------------------------------------------------------
// Rendering.

std::string percent(double fraction) { return fmt::format("{:+.1f} %", 100.0 * fraction); }
std::string percent_abs(double fraction) { return fmt::format("{:.1f} %", 100.0 * fraction); }

void render_markdown(const Report& report, std::ostream& out) {
    out << fmt::format("Profile: compute_efficiency {:.2f}, memory_efficiency {:.2f}, per_step_overhead_ms {:.2f}, "
                       "allreduce_latency_us {:.1f}; TTFT model: {}, ttft_fixed_ms {:.0f}\n",
                       report.profile.compute_efficiency, report.profile.memory_efficiency,
                       report.profile.per_step_overhead_ms, report.profile.allreduce_latency_us,
                       to_string(report.ttft_model), report.ttft_fixed_ms);
    if (!report.fit_system.empty()) {
        out << fmt::format("Fitted {} on the {} dense rows of {} ({} grid points, target {} median APE, "
                           "objective {:.4f}).\n",
                           report.fit_factors, report.fit_rows, report.fit_system, report.fit_grid_points,
                           report.fit_target, report.fit_objective);
    }
    out << fmt::format("Rows read {}, modelled {}.\n\n", report.rows_read, report.rows_modelled);
    const bool split = !report.fit_system.empty();
    out << (split ? "| set " : "")
        << "| model | system | precision | backend | n | TTFT MdAPE | TTFT mean signed | TTFT p90 APE | TPOT MdAPE | "
           "TPOT mean signed | TPOT p90 APE |\n";
    out << (split ? "|---" : "") << "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
    auto cells = [](const SummaryLine& line) {
        return fmt::format("{} | {} | {} | {} | {} | {} | {} |", line.ttft.n, percent_abs(line.ttft.median_ape),
                           percent(line.ttft.mean_signed), percent_abs(line.ttft.p90_ape),
                           percent_abs(line.tpot.median_ape), percent(line.tpot.mean_signed),
                           percent_abs(line.tpot.p90_ape));
    };
    for (const SummaryLine& line : report.subsets) {
        out << "| " << line.label << " | " << cells(line) << "\n";
    }
    out << "\n| overall | n | TTFT MdAPE | TTFT mean signed | TTFT p90 APE | TPOT MdAPE | TPOT mean signed | TPOT p90 APE |\n";
    out << "|---|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const SummaryLine& line : report.overall) {
        out << "| " << line.label << " | " << cells(line) << "\n";
    }
    out << "\nSkipped rows by reason:\n\n";
    for (const auto& [reason, count] : report.skipped) {
        out << fmt::format("- {}: {}\n", reason, count);
    }
}

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
            } else {
                out.push_back(c);
            }
        }
    }
    return out + "\"";
}

std::string json_stats(const ErrorStats& s) {
    return fmt::format(R"({{"n": {}, "median_ape": {:.6f}, "mean_signed_error": {:.6f}, "p90_ape": {:.6f}}})", s.n,
                       s.median_ape, s.mean_signed, s.p90_ape);
}

void render_json(const Report& report, std::ostream& out) {
    out << "{\n  \"schema_version\": \"1.0\",\n  \"kind\": \"Validation\",\n";
    out << fmt::format(
        "  \"profile\": {{\"compute_efficiency\": {}, \"memory_efficiency\": {}, \"per_step_overhead_ms\": {}, "
        "\"allreduce_latency_us\": {}, \"ttft_fixed_ms\": {}}},\n",
        report.profile.compute_efficiency, report.profile.memory_efficiency, report.profile.per_step_overhead_ms,
        report.profile.allreduce_latency_us, report.ttft_fixed_ms);
    out << "  \"ttft_model\": " << json_string(to_string(report.ttft_model)) << ",\n";
    if (!report.fit_system.empty()) {
        out << fmt::format("  \"fit\": {{\"system\": {}, \"target\": {}, \"factors\": {}, \"rows\": {}, "
                           "\"grid_points\": {}, \"objective\": {:.6f}}},\n",
                           json_string(report.fit_system), json_string(report.fit_target),
                           json_string(report.fit_factors), report.fit_rows, report.fit_grid_points,
                           report.fit_objective);
    }
    out << fmt::format("  \"rows_read\": {},\n  \"rows_modelled\": {},\n", report.rows_read, report.rows_modelled);
    auto lines = [&](const char* key, const std::vector<SummaryLine>& items) {
        out << "  " << json_string(key) << ": [";
        for (std::size_t i = 0; i < items.size(); ++i) {
            out << (i == 0 ? "\n" : ",\n") << "    {\"label\": " << json_string(items[i].label)
                << ", \"ttft\": " << json_stats(items[i].ttft) << ", \"tpot\": " << json_stats(items[i].tpot) << "}";
        }
        out << "\n  ],\n";
    };
    lines("subsets", report.subsets);
    lines("overall", report.overall);
    out << "  \"skipped\": {";
    bool first = true;
    for (const auto& [reason, count] : report.skipped) {
        out << (first ? "\n" : ",\n") << "    " << json_string(reason) << ": " << count;
        first = false;
    }
    out << "\n  }\n}\n";
}

void write_dump(const std::string& path, const std::vector<Case>& cases, const std::vector<Prediction>& predictions) {
    std::ofstream file(path);
    if (!file) {
        throw Error(ErrorKind::output_failed, fmt::format("{}: cannot open for writing", path));
    }
    file << "line,model,system,precision,backend,isl,osl,batch,tp,ep,dense,measured_ttft_ms,measured_tpot_ms,ok,"
            "predicted_ttft_ms,predicted_tpot_ms,prefill_compute_ms,prefill_memory_ms,prefill_comm_ms,"
            "decode_memory_ms,decode_compute_ms,decode_comm_ms,decode_step_ms\n";
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const Case& c = cases[i];
        const Prediction& p = predictions[i];
        file << fmt::format("{},{},{},{},{},{},{},{},{},{},{},{:.4f},{:.4f},{},{:.4f},{:.4f},{:.5f},{:.5f},{:.5f},{:.5f},"
                            "{:.5f},{:.5f},{:.5f}\n",
                            c.row->line, c.model->id, c.row->system, precision_label(c.row->precision), c.row->backend,
                            c.row->isl, c.row->osl, c.row->batch, c.row->tp, c.row->moe_ep, c.dense ? 1 : 0,
                            c.row->ttft_ms, c.row->tpot_ms, p.ok ? 1 : 0, p.ttft_ms, p.tpot_ms, p.prefill_compute_ms,
                            p.prefill_memory_ms, p.prefill_comm_ms, p.decode_memory_ms, p.decode_compute_ms,
                            p.decode_comm_ms, p.decode_step_ms);
    }
    if (!file) {
        throw Error(ErrorKind::output_failed, fmt::format("{}: write failed", path));
    }
}

// ---------------------------------------------------------------------------------------
// Command line.

double positive_number(const std::string& flag, const std::string& text) {
    const auto value = parse_number(text);
    if (!value || *value < 0) {
        throw Error(ErrorKind::usage, fmt::format("{}: expected a non-negative number, got '{}'", flag, text));
    }
    return *value;
}

Options parse_options(int argc, char** argv) {
    Options options;
    std::vector<std::string> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& flag = args[i];
        auto value = [&]() -> const std::string& {
            if (i + 1 >= args.size()) {
                throw Error(ErrorKind::usage, fmt::format("{}: missing value", flag));
            }
            return args[++i];
        };
        if (flag == "--engine-profiles") {
            options.engine_profiles = true;
        } else if (flag == "--csv") {
            options.csv_path = value();
        } else if (flag == "--catalog") {
            options.catalog_path = value();
        } else if (flag == "--sample") {
            options.sample = static_cast<std::int64_t>(positive_number(flag, value()));
        } else if (flag == "--filter-system") {
            options.filter_system = value();
        } else if (flag == "--filter-model") {
            options.filter_model = value();
        } else if (flag == "--format") {
            const std::string& f = value();
            if (f == "markdown") {
                options.format = Format::markdown;
            } else if (f == "json") {
                options.format = Format::json;
            } else {
                throw Error(ErrorKind::usage, fmt::format("--format: expected markdown or json, got '{}'", f));
            }
        } else if (flag == "--compute-efficiency") {
            options.profile.compute_efficiency = positive_number(flag, value());
        } else if (flag == "--memory-efficiency") {
            options.profile.memory_efficiency = positive_number(flag, value());
        } else if (flag == "--step-overhead-ms") {
            options.profile.per_step_overhead_ms = positive_number(flag, value());
        } else if (flag == "--allreduce-latency-us") {
            options.profile.allreduce_latency_us = positive_number(flag, value());
        } else if (flag == "--ttft-model") {
            const std::string& m = value();
            bool found = false;
            for (const auto& [name, model] : k_ttft_models) {
                if (name == m) {
                    options.ttft_model = model;
                    found = true;
                }
            }
            if (!found) {
                throw Error(ErrorKind::usage,
                            fmt::format("--ttft-model: expected request, batch, prompt-x-batch, wave or sqrt-batch, "
                                        "got '{}'",
                                        m));
            }
        } else if (flag == "--ttft-fixed-ms") {
            options.ttft_fixed_ms = positive_number(flag, value());
        } else if (flag == "--fit") {
            options.fit = true;
        } else if (flag == "--fit-allreduce") {
            options.fit = true;
            options.fit_allreduce = true;
        } else if (flag == "--fit-ttft-fixed") {
            options.fit = true;
            options.fit_ttft_fixed = true;
        } else if (flag == "--fit-system") {
            options.fit_system = value();
        } else if (flag == "--fit-target") {
            const std::string& t = value();
            if (t == "both") {
                options.fit_target = FitTarget::both;
            } else if (t == "ttft") {
                options.fit_target = FitTarget::ttft;
            } else if (t == "tpot") {
                options.fit_target = FitTarget::tpot;
            } else {
                throw Error(ErrorKind::usage, fmt::format("--fit-target: expected both, ttft or tpot, got '{}'", t));
            }
        } else if (flag == "--dump") {
            options.dump_path = value();
        } else if (flag == "--help" || flag == "-h") {
            throw Error(ErrorKind::usage,
                        "usage: dsselect_validate [--csv PATH] [--catalog PATH] [--sample N] [--filter-system S] "
                        "[--filter-model TEXT] [--format markdown|json] [--compute-efficiency X] "
                        "[--memory-efficiency X] [--step-overhead-ms X] [--allreduce-latency-us X] "
                        "[--ttft-model request|batch|prompt-x-batch|wave|sqrt-batch] [--ttft-fixed-ms X] [--fit] "
                        "[--fit-allreduce] [--fit-ttft-fixed] [--fit-system S] [--fit-target both|ttft|tpot] "
                        "[--dump PATH]");
        } else {
            throw Error(ErrorKind::usage, fmt::format("unknown option '{}'", flag));
        }
    }
    if (options.profile.compute_efficiency <= 0 || options.profile.memory_efficiency <= 0) {
        throw Error(ErrorKind::usage, "efficiencies must be positive");
    }
    return options;
}

const char* fit_target_name(FitTarget target) {
    switch (target) {
    case FitTarget::both: return "both";
    case FitTarget::ttft: return "ttft";
    case FitTarget::tpot: return "tpot";
    }
    return "both";
}

int run(int argc, char** argv) {
    Options options = parse_options(argc, argv);
    const dsselect::Catalog catalog = dsselect::load_catalog({dsselect::read_data_file(options.catalog_path)});
    if (options.engine_profiles) {
        g_engine_catalog = &catalog;
    }
    const dsselect::DataSource csv = dsselect::read_data_file(options.csv_path);
    const CsvTable table = parse_csv(csv.text, csv.name);
    const std::vector<Row> rows = read_rows(table, csv.name);
    const Selection selection = select_cases(rows, catalog, options);

    FitResult fit;
    if (options.fit) {
        fit = fit_profile(selection, options);
        options.profile = fit.profile;
        options.ttft_fixed_ms = fit.ttft_fixed_ms;
    }
    const std::vector<Prediction> predictions = predict_all(selection.cases, options, !options.dump_path.empty());
    Report report = build_report(selection, predictions, options, static_cast<std::int64_t>(rows.size()));
    if (options.fit) {
        report.fit_system = options.fit_system;
        report.fit_target = fit_target_name(options.fit_target);
        report.fit_objective = fit.objective;
        report.fit_factors = fit.factors;
        report.fit_rows = fit.rows;
        report.fit_grid_points = fit.grid_points;
    }
    if (!options.dump_path.empty()) {
        write_dump(options.dump_path, selection.cases, predictions);
    }
    std::ostringstream out;
    switch (options.format) {
    case Format::markdown: render_markdown(report, out); break;
    case Format::json: render_json(report, out); break;
    }
    std::cout << out.str();
    std::cout.flush();
    return std::cout ? 0 : dsselect::exit_code(ErrorKind::output_failed);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const Error& error) {
        std::cerr << "dsselect_validate: error: " << error.what() << "\n";
        return dsselect::exit_code(error.kind());
    } catch (const std::exception& error) {
        std::cerr << "dsselect_validate: error: " << error.what() << "\n";
        return dsselect::exit_code(ErrorKind::internal);
    }
}
