#include "predict.hpp"

#include <string_view>

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

}  // namespace

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
    dsselect::Trace trace;
    const bool traced = detail == Detail::components;
    const dsselect::Estimate e = dsselect::estimate(request, traced ? &trace : nullptr);
    Prediction p;
    if (!e.has_timing()) {
        p.failure = dsselect::to_string(e.feasibility);
        return p;
    }
    p.ok = true;
    p.ttft_ms = e.performance.ttft_ms;
    p.tpot_ms = e.performance.tpot_ms;
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
