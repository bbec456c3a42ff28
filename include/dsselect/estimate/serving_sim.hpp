#pragma once
// A serving benchmark simulated step by step (docs/method.md, "Serving simulation"): a closed-loop
// client keeps `batch` requests in flight against one replica of a continuous-batching engine,
// each step timed by the estimator's own physics (EstimatePlan::mixed_step_ms). It reproduces how
// a measured benchmark sent its requests, so that a measured mean TTFT can be compared with the
// physics and not with a guess of the protocol (the validation harness, docs/validation.md).
#include <cstdint>
#include <optional>

#include "dsselect/estimate/estimator.hpp"

namespace dsselect {

// The lengths a benchmark client draws for a nominal length L with low fraction f: discrete-uniform
// on [max(1, floor(f L)), L], or the one length max(L, 1) when that range is empty.
struct LengthRange {
    std::int64_t low = 1;
    std::int64_t high = 1;
    double mean() const { return (static_cast<double>(low) + static_cast<double>(high)) / 2.0; }
};
LengthRange drawn_length_range(std::int64_t nominal, double low_fraction);

// How the benchmark client drives the server.
struct ClosedLoopProtocol {
    // Requests sent in all, per client slot: the run sends requests_per_client * batch requests,
    // `batch` of them at once at the start, then a new one as each finishes (request rate
    // infinite, concurrency capped at `batch`).
    std::int64_t requests_per_client = 10;
    // Each request's prompt and output lengths are drawn independently from drawn_length_range of
    // the nominal L (1: every request has exactly L).
    double length_low_fraction = 1.0;
    std::uint64_t seed = 0;  // of the length draws (SplitMix64): same inputs, same run
    // The share of an eager step's overhead (EstimatePlan::eager_overhead_ms) that holds the GPU.
    // 1, the estimator's model and the harness's default: the step lasts the whole overhead and
    // the decodes sharing it wait too. Below 1 (a study switch, docs/validation-study.md section
    // 14): the rest is host time the GPU does not wait for; the step is that much shorter and each
    // prompt with a chunk in the step adds it to its TTFT, as ttft_fixed_ms is added: the request
    // decodes from the step's end on, so its TPOT counts from there. Outside [0, 1]: nullopt.
    double eager_blocking_share = 1.0;
    // Host time per sequence a step schedules (each decode and each prompt with a chunk in it), in
    // ms, added to the step: an engine whose scheduler prepares inputs and processes outputs
    // request by request between GPU steps (no asynchronous scheduling) keeps the GPU idle that
    // long. 0, the estimator's model and the harness's default; above 0 a study switch
    // (docs/validation-study.md section 15). Negative, infinite or not a number: nullopt.
    double sequence_host_ms = 0.0;
};

struct SimulatedRun {
    // Over all requests: first token (the end of the step that ends its prompt) - arrival, plus the
    // profile's optional ttft_fixed_ms (0 in the shipped profiles), as burst and wave TTFT add it,
    // plus, below an eager_blocking_share of 1, the host time of its prompt's eager steps.
    double mean_ttft_ms = 0;
    // Over requests with more than one output token: (finish - first token) / (O - 1); none when
    // every request has one.
    std::optional<double> mean_tpot_ms;
    std::int64_t requests = 0;
    std::int64_t steps = 0;
    std::int64_t output_tokens = 0;  // of all requests
    // The simulation clock at the last request's end (all start at 0); an optional ttft_fixed_ms
    // and, below an eager_blocking_share of 1, the eager host time are added to TTFTs, not to it.
    double duration_ms = 0;
    std::int64_t max_running = 0;  // the engine's cap: memory.max_concurrency of the nominal request
};

// Simulates `protocol` against one replica of `request` (model, variant, hardware, GPUs, profile;
// batch = the client's concurrency, prompt_tokens and output_tokens = the nominal lengths). The
// engine admits waiting requests first come, first served while fewer than max_running run.
// With the profile's mixed_prefill (vLLM, TensorRT-LLM) each step decodes one token for every
// sequence past its prefill and gives the rest of the token budget (max_batched_tokens) to
// prompt chunks, oldest request first; without it (SGLang) a step holding prompt tokens holds
// nothing else, and runs whenever a prompt is unfinished, the decodes waiting. With the
// profile's batch waiting (batch_wait_timeout_iters > 0, TensorRT-LLM) the prompts a step would
// carry while sequences decode are held instead, the decodes running alone, until the engine has
// held them batch_wait_timeout_iters steps or their full lengths plus one token per decode reach
// batch_wait_max_tokens_ratio * max_batched_tokens; the count restarts when the rule releases
// them (not when the decodes drain). nullopt when the request cannot be timed, nothing can run at
// once (max_running 0), the engine is single-stream (no continuous_batching), k * batch overflows,
// the protocol's eager_blocking_share is outside [0, 1] or its sequence_host_ms is negative or not
// finite, or the run would exceed `max_steps`.
std::optional<SimulatedRun> simulate_closed_loop(const EstimateRequest& request, const ClosedLoopProtocol& protocol,
                                                 std::int64_t max_steps = 50'000'000);

// Requests per concurrency slot of the benchmark below: what both benchmark clients of the
// validation sample send (tests/validation/protocols.json).
inline constexpr std::int64_t k_benchmark_requests_per_slot = 10;
// The largest concurrency the benchmark below simulates: the run holds every request it sends
// (k_benchmark_requests_per_slot per slot), so this bounds its memory (about 100 MB) and time
// (about half a second); the engines' own caps are 1,024 (vLLM) and 2,048 (TensorRT-LLM).
inline constexpr std::int64_t k_benchmark_max_concurrency = 100'000;

// Max-throughput serving as a fixed-length throughput benchmark measures it (docs/method.md,
// "Throughput"): simulate_closed_loop at concurrency `batch` (the engine's largest), every
// request of the request's nominal prompt and output lengths, k_benchmark_requests_per_slot per
// slot; output tokens of all requests / the run's duration, per second. Such a run's requests
// start and finish in waves, unlike the steady stream the estimate's own max-throughput figure
// assumes. nullopt where simulate_closed_loop gives none (batch < 1, a single-stream engine) and
// above k_benchmark_max_concurrency.
std::optional<double> benchmark_output_tokens_per_s(const EstimateRequest& request, std::int64_t batch);

}  // namespace dsselect
