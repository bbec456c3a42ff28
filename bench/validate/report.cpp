#include "report.hpp"

#include "dsselect/core/schema_version.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <optional>
#include <set>
#include <tuple>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "dsselect/core/error.hpp"

namespace validate {

namespace {

using Json = nlohmann::ordered_json;

// Sets out[key] to the value when there is one.
template <typename T>
void put_optional(Json& out, const char* key, const std::optional<T>& value) {
    if (value) {
        out[key] = *value;
    }
}

const char* kind_of(const Case& c) { return c.dense ? "dense" : "moe"; }
const char* kind_label(const std::string& kind) { return kind == "dense" ? "dense" : "MoE"; }

// The row's measured capacity: its closed loop of batch_size clients, each request taking the
// measured TTFT + (output_tokens - 1) x TPOT (default: the row's osl).
double measured_capacity_qps(const Case& c, std::optional<double> output_tokens = std::nullopt) {
    return dsselect::closed_loop_qps(
        static_cast<double>(c.row->batch),
        dsselect::request_latency_ms(c.row->ttft_ms, c.row->tpot_ms, output_tokens.value_or(static_cast<double>(c.row->osl))));
}

// The share of the run's wall time the measured request rate needs for its prompts' prefill work
// alone at the profile's rates: the measured rate at the mean output length (the benchmark's
// length draws, dsselect::drawn_length_range), times the estimate's prefill work of one
// prompt scaled to the mean prompt by the square of the length ratio (a lower bound: the work is
// linear in the prompt but for attention's quadratic term). Above 1 no schedule of those steps,
// with no decode and no overhead at all, reaches the measured rate (docs/validation.md,
// "Prefill the measurements imply").
double measured_prefill_load(const Case& c, const Prediction& p) {
    const double prompt_ratio =
        dsselect::drawn_length_range(c.row->isl, p.length_low_fraction).mean() / static_cast<double>(c.row->isl);
    const double qps = measured_capacity_qps(c, dsselect::drawn_length_range(c.row->osl, p.length_low_fraction).mean());
    return qps * p.prefill_work_ms * prompt_ratio * prompt_ratio / 1000.0;
}

struct Errors {
    std::vector<double> ttft;
    std::vector<double> tpot;
    std::vector<double> formula_tpot;
    std::vector<double> capacity;
    std::vector<double> formula_capacity;
    void add(const Case& c, const Prediction& p) {
        ttft.push_back((p.ttft_ms - c.row->ttft_ms) / c.row->ttft_ms);
        tpot.push_back((p.tpot_ms - c.row->tpot_ms) / c.row->tpot_ms);
        formula_tpot.push_back((p.formula_tpot_ms - c.row->tpot_ms) / c.row->tpot_ms);
        const double measured_qps = measured_capacity_qps(c);
        capacity.push_back((p.qps - measured_qps) / measured_qps);
        formula_capacity.push_back((p.formula_qps - measured_qps) / measured_qps);
    }
    Line line(std::string label, Set set, std::string kind, std::string system, const Case* example) const {
        return Line{.label = std::move(label),
                    .set = set,
                    .kind = std::move(kind),
                    .system = std::move(system),
                    .example = example,
                    .ttft = stats_of(ttft),
                    .tpot = stats_of(tpot),
                    .formula_tpot = stats_of(formula_tpot),
                    .capacity = stats_of(capacity),
                    .formula_capacity = stats_of(formula_capacity)};
    }
};

// Summary groups in reading order: hold-out before fit, dense before MoE, all systems first.
using GroupKey = std::tuple<Set, std::string, std::string>;  // set, kind, system ("" = all)

bool hold_out_first(const GroupKey& a, const GroupKey& b) {
    auto rank = [](const GroupKey& k) {
        return std::make_tuple(std::get<0>(k) == Set::fit, std::get<1>(k), std::get<2>(k));
    };
    return rank(a) < rank(b);
}

Json stats_json(const ErrorStats& s) {
    return Json{{"n", s.n}, {"median_ape", s.median_ape}, {"mean_signed_error", s.mean_signed}, {"p90_ape", s.p90_ape}};
}

// Every profile field the estimator reads for these rows. A new field goes here.
Json profile_json(const dsselect::EfficiencyProfile& p) {
    constexpr double k_bytes_per_gib = 1073741824.0;
    return Json{
        {"compute_efficiency", p.compute_efficiency},
        {"quantized_compute_efficiency", p.quantized_compute_efficiency},
        {"memory_efficiency", p.memory_efficiency},
        {"per_step_overhead_ms", p.per_step_overhead_ms},
        {"per_layer_overhead_us", p.per_layer_overhead_us},
        {"moe_layer_overhead_us", p.moe_layer_overhead_us},
        {"eager_layer_overhead_us", p.eager_layer_overhead_us},
        {"eager_moe_layer_overhead_us", p.eager_moe_layer_overhead_us},
        {"cuda_graph_max_tokens", p.cuda_graph_max_tokens},
        {"batch_wait_timeout_iters", p.batch_wait_timeout_iters},
        {"batch_wait_max_tokens_ratio", p.batch_wait_max_tokens_ratio},
        {"allreduce_latency_us", p.allreduce_latency_us},
        {"ttft_fixed_ms", p.ttft_fixed_ms},
        {"ttft_batch_exponent", p.ttft_batch_exponent},
        {"max_batched_tokens", p.max_batched_tokens},
        {"max_num_seqs", p.max_num_seqs},
        {"kv_full_reservation", p.kv_full_reservation},
        {"continuous_batching", p.continuous_batching},
        {"mixed_prefill", p.mixed_prefill},
        {"fp16_accumulate", p.fp16_accumulate},
        {"usable_memory_fraction", p.usable_memory_fraction},
        {"runtime_overhead_gib", p.runtime_overhead_bytes / k_bytes_per_gib},
        {"communication_buffer_gib", p.communication_buffer_bytes / k_bytes_per_gib},
    };
}

Json line_json(const Line& line) {
    Json j{{"label", line.label}, {"set", to_string(line.set)}, {"kind", line.kind}};
    if (line.example != nullptr) {
        j["model"] = line.example->model->id;
        j["system"] = line.example->row->system;
        j["precision"] = line.example->precision;
        j["backend"] = line.example->row->backend;
    } else {
        j["system"] = line.system;
    }
    j["ttft"] = stats_json(line.ttft);
    j["tpot"] = stats_json(line.tpot);
    j["formula_tpot"] = stats_json(line.formula_tpot);
    j["capacity"] = stats_json(line.capacity);
    j["formula_capacity"] = stats_json(line.formula_capacity);
    return j;
}

Json row_json(const Case& c, const Prediction& p) {
    Json j{
        {"line", c.row->line},
        {"subset", c.subset},
        {"system", c.row->system},
        {"set", to_string(c.set)},
        {"kind", kind_of(c)},
        {"isl", c.row->isl},
        {"osl", c.row->osl},
        {"batch", c.row->batch},
        {"tp", c.row->tp},
        {"expert_parallel_size", p.expert_parallel_size},
        {"status", p.ok ? "ok" : p.failure},
        {"measured_ttft_ms", c.row->ttft_ms},
        {"measured_tpot_ms", c.row->tpot_ms},
    };
    j["predicted_ttft_ms"] = p.ok ? Json(p.ttft_ms) : Json(nullptr);
    j["predicted_tpot_ms"] = p.ok ? Json(p.tpot_ms) : Json(nullptr);
    j["formula_tpot_ms"] = p.ok ? Json(p.formula_tpot_ms) : Json(nullptr);
    j["measured_qps"] = measured_capacity_qps(c);
    j["predicted_qps"] = p.ok ? Json(p.qps) : Json(nullptr);
    j["formula_qps"] = p.ok ? Json(p.formula_qps) : Json(nullptr);
    j["measured_prefill_load"] = p.ok ? Json(measured_prefill_load(c, p)) : Json(nullptr);
    return j;
}

std::string percent(double fraction) { return fmt::format("{:+.1f} %", 100.0 * fraction); }
std::string percent_abs(double fraction) { return fmt::format("{:.1f} %", 100.0 * fraction); }

std::string cells(const Line& line) {
    return fmt::format("{} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |", line.ttft.n,
                       percent_abs(line.ttft.median_ape), percent(line.ttft.mean_signed), percent_abs(line.ttft.p90_ape),
                       percent_abs(line.tpot.median_ape), percent(line.tpot.mean_signed), percent_abs(line.tpot.p90_ape),
                       percent_abs(line.capacity.median_ape), percent(line.capacity.mean_signed),
                       percent_abs(line.formula_capacity.median_ape), percent(line.formula_capacity.mean_signed));
}

// The columns of cells(): capacity is requests/s at the row's concurrency, validated and the
// product's own steady-state figure.
constexpr const char* k_cells_header =
    "n | TTFT MdAPE | TTFT mean signed | TTFT p90 APE | TPOT MdAPE | TPOT mean signed | TPOT p90 APE | "
    "capacity MdAPE | capacity mean signed | product capacity MdAPE | product capacity mean signed |";
constexpr const char* k_cells_rule = "---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

}  // namespace

Report build_report(const Selection& selection, const std::vector<Prediction>& predictions, const Profiles& profiles,
                    const Split& split, std::int64_t rows_read) {
    Report report;
    report.split = &split;
    report.engine_profiles = profiles.from_engines();
    report.ttft_protocol = profiles.ttft_protocol();
    report.eager_blocking_share = profiles.eager_blocking_share();
    report.sequence_host_us = profiles.sequence_host_us();
    report.rows_read = rows_read;
    report.skipped = selection.skipped;
    report.cases = &selection.cases;
    report.predictions = &predictions;
    std::map<std::string, std::pair<const Case*, Errors>> by_subset;
    std::map<GroupKey, Errors> by_group;
    std::map<Set, std::set<std::string>> systems_of_set;
    std::map<std::tuple<std::string, std::string, std::string>, ProfileUse> used;
    for (std::size_t i = 0; i < selection.cases.size(); ++i) {
        const Case& c = selection.cases[i];
        const Prediction& p = predictions[i];
        const std::string engine = profiles.from_engines() ? c.row->backend : "command line";
        const auto use = used.try_emplace({engine, c.hardware->id, c.precision},
                                          ProfileUse{.engine = engine,
                                                     .hardware = c.hardware->id,
                                                     .precision = c.precision,
                                                     .rows = 0,
                                                     .profile = profiles.for_case(c)})
                             .first;
        ++use->second.rows;
        if (!p.ok) {
            ++report.skipped["estimator: " + p.failure];
            continue;
        }
        ++report.rows_modelled;
        auto& subset = by_subset[c.subset];
        subset.first = &c;
        subset.second.add(c, p);
        by_group[{c.set, kind_of(c), ""}].add(c, p);
        by_group[{c.set, kind_of(c), c.row->system}].add(c, p);
        systems_of_set[c.set].insert(c.row->system);
    }
    for (const auto& [label, subset] : by_subset) {
        const Case& c = *subset.first;
        report.subsets.push_back(subset.second.line(label, c.set, kind_of(c), c.row->system, &c));
    }
    std::vector<GroupKey> keys;
    for (const auto& [key, errors] : by_group) {
        // A per-system line only where the set spans several systems (else it repeats the set's).
        if (std::get<2>(key).empty() || systems_of_set[std::get<0>(key)].size() > 1) {
            keys.push_back(key);
        }
    }
    std::sort(keys.begin(), keys.end(), hold_out_first);
    for (const GroupKey& key : keys) {
        const auto& [set, kind, system] = key;
        const Errors& errors = by_group[key];
        report.summary.push_back(errors.line(system.empty() ? fmt::format("{} {}", kind_label(kind), to_string(set))
                                                            : fmt::format("{} {} on {}", kind_label(kind), to_string(set), system),
                                             set, kind, system, nullptr));
    }
    for (const auto& [key, use] : used) {
        report.profiles.push_back(use);
    }
    return report;
}

void render_json(const Report& report, std::ostream& out) {
    Json j;
    j["schema_version"] = dsselect::k_schema_version;
    j["kind"] = "Validation";
    j["inputs"] = Json{{"csv", report.inputs.csv},
                       {"catalog", report.inputs.catalog},
                       {"split", report.inputs.split},
                       {"protocols", report.inputs.protocols}};
    j["split"] = Json{{"fit_systems", report.split->fit_systems},
                      {"hold_out", "every other system"},
                      {"reason", report.split->reason}};
    j["profile_source"] = report.engine_profiles ? "engines" : "command line";
    j["ttft_protocol"] = to_string(report.ttft_protocol);
    j["eager_blocking_share"] = report.eager_blocking_share;
    j["sequence_host_us"] = report.sequence_host_us;  // {} unless the study switch names a backend
    if (report.benchmark_protocols != nullptr) {
        // Each benchmark protocol with the modelled rows it matches (whichever TTFT protocol ran).
        Json protocols = Json::array();
        for (const BenchmarkProtocol& protocol : report.benchmark_protocols->protocols) {
            std::int64_t rows = 0;
            for (const Case& c : *report.cases) {
                rows += report.benchmark_protocols->for_row(*c.row) == &protocol ? 1 : 0;
            }
            // Each server setting with the protocol's modelled rows it applies to.
            Json settings = Json::array();
            for (const ServerSetting& setting : protocol.server_settings) {
                std::int64_t matched = 0;
                for (const Case& c : *report.cases) {
                    matched += report.benchmark_protocols->for_row(*c.row) == &protocol && setting.matches(c) ? 1 : 0;
                }
                Json item = Json::object();
                if (!setting.model.empty()) {
                    item["model"] = setting.model;  // absent: every model of the family
                }
                item["backend"] = setting.backend;
                put_optional(item, "isl", setting.isl);
                put_optional(item, "osl", setting.osl);
                put_optional(item, "tp_max", setting.tp_max);
                put_optional(item, "system", setting.system);
                put_optional(item, "image", setting.image);
                put_optional(item, "measured_from", setting.measured.from);
                put_optional(item, "measured_to", setting.measured.to);
                put_optional(item, "max_num_batched_tokens", setting.max_num_batched_tokens);
                put_optional(item, "max_num_batched_tokens_headroom", setting.max_num_batched_tokens_headroom);
                put_optional(item, "max_num_batched_tokens_isl_multiple", setting.max_num_batched_tokens_isl_multiple);
                put_optional(item, "batch_wait_timeout_iters", setting.batch_wait_timeout_iters);
                put_optional(item, "batch_wait_max_tokens_ratio", setting.batch_wait_max_tokens_ratio);
                put_optional(item, "kv_cache_dtype", setting.kv_cache_dtype);
                put_optional(item, "expert_parallel", setting.expert_parallel);
                put_optional(item, "gpu_memory_utilization", setting.gpu_memory_utilization);
                put_optional(item, "cuda_graph_max_tokens", setting.cuda_graph_max_tokens);
                item["rows"] = matched;
                item["source"] = setting.source;
                settings.push_back(std::move(item));
            }
            // Each left-out run: may have used speculative decoding, or set flags not reproduced (its
            // rows are under "skipped").
            const auto left_out = [](const std::vector<LeftOutRun>& runs) {
                Json listed = Json::array();
                for (const LeftOutRun& run : runs) {
                    Json item{{"model_paths", run.runs.model_paths},
                              {"system", run.runs.system},
                              {"backend", run.runs.backend},
                              {"precision", run.runs.precision},
                              {"image", run.runs.image},
                              {"measured_from", run.runs.measured.from.value_or("")}};
                    put_optional(item, "measured_to", run.runs.measured.to);
                    put_optional(item, "flags", run.flags);
                    item["skip_reason"] = run.reason();
                    item["source"] = run.source;
                    listed.push_back(std::move(item));
                }
                return listed;
            };
            protocols.push_back(Json{{"id", protocol.id},
                                     {"source_contains", protocol.source_contains},
                                     {"requests_per_client", protocol.loop.requests_per_client},
                                     {"length_low_fraction", protocol.loop.length_low_fraction},
                                     {"seed", protocol.loop.seed},
                                     {"rows", rows},
                                     {"source", protocol.source},
                                     {"server_settings", std::move(settings)},
                                     {"speculative_decoding_runs", left_out(protocol.speculative_decoding_runs)},
                                     {"unreproduced_runs", left_out(protocol.unreproduced_runs)}});
        }
        j["benchmark_protocols"] = Json{{"reason", report.benchmark_protocols->reason}, {"protocols", std::move(protocols)}};
    }
    Json profiles = Json::array();
    for (const ProfileUse& use : report.profiles) {
        Json p{{"engine", use.engine}, {"hardware", use.hardware}, {"precision", use.precision}, {"rows", use.rows}};
        p.update(profile_json(use.profile));
        profiles.push_back(std::move(p));
    }
    j["profiles"] = std::move(profiles);
    if (report.fit) {
        const FactorOverride& f = report.fit->factors;
        Json factors = Json::object();
        put_optional(factors, "compute_efficiency", f.compute_efficiency);
        put_optional(factors, "memory_efficiency", f.memory_efficiency);
        put_optional(factors, "per_step_overhead_ms", f.per_step_overhead_ms);
        put_optional(factors, "allreduce_latency_us", f.allreduce_latency_us);
        put_optional(factors, "ttft_fixed_ms", f.ttft_fixed_ms);
        j["fit"] = Json{{"rows", report.fit->rows},
                        {"target", to_string(report.fit_target.value_or(FitTarget::tpot))},
                        {"description", report.fit->description},
                        {"grid_points", report.fit->grid_points},
                        {"objective", report.fit->objective},
                        {"factors", std::move(factors)}};
    }
    j["rows_read"] = report.rows_read;
    j["rows_modelled"] = report.rows_modelled;
    Json summary = Json::array();
    for (const Line& line : report.summary) {
        summary.push_back(line_json(line));
    }
    j["overall"] = std::move(summary);
    Json subsets = Json::array();
    for (const Line& line : report.subsets) {
        subsets.push_back(line_json(line));
    }
    j["subsets"] = std::move(subsets);
    j["skipped"] = report.skipped;
    Json rows = Json::array();
    for (std::size_t i = 0; i < report.cases->size(); ++i) {
        rows.push_back(row_json((*report.cases)[i], (*report.predictions)[i]));
    }
    j["rows"] = std::move(rows);
    out << j.dump(2) << "\n";
}

void render_markdown(const Report& report, std::ostream& out) {
    out << fmt::format("Fit rows: systems {}; every other system is hold-out.\n",
                       fmt::join(report.split->fit_systems, ", "));
    out << "\n| engine | hardware | precision | rows | compute eff. | memory eff. | step overhead ms | all-reduce us | "
           "TTFT fixed ms | TTFT batch exponent |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const ProfileUse& use : report.profiles) {
        const dsselect::EfficiencyProfile& p = use.profile;
        out << fmt::format("| {} | {} | {} | {} | {:.2f} | {:.2f} | {:.2f} | {:.1f} | {:.0f} | {:.2f} |\n", use.engine,
                           use.hardware, use.precision, use.rows, p.compute_efficiency, p.memory_efficiency,
                           p.per_step_overhead_ms, p.allreduce_latency_us, p.ttft_fixed_ms, p.ttft_batch_exponent);
    }
    if (report.fit) {
        out << fmt::format("\nFitted {} on {} fit rows ({} grid points, target {} median APE, objective {:.4f}).\n",
                           report.fit->description, report.fit->rows, report.fit->grid_points,
                           to_string(report.fit_target.value_or(FitTarget::tpot)), report.fit->objective);
    }
    if (report.eager_blocking_share != 1.0) {
        out << fmt::format("\nStudy: the simulated GPU waits for {:g} of each eager step; the rest is added to the TTFT "
                           "of its prompts (--eager-blocking-share; the estimator's model is 1).\n",
                           report.eager_blocking_share);
    }
    if (!report.sequence_host_us.empty()) {
        std::string values;
        for (const auto& [backend, us] : report.sequence_host_us) {
            values += fmt::format("{}{} {:g} µs", values.empty() ? "" : ", ", backend, us);
        }
        out << fmt::format("\nStudy: each step of the simulated benchmark also lasts the host time per sequence it "
                           "schedules: {} (--sequence-host-us; the estimator's model is none).\n",
                           values);
    }
    out << fmt::format("\nRows read {}, modelled {}.\n\n", report.rows_read, report.rows_modelled);
    out << "| set | model | system | precision | backend | " << k_cells_header << "\n|---|---|---|---|---|" << k_cells_rule
        << "\n";
    for (const Line& line : report.subsets) {
        out << "| " << to_string(line.set) << " | " << line.label << " | " << cells(line) << "\n";
    }
    out << "\n| summary | " << k_cells_header << "\n|---|" << k_cells_rule << "\n";
    for (const Line& line : report.summary) {
        out << "| " << line.label << " | " << cells(line) << "\n";
    }
    out << "\nSkipped rows by reason:\n\n";
    for (const auto& [reason, count] : report.skipped) {
        out << fmt::format("- {}: {}\n", reason, count);
    }
}

