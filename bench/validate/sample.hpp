#pragma once
// The measured sample: NVIDIA aiconfigurator's silicon CSV (tests/validation/data/), its rows
// mapped onto catalog entries, and the fit/hold-out split (tests/validation/split.json).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsselect/catalog/types.hpp"
#include "dsselect/estimate/serving_sim.hpp"

namespace validate {

// One measured row of the CSV.
struct Row {
    std::int64_t line = 0;  // 1-based line where the record starts
    std::string model_path;  // Hugging Face id
    std::string system;      // aiconfigurator system name (h100_sxm, ...)
    std::string backend;     // vllm, sglang, trtllm
    std::string precision;   // "" = BF16
    std::string mode;        // agg or disagg
    std::int64_t isl = 0;
    std::int64_t osl = 0;
    std::int64_t batch = 0;  // 0: absent (disaggregated rows)
    std::int64_t tp = 0;
    std::int64_t pp = 0;
    std::int64_t attention_dp = 0;
    std::int64_t moe_tp = 0;
    std::int64_t moe_ep = 0;
    double ttft_ms = 0;
    double tpot_ms = 0;
    std::string source;  // silicon_data_source: where and how the row was measured
};

// Parses the CSV (RFC 4180) at `name`; throws invalid_data naming the file and line.
std::vector<Row> read_rows(const std::string& text, const std::string& name);

// Which rows calibrate the profiles (fit) and which only check them (hold-out).
enum class Set { fit, hold_out };
const char* to_string(Set set);

struct Split {
    std::vector<std::string> fit_systems;  // every other system is hold-out
    std::string reason;                    // why, as written in the file
    Set set_of(const std::string& system) const;
};
// Reads tests/validation/split.json; throws invalid_data naming the file and JSON path.
Split read_split(const std::string& text, const std::string& name);

struct Case;

// The measured days an entry covers (protocols.json "measured_from" and "measured_to", YYYY-MM-DD,
// either open).
struct DayRange {
    std::optional<std::string> from;
    std::optional<std::string> to;
    bool bounded() const { return from || to; }
    bool contains(std::string_view day) const;  // ISO days compare as text
};

// Which runs of a family an entry covers: the CSV's model_path values, system, backend, precision
// and engine image (the end of a field of silicon_data_source), measured within `measured` (its
// `from` required).
struct RunSelector {
    std::vector<std::string> model_paths;
    std::string system;     // aiconfigurator system name
    std::string backend;
    std::string precision;  // bf16 or fp8
    std::string image;
    DayRange measured;
    // A row with no readable measured day (YYYY-MM-DD) in its source matches: when it ran cannot be told.
    bool matches(const Row& row) const;
    std::string describe() const;  // "<models> on <system> <backend> <precision> with <image> from <day>[ to <day>]"
};

// Server flags a family's benchmark scripts set for some of its rows (protocols.json
// "server_settings"), or a rule the family's configuration generator applied: the row's engine runs
// with them instead of dsselect's engine defaults. A row matches when its backend is the entry's,
// its catalog model too where the entry names one, and, where given, its ISL and OSL equal, its
// tensor-parallel size at most tp_max, its system the entry's, its source naming the entry's image,
// and its measured day (YYYY-MM-DD) within measured_from .. measured_to (a row with no readable day
// matches no entry that names a day: which script ran it cannot be told); every matching entry
// applies, in order.
struct ServerSetting {
    std::string model;    // catalog model id; empty: every model of the family
    std::string backend;  // vllm, sglang, trtllm
    std::optional<std::int64_t> isl;
    std::optional<std::int64_t> osl;
    std::optional<std::int64_t> tp_max;
    std::optional<std::string> system;
    std::optional<std::string> image;
    DayRange measured;
    std::optional<std::int64_t> max_num_batched_tokens;
    // The token budget per step as the row's batch_size + isl + this headroom (the rule of
    // aiconfigurator's generated TensorRT-LLM configurations); never with max_num_batched_tokens.
    std::optional<std::int64_t> max_num_batched_tokens_headroom;
    // The token budget per step as this multiple of the row's ISL (a script's
    // --max-num-batched-tokens "$((ISL * 2))"); never with the other two.
    std::optional<std::int64_t> max_num_batched_tokens_isl_multiple;
    std::optional<std::int64_t> batch_wait_timeout_iters;
    std::optional<double> batch_wait_max_tokens_ratio;
    std::optional<std::string> kv_cache_dtype;  // fp16, bf16 or fp8: the server's explicit KV type
    // true: the experts split whole over every GPU of the row (vLLM's --enable-expert-parallel);
    // false: every expert's columns split over them. Either whatever the row's moe_ep label says.
    std::optional<bool> expert_parallel;
    // The share of each GPU's memory the engine may use (vLLM's --gpu-memory-utilization).
    std::optional<double> gpu_memory_utilization;
    // The most tokens a step may hold and still run in CUDA graphs (vLLM's --max-cudagraph-capture-size).
    std::optional<std::int64_t> cuda_graph_max_tokens;
    std::string source;
    bool matches(const Case& c) const;
};

// Runs of a family whose rows are left out: the selector's rows, and every other copy of their
// measurements. Two lists of protocols.json use it. "speculative_decoding_runs": from
// `measured_from` on, the family's configuration ran this engine image with multi-token
// prediction for these models on this system, so a row of the family with that image measured on
// or after that date may measure speculative decoding, which dsselect does not model (whether a
// given row ran it cannot be told from the CSV when a plain configuration ran the same image, so
// the rule reads the configuration's history, never an error). "unreproduced_runs": the runs' scripts
// set server flags the harness cannot reproduce (`flags` says which), or which flags ran cannot be
// read from the history.
struct LeftOutRun {
    RunSelector runs;
    std::optional<std::string> flags;  // unreproduced_runs only: the flags, or why they are not known
    std::string source;
    std::string reason() const;  // the skip reason its rows are counted under
};

// How a family of rows was benchmarked (tests/validation/protocols.json): the client protocol the
// harness simulates for TTFT (dsselect::simulate_closed_loop), with its public source, the
// server flags its scripts set, its runs that may have used speculative decoding, and its runs whose
// flags the harness does not reproduce.
struct BenchmarkProtocol {
    std::string id;
    std::vector<std::string> source_contains;  // a row is this family's when its source holds one of them
    dsselect::ClosedLoopProtocol loop;
    std::string source;
    std::vector<ServerSetting> server_settings;
    std::vector<LeftOutRun> speculative_decoding_runs;
    std::vector<LeftOutRun> unreproduced_runs;
};

struct BenchmarkProtocols {
    std::string reason;
    std::vector<BenchmarkProtocol> protocols;
    // The first protocol whose source_contains matches the row's source; null when none does.
    const BenchmarkProtocol* for_row(const Row& row) const;
    // A second protocol that matches it too (an ambiguous file); null when there is none.
    const BenchmarkProtocol* second_match(const Row& row) const;
    // The left-out run of the row's protocol that the row may belong to (its speculative-decoding
    // runs first, then its unreproduced runs); null when none.
    const LeftOutRun* left_out_run_for(const Row& row) const;
};
// Reads tests/validation/protocols.json; throws invalid_data naming the file and JSON path.
BenchmarkProtocols read_protocols(const std::string& text, const std::string& name);

// A row the estimator can model, with its catalog entries.
struct Case {
    const Row* row = nullptr;
    const dsselect::Model* model = nullptr;
    const dsselect::Variant* variant = nullptr;
    const dsselect::Hardware* hardware = nullptr;
    std::string precision;  // bf16 or fp8
    std::string subset;     // model | system | precision | backend
    bool dense = true;
    Set set = Set::hold_out;
};

struct Filters {
    std::string system;      // empty: every system
    std::string model_text;  // empty: every model; else a substring of model_path
};

struct Selection {
    std::vector<Case> cases;
    std::map<std::string, std::int64_t> skipped;  // reason -> rows
};

// The rows the estimator can model: aggregated serving, no speculative decoding (as far as the
// protocols' speculative_decoding_runs tell) and no server flag the harness does not reproduce (their
// unreproduced_runs), a client concurrency (where the source records one)
// equal to the batch per attention data-parallel rank, BF16 or FP8, pp 1, no attention data
// parallelism, at most one node of the system, model and system in the catalog, one row per
// measurement. Every other row is
// counted under its reason. A measurement (system, backend, precision, ISL, OSL and both measured
// figures, to 12 significant digits) that the CSV records more than once is kept once, at its first line,
// when every copy gives the same parallel layout and batch; when the copies disagree on the layout,
// no copy is kept, since which layout was measured cannot be told. A measurement one copy of which
// the left-out-run or concurrency rule leaves out is left out with every copy.
Selection select_cases(const std::vector<Row>& rows, const dsselect::Catalog& catalog, const Split& split,
                       const BenchmarkProtocols& protocols, const Filters& filters);

}  // namespace validate
