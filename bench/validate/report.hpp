#pragma once
// The harness's findings: error statistics per subset and per summary group, the profiles used,
// and their renderings (JSON with nlohmann_json, a markdown table, a per-row CSV dump).
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "fit.hpp"
#include "predict.hpp"
#include "sample.hpp"
#include "stats.hpp"

namespace validate {

// One line of statistics: a subset (model | system | precision | backend) or a summary group
// (dense or MoE, fit or hold-out, optionally one system).
struct Line {
    std::string label;
    Set set = Set::hold_out;
    std::string kind;    // dense or moe
    std::string system;  // empty: every system of the set
    const Case* example = nullptr;  // subsets: a case of the subset (model, precision, backend)
    ErrorStats ttft;
    ErrorStats tpot;          // the validated TPOT (Prediction::tpot_ms)
    ErrorStats formula_tpot;  // the product's steady-state formula on the same rows
    // Capacity at the row's concurrency (requests/s, closed_loop_qps of the measured TTFT and
    // TPOT): the validated figure (Prediction::qps) and the product's own (Prediction::formula_qps).
    ErrorStats capacity;
    ErrorStats formula_capacity;
};

// A profile the harness estimated rows with, and on how many rows.
struct ProfileUse {
    std::string engine;  // backend, or "command line" without --engine-profiles
    std::string hardware;
    std::string precision;
    std::int64_t rows = 0;
    dsselect::EfficiencyProfile profile;
};

struct Inputs {
    std::string csv;
    std::string catalog;
    std::string split;
    std::string protocols;
};

struct Report {
    Inputs inputs;
    const Split* split = nullptr;
    const BenchmarkProtocols* benchmark_protocols = nullptr;  // tests/validation/protocols.json
    bool engine_profiles = false;
    TtftProtocol ttft_protocol = TtftProtocol::benchmark;
    double eager_blocking_share = 1.0;  // --eager-blocking-share (a study switch)
    std::map<std::string, double> sequence_host_us;  // --sequence-host-us by backend (a study switch)
    std::vector<ProfileUse> profiles;
    std::optional<FitResult> fit;
    std::optional<FitTarget> fit_target;
    std::int64_t rows_read = 0;
    std::int64_t rows_modelled = 0;  // selected and timed by the estimator
    std::map<std::string, std::int64_t> skipped;
    std::vector<Line> subsets;
    std::vector<Line> summary;
    const std::vector<Case>* cases = nullptr;
    const std::vector<Prediction>* predictions = nullptr;
};

Report build_report(const Selection& selection, const std::vector<Prediction>& predictions, const Profiles& profiles,
                    const Split& split, std::int64_t rows_read);

void render_json(const Report& report, std::ostream& out);
void render_markdown(const Report& report, std::ostream& out);
// One CSV line per selected row: measured, predicted, the estimator's components.
void write_dump(const std::string& path, const Report& report);

}  // namespace validate
