// Tables for people. Numbers are converted to display units here and nothing is computed.
#include <fmt/format.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "dsselect/core/error.hpp"
#include "dsselect/estimate/serving_sim.hpp"
#include "dsselect/report/format.hpp"
#include "dsselect/report/views.hpp"
#include "pick.hpp"
#include "table_columns.hpp"

namespace dsselect::report {

using detail::L;
using detail::R;

namespace {

// An explain line's text at least this many bytes long that an earlier line already printed is
// named, not repeated (the engine's factor-set source runs to thousands of bytes on each of its lines).
constexpr std::size_t k_shared_source_min_bytes = 80;

// The items separated by commas; `empty` when there are none.
std::string comma_list_or(const std::vector<std::string>& items, const char* empty) {
    return items.empty() ? std::string(empty) : fmt::format("{}", fmt::join(items, ","));
}

std::string peak(const Hardware& hardware, Precision precision) {
    auto value = hardware.peak_tflops_at(precision);
    return value ? fixed(*value, 0) : std::string("-");
}

// "default=0.885,reasoning=0.902": a model's quality figures; "-" when it has none (docs/quality.md).
std::string quality_cell(const Model& m) {
    std::vector<std::string> items;
    for (const QualityScore& q : m.quality) {
        items.push_back(fmt::format("{}={}", q.task_kind, fixed(q.score, 3)));
    }
    return comma_list_or(items, "-");
}
}  // namespace

std::vector<Table> catalog_tables(const Catalog& catalog, CatalogKind kind, const std::string& id) {
    Table table;
    switch (kind) {
    case CatalogKind::models:
        table.title = "Models";
        table.columns = {{"id", L},         {"name", L},       {"family", L},   {"nominal", R},
                         {"computed", R},   {"active", R},     {"layers", R},   {"hidden", R},
                         {"attention", L},  {"context", R},    {"reference hw", L}, {"quality", L}};
        for (const Model* m : detail::pick_entries(catalog.models, id, "model")) {
            const ParameterCounts counts = model_parameters(*m);
            const Architecture& a = m->architecture;
            std::string attention = a.is_mla() ? "MLA" : a.effective_kv_heads() == a.num_attention_heads ? "MHA" : "GQA";
            if (a.is_moe()) {
                attention += fmt::format(" MoE {}x{}", a.num_experts_per_tok, a.n_routed_experts);
            }
            if (a.has_sliding_window()) {
                attention += fmt::format(" window {} on {}/{} layers", a.sliding_window, a.sliding_window_layers,
                                         a.num_hidden_layers);
            }
            table.rows.push_back({m->id, m->name, m->family,
                                  m->parameters_nominal > 0 ? count_short(m->parameters_nominal) : "-",
                                  count_short(static_cast<double>(counts.total)),
                                  count_short(static_cast<double>(counts.active)), std::to_string(a.num_hidden_layers),
                                  std::to_string(a.hidden_size), attention,
                                  a.max_position_embeddings > 0 ? std::to_string(a.max_position_embeddings) : "-",
                                  m->reference_hardware_id.empty()
                                      ? "-"
                                      : fmt::format("{} x{}", m->reference_hardware_id, m->reference_gpus),
                                  quality_cell(*m)});
        }
        table.notes.push_back("nominal: published count; computed: from the architecture (used by the estimator)");
        table.notes.push_back("quality: task kind=score on the 0-1 scale of docs/quality.md; sources in --format json");
        break;
    case CatalogKind::variants:
        table.title = "Variants";
        table.columns = {{"id", L},         {"weight bits", R}, {"KV bits", R}, {"act bits", R}, {"compute", L},
                         {"kept", R},       {"active", R},      {"quality", R}, {"risks", L},    {"applies to", L},
                         {"claimed", L}};
        for (const Variant* v : detail::pick_entries(catalog.variants, id, "variant")) {
            table.rows.push_back({v->id, fixed(v->weight_bits, 3), fixed(v->kv_cache_bits, 0),
                                  fixed(v->activation_bits, 0),
                                  std::string(to_string(v->compute_precision)) + (v->structured_sparsity_2_4 ? " 2:4" : ""),
                                  fixed(v->parameter_fraction, 3), fixed(v->active_fraction, 2),
                                  fixed(v->quality_retention, 3), comma_list_or(v->risk_flags, "-"), comma_list_or(v->applies_to, "all"),
                                  v->claimed ? "yes" : "-"});
            if (v->claimed) {
                table.notes.push_back(fmt::format("{}: claimed, searched only with --include-claimed: {}", v->id, v->claim));
            }
            if (v->structured_sparsity_2_4) {
                table.notes.push_back(fmt::format("{}: 2:4 sparse; packed and at twice the dense peak only under an engine with "
                                                  "sparse_2_4_kernels, else served as its dense weights (docs/method.md)",
                                                  v->id));
            }
        }
        break;
    case CatalogKind::hardware:
        table.title = "Hardware";
        table.columns = {{"id", L},          {"name", L},         {"kind", L},     {"memory (GiB)", R},
                         {"BW (GB/s)", R},   {"fp16 (TFLOPS)", R}, {"fp8 (TFLOPS)", R}, {"int8 (TOPS)", R},
                         {"TDP (W)", R},     {"$/hour", R},       {"purchase ($)", R}};
        for (const Hardware* h : detail::pick_entries(catalog.hardware, id, "hardware")) {
            table.rows.push_back({h->id, h->name, h->kind == HardwareKind::gpu ? "gpu" : "edge", gib(h->memory_gb * 1e9),
                                  fixed(h->memory_bandwidth_gb_per_s, 0), peak(*h, Precision::fp16),
                                  peak(*h, Precision::fp8), peak(*h, Precision::int8), fixed(h->tdp_w, 0),
                                  fixed(h->price_usd_per_hour, 2), usd(h->purchase_usd)});
        }
        table.notes.push_back("catalog data; per-figure sources: dsselect catalog hardware ID -o json");
        table.notes.push_back("memory: the datasheet's memory_gb (10^9 bytes) in GiB (2^30 bytes), as the estimator counts it");
        break;
    case CatalogKind::engines:
        table.title = "Serving engines (--engine, or a scenario's \"engine\")";
        table.columns = {{"id", L}, {"name", L}, {"continuous batching", L}, {"multi-GPU", L},
                         {"overhead (GiB)", R}, {"usable memory", R}, {"factor sets", R}, {"source", L}};
        for (const Engine* e : detail::pick_entries(catalog.engines, id, "engine")) {
            table.rows.push_back({e->id, e->name, e->continuous_batching ? "yes" : "no",
                                  e->multi_gpu == MultiGpu::tensor_parallel ? "tensor parallel" : "layer split",
                                  fixed(e->runtime_overhead_gib, 2), fixed(e->usable_memory_fraction, 2),
                                  std::to_string(e->factors.size()), e->source});
        }
        table.notes.push_back(fmt::format("default: {}; efficiency factors and their sources: dsselect catalog engines ID -o json",
                                          k_default_engine_id));
        break;
    case CatalogKind::scenarios:
        table.title = "Scenarios";
        table.columns = {{"id", L},          {"task", L},     {"prompt", R},     {"output", R}, {"QPS", R},
                         {"context", R},     {"latency (ms)", R}, {"TTFT (ms)", R}, {"TPOT (ms)", R},
                         {"min quality", R}, {"other limits", L}, {"source", L}};
        for (const Scenario* s : detail::pick_entries(catalog.scenarios, id, "scenario")) {
            // Every limit the scenario sets: the common ones in columns, the rest named here.
            const Constraints& k = s->constraints;
            std::vector<std::string> other;
            if (k.max_model_mb) {
                other.push_back(fmt::format("model <= {:g} MB", *k.max_model_mb));
            }
            if (k.max_power_w) {
                other.push_back(fmt::format("power <= {:g} W", *k.max_power_w));
            }
            if (k.max_gpus_per_replica) {
                other.push_back(fmt::format("GPUs/replica <= {}", *k.max_gpus_per_replica));
            }
            if (k.budget_usd_per_year) {
                other.push_back(fmt::format("budget <= {}/year", usd(*k.budget_usd_per_year)));
            }
            using Allowed = std::pair<const char*, const std::vector<std::string>*>;
            const Allowed allowed[] = {{"hardware", &k.allowed_hardware}, {"models", &k.allowed_models},
                                       {"variants", &k.allowed_variants}};
            for (const auto& [what, list] : allowed) {
                if (!list->empty()) {
                    other.push_back(fmt::format("{}: {}", what, fmt::join(*list, "|")));
                }
            }
            table.rows.push_back({s->id, s->task_kind, std::to_string(s->workload.prompt_tokens),
                                  std::to_string(s->workload.output_tokens), fixed(s->workload.qps, 1),
                                  std::to_string(s->workload.context_tokens), fixed(k.max_latency_ms, 0),
                                  fixed(k.max_ttft_ms, 0), fixed(k.max_tpot_ms, 0), fixed(k.min_quality, 2),
                                  other.empty() ? "-" : fmt::format("{}", fmt::join(other, ", ")), s->source});
        }
        break;
    }
    return {table};
}

namespace {
// How far such estimates have been from measurements (data/accuracy.json): TTFT, TPOT and capacity.
Table accuracy_table(const AccuracyClaim& claim) {
    Table table;
    table.id = "accuracy";
    table.title = "Measured accuracy of such estimates (data/accuracy.json)";
    table.columns = {{"figure", L}, {"median abs error (%)", R}, {"mean signed error (%)", R}, {"rows", R}};
    if (claim.entry != nullptr) {
        for (const NamedFigures& named : named_figures(*claim.entry)) {
            const std::optional<ErrorFigures>& figures = *named.figures;
            if (figures) {
                table.rows.push_back({named.heading, fmt::format("{:.1f}", figures->median_abs_error_pct),
                                      fmt::format("{:+.1f}", figures->mean_signed_error_pct),
                                      std::to_string(figures->rows)});
            } else {
                table.rows.push_back({named.heading, "-", "-", "-"});
            }
        }
    }
    table.notes.push_back(claim.note);
    if (claim.entry != nullptr) {
        table.notes.push_back("error = (estimate - measured) / measured; a negative mean signed error: estimated "
                              "times shorter than measured (optimistic), or estimated capacity lower (replicas to "
                              "spare)");
    }
    return table;
}
}  // namespace

AccuracyClaim candidate_accuracy(const Candidate& candidate, const std::string& engine_id) {
    return accuracy_claim(builtin_accuracy_table(), engine_id, *candidate.model, *candidate.variant, *candidate.hardware);
}

std::string accuracy_line(const AccuracyClaim& claim) {
    if (claim.entry == nullptr) {
        return claim.note;
    }
    // The figures measured; one not checked is a caveat of the note already.
    std::vector<std::string> parts;
    for (const NamedFigures& named : named_figures(*claim.entry)) {
        if (const std::optional<ErrorFigures>& figures = *named.figures) {
            parts.push_back(fmt::format("{} {:.1f} % median abs error (mean signed {:+.1f} %, {} rows)", named.name,
                                        figures->median_abs_error_pct, figures->mean_signed_error_pct, figures->rows));
        }
    }
    return fmt::format("{}; {}; a negative mean: estimated times shorter, or capacity lower, than measured",
                       fmt::join(parts, ", "), claim.note);
}

std::vector<Table> estimate_tables(const EstimateView& view) {
    const EstimateRequest& r = *view.request;
    const Estimate& e = *view.estimate;
    const MemoryEstimate& m = e.memory;
    std::vector<Table> tables;

    Table summary;
    summary.id = "estimate";
    summary.title = fmt::format("Estimate: {} / {} on {} x{}  (prompt {}, output {}, batch {})", r.model->id,
                                r.variant->id, r.hardware->id, r.gpus, r.prompt_tokens, r.output_tokens, r.batch);
    summary.columns = {{"quantity", L}, {"value", R}, {"unit", L}};
    summary.rows = {
        {"parameters", count_short(static_cast<double>(e.parameters.total)), "params"},
        {"active parameters / token", count_short(e.active_parameters), "params"},
        {"compute precision", to_string(e.compute_precision), ""},
    };
    if (r.model->architecture.is_moe()) {
        const std::int64_t ep = r.expert_parallel_size;
        summary.rows.push_back({"experts split over GPUs",
                                r.gpus == 1                ? std::string("1 GPU (every expert)")
                                : r.profile.layer_split    ? fmt::format("layers split over {} GPUs", r.gpus)
                                : ep > 1 && ep < r.gpus    ? fmt::format("EP {} x TP {} (whole experts, sliced)", ep, r.gpus / ep)
                                : ep > 1                   ? fmt::format("EP {} (whole experts)", ep)
                                                           : fmt::format("TP {} (a slice of each)", r.gpus),
                                ""});
    }
    tables.push_back(summary);

    Table memory;
    memory.id = "memory";
    memory.title = "Memory per GPU";
    memory.columns = {{"part", L}, {"GiB", R}};
    const double gpus = static_cast<double>(r.gpus);
    memory.rows.push_back({"weights", gib(m.weights_bytes / gpus)});
    // Task adapters, resident beside the weights and split like them (only where tasks carry any).
    if (m.adapter_bytes > 0.0) {
        memory.rows.push_back({"task adapters", gib(m.adapter_bytes / gpus)});
    }
    memory.rows.push_back({"KV cache", gib(m.kv_cache_bytes / gpus)});
    memory.rows.push_back({"activations", gib(m.activations_bytes)});
    memory.rows.push_back({"runtime overhead", gib(m.overhead_bytes)});
    memory.rows.push_back({"total", gib(m.per_gpu_bytes)});
    memory.rows.push_back({"usable capacity", gib(m.usable_per_gpu_bytes)});
    const std::int64_t sequence_tokens = r.prompt_tokens + r.output_tokens;
    // A window the batch does not fill still sizes the cache: one sequence that long must fit.
    const bool window_sizes_kv =
        r.context_tokens > 0 && m.kv_cache_tokens > static_cast<double>(r.batch) * m.kv_tokens_per_sequence;
    if (window_sizes_kv) {
        memory.notes.push_back(
            fmt::format("KV cache sized for one sequence of the {}-token context window (--context)", r.context_tokens));
    }
    if (const Architecture& a = r.model->architecture; a.has_sliding_window()) {
        memory.notes.push_back(
            applies_sliding_window(a, r.profile)
                ? fmt::format("sliding window: {} of {} layers attend to the last {} tokens; the engine {} (sliding_window_kv)",
                              a.sliding_window_layers, a.num_hidden_layers, a.sliding_window,
                              r.profile.sliding_window_kv_freed ? "frees their KV cache past it"
                                                                : "holds their KV cache at the whole context")
                : fmt::format("sliding window: the engine runs model type '{}' without its {}-token window: every layer "
                              "attends to and holds the whole context (no_sliding_window_model_types)",
                              a.model_type, a.sliding_window));
    }
    if (!m.fits) {
        memory.notes.push_back(fmt::format("does NOT fit: {} GiB short per GPU", gib(m.shortfall_bytes)));
    } else {  // (fits and max_concurrency answer one inequality: docs/method.md, "Memory")
        memory.notes.push_back(fmt::format("fits; up to {} concurrent sequence{} of {} tokens", m.max_concurrency,
                                           m.max_concurrency == 1 ? "" : "s", sequence_tokens));
    }
    tables.push_back(memory);

    Table timing;
    timing.id = "performance";
    timing.title = "Performance";
    timing.columns = {{"quantity", L}, {"value", R}, {"unit", L}};
    if (e.has_timing()) {
        const PerformanceEstimate& p = e.performance;
        timing.rows = {
            {"time to first token (TTFT)", fixed(p.ttft_ms, 2), "ms"},
            {"time per output token (TPOT)", fixed(p.tpot_ms, 2), "ms"},
            {"end-to-end latency", fixed(p.latency_ms, 1), "ms"},
            {"output tokens/s (batch)", fixed(p.output_tokens_per_s, 1), "tokens/s"},
            {"output tokens/s (one sequence)", fixed(p.output_tokens_per_s_per_sequence, 1), "tokens/s"},
            {"prefill tokens/s", fixed(p.prefill_tokens_per_s, 0), "tokens/s"},
            {"requests/s per replica", fixed(p.qps, 3), "QPS"},
            {"power under load", fixed(e.power_w, 0), "W"},
            {"energy per 1k output tokens", fixed(e.energy_wh_per_1k_output_tokens, 3), "Wh"},
            // The batch in the unit, so the quantity's name (CSV's row key) does not move with it.
            {"max-throughput output tokens/s", fixed(e.max_throughput_output_tokens_per_s, 1),
             fmt::format("tokens/s (B = {})", e.max_throughput_batch)},
        };
        if (e.max_throughput_benchmark_output_tokens_per_s) {
            timing.rows.push_back({"max-throughput output tokens/s, fixed-length benchmark",
                                   fixed(*e.max_throughput_benchmark_output_tokens_per_s, 1),
                                   fmt::format("tokens/s (B = {}, {} requests a slot)", e.max_throughput_batch,
                                               k_benchmark_requests_per_slot)});
        }
        timing.notes.push_back(fmt::format("decode is {}-bound", p.decode_memory_bound ? "memory" : "compute"));
    } else {
        timing.notes.push_back(fmt::format("no timing: {}", to_string(e.feasibility)));
    }
    tables.push_back(timing);
    if (view.accuracy != nullptr) {
        tables.push_back(accuracy_table(*view.accuracy));
    }

    if (view.trace != nullptr) {
        Table explain;
        explain.id = "explain";
        explain.title = "Explain: every intermediate quantity";
        explain.columns = {{"quantity", L}, {"value", R}, {"unit", L}, {"formula", L}};
        explain.csv_header = {"quantity", "value", "unit", "formula"};
        // A long source shared by several lines (an engine's factor set) is printed once, at its
        // first line; the later lines name that line. CSV keeps every line's whole text.
        std::map<std::string, std::string> first_line_of;
        for (const TraceItem& item : *view.trace) {
            const std::string value = fmt::format("{:.6g}", item.value);
            explain.csv_rows.push_back({item.name, value, item.unit, item.formula});
            std::string formula = item.formula;
            if (formula.size() >= k_shared_source_min_bytes) {
                const auto [first, inserted] = first_line_of.try_emplace(formula, item.name);
                if (!inserted) {
                    formula = fmt::format("source as for {} above", first->second);
                }
            }
            explain.rows.push_back({item.name, value, item.unit, std::move(formula)});
        }
        tables.push_back(explain);
    }
    return tables;
}

}  // namespace dsselect::report