void write_dump(const std::string& path, const Report& report) {
    std::ofstream file(path);
    if (!file) {
        throw dsselect::Error(dsselect::ErrorKind::output_failed, fmt::format("{}: cannot open for writing", path));
    }
    file << "line,set,model,system,precision,backend,isl,osl,batch,tp,ep,dense,measured_ttft_ms,measured_tpot_ms,ok,"
            "predicted_ttft_ms,predicted_tpot_ms,prefill_compute_ms,prefill_memory_ms,prefill_comm_ms,"
            "decode_memory_ms,decode_compute_ms,decode_comm_ms,decode_step_ms,simulated_tpot_ms,formula_tpot_ms,"
            "measured_qps,predicted_qps,formula_qps,measured_prefill_load,expert_parallel_size\n";
    for (std::size_t i = 0; i < report.cases->size(); ++i) {
        const Case& c = (*report.cases)[i];
        const Prediction& p = (*report.predictions)[i];
        const Components parts = p.components.value_or(Components{});
        file << fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{:.4f},{:.4f},{},{:.4f},{:.4f},{:.5f},{:.5f},{:.5f},"
                            "{:.5f},{:.5f},{:.5f},{:.5f},{},{:.4f},{:.5f},{:.5f},{:.5f},{},{}\n",
                            c.row->line, to_string(c.set), c.model->id, c.row->system, c.precision, c.row->backend,
                            c.row->isl, c.row->osl, c.row->batch, c.row->tp, c.row->moe_ep, c.dense ? 1 : 0,
                            c.row->ttft_ms, c.row->tpot_ms, p.ok ? 1 : 0, p.ttft_ms, p.tpot_ms, parts.prefill_compute_ms,
                            parts.prefill_memory_ms, parts.prefill_comm_ms, parts.decode_memory_ms,
                            parts.decode_compute_ms, parts.decode_comm_ms, parts.decode_step_ms,
                            p.simulated_tpot_ms ? fmt::format("{:.4f}", *p.simulated_tpot_ms) : std::string(), p.formula_tpot_ms,
                            measured_capacity_qps(c), p.qps, p.formula_qps,
                            p.ok ? fmt::format("{:.5f}", measured_prefill_load(c, p)) : std::string(),
                            p.expert_parallel_size);
    }
    if (!file) {
        throw dsselect::Error(dsselect::ErrorKind::output_failed, fmt::format("{}: write failed", path));
    }
}

}  // namespace validate
