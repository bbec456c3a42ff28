#pragma once
// The candidate types every pass of the search and every consumer of its results shares: one
// configuration (model, variant, hardware, GPUs per replica), what it was judged to need and
// cost, how it scored, and why it was rejected.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "dsselect/catalog/types.hpp"
#include "dsselect/estimate/estimator.hpp"
#include "dsselect/tco/tco.hpp"

namespace dsselect {

// Score weights (docs/ranking.md). Higher score ranks first.
struct ScoreWeights {
    double cost = 0.5;     // cheapest yearly cost / this yearly cost
    double quality = 0.2;  // quality (0..1)
    double latency = 0.1;  // 1 - latency / limit, when a latency limit exists
};

struct ScoreParts {
    double cost = 0;
    double quality = 0;
    double latency = 0;
    double rules = 0;
    double total = 0;
};

// Why a candidate was rejected, with the numbers. The sentence is formatted on demand (the
// search rejects thousands of candidates and shows a few).
struct Rejection {
    std::string reason;  // constraint or rule id: "memory", "latency", "over-quantization", ...
    std::string text;    // a categorical reason's sentence; empty for a numeric limit
    const char* what = "";  // numeric limits: "end-to-end latency"
    const char* unit = "";  // numeric limits: "ms"
    const char* flag = "";  // the flag that relaxes it, e.g. "--max-latency-ms"; empty when none
    double needed = 0;   // the limit
    double had = 0;      // the candidate's value
    // How far off: >= 1; 1 means just missed. Infinity for categorical misses.
    double miss_ratio = std::numeric_limits<double>::infinity();
    bool at_least = false;  // the limit is a minimum (quality), not a maximum

    // "needs latency <= 200 ms, has 240.1 ms", or the categorical sentence.
    std::string detail() const;
};

struct Candidate {
    const Model* model = nullptr;
    const Variant* variant = nullptr;
    const Hardware* hardware = nullptr;
    std::int64_t gpus_per_replica = 1;
    std::int64_t batch = 1;
    std::int64_t replicas = 0;
    Estimate estimate;
    double quality = 0;
    // Whether the model has a published quality figure for the scenario's task kind; without one
    // `quality` is 0, tables show '-' and JSON's quality_published is false (docs/quality.md).
    bool quality_published = true;
    double capacity_qps = 0;
    // The queue at the offered load (docs/method.md "TTFT at load"): M/D/1, Poisson arrivals at
    // the scenario's QPS / replicas, a deterministic service of the request's prefill work and the
    // eager overhead of its prefill steps (estimate.performance.prefill_work_ms + prefill_eager_ms;
    // the whole request on a single-stream engine).
    // prefill_utilization is arrivals x service (a fraction). Without a load the wait and the
    // utilization are 0 and ttft_at_load_ms is the TTFT.
    double queue_wait_ms = 0;
    double ttft_at_load_ms = 0;  // estimate.performance.ttft_ms + queue_wait_ms: what --max-ttft-ms judges
    double prefill_utilization = 0;
    // The queue, not the throughput, set the replica count: more replicas than the load needs
    // so that the TTFT at load meets --max-ttft-ms (or the queue is stable).
    bool replicas_for_queue = false;
    TcoResult cost;
    bool costed = false;
    ScoreParts score;
    std::optional<Rejection> rejection;
    std::vector<std::string> warnings;
    std::vector<std::string> warning_messages;
    // Every constraint (or reject rule) the candidate misses, in the order of docs/ranking.md;
    // the first is `rejection`. A judgement in full (compare, tco, the nearest misses) lists
    // them all; a search's verdict stops at the first.
    std::vector<Rejection> misses;
    // Variants whose candidates are identical to this one for serving (same model, hardware,
    // GPUs and every figure: bf16, fp16 and mixed-precision on most GPUs), folded into this row,
    // whose label sorts first (docs/ranking.md).
    std::vector<const Variant*> identical_variants;
    bool accepted() const { return !rejection.has_value(); }
    // Whether the outputs show the estimate's timings: it has them, and the configuration can
    // run. A tensor-parallel split the engine cannot make (a `tensor_parallel` miss, which compare
    // and tco still judge in full) is timed by the estimator all the same, but those figures
    // describe no deployment, so TTFT, TPOT and latency show as null or '-'.
    bool timed() const {
        if (!estimate.has_timing()) {
            return false;
        }
        const auto impossible = [](const Rejection& r) { return r.reason == "tensor_parallel"; };
        return !(rejection && impossible(*rejection)) && std::none_of(misses.begin(), misses.end(), impossible);
    }
    // What the results call `meets_constraints`: no constraint and no reject rule is missed.
    bool meets_constraints() const { return accepted(); }
    std::string label() const;  // base:int8@a40x2
};

// The warning every result on a claimed variant carries (docs/quality.md), and its message.
inline constexpr const char* k_claimed_variant_rule = "claimed-variant";
std::string claimed_variant_message(const Variant& variant);

}  // namespace dsselect
