// Multi-task plans (base + adapters) and dynamic activation under a request mix, against
// hand-computed values (docs/multitask.md, docs/method.md).
#include <algorithm>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "dsselect/catalog/loader.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/estimate/estimator.hpp"
#include "dsselect/report/views.hpp"
#include "dsselect/select/multitask.hpp"
#include "support/helpers.hpp"

using namespace dsselect;

namespace {
using test::builtin;
using test::builtin_rules;

AdapterSpec lora(std::int64_t rank, std::vector<AdapterModule> modules) {
    AdapterSpec adapter;
    adapter.kind = AdapterKind::lora;
    adapter.rank = rank;
    adapter.target_modules = std::move(modules);
    return adapter;
}

TaskSpec task(const std::string& id, double share, AdapterSpec adapter) {
    TaskSpec t;
    t.id = id;
    t.share = share;
    t.adapter = std::move(adapter);
    return t;
}

const std::vector<AdapterModule> k_attention = {AdapterModule::q, AdapterModule::k, AdapterModule::v, AdapterModule::o};

// customer-service's workload split into `count` tasks of equal share, each a rank-16 LoRA.
Scenario split_customer_service(int count) {
    Scenario s = builtin().scenario("customer-service");
    for (int i = 0; i < count; ++i) {
        s.tasks.push_back(task("t" + std::to_string(i), 1.0 / count, lora(16, k_attention)));
    }
    return s;
}

const MultiTaskPlan& plan_of(const MultiTaskResult& result, PlanKind kind) {
    for (const MultiTaskPlan& plan : result.plans) {
        if (plan.kind == kind) {
            return plan;
        }
    }
    FAIL("no plan of kind " << to_string(kind));
    return result.plans.front();
}
}  // namespace

