// Physics against hand-computed values. Small fixtures, not the shipped catalog, so that a
// catalog update never breaks a formula test.
#include <algorithm>
#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

#include "dsselect/estimate/estimator.hpp"
#include "dsselect/estimate/serving_sim.hpp"
#include "support/helpers.hpp"

using namespace dsselect;

using test::request_for;

TEST_CASE("parameters: R1-Distill-Qwen-32B config gives its published count within 0.5 %", "[estimator][parameters]") {
    Architecture a;
    a.num_hidden_layers = 64;
    a.hidden_size = 5120;
    a.intermediate_size = 27648;
    a.num_attention_heads = 40;
    a.num_key_value_heads = 8;
    a.vocab_size = 152064;
    const auto counts = count_parameters(a);
    // Hand count: embed + head 2 * 152064 * 5120; per layer q,o 2 * 5120^2, k,v 2 * 5120 * 1024,
    // FFN 3 * 5120 * 27648, norms 2 * 5120; final norm 5120.
    const std::int64_t expected = 2LL * 152064 * 5120 +
                                  64LL * (2LL * 5120 * 5120 + 2LL * 5120 * 1024 + 3LL * 5120 * 27648 + 2 * 5120) + 5120;
    CHECK(counts.total == expected);
    CHECK(static_cast<double>(counts.total) == Approx(32'763'876'352.0).epsilon(0.005));
    CHECK(counts.active == counts.total);
}

TEST_CASE("parameters: DeepSeek-V3 config gives about 671B total and 37B active", "[estimator][parameters]") {
    const auto counts = count_parameters(test::deepseek_v3().architecture);
    CHECK(static_cast<double>(counts.total) == Approx(671e9).epsilon(0.01));
    CHECK(static_cast<double>(counts.active) == Approx(37e9).epsilon(0.03));
    CHECK(counts.routed_experts > counts.total / 2);
}

TEST_CASE("parameters: tied embeddings are counted once", "[estimator][parameters]") {
    Architecture a = test::llama2_7b().architecture;
    const auto untied = count_parameters(a);
    a.tie_word_embeddings = true;
    const auto tied = count_parameters(a);
    CHECK(untied.total - tied.total == 32000LL * 4096);
    CHECK(untied.active_matmul == tied.active_matmul);  // the head multiplies either way
    CHECK(untied.head_matmul == 32000LL * 4096);
    CHECK(tied.head_matmul == untied.head_matmul);
}

TEST_CASE("parameters: parameters_override pins the total and scales the groups", "[estimator][parameters]") {
    Model model = test::llama2_7b();
    const auto computed = model_parameters(model);
    model.parameters_override = computed.total * 2;
    const auto pinned = model_parameters(model);
    CHECK(pinned.total == computed.total * 2);
    CHECK(static_cast<double>(pinned.attention) == Approx(2.0 * static_cast<double>(computed.attention)).epsilon(1e-9));
    CHECK(static_cast<double>(pinned.head_matmul) == Approx(2.0 * static_cast<double>(computed.head_matmul)).epsilon(1e-9));
}

TEST_CASE("memory: 175B parameters at exactly 4 bits weigh 87.5 GB", "[estimator][memory]") {
    CHECK(weight_bytes(175e9, test::variant_bits(4)) == Approx(87.5e9));
    CHECK(weight_bytes(175e9, test::variant_bits(4.125)) == Approx(90.234375e9));
}

TEST_CASE("memory: INT4 halves weight memory against INT8", "[estimator][memory]") {
    CHECK(weight_bytes(6.7e9, test::variant_bits(4)) == Approx(weight_bytes(6.7e9, test::variant_bits(8)) / 2));
}

TEST_CASE("memory: pruning keeps a fraction, 2:4 sparsity stores half plus 2 index bits", "[estimator][memory]") {
    Variant pruned = test::variant_bits(16);
    pruned.parameter_fraction = 0.4;
    CHECK(weight_bytes(1e9, pruned) == Approx(0.8e9));
    Variant sparse = test::variant_bits(16);
    sparse.structured_sparsity_2_4 = true;
    CHECK(weight_bytes(1e9, sparse, true) == Approx(1e9 * 0.5 * 18 / 8));
    CHECK(weight_bytes(1e9, sparse) == Approx(2e9));  // held dense unless packed is asked for
}

TEST_CASE("memory: Llama-2-7B KV cache is 524,288 bytes per token at fp16", "[estimator][memory]") {
    CHECK(kv_cache_elements_per_token(test::llama2_7b().architecture) * 2 == 524'288);
}

TEST_CASE("memory: DeepSeek-V3 MLA latent cache is 70,272 bytes per token at 16 bits", "[estimator][memory]") {
    CHECK(kv_cache_elements_per_token(test::deepseek_v3().architecture) * 2 == 70'272);
}

TEST_CASE("memory: tensor parallelism splits GQA heads but replicates MLA latents", "[estimator][memory]") {
    Architecture gqa = test::llama2_7b().architecture;
    gqa.num_key_value_heads = 8;
    CHECK(kv_cache_elements_per_token_per_gpu(gqa, 4) == Approx(2.0 * 32 * 2 * 128));
    CHECK(kv_cache_elements_per_token_per_gpu(gqa, 16) == Approx(2.0 * 32 * 1 * 128));  // at least one head
    const Architecture mla = test::deepseek_v3().architecture;
    CHECK(kv_cache_elements_per_token_per_gpu(mla, 8) == Approx(35'136.0));
}

namespace {
// A trace step's value by name (REQUIREs that it is there).
double traced(const Trace& trace, const std::string& name) {
    for (const TraceItem& step : trace) {
        if (step.name == name) {
            return step.value;
        }
    }
    FAIL("no trace step " << name);
    return 0.0;
}
}  // namespace

TEST_CASE("sliding window: KV positions held and their mean over a decode and a prompt's keys", "[estimator][sliding-window]") {
    Architecture a = test::llama2_7b().architecture;  // 32 layers
    CHECK(kv_positions(a, 10000.0) == 10000.0);
    CHECK(mean_kv_positions(a, 3000.0, 2000.0) == 4000.0);
    CHECK(prompt_key_positions(a, 8192.0) == 8192.0);
    a.sliding_window = 4096;
    a.sliding_window_layers = 16;  // half the layers keep the last 4,096 tokens only
    CHECK(kv_positions(a, 1000.0) == Approx(1000.0));
    CHECK(kv_positions(a, 10000.0) == Approx(10000.0 - 0.5 * 5904.0));  // 7,048
    // The context grows from 3,000 to 5,000 and passes the window at 4,096: the mean of
    // max(C - W, 0) is 904^2 / (2 * 2000) = 204.304.
    CHECK(mean_kv_positions(a, 3000.0, 2000.0) == Approx(4000.0 - 0.5 * 204.304));
    CHECK(mean_kv_positions(a, 5000.0, 2000.0) == Approx(6000.0 - 0.5 * (6000.0 - 4096.0)));  // past it throughout
    CHECK(mean_kv_positions(a, 1000.0, 2000.0) == Approx(2000.0));                            // within it throughout
    CHECK(mean_kv_positions(a, 5000.0, 0.0) == Approx(5000.0 - 0.5 * 904.0));
    // Query i attends to min(i, W) keys on a window layer: (W^2/2 + (P - W) W) * 2 / P = 2W - W^2/P
    // = 6,144 keys at P = 8,192, against 8,192 on a full layer.
    CHECK(prompt_key_positions(a, 4096.0) == Approx(4096.0));
    CHECK(prompt_key_positions(a, 8192.0) == Approx(0.5 * 8192.0 + 0.5 * 6144.0));
}

TEST_CASE("sliding window: the KV cache and the decode's reads and the prompt's attention use the window", "[estimator][sliding-window]") {
    Model full = test::llama2_7b();
    full.architecture.max_position_embeddings = 32768;
    Model windowed = full;
    windowed.architecture.sliding_window = 4096;
    windowed.architecture.sliding_window_layers = 32;  // every layer (Mistral 7B v0.1)
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = request_for(full, fp16, hardware, 1, 4);
    request.prompt_tokens = 16000;
    request.output_tokens = 1000;
    Trace full_trace;
    const Estimate a = estimate(request, &full_trace);
    request.model = &windowed;
    Trace window_trace;
    const Estimate b = estimate(request, &window_trace);
    REQUIRE(a.has_timing());
    REQUIRE(b.has_timing());
    // Four paged sequences hold P + O/2 = 16,500 tokens each at full attention, the window's
    // 4,096 with it: the cache is 4 * 4,096 tokens of 524,288 bytes.
    CHECK(a.memory.kv_cache_tokens == Approx(4.0 * 16500.0));
    CHECK(b.memory.kv_cache_tokens == Approx(4.0 * 4096.0));
    CHECK(b.memory.kv_cache_bytes == Approx(4.0 * 4096.0 * 524288.0));
    CHECK(b.memory.max_concurrency > a.memory.max_concurrency);
    // A memory-bound decode step reads 4 * (16,500 - 4,096) fewer KV tokens.
    REQUIRE(a.performance.decode_memory_bound);
    REQUIRE(b.performance.decode_memory_bound);
    CHECK(a.performance.decode_step_ms - b.performance.decode_step_ms ==
          Approx(4.0 * (16500.0 - 4096.0) * 524288.0 / (2039e9 * 0.75) * 1000.0).epsilon(1e-6));
    // The prompt's attention FLOPs: 2 * L * h * d_h * P * keys, keys 16,000 against 2W - W^2/P.
    const double attention_dim = 32.0 * 32.0 * 128.0;
    const double keys_windowed = 2.0 * 4096.0 - 4096.0 * 4096.0 / 16000.0;
    CHECK(traced(full_trace, "prefill_flops") - traced(window_trace, "prefill_flops") ==
          Approx(2.0 * attention_dim * 16000.0 * (16000.0 - keys_windowed)).epsilon(1e-9));
    // The full reservation holds each sequence at P + O = 17,000 tokens: the window's 4,096 with
    // it, and with half the layers windowed 17,000 - 12,904 / 2 = 10,548.
    request.profile.kv_full_reservation = true;
    CHECK(estimate(request).memory.kv_cache_tokens == Approx(4.0 * 4096.0));
    windowed.architecture.sliding_window_layers = 16;
    CHECK(estimate(request).memory.kv_cache_tokens == Approx(4.0 * 10548.0));
    request.model = &full;
    CHECK(estimate(request).memory.kv_cache_tokens == Approx(4.0 * 17000.0));
}

TEST_CASE("moe: expected experts touched follows E (1 - (1 - k/E)^B)", "[estimator][moe]") {
    CHECK(expected_experts_touched(256, 8, 1) == Approx(8.0));
    CHECK(expected_experts_touched(256, 8, 2) == Approx(256.0 * (1 - std::pow(1 - 8.0 / 256, 2))));
    CHECK(expected_experts_touched(256, 8, 10000) == Approx(256.0));
}

TEST_CASE("estimate: weights-only decode of a 13.5 GB model on 2,039 GB/s at eta 0.75 is about 8.8 ms", "[estimator][time]") {
    Model model = test::llama2_7b();
    model.parameters_override = 6'738'415'616;  // Llama-2-7B published count: 13.48 GB at fp16
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu(2039);
    EstimateRequest request = request_for(model, fp16, hardware);
    request.prompt_tokens = 1;
    request.output_tokens = 1;
    request.profile.per_step_overhead_ms = 0.0;
    const Estimate e = estimate(request);
    REQUIRE(e.has_timing());
    // Weights 13.477 GB / (2039 GB/s * 0.75) = 8.81 ms; the 1-token KV read adds nothing visible.
    CHECK(e.performance.decode_step_ms == Approx(13.476831232e9 / (2039e9 * 0.75) * 1000).epsilon(0.002));
    CHECK(e.performance.decode_memory_bound);
}

TEST_CASE("estimate: doubling bandwidth roughly halves batch-1 TPOT", "[estimator][time]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware slow = test::gpu(1000);
    const Hardware fast = test::gpu(2000);
    const Estimate a = estimate(request_for(model, fp16, slow));
    const Estimate b = estimate(request_for(model, fp16, fast));
    REQUIRE(a.has_timing());
    REQUIRE(b.has_timing());
    const double overhead = EfficiencyProfile{}.per_step_overhead_ms;
    CHECK((a.performance.tpot_ms - overhead) / (b.performance.tpot_ms - overhead) == Approx(2.0).epsilon(0.01));
}

TEST_CASE("estimate: more GPUs never raise TPOT for a bandwidth-bound model", "[estimator][time]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    double previous = 1e30;
    for (std::int64_t gpus : {1, 2, 4, 8}) {
        const Estimate e = estimate(request_for(model, fp16, hardware, gpus));
        REQUIRE(e.has_timing());
        CHECK(e.performance.tpot_ms <= previous);
        previous = e.performance.tpot_ms;
    }
}

TEST_CASE("estimate: INT8 weights lower batch-1 TPOT against FP16 on the same GPU", "[estimator][time]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Variant int8 = test::variant_bits(8, Precision::int8);
    const Hardware hardware = test::gpu();
    const Estimate a = estimate(request_for(model, fp16, hardware));
    const Estimate b = estimate(request_for(model, int8, hardware));
    CHECK(b.performance.tpot_ms < a.performance.tpot_ms);
    CHECK(b.memory.weights_bytes == Approx(a.memory.weights_bytes / 2));
}

TEST_CASE("estimate: a model that does not fit reports the shortfall and no timing", "[estimator][memory]") {
    Model model = test::llama2_7b();
    model.parameters_override = 175'000'000'000;
    const Variant fp16 = test::variant_bits(16);
    const Hardware small = test::gpu(600, 24);
    const Estimate e = estimate(request_for(model, fp16, small));
    CHECK_FALSE(e.memory.fits);
    CHECK(e.feasibility == Feasibility::does_not_fit);
    CHECK_FALSE(e.has_timing());
    CHECK(e.memory.shortfall_bytes > 300e9);
    CHECK(e.memory.max_concurrency == 0);
}

TEST_CASE("estimate: FP8 compute on hardware without FP8 is precision_unsupported", "[estimator]") {
    const Model model = test::llama2_7b();
    const Variant fp8 = test::variant_bits(8, Precision::fp8);
    const Hardware ampere = test::gpu();
    CHECK(estimate(request_for(model, fp8, ampere)).feasibility == Feasibility::precision_unsupported);
}

TEST_CASE("estimate: weight-only INT4 computes at 16 bits", "[estimator]") {
    const Model model = test::llama2_7b();
    const Variant int4 = test::variant_bits(4);
    const Hardware hardware = test::gpu();
    const Estimate e = estimate(request_for(model, int4, hardware));
    CHECK(e.compute_precision == Precision::fp16);
    CHECK(e.peak_flops_per_gpu == Approx(312e12));
}

TEST_CASE("estimate: max concurrency is the largest batch that fits", "[estimator][memory]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    const Estimate one = estimate(request_for(model, fp16, hardware));
    const std::int64_t limit = one.memory.max_concurrency;
    REQUIRE(limit > 1);
    CHECK(estimate(request_for(model, fp16, hardware, 1, limit)).memory.fits);
    CHECK_FALSE(estimate(request_for(model, fp16, hardware, 1, limit + 64)).memory.fits);
}

TEST_CASE("estimate: a batch fits exactly when it is within max concurrency", "[estimator][memory]") {
    // The engine reserves a full step's activations at start-up whatever the batch, so fits and
    // max_concurrency answer the same inequality: on GPUs from just too small for the weights,
    // the overhead and a full step to roomy, at short and long prompts, a batch fits if and only
    // if it is at most max_concurrency (no engine cap on running sequences here). Charging only
    // B * P tokens of activations said a batch of one short prompt fits where max_concurrency is 0.
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    int zero_concurrency_cases = 0;
    // The context window (0: P + O) joins the same inequality: one sequence that long must fit.
    for (double memory_gb = 15.0; memory_gb <= 18.0; memory_gb += 0.25) {
        const Hardware hardware = test::gpu(2039, memory_gb);
        for (const std::int64_t prompt : {64, 700, 9000}) {
            for (const std::int64_t window : {std::int64_t{0}, std::int64_t{4096}}) {
                EstimateRequest request = request_for(model, fp16, hardware);
                request.prompt_tokens = prompt;
                request.context_tokens = window > 0 ? std::max(window, prompt + request.output_tokens) : 0;
                REQUIRE(request.profile.max_num_seqs == 0);
                const std::int64_t limit = estimate(request).memory.max_concurrency;
                zero_concurrency_cases += limit == 0 ? 1 : 0;
                for (std::int64_t batch = 1; batch <= limit + 2; ++batch) {
                    request.batch = batch;
                    INFO("memory_gb " << memory_gb << " prompt " << prompt << " window " << request.context_tokens
                                      << " batch " << batch << " limit " << limit);
                    CHECK(estimate(request).memory.fits == (batch <= limit));
                }
            }
        }
    }
    CHECK(zero_concurrency_cases > 0);  // the sweep reaches GPUs where nothing fits
}

TEST_CASE("estimate: the KV cache holds one sequence of the whole context window", "[estimator][memory]") {
    // Llama-2-7B at 16 bits: 2 * 32 layers * 32 KV heads * 128 * 2 bytes = 524,288 bytes per token.
    // At batch 1, P 512 and O 128 the paged cache holds max(512 + 64, 640) = 640 tokens (the
    // request's own window, P + O); a 4,096-token window (the model's whole) holds 3,456 more.
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware roomy = test::gpu(2039, 80);
    EstimateRequest request = request_for(model, fp16, roomy);
    const Estimate own = estimate(request);
    CHECK(own.memory.kv_cache_tokens == Approx(640.0));
    CHECK(own.memory.kv_cache_bytes == Approx(640.0 * 524288.0));
    request.context_tokens = 4096;
    const Estimate window = estimate(request);
    REQUIRE(window.feasibility == Feasibility::ok);
    CHECK(window.memory.kv_cache_tokens == Approx(4096.0));
    CHECK(window.memory.per_gpu_bytes - own.memory.per_gpu_bytes == Approx((4096.0 - 640.0) * 524288.0));
    CHECK(window.memory.max_concurrency == own.memory.max_concurrency);  // a batch of 576-token sequences still fits as many
    // A batch whose sequences hold more than the window: the batch sizes the cache.
    request.batch = 64;
    CHECK(estimate(request).memory.kv_cache_tokens == Approx(64.0 * 576.0));

    // On 18 GB (16.2 usable) the weights (13.5 GB), a step's activations (0.6 GB) and 1 GiB of
    // overhead leave about 1 GB: 640 tokens fit, a 4,096-token sequence (2.1 GB of cache) does not,
    // so nothing runs, whatever the batch.
    const Hardware small = test::gpu(2039, 18);
    EstimateRequest tight = request_for(model, fp16, small);
    REQUIRE(estimate(tight).memory.fits);
    tight.context_tokens = 4096;
    const Estimate refused = estimate(tight);
    CHECK_FALSE(refused.memory.fits);
    CHECK(refused.feasibility == Feasibility::does_not_fit);
    CHECK(refused.memory.max_concurrency == 0);
    CHECK(refused.memory.shortfall_bytes == Approx(refused.memory.per_gpu_bytes - refused.memory.usable_per_gpu_bytes));
    CHECK(refused.memory.shortfall_bytes > 0.0);
}

TEST_CASE("estimate: latency is TTFT + (O - 1) TPOT and QPS and output tokens follow Little's law", "[estimator][time]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    const Estimate e = estimate(request_for(model, fp16, hardware, 1, 8));
    const auto& p = e.performance;
    CHECK(p.latency_ms == Approx(p.ttft_ms + 127 * p.tpot_ms));
    CHECK(p.qps == Approx(8 / (p.latency_ms / 1000)));
    // Each request's 128 tokens over its latency, its prefill included: below B / TPOT.
    CHECK(p.output_tokens_per_s == Approx(8.0 * 128.0 / (p.latency_ms / 1000)));
    CHECK(p.output_tokens_per_s < 8 * 1000 / p.tpot_ms);
    CHECK(p.output_tokens_per_s_per_sequence == Approx(1000 / p.tpot_ms));
    CHECK(p.tpot_ms > p.decode_step_ms);  // continuous batching adds interleaved prefills
}

TEST_CASE("estimate: a long prompt's prefill counts against output tokens per second", "[estimator][time]") {
    // One stream, 4,000 prompt and 16 output tokens: the prefill takes much of each request's
    // latency, so the sustained rate is well below one token per TPOT, and a larger batch that
    // completes more requests per second never yields fewer tokens per second.
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = request_for(model, fp16, hardware, 1, 1);
    request.prompt_tokens = 4000;
    request.output_tokens = 16;
    const Estimate one = estimate(request);
    REQUIRE(one.has_timing());
    CHECK(one.performance.ttft_ms > 15 * one.performance.tpot_ms);
    CHECK(one.performance.output_tokens_per_s == Approx(16.0 * 1000.0 / one.performance.latency_ms));
    CHECK(one.performance.output_tokens_per_s < 0.5 * 1000.0 / one.performance.tpot_ms);
    request.batch = 2;
    const Estimate two = estimate(request);
    REQUIRE(two.has_timing());
    REQUIRE(two.performance.qps > one.performance.qps);
    CHECK(two.performance.output_tokens_per_s > one.performance.output_tokens_per_s);
}

TEST_CASE("estimate: dynamic activation lowers compute but not weight memory", "[estimator]") {
    const Model model = test::llama2_7b();
    const Variant dense = test::variant_bits(16);
    Variant dynamic = test::variant_bits(16);
    dynamic.active_fraction = 0.3;
    const Hardware hardware = test::gpu();
    const Estimate a = estimate(request_for(model, dense, hardware));
    const Estimate b = estimate(request_for(model, dynamic, hardware));
    CHECK(b.memory.weights_bytes == Approx(a.memory.weights_bytes));
    CHECK(b.active_parameters == Approx(a.active_parameters * 0.3));
    CHECK(b.performance.ttft_ms < a.performance.ttft_ms);
}

TEST_CASE("estimate: a trace is recorded only when asked", "[estimator]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    Trace trace;
    const Estimate with = estimate(request_for(model, fp16, hardware), &trace);
    const Estimate without = estimate(request_for(model, fp16, hardware));
    CHECK(trace.size() > 10);
    CHECK(with.performance.tpot_ms == without.performance.tpot_ms);
}

TEST_CASE("estimate: a replica spanning nodes all-reduces over the slower network", "[estimator][time]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    Hardware node = test::gpu();
    node.max_devices_per_node = 8;
    Hardware small_node = node;
    small_node.max_devices_per_node = 4;
    const Estimate within = estimate(request_for(model, fp16, node, 8, 8));
    const Estimate across = estimate(request_for(model, fp16, small_node, 8, 8));
    CHECK(across.performance.decode_step_ms > within.performance.decode_step_ms);
}

namespace {
// Llama-2-7B on the 2,039 GB/s test GPU at the default profile (eta_c 0.70, eta_m 0.75, 312 TFLOPS):
// the prefill of P tokens by hand.
double prefill_compute_ms(const Model& model, double prompt) {
    const double matmul = static_cast<double>(count_parameters(model.architecture).active_matmul);
    const double head = 32000.0 * 4096.0;  // V x d: the logits of the prompt's last token only
    const double attention = 2.0 * 32 * 32 * 128 * prompt * prompt;  // 2 L h_q d_h P^2
    return (2.0 * (matmul - head) * prompt + 2.0 * head + attention) / (312e12 * 0.70) * 1000.0;
}
double weights_ms(const Model& model, const Variant& variant) {
    return model_weight_bytes(model, variant) / (2039e9 * 0.75) * 1000.0;
}
// One token of Llama-2-7B's FP16 KV cache (32 layers x 2 x 4,096 x 2 bytes) read at 2,039 GB/s x 0.75.
double kv_token_ms() { return 524288.0 / (2039e9 * 0.75) * 1000.0; }
// The toy of the step-by-step tests: 4-token prompts and no step overhead, so every step is
// memory-bound and its time is W plus the KV it reads.
EstimateRequest toy_request(const Model& model, const Variant& variant, const Hardware& hardware, std::int64_t batch) {
    EstimateRequest request = request_for(model, variant, hardware, 1, batch);
    request.prompt_tokens = 4;
    request.profile.per_step_overhead_ms = 0.0;
    return request;
}
// Two toy requests of 4 prompt and 3 output tokens against a token budget of `budget` per step.
EstimateRequest two_request_toy(const Model& model, const Variant& variant, const Hardware& hardware, std::int64_t budget) {
    EstimateRequest request = toy_request(model, variant, hardware, 2);
    request.output_tokens = 3;
    request.profile.max_batched_tokens = budget;
    return request;
}
// two_request_toy with the model, precision and GPU it points at, and the memory-bound times the
// simulation tests reckon in: W, a step's weight stream, and kv, one KV token's read.
struct TwoRequestToy {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request;
    double w = 0;
    double kv = 0;
    explicit TwoRequestToy(std::int64_t budget)
        : request(two_request_toy(model, fp16, hardware, budget)), w(weights_ms(model, fp16)), kv(kv_token_ms()) {}
    TwoRequestToy(const TwoRequestToy&) = delete;
    TwoRequestToy& operator=(const TwoRequestToy&) = delete;
};
}  // namespace

TEST_CASE("ttft: one request alone is its own prefill plus one step overhead and no constant", "[estimator][ttft]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    const Estimate e = estimate(request_for(model, fp16, hardware));
    REQUIRE(e.has_timing());
    // 512 tokens of a 6.5B-matmul model: about 31 ms of compute against 8.8 ms of weights.
    const double expected = std::max(prefill_compute_ms(model, 512), weights_ms(model, fp16)) + 0.5;
    CHECK(e.performance.prefill_ms == Approx(expected));
    CHECK(e.performance.step_wait_ms == 0.0);
    CHECK(e.performance.ttft_ms == Approx(expected));
}

TEST_CASE("ttft: with other sequences running a request waits half the step in progress", "[estimator][ttft]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = request_for(model, fp16, hardware, 1, 8);
    const Estimate e = estimate(request);
    REQUIRE(e.has_timing());
    CHECK(e.performance.step_wait_ms == Approx(e.performance.decode_step_ms / 2));
    CHECK(e.performance.ttft_ms == Approx(prefill_compute_ms(model, 512) + 0.5 + e.performance.decode_step_ms / 2));
    // A user profile's fixed delay is added as it is.
    request.profile.ttft_fixed_ms = 30.0;
    CHECK(estimate(request).performance.ttft_ms == Approx(e.performance.ttft_ms + 30.0));
}

TEST_CASE("ttft: the deprecated batch exponent still multiplies the prefill compute by B^x", "[estimator][ttft]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = request_for(model, fp16, hardware, 1, 4);
    request.profile.ttft_batch_exponent = 0.5;
    const Estimate e = estimate(request);
    REQUIRE(e.has_timing());
    CHECK(e.performance.prefill_ms == Approx(2.0 * prefill_compute_ms(model, 512) + 0.5));
}

TEST_CASE("burst ttft: one request is one prefill step", "[estimator][ttft]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    const EstimateRequest request = request_for(model, fp16, hardware);
    const auto burst = burst_mean_ttft_ms(request);
    REQUIRE(burst.has_value());
    CHECK(*burst == Approx(std::max(prefill_compute_ms(model, 512), weights_ms(model, fp16)) + 0.5));
}

TEST_CASE("burst ttft: prompts that fit one step budget finish together", "[estimator][ttft]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    // 4 x 512 tokens within the 8,192-token budget: one compute-bound step of 2,048 tokens.
    const auto burst = burst_mean_ttft_ms(request_for(model, fp16, hardware, 1, 4));
    REQUIRE(burst.has_value());
    CHECK(*burst == Approx(4.0 * prefill_compute_ms(model, 512) + 0.5));
}

TEST_CASE("burst ttft: chunked prefill leaves room for the decodes of finished requests", "[estimator][ttft]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = toy_request(model, fp16, hardware, 2);
    request.profile.max_batched_tokens = 4;
    // Memory-bound steps: step 1 prefills request 1 (W); steps 2 and 3 carry request 1's decode
    // (W + its 4-token KV read) and request 2's 3 + 1 prompt tokens. Mean of W and 3 W + 2 kv.
    const double w = weights_ms(model, fp16);
    const double kv = 4.0 * kv_token_ms();
    const auto burst = burst_mean_ttft_ms(request);
    REQUIRE(burst.has_value());
    CHECK(*burst == Approx(2.0 * w + kv));
}

TEST_CASE("burst ttft: a finished request's decode reads only its window's KV", "[estimator][ttft][sliding-window]") {
    const Model full = test::llama2_7b();
    Model windowed = full;
    windowed.architecture.sliding_window = 2;
    windowed.architecture.sliding_window_layers = 32;
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = toy_request(full, fp16, hardware, 2);
    request.profile.max_batched_tokens = 4;
    // As above, but request 1's decode in steps 2 and 3 reads 2 KV tokens, not 4: the mean TTFT
    // is 2 kv shorter.
    const auto with_full = burst_mean_ttft_ms(request);
    request.model = &windowed;
    const auto with_window = burst_mean_ttft_ms(request);
    REQUIRE(with_full.has_value());
    REQUIRE(with_window.has_value());
    CHECK(*with_full - *with_window == Approx(2.0 * kv_token_ms()).epsilon(1e-3));
}

TEST_CASE("wave ttft: a batch the budget admits at once is the burst", "[estimator][ttft]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    // 4 x 512 tokens within the 8,192-token budget: the whole batch is one group, nothing runs.
    const EstimateRequest request = request_for(model, fp16, hardware, 1, 4);
    const auto wave = wave_mean_ttft_ms(request);
    const auto burst = burst_mean_ttft_ms(request);
    REQUIRE(wave.has_value());
    REQUIRE(burst.has_value());
    CHECK(*wave == Approx(*burst));
}

TEST_CASE("wave ttft: a group of budget over P prompts is prefilled beside the running decodes", "[estimator][ttft]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = toy_request(model, fp16, hardware, 3);
    request.profile.max_batched_tokens = 8;
    // Groups of 8 / 4 = 2 prompts; 1 sequence runs at the mean context 4 + 128 / 2 = 68 tokens.
    // Memory-bound steps: the group waits half a decode step at B = 3 (W + 3 * 68 KV reads);
    // step 1 prefills 7 prompt tokens (request 1 done) beside the running decode: W + 68 kv;
    // step 2 prefills the last token beside 2 decodes: W + 68 kv + 4 kv (request 1 at about P).
    // Mean TTFT: wait + step 1 + step 2 / 2 = 2 W + (102 + 68 + 36) kv.
    const double w = weights_ms(model, fp16);
    const double kv = kv_token_ms();
    const auto wave = wave_mean_ttft_ms(request);
    REQUIRE(wave.has_value());
    CHECK(*wave == Approx(2.0 * w + 206.0 * kv));
}

TEST_CASE("mixed step: with no prompt tokens it is the decode step of the batch", "[estimator][simulation]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    const EstimateRequest request = request_for(model, fp16, hardware, 1, 8);
    const EstimatePlan plan(request);
    const Estimate e = plan.at(8);
    REQUIRE(e.has_timing());
    // 8 sequences at the mean context P + O/2 = 512 + 64.
    CHECK(plan.mixed_step_ms(0.0, 8.0, 8.0 * 576.0) == Approx(e.performance.decode_step_ms).epsilon(1e-12));
}

TEST_CASE("mixed step: a whole prompt alone is the request's prefill", "[estimator][simulation]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    const EstimateRequest request = request_for(model, fp16, hardware);
    const EstimatePlan plan(request);
    // Compute-bound 512 tokens plus the 0.5 ms step overhead, as the estimate's own prefill.
    CHECK(plan.mixed_step_ms(512.0, 0.0, 0.0) == Approx(prefill_compute_ms(model, 512) + 0.5));
    CHECK(plan.mixed_step_ms(512.0, 0.0, 0.0) == Approx(plan.at(1).performance.prefill_ms).epsilon(1e-12));
}

TEST_CASE("mixed step: a MoE step reads only the experts its tokens route to", "[estimator][simulation]") {
    const Model model = test::deepseek_v3();
    const Variant fp8 = test::variant_bits(8);
    const Hardware hardware = test::gpu(4800, 141);
    EstimateRequest request = request_for(model, fp8, hardware, 8, 1);
    request.prompt_tokens = 1024;
    const EstimatePlan plan(request);
    REQUIRE(plan.at(1).has_timing());
    // One decoding token touches 8 of 256 experts per layer; a 1,024-token chunk nearly all.
    CHECK(plan.mixed_step_ms(0.0, 1.0, 1088.0) == Approx(plan.at(1).performance.decode_step_ms).epsilon(1e-12));
    CHECK(plan.mixed_step_ms(1024.0, 0.0, 0.0) > 2.0 * plan.mixed_step_ms(0.0, 1.0, 0.0));
}

// Issue 20: the engines' routed-expert kernels (docs/method.md, "MoE expert kernels").
namespace {
// DeepSeek-V3 in FP8 on 8 GPUs of 4.8 TB/s and 1,000 FP8 TFLOPS: the MoE kernel tests' replica.
struct MoeReplica {
    const Model model = test::deepseek_v3();
    const Variant fp8 = test::variant_bits(8, Precision::fp8);
    const Hardware hardware = [] {
        Hardware h = test::gpu(4800, 141);
        h.peak_tflops[Precision::fp8] = 1000;
        return h;
    }();
    EstimateRequest request() const { return request_for(model, fp8, hardware, 8, 1); }
};
}  // namespace

TEST_CASE("moe kernels: the routed experts take the kernel law's time instead of the roofline's", "[estimator][moe]") {
    const MoeReplica replica;
    const Model& model = replica.model;
    const Variant& fp8 = replica.fp8;
    const Hardware& hardware = replica.hardware;
    EstimateRequest request = replica.request();
    request.prompt_tokens = 4096;
    request.profile.compute_efficiency = 0.5;
    const double roofline_ms = estimate(request).performance.prefill_work_ms;
    // DeepSeek-V3: 58 MoE layers of 256 experts, 8 per token, h 7,168, I 2,048. Routed FLOPs per
    // token 2 * 58 * 8 * 3 * 7168 * 2048; on 8 GPUs at 0.5 x 1,000 TFLOPS each.
    const double routed_flops = 2.0 * 58 * 8 * 3 * 7168.0 * 2048.0;
    const double roofline_expert_ms = routed_flops / (8 * 0.5e15) * 1000.0;
    // The fixture's FP8 model names no block-scaled checkpoint: the per-tensor law's slot.
    request.profile.moe_kernel = {.efficiency = 0.25, .routed_columns = 100.0, .token_columns = 200.0};
    // Tensor parallel (the default): every GPU holds 2048 / 8 = 256 columns of every expert:
    // 8 * (256 + 100) + 200 = 3,048 columns per token, 58 layers * 6 h of FLOPs each, at 0.25 x peak.
    const double tp_kernel_ms = 58 * 6.0 * 7168.0 * 3048.0 / (1e15 * 0.25) * 1000.0;
    CHECK(estimate(request).performance.prefill_work_ms ==
          Approx(roofline_ms + 4096.0 * (tp_kernel_ms - roofline_expert_ms)).epsilon(1e-9));
    // Expert parallel over the 8 GPUs: a GPU holds 32 whole experts and gets 8 / 8 of each token's
    // routes: (2048 + 100) + 200 = 2,348 columns per token.
    request.expert_parallel_size = 8;
    const double ep_kernel_ms = 58 * 6.0 * 7168.0 * 2348.0 / (1e15 * 0.25) * 1000.0;
    CHECK(estimate(request).performance.prefill_work_ms ==
          Approx(roofline_ms + 4096.0 * (ep_kernel_ms - roofline_expert_ms)).epsilon(1e-9));
    // A decode step's compute pays the same per token: B = 64 tokens, exactly.
    request.batch = 64;
    EstimateRequest no_law = request;
    no_law.profile.moe_kernel = {};
    Trace with_law_trace;
    Trace no_law_trace;
    estimate(request, &with_law_trace);
    estimate(no_law, &no_law_trace);
    CHECK(traced(with_law_trace, "decode_compute_ms") ==
          Approx(traced(no_law_trace, "decode_compute_ms") + 64.0 * (ep_kernel_ms - roofline_expert_ms)).epsilon(1e-9));
    CHECK(traced(with_law_trace, "expert_kernel_ms_per_token") == Approx(ep_kernel_ms).epsilon(1e-12));
    // A pruned variant (parameter_fraction 0.5) halves the slices and the routed FLOPs alike.
    Variant pruned = fp8;
    pruned.parameter_fraction = 0.5;
    EstimateRequest pruned_request = request;
    pruned_request.variant = &pruned;
    pruned_request.batch = 1;
    pruned_request.expert_parallel_size = 1;
    Trace pruned_trace;
    estimate(pruned_request, &pruned_trace);
    CHECK(traced(pruned_trace, "expert_kernel_ms_per_token") ==
          Approx(58 * 6.0 * 7168.0 * (8 * (128.0 + 100.0) + 200.0) / (1e15 * 0.25) * 1000.0).epsilon(1e-12));
    CHECK(traced(pruned_trace, "routed_expert_flops_per_token") == Approx(routed_flops / 2.0).epsilon(1e-12));
    // Without a kernel law the layout changes nothing; nor does a law change a dense model.
    no_law.batch = 1;
    CHECK(estimate(no_law).performance.prefill_work_ms == Approx(roofline_ms).epsilon(1e-12));
    const Model dense = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware small = test::gpu();
    EstimateRequest dense_request = request_for(dense, fp16, small);
    const double dense_ms = estimate(dense_request).performance.prefill_work_ms;
    dense_request.profile.moe_kernel = {.efficiency = 0.1, .token_columns = 5000.0};
    CHECK(estimate(dense_request).performance.prefill_work_ms == dense_ms);
    // Integer-quantized experts run kernels the law was not timed on: the roofline; so does an
    // engine that splits layers.
    const Variant int8 = test::variant_bits(8, Precision::int8);
    EstimateRequest quantized = request_for(model, int8, hardware, 8, 1);
    quantized.prompt_tokens = 4096;
    const double quantized_ms = estimate(quantized).performance.prefill_work_ms;
    quantized.profile.moe_kernel = {.efficiency = 0.25};
    CHECK(estimate(quantized).performance.prefill_work_ms == quantized_ms);
    EstimateRequest split = request;
    split.expert_parallel_size = 1;
    split.batch = 1;
    split.profile.layer_split = true;
    const double split_ms = estimate(split).performance.prefill_work_ms;
    split.profile.moe_kernel = {};
    CHECK(estimate(split).performance.prefill_work_ms == split_ms);
}

TEST_CASE("moe kernels: one rule picks the law by the weights' format and the checkpoint's scales", "[estimator][moe]") {
    Engine engine;
    engine.id = "toy";
    engine.moe_expert_kernels = {{"bf16", 0.3, 10.0, 20.0, 1.5, 0.0, 0.0, "toy", {}},
                                 {"fp8_block", 0.4, 30.0, 40.0, 1.25, 0.8, 35.0, "toy", {}},
                                 {"fp8", 0.9, 50.0, 60.0, 2.0, 0.7, 25.0, "toy", {}}};
    const Hardware hardware = test::gpu();
    const EfficiencyProfile bf16 = engine_profile(&engine, hardware, Precision::bf16);
    CHECK(bf16.moe_kernel.efficiency == 0.3);
    CHECK(bf16.moe_kernel.token_columns == 20.0);
    CHECK(bf16.moe_kernel.ridge_exponent == 1.5);
    CHECK(bf16.moe_kernel_block_scaled.efficiency == 0.0);
    const EfficiencyProfile fp8 = engine_profile(&engine, hardware, Precision::fp8);
    CHECK(fp8.moe_kernel.efficiency == 0.9);
    CHECK(fp8.moe_kernel_block_scaled.efficiency == 0.4);
    CHECK(fp8.moe_kernel_block_scaled.routed_columns == 30.0);
    CHECK(fp8.moe_kernel_block_scaled.memory_efficiency == 0.8);
    CHECK(fp8.moe_kernel_block_scaled.latency_us == 35.0);
    CHECK(fp8.moe_kernel.latency_us == 25.0);
    CHECK(bf16.moe_kernel.memory_efficiency == 0.0);
    CHECK(engine_profile(&engine, hardware, Precision::int8).moe_kernel.efficiency == 0.0);
    Hardware edge = hardware;
    edge.kind = HardwareKind::edge;
    CHECK(engine_profile(&engine, edge, Precision::bf16).moe_kernel.efficiency == 0.0);
    CHECK(engine_profile(nullptr, hardware, Precision::bf16).moe_kernel.efficiency == 0.0);
    CHECK(moe_kernel_law(&engine, "int4", hardware).efficiency == 0.0);
    // A law timed on a GPU serves the ids containing its part; the law naming none serves the rest.
    Engine per_gpu = engine;
    per_gpu.moe_expert_kernels.push_back({"bf16", 0.6, 70.0, 80.0, 1.0, 0.0, 0.0, "toy b200", {"b200"}});
    Hardware gb200 = hardware;
    gb200.id = "gb200";
    CHECK(engine_profile(&per_gpu, gb200, Precision::bf16).moe_kernel.efficiency == 0.6);
    CHECK(engine_profile(&per_gpu, gb200, Precision::bf16).moe_kernel.token_columns == 80.0);
    CHECK(engine_profile(&per_gpu, hardware, Precision::bf16).moe_kernel.efficiency == 0.3);
    CHECK(engine_profile(&per_gpu, gb200, Precision::fp8).moe_kernel.efficiency == 0.9);
    Engine only_b200;
    only_b200.moe_expert_kernels = {{"bf16", 0.6, 70.0, 80.0, 1.0, 0.0, 0.0, "toy b200", {"b200"}}};
    CHECK(moe_expert_kernel(&only_b200, "bf16", hardware) == nullptr);
    CHECK(moe_expert_kernel(&only_b200, "bf16", gb200) == &only_b200.moe_expert_kernels.front());
    // FP8 weights: block-scaled where the published checkpoint is (DeepSeek-V3/R1), else per tensor.
    Model block = test::deepseek_v3();
    block.checkpoint_fp8_weight_scales = "block";
    const Model online = test::deepseek_v3();
    const Variant fp8_variant = test::variant_bits(8, Precision::fp8);
    const Variant fp16_variant = test::variant_bits(16);
    const Variant int4_weight_only = test::variant_bits(4);
    CHECK(moe_kernel_format(block, fp8_variant) == "fp8_block");
    CHECK(moe_kernel_format(online, fp8_variant) == "fp8");
    CHECK(moe_kernel_format(online, fp16_variant) == "bf16");
    CHECK(moe_kernel_format(online, int4_weight_only).empty());
    CHECK(moe_kernel_law_for(fp8, block, fp8_variant).efficiency == 0.4);
    CHECK(moe_kernel_law_for(fp8, online, fp8_variant).efficiency == 0.9);
    CHECK(moe_kernel_law_for(bf16, online, int4_weight_only).efficiency == 0.0);
    CHECK(moe_kernel_law_for(bf16, test::llama2_7b(), fp16_variant).efficiency == 0.0);
    EfficiencyProfile split = bf16;
    split.layer_split = true;
    CHECK(moe_kernel_law_for(split, online, fp16_variant).efficiency == 0.0);
}

TEST_CASE("moe kernels: an expert-parallel layout is checked once for every caller", "[estimator][moe]") {
    const Model moe = test::deepseek_v3();  // 256 routed experts
    CHECK(expert_parallel_problem(moe, nullptr, 8, 8).empty());
    CHECK(expert_parallel_problem(moe, nullptr, 8, 1).empty());
    CHECK(expert_parallel_problem(moe, nullptr, 8, 4).empty());  // EP 4 x TP 2
    CHECK(expert_parallel_problem(moe, nullptr, 8, 3) == "8 GPUs do not divide into expert-parallel groups of 3");
    Model sixty = moe;
    sixty.architecture.n_routed_experts = 60;
    CHECK(expert_parallel_problem(sixty, nullptr, 8, 8) == "60 routed experts do not split evenly over 8 GPUs");
    CHECK(expert_parallel_problem(test::llama2_7b(), nullptr, 8, 8) == "model 'llama2-7b' has no routed experts");
    Engine layers;
    layers.id = "layers";
    layers.multi_gpu = MultiGpu::layer_split;
    CHECK(expert_parallel_problem(moe, &layers, 4, 4) == "engine 'layers' splits layers over the GPUs, not experts");
}

TEST_CASE("moe kernels: the experts' memory and compute join at the ridge, after the rest of the step", "[estimator][moe]") {
    const MoeReplica replica;
    EstimateRequest request = replica.request();
    request.profile.moe_kernel = {.efficiency = 0.25, .token_columns = 200.0};
    const EstimatePlan plan(request);
    // Without a law: one roofline over the step.
    EstimateRequest plain_request = request;
    plain_request.profile.moe_kernel = {};
    CHECK(EstimatePlan(plain_request).roofline_ms(3.0, 5.0, 1.0, 2.0) == 5.0);
    // With one and no exponent: the rest's roofline, max(3 - 1, 5 - 2) = 3, plus the experts' max(1, 2).
    CHECK(plan.roofline_ms(3.0, 5.0, 1.0, 2.0) == Approx(3.0 + 2.0));
    // n = 2: 3 + sqrt(1 + 4); n = 1: 3 + 1 + 2 (the experts' memory and compute never overlap).
    request.profile.moe_kernel.ridge_exponent = 2.0;
    CHECK(EstimatePlan(request).roofline_ms(3.0, 5.0, 1.0, 2.0) == Approx(3.0 + std::sqrt(5.0)));
    request.profile.moe_kernel.ridge_exponent = 1.0;
    CHECK(EstimatePlan(request).roofline_ms(3.0, 5.0, 1.0, 2.0) == Approx(6.0));
    // A large n is the experts' max without overflow.
    request.profile.moe_kernel.ridge_exponent = 1000.0;
    CHECK(EstimatePlan(request).roofline_ms(300.0, 500.0, 100.0, 200.0) == Approx(300.0 + 200.0));
    CHECK(EstimatePlan(request).roofline_ms(0.003, 0.003, 0.001, 0.001) == Approx(0.002 + 0.001 * std::pow(2.0, 0.001)));
    // The decode step at B = 1, exactly: one token reads 8 of 256 experts per MoE layer, so the
    // experts' memory time is 8 / 256 of the routed bytes per GPU (58 layers x 256 experts x
    // 3 x 7168 x 2048 one-byte weights / 8 GPUs) at the traced bandwidth, and their compute one
    // token's law. n = 1 (no overlap) takes their sum, no exponent their max: the steps differ by
    // the smaller of the two.
    request.profile.moe_kernel.ridge_exponent = 0.0;
    Trace trace;
    const double sharp = estimate(request, &trace).performance.decode_step_ms;
    request.profile.moe_kernel.ridge_exponent = 1.0;
    const double summed = estimate(request).performance.decode_step_ms;
    const double routed_bytes_per_gpu = 58.0 * 256 * 3 * 7168.0 * 2048.0 / 8;
    const double expert_memory_ms =
        routed_bytes_per_gpu * 8.0 / 256.0 / traced(trace, "effective_bandwidth_bytes_per_s_per_gpu") * 1000.0;
    const double expert_compute_ms = traced(trace, "expert_kernel_ms_per_token");
    CHECK(summed - sharp == Approx(std::min(expert_memory_ms, expert_compute_ms)).epsilon(1e-9));
    // The serving simulation's steps are the same physics: a decode step of one sequence at the
    // mean context, and a step of one whole prompt, equal the estimate's decode step and prefill.
    request.prompt_tokens = 2048;
    request.output_tokens = 128;
    request.profile.moe_kernel.ridge_exponent = 1.5;
    const EstimatePlan simulated(request);
    const Estimate once = estimate(request);
    CHECK(simulated.mixed_step_ms(0.0, 1.0, 2048.0 + 64.0) == Approx(once.performance.decode_step_ms).epsilon(1e-12));
    CHECK(simulated.mixed_step_ms(2048.0, 0.0, 0.0) == Approx(once.performance.prefill_ms).epsilon(1e-12));
    // A short prompt reads only the experts its tokens touch: 8 tokens, 256 (1 - (1 - 8/256)^8)
    // experts per layer, as a step of 8 decoding tokens does.
    request.prompt_tokens = 8;
    const EstimatePlan short_prompt(request);
    CHECK(short_prompt.mixed_step_ms(8.0, 0.0, 0.0) == Approx(estimate(request).performance.prefill_ms).epsilon(1e-12));
}

TEST_CASE("moe kernels: the experts' reads run at the law's share of the bandwidth and each MoE layer pays its latency", "[estimator][moe]") {
    const MoeReplica replica;
    EstimateRequest request = replica.request();
    request.profile.memory_efficiency = 0.8;
    request.profile.moe_kernel = {.efficiency = 0.25, .token_columns = 200.0, .ridge_exponent = 1.0};
    const EstimatePlan engine_share(request);
    // Memory 3 ms of which the experts' 1 ms at the engine's 0.8; compute 5 of which theirs 2.
    // Without the law's memory side: rest max(2, 3) = 3, experts 1 + 2 (n = 1).
    CHECK(engine_share.roofline_ms(3.0, 5.0, 1.0, 2.0) == Approx(6.0));
    // At the law's 0.5 the experts' reads take 0.8 / 0.5 = 1.6 times as long: 1.6 ms; and each of
    // DeepSeek-V3's 58 MoE layers adds 30 us: 1.74 ms.
    request.profile.moe_kernel.memory_efficiency = 0.5;
    request.profile.moe_kernel.latency_us = 30.0;
    const EstimatePlan kernel_share(request);
    CHECK(kernel_share.roofline_ms(3.0, 5.0, 1.0, 2.0) == Approx(3.0 + 1.6 + 2.0 + 58 * 0.030));
    // The decode step at B = 1 moves by exactly that: 8 of 256 experts' bytes per GPU (58 layers
    // x 256 experts x 3 x 7168 x 2048 one-byte weights / 8 GPUs) at the traced bandwidth, read
    // 0.8 / 0.5 - 1 = 0.6 times longer, plus the latency (n = 1: the experts' memory and compute add).
    // With a per-layer step overhead of 10 us, the routed experts' two of a unit's four matrices
    // leave the step overhead's units on each of the 58 MoE layers: 58 * 2 / 4 * 10 us = 0.29 ms less.
    request.profile.per_layer_overhead_us = 10.0;
    Trace trace;
    const Estimate with_law = estimate(request, &trace);
    request.profile.moe_kernel.memory_efficiency = 0.0;
    request.profile.moe_kernel.latency_us = 0.0;
    Trace plain_trace;
    const double without = estimate(request, &plain_trace).performance.decode_step_ms;
    const double expert_memory_ms = 58.0 * 256 * 3 * 7168.0 * 2048.0 / 8 * 8.0 / 256.0 /
                                    traced(trace, "effective_bandwidth_bytes_per_s_per_gpu") * 1000.0;
    CHECK(with_law.performance.decode_step_ms - without ==
          Approx(0.6 * expert_memory_ms + 58 * 0.030 - 58 * 0.5 * 0.010).epsilon(1e-9));
    CHECK(traced(plain_trace, "layer_overhead_units") - traced(trace, "step_overhead_units") == Approx(29.0));
    // The simulated steps are the same physics with the law's memory side: a decode step of one
    // sequence at the mean context, and a step of the whole prompt.
    request.profile.moe_kernel.memory_efficiency = 0.5;
    request.profile.moe_kernel.latency_us = 30.0;
    const EstimatePlan simulated(request);
    const double mean_context = static_cast<double>(request.prompt_tokens) + static_cast<double>(request.output_tokens) / 2.0;
    CHECK(simulated.mixed_step_ms(0.0, 1.0, mean_context) == Approx(with_law.performance.decode_step_ms).epsilon(1e-12));
    CHECK(simulated.mixed_step_ms(static_cast<double>(request.prompt_tokens), 0.0, 0.0) ==
          Approx(with_law.performance.prefill_ms).epsilon(1e-12));
}

TEST_CASE("eager step: a step carrying prompt tokens beyond the graph limit pays the eager overhead once", "[estimator][simulation]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = request_for(model, fp16, hardware);
    request.profile.eager_layer_overhead_us = 500.0;  // 32 layers: 16 ms
    request.profile.eager_moe_layer_overhead_us = 1000.0;  // a dense model has no MoE layer
    request.profile.cuda_graph_max_tokens = 512;
    const EstimatePlan plan(request);
    // 513 tokens: over the 512-token graph, 16 ms more than the same step without the overhead.
    EstimateRequest graphed = request;
    graphed.profile.eager_layer_overhead_us = 0.0;
    const EstimatePlan plain(graphed);
    CHECK(plan.eager_overhead_ms(512.0, 1.0) == Approx(16.0));
    CHECK(plan.mixed_step_ms(512.0, 1.0, 512.0) == Approx(plain.mixed_step_ms(512.0, 1.0, 512.0) + 16.0));
    // Within the graph, or with no prompt token at all, nothing.
    CHECK(plan.eager_overhead_ms(512.0, 0.0) == 0.0);
    CHECK(plan.eager_overhead_ms(0.0, 600.0) == 0.0);
    CHECK(plan.mixed_step_ms(0.0, 600.0, 600.0 * 576.0) == Approx(plain.mixed_step_ms(0.0, 600.0, 600.0 * 576.0)));
    // A MoE model pays the per-layer value per layer unit and the MoE value on its MoE layers:
    // DeepSeek-V3, 61 layers of which 58 MoE, 120.5 layer units (next test):
    // (120.5 * 500 + 58 * 1000) / 1000 = 118.25 ms.
    const Model moe = test::deepseek_v3();
    const Variant fp8 = test::variant_bits(8);
    const Hardware big = test::gpu(4800, 141);
    EstimateRequest moe_request = request_for(moe, fp8, big, 8, 1);
    moe_request.profile.eager_layer_overhead_us = 500.0;
    moe_request.profile.eager_moe_layer_overhead_us = 1000.0;
    CHECK(EstimatePlan(moe_request).eager_overhead_ms(1.0, 0.0) == Approx(118.25));
}

TEST_CASE("attention kernels: a prompt's attention FLOPs run at the 16-bit peak whatever the weights' format", "[estimator][prefill]") {
    const Model model = test::llama2_7b();
    Hardware hardware = test::gpu();  // 312 TFLOPS fp16
    hardware.peak_tflops[Precision::fp8] = 624;
    const Variant fp16 = test::variant_bits(16);
    const Variant fp8 = test::variant_bits(8, Precision::fp8);
    // The prefill's compute time, as --explain reports it.
    const auto prefill = [&](const Variant& variant, double attention_eta, std::int64_t gpus,
                             std::optional<double> kv_cache_bits = std::nullopt) {
        EstimateRequest request = request_for(model, variant, hardware, gpus);
        request.kv_cache_bits = kv_cache_bits;
        request.prompt_tokens = 2048;
        request.profile.compute_efficiency = 0.5;
        request.profile.attention_efficiency = attention_eta;
        Trace trace;
        REQUIRE(estimate(request, &trace).has_timing());
        const auto item = std::find_if(trace.begin(), trace.end(), [](const TraceItem& i) { return i.name == "prefill_compute_ms"; });
        REQUIRE(item != trace.end());
        return item->value;
    };
    // By hand, 2,048 tokens of Llama-2-7B: attention 2 L h_q d_h P^2 = 2 x 32 x 32 x 128 x 2048^2 FLOPs,
    // the rest 2 (N - V d) P + 2 V d, at 624 TFLOPS x 0.5 (FP8 GEMMs) and 312 x 0.4 (attention).
    const double p = 2048.0;
    const double attention = 2.0 * 32 * 32 * 128 * p * p;
    const double head = 32000.0 * 4096.0;
    const double gemms = 2.0 * (static_cast<double>(count_parameters(model.architecture).active_matmul) - head) * p + 2.0 * head;
    const double fp8_ms = (gemms / (624e12 * 0.5) + attention / (312e12 * 0.4)) * 1000.0;
    CHECK(prefill(fp8, 0.4, 1) == Approx(fp8_ms).epsilon(1e-9));
    // Without the key: attention at the GEMMs' rate, the FP8 peak's (what the estimator did before).
    CHECK(prefill(fp8, 0.0, 1) == Approx((gemms + attention) / (624e12 * 0.5) * 1000.0).epsilon(1e-9));
    // 16-bit weights: the GEMMs at 312 x 0.5, attention at 312 x 0.4.
    CHECK(prefill(fp16, 0.4, 1) ==
          Approx((gemms / (312e12 * 0.5) + attention / (312e12 * 0.4)) * 1000.0).epsilon(1e-9));
    // Tensor parallelism splits attention's heads as it splits the GEMMs.
    CHECK(prefill(fp8, 0.4, 4) == Approx(fp8_ms / 4.0).epsilon(1e-9));
    // With an 8-bit KV cache an engine may run attention in 8 bits: the GEMMs' rate, share or not.
    CHECK(prefill(fp8, 0.4, 1, 8.0) == Approx((gemms + attention) / (624e12 * 0.5) * 1000.0).epsilon(1e-9));
    CHECK(prefill(fp8, 0.4, 1, 16.0) == Approx(fp8_ms).epsilon(1e-9));
    // A decode step's attention stays at the GEMMs' rate: the key moves no decode step.
    EstimateRequest decode_with = request_for(model, fp8, hardware, 1, 8);
    decode_with.profile.attention_efficiency = 0.4;
    EstimateRequest decode_without = decode_with;
    decode_without.profile.attention_efficiency = 0.0;
    CHECK(estimate(decode_with).performance.decode_step_ms == estimate(decode_without).performance.decode_step_ms);
}

TEST_CASE("quantized compute efficiency: integer-quantized variants run at it against the 16-bit peak", "[estimator][prefill]") {
    const Model model = test::llama2_7b();
    Hardware hardware = test::gpu();  // 312 TFLOPS fp16, 624 TOPS int8
    hardware.peak_tflops[Precision::fp8] = 624;
    const auto prefill_compute = [&](const Variant& variant, double quantized_eta) {
        EstimateRequest request = request_for(model, variant, hardware);
        request.profile.compute_efficiency = 0.5;
        request.profile.quantized_compute_efficiency = quantized_eta;
        return estimate(request).performance.prefill_work_ms;  // compute + communication (none on one GPU)
    };
    const Variant int4 = test::variant_bits(4.5);  // int4-w4a16 (GGUF Q4_K_M)
    const Variant int8 = test::variant_bits(8.5);  // int8-w8a16
    const Variant w8a8 = test::variant_bits(8, Precision::int8);  // int8-w8a8 (llama.cpp serves it as Q8_0)
    const Variant fp16 = test::variant_bits(16);
    const Variant fp8 = test::variant_bits(8, Precision::fp8);
    CHECK(integer_quantized_weights(int4));
    CHECK(integer_quantized_weights(int8));
    CHECK(integer_quantized_weights(w8a8));
    CHECK_FALSE(integer_quantized_weights(fp16));
    CHECK_FALSE(integer_quantized_weights(fp8));
    CHECK(weight_only_quantized(int8));
    CHECK_FALSE(weight_only_quantized(w8a8));
    // Every shipped variant: integer-quantized exactly when its serving format is one of the four
    // integer formats (mixed-bits, dynamic, FP8 and 16-bit ones are not).
    for (const Variant& variant : test::builtin().variants) {
        INFO(variant.id);
        const std::string format = serving_format(variant);
        const bool integer =
            format == "int8-w8a8" || format == "int8-w8a16" || format == "int4-w4a16" || format == "int4-w4a4";
        CHECK(integer_quantized_weights(variant) == integer);
    }
    // Hand-computed: a 7B-class prefill of 512 tokens at 312 TFLOPS x 0.25 (the 16-bit peak, also
    // for the W8A8 variant, whose own peak is 624).
    const double at_quarter_ms = prefill_compute_ms(model, 512) * 0.7 / 0.25;
    CHECK(prefill_compute(int4, 0.25) == Approx(at_quarter_ms).epsilon(1e-9));
    CHECK(prefill_compute(int8, 0.25) == Approx(at_quarter_ms).epsilon(1e-9));
    CHECK(prefill_compute(w8a8, 0.25) == Approx(at_quarter_ms).epsilon(1e-9));
    // Without the key: compute_efficiency against the compute precision's own peak.
    CHECK(prefill_compute(int4, 0.0) == Approx(prefill_compute_ms(model, 512) * 0.7 / 0.5).epsilon(1e-9));
    CHECK(prefill_compute(w8a8, 0.0) == Approx(prefill_compute_ms(model, 512) * 0.7 / 0.5 / 2.0).epsilon(1e-9));
    // 16-bit and FP8 variants never take it.
    CHECK(prefill_compute(fp16, 0.25) == Approx(prefill_compute(fp16, 0.0)));
    CHECK(prefill_compute(fp8, 0.25) == Approx(prefill_compute(fp8, 0.0)));
    // The kernels run at the 16-bit peak, but a hardware without an INT8 peak still cannot time the
    // W8A8 variant, as the search's precheck says (precision_unsupported).
    Hardware no_int8 = hardware;
    no_int8.peak_tflops = PrecisionValues{};
    no_int8.peak_tflops[Precision::fp16] = 312;
    EstimateRequest request = request_for(model, w8a8, no_int8);
    request.profile.quantized_compute_efficiency = 0.25;
    CHECK(estimate(request).feasibility == Feasibility::precision_unsupported);
}

TEST_CASE("fp16 accumulation: an fp16 variant runs at the FP16-accumulate peak under an engine that uses it", "[estimator][prefill]") {
    const Model model = test::llama2_7b();
    Hardware hardware = test::gpu();  // 312 TFLOPS fp16
    hardware.peak_tflops[Precision::bf16] = 312;
    const auto prefill_compute = [&](const Hardware& hw, const Variant& variant, bool fp16_accumulate,
                                     double quantized_eta = 0.0) {
        EstimateRequest request = request_for(model, variant, hw);
        request.profile.compute_efficiency = 0.5;
        request.profile.quantized_compute_efficiency = quantized_eta;
        request.profile.fp16_accumulate = fp16_accumulate;
        return estimate(request).performance.prefill_work_ms;
    };
    const Variant fp16 = test::variant_bits(16);
    const Variant bf16 = test::variant_bits(16, Precision::bf16);
    const Variant int4 = test::variant_bits(4.5);  // int4-w4a16: compute precision fp16, integer weights
    // Hand-computed: a 7B-class prefill of 512 tokens at 0.5 of the peak the GEMMs run at.
    const double at_312_ms = prefill_compute_ms(model, 512) * 0.7 / 0.5;
    // No FP16-accumulate peak listed: the fp16 peak, with or without the engine's flag.
    CHECK(prefill_compute(hardware, fp16, true) == Approx(at_312_ms).epsilon(1e-9));
    CHECK(prefill_compute(hardware, fp16, false) == Approx(at_312_ms).epsilon(1e-9));
    Hardware geforce = hardware;
    geforce.fp16_accumulate_peak_tflops = 624.0;  // twice, as on a GeForce card
    CHECK(uses_fp16_accumulate_peak(EfficiencyProfile{}, fp16, geforce) == false);  // the default profile does not
    // The engine accumulates in FP16 and the card lists the peak: twice the rate, half the time.
    CHECK(prefill_compute(geforce, fp16, true) == Approx(at_312_ms / 2.0).epsilon(1e-9));
    // Not for an engine that accumulates in FP32, nor for BF16 (FP32 accumulation in llama.cpp).
    CHECK(prefill_compute(geforce, fp16, false) == Approx(at_312_ms).epsilon(1e-9));
    CHECK(prefill_compute(geforce, bf16, true) == Approx(at_312_ms).epsilon(1e-9));
    // Nor for integer-quantized weights: their own kernels' rate, or without one the fp16 peak.
    CHECK(prefill_compute(geforce, int4, true) == Approx(at_312_ms).epsilon(1e-9));
    CHECK(prefill_compute(geforce, int4, true, 0.25) == Approx(at_312_ms * 2.0).epsilon(1e-9));
    // A 2:4 sparse variant under an engine without 2:4 kernels (llama.cpp) is served dense: it
    // takes the FP16-accumulate peak like any fp16 variant. On 2:4 kernels it would not.
    Variant sparse = fp16;
    sparse.structured_sparsity_2_4 = true;
    CHECK_FALSE(uses_fp16_accumulate_peak(EfficiencyProfile{}, sparse, geforce));
    EfficiencyProfile accumulating;
    accumulating.fp16_accumulate = true;
    CHECK(uses_fp16_accumulate_peak(accumulating, sparse, geforce));
    CHECK(uses_fp16_accumulate_peak(accumulating, fp16, geforce));
    CHECK(prefill_compute(geforce, sparse, true) == Approx(at_312_ms / 2.0).epsilon(1e-9));
    EfficiencyProfile sparse_kernels = accumulating;
    sparse_kernels.sparse_2_4_kernels = true;
    CHECK_FALSE(uses_fp16_accumulate_peak(sparse_kernels, sparse, geforce));
    CHECK(uses_fp16_accumulate_peak(sparse_kernels, fp16, geforce));
    REQUIRE(gemm_peak(accumulating, fp16, geforce).tflops.has_value());
    CHECK(*gemm_peak(accumulating, fp16, geforce).tflops == 624.0);
    CHECK(gemm_peak(accumulating, fp16, geforce).fp16_accumulate);
    CHECK(*gemm_peak(accumulating, bf16, geforce).tflops == 312.0);
    CHECK(gemm_peak(accumulating, bf16, geforce).precision == Precision::bf16);
    // The one decision also names the quantized kernels' peak and share, and where 2:4 applies.
    accumulating.compute_efficiency = 0.5;
    accumulating.quantized_compute_efficiency = 0.25;
    const GemmPeak quantized = gemm_peak(accumulating, int4, geforce);
    CHECK(*quantized.tflops == 312.0);
    CHECK(quantized.precision == Precision::fp16);
    CHECK_FALSE(quantized.fp16_accumulate);
    CHECK(quantized.efficiency == 0.25);
    CHECK_FALSE(quantized.sparse_2_4);
    CHECK_FALSE(gemm_peak(accumulating, sparse, geforce).sparse_2_4);
    CHECK(gemm_peak(accumulating, sparse, geforce).fp16_accumulate);
    sparse_kernels.compute_efficiency = 0.5;
    CHECK(gemm_peak(sparse_kernels, sparse, geforce).sparse_2_4);
    CHECK_FALSE(gemm_peak(sparse_kernels, sparse, geforce).fp16_accumulate);
    CHECK(*gemm_peak(sparse_kernels, sparse, geforce).tflops == 312.0);
    CHECK(gemm_peak(sparse_kernels, sparse, geforce).efficiency == 0.5);
}

TEST_CASE("SM-cycle laws: a factor set rates hardware that lists its SMs and boost clock", "[estimator][engine]") {
    Engine engine;
    engine.id = "laws";
    EngineFactors set;
    set.vendors = {"nvidia"};
    set.memory_efficiency = 0.67;
    set.sm_bytes_per_cycle = 5.25;
    set.sm_quantized_flops_per_cycle = 463.5;
    engine.factors.push_back(set);
    Hardware hbm = test::gpu();
    hbm.vendor = "nvidia";
    hbm.memory_bandwidth_gb_per_s = 3350;
    hbm.peak_tflops[Precision::fp16] = 989;
    // No SM figures: the set's own values, and no quantized kernels' rate.
    CHECK_FALSE(sm_laws_apply(set, hbm));
    EfficiencyProfile profile = engine_profile(&engine, hbm, Precision::fp16);
    CHECK(profile.memory_efficiency == 0.67);
    CHECK(profile.quantized_compute_efficiency == 0.0);
    // Hand-computed, an H100 SXM's 132 SMs at 1,980 MHz: 132 x 1.98e9 x 5.25 = 1.372e12 B/s of
    // 3.35e12, 0.4096; 132 x 1.98e9 x 463.5 = 1.2114e14 FLOP/s of 9.89e14, 0.12249.
    hbm.sm_count = 132;
    hbm.boost_clock_mhz = 1980;
    CHECK(sm_laws_apply(set, hbm));
    profile = engine_profile(&engine, hbm, Precision::fp16);
    CHECK(profile.memory_efficiency == Approx(132 * 1.98e9 * 5.25 / 3.35e12).epsilon(1e-12));
    CHECK(profile.memory_efficiency == Approx(0.4096).epsilon(1e-3));
    CHECK(profile.quantized_compute_efficiency == Approx(132 * 1.98e9 * 463.5 / 989e12).epsilon(1e-12));
    // A GDDR card whose SMs outrun its memory keeps the set's memory efficiency; a small 16-bit
    // peak caps the quantized rate at the peak itself.
    Hardware gddr = hbm;
    gddr.memory_bandwidth_gb_per_s = 1008;
    gddr.sm_count = 128;
    gddr.boost_clock_mhz = 2520;
    gddr.peak_tflops[Precision::fp16] = 100;
    profile = engine_profile(&engine, gddr, Precision::fp16);
    CHECK(profile.memory_efficiency == 0.67);
    CHECK(profile.quantized_compute_efficiency == 1.0);
    // Another vendor's hardware matches no set: the defaults, laws unapplied.
    Hardware other = hbm;
    other.vendor = "amd";
    CHECK(engine_profile(&engine, other, Precision::fp16).quantized_compute_efficiency == 0.0);
}

TEST_CASE("2:4 sparsity: packed weights and twice the dense peak only on an engine's 2:4 kernels", "[estimator][memory][prefill]") {
    const Model model = test::llama2_7b();
    const Hardware hardware = test::gpu();  // 312 TFLOPS fp16
    const Variant dense = test::variant_bits(16);
    Variant sparse = dense;
    sparse.structured_sparsity_2_4 = true;
    // Hand-computed: 1e9 parameters at 16 bits are 2e9 bytes dense; packed, half of them at 16 + 2
    // index bits, 1.125e9 bytes.
    CHECK(weight_bytes(1e9, sparse, false) == Approx(2e9));
    CHECK(weight_bytes(1e9, sparse, true) == Approx(1.125e9));
    CHECK(weight_bytes(1e9, dense, true) == Approx(2e9));  // packing needs a 2:4 variant
    const ParameterCounts counts = model_parameters(model);
    CHECK(model_weight_bytes(counts, sparse, false) == Approx(static_cast<double>(counts.total) * 2.0));
    CHECK(model_weight_bytes(counts, sparse, true) == Approx(static_cast<double>(counts.total) * 1.125));
    const auto run = [&](const Variant& variant, const Hardware& hw, bool kernels) {
        EstimateRequest request = request_for(model, variant, hw);
        request.profile.compute_efficiency = 0.5;
        request.profile.sparse_2_4_kernels = kernels;
        return estimate(request);
    };
    // Without 2:4 kernels (every shipped engine): the dense variant's weights, rate and latency.
    const Estimate as_dense = run(dense, hardware, false);
    const Estimate served_dense = run(sparse, hardware, false);
    CHECK(served_dense.memory.weights_bytes == as_dense.memory.weights_bytes);
    CHECK(served_dense.weights_on_disk_bytes == as_dense.weights_on_disk_bytes);
    CHECK(served_dense.performance.prefill_work_ms == as_dense.performance.prefill_work_ms);
    CHECK(served_dense.performance.tpot_ms == as_dense.performance.tpot_ms);
    CHECK(served_dense.peak_flops_per_gpu == Approx(312e12));
    // With them, on a GPU: packed weights and the compute at twice the dense peak.
    const Estimate on_kernels = run(sparse, hardware, true);
    CHECK(on_kernels.memory.weights_bytes == Approx(as_dense.memory.weights_bytes * 1.125 / 2.0));
    CHECK(on_kernels.peak_flops_per_gpu == Approx(624e12));
    CHECK(on_kernels.performance.prefill_work_ms < as_dense.performance.prefill_work_ms);
    CHECK(gemm_peak(EfficiencyProfile{}, sparse, hardware).sparse_2_4 == false);
    EfficiencyProfile kernels;
    kernels.sparse_2_4_kernels = true;
    CHECK(packs_sparse_2_4(kernels, sparse));
    CHECK_FALSE(packs_sparse_2_4(kernels, dense));
    CHECK(runs_sparse_2_4(kernels, sparse, hardware));
    // An edge device: no sparse tensor cores, the dense peak, while the engine keeps the weights packed.
    Hardware edge = hardware;
    edge.kind = HardwareKind::edge;
    CHECK_FALSE(runs_sparse_2_4(kernels, sparse, edge));
    const Estimate on_edge = run(sparse, edge, true);
    CHECK(on_edge.peak_flops_per_gpu == Approx(312e12));
    CHECK(on_edge.memory.weights_bytes == on_kernels.memory.weights_bytes);
}

TEST_CASE("architecture: MoE layers are those after the first dense ones, none in a dense model", "[estimator][moe]") {
    // DeepSeek-V3: 61 layers, the first three dense (first_k_dense_replace 3).
    const Architecture v3 = test::deepseek_v3().architecture;
    CHECK(v3.moe_layers() == 58);
    CHECK(v3.dense_layers() == 3);
    CHECK(v3.is_dense_layer(2));
    CHECK_FALSE(v3.is_dense_layer(3));
    CHECK_FALSE(v3.is_dense_layer(60));
    // Every layer MoE (Qwen3-235B's shape).
    Architecture all_moe = v3;
    all_moe.first_k_dense_replace = 0;
    CHECK(all_moe.moe_layers() == 61);
    CHECK(all_moe.dense_layers() == 0);
    CHECK_FALSE(all_moe.is_dense_layer(0));
    // A dense model: first_k_dense_replace means nothing without routed experts.
    const Architecture llama = test::llama2_7b().architecture;
    CHECK(llama.moe_layers() == 0);
    CHECK(llama.dense_layers() == 32);
    CHECK(llama.is_dense_layer(31));
}

TEST_CASE("layer units: fixed per-layer costs scale with the weight matrices a layer applies", "[estimator][overhead]") {
    // GQA without shared experts: four matrices a layer (fused QKV, output, fused gate-up, down),
    // the fitted layer, so the units are the layers.
    CHECK(layer_overhead_units(test::llama2_7b().architecture) == 32.0);
    // DeepSeek-V3: MLA (4 attention matrices) on all 61 layers, 3 dense layers (+ 2 FFN) and 58
    // MoE layers (+ 2 routed-expert GEMMs + 2 shared-expert): (3 * 6 + 58 * 8) / 4 = 120.5.
    const Model v3 = test::deepseek_v3();
    CHECK(layer_overhead_units(v3.architecture) == 120.5);
    // The same layers with GQA attention and no shared expert: (3 * 4 + 58 * 4) / 4 = 61.
    Architecture plain = v3.architecture;
    plain.kv_lora_rank = 0;
    plain.n_shared_experts = 0;
    CHECK(layer_overhead_units(plain) == 61.0);
    // Shared experts alone: (3 * 4 + 58 * 6) / 4 = 90.
    plain.n_shared_experts = 1;
    CHECK(layer_overhead_units(plain) == 90.0);
    // A GQA MoE with every layer MoE and no shared expert (Qwen3-235B's shape): its 94 layers.
    plain.n_shared_experts = 0;
    plain.num_hidden_layers = 94;
    plain.first_k_dense_replace = 0;
    CHECK(layer_overhead_units(plain) == 94.0);
    // MLA without query compression (DeepSeek-V2-Lite's shape: q_proj, kv_a, kv_b, output), 27
    // layers of which the first dense, two shared experts: (1 * 6 + 26 * 8) / 4 = 53.5.
    Architecture lite = v3.architecture;
    lite.q_lora_rank = 0;
    lite.num_hidden_layers = 27;
    lite.first_k_dense_replace = 1;
    lite.n_shared_experts = 2;
    CHECK(layer_overhead_units(lite) == 53.5);
    // The decode step pays them: per step 0 + (120.5 * 45 + 58 * 10) / 1000 = 6.0025 ms.
    const Variant fp8 = test::variant_bits(8);
    const Hardware big = test::gpu(4800, 141);
    EstimateRequest request = request_for(v3, fp8, big, 8, 1);
    request.profile.per_step_overhead_ms = 0.0;
    request.profile.per_layer_overhead_us = 45.0;
    request.profile.moe_layer_overhead_us = 10.0;
    Trace trace;
    estimate(request, &trace);
    const auto step = std::find_if(trace.begin(), trace.end(), [](const TraceItem& item) { return item.name == "step_overhead_ms"; });
    REQUIRE(step != trace.end());
    CHECK(step->value == Approx(6.0025));
}

TEST_CASE("eager step: the own prefill pays it per chunk and TPOT once per prompt-carrying step", "[estimator][ttft]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = request_for(model, fp16, hardware, 1, 8);  // P 512, O 128, budget 8,192
    const Estimate base = estimate(request);
    request.profile.eager_layer_overhead_us = 500.0;  // 16 ms per eager step
    const Estimate eager = estimate(request);
    REQUIRE(base.has_timing());
    REQUIRE(eager.has_timing());
    // One chunk of 512 tokens: one eager step in the prefill; the decode step itself is graphed.
    CHECK(eager.performance.prefill_ms == Approx(base.performance.prefill_ms + 16.0));
    CHECK(eager.performance.decode_step_ms == Approx(base.performance.decode_step_ms));
    // Each of the 7 others is in its one prefill step on a given step with probability 1 / 128,
    // independently: a step carries a prompt with probability 1 - (127 / 128)^7 = 0.053422...
    // (7 / 128 = 0.0546875 if no two ever shared a step). TPOT + that * 16 ms.
    const double carries = 1.0 - std::pow(127.0 / 128.0, 7.0);
    CHECK(carries == Approx(0.0534223).epsilon(1e-6));
    CHECK(eager.performance.tpot_ms == Approx(base.performance.tpot_ms + carries * 16.0));
    // Prompts of 3 chunks (budget 200) and B = 64: each other is in a prefill step with
    // probability 3 / 128; a step carries one with probability 1 - (125 / 128)^63 = 0.7756...
    request.profile.max_batched_tokens = 200;
    request.batch = 64;
    EstimateRequest graphed = request;
    graphed.profile.eager_layer_overhead_us = 0.0;
    const Estimate many = estimate(request);
    const Estimate many_base = estimate(graphed);
    REQUIRE(many.has_timing());
    const double many_carry = 1.0 - std::pow(125.0 / 128.0, 63.0);
    CHECK(many_carry == Approx(0.775559).epsilon(1e-5));
    CHECK(many.performance.tpot_ms == Approx(many_base.performance.tpot_ms + many_carry * 16.0));
    CHECK(many.performance.prefill_ms == Approx(many_base.performance.prefill_ms + 3.0 * 16.0));
    // Prompts of more steps than the output (a 1,000-token prompt in a budget of 4, O = 128): each
    // other is always in a prefill step (q = 1), so every step pays once.
    request.prompt_tokens = 1000;
    request.profile.max_batched_tokens = 4;
    graphed = request;
    graphed.profile.eager_layer_overhead_us = 0.0;
    const Estimate always = estimate(request);
    const Estimate always_base = estimate(graphed);
    REQUIRE(always.has_timing());
    REQUIRE(always_base.has_timing());
    CHECK(always.performance.tpot_ms == Approx(always_base.performance.tpot_ms + 16.0));
    // Alone (B = 1) no other prompt shares the steps: TPOT pays none.
    request.batch = 1;
    graphed.batch = 1;
    CHECK(estimate(request).performance.tpot_ms == Approx(estimate(graphed).performance.tpot_ms));
}

TEST_CASE("eager step: the step's size decides against the graph limit", "[estimator][ttft]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = request_for(model, fp16, hardware, 1, 8);
    request.profile.eager_layer_overhead_us = 500.0;  // 16 ms per eager step
    request.profile.cuda_graph_max_tokens = 512;
    auto eager_prefill_ms = [](EstimateRequest r) { return estimate(r).performance.prefill_eager_ms; };
    // Mixed prefill: the 7 others' decodes share the step. 505 + 7 = 512 fits the graph, unless
    // another prompt shares the step: each of the 7 others is in its one prefill step with
    // probability q = 1 / 128, so 1 - (127 / 128)^7 of the own steps run eagerly. 506 + 7 never fits.
    const double shared = 1.0 - std::pow(127.0 / 128.0, 7.0);
    request.prompt_tokens = 505;
    CHECK(eager_prefill_ms(request) == Approx(16.0 * shared));
    request.prompt_tokens = 506;
    CHECK(eager_prefill_ms(request) == Approx(16.0));
    // A prefill-first engine's step holds no decodes: 506 tokens fit, unless another prompt joins.
    request.profile.mixed_prefill = false;
    CHECK(eager_prefill_ms(request) == Approx(16.0 * shared));
    request.profile.mixed_prefill = true;
    // Chunks smaller than the graph: a 1,000-token prompt in a 256-token budget is four graphed steps.
    request.prompt_tokens = 1000;
    request.profile.max_batched_tokens = 256;
    CHECK(eager_prefill_ms(request) == 0.0);
    request.profile.max_batched_tokens = 1024;
    CHECK(eager_prefill_ms(request) == Approx(16.0));
    // The queue's service is the prefill work and this overhead; TTFT holds it once per step.
    const Estimate e = estimate(request);
    EstimateRequest graphed = request;
    graphed.profile.eager_layer_overhead_us = 0.0;
    CHECK(e.performance.prefill_ms == Approx(estimate(graphed).performance.prefill_ms + 16.0));
}

TEST_CASE("eager step: a steady-state step runs eagerly when enough prompts share it", "[estimator][ttft]") {
    // 128-token prompts, O = 128, B = 300: one chunk and the 299 others' decodes (427 tokens) fit
    // a 512-token graph, two chunks (555) do not. The prompts a step carries are Binomial(299, q),
    // q = 1 / 128 (one prefill step in 128 decode steps), so TPOT pays the 16 ms on P(K >= 2) of
    // the steps, and the own prefill step, which holds its own chunk, on P(K >= 1).
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = request_for(model, fp16, hardware, 1, 300);
    request.prompt_tokens = 128;
    request.output_tokens = 128;
    request.profile.eager_layer_overhead_us = 500.0;  // 16 ms per eager step
    request.profile.cuda_graph_max_tokens = 512;
    EstimateRequest graphed = request;
    graphed.profile.eager_layer_overhead_us = 0.0;
    const Estimate eager = estimate(request);
    const Estimate base = estimate(graphed);
    REQUIRE(eager.has_timing());
    const double q = 1.0 / 128.0;
    const double none = std::pow(1.0 - q, 299.0);
    const double one = 299.0 * q * std::pow(1.0 - q, 298.0);
    CHECK(1.0 - none - one == Approx(0.6785).epsilon(1e-3));  // by hand: 1 - 0.0958 - 0.2256
    CHECK(eager.performance.tpot_ms == Approx(base.performance.tpot_ms + (1.0 - none - one) * 16.0));
    CHECK(eager.performance.prefill_eager_ms == Approx((1.0 - none) * 16.0));
    // At B = 4 a step needs four chunks beside the 3 others' decodes (3 * 128 + 3 = 387 fits, 4 *
    // 128 + 3 = 515 does not): more than the 3 others can bring, so no decode step runs eagerly
    // (exactly), and the own prefill step only when all 3 others share it, q^3.
    request.batch = 4;
    graphed.batch = 4;
    const Estimate four = estimate(request);
    CHECK(four.performance.tpot_ms == estimate(graphed).performance.tpot_ms);
    CHECK(four.performance.prefill_eager_ms == Approx(16.0 * std::pow(q, 3.0)));
}

TEST_CASE("eager step: the shares hold where P(K = 0) underflows a double", "[estimator][ttft]") {
    // A prefill-first engine (no decodes in a prompt step) with 512-token graphs: one-token
    // prompts need k = 513 chunks in a step to leave the graphs. O = 2, so q = 1 / 2, and B =
    // 1,076 (1,075 others) make P(K = 0) = 2^-1075, below every double: summed from it, every term was 0
    // and both shares 1. K ~ Binomial(1075, 1/2) has mean 537.5 and deviation 16.4, so P(K < 513)
    // is about 6 %: the shares are checked against the same sums in long double, whose range
    // holds 2^-1075.
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = request_for(model, fp16, hardware, 1, 1076);
    request.prompt_tokens = 1;
    request.output_tokens = 2;
    request.profile.mixed_prefill = false;
    request.profile.cuda_graph_max_tokens = 512;
    request.profile.eager_layer_overhead_us = 500.0;  // 16 ms per eager step
    EstimateRequest graphed = request;
    graphed.profile.eager_layer_overhead_us = 0.0;
    const Estimate eager = estimate(request);
    const Estimate base = estimate(graphed);
    REQUIRE(eager.has_timing());
    long double term = std::pow(0.5L, 1075.0L);
    long double below_own = 0.0L;  // P(K < 512)
    long double below = 0.0L;      // P(K < 513)
    for (int j = 0; j < 513; ++j) {
        if (j == 512) {
            below_own = below;
        }
        below += term;
        term *= static_cast<long double>(1075 - j) / static_cast<long double>(j + 1);
    }
    const auto steps = static_cast<double>(1.0L - below);
    const auto own_steps = static_cast<double>(1.0L - below_own);
    REQUIRE(steps > 0.9);
    REQUIRE(steps < 0.97);
    CHECK(eager.performance.tpot_ms - base.performance.tpot_ms == Approx(steps * 16.0).epsilon(1e-9));
    CHECK(eager.performance.prefill_eager_ms == Approx(own_steps * 16.0).epsilon(1e-9));
}

TEST_CASE("eager step: a single-stream engine pays it in the prefill but not in TPOT", "[estimator][ttft]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = request_for(model, fp16, hardware, 1, 8);
    request.profile.continuous_batching = false;
    EstimateRequest eager = request;
    eager.profile.eager_layer_overhead_us = 500.0;
    const Estimate base = estimate(request);
    const Estimate with = estimate(eager);
    REQUIRE(with.has_timing());
    CHECK(with.performance.tpot_ms == Approx(base.performance.tpot_ms));
    CHECK(with.performance.prefill_ms == Approx(base.performance.prefill_ms + 16.0));
}

TEST_CASE("estimate: a single-stream engine runs one sequence at most", "[estimator][memory]") {
    // Memory would hold dozens of sequences, but an engine without continuous batching serves one
    // request at a time: max_concurrency and the max-throughput batch say 1, as `estimate --batch`
    // refuses more.
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = request_for(model, fp16, hardware, 1, 1);
    REQUIRE(estimate(request).memory.max_concurrency > 8);
    request.profile.continuous_batching = false;
    const Estimate e = estimate(request);
    CHECK(e.memory.max_concurrency == 1);
    CHECK(e.max_throughput_batch == 1);
}

TEST_CASE("serving simulation: one client sends its requests one after another", "[estimator][simulation]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = toy_request(model, fp16, hardware, 1);
    request.output_tokens = 3;
    // Memory-bound steps. Each request: step 1 prefills its 4 tokens (W: its first token), steps
    // 2 and 3 decode tokens 2 and 3 reading 5 and 6 tokens of KV; the next request is sent as
    // it finishes. TTFT = W; TPOT = (2 W + 11 kv) / 2.
    const double w = weights_ms(model, fp16);
    const double kv = kv_token_ms();
    const auto run = simulate_closed_loop(request, ClosedLoopProtocol{.requests_per_client = 2, .length_low_fraction = 1.0, .seed = 0});
    REQUIRE(run.has_value());
    CHECK(run->requests == 2);
    CHECK(run->steps == 6);
    CHECK(run->mean_ttft_ms == Approx(w));
    CHECK(run->mean_tpot_ms.value_or(-1.0) == Approx((2.0 * w + 11.0 * kv) / 2.0));
    // Six output tokens in two requests of 3 W + 11 kv each.
    CHECK(run->output_tokens == 6);
    CHECK(run->duration_ms == Approx(2.0 * (3.0 * w + 11.0 * kv)));
}

TEST_CASE("serving simulation: a sliding window caps the KV tokens a decode step reads", "[estimator][simulation][sliding-window]") {
    Model model = test::llama2_7b();
    model.architecture.sliding_window = 6;
    model.architecture.sliding_window_layers = 32;
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = toy_request(model, fp16, hardware, 1);
    request.output_tokens = 4;
    // Each request: its prefill (W), then three decodes reading 5, 6 and 6 KV tokens (7 without
    // the window of 6): TPOT (3 W + 17 kv) / 3.
    const double w = weights_ms(model, fp16);
    const double kv = kv_token_ms();
    const ClosedLoopProtocol twice{.requests_per_client = 2, .length_low_fraction = 1.0, .seed = 0};
    const auto run = simulate_closed_loop(request, twice);
    REQUIRE(run.has_value());
    CHECK(run->mean_tpot_ms.value_or(-1.0) == Approx((3.0 * w + 17.0 * kv) / 3.0));
    // Half the layers with a window of 5: the reads are 5, 5.5 and 6.
    model.architecture.sliding_window = 5;
    model.architecture.sliding_window_layers = 16;
    const auto half = simulate_closed_loop(request, twice);
    REQUIRE(half.has_value());
    CHECK(half->mean_tpot_ms.value_or(-1.0) == Approx((3.0 * w + 16.5 * kv) / 3.0));
    // A prompt already past a window of 3: 3, 3 and 3 on every layer. A window of 100 it never
    // reaches: 5, 6 and 7, for the second request as for the first (each leaves the count of
    // sequences below the window as it found it).
    model.architecture.sliding_window = 3;
    model.architecture.sliding_window_layers = 32;
    const auto past = simulate_closed_loop(request, twice);
    REQUIRE(past.has_value());
    CHECK(past->mean_tpot_ms.value_or(-1.0) == Approx((3.0 * w + 9.0 * kv) / 3.0));
    model.architecture.sliding_window = 100;
    const auto within = simulate_closed_loop(request, twice);
    REQUIRE(within.has_value());
    CHECK(within->mean_tpot_ms.value_or(-1.0) == Approx((3.0 * w + 18.0 * kv) / 3.0));
    CHECK(within->duration_ms == Approx(2.0 * (4.0 * w + 18.0 * kv)));
}

TEST_CASE("serving simulation: a fixed-length benchmark's output rate is its tokens over its duration", "[estimator][simulation]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = toy_request(model, fp16, hardware, 1);
    request.output_tokens = 3;
    // One slot: ten requests one after another, each 3 W + 11 kv (the test above), 30 tokens.
    const double w = weights_ms(model, fp16);
    const double kv = kv_token_ms();
    REQUIRE(k_benchmark_requests_per_slot == 10);
    const auto one = benchmark_output_tokens_per_s(request, 1);
    REQUIRE(one.has_value());
    CHECK(*one == Approx(30.0 / (10.0 * (3.0 * w + 11.0 * kv)) * 1000.0));
    // At any concurrency it is the closed loop's own count over its own duration.
    request.batch = 8;
    const auto run = simulate_closed_loop(request, ClosedLoopProtocol{.requests_per_client = 10, .length_low_fraction = 1.0, .seed = 0});
    REQUIRE(run.has_value());
    CHECK(run->output_tokens == 8 * 10 * 3);
    CHECK(benchmark_output_tokens_per_s(request, 8).value_or(-1.0) ==
          Approx(static_cast<double>(run->output_tokens) / run->duration_ms * 1000.0));
    // Requests of one output token end with their prefill step: ten steps of W, ten tokens.
    request.output_tokens = 1;
    request.batch = 1;
    CHECK(benchmark_output_tokens_per_s(request, 1).value_or(-1.0) == Approx(10.0 / (10.0 * w) * 1000.0));
    const auto single_token =
        simulate_closed_loop(request, ClosedLoopProtocol{.requests_per_client = 10, .length_low_fraction = 1.0, .seed = 0});
    REQUIRE(single_token.has_value());
    CHECK(single_token->duration_ms == Approx(10.0 * w));
    // No batch, more concurrent sequences than the benchmark simulates, or a single-stream
    // engine: no benchmark.
    CHECK_FALSE(benchmark_output_tokens_per_s(request, 0).has_value());
    CHECK_FALSE(benchmark_output_tokens_per_s(request, k_benchmark_max_concurrency + 1).has_value());
    request.profile.continuous_batching = false;
    CHECK_FALSE(benchmark_output_tokens_per_s(request, 8).has_value());
}

TEST_CASE("serving simulation: a prefill-first engine pauses the decodes while prompts wait", "[estimator][simulation]") {
    TwoRequestToy toy(4);
    EstimateRequest& request = toy.request;
    const double w = toy.w;
    const double kv = toy.kv;
    const ClosedLoopProtocol once{.requests_per_client = 1, .length_low_fraction = 1.0, .seed = 0};
    // Mixed (vLLM): step 1 prefills A (W); step 2 decodes A (5 KV tokens) beside 3 of B's
    // prompt tokens; step 3 decodes A (6) beside B's last token: B's first token; steps 4 and 5
    // decode B (5, 6). TTFT (W + 3 W + 11 kv) / 2; TPOT A (2 W + 11 kv) / 2, B (2 W + 11 kv) / 2.
    request.profile.mixed_prefill = true;
    const auto mixed = simulate_closed_loop(request, once);
    REQUIRE(mixed.has_value());
    CHECK(mixed->steps == 5);
    CHECK(mixed->mean_ttft_ms == Approx((4.0 * w + 11.0 * kv) / 2.0));
    CHECK(mixed->mean_tpot_ms.value_or(-1.0) == Approx((2.0 * w + 11.0 * kv) / 2.0));
    // Prefill first (SGLang): step 1 prefills A, step 2 prefills B alone (A waits), steps 3 and 4
    // decode both (10 and 12 KV tokens). TTFT (W + 2 W) / 2; TPOT A (3 W + 22 kv) / 2,
    // B (2 W + 22 kv) / 2.
    request.profile.mixed_prefill = false;
    const auto first = simulate_closed_loop(request, once);
    REQUIRE(first.has_value());
    CHECK(first->steps == 4);
    CHECK(first->mean_ttft_ms == Approx(1.5 * w));
    CHECK(first->mean_tpot_ms.value_or(-1.0) == Approx((2.5 * w + 22.0 * kv) / 2.0));
}

TEST_CASE("serving simulation: the eager share the GPU does not wait for moves from the decodes to TTFT", "[estimator][simulation]") {
    TwoRequestToy toy(4);
    EstimateRequest& request = toy.request;
    request.profile.mixed_prefill = true;
    request.profile.cuda_graph_max_tokens = 0;
    request.profile.eager_layer_overhead_us = 500.0;  // 32 layer units: E = 16 ms per eager step
    const double w = toy.w;
    const double kv = toy.kv;
    const double e = 16.0;
    const auto run_at = [&request](double share) {
        return simulate_closed_loop(request, ClosedLoopProtocol{.requests_per_client = 1, .length_low_fraction = 1.0,
                                                                .seed = 0, .eager_blocking_share = share});
    };
    // The mixed toy of the test above: steps 1 (A's prompt), 2 and 3 (A decoding beside B's prompt
    // chunks) carry prompt tokens and are eager. With a share s of E holding the GPU, each of them
    // lasts s E more, and each prompt adds (1 - s) E per step with a chunk of it to its TTFT:
    // TTFT A = W + E, B = 3 W + 11 kv + 3 s E + 2 (1 - s) E; TPOT A = (2 W + 11 kv + 2 s E) / 2,
    // B = (2 W + 11 kv) / 2. Mean TTFT (4 W + 11 kv + (3 + s) E) / 2, TPOT (2 W + 11 kv + s E) / 2.
    for (const double share : {1.0, 0.5, 0.0}) {
        const auto run = run_at(share);
        REQUIRE(run.has_value());
        CHECK(run->steps == 5);
        CHECK(run->mean_ttft_ms == Approx((4.0 * w + 11.0 * kv + (3.0 + share) * e) / 2.0));
        CHECK(run->mean_tpot_ms.value_or(-1.0) == Approx((2.0 * w + 11.0 * kv + share * e) / 2.0));
    }
    // Prefill first (SGLang): steps 1 and 2 prefill A, then B, alone (A waits), each eager; steps
    // 3 and 4 decode both. TTFT A = W + E, B = 2 W + 2 s E + (1 - s) E; TPOT A = (3 W + 22 kv +
    // s E) / 2 (it waits for B's step), B = (2 W + 22 kv) / 2. Mean TTFT (3 W + (2 + s) E) / 2,
    // TPOT (5 W + 44 kv + s E) / 4.
    request.profile.mixed_prefill = false;
    for (const double share : {1.0, 0.5, 0.0}) {
        const auto run = run_at(share);
        REQUIRE(run.has_value());
        CHECK(run->steps == 4);
        CHECK(run->mean_ttft_ms == Approx((3.0 * w + (2.0 + share) * e) / 2.0));
        CHECK(run->mean_tpot_ms.value_or(-1.0) == Approx((5.0 * w + 44.0 * kv + share * e) / 4.0));
    }
    // The default is the estimator's model: the whole step holds the GPU.
    CHECK(ClosedLoopProtocol{}.eager_blocking_share == 1.0);
    // A share outside [0, 1], or not a number: no run.
    for (const double bad : {-0.1, 1.5, std::nan("")}) {
        CHECK_FALSE(run_at(bad).has_value());
    }
}

TEST_CASE("serving simulation: host time per scheduled sequence lengthens each step", "[estimator][simulation]") {
    TwoRequestToy toy(4);
    EstimateRequest& request = toy.request;
    const double w = toy.w;
    const double kv = toy.kv;
    const double h = 0.25;  // ms per sequence a step schedules
    const auto run_at = [&request](double host_ms) {
        return simulate_closed_loop(request, ClosedLoopProtocol{.requests_per_client = 1, .length_low_fraction = 1.0,
                                                                .seed = 0, .sequence_host_ms = host_ms});
    };
    // The mixed toy above: step 1 schedules A's prompt (1 sequence), steps 2 and 3 A's decode and
    // a chunk of B's prompt (2 each), steps 4 and 5 B's decode (1 each). TTFT A = W + h,
    // B = 3 W + 11 kv + 5 h; TPOT A = (2 W + 11 kv + 4 h) / 2, B = (2 W + 11 kv + 2 h) / 2.
    request.profile.mixed_prefill = true;
    const auto mixed = run_at(h);
    REQUIRE(mixed.has_value());
    CHECK(mixed->steps == 5);
    CHECK(mixed->mean_ttft_ms == Approx((4.0 * w + 11.0 * kv + 6.0 * h) / 2.0));
    CHECK(mixed->mean_tpot_ms.value_or(-1.0) == Approx((2.0 * w + 11.0 * kv + 3.0 * h) / 2.0));
    // Prefill first: steps 1 and 2 schedule one prompt each, steps 3 and 4 both decodes. TTFT
    // A = W + h, B = 2 W + 2 h; TPOT A = (3 W + 22 kv + 5 h) / 2, B = (2 W + 22 kv + 4 h) / 2.
    request.profile.mixed_prefill = false;
    const auto first = run_at(h);
    REQUIRE(first.has_value());
    CHECK(first->steps == 4);
    CHECK(first->mean_ttft_ms == Approx(1.5 * w + 1.5 * h));
    CHECK(first->mean_tpot_ms.value_or(-1.0) == Approx((5.0 * w + 44.0 * kv + 9.0 * h) / 4.0));
    // The default is the estimator's model: no such time.
    CHECK(ClosedLoopProtocol{}.sequence_host_ms == 0.0);
    const auto none = run_at(0.0);
    REQUIRE(none.has_value());
    CHECK(none->mean_ttft_ms == Approx(1.5 * w));
    // Negative, infinite or not a number: no run.
    for (const double bad : {-0.1, std::numeric_limits<double>::infinity(), std::nan("")}) {
        CHECK_FALSE(run_at(bad).has_value());
    }
}

TEST_CASE("serving simulation: the first requests arrive together as a burst", "[estimator][simulation]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    // 4 x 512 prompt tokens fit the 8,192-token budget: one step, as burst_mean_ttft_ms has it.
    const EstimateRequest request = request_for(model, fp16, hardware, 1, 4);
    const auto run = simulate_closed_loop(request, ClosedLoopProtocol{.requests_per_client = 1, .length_low_fraction = 1.0, .seed = 0});
    const auto burst = burst_mean_ttft_ms(request);
    REQUIRE(run.has_value());
    REQUIRE(burst.has_value());
    CHECK(run->mean_ttft_ms == Approx(*burst));
    CHECK(run->mean_ttft_ms == Approx(4.0 * prefill_compute_ms(model, 512) + 0.5));
}

TEST_CASE("serving simulation: drawn lengths are deterministic per seed and the run has its limits", "[estimator][simulation]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    const EstimateRequest request = request_for(model, fp16, hardware, 1, 16);
    const ClosedLoopProtocol drawn{.requests_per_client = 5, .length_low_fraction = 0.5, .seed = 7};
    const auto a = simulate_closed_loop(request, drawn);
    const auto b = simulate_closed_loop(request, drawn);
    const auto other_seed = simulate_closed_loop(request, ClosedLoopProtocol{.requests_per_client = 5, .length_low_fraction = 0.5, .seed = 8});
    REQUIRE(a.has_value());
    REQUIRE(b.has_value());
    REQUIRE(other_seed.has_value());
    CHECK(a->requests == 80);
    CHECK(a->mean_ttft_ms == b->mean_ttft_ms);
    CHECK(a->mean_tpot_ms == b->mean_tpot_ms);
    CHECK(a->mean_tpot_ms != other_seed->mean_tpot_ms);
    CHECK(a->max_running == estimate(request).memory.max_concurrency);
    // Too few steps allowed, no client protocol, a length fraction out of (0, 1]: no run.
    CHECK_FALSE(simulate_closed_loop(request, drawn, 10).has_value());
    CHECK_FALSE(simulate_closed_loop(request, ClosedLoopProtocol{.requests_per_client = 0, .length_low_fraction = 1.0, .seed = 0}).has_value());
    CHECK_FALSE(simulate_closed_loop(request, ClosedLoopProtocol{.requests_per_client = 1, .length_low_fraction = 1.5, .seed = 0}).has_value());
    CHECK_FALSE(simulate_closed_loop(request, ClosedLoopProtocol{.requests_per_client = 1, .length_low_fraction = 0.0, .seed = 0}).has_value());
}

TEST_CASE("serving simulation: the drawn lengths' range and mean, by hand", "[estimator][simulation]") {
    // floor(0.8 x 1024) = 819: 819 to 1024, mean 921.5.
    CHECK(drawn_length_range(1024, 0.8).low == 819);
    CHECK(drawn_length_range(1024, 0.8).high == 1024);
    CHECK(drawn_length_range(1024, 0.8).mean() == 921.5);
    // Fixed lengths, and a range that would be empty: the one length, at least 1.
    CHECK(drawn_length_range(1024, 1.0).mean() == 1024.0);
    CHECK(drawn_length_range(1, 0.8).low == 1);
    CHECK(drawn_length_range(1, 0.8).high == 1);
    CHECK(drawn_length_range(0, 0.5).mean() == 1.0);
    // floor(0.5 x 3) = 1: 1 to 3.
    CHECK(drawn_length_range(3, 0.5).low == 1);
    CHECK(drawn_length_range(3, 0.5).mean() == 2.0);
}

TEST_CASE("serving simulation: a profile's fixed delay is in every TTFT and one-token outputs have no TPOT", "[estimator][simulation]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = request_for(model, fp16, hardware, 1, 4);
    const ClosedLoopProtocol protocol{.requests_per_client = 3, .length_low_fraction = 1.0, .seed = 0};
    const auto plain = simulate_closed_loop(request, protocol);
    request.profile.ttft_fixed_ms = 50.0;
    const auto delayed = simulate_closed_loop(request, protocol);
    REQUIRE(plain.has_value());
    REQUIRE(delayed.has_value());
    CHECK(delayed->mean_ttft_ms == Approx(plain->mean_ttft_ms + 50.0));
    CHECK(delayed->mean_tpot_ms == plain->mean_tpot_ms);
    request.output_tokens = 1;
    const auto one_token = simulate_closed_loop(request, protocol);
    REQUIRE(one_token.has_value());
    CHECK_FALSE(one_token->mean_tpot_ms.has_value());
    CHECK(one_token->requests == 12);
    // A single-stream engine is not this loop; k * B past int64 is no run.
    request.profile.continuous_batching = false;
    CHECK_FALSE(simulate_closed_loop(request, protocol).has_value());
    request.profile.continuous_batching = true;
    CHECK_FALSE(simulate_closed_loop(request, ClosedLoopProtocol{.requests_per_client = std::int64_t{1} << 62, .length_low_fraction = 1.0, .seed = 0}).has_value());
}

TEST_CASE("serving simulation: an engine cap below the clients keeps the rest waiting", "[estimator][simulation]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest capped = request_for(model, fp16, hardware, 1, 8);
    capped.profile.max_num_seqs = 2;
    const EstimateRequest open = request_for(model, fp16, hardware, 1, 8);
    const ClosedLoopProtocol protocol{.requests_per_client = 3, .length_low_fraction = 1.0, .seed = 0};
    const auto slow = simulate_closed_loop(capped, protocol);
    const auto fast = simulate_closed_loop(open, protocol);
    REQUIRE(slow.has_value());
    REQUIRE(fast.has_value());
    CHECK(slow->max_running == 2);
    // Six of eight clients wait for a slot, a whole request at a time.
    CHECK(slow->mean_ttft_ms > 3.0 * fast->mean_ttft_ms);
}

TEST_CASE("memory: paged KV holds P + O/2 per sequence and the full reservation P + O", "[estimator][memory]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = request_for(model, fp16, hardware, 1, 4);
    CHECK(estimate(request).memory.kv_cache_bytes == Approx(4.0 * (512 + 64) * 524288.0));
    const std::int64_t paged_limit = estimate(request).memory.max_concurrency;
    request.profile.kv_full_reservation = true;
    CHECK(estimate(request).memory.kv_cache_bytes == Approx(4.0 * (512 + 128) * 524288.0));
    CHECK(estimate(request).memory.max_concurrency < paged_limit);
}

TEST_CASE("memory: the engine's max_num_seqs caps the concurrency and 8-bit KV halves the cache", "[estimator][memory]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = request_for(model, fp16, hardware);
    REQUIRE(estimate(request).memory.max_concurrency > 3);
    request.profile.max_num_seqs = 3;
    CHECK(estimate(request).memory.max_concurrency == 3);
    request.kv_cache_bits = 8.0;
    CHECK(estimate(request).memory.kv_cache_bytes_per_token == Approx(262144.0));
}

TEST_CASE("queue: M/D/1 waiting time", "[estimator][ttft]") {
    // rho = 10/s * 50 ms = 0.5: W = 0.5 * 50 / (2 * 0.5) = 25 ms.
    CHECK(md1_queue_wait_ms(10.0, 50.0) == Approx(25.0));
    CHECK(md1_queue_wait_ms(0.0, 50.0) == 0.0);
    CHECK(std::isinf(md1_queue_wait_ms(20.0, 50.0)));
}

TEST_CASE("capacity: max throughput is the requests per second times O at max_concurrency", "[estimator][capacity]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = request_for(model, fp16, hardware);
    request.profile.max_num_seqs = 48;
    const Estimate e = estimate(request);
    REQUIRE(e.memory.max_concurrency == 48);
    CHECK(e.max_throughput_batch == 48);
    request.batch = 48;
    const Estimate at_top = estimate(request);
    REQUIRE(at_top.has_timing());
    CHECK(e.max_throughput_output_tokens_per_s == at_top.performance.qps * 128.0);
    CHECK(e.max_throughput_output_tokens_per_s == at_top.performance.output_tokens_per_s);
    // One stream without continuous batching.
    request.batch = 1;
    request.profile.continuous_batching = false;
    const Estimate single = estimate(request);
    CHECK(single.max_throughput_batch == 1);
    CHECK(single.max_throughput_output_tokens_per_s == Approx(128.0 * 1000.0 / single.performance.latency_ms));
}

TEST_CASE("overhead: every step pays per step plus per layer plus per MoE layer", "[estimator][time]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = request_for(model, fp16, hardware);
    const double base = estimate(request).performance.decode_step_ms;
    request.profile.per_layer_overhead_us = 10.0;
    request.profile.moe_layer_overhead_us = 50.0;  // a dense model has no MoE layer
    CHECK(estimate(request).performance.decode_step_ms == Approx(base + 32 * 10.0 / 1000.0));
}

// Issue 20: TensorRT-LLM's batch waiting (batch_wait_timeout_iters, batch_wait_max_tokens_ratio).
TEST_CASE("serving simulation: batch waiting holds a prompt while sequences decode", "[estimator][simulation]") {
    TwoRequestToy toy(6);
    EstimateRequest& request = toy.request;
    request.profile.mixed_prefill = true;
    const double w = toy.w;
    const double kv = toy.kv;
    const ClosedLoopProtocol once{.requests_per_client = 1, .length_low_fraction = 1.0, .seed = 0};
    // No waiting: step 1 prefills A (4 tokens) and 2 of B's; step 2 decodes A (5 KV tokens) beside
    // B's last 2 (B's first token); step 3 decodes both (6 + 5); step 4 decodes B (6).
    const auto plain = simulate_closed_loop(request, once);
    REQUIRE(plain.has_value());
    CHECK(plain->steps == 4);
    CHECK(plain->mean_ttft_ms == Approx((3.0 * w + 5.0 * kv) / 2.0));
    // Held one step: in step 2 B's 4 prompt tokens and A's decode make 5 < 1.0 x 6, so A decodes
    // alone; step 3 releases B (the timeout) beside A's last decode (6); steps 4 and 5 decode B
    // (5, 6). TTFT A = W, B = 3 W + 11 kv; TPOT (2 W + 11 kv) / 2 for both.
    request.profile.batch_wait_timeout_iters = 1;
    request.profile.batch_wait_max_tokens_ratio = 1.0;
    const auto held = simulate_closed_loop(request, once);
    REQUIRE(held.has_value());
    CHECK(held->steps == 5);
    CHECK(held->mean_ttft_ms == Approx((4.0 * w + 11.0 * kv) / 2.0));
    CHECK(held->mean_tpot_ms.value_or(-1.0) == Approx((2.0 * w + 11.0 * kv) / 2.0));
    // A share the prompt and the decodes already reach releases at once: as without waiting.
    request.profile.batch_wait_max_tokens_ratio = 0.5;
    const auto reached = simulate_closed_loop(request, once);
    REQUIRE(reached.has_value());
    CHECK(reached->steps == 4);
    CHECK(reached->mean_ttft_ms == Approx(plain->mean_ttft_ms));
}

TEST_CASE("ttft: batch waiting adds the mean hold of a steady-state window", "[estimator][ttft]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    EstimateRequest request = request_for(model, fp16, hardware, 1, 5);
    request.prompt_tokens = 1000;
    request.output_tokens = 100;
    request.profile.max_batched_tokens = 16384;
    const Estimate plain = estimate(request);
    request.profile.batch_wait_timeout_iters = 20;
    request.profile.batch_wait_max_tokens_ratio = 0.9;
    const Estimate held = estimate(request);
    REQUIRE(plain.has_timing());
    REQUIRE(held.has_timing());
    // 4 others arrive at a = 4 / 100 per step; 0.9 x 16,384 - 4 = 14,741.6 tokens need n = 15
    // prompts, which take (n - 1) / a = 350 steps, so the timeout closes the window: W = 20, and
    // the mean hold is (20 + 0.04 x 400 / 2) / (1 + 0.04 x 20) = 28 / 1.8 steps.
    const double steps = 28.0 / 1.8;
    CHECK(held.performance.batch_wait_ms == Approx(steps * held.performance.decode_step_ms));
    CHECK(held.performance.ttft_ms == Approx(plain.performance.ttft_ms + steps * plain.performance.decode_step_ms));
    CHECK(plain.performance.batch_wait_ms == 0.0);
    // A prompt that fills the share with the decodes on its own (1,000 + 4 >= 0.9 x 1,000) is
    // never held.
    request.profile.max_batched_tokens = 1000;
    const Estimate filled = estimate(request);
    REQUIRE(filled.has_timing());
    CHECK(filled.performance.batch_wait_ms == 0.0);
    // The share closes the window first: 50 others over 50 steps arrive at a = 1 per step, and
    // 0.9 x 16,384 - 50 = 14,695.6 tokens need n = 15 prompts, held for (n - 1) / a = 14 < 20
    // steps: a mean of (14 + 196 / 2) / (1 + 14) steps.
    request.profile.max_batched_tokens = 16384;
    request.batch = 51;
    request.output_tokens = 50;
    const Estimate filling = estimate(request);
    REQUIRE(filling.has_timing());
    CHECK(filling.performance.batch_wait_ms == Approx(112.0 / 15.0 * filling.performance.decode_step_ms));
    // Nothing decodes, so nothing is held: alone (B = 1), or when each request ends with its
    // first token (O = 1).
    request.output_tokens = 1;
    const Estimate first_token_only = estimate(request);
    REQUIRE(first_token_only.has_timing());
    CHECK(first_token_only.performance.batch_wait_ms == 0.0);
    request.output_tokens = 100;
    request.batch = 1;
    const Estimate alone = estimate(request);
    REQUIRE(alone.has_timing());
    CHECK(alone.performance.batch_wait_ms == 0.0);
}
