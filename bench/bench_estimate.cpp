// Nanoseconds per estimate (issue 3 target: < 1 us). estimate_dense and estimate_moe_mla build
// a plan for one estimate; estimate_ladder is what the search does with a plan.
#include <benchmark/benchmark.h>

#include <optional>

#include <fmt/format.h>

#include "dsselect/catalog/loader.hpp"
#include "dsselect/core/allocator.hpp"
#include "dsselect/estimate/estimator.hpp"
#include "dsselect/report/views.hpp"
#include "dsselect/rules/rules.hpp"
#include "dsselect/select/multitask.hpp"
#include "dsselect/select/search.hpp"

namespace {
const dsselect::Catalog& catalog() {
    static const dsselect::Catalog loaded = dsselect::load_catalog({});
    return loaded;
}

void estimate_dense(benchmark::State& state) {
    dsselect::EstimateRequest request;
    request.model = &catalog().model("base");
    request.variant = &catalog().variant("int8");
    request.hardware = &catalog().hardware_by_id("a40");
    request.gpus = 2;
    request.batch = 8;
    for (auto _ : state) {
        benchmark::DoNotOptimize(dsselect::estimate(request));
        request.batch = request.batch % 64 + 1;
    }
}
BENCHMARK(estimate_dense);

void estimate_moe_mla(benchmark::State& state) {
    dsselect::Model model = catalog().model("base");
    auto& a = model.architecture;
    a = {};
    a.num_hidden_layers = 61; a.hidden_size = 7168; a.intermediate_size = 18432; a.num_attention_heads = 128;
    a.vocab_size = 129280; a.moe_intermediate_size = 2048; a.n_routed_experts = 256; a.n_shared_experts = 1;
    a.num_experts_per_tok = 8; a.first_k_dense_replace = 3; a.q_lora_rank = 1536; a.kv_lora_rank = 512;
    a.qk_rope_head_dim = 64; a.qk_nope_head_dim = 128; a.v_head_dim = 128;
    dsselect::EstimateRequest request;
    request.model = &model;
    request.variant = &catalog().variant("fp8");
    request.hardware = &catalog().hardware_by_id("h200");
    request.gpus = 8;
    request.batch = 16;
    for (auto _ : state) {
        benchmark::DoNotOptimize(dsselect::estimate(request));
    }
}
BENCHMARK(estimate_moe_mla);

// One candidate's batch-size ladder as the search runs it: a plan, its estimate at batch 1, the
// timing-only rungs at 2, 4, ..., 64 and the whole estimate at 64, per iteration.
void estimate_ladder(benchmark::State& state) {
    const dsselect::ParameterCounts parameters = dsselect::model_parameters(catalog().model("base"));
    dsselect::EstimateRequest request;
    request.model = &catalog().model("base");
    request.variant = &catalog().variant("int8");
    request.hardware = &catalog().hardware_by_id("a40");
    request.gpus = 2;
    request.parameters = &parameters;  // as the search passes them
    for (auto _ : state) {
        const dsselect::EstimatePlan plan(request);
        benchmark::DoNotOptimize(plan.at(1));
        for (std::int64_t batch = 2; batch <= 64; batch *= 2) {
            benchmark::DoNotOptimize(plan.rung(batch));
        }
        benchmark::DoNotOptimize(plan.at(64));
    }
}
BENCHMARK(estimate_ladder);

// The whole search on the shipped data: candidate evaluations per second (issue 4 target:
// at least one million on one core).
void recommend_search(benchmark::State& state) {
    const dsselect::RuleSet rules = dsselect::load_rules({});
    dsselect::SearchOptions options;
    options.threads = 1;
    const dsselect::Scenario& scenario = catalog().scenario("customer-service");
    std::int64_t evaluated = 0;
    for (auto _ : state) {
        auto result = dsselect::search(catalog(), scenario, rules, options);
        evaluated += result.candidates_evaluated;
        benchmark::DoNotOptimize(result);
    }
    state.counters["candidates_per_s"] = benchmark::Counter(static_cast<double>(evaluated), benchmark::Counter::kIsRate);
}
BENCHMARK(recommend_search)->Unit(benchmark::kMillisecond);

// One batch item, as `dsselect batch` judges it on one thread: search, multi-task plans and JSON
// Lines record, over the shipped scenarios with their load and prompt lengths varied (issue 6: a
// 10,000-item batch in a few seconds; seconds_per_10k_items is what the counter implies).
void batch_item(benchmark::State& state) {
    const dsselect::RuleSet rules = dsselect::load_rules({});
    dsselect::SearchOptions options;
    options.threads = 1;
    std::vector<dsselect::Scenario> scenarios;
    const double qps_factors[] = {0.5, 1.0, 2.0, 4.0};
    const std::int64_t prompt_factors[] = {1, 2};
    for (const dsselect::Scenario& shipped : catalog().scenarios) {
        for (double qps_factor : qps_factors) {
            for (std::int64_t prompt_factor : prompt_factors) {
                dsselect::Scenario s = shipped;
                s.workload.qps *= qps_factor;
                s.workload.prompt_tokens *= prompt_factor;
                scenarios.push_back(s);
            }
        }
    }
    std::size_t next = 0;
    std::int64_t items = 0;
    for (auto _ : state) {
        const dsselect::Scenario& s = scenarios[next];
        next = (next + 1) % scenarios.size();
        options.keep_ranked = dsselect::ranked_to_keep(s, 5);
        auto result = dsselect::search(catalog(), s, rules, options);
        std::optional<dsselect::MultiTaskResult> plans;  // as batch: a scenario with tasks gets its plans
        if (!s.tasks.empty() && !result.ranked.empty()) {
            plans = dsselect::plan_multi_task(catalog(), s, rules, options, &result);
        }
        benchmark::DoNotOptimize(
            dsselect::report::batch_recommendation_json(items + 1, result, 5, plans ? &*plans : nullptr));
        ++items;
    }
    state.counters["items_per_s"] = benchmark::Counter(static_cast<double>(items), benchmark::Counter::kIsRate);
    state.counters["seconds_per_10k_items"] =
        benchmark::Counter(static_cast<double>(items) / 10'000.0, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(batch_item)->Unit(benchmark::kMillisecond);

// Loading and validating the embedded catalog (part of every command's cold start).
void load_builtin_catalog(benchmark::State& state) {
    for (auto _ : state) {
        benchmark::DoNotOptimize(dsselect::load_catalog({}));
    }
}
BENCHMARK(load_builtin_catalog)->Unit(benchmark::kMillisecond);

// Loading a --data overlay of N hardware entries (issue 24: loading and merging were quadratic,
// 120,000 entries took more than a minute). Time per entry should stay flat as N grows.
void load_hardware_overlay(benchmark::State& state) {
    const auto entries = static_cast<std::size_t>(state.range(0));
    std::string text = "{\"schema_version\":\"1.0\",\"hardware\":[\n";
    for (std::size_t i = 0; i < entries; ++i) {
        text += fmt::format("{}{{\"id\":\"g{}\",\"name\":\"G\",\"memory_gb\":24,\"memory_bandwidth_gb_per_s\":600,"
                            "\"peak_tflops\":{{\"fp16\":125}},\"tdp_w\":150,\"price_usd_per_hour\":1}}\n",
                            i == 0 ? "" : ",", i);
    }
    text += "]}\n";
    const std::vector<dsselect::DataSource> overlay = {{"bench.json", text}};
    for (auto _ : state) {
        benchmark::DoNotOptimize(dsselect::load_catalog(overlay));
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(load_hardware_overlay)->Arg(1000)->Arg(16000)->Arg(120000)->Unit(benchmark::kMillisecond);
}  // namespace

int main(int argc, char** argv) {
    dsselect::keep_search_memory_in_heap();  // as the CLI does
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