TEST_CASE("adapters: LoRA parameters are rank x sum over layers and targets of (d_in + d_out)", "[multitask]") {
    const Architecture a = test::llama2_7b().architecture;
    // q, k, v, o of an MHA 4096-wide layer: 4 x (4096 + 4096) = 32,768 per layer and rank;
    // x 32 layers x rank 16 = 16,777,216.
    CHECK(adapter_parameters(a, lora(16, k_attention)) == 16'777'216);
    // gate: 4096 + 11008 = 15,104 x 32 layers x rank 8 = 3,866,624.
    CHECK(adapter_parameters(a, lora(8, {AdapterModule::gate})) == 3'866'624);
    AdapterSpec head;
    head.kind = AdapterKind::head;
    head.parameters = 12'288;
    CHECK(adapter_parameters(a, head) == 12'288);
}

TEST_CASE("adapters: memory is parameters x 2 bytes, every adapter held beside the weights", "[multitask]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware gpu = test::gpu();
    const std::vector<TaskSpec> tasks = {task("a", 0.5, lora(16, k_attention)), task("b", 0.5, lora(16, k_attention))};
    EstimateRequest plain = test::request_for(model, fp16, gpu);
    EstimateRequest served = plain;
    served.adapter_tasks = &tasks;
    const Estimate without = estimate(plain);
    const Estimate with = estimate(served);
    // 2 adapters x 16,777,216 parameters x 2 bytes = 67,108,864 bytes.
    CHECK(with.adapter_parameters == 33'554'432.0);
    CHECK(with.memory.adapter_bytes == 67'108'864.0);
    CHECK(with.memory.per_gpu_bytes - without.memory.per_gpu_bytes == Approx(67'108'864.0));
    CHECK(with.memory.weights_bytes == without.memory.weights_bytes);  // the base does not grow
    // Unmerged adapters cost time: the extra FLOPs and the adapter bytes read per step.
    REQUIRE(with.has_timing());
    CHECK(with.performance.decode_step_ms > without.performance.decode_step_ms);
    CHECK(with.performance.latency_ms > without.performance.latency_ms);
}

TEST_CASE("adapters: a decode step reads each distinct adapter of the batch once", "[multitask]") {
    const Architecture a = test::llama2_7b().architecture;
    const std::vector<TaskSpec> tasks = {task("a", 0.5, lora(16, k_attention)), task("b", 0.5, lora(16, k_attention))};
    // Batch 4, shares 1/2: each task is present with probability 1 - 0.5^4 = 0.9375, so
    // 1.875 adapters of 33,554,432 bytes = 62,914,560 bytes; one token multiplies 16,777,216.
    const AdapterLoad load = adapter_load(a, tasks, 4.0);
    CHECK(load.bytes_read_per_step == Approx(62'914'560.0));
    CHECK(load.mean_parameters_per_token == Approx(16'777'216.0));
    CHECK(load.resident_bytes == Approx(67'108'864.0));
    // Batch 1: one request reads one adapter.
    CHECK(adapter_load(a, tasks, 1.0).bytes_read_per_step == Approx(33'554'432.0));
}

TEST_CASE("reuse rate: shared base parameters over all parameters, zero when nothing is shared", "[multitask]") {
    PlanDeployment shared;
    shared.task_ids = {"a", "b"};
    shared.base_parameters = 1000;
    shared.adapter_parameters = 100;
    PlanDeployment alone;
    alone.task_ids = {"c"};
    alone.base_parameters = 500;
    // Shared 1000 / (1000 + 100 + 500) = 0.625.
    CHECK(parameter_reuse_rate({shared, alone}) == Approx(0.625));
    // A base serving one task shares nothing.
    CHECK(parameter_reuse_rate({alone}) == 0.0);
    // Llama-2-7B shape (6,738,415,616) with 16 rank-16 q,k,v,o adapters (16 x 16,777,216):
    // 6,738,415,616 / 7,006,851,072 = 0.961690, well above the seed's 78 %.
    PlanDeployment sixteen;
    for (int i = 0; i < 16; ++i) {
        sixteen.task_ids.push_back("t" + std::to_string(i));
    }
    sixteen.base_parameters = static_cast<double>(count_parameters(test::llama2_7b().architecture).total);
    CHECK(sixteen.base_parameters == 6'738'415'616.0);
    sixteen.adapter_parameters = 16.0 * 16'777'216.0;
    CHECK(parameter_reuse_rate({sixteen}) == Approx(0.9616896).epsilon(1e-6));
}

TEST_CASE("multi-task: with one task a separate model beats the shared base (adapter overhead)", "[multitask]") {
    const Scenario s = split_customer_service(1);
    const MultiTaskResult result = plan_multi_task(builtin(), s, builtin_rules(), SearchOptions{});
    const MultiTaskPlan& shared = plan_of(result, PlanKind::shared);
    const MultiTaskPlan& separate = plan_of(result, PlanKind::separate);
    REQUIRE(shared.accepted());
    REQUIRE(separate.accepted());
    REQUIRE(result.best);
    CHECK(result.plans[*result.best].kind == PlanKind::separate);
    CHECK(separate.cost_per_year_usd <= shared.cost_per_year_usd);
    CHECK(separate.score > shared.score);
    CHECK(shared.parameter_reuse_rate == 0.0);  // one task shares nothing
    CHECK(shared.deployments.front().adapters == 1);
    CHECK(separate.deployments.front().adapters == 0);
    // Without any adapter upkeep the adapter's serving overhead alone decides: the same search
    // with one unmerged adapter is strictly slower, never cheaper.
    Catalog no_upkeep = builtin();
    no_upkeep.multi_task.adapter_engineering_hours_per_year = 0.0;
    const MultiTaskResult overhead_only = plan_multi_task(no_upkeep, s, builtin_rules(), SearchOptions{});
    const MultiTaskPlan& shared0 = plan_of(overhead_only, PlanKind::shared);
    const MultiTaskPlan& separate0 = plan_of(overhead_only, PlanKind::separate);
    REQUIRE(shared0.accepted());
    REQUIRE(separate0.accepted());
    CHECK(shared0.adapter_upkeep_usd_per_year == 0.0);
    CHECK(separate0.cost_per_year_usd <= shared0.cost_per_year_usd);
    CHECK(separate0.latency_ms < shared0.latency_ms);
    CHECK(separate0.score > shared0.score);
    REQUIRE(overhead_only.best);
    CHECK(overhead_only.plans[*overhead_only.best].kind == PlanKind::separate);
}

TEST_CASE("multi-task: many small tasks cross over to one shared fleet", "[multitask]") {
    // 8 tasks of 18.75 QPS: eight fleets, each with its own engineering upkeep (400 h x $100),
    // against one fleet with eight adapters (8 x 20 h x $100 of adapter upkeep).
    const Scenario s = split_customer_service(8);
    const MultiTaskResult result = plan_multi_task(builtin(), s, builtin_rules(), SearchOptions{});
    const MultiTaskPlan& shared = plan_of(result, PlanKind::shared);
    const MultiTaskPlan& separate = plan_of(result, PlanKind::separate);
    REQUIRE(shared.accepted());
    REQUIRE(separate.accepted());
    CHECK(separate.deployments.size() == 8);
    CHECK(shared.cost_per_year_usd < separate.cost_per_year_usd);
    REQUIRE(result.best);
    CHECK(result.plans[*result.best].kind == PlanKind::shared);
    // 8 adapters x 20 h x $100 = $16,000 a year of adapter upkeep.
    CHECK(shared.adapter_upkeep_usd_per_year == Approx(16'000.0));
    // Reuse: base / (base + 8 adapters).
    const PlanDeployment& d = shared.deployments.front();
    CHECK(shared.parameter_reuse_rate == Approx(d.base_parameters / (d.base_parameters + d.adapter_parameters)));
    CHECK(d.adapter_parameters ==
          8.0 * static_cast<double>(adapter_parameters(d.candidate.model->architecture, lora(16, k_attention))));
    CHECK(separate.parameter_reuse_rate == 0.0);
    // The seed's figure is shown beside the computed one.
    CHECK(result.reference.quoted_rate == 0.78);
    CHECK(result.reference.tasks == 16);
    CHECK(result.reference.computed_rate > 0.78);
}

TEST_CASE("multi-task: fused tasks with different output dimensions are rejected by version-mixing", "[multitask]") {
    Scenario s = split_customer_service(2);
    s.tasks[0].output_dimension = 3;  // a 3-class head fused with an LM output (the vocabulary)
    s.tasks[0].fused_with = {"t1"};
    const MultiTaskResult result = plan_multi_task(builtin(), s, builtin_rules(), SearchOptions{});
    const MultiTaskPlan& shared = plan_of(result, PlanKind::shared);
    CHECK(shared.rejection_reason == "version-mixing");
    CHECK_THAT(shared.rejection_detail, Catch::Contains("output dimensions differ"));
    CHECK_FALSE(plan_of(result, PlanKind::separate).accepted());
}

TEST_CASE("scenario: task shares must sum to 1 and fused output dimensions must agree", "[multitask][catalog]") {
    const std::string head = R"({"id": "x", "workload": {"prompt_tokens": 10, "output_tokens": 10, "qps": 1}, )";
    {
        test::TempFile file("tasks.json", head + R"("tasks": [{"id": "a", "share": 0.5, "adapter": {"kind": "lora", "rank": 8, "target_modules": ["q"]}}]})");
        try {
            read_scenario_document(read_data_file(file.path()), builtin());
            FAIL("accepted shares summing to 0.5");
        } catch (const Error& error) {
            CHECK(error.kind() == ErrorKind::invalid_data);
            CHECK_THAT(error.what(), Catch::Contains("/tasks: expected task shares summing to 1"));
        }
    }
    {
        test::TempFile file("fused.json", head + R"("tasks": [
            {"id": "a", "share": 0.5, "output_dimension": 3, "fused_with": ["b"], "adapter": {"kind": "head", "parameters": 100}},
            {"id": "b", "share": 0.5, "output_dimension": 5, "adapter": {"kind": "head", "parameters": 100}}]})");
        CHECK_THROWS_WITH(read_scenario_document(read_data_file(file.path()), builtin()),
                          Catch::Contains("/tasks/0/output_dimension: contradicts task 'b'"));
    }
    {
        test::TempFile file("mix.json", head + R"("complexity_mix": [{"share": 0.7, "active_fraction": 0.3}, {"share": 0.2, "active_fraction": 1}]})");
        CHECK_THROWS_WITH(read_scenario_document(read_data_file(file.path()), builtin()),
                          Catch::Contains("/complexity_mix: expected shares summing to 1 (within 1e-6), got 0.9"));
    }
    {
        test::TempFile file("module.json", head + R"("tasks": [{"id": "a", "share": 1, "adapter": {"kind": "lora", "rank": 8, "target_modules": ["qkv"]}}]})");
        CHECK_THROWS_WITH(read_scenario_document(read_data_file(file.path()), builtin()),
                          Catch::Contains("/tasks/0/adapter/target_modules/0: expected one of q, k, v, o, gate, up, down"));
    }
}

TEST_CASE("dynamic activation: the mix's share-weighted fraction drives compute and weights read", "[multitask][estimator]") {
    const Model model = test::llama2_7b();
    Variant dynamic = test::variant_bits(16);
    dynamic.active_fraction = 0.3;
    const Hardware gpu = test::gpu();
    const std::vector<ComplexityClass> mix = {{0.7, 0.3}, {0.3, 1.0}};
    // 0.7 x 0.3 + 0.3 x 1.0 = 0.51.
    const auto fraction = mixed_active_fraction(mix, dynamic);
    REQUIRE(fraction);
    CHECK(*fraction == Approx(0.51));
    // A static variant keeps its fraction: the mix does not apply.
    CHECK_FALSE(mixed_active_fraction(mix, test::variant_bits(16)));
    CHECK_FALSE(mixed_active_fraction({}, dynamic));

    EstimateRequest simple_only = test::request_for(model, dynamic, gpu);
    EstimateRequest mixed = simple_only;
    mixed.active_fraction = fraction;
    Trace trace;
    const Estimate a = estimate(simple_only);
    const Estimate b = estimate(mixed, &trace);
    const ParameterCounts p = count_parameters(model.architecture);
    CHECK(a.active_parameters == Approx(static_cast<double>(p.active) * 0.3));
    CHECK(b.active_parameters == Approx(static_cast<double>(p.active) * 0.51));
    CHECK(b.active_fraction == Approx(0.51));
    // Weights in memory do not shrink.
    CHECK(b.memory.weights_bytes == a.memory.weights_bytes);
    CHECK(b.memory.weights_bytes == Approx(static_cast<double>(p.total) * 2.0));
    // Compute: decode FLOPs at batch 1 = 2 x active matmul parameters + attention, so the
    // matmul part scales 0.51 / 0.3; batch 1 reads 0.51 of the weights (1 - (1 - 0.51)^1).
    double touched = 0.0;
    double matmul = 0.0;
    for (const TraceItem& item : trace) {
        if (item.name == "weights_touched_fraction") {
            touched = item.value;
        }
        if (item.name == "active_matmul_parameters") {
            matmul = item.value;
        }
    }
    CHECK(touched == Approx(0.51));
    CHECK(matmul == Approx(static_cast<double>(p.active_matmul) * 0.51));
    CHECK(b.performance.decode_step_ms > a.performance.decode_step_ms);
}

TEST_CASE("dynamic activation: a MoE model's active parameters come from its architecture, not the mix", "[multitask][estimator]") {
    const Model moe = test::deepseek_v3();
    const Variant fp8 = test::variant_bits(8, Precision::fp16);
    const std::vector<ComplexityClass> mix = {{0.7, 0.3}, {0.3, 1.0}};
    CHECK_FALSE(mixed_active_fraction(mix, fp8));
    const Hardware big = test::gpu(4800, 2000);
    const Estimate e = estimate(test::request_for(moe, fp8, big));
    CHECK(e.active_parameters == Approx(static_cast<double>(count_parameters(moe.architecture).active)));
}

TEST_CASE("dynamic activation: a scenario's complexity mix reaches every candidate of the search", "[multitask][search]") {
    Scenario s = builtin().scenario("customer-service");
    s.constraints.allowed_variants = {"dynamic"};
    s.constraints.include_claimed = true;  // dynamic rests on a claim: searched only on opt-in (docs/quality.md)
    const SearchResult simple = search(builtin(), s, builtin_rules(), SearchOptions{});
    REQUIRE_FALSE(simple.ranked.empty());
    CHECK(simple.ranked.front().estimate.active_fraction == Approx(0.3));  // the variant's own figure
    s.complexity_mix = {{0.7, 0.3}, {0.3, 1.0}};
    const SearchResult mixed = search(builtin(), s, builtin_rules(), SearchOptions{});
    REQUIRE_FALSE(mixed.ranked.empty());
    CHECK(mixed.ranked.front().estimate.active_fraction == Approx(0.51));
    // One candidate judged on its own (compare, nearest misses) sees the mix too, and agrees.
    const Candidate& winner = mixed.ranked.front();
    const Candidate alone = evaluate_candidate(builtin(), s, builtin_rules(), *winner.model, *winner.variant,
                                               *winner.hardware, winner.gpus_per_replica, SearchOptions{});
    CHECK(alone.estimate.active_fraction == Approx(0.51));
    CHECK(alone.batch == winner.batch);
    CHECK(alone.estimate.performance.tpot_ms == winner.estimate.performance.tpot_ms);
    CHECK(alone.cost.yearly_usd == winner.cost.yearly_usd);
}

TEST_CASE("cli: estimate --complexity-mix slows a dynamic variant and refuses a static one", "[multitask][cli]") {
    const std::vector<std::string> base = {"estimate", "--model", "base", "--variant", "dynamic", "--gpu", "a100-80gb",
                                           "-o", "json"};
    auto plain = test::run_cli(base);
    auto with_mix = base;
    with_mix.insert(with_mix.end(), {"--complexity-mix", "0.7:0.3,0.3:1.0"});
    auto mixed = test::run_cli(with_mix);
    REQUIRE(plain.status == 0);
    REQUIRE(mixed.status == 0);
    const auto tpot = [](const std::string& text) {
        return nlohmann::json::parse(text).at("performance").at("tpot_ms").get<double>();
    };
    CHECK(tpot(mixed.out) > tpot(plain.out));  // 0.51 of the weights read per step instead of 0.3
    auto bad_sum = test::run_cli({"estimate", "--model", "base", "--variant", "dynamic", "--gpu", "a100-80gb",
                                  "--complexity-mix", "0.7:0.3,0.2:1.0"});
    CHECK(bad_sum.status == 2);
    CHECK_THAT(bad_sum.err, Catch::Contains("--complexity-mix: shares must sum to 1"));
    auto static_variant = test::run_cli({"estimate", "--model", "base", "--gpu", "a100-80gb", "--complexity-mix", "1:0.5"});
    CHECK(static_variant.status == 2);
    CHECK_THAT(static_variant.err, Catch::Contains("has no dynamic activation"));
    // Given but empty is refused, not ignored.
    auto empty = test::run_cli({"estimate", "--model", "base", "--variant", "dynamic", "--gpu", "a100-80gb", "--complexity-mix", ""});
    CHECK(empty.status == 2);
    CHECK(empty.out.empty());
    CHECK(test::first_line(empty.err) == "dsselect: error: --complexity-mix: expected SHARE:ACTIVE_FRACTION pairs, got ''");
}

TEST_CASE("cli: recommend on a scenario with tasks adds the multi_task plans", "[multitask][cli]") {
    auto result = test::run_cli({"recommend", "--scenario", "multi-task-support", "-o", "json"});
    REQUIRE(result.status == 0);
    const auto document = nlohmann::json::parse(result.out);
    REQUIRE(document.contains("multi_task"));
    const auto& multi = document.at("multi_task");
    CHECK(multi.at("tasks").size() == 4);
    CHECK(multi.at("plans").at(0).at("kind") == "shared");
    CHECK(multi.at("plans").at(1).at("kind") == "separate");
    CHECK(multi.at("plans").at(1).at("parameter_reuse_rate") == 0.0);
    CHECK(multi.at("reference").at("parameter_reuse_rate") == 0.78);
    CHECK(multi.at("reference").at("source").get<std::string>().find("seed §3.3") != std::string::npos);
    auto table = test::run_cli({"recommend", "--scenario", "multi-task-support"});
    REQUIRE(table.status == 0);
    CHECK_THAT(table.out, Catch::Contains("plan\tdeployments\tGPUs"));  // the plans table (piped: no titles)
    // A scenario without tasks is unchanged: no multi_task key.
    auto plain = test::run_cli({"recommend", "--scenario", "customer-service", "-o", "json"});
    CHECK_FALSE(nlohmann::json::parse(plain.out).contains("multi_task"));
}

TEST_CASE("multi-task: plans from a search that kept only its best few equal those from the whole ranking",
          "[multitask][search]") {
    // A search may keep only its top N (SearchOptions::keep_ranked). The search applies every
    // task's floor, so the shared plan's base is the first of the ranking whatever the floors
    // (it was at index 24 for 0.85 and 472 for 0.9 when only the plan checked them); a chat floor
    // of 0.99 leaves nothing to rank.
    for (double chat_floor : {0.85, 0.9, 0.99}) {
        Scenario s = builtin().scenario("multi-task-support");
        s.tasks.at(0).min_quality = chat_floor;
        const SearchResult whole = search(builtin(), s, builtin_rules(), SearchOptions{});
        if (chat_floor > 0.95) {
            CHECK(whole.ranked.empty());
            CHECK(whole.rejected_by_reason.count("quality") == 1);
            continue;
        }
        REQUIRE(!whole.ranked.empty());
        const MultiTaskResult expected = plan_multi_task(builtin(), s, builtin_rules(), SearchOptions{}, &whole);
        std::size_t shared_rank = whole.ranked.size();  // the shared winner's index in the whole ranking
        if (expected.plans.front().accepted()) {
            const std::string winner = expected.plans.front().deployments.front().candidate.label();
            for (std::size_t i = 0; i < whole.ranked.size(); ++i) {
                if (whole.ranked[i].label() == winner) {
                    shared_rank = i;
                    break;
                }
            }
        }
        INFO("chat floor " << chat_floor << ": shared winner at index " << shared_rank);
        CHECK(shared_rank == 0);  // the first ranked meets every task's floor
        SearchOptions few;
        few.keep_ranked = 1;
        const SearchResult kept = search(builtin(), s, builtin_rules(), few);
        REQUIRE(kept.ranked.size() == 1);
        const MultiTaskResult got = plan_multi_task(builtin(), s, builtin_rules(), few, &kept);
        REQUIRE(got.plans.size() == expected.plans.size());
        for (std::size_t p = 0; p < got.plans.size(); ++p) {
            const MultiTaskPlan& a = got.plans[p];
            const MultiTaskPlan& b = expected.plans[p];
            CHECK(a.kind == b.kind);
            CHECK(a.rejection_reason == b.rejection_reason);
            CHECK(a.rejection_detail == b.rejection_detail);
            CHECK(a.cost_per_year_usd == b.cost_per_year_usd);
            CHECK(a.score == b.score);
            REQUIRE(a.deployments.size() == b.deployments.size());
            for (std::size_t d = 0; d < a.deployments.size(); ++d) {
                CHECK(a.deployments[d].candidate.label() == b.deployments[d].candidate.label());
                CHECK(a.deployments[d].task_ids == b.deployments[d].task_ids);
            }
        }
        CHECK(got.best == expected.best);
    }
}

namespace {
// Every figure the search and the outputs read, compared exactly: a plan must give what a
// fresh estimate gives, to the last bit.
void require_same_estimate(const Estimate& planned, const Estimate& fresh) {
    CHECK(planned.feasibility == fresh.feasibility);
    CHECK(planned.parameters.total == fresh.parameters.total);
    CHECK(planned.kept_parameters == fresh.kept_parameters);
    CHECK(planned.active_parameters == fresh.active_parameters);
    CHECK(planned.adapter_parameters == fresh.adapter_parameters);
    CHECK(planned.peak_flops_per_gpu == fresh.peak_flops_per_gpu);
    CHECK(planned.memory.kv_cache_bytes == fresh.memory.kv_cache_bytes);
    CHECK(planned.memory.activations_bytes == fresh.memory.activations_bytes);
    CHECK(planned.memory.per_gpu_bytes == fresh.memory.per_gpu_bytes);
    CHECK(planned.memory.adapter_bytes == fresh.memory.adapter_bytes);
    CHECK(planned.memory.fits == fresh.memory.fits);
    CHECK(planned.memory.max_concurrency == fresh.memory.max_concurrency);
    CHECK(planned.performance.ttft_ms == fresh.performance.ttft_ms);
    CHECK(planned.performance.tpot_ms == fresh.performance.tpot_ms);
    CHECK(planned.performance.decode_step_ms == fresh.performance.decode_step_ms);
    CHECK(planned.performance.latency_ms == fresh.performance.latency_ms);
    CHECK(planned.performance.qps == fresh.performance.qps);
    CHECK(planned.power_w == fresh.power_w);
    CHECK(planned.energy_wh_per_1k_output_tokens == fresh.energy_wh_per_1k_output_tokens);
}
}  // namespace

TEST_CASE("plan: one EstimatePlan at batch B (and its rung) gives exactly the estimate at B, adapters included", "[multitask][plan]") {
    const Model dense = test::llama2_7b();
    const Model moe = test::deepseek_v3();
    const Variant fp16 = test::variant_bits(16);
    const Hardware gpu = test::gpu();
    std::vector<TaskSpec> few;  // read from the plan's per-task table
    std::vector<TaskSpec> many;  // more tasks than the table holds: at() recounts them
    for (int i = 0; i < 9; ++i) {
        const TaskSpec t = task("t" + std::to_string(i), 0.05 + 0.01 * i, lora(8 + 8 * (i % 3), k_attention));
        if (i < 3) {
            few.push_back(t);
        }
        many.push_back(t);
    }
    int timed_rungs = 0;
    for (const Model* model : {&dense, &moe}) {
        for (const std::vector<TaskSpec>* tasks : std::vector<const std::vector<TaskSpec>*>{nullptr, &few, &many}) {
            EstimateRequest request = test::request_for(*model, fp16, gpu);
            request.gpus = model == &moe ? 16 : 2;
            request.adapter_tasks = tasks;
            const EstimatePlan plan(request);
            for (std::int64_t batch : {1, 2, 4, 64, 1024, 1'000'000}) {
                CAPTURE(model->id, tasks == nullptr ? 0 : tasks->size(), batch);
                EstimateRequest at_batch = request;
                at_batch.batch = batch;
                const Estimate fresh = estimate(at_batch);
                require_same_estimate(plan.at(batch), fresh);
                // A rung of the batch-size search: the timing alone, the same bits.
                const EstimatePlan::Rung rung = plan.rung(batch);
                CHECK(rung.timed == fresh.has_timing());
                if (rung.timed) {
                    ++timed_rungs;
                    CHECK(rung.performance.ttft_ms == fresh.performance.ttft_ms);
                    CHECK(rung.performance.tpot_ms == fresh.performance.tpot_ms);
                    CHECK(rung.performance.decode_step_ms == fresh.performance.decode_step_ms);
                    CHECK(rung.performance.latency_ms == fresh.performance.latency_ms);
                    CHECK(rung.performance.qps == fresh.performance.qps);
                }
                Trace trace;
                if (tasks != nullptr && plan.at(batch, &trace).has_timing()) {
                    // The adapters a step reads at B, from the plan's table or recounted: as adapter_load.
                    const auto read = std::find_if(trace.begin(), trace.end(), [](const TraceItem& item) {
                        return item.name == "adapter_bytes_read_per_step";
                    });
                    REQUIRE(read != trace.end());
                    CHECK(read->value == adapter_load(model->architecture, *tasks, static_cast<double>(batch)).bytes_read_per_step);
                }
            }
        }
    }
    CHECK(timed_rungs >= 12);  // and the rest do not fit
    // The plan is not batch 1 in disguise: a larger batch reads more adapters and more cache (from
    // batch 2 on; at batch 1 the cache holds the request's whole window, P + O, not P + O/2).
    EstimateRequest request = test::request_for(dense, fp16, gpu);
    request.adapter_tasks = &few;
    const EstimatePlan plan(request);
    CHECK(plan.at(16).memory.kv_cache_bytes == 8.0 * plan.at(2).memory.kv_cache_bytes);
    CHECK(plan.at(1).memory.kv_cache_tokens == 640.0);
    CHECK(plan.at(8).performance.decode_step_ms > plan.at(1).performance.decode_step_ms);
}

TEST_CASE("plan: estimates keep the exact bits of the single-pass estimator they replaced", "[multitask][plan]") {
    // Hex floats printed (%a) by estimate() as it was before EstimatePlan split it (commit
    // b7642e5), for four requests on the test fixtures: tensor parallel, a MoE replica across
    // two nodes, adapters with a complexity mix and TTFT sharing, and a layer split without
    // continuous batching. A change to any formula's operands or order of operations shows
    // here; an intended change of the physics updates these values (issue 20: TTFT is the own
    // prefill (times B^x where a request sets the deprecated exponent) + half a step; KV held P + O/2 per sequence, so per-GPU bytes
    // fall and max concurrency rises; TPOT and the decode step are unchanged; the head runs once
    // per prompt, for its last token, so a compute-bound prefill and what rests on it fall; a
    // prompt reads only the routed experts its tokens touch, so the MoE prefill's memory falls;
    // output tokens/s is requests/s * O, each request's prefill included, and the energy per token with it;
    // the activations of a full step are reserved whatever the batch, so the two batches below the
    // step cap (5,600 and 2,800 prompt tokens of 8,192) hold (8,192 - B P) * 27,392 and * 76,800 bytes more;
    // under a layer split a GPU holds a layer's full FFN width and the full logits, 8,192 * 16,512 + 16 *
    // 96,000 bytes more, and an engine without continuous batching runs one sequence at most;
    // issue 20's twenty-sixth session: the all-reduces and the step's activations of the 8-bit
    // variants are 16-bit, so the three int8 requests hold more activation memory and the two
    // tensor-parallel ones all-reduce twice the bytes, while the 16-bit request does not move).
    struct Frozen {
        const char* name;
        int timed;
        double per_gpu_bytes;
        long long max_concurrency;
        double ttft_ms, tpot_ms, decode_step_ms, latency_ms, qps, output_tokens_per_s, prefill_tokens_per_s,
            energy_wh_per_1k;
    };
    const Frozen frozen[] = {
    {"dense tp2 b8", 1, 0x1.023cecp+33, 319, 0x1.dd05126067d32p+3, 0x1.374e02296da46p+2, 0x1.12af7f2592e64p+2, 0x1.71d4e2cdbb40ap+9, 0x1.5a1a7ddedc953p+3, 0x1.95970b812a7edp+10, 0x1.6edc6f499e7a4p+15, 0x1.c0d6ac8d5d874p-4},
    {"moe tp16 b64", 1, 0x1.6e3c92b8p+35, 483, 0x1.73c77a83969bep+6, 0x1.c5c843ddf2148p+5, 0x1.0ab4ad396695ap+5, 0x1.0b051e7535132p+13, 0x1.df5d66ba8f192p+2, 0x1.18e0ba314fd8cp+10, 0x1.d6b5a0768429ep+12, 0x1.44103998a352fp+0},
    {"dense adapters mix b4", 1, 0x1.f7d7f8p+33, 139, 0x1.bdd1eec31264bp+5, 0x1.4b804e8b129e5p+3, 0x1.3d7f84e5aecfp+3, 0x1.8fd1eae3fc3f7p+10, 0x1.4024e1efc7e6cp+1, 0x1.772b38c4fe427p+8, 0x1.8888f9b62dc71p+13, 0x1.e53bbf3dcd2d2p-3},
    {"dense layer split b16", 1, 0x1.aae844p+32, 1, 0x1.a21400f8edfcp+4, 0x1.250acd5a14303p+3, 0x1.250acd5a14303p+3, 0x1.5ba6e30ebf38p+10, 0x1.702f33852f7adp+3, 0x1.af77506013a3fp+10, 0x1.a29500789d766p+14, 0x1.a5ebafaabd23p-3},
    };
    const Model dense = test::llama2_7b();
    const Model moe = test::deepseek_v3();
    const Variant fp16 = test::variant_bits(16);
    const Variant int8 = test::variant_bits(8, Precision::int8);
    const Hardware gpu = test::gpu();
    std::vector<TaskSpec> tasks;
    for (int i = 0; i < 3; ++i) {
        tasks.push_back(task("t" + std::to_string(i), 0.2 + 0.1 * i, lora(8 * (i + 1), k_attention)));
    }
    auto request = [](const Model& m, const Variant& v, const Hardware& h, std::int64_t gpus, std::int64_t batch) {
        EstimateRequest r = test::request_for(m, v, h, gpus, batch);
        r.prompt_tokens = 700;
        r.output_tokens = 150;
        return r;
    };
    EstimateRequest with_adapters = request(dense, fp16, gpu, 1, 4);
    with_adapters.adapter_tasks = &tasks;
    with_adapters.active_fraction = 0.51;
    with_adapters.profile.ttft_batch_exponent = 0.6;
    EstimateRequest split = request(dense, int8, gpu, 4, 16);
    split.profile.layer_split = true;
    split.profile.continuous_batching = false;
    const EstimateRequest requests[] = {request(dense, int8, gpu, 2, 8), request(moe, int8, gpu, 16, 64), with_adapters,
                                        split};
    static_assert(std::size(requests) == std::size(frozen));
    for (std::size_t i = 0; i < std::size(frozen); ++i) {
        const Frozen& f = frozen[i];
        INFO(f.name);
        const EstimatePlan plan(requests[i]);
        const Estimate e = plan.at(requests[i].batch);
        REQUIRE(e.has_timing() == (f.timed != 0));
        CHECK(e.memory.per_gpu_bytes == f.per_gpu_bytes);
        CHECK(e.memory.max_concurrency == f.max_concurrency);
        CHECK(e.performance.ttft_ms == f.ttft_ms);
        CHECK(e.performance.tpot_ms == f.tpot_ms);
        CHECK(e.performance.decode_step_ms == f.decode_step_ms);
        CHECK(e.performance.latency_ms == f.latency_ms);
        CHECK(e.performance.qps == f.qps);
        CHECK(e.performance.output_tokens_per_s == f.output_tokens_per_s);
        CHECK(e.performance.prefill_tokens_per_s == f.prefill_tokens_per_s);
        CHECK(e.energy_wh_per_1k_output_tokens == f.energy_wh_per_1k);
        const EstimatePlan::Rung rung = plan.rung(requests[i].batch);
        CHECK(rung.performance.latency_ms == f.latency_ms);
        CHECK(rung.performance.qps == f.qps);
    }
}

TEST_CASE("estimate tables: the memory table lists task adapters where the request carries them", "[multitask][plan]") {
    // The table's parts add up to its total: the adapters, resident beside the weights and split
    // like them, are a row of their own; without tasks the row is absent.
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    std::vector<TaskSpec> tasks{task("a", 0.5, lora(64, k_attention)), task("b", 0.5, lora(64, k_attention))};
    EstimateRequest request = test::request_for(model, fp16, hardware, 2, 4);
    const auto memory_rows = [](const EstimateRequest& r) {
        const Estimate e = estimate(r);
        const auto tables = report::estimate_tables(report::EstimateView{.request = &r, .estimate = &e});
        const auto found = std::find_if(tables.begin(), tables.end(),
                                        [](const report::Table& t) { return t.title == "Memory per GPU"; });
        REQUIRE(found != tables.end());
        return std::make_pair(found->rows, e.memory.adapter_bytes);
    };
    const auto has_adapter_row = [](const std::vector<std::vector<std::string>>& rows) {
        return std::any_of(rows.begin(), rows.end(), [](const auto& row) { return row.at(0) == "task adapters"; });
    };
    CHECK_FALSE(has_adapter_row(memory_rows(request).first));
    request.adapter_tasks = &tasks;
    const auto [rows, adapter_bytes] = memory_rows(request);
    REQUIRE(adapter_bytes > 0.0);
    REQUIRE(has_adapter_row(rows));
    CHECK(rows.at(1).at(0) == "task adapters");  // right after the weights they sit beside
    CHECK(std::stod(rows.at(1).at(1)) == Approx(adapter_bytes / 2.0 / 1073741824.0).margin(0.006));
}
