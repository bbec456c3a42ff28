#include "predict.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>

#include <fmt/core.h>

#include "dsselect/core/error.hpp"

namespace validate {

namespace {

double trace_value(const dsselect::Trace& trace, std::string_view name) {
    for (const auto& item : trace) {
        if (item.name == name) {
            return item.value;
        }
    }
    return 0.0;
}

// Closed loop: B requests in flight, each replaced as it finishes, so a replica sees
// lambda = B / latency arrivals per second; their prefills queue as M/D/1 (md1_queue_wait_ms),
// never behind more than the B - 1 others. The latency depends on the TTFT: a short fixed-point
// iteration (it converges in a few rounds; the wait only grows the latency).
double closed_loop_ttft_ms(const dsselect::Estimate& e, double batch, double output_tokens) {
    const double alone_ms = e.performance.ttft_ms;
    const double prefill_ms = e.performance.prefill_ms;
    const double cap_ms = (batch - 1.0) * prefill_ms;
    double ttft_ms = alone_ms;
    for (int round = 0; round < 8; ++round) {
        const double latency_ms = ttft_ms + (output_tokens - 1.0) * e.performance.tpot_ms;
        const double arrivals_per_s = batch / (latency_ms / 1000.0);
        const double wait_ms = std::min(dsselect::md1_queue_wait_ms(arrivals_per_s, prefill_ms), cap_ms);
        ttft_ms = alone_ms + wait_ms;
    }
    return ttft_ms;
}

}  // namespace

std::optional<TtftProtocol> parse_ttft_protocol(const std::string& text) {
    if (text == "closed-loop") {
        return TtftProtocol::closed_loop;
    }
    if (text == "burst") {
        return TtftProtocol::burst;
    }
    if (text == "alone") {
        return TtftProtocol::alone;
    }
    if (text == "waves") {
        return TtftProtocol::waves;
    }
    if (text == "benchmark") {
        return TtftProtocol::benchmark;
    }
    return std::nullopt;
}

const char* to_string(TtftProtocol protocol) {
    switch (protocol) {
    case TtftProtocol::closed_loop: return "closed-loop";
    case TtftProtocol::burst: return "burst";
    case TtftProtocol::alone: return "alone";
    case TtftProtocol::waves: return "waves";
    case TtftProtocol::benchmark: return "benchmark";
    }
    return "?";
}

Profiles::Profiles(const dsselect::Catalog* engines, const dsselect::EfficiencyProfile& base)
    : m_engines(engines), m_base(base) {}

dsselect::EfficiencyProfile Profiles::for_case(const Case& c) const {
    dsselect::EfficiencyProfile profile =
        m_engines == nullptr
            ? m_base
            : dsselect::engine_profile(m_engines->find_engine(c.row->backend), *c.hardware, c.variant->compute_precision);
    if (m_override) {
        profile.compute_efficiency = m_override->compute_efficiency.value_or(profile.compute_efficiency);
        profile.memory_efficiency = m_override->memory_efficiency.value_or(profile.memory_efficiency);
        profile.per_step_overhead_ms = m_override->per_step_overhead_ms.value_or(profile.per_step_overhead_ms);
        profile.allreduce_latency_us = m_override->allreduce_latency_us.value_or(profile.allreduce_latency_us);
        profile.ttft_fixed_ms = m_override->ttft_fixed_ms.value_or(profile.ttft_fixed_ms);
    }
    return profile;
}

double Profiles::sequence_host_us_for(const Case& c) const {
    const auto found = m_sequence_host_us.find(c.row->backend);
    return found == m_sequence_host_us.end() ? 0.0 : found->second;
}

const BenchmarkProtocol& Profiles::benchmark_protocol_for(const Case& c) const {
    const BenchmarkProtocol* found = m_benchmark_protocols == nullptr ? nullptr : m_benchmark_protocols->for_row(*c.row);
    const BenchmarkProtocol* also = m_benchmark_protocols == nullptr ? nullptr : m_benchmark_protocols->second_match(*c.row);
    if (also != nullptr) {
        throw dsselect::Error(dsselect::ErrorKind::invalid_data,
                              fmt::format("{}: /protocols: expected one protocol per row, but '{}' and '{}' both match "
                                          "the silicon_data_source of CSV line {} ('{}')",
                                          m_benchmark_protocols_file, found->id, also->id, c.row->line, c.row->source));
    }
    if (found == nullptr) {
        throw dsselect::Error(dsselect::ErrorKind::invalid_data,
                              fmt::format("{}: /protocols: expected a protocol whose source_contains matches the "
                                          "silicon_data_source of CSV line {} ('{}')",
                                          m_benchmark_protocols_file, c.row->line, c.row->source));
    }
    return *found;
}

double Profiles::length_low_fraction_for(const Case& c) const {
    const BenchmarkProtocol* protocol = m_benchmark_protocols == nullptr ? nullptr : m_benchmark_protocols->for_row(*c.row);
    return protocol == nullptr ? 1.0 : protocol->loop.length_low_fraction;
}

std::vector<ServerSetting> Profiles::server_settings_for(const Case& c) const {
    std::vector<ServerSetting> found;
    if (m_benchmark_protocols == nullptr || m_engines == nullptr) {
        return found;  // the command-line profile: no engine, so no server flags either
    }
    // Any TTFT protocol applies the server flags; only the benchmark protocol needs a client, so a
    // row no protocol matches runs the engine defaults here (benchmark_protocol_for reports it).
    const BenchmarkProtocol* protocol = m_benchmark_protocols->for_row(*c.row);
    if (protocol == nullptr) {
        return found;
    }
    for (const ServerSetting& setting : protocol->server_settings) {
        if (setting.matches(c)) {
            found.push_back(setting);
        }
    }
    return found;
}

Prediction predict_row(const Case& c, const Profiles& profiles, Detail detail) {
    dsselect::EstimateRequest request;
    request.model = c.model;
    request.variant = c.variant;
    request.hardware = c.hardware;
    request.gpus = c.row->tp;
    request.batch = c.row->batch;
    request.prompt_tokens = c.row->isl;
    request.output_tokens = c.row->osl;
    request.profile = profiles.for_case(c);
    // The server flags the row's benchmark scripts set (protocols.json server_settings), as the
    // product's --kv-cache-dtype and an engine entry would set them.
    std::optional<double> kv_flag_bits;
    std::optional<bool> experts_whole_over_all_gpus;  // a setting's expert_parallel, else the row's label
    for (const ServerSetting& setting : profiles.server_settings_for(c)) {
        request.profile.max_batched_tokens = setting.max_num_batched_tokens.value_or(request.profile.max_batched_tokens);
        if (setting.max_num_batched_tokens_headroom) {
            request.profile.max_batched_tokens = c.row->batch + c.row->isl + *setting.max_num_batched_tokens_headroom;
        }
        if (setting.max_num_batched_tokens_isl_multiple) {
            request.profile.max_batched_tokens = c.row->isl * *setting.max_num_batched_tokens_isl_multiple;
        }
        request.profile.usable_memory_fraction =
            setting.gpu_memory_utilization.value_or(request.profile.usable_memory_fraction);
        if (setting.expert_parallel) {
            experts_whole_over_all_gpus = setting.expert_parallel;
        }
        request.profile.cuda_graph_max_tokens = setting.cuda_graph_max_tokens.value_or(request.profile.cuda_graph_max_tokens);
        request.profile.batch_wait_timeout_iters =
            setting.batch_wait_timeout_iters.value_or(request.profile.batch_wait_timeout_iters);
        request.profile.batch_wait_max_tokens_ratio =
            setting.batch_wait_max_tokens_ratio.value_or(request.profile.batch_wait_max_tokens_ratio);
        if (setting.kv_cache_dtype) {
            kv_flag_bits = dsselect::kv_cache_dtype_bits(*setting.kv_cache_dtype);
        }
    }
    request.kv_cache_bits = dsselect::kv_cache_bits_for(profiles.engine_for(c), *c.model, *c.variant, kv_flag_bits, c.hardware);  // the engine's KV type
    // The row's expert layout (experts split whole over moe_ep GPUs, by columns over the rest). The
    // experts' weight format is the checkpoint's (tests/validation/catalog.json
    // checkpoint_fp8_weight_scales), chosen by the estimator's own rule, not the row's
    // moe_quant_mode label, which names per-tensor FP8 for block-scaled checkpoints.
    // A server setting's expert_parallel overrides the label: true (vLLM's --enable-expert-parallel)
    // splits them whole over every GPU of the row, false splits every expert's columns.
    const std::int64_t expert_parallel_size =
        experts_whole_over_all_gpus ? (*experts_whole_over_all_gpus ? c.row->tp : 1) : c.row->moe_ep;
    if (expert_parallel_size > 1 &&
        dsselect::expert_parallel_problem(*c.model, profiles.engine_for(c), c.row->tp, expert_parallel_size).empty()) {
        request.expert_parallel_size = expert_parallel_size;
    }
    dsselect::Trace trace;
    const bool traced = detail == Detail::components;
    const dsselect::Estimate e = dsselect::estimate(request, traced ? &trace : nullptr);
    Prediction p;
    p.expert_parallel_size = request.expert_parallel_size;
    if (!e.has_timing()) {
        p.failure = dsselect::to_string(e.feasibility);
        return p;
    }
    p.ok = true;
    switch (profiles.ttft_protocol()) {
    case TtftProtocol::closed_loop:
        p.ttft_ms = closed_loop_ttft_ms(e, static_cast<double>(request.batch), static_cast<double>(request.output_tokens));
        break;
    case TtftProtocol::burst:
        p.ttft_ms = dsselect::burst_mean_ttft_ms(request).value_or(e.performance.ttft_ms);
        break;
    case TtftProtocol::alone:
        p.ttft_ms = e.performance.ttft_ms;
        break;
    case TtftProtocol::waves:
        p.ttft_ms = dsselect::wave_mean_ttft_ms(request).value_or(e.performance.ttft_ms);
        break;
    case TtftProtocol::benchmark: {
        dsselect::ClosedLoopProtocol loop = profiles.benchmark_protocol_for(c).loop;
        loop.eager_blocking_share = profiles.eager_blocking_share();
        loop.sequence_host_ms = profiles.sequence_host_us_for(c) / 1000.0;
        const auto run = dsselect::simulate_closed_loop(request, loop);
        if (!run) {
            // Not the estimate's own TTFT in its place: the row is reported as not modelled.
            p.ok = false;
            p.failure = "benchmark simulation did not run";
            return p;
        }
        if (!run->mean_tpot_ms) {
            p.ok = false;
            p.failure = "benchmark simulation timed no TPOT";
            return p;
        }
        p.ttft_ms = run->mean_ttft_ms;
        p.simulated_tpot_ms = run->mean_tpot_ms;
        break;
    }
    }
    p.formula_tpot_ms = e.performance.tpot_ms;
    p.tpot_ms = p.simulated_tpot_ms.value_or(p.formula_tpot_ms);
    p.qps = dsselect::closed_loop_qps(static_cast<double>(request.batch),
                                      dsselect::request_latency_ms(p.ttft_ms, p.tpot_ms,
                                                                   static_cast<double>(request.output_tokens)));
    p.formula_qps = e.performance.qps;
    p.prefill_work_ms = e.performance.prefill_work_ms;
    // The lengths the row's client drew, whatever protocol predicts it.
    p.length_low_fraction = profiles.length_low_fraction_for(c);
    if (traced) {
        p.components = Components{
            .prefill_compute_ms = trace_value(trace, "prefill_compute_ms"),
            .prefill_memory_ms = trace_value(trace, "prefill_memory_ms"),
            .prefill_comm_ms = trace_value(trace, "prefill_communication_ms"),
            .decode_memory_ms = trace_value(trace, "decode_memory_ms"),
            .decode_compute_ms = trace_value(trace, "decode_compute_ms"),
            .decode_comm_ms = trace_value(trace, "decode_communication_ms"),
            .decode_step_ms = e.performance.decode_step_ms,
        };
    }
    return p;
}

}  // namespace validate
