#pragma once
// The one place where the harness asks the library for a prediction (predict_row). A change of
// the estimator's API, or of how the sample's protocol is reproduced, is made here only.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dsselect/estimate/estimator.hpp"
#include "sample.hpp"

namespace validate {

// Factors a --fit search sets on top of whichever profile a row uses; an absent one keeps the
// row profile's own.
struct FactorOverride {
    std::optional<double> compute_efficiency;
    std::optional<double> memory_efficiency;
    std::optional<double> per_step_overhead_ms;
    std::optional<double> allreduce_latency_us;
    std::optional<double> ttft_fixed_ms;
};

// How the benchmark's requests arrive, reproduced for TTFT (docs/validation.md). The default,
// benchmark, is the one the fit rows choose: scripts/validation_report.py runs all five and fails when
// the fit rows choose another than the default:
// - closed_loop: B requests kept in flight (a new one as each finishes), so requests arrive at
//   lambda = B / latency per replica; TTFT = own prefill + half a step + the M/D/1 wait of the
//   prefill stream at lambda (at most B - 1 prefills ahead);
// - burst: B requests submitted at once into an empty engine (burst_mean_ttft_ms);
// - alone: the estimate's own TTFT (own prefill + half a step), no queueing;
// - waves: the closed loop once settled: equal requests come back in groups of
//   max_batched_tokens / P prompts (wave_mean_ttft_ms);
// - benchmark: the row's own benchmark client (tests/validation/protocols.json, matched on the
//   row's silicon_data_source) simulated step by step (dsselect::simulate_closed_loop).
enum class TtftProtocol { closed_loop, burst, alone, waves, benchmark };
std::optional<TtftProtocol> parse_ttft_protocol(const std::string& text);
const char* to_string(TtftProtocol protocol);

// Which efficiency profile each row is estimated with.
class Profiles {
public:
    // engines: each row takes its backend's shipped profile (data/engines.json) on its hardware
    // and precision; null: every row takes `base` (the command-line profile).
    Profiles(const dsselect::Catalog* engines, const dsselect::EfficiencyProfile& base);
    dsselect::EfficiencyProfile for_case(const Case& c) const;
    bool from_engines() const { return m_engines != nullptr; }
    // The row's backend (data/engines.json) when rows take the engines' profiles; else null.
    const dsselect::Engine* engine_for(const Case& c) const {
        return m_engines == nullptr ? nullptr : m_engines->find_engine(c.row->backend);
    }
    const dsselect::EfficiencyProfile& base() const { return m_base; }
    void set_override(const FactorOverride& factors) { m_override = factors; }
    const std::optional<FactorOverride>& factor_override() const { return m_override; }
    void set_ttft_protocol(TtftProtocol protocol) { m_ttft_protocol = protocol; }
    TtftProtocol ttft_protocol() const { return m_ttft_protocol; }
    // Study switch (--eager-blocking-share): the share of an eager step the simulated benchmark
    // client's GPU waits for (dsselect::ClosedLoopProtocol::eager_blocking_share; 1 by default).
    void set_eager_blocking_share(double share) { m_eager_blocking_share = share; }
    double eager_blocking_share() const { return m_eager_blocking_share; }
    // Study switch (--sequence-host-us): host time per scheduled sequence per step, in µs, by
    // backend (dsselect::ClosedLoopProtocol::sequence_host_ms; none by default, 0 for a backend
    // not named).
    void set_sequence_host_us(std::map<std::string, double> by_backend) { m_sequence_host_us = std::move(by_backend); }
    const std::map<std::string, double>& sequence_host_us() const { return m_sequence_host_us; }
    double sequence_host_us_for(const Case& c) const;
    // The benchmark protocols (read from `file`) the benchmark TTFT protocol simulates.
    void set_benchmark_protocols(const BenchmarkProtocols* protocols, std::string file) {
        m_benchmark_protocols = protocols;
        m_benchmark_protocols_file = std::move(file);
    }
    // The row's benchmark protocol; throws invalid_data when no protocol matches its source.
    const BenchmarkProtocol& benchmark_protocol_for(const Case& c) const;
    // The low end of the row's benchmark client's length draws (ClosedLoopProtocol::
    // length_low_fraction) whatever TTFT protocol predicts the row; 1 (fixed lengths) without
    // benchmark protocols or when none matches the row.
    double length_low_fraction_for(const Case& c) const;
    // The server settings of the row's benchmark protocol that match it, in file order; none
    // without benchmark protocols or when rows take the command-line profile.
    std::vector<ServerSetting> server_settings_for(const Case& c) const;

private:
    const dsselect::Catalog* m_engines;
    dsselect::EfficiencyProfile m_base;
    std::optional<FactorOverride> m_override;
    TtftProtocol m_ttft_protocol = TtftProtocol::benchmark;
    double m_eager_blocking_share = 1.0;
    std::map<std::string, double> m_sequence_host_us;
    const BenchmarkProtocols* m_benchmark_protocols = nullptr;
    std::string m_benchmark_protocols_file;
};

// Components of a prediction from the estimator's trace (ms), for --dump.
struct Components {
    double prefill_compute_ms = 0;
    double prefill_memory_ms = 0;
    double prefill_comm_ms = 0;
    double decode_memory_ms = 0;
    double decode_compute_ms = 0;
    double decode_comm_ms = 0;
    double decode_step_ms = 0;
};

struct Prediction {
    bool ok = false;
    std::string failure;  // the estimator's feasibility when !ok
    // The GPUs the experts were split whole over (1: every expert's columns split): the row's
    // moe_ep_size label, its tp_size where a server setting turns expert parallelism on, 1 where
    // one turns it off, and 1 where the estimator refuses the split (expert_parallel_problem).
    std::int64_t expert_parallel_size = 1;
    double ttft_ms = 0;
    // The TPOT compared with the measured one: under the benchmark protocol the simulated client's
    // mean TPOT, as the measured figure was taken; under the other protocols the estimate's own.
    double tpot_ms = 0;
    // The product's steady-state TPOT formula (the estimate's tpot_ms), whatever the protocol:
    // reported beside the validated TPOT (docs/validation.md).
    double formula_tpot_ms = 0;
    // The benchmark protocol's simulated mean TPOT (the --dump column simulated_tpot_ms).
    std::optional<double> simulated_tpot_ms;
    // Capacity at the row's concurrency, requests/s per replica: the validated figure is
    // dsselect::closed_loop_qps of the TTFT and TPOT above; the product's is the estimate's own
    // (performance.qps, Little's law over its steady-state latency), what sizes its replicas.
    double qps = 0;
    double formula_qps = 0;
    // The estimate's prefill work of one prompt of the row's nominal length (compute and
    // communication, performance.prefill_work_ms), and the low end of the benchmark's length draws
    // (Profiles::length_low_fraction_for, 1 for fixed lengths): measured_prefill_load's inputs.
    double prefill_work_ms = 0;
    double length_low_fraction = 1.0;
    std::optional<Components> components;  // with Detail::components only
};

enum class Detail { figures, components };


// The measured row as the library predicts it: gpus = tp_size, batch = batch_size,
// prompt = isl, output = osl, with the row's profile.
Prediction predict_row(const Case& c, const Profiles& profiles, Detail detail = Detail::figures);

}  // namespace validate
