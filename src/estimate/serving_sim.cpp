#include "dsselect/estimate/serving_sim.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <deque>
#include <functional>
#include <limits>
#include <queue>
#include <utility>
#include <vector>

namespace dsselect {

LengthRange drawn_length_range(std::int64_t nominal, double low_fraction) {
    const auto low = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(low_fraction * static_cast<double>(nominal))));
    if (low >= nominal) {
        const std::int64_t only = std::max<std::int64_t>(nominal, 1);
        return {.low = only, .high = only};
    }
    return {.low = low, .high = nominal};
}

namespace {

// SplitMix64 (Steele, Lea and Flood 2014): small and the same on every platform, which the
// standard library's distributions are not.
class SplitMix64 {
public:
    explicit SplitMix64(std::uint64_t seed) : m_state(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

private:
    std::uint64_t m_state;
};

// One draw of drawn_length_range (no draw from the generator when the range is one length).
std::int64_t draw_length(SplitMix64& rng, std::int64_t nominal, double low_fraction) {
    const LengthRange range = drawn_length_range(nominal, low_fraction);
    if (range.low == range.high) {
        return range.low;
    }
    const auto span = static_cast<std::uint64_t>(range.high - range.low + 1);
    return range.low + static_cast<std::int64_t>(rng.next() % span);
}

constexpr std::int64_t k_reserved_requests = 1 << 20;  // reserved up front; a longer run grows

struct SimRequest {
    double arrival_ms = 0;
    double first_token_ms = 0;
    std::int64_t prompt_tokens = 0;
    std::int64_t output_tokens = 0;
    std::int64_t prefilled_tokens = 0;
    double host_latency_ms = 0;  // eager time of its prefill steps the GPU did not wait for
    bool below_window = false;   // decoding, and its context still shorter than a sliding window
};

}  // namespace

std::optional<SimulatedRun> simulate_closed_loop(const EstimateRequest& request, const ClosedLoopProtocol& protocol,
                                                 std::int64_t max_steps) {
    // A single-stream engine (no continuous batching) serves one request at a time: not this loop.
    if (request.batch < 1 || protocol.requests_per_client < 1 || !(protocol.length_low_fraction > 0.0) ||
        protocol.length_low_fraction > 1.0 || !(protocol.eager_blocking_share >= 0.0) ||
        protocol.eager_blocking_share > 1.0 || !(protocol.sequence_host_ms >= 0.0) ||
        !std::isfinite(protocol.sequence_host_ms) || !request.profile.continuous_batching ||
        protocol.requests_per_client > std::numeric_limits<std::int64_t>::max() / request.batch) {
        return std::nullopt;
    }
    const EstimatePlan plan(request);
    const Estimate at_batch = plan.at(request.batch);
    if (!at_batch.has_timing() || at_batch.memory.max_concurrency < 1) {
        return std::nullopt;
    }
    const std::int64_t max_running = at_batch.memory.max_concurrency;
    const std::int64_t budget = std::max<std::int64_t>(request.profile.max_batched_tokens, 1);
    const std::int64_t total = protocol.requests_per_client * request.batch;

    SplitMix64 rng(protocol.seed);
    std::vector<SimRequest> requests;
    requests.reserve(static_cast<std::size_t>(std::min<std::int64_t>(total, k_reserved_requests)));
    std::deque<std::size_t> waiting;     // sent, not yet admitted
    std::deque<std::size_t> prefilling;  // admitted, prompt not yet done (in admission order)
    // Sequences past their prefill, by the decode round that produces their last token.
    using Finish = std::pair<std::int64_t, std::size_t>;
    std::priority_queue<Finish, std::vector<Finish>, std::greater<>> finishing;
    const auto send = [&](double at_ms) {
        const std::int64_t prompt = draw_length(rng, request.prompt_tokens, protocol.length_low_fraction);
        const std::int64_t output = draw_length(rng, request.output_tokens, protocol.length_low_fraction);
        requests.push_back({.arrival_ms = at_ms, .first_token_ms = 0, .prompt_tokens = prompt, .output_tokens = output,
                            .prefilled_tokens = 0, .host_latency_ms = 0});
        waiting.push_back(requests.size() - 1);
    };
    const auto sent = [&] { return static_cast<std::int64_t>(requests.size()); };
    for (std::int64_t i = 0; i < std::min(request.batch, total); ++i) {
        send(0.0);
    }

    SimulatedRun run;
    run.max_running = max_running;
    const bool mixed = request.profile.mixed_prefill;
    std::int64_t running = 0;        // admitted and not finished
    std::int64_t decoding = 0;       // past their prefill
    std::int64_t decode_rounds = 0;  // steps in which the decoding sequences advanced
    double context_tokens = 0;       // KV tokens the decoding sequences hold
    // Sliding-window attention (kv_positions): the same tokens capped at the window, how many of
    // the sequences are still short of it, and the decode round at which each reaches it.
    const Architecture& arch = request.model->architecture;
    const bool windowed = plan.applies_window();
    const double window_share = windowed ? sliding_layer_share(arch) : 0.0;
    double window_tokens = 0;
    std::int64_t below_window = 0;
    std::priority_queue<Finish, std::vector<Finish>, std::greater<>> reaching_window;
    const auto kv_positions_read = [&] {
        return windowed ? context_tokens - window_share * (context_tokens - window_tokens) : context_tokens;
    };
    double clock_ms = 0;
    double ttft_sum_ms = 0;
    double tpot_sum_ms = 0;
    std::int64_t tpot_count = 0;
    std::int64_t finished = 0;
    const bool wait_enabled = request.profile.batch_wait_timeout_iters > 0;
    const double wait_tokens = request.profile.batch_wait_max_tokens_ratio * static_cast<double>(budget);
    std::int64_t waited_steps = 0;  // steps the waiting prompts have been held (reset on release)
    while (finished < total) {
        if (run.steps >= max_steps) {
            return std::nullopt;
        }
        while (!waiting.empty() && running < max_running) {
            prefilling.push_back(waiting.front());
            waiting.pop_front();
            ++running;
        }
        // Mixed: decodes are scheduled first and prompt chunks take the rest of the token budget.
        // Prefill first: a prefill batch takes the whole budget and runs alone while prompts wait.
        bool prefill_alone = !mixed && !prefilling.empty();
        std::int64_t room = prefill_alone ? budget : (mixed ? budget - decoding : 0);
        // The prompts this step would carry, oldest first: how many, and their full lengths.
        std::size_t prompts_in_step = 0;
        std::int64_t held_prompt_tokens = 0;
        for (std::int64_t left = room; prompts_in_step < prefilling.size() && left > 0; ++prompts_in_step) {
            const SimRequest& r = requests[prefilling[prompts_in_step]];
            left -= r.prompt_tokens - r.prefilled_tokens;
            held_prompt_tokens += r.prompt_tokens;
        }
        // Batch waiting: while sequences decode, the prompts are held back until the engine has
        // waited its timeout in steps or they and the decodes fill the share of the budget.
        if (wait_enabled && prompts_in_step > 0 && decoding > 0) {
            if (waited_steps < request.profile.batch_wait_timeout_iters &&
                static_cast<double>(held_prompt_tokens + decoding) < wait_tokens) {
                ++waited_steps;
                prefill_alone = false;
                room = 0;
            } else {
                waited_steps = 0;
            }
        }
        std::int64_t chunk_tokens = 0;
        std::size_t prompts_done = 0;
        std::size_t prompts_chunked = 0;  // prompts with a chunk in this step, from the front
        for (std::size_t k = 0; k < prefilling.size() && room > 0; ++k) {
            SimRequest& r = requests[prefilling[k]];
            const std::int64_t take = std::min(r.prompt_tokens - r.prefilled_tokens, room);
            r.prefilled_tokens += take;
            room -= take;
            chunk_tokens += take;
            ++prompts_chunked;
            if (r.prefilled_tokens < r.prompt_tokens) {
                break;
            }
            ++prompts_done;
        }
        if (chunk_tokens == 0 && decoding == 0) {
            return std::nullopt;  // nothing can run (not reached while max_running >= 1)
        }
        const std::int64_t step_decodes = prefill_alone ? 0 : decoding;
        // The part of an eager step the GPU does not wait for (none at the default share of 1).
        const double host_latency_ms =
            (1.0 - protocol.eager_blocking_share) *
            plan.eager_overhead_ms(static_cast<double>(chunk_tokens), static_cast<double>(step_decodes));
        for (std::size_t k = 0; k < prompts_chunked; ++k) {
            requests[prefilling[k]].host_latency_ms += host_latency_ms;
        }
        // The scheduler's per-sequence host time (none at the default of 0): the step's decodes and
        // the prompts with a chunk in it.
        const double sequence_host_ms =
            protocol.sequence_host_ms * static_cast<double>(step_decodes + static_cast<std::int64_t>(prompts_chunked));
        clock_ms += plan.mixed_step_ms(static_cast<double>(chunk_tokens), static_cast<double>(step_decodes),
                                       step_decodes > 0 ? kv_positions_read() : 0.0) -
                    host_latency_ms + sequence_host_ms;
        ++run.steps;
        if (step_decodes > 0) {
            ++decode_rounds;
            context_tokens += static_cast<double>(decoding);  // one more token each
            window_tokens += static_cast<double>(below_window);
            while (!reaching_window.empty() && reaching_window.top().first <= decode_rounds) {
                SimRequest& r = requests[reaching_window.top().second];
                reaching_window.pop();
                if (r.below_window) {
                    r.below_window = false;
                    --below_window;
                }
            }
        }
        while (step_decodes > 0 && !finishing.empty() && finishing.top().first == decode_rounds) {
            SimRequest& r = requests[finishing.top().second];
            finishing.pop();
            --decoding;
            --running;
            ++finished;
            context_tokens -= static_cast<double>(r.prompt_tokens + r.output_tokens);
            if (windowed) {
                window_tokens -= static_cast<double>(std::min(r.prompt_tokens + r.output_tokens, arch.sliding_window));
                if (r.below_window) {
                    r.below_window = false;
                    --below_window;
                }
            }
            tpot_sum_ms += (clock_ms - r.first_token_ms) / static_cast<double>(r.output_tokens - 1);
            ++tpot_count;
            if (sent() < total) {
                send(clock_ms);
            }
        }
        for (std::size_t k = 0; k < prompts_done; ++k) {
            const std::size_t index = prefilling.front();
            prefilling.pop_front();
            SimRequest& r = requests[index];
            r.first_token_ms = clock_ms;  // the step that ends the prompt yields the first token
            ttft_sum_ms += clock_ms - r.arrival_ms + request.profile.ttft_fixed_ms + r.host_latency_ms;
            if (r.output_tokens <= 1) {
                --running;
                ++finished;
                if (sent() < total) {
                    send(clock_ms);
                }
                continue;
            }
            ++decoding;
            context_tokens += static_cast<double>(r.prompt_tokens + 1);
            if (windowed) {
                window_tokens += static_cast<double>(std::min(r.prompt_tokens + 1, arch.sliding_window));
                if (r.prompt_tokens + 1 < arch.sliding_window) {
                    r.below_window = true;
                    ++below_window;
                    reaching_window.push({decode_rounds + arch.sliding_window - r.prompt_tokens - 1, index});
                }
            }
            finishing.push({decode_rounds + r.output_tokens - 1, index});
        }
    }
    run.requests = total;
    run.duration_ms = clock_ms;
    for (const SimRequest& r : requests) {
        run.output_tokens += r.output_tokens;
    }
    run.mean_ttft_ms = ttft_sum_ms / static_cast<double>(total);
    if (tpot_count > 0) {
        run.mean_tpot_ms = tpot_sum_ms / static_cast<double>(tpot_count);
    }
    return run;
}

std::optional<double> benchmark_output_tokens_per_s(const EstimateRequest& request, std::int64_t batch) {
    if (batch > k_benchmark_max_concurrency) {
        return std::nullopt;
    }
    EstimateRequest at_batch = request;
    at_batch.batch = batch;
    const auto run = simulate_closed_loop(
        at_batch, ClosedLoopProtocol{.requests_per_client = k_benchmark_requests_per_slot, .length_low_fraction = 1.0, .seed = 0});
    if (!run || !(run->duration_ms > 0.0)) {
        return std::nullopt;
    }
    return static_cast<double>(run->output_tokens) / run->duration_ms * 1000.0;
}

}  // namespace dsselect
