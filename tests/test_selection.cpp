// The search, the TCO model and the rules on the shipped data and on hand-computed cases.
#include <catch2/catch.hpp>
#include <cmath>
#include <tuple>

#include <algorithm>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "dsselect/catalog/loader.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/select/candidate_spec.hpp"
#include "dsselect/select/frontier.hpp"
#include "dsselect/select/search.hpp"
#include "dsselect/tco/tco.hpp"
#include "support/helpers.hpp"

using namespace dsselect;
using nlohmann::json;

namespace {
using test::builtin;
using test::builtin_rules;
SearchResult recommend_for(const std::string& id) {
    return search(builtin(), builtin().scenario(id), builtin_rules(), SearchOptions{});
}
}  // namespace

TEST_CASE("tco: rented inference is devices x hours x price, weighted index uses 0.3/0.5/0.2", "[tco]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();  // $2.00 per hour, $15,000
    TcoInputs inputs;
    inputs.years = 2;
    inputs.maintenance_fraction_per_year = 0.1;
    inputs.engineering_hours_per_year = 10;
    inputs.engineering_usd_per_hour = 100;
    inputs.training.method = TrainingMethod::none;
    Deployment d{&model, &fp16, &hardware, 2, 3, 800, 7e9};
    Workload workload;
    workload.qps = 10;
    workload.output_tokens = 100;
    const TcoResult r = compute_tco(inputs, d, workload, TcoWeights{});
    const double inference_per_year = 6 * 8760 * 2.0;  // 105,120
    CHECK(r.inference_usd == Approx(2 * inference_per_year));
    CHECK(r.maintenance_usd == Approx(2 * (0.1 * inference_per_year + 1000)));
    CHECK(r.total_usd == Approx(r.inference_usd + r.maintenance_usd));
    CHECK(r.weighted_index_usd == Approx(0.5 * r.inference_usd + 0.2 * r.maintenance_usd));
    CHECK(r.per_year.size() == 2);
    // 10 QPS x 100 tokens x 3600 x 8760 = 31,536 M tokens a year.
    REQUIRE(r.usd_per_million_output_tokens);
    CHECK(*r.usd_per_million_output_tokens == Approx(inference_per_year / 31536.0));
}

TEST_CASE("tco: the years of a 2.5-year horizon, and a search's totals-only costing", "[tco]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();  // $2.00 per hour
    TcoInputs inputs;
    inputs.years = 2.5;
    inputs.maintenance_fraction_per_year = 0.1;
    inputs.engineering_hours_per_year = 10;
    inputs.engineering_usd_per_hour = 100;
    inputs.training.quoted_cost_usd["llama2-7b"] = 5000;
    Deployment d{&model, &fp16, &hardware, 1, 1, 400, 7e9};
    const TcoResult r = compute_tco(inputs, d, Workload{}, TcoWeights{});
    const double inference_per_year = 8760 * 2.0;  // 17,520
    const double maintenance_per_year = 0.1 * inference_per_year + 1000;  // 2,752
    REQUIRE(r.per_year.size() == 3);
    CHECK(r.per_year[0].training_usd == 5000);
    CHECK(r.per_year[1].training_usd == 0);
    CHECK(r.per_year[0].inference_usd == inference_per_year);  // exact: whole hours and dollars
    CHECK(r.per_year[1].inference_usd == inference_per_year);
    CHECK(r.per_year[1].maintenance_usd == Approx(maintenance_per_year));
    CHECK(r.per_year[2].year == 3);
    CHECK(r.per_year[2].inference_usd == 0.5 * inference_per_year);  // the half year
    CHECK(r.per_year[2].maintenance_usd == Approx(0.5 * maintenance_per_year));
    CHECK(r.inference_usd_per_year == inference_per_year);
    CHECK(r.maintenance_usd_per_year == Approx(maintenance_per_year));
    // A search costs with the totals only and fills the years of the candidates it keeps.
    const TcoResult totals = compute_tco(inputs, d, Workload{}, TcoWeights{}, TcoDetail::totals);
    CHECK(totals.per_year.empty());
    CHECK(totals.yearly_usd == r.yearly_usd);
    CHECK(totals.total_usd == r.total_usd);
    const std::vector<TcoYear> years = tco_years(inputs.years, totals);
    REQUIRE(years.size() == r.per_year.size());
    for (std::size_t i = 0; i < years.size(); ++i) {
        CHECK(years[i].year == r.per_year[i].year);
        CHECK(years[i].inference_usd == r.per_year[i].inference_usd);
        CHECK(years[i].maintenance_usd == r.per_year[i].maintenance_usd);
        CHECK(years[i].training_usd == r.per_year[i].training_usd);
    }
    // Every candidate a search keeps has its years, whatever it keeps.
    for (std::int64_t keep : {0, 3}) {
        SearchOptions options;
        options.keep_ranked = keep;
        const SearchResult rec =
            search(builtin(), builtin().scenario("customer-service"), builtin_rules(), options);
        REQUIRE_FALSE(rec.ranked.empty());
        for (const Candidate& c : rec.ranked) {
            CHECK(c.cost.per_year.size() == 3);
        }
    }
}

TEST_CASE("tco: owned inference is depreciation plus energy at PUE", "[tco]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    TcoInputs inputs;
    inputs.ownership = Ownership::owned;
    inputs.years = 3;
    inputs.depreciation_years = 3;
    inputs.pue = 1.5;
    inputs.electricity_usd_per_kwh = 0.10;
    inputs.maintenance_fraction_per_year = 0.05;
    Deployment d{&model, &fp16, &hardware, 1, 2, 320, 7e9};
    const TcoResult r = compute_tco(inputs, d, Workload{}, TcoWeights{});
    const double depreciation = 2 * 15000.0 / 3;
    const double energy = 2 * 0.320 * 8760 * 1.5 * 0.10;
    CHECK(r.inference_usd == Approx(3 * (depreciation + energy)));
    CHECK(r.maintenance_usd == Approx(3 * 0.05 * 30000));
}

TEST_CASE("tco: training FLOPs are 6 N D for full fine-tuning and 4 N D for LoRA", "[tco]") {
    CHECK(training_flops(TrainingMethod::full, 7e9, 1e9, 1) == Approx(4.2e19));
    CHECK(training_flops(TrainingMethod::lora, 7e9, 1e9, 2) == Approx(5.6e19));
    CHECK(training_flops(TrainingMethod::none, 7e9, 1e9, 1) == 0);
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();  // 312 TFLOPS bf16, $2/h
    TcoInputs inputs;
    inputs.training.method = TrainingMethod::full;
    inputs.training.tokens = 1e9;
    inputs.mfu = 0.4;
    Deployment d{&model, &fp16, &hardware, 1, 1, 320, 7e9};
    const TcoResult r = compute_tco(inputs, d, Workload{}, TcoWeights{});
    CHECK(r.training_gpu_hours == Approx(4.2e19 / (312e12 * 0.4 * 3600)));
    CHECK(r.training_usd == Approx(r.training_gpu_hours * 2.0));
    CHECK_FALSE(r.training_quoted);
}

TEST_CASE("tco: custom weights apply, invalid weights are a usage error with the sum", "[tco]") {
    const TcoWeights w = parse_weights("0.2,0.6,0.2");
    CHECK(w.beta == 0.6);
    CHECK_THROWS_WITH(parse_weights("0.5,0.5,0.5"), "--weights: alpha + beta + gamma must sum to 1, got 0.5 + 0.5 + 0.5 = 1.5");
    CHECK_THROWS_WITH(parse_weights("-0.1,0.6,0.5"), "--weights: expected three non-negative numbers, got -0.1,0.6,0.5");
    CHECK_THROWS_WITH(parse_weights("abc"), "--weights: expected A,B,G such as 0.3,0.5,0.2, got 'abc'");
    CHECK_THROWS_WITH(parse_weights("0x1,0,0"), "--weights: expected A,B,G such as 0.3,0.5,0.2, got '0x1,0,0'");
    CHECK_THROWS_WITH(parse_weights(" 1,0,0"), "--weights: expected A,B,G such as 0.3,0.5,0.2, got ' 1,0,0'");
}

TEST_CASE("tco: zero load has no cost per token and one replica", "[tco][search]") {
    Scenario s = builtin().scenario("customer-service");
    s.workload.qps = 0;
    const Candidate c = evaluate_candidate(builtin(), s, builtin_rules(), builtin().model("base"), builtin().variant("int8"),
                                           builtin().hardware_by_id("h100-sxm"), 1, SearchOptions{});
    REQUIRE(c.accepted());
    CHECK(c.replicas == 1);
    CHECK_FALSE(c.cost.usd_per_million_output_tokens);
}

TEST_CASE("recommend: high-frequency short text picks nano or base under 200 ms with 20 % headroom", "[search]") {
    const auto result = recommend_for("high-frequency-short-text");
    REQUIRE_FALSE(result.ranked.empty());
    const Candidate& winner = result.ranked.front();
    CHECK((winner.model->id == "nano" || winner.model->id == "base"));
    CHECK(winner.estimate.performance.latency_ms < 200);
    CHECK(winner.capacity_qps >= 1.2 * 100);
}

TEST_CASE("recommend: customer-service winner meets 200 ms and its QPS with 20 % headroom", "[search]") {
    const auto result = recommend_for("customer-service");
    REQUIRE_FALSE(result.ranked.empty());
    const Candidate& winner = result.ranked.front();
    CHECK(winner.estimate.performance.latency_ms < 200);
    CHECK(static_cast<double>(winner.replicas) * winner.estimate.performance.qps >= 1.2 * result.scenario.workload.qps);
}

TEST_CASE("recommend: long-document picks pro or ultra", "[search]") {
    const auto result = recommend_for("long-document");
    REQUIRE_FALSE(result.ranked.empty());
    const std::string winner = result.ranked.front().model->id;
    CHECK((winner == "pro" || winner == "ultra"));
    CHECK(result.rejected_by_reason.at("context") > 0);
}

TEST_CASE("recommend: edge-offline picks an edge device under 500 MB and 5 W", "[search]") {
    const auto result = recommend_for("edge-offline");
    REQUIRE_FALSE(result.ranked.empty());
    const Candidate& winner = result.ranked.front();
    CHECK(winner.hardware->kind == HardwareKind::edge);
    CHECK(winner.estimate.weights_on_disk_bytes < 500e6);
    CHECK(winner.estimate.power_w < 5);
}

TEST_CASE("recommend: GPU-only engines never rank a phone NPU and edge-offline runs llama.cpp", "[search]") {
    const Catalog& catalog = builtin();
    CHECK(catalog.scenario("edge-offline").engine_id == "llama.cpp");
    for (const char* engine : {"vllm", "sglang", "trtllm"}) {
        for (const char* id : {"edge-offline", "mobile-realtime", "customer-service"}) {
            Scenario scenario = catalog.scenario(id);
            scenario.engine_id = engine;
            const SearchResult result = search(catalog, scenario, builtin_rules(), SearchOptions{});
            INFO(engine << " " << id);
            for (const Candidate& c : result.ranked) {
                CHECK(c.hardware->vendor != "qualcomm");
            }
            CHECK(result.rejected_by_reason.count("engine") == 1);
        }
    }
    const auto edge = recommend_for("edge-offline");
    REQUIRE_FALSE(edge.ranked.empty());
    CHECK(edge.ranked.front().hardware->vendor == "qualcomm");
}

TEST_CASE("recommend: a numerically sensitive scenario never gets int4 and reports over-quantization", "[search]") {
    const auto result = recommend_for("finance-risk");
    REQUIRE_FALSE(result.ranked.empty());
    for (const Candidate& c : result.ranked) {
        CHECK_FALSE(c.variant->has_risk("numeric_risk"));
    }
    CHECK(result.rejected_by_reason.at("over-quantization") > 0);
}

TEST_CASE("recommend: results are sorted by score, ties by label", "[search]") {
    const auto result = recommend_for("customer-service");
    for (std::size_t i = 1; i < result.ranked.size(); ++i) {
        const auto& a = result.ranked[i - 1];
        const auto& b = result.ranked[i];
        CHECK((a.score.total > b.score.total || (a.score.total == b.score.total && a.label() < b.label())));
    }
}

TEST_CASE("recommend: the search space bound is reported, not silently truncated", "[search]") {
    SearchOptions options;
    options.max_candidates = 10;
    CHECK_THROWS_AS(search(builtin(), builtin().scenario("customer-service"), builtin_rules(), options), Error);
}

TEST_CASE("candidates: strings parse and junk is refused", "[search]") {
    const CandidateSpec spec = parse_candidate("base:int8@a40x2");
    CHECK(spec.model == "base");
    CHECK(spec.variant == "int8");
    CHECK(spec.hardware == "a40");
    CHECK(spec.gpus == 2);
    CHECK(parse_candidate("ultra").variant.empty());
    CHECK(parse_candidate("pro@h100-sxm").hardware == "h100-sxm");
    CHECK_THROWS_WITH(parse_candidate("base:int8@a40x0"), "candidate 'base:int8@a40x0': GPU count must be 1 to 9999, got '0'");
    CHECK_THROWS_AS(parse_candidate("@@"), Error);
    CHECK_THROWS_AS(parse_candidate("base@"), Error);
    CHECK_THROWS_AS(parse_candidate("base:@a40"), Error);
    CHECK_THROWS_AS(parse_candidate("base:int8@a40x2@x"), Error);
    CHECK(parse_candidate("base@mi300xx8").hardware == "mi300x");
    CHECK(parse_candidate("base@mi300x").hardware == "mi300x");
    CHECK(parse_candidate("base@rtx-4090").gpus == 0);
    CHECK_THROWS_AS(parse_candidate(""), Error);
}

TEST_CASE("cli: compare finance-risk base ultra shows quoted training and latency beside computed", "[cli][tco]") {
    auto result = test::run_cli({"compare", "--scenario", "finance-risk", "base", "ultra", "-o", "json"});
    REQUIRE(result.status == 0);
    const json document = json::parse(result.out);
    CHECK(document.at("kind").get<std::string>() == "Comparison");
    const auto& candidates = document.at("candidates");
    REQUIRE(candidates.size() == 2);
    CHECK(candidates[0].at("cost").at("training_usd").get<double>() == 9600);
    CHECK(candidates[1].at("cost").at("training_usd").get<double>() == 120000);
    CHECK(candidates[0].at("cost").at("training_source").get<std::string>().find("quoted") != std::string::npos);
    CHECK(document.at("differences")[0].at("training_usd").at("delta_pct").get<double>() == Approx(1150.0));
    bool latency_quoted = false;
    for (const auto& q : candidates[1].at("quoted")) {
        latency_quoted |= q.at("metric").get<std::string>() == "latency_ms" && q.at("value").get<double>() == 82;
    }
    CHECK(latency_quoted);
    CHECK(candidates[0].at("latency_ms").get<double>() > 0);  // computed, not the quote
}

TEST_CASE("cli: recommend exits 1 with the constraint to relax when nothing satisfies", "[cli][search]") {
    auto result = test::run_cli({"recommend", "--scenario", "customer-service", "--max-latency-ms", "1"});
    CHECK(result.status == 1);
    CHECK(result.out.empty());
    CHECK(result.err.find("nothing satisfies scenario 'customer-service'") != std::string::npos);
    CHECK(result.err.find("; to admit it: --") != std::string::npos);
}

TEST_CASE("cli: recommend -o json has the contract fields", "[cli][search]") {
    auto result = test::run_cli({"recommend", "--scenario", "customer-service", "-o", "json"});
    REQUIRE(result.status == 0);
    const json document = json::parse(result.out);
    CHECK(document.at("kind").get<std::string>() == "Recommendation");
    const auto& first = document.at("recommendations").at(0);
    for (const char* key : {"model", "variant", "hardware", "gpus_per_replica", "replicas", "ttft_ms", "tpot_ms",
                            "latency_ms", "qps", "quality", "cost", "score", "warnings"}) {
        INFO(key);
        CHECK(first.contains(key));
    }
    for (const char* key : {"training_usd", "inference_usd", "maintenance_usd", "total_usd", "weighted_index_usd", "weights",
                            "per_year", "usd_per_million_output_tokens"}) {
        INFO(key);
        CHECK(first.at("cost").contains(key));
    }
    CHECK(document.at("candidates_evaluated").get<std::int64_t>() > 100);
    CHECK(document.at("rejected_by_reason").size() > 0);
}

TEST_CASE("cli: tco with bad weights exits 2 and shows the sum", "[cli][tco]") {
    auto result = test::run_cli({"tco", "--scenario", "finance-risk", "base:int8@h100-sxmx1", "--weights", "0.3,0.5,0.3"});
    CHECK(result.status == 2);
    CHECK(test::first_line(result.err) == "dsselect: error: --weights: alpha + beta + gamma must sum to 1, got 0.3 + 0.5 + 0.3 = 1.1");
}

TEST_CASE("cli: tco -o json reports both the weighted index and the dollars", "[cli][tco]") {
    auto result = test::run_cli({"tco", "--scenario", "customer-service", "base:int8@h100-sxmx1", "-o", "json", "--years", "2"});
    REQUIRE(result.status == 0);
    const json t = json::parse(result.out);
    CHECK(t.at("kind").get<std::string>() == "Tco");
    const double weighted = 0.3 * t.at("training_usd").get<double>() + 0.5 * t.at("inference_usd").get<double>() +
                            0.2 * t.at("maintenance_usd").get<double>();
    CHECK(t.at("weighted_index_usd").get<double>() == Approx(weighted).margin(0.02));
    CHECK(t.at("per_year").size() == 2);
}

TEST_CASE("cli: rules eval applies an expression to an input document", "[cli][rules]") {
    auto result = test::run_cli({"rules", "eval", "--rule", R"({"+": [{"var": "a"}, 2]})", "--input", R"({"a": 40})"});
    REQUIRE(result.status == 0);
    CHECK(result.out == "42\n");
    auto unknown = test::run_cli({"rules", "eval", "--rule", R"({"mapp": []})"});
    CHECK(unknown.status == 65);
    CHECK(test::first_line(unknown.err) == "dsselect: error: --rule: unknown JSON Logic operator 'mapp'; did you mean 'map'?");
}

TEST_CASE("cli: rules check names unknown operators and context fields with pointers", "[cli][rules]") {
    test::TempFile file("bad-rules.json",
                        R"({"schema_version": "1.0", "rules": [{"id": "r", "effect": "warn", "when": {"and": [{"var": "modle.id"}, {">": [1, 2, 3]}]}}]})");
    auto result = test::run_cli({"rules", "check", file.path()});
    CHECK(result.status == 65);
    CHECK(result.out.empty());
    CHECK(result.err.find(file.path() + ": /rules/0/when/and/0/var") != std::string::npos);
    CHECK(result.err.find("/rules/0/when/and/1/>") != std::string::npos);
    auto shipped = load_rules({});
    CHECK(shipped.rules.size() == 7);  // with consumer-card (issue 19)
}

TEST_CASE("recommend: a multi-threaded search gives the same result as one thread", "[search]") {
    SearchOptions one;
    one.threads = 1;
    SearchOptions many;
    many.threads = 3;
    many.parallel_threshold = 1;
    const Scenario& s = builtin().scenario("finance-risk");
    const auto a = search(builtin(), s, builtin_rules(), one);
    const auto b = search(builtin(), s, builtin_rules(), many);
    REQUIRE(a.ranked.size() == b.ranked.size());
    for (std::size_t i = 0; i < a.ranked.size(); ++i) {
        CHECK(a.ranked[i].label() == b.ranked[i].label());
        CHECK(a.ranked[i].score.total == b.ranked[i].score.total);
    }
    CHECK(a.rejected_by_reason == b.rejected_by_reason);
}

TEST_CASE("rules: only the context fields the rules read are built", "[rules]") {
    const RuleSet& rules = builtin_rules();
    CHECK(rules.constraint_fields.size() == 6);  // numerically_sensitive, risk_flags, capacity, qps, headroom, output dims
    CHECK_FALSE(rules.scoring_fields.empty());
    RuleSet rescoping = rules;
    rescoping.rules.front().when = std::make_shared<const nlohmann::json>(nlohmann::json::parse(R"({"some": [{"var": "variant.risk_flags"}, {"==": [{"var": ""}, "x"]}]})"));
    rescoping.index_fields();
    CHECK(rescoping.constraint_fields.size() > 40);  // scoped operators need the whole context
}

TEST_CASE("recommend: multi-node replicas are searched only when the scenario allows them", "[search]") {
    Scenario s = builtin().scenario("research-reasoning");
    auto widest = [](const SearchResult& r) {
        std::int64_t widest_seen = 0;
        for (const auto& c : r.ranked) {
            widest_seen = std::max(widest_seen, c.gpus_per_replica);
        }
        return widest_seen;
    };
    const auto single = search(builtin(), s, builtin_rules(), SearchOptions{});
    s.constraints.allow_multi_node = true;
    const auto multi = search(builtin(), s, builtin_rules(), SearchOptions{});
    CHECK(widest(single) <= 8);
    CHECK(multi.candidates_evaluated > single.candidates_evaluated);
    CHECK_THROWS_AS(resolve_candidate(builtin(), builtin().scenario("research-reasoning"), builtin_rules(),
                                      parse_candidate("ultra@h100-sxmx16"), SearchOptions{}), Error);
    const Candidate wide = resolve_candidate(builtin(), s, builtin_rules(), parse_candidate("ultra:fp16@h100-sxmx16"), SearchOptions{});
    CHECK(wide.gpus_per_replica == 16);
}

namespace {
// search() skips the estimate of candidates rejected before the memory check and the cost
// of those rejected for power or latency, and breaks ties by label without building labels.
// Judging every candidate of the space with evaluate_candidate (compare's full path) must give
// the same counts, the same accepted set and the same nearest miss per reason.
void check_staged_search(const Catalog& catalog, const Scenario& s) {
    REQUIRE_FALSE(s.constraints.allow_multi_node);
    const SearchResult fast = search(catalog, s, builtin_rules(), SearchOptions{});
    std::map<std::string, std::int64_t> counts;
    std::map<std::string, Candidate> nearest;
    std::int64_t accepted = 0;
    std::int64_t evaluated = 0;
    for (const Model& model : catalog.models) {
        for (const Variant& variant : catalog.variants) {
            if (!variant.applies_to_model(model.id) || (variant.claimed && !s.constraints.include_claimed)) {
                continue;  // claimed variants are searched only on opt-in (docs/quality.md)
            }
            for (const Hardware& hardware : catalog.hardware) {
                for (std::int64_t gpus : {1, 2, 4, 8, 16, 32}) {
                    if (gpus > hardware.max_devices_per_node) {
                        continue;
                    }
                    ++evaluated;
                    Candidate c = evaluate_candidate(catalog, s, builtin_rules(), model, variant, hardware, gpus,
                                                     SearchOptions{});
                    if (c.accepted()) {
                        ++accepted;
                        continue;
                    }
                    const Rejection& r = *c.rejection;
                    ++counts[r.reason];
                    auto found = nearest.find(r.reason);
                    if (found == nearest.end() || r.miss_ratio < found->second.rejection->miss_ratio ||
                        (r.miss_ratio == found->second.rejection->miss_ratio && c.label() < found->second.label())) {
                        nearest.insert_or_assign(r.reason, c);
                    }
                }
            }
        }
    }
    INFO(s.id);
    CHECK(fast.candidates_evaluated == evaluated);
    CHECK(fast.candidates_accepted == accepted);
    CHECK(static_cast<std::int64_t>(fast.ranked.size()) + fast.candidates_folded == accepted);
    CHECK(fast.rejected_by_reason == counts);
    REQUIRE(fast.nearest_miss.size() == nearest.size());
    for (const auto& [reason, candidate] : nearest) {
        const Candidate& got = fast.nearest_miss.at(reason);
        CHECK(got.label() == candidate.label());
        CHECK(got.rejection->detail() == candidate.rejection->detail());
        CHECK(got.costed == candidate.costed);
        CHECK(got.estimate.memory.per_gpu_bytes == candidate.estimate.memory.per_gpu_bytes);
    }
}
}  // namespace

TEST_CASE("recommend: the staged search agrees with judging every candidate in full", "[search]") {
    for (const char* id : {"customer-service", "edge-offline", "long-document", "finance-risk"}) {
        check_staged_search(builtin(), builtin().scenario(id));
    }
}

// The search tabulates each pair's KV-cache bits under the engine once; TensorRT-LLM reads the
// KV type from the checkpoint, so DeepSeek-V3/R1 FP8 (checkpoint_kv_cache_dtype auto) hold a
// 16-bit cache while the same variant of another model holds FP8: per pair, not per variant.
TEST_CASE("recommend: the staged search agrees with judging every candidate in full on TensorRT-LLM", "[search][kv]") {
    for (const char* id : {"research-reasoning", "long-document"}) {
        Scenario s = builtin().scenario(id);
        s.engine_id = "trtllm";
        check_staged_search(builtin(), s);
        // Every DeepSeek-V3/R1 FP8 candidate the search judged holds the memory a full judgement
        // of it does: the 16-bit cache, not the FP8 one of the variant's other models.
        SearchOptions options;
        options.keep_evaluated = true;
        const SearchResult result = search(builtin(), s, builtin_rules(), options);
        std::int64_t checked = 0;
        for (const Candidate& c : result.evaluated) {
            if (c.model->checkpoint_kv_cache_dtype.empty() || c.variant->id != "fp8" || !c.estimate.memory.fits ||
                c.estimate.memory.kv_cache_bytes <= 0.0) {
                continue;
            }
            INFO(c.label());
            const Candidate full = evaluate_candidate(builtin(), s, builtin_rules(), *c.model, *c.variant, *c.hardware,
                                                      c.gpus_per_replica, SearchOptions{});
            CHECK(c.estimate.memory.kv_cache_bytes == full.estimate.memory.kv_cache_bytes);
            CHECK(c.estimate.memory.per_gpu_bytes == full.estimate.memory.per_gpu_bytes);
            ++checked;
        }
        CHECK(checked > 0);
    }
}

TEST_CASE("recommend: ties go to the smaller label when one hardware id extends another", "[search]") {
    // A twin of every device named "<id>x-2": its label "base:int8@a10x-2x1" sorts before
    // "base:int8@a10x1" ('-' < '1') although "a10x" sorts before "a10x-2x" as a piece, so the
    // search must compare such labels character by character. The twins tie with the
    // originals on every miss ratio.
    Catalog catalog = builtin();
    const std::size_t devices = catalog.hardware.size();
    for (std::size_t i = 0; i < devices; ++i) {
        Hardware twin = catalog.hardware[i];
        twin.id += "x-2";
        catalog.hardware.push_back(twin);
    }
    for (const char* id : {"customer-service", "edge-offline"}) {
        check_staged_search(catalog, catalog.scenario(id));
    }
    const SearchResult twins = search(catalog, catalog.scenario("customer-service"), builtin_rules(), SearchOptions{});
    REQUIRE_FALSE(twins.nearest_miss.empty());
    for (const auto& [reason, candidate] : twins.nearest_miss) {
        INFO(reason << ": " << candidate.label());
        CHECK(candidate.hardware->id.ends_with("x-2"));
    }
}

TEST_CASE("rules: a search stops when its rules use up the operation budget", "[rules][search]") {
    // Each evaluation scans 3,000 x 300 elements (about 900,000 operations: under the
    // per-evaluation limit of 1,000,000); the search's budget of 50,000,000 ends it after
    // about 55 candidates with a data error naming the rule.
    json rule = {{"id", "heavy"}, {"effect", "warn"}, {"message", "heavy"}};
    json outer = json::array();
    for (int i = 0; i < 3000; ++i) {
        outer.push_back(i);
    }
    json inner = json::array();
    for (int i = 1000; i < 1300; ++i) {
        inner.push_back(i);
    }
    rule["when"] = {{"some", {outer, {{"in", {{{"var", ""}}, inner}}}}}};
    const json document = {{"schema_version", "1.0"}, {"rules", {rule}}};
    const RuleSet rules = load_rules({{"heavy.json", document.dump()}});
    try {
        search(builtin(), builtin().scenario("customer-service"), rules, SearchOptions{});
        FAIL("expected the rule budget to stop the search");
    } catch (const Error& error) {
        CHECK(error.kind() == ErrorKind::invalid_data);
        CHECK_THAT(error.what(), Catch::Contains("budget of 50000000 JSON Logic operations (rule 'heavy'"));
    }
    // The budget is per search: the shipped rules use a tiny part of it.
    RuleBudget budget;
    CHECK(budget.left() == RuleBudget::k_search_operations);
}

TEST_CASE("rules: an expression of more than 10,000 nodes is refused when loading", "[rules]") {
    auto rules_with = [](std::size_t comparisons) {
        // {"or": [{"==": [1, 2]}, ...]}: 1 (or) + 1 (array) + 4 nodes per comparison.
        json list = json::array();
        for (std::size_t i = 0; i < comparisons; ++i) {
            list.push_back({{"==", {1, 2}}});
        }
        const json rule = {{"id", "wide"}, {"effect", "warn"}, {"when", {{"or", list}}}};
        return json{{"schema_version", "1.0"}, {"rules", {rule}}}.dump();
    };
    CHECK_NOTHROW(load_rules({{"ok.json", rules_with(2499)}}));  // 2 + 4 * 2499 = 9,998 nodes
    try {
        load_rules({{"wide.json", rules_with(2500)}});  // 10,002 nodes
        FAIL("expected the node limit");
    } catch (const Error& error) {
        CHECK(std::string(error.what()) ==
              "wide.json: /rules/0/when: the expression has 10002 nodes, more than 10000 (a rule runs for every "
              "candidate: split it, or move data into the catalog)");
    }
}

TEST_CASE("recommend: keep_evaluated keeps every candidate, judged in full, in enumeration order", "[search]") {
    SearchOptions options;
    options.keep_evaluated = true;
    const SearchResult kept = search(builtin(), builtin().scenario("customer-service"), builtin_rules(), options);
    const SearchResult plain = recommend_for("customer-service");
    REQUIRE(static_cast<std::int64_t>(kept.evaluated.size()) == kept.candidates_evaluated);
    CHECK(plain.evaluated.empty());
    std::int64_t accepted = 0;
    std::map<std::string, std::int64_t> counts;
    for (const Candidate& c : kept.evaluated) {
        if (c.accepted()) {
            ++accepted;
            CHECK(c.score.total > 0);
        } else {
            ++counts[c.rejection->reason];
        }
    }
    CHECK(accepted == plain.candidates_accepted);
    CHECK(counts == plain.rejected_by_reason);
    // A latency-rejected candidate that fits is costed in full (the search itself skips that).
    const auto latency = std::find_if(kept.evaluated.begin(), kept.evaluated.end(), [](const Candidate& c) {
        return !c.accepted() && c.rejection->reason == "latency";
    });
    REQUIRE(latency != kept.evaluated.end());
    CHECK(latency->costed);
    CHECK(latency->cost.yearly_usd > 0);
    // The ranked list is the same with or without the extra judging.
    REQUIRE(kept.ranked.size() == plain.ranked.size());
    for (std::size_t i = 0; i < plain.ranked.size(); ++i) {
        CHECK(kept.ranked[i].label() == plain.ranked[i].label());
    }
}

TEST_CASE("recommend: keep_ranked keeps the best N of the full ranking and still counts every accepted candidate",
          "[search]") {
    // high-frequency-short-text accepts about 1,900 candidates, many with equal scores (the
    // partial sort must break those ties by label as the full sort does).
    std::size_t worded = 0;
    for (const char* id : {"high-frequency-short-text", "finance-risk", "edge-offline"}) {
        const SearchResult all = recommend_for(id);
        REQUIRE(all.candidates_accepted == static_cast<std::int64_t>(all.ranked.size()) + all.candidates_folded);
        for (std::int64_t keep : {1, 3, 5, 50, 100'000}) {
            SearchOptions options;
            options.keep_ranked = keep;
            const SearchResult best = search(builtin(), builtin().scenario(id), builtin_rules(), options);
            INFO(id << " keep " << keep);
            CHECK(best.candidates_accepted == all.candidates_accepted);
            CHECK(best.rejected_by_reason == all.rejected_by_reason);
            REQUIRE(best.ranked.size() == std::min<std::size_t>(static_cast<std::size_t>(keep), all.ranked.size()));
            for (std::size_t i = 0; i < best.ranked.size(); ++i) {
                CHECK(best.ranked[i].label() == all.ranked[i].label());
                CHECK(best.ranked[i].score.total == all.ranked[i].score.total);
                CHECK(best.ranked[i].cost.yearly_usd == all.ranked[i].cost.yearly_usd);
                CHECK(best.ranked[i].warnings == all.ranked[i].warnings);
                // Kept few: the warnings are worded after ranking, for the kept only.
                CHECK(best.ranked[i].warning_messages == all.ranked[i].warning_messages);
                worded += best.ranked[i].warning_messages.size();
            }
        }
    }
    CHECK(worded > 0);  // the shipped warn rules fire for some kept candidates
}

TEST_CASE("recommend: a search that keeps a few words the warnings of those it keeps", "[search][rules]") {
    // The search scores every accepted candidate without wording its warnings and words them
    // for the kept ones after ranking. Warn rules that fire for top candidates (the shipped
    // ones rarely do) must give the kept the warnings and sentences of the full ranking.
    const RuleSet rules = load_rules({{"warn.json", R"({"schema_version":"1.0","rules":[
        {"id":"on-a-gpu","effect":"warn","when":{"==":[{"var":"hardware.kind"},"gpu"]},"message":"{model} on {hardware}"},
        {"id":"replicated","effect":"warn","when":{">":[{"var":"deployment.replicas"},1]},"message":"{variant} in {scenario}"}]})"}});
    const Scenario& s = builtin().scenario("high-frequency-short-text");
    const SearchResult all = search(builtin(), s, rules, SearchOptions{});
    REQUIRE(all.ranked.size() > 10);
    std::size_t worded = 0;
    for (std::int64_t keep : {1, 5, 10}) {
        SearchOptions options;
        options.keep_ranked = keep;
        const SearchResult best = search(builtin(), s, rules, options);
        REQUIRE(best.ranked.size() == static_cast<std::size_t>(keep));
        for (std::size_t i = 0; i < best.ranked.size(); ++i) {
            INFO("keep " << keep << " rank " << i);
            CHECK(best.ranked[i].label() == all.ranked[i].label());
            CHECK(best.ranked[i].warnings == all.ranked[i].warnings);
            CHECK(best.ranked[i].warning_messages == all.ranked[i].warning_messages);
            worded += best.ranked[i].warning_messages.size();
        }
    }
    CHECK(worded >= 16);  // every kept candidate is on a GPU
}

TEST_CASE("recommend: candidates that share a label keep enumeration order, kept few or all", "[search]") {
    // Ids with ':' make two different pairs print the same label: model "p:q" with variant "v"
    // and model "p" with variant "q:v" are both "p:q:v@...". With identical data they also tie
    // on score; enumeration order must settle them, or a partial sort could keep another one
    // than the full sort ranks first.
    Catalog catalog = builtin();
    const Model base = catalog.model("base");
    const Variant int8 = catalog.variant("int8");
    catalog.models.clear();
    catalog.variants.clear();
    for (const char* id : {"p:q", "p"}) {
        Model m = base;
        m.id = id;
        catalog.models.push_back(m);
    }
    // Each variant applies to one model only: the same variant on one model twice would be
    // identical for serving and folded into one row (docs/ranking.md).
    for (const auto& [id, model] : {std::pair{"v", "p:q"}, std::pair{"q:v", "p"}}) {
        Variant v = int8;
        v.id = id;
        v.applies_to = {model};
        catalog.variants.push_back(v);
    }
    const Scenario s = catalog.scenario("customer-service");
    const SearchResult all = search(catalog, s, builtin_rules(), SearchOptions{});
    REQUIRE(all.ranked.size() >= 8);
    std::int64_t shared_labels = 0;
    for (std::size_t i = 0; i + 1 < all.ranked.size(); ++i) {
        const Candidate& a = all.ranked[i];
        const Candidate& b = all.ranked[i + 1];
        if (a.label() == b.label()) {
            ++shared_labels;
            CHECK(a.score.total == b.score.total);
            CHECK(a.model->id == "p:q");  // enumerated first (models, then variants)
            CHECK(b.model->id == "p");
        }
    }
    CHECK(shared_labels > 0);
    for (std::int64_t keep = 1; keep <= static_cast<std::int64_t>(all.ranked.size()); ++keep) {
        SearchOptions options;
        options.keep_ranked = keep;
        const SearchResult best = search(catalog, s, builtin_rules(), options);
        REQUIRE(best.ranked.size() == static_cast<std::size_t>(keep));
        INFO("keep " << keep);
        for (std::size_t i = 0; i < best.ranked.size(); ++i) {
            CHECK(best.ranked[i].model->id == all.ranked[i].model->id);
            CHECK(best.ranked[i].variant->id == all.ranked[i].variant->id);
            CHECK(best.ranked[i].label() == all.ranked[i].label());
        }
    }
}

TEST_CASE("rules: remembering a rule's results per model, variant and hardware changes no outcome", "[rules][search]") {
    // The shipped score and warn rules read only scenario, model, variant and candidates
    // fields, so a RuleSession remembers their results; of the reject rules, over-quantization
    // (scenario and variant) is remembered and the two that read the deployment are evaluated
    // for every candidate.
    const RuleSet& remembered = builtin_rules();
    auto plan_of = [&](const std::string& id) {
        for (std::size_t i = 0; i < remembered.rules.size(); ++i) {
            if (remembered.rules[i].id == id) {
                return remembered.memo_plans.at(i);
            }
        }
        FAIL("no rule " << id);
        return RuleMemoPlan{};
    };
    CHECK(plan_of("over-quantization").memoize);
    CHECK(plan_of("over-quantization").variant);
    CHECK_FALSE(plan_of("over-quantization").model);
    CHECK_FALSE(plan_of("headroom-20").memoize);
    CHECK_FALSE(plan_of("version-mixing").memoize);
    CHECK(plan_of("minimal-sufficiency").memoize);
    CHECK(plan_of("minimal-sufficiency").min_parameters);
    CHECK(plan_of("minimal-sufficiency").parameters);
    CHECK(plan_of("prefer-quantized").memoize);
    RuleSet evaluated = builtin_rules();
    for (RuleMemoPlan& plan : evaluated.memo_plans) {
        plan.memoize = false;
    }
    for (const char* id : {"customer-service", "high-frequency-short-text", "multi-task-support"}) {
        const Scenario& s = builtin().scenario(id);
        const SearchResult a = search(builtin(), s, remembered, SearchOptions{});
        const SearchResult b = search(builtin(), s, evaluated, SearchOptions{});
        REQUIRE(a.ranked.size() == b.ranked.size());
        CHECK(a.rejected_by_reason == b.rejected_by_reason);
        for (std::size_t i = 0; i < a.ranked.size(); ++i) {
            CHECK(a.ranked[i].label() == b.ranked[i].label());
            CHECK(a.ranked[i].score.rules == b.ranked[i].score.rules);
            CHECK(a.ranked[i].warnings == b.ranked[i].warnings);
        }
    }
    // A rule that writes to the log is never remembered: each evaluation must log.
    const RuleSet logging = load_rules(
        {{"log.json", R"({"schema_version":"1.0","rules":[{"id":"l","effect":"warn","when":{"log":{"var":"model.id"}}}]})"}});
    CHECK_FALSE(logging.memo_plans.back().memoize);
    // Nor is a rule whose var path is computed: it may read anything.
    const RuleSet computed = load_rules({{"computed.json",
        R"({"schema_version":"1.0","rules":[{"id":"c","effect":"warn","when":{"var":{"cat":["deployment.","replicas"]}}}]})"}});
    CHECK_FALSE(computed.memo_plans.back().memoize);
}

TEST_CASE("rules: a session refreshes the context when the candidate changes", "[rules]") {
    // One session over candidates of different variants, hardware and deployments gives what a
    // fresh evaluation per candidate gives.
    const RuleSet rules = load_rules({{"session.json", R"({"schema_version":"1.0","rules":[
        {"id":"hw","effect":"reject","when":{"==":[{"var":"hardware.id"},"a40"]}},
        {"id":"bits","effect":"reject","when":{"<":[{"var":"variant.weight_bits"},8]}},
        {"id":"cap","effect":"reject","when":{">":[{"var":"deployment.replicas"},2]}}]})"}},
                                     false);
    const Scenario& s = builtin().scenario("customer-service");
    RuleSession session(rules);
    int rejected = 0;
    for (const Variant& variant : builtin().variants) {
        for (const Hardware& hardware : builtin().hardware) {
            for (std::int64_t replicas : {1, 3}) {
                RuleCandidate c{&s, &builtin().models.front(), &variant, &hardware, nullptr, nullptr, 1, replicas, 1,
                                0.8, 10.0, 1e9, false};
                const RuleOutcome shared = session.apply(c, RulePhase::constraints);
                const RuleOutcome alone = apply_rules(rules, c, RulePhase::constraints);
                CHECK(shared.rejected_by == alone.rejected_by);
                const std::string expected = hardware.id == "a40"      ? "hw"
                                             : variant.weight_bits < 8 ? "bits"
                                             : replicas > 2            ? "cap"
                                                                       : "";
                CHECK(shared.rejected_by == expected);
                rejected += shared.rejected_by.empty() ? 0 : 1;
            }
        }
    }
    CHECK(rejected > 0);
}

TEST_CASE("frontier: the cost-latency frontier keeps the accepted candidates nothing beats on both", "[select]") {
    const double nan = std::nan("");
    // (latency ms, yearly USD, accepted)
    const std::vector<std::tuple<double, double, bool>> points = {
        {100, 50, true},   // 0 A: on the frontier
        {200, 30, true},   // 1 B: on the frontier (cheapest)
        {150, 60, true},   // 2 dominated by A (slower and dearer)
        {300, 30, true},   // 3 dominated by B (same cost, slower)
        {50, 80, true},    // 4 E: on the frontier (fastest)
        {100, 50, true},   // 5 a duplicate of A: the first is kept
        {nan, 1, true},    // 6 no timing: ignored
        {10, 1, false},    // 7 rejected: ignored, though it would beat everything
    };
    std::vector<Candidate> candidates(points.size());
    std::vector<const Candidate*> pointers;
    for (std::size_t i = 0; i < points.size(); ++i) {
        candidates[i].estimate.performance.latency_ms = std::get<0>(points[i]);
        candidates[i].cost.yearly_usd = std::get<1>(points[i]);
        if (!std::get<2>(points[i])) {
            candidates[i].rejection = Rejection{};
        }
        pointers.push_back(&candidates[i]);
    }
    CHECK(cost_latency_frontier(pointers) == std::vector<std::size_t>{4, 0, 1});  // ascending latency
    CHECK(cost_latency_frontier({}).empty());
    CHECK(cost_latency_frontier({pointers.front()}) == std::vector<std::size_t>{0});
}

TEST_CASE("tco: an overflowing total is an error naming its inputs, the largest accepted inputs stay finite", "[tco]") {
    const Model model = test::llama2_7b();
    const Variant fp16 = test::variant_bits(16);
    const Hardware hardware = test::gpu();
    Deployment d{&model, &fp16, &hardware, 1, 1, 400, 7e9};
    TcoInputs inputs;
    inputs.training.method = TrainingMethod::full;
    inputs.training.tokens = 1e300;  // past the loader's bound, as a library caller could pass
    inputs.training.epochs = 1e300;
    CHECK_THROWS_WITH(compute_tco(inputs, d, Workload{}, TcoWeights{}), Catch::Contains("tco.training"));
    inputs = TcoInputs{};
    inputs.engineering_hours_per_year = 1e300;
    inputs.engineering_usd_per_hour = 1e300;
    CHECK_THROWS_WITH(compute_tco(inputs, d, Workload{}, TcoWeights{}), Catch::Contains("tco.engineering_hours_per_year"));

    // Every cost input at the loader's bound: the totals are finite.
    Hardware dear = test::gpu();
    dear.price_usd_per_hour = 1e6;
    dear.purchase_usd = 1e10;
    dear.peak_tflops = {};
    dear.peak_tflops[Precision::fp16] = 0.001;
    inputs = TcoInputs{};
    inputs.years = 100;
    inputs.training.method = TrainingMethod::pretrain;
    inputs.training.tokens = 1e18;
    inputs.training.epochs = 1e6;
    inputs.mfu = 0.001;
    inputs.electricity_usd_per_kwh = 1e3;
    inputs.pue = 100;
    inputs.engineering_hours_per_year = 1e9;
    inputs.engineering_usd_per_hour = 1e6;
    for (Ownership ownership : {Ownership::rented, Ownership::owned}) {
        inputs.ownership = ownership;
        Deployment big{&model, &fp16, &dear, 1024, 1'000'000'000, 1e9, 1e15};
        const TcoResult r = compute_tco(inputs, big, Workload{}, TcoWeights{});
        CHECK(std::isfinite(r.total_usd));
        CHECK(std::isfinite(r.weighted_index_usd));
    }
}

// Issue 19: every shipped model can be ranked (docs/quality.md).
TEST_CASE("quality: every shipped open-weight model has a quality figure, each with a source", "[search][quality]") {
    int open = 0;
    for (const Model& m : builtin().models) {
        INFO(m.id);
        CHECK_FALSE(m.quality.empty());
        for (const QualityScore& q : m.quality) {
            CHECK(q.score > 0.0);
            CHECK(q.score <= 1.0);
            CHECK_FALSE(q.source.empty());
        }
        open += m.family == "deepseek-open-weights" ? 1 : 0;
    }
    CHECK(open == 16);
}

TEST_CASE("quality: --min-quality 0 never rejects for quality, and every shipped model ranks somewhere", "[search][quality]") {
    std::set<std::string> ranked;
    for (const Scenario& shipped : builtin().scenarios) {
        INFO(shipped.id);
        Scenario s = shipped;
        s.constraints.min_quality = 0.0;
        for (TaskSpec& task : s.tasks) {
            task.min_quality = 0.0;  // as --min-quality 0 sets it: every task's floor too
        }
        const SearchResult result = search(builtin(), s, builtin_rules(), SearchOptions{});
        CHECK(result.rejected_by_reason.count("quality") == 0);
        for (const Candidate& c : result.ranked) {
            ranked.insert(c.model->id);
        }
    }
    for (const Model& m : builtin().models) {
        INFO(m.id);
        CHECK(ranked.count(m.id) == 1);
    }
}

TEST_CASE("quality: a floor above 0 rejects a model without a figure, saying how to add one", "[search][quality]") {
    const Catalog& catalog = builtin();
    const Scenario& s = catalog.scenario("customer-service");  // chat, floor 0.85
    const Candidate c = evaluate_candidate(catalog, s, builtin_rules(), catalog.model("deepseek-r1-distill-qwen-7b"),
                                           catalog.variant("bf16"), catalog.hardware_by_id("h100-sxm"), 1, SearchOptions{});
    REQUIRE(c.rejection.has_value());
    CHECK(c.rejection->reason == "quality");
    CHECK(c.rejection->text.find("no published quality figure") != std::string::npos);
    CHECK(c.rejection->text.find("--data") != std::string::npos);
}

// Issue 19: the source document's claims stay claims (docs/quality.md).
TEST_CASE("claimed: the shipped claimed variants are dynamic and the 60 % pruning family, each with its claim", "[search][claimed]") {
    std::set<std::string> claimed;
    for (const Variant& v : builtin().variants) {
        if (v.claimed) {
            claimed.insert(v.id);
            CHECK_FALSE(v.claim.empty());
        }
    }
    CHECK(claimed == std::set<std::string>{"dynamic", "sparse", "sparse-int4", "sparse-int8"});
}

TEST_CASE("claimed: a claimed variant never appears without opt-in, on any shipped scenario", "[search][claimed]") {
    for (const Scenario& shipped : builtin().scenarios) {
        INFO(shipped.id);
        const SearchResult result = search(builtin(), shipped, builtin_rules(), SearchOptions{});
        for (const Candidate& c : result.ranked) {
            CHECK_FALSE(c.variant->claimed);
        }
        for (const auto& [reason, miss] : result.nearest_miss) {
            CHECK_FALSE(miss.variant->claimed);
        }
    }
}

TEST_CASE("claimed: with opt-in a claimed variant is searched and labelled with a claimed-variant warning", "[search][claimed]") {
    Scenario s = builtin().scenario("customer-service");
    s.constraints.allowed_hardware = {"a100-80gb"};
    s.constraints.include_claimed = true;
    const SearchResult result = search(builtin(), s, builtin_rules(), SearchOptions{});
    int claimed = 0;
    for (const Candidate& c : result.ranked) {
        const bool labelled =
            std::find(c.warnings.begin(), c.warnings.end(), "claimed-variant") != c.warnings.end();
        CHECK(labelled == c.variant->claimed);
        claimed += c.variant->claimed ? 1 : 0;
    }
    CHECK(claimed > 0);
}

TEST_CASE("cli: quality and claims at the command line (issue 19)", "[cli][quality][claimed]") {
    SECTION("a distill without a chat figure is accepted under --min-quality 0") {
        auto result = test::run_cli({"compare", "--scenario", "customer-service", "deepseek-r1-distill-qwen-7b",
                                     "--min-quality", "0", "-o", "json"});
        REQUIRE(result.status == 0);
        const json c = json::parse(result.out).at("candidates").at(0);
        CHECK(c.at("rejected").is_null());
    }
    SECTION("with the scenario's floor the same model is refused with how to add a figure") {
        auto result = test::run_cli({"compare", "--scenario", "customer-service", "deepseek-r1-distill-qwen-7b", "-o", "json"});
        const json c = json::parse(result.out).at("candidates").at(0);
        REQUIRE_FALSE(c.at("rejected").is_null());
        CHECK(c.at("rejected").dump().find("no published quality figure") != std::string::npos);
        CHECK(c.at("rejected").dump().find("--data") != std::string::npos);
    }
    SECTION("long-document at 131072 tokens finds a 128K model") {
        auto result = test::run_cli({"recommend", "--scenario", "long-document", "--context", "131072", "-o", "json"});
        REQUIRE(result.status == 0);
        const json first = json::parse(result.out).at("recommendations").at(0);
        const std::string model = first.at("model").get<std::string>();
        CHECK(builtin().model(model).architecture.max_position_embeddings >= 131072);
    }
    SECTION("research-reasoning accepts DeepSeek-R1 where it fits") {
        auto result = test::run_cli({"compare", "--scenario", "research-reasoning", "deepseek-r1:fp8@h200x8", "-o", "json"});
        REQUIRE(result.status == 0);
        const json c = json::parse(result.out).at("candidates").at(0);
        CHECK(c.at("rejected").is_null());
        CHECK(c.at("quality").get<double>() > 0.92);
        // Where only R1 clears the floor (MATH-500 0.973 x FP8's 0.99), the search picks it.
        auto strict = test::run_cli({"recommend", "--scenario", "research-reasoning", "--min-quality", "0.95", "-o", "json"});
        REQUIRE(strict.status == 0);
        const json winner = json::parse(strict.out).at("recommendations").at(0);
        CHECK(winner.at("model").get<std::string>() == "deepseek-r1");
    }
    SECTION("catalog models shows the figures, catalog variants the claims") {
        auto models = test::run_cli({"catalog", "models"});
        REQUIRE(models.status == 0);
        CHECK(models.out.find("reasoning=0.973") != std::string::npos);
        auto variants = test::run_cli({"catalog", "variants"});
        REQUIRE(variants.status == 0);
        CHECK(variants.out.find("claimed, searched only with --include-claimed") != std::string::npos);
    }
    SECTION("fill-in never picks a claimed variant without opt-in, and labels it with opt-in") {
        auto plain = test::run_cli({"compare", "--scenario", "customer-service", "base", "-o", "json"});
        const json c = json::parse(plain.out).at("candidates").at(0);
        CHECK_FALSE(c.contains("claimed"));
        auto opted = test::run_cli({"recommend", "--scenario", "customer-service", "--gpu", "a100-80gb",
                                    "--include-claimed", "-o", "json", "--top", "50"});
        REQUIRE(opted.status == 0);
        const std::set<std::string> claimed_ids = {"dynamic", "sparse", "sparse-int4", "sparse-int8"};
        int claimed = 0;
        const json document = json::parse(opted.out);
        for (const json& r : document.at("recommendations")) {
            const bool variant_claimed = claimed_ids.count(r.at("variant").get<std::string>()) == 1;
            INFO(r.at("variant").get<std::string>());
            CHECK(r.contains("claimed") == variant_claimed);
            claimed += variant_claimed ? 1 : 0;
        }
        CHECK(claimed > 0);
    }
    SECTION("tco of a claimed variant says so in its document and its table whether it passes or not") {
        // base:dynamic passes finance-risk: claimed-variant is among its warnings.
        auto passing = test::run_cli({"tco", "--scenario", "finance-risk", "base:dynamic@a40x2", "-o", "json"});
        REQUIRE(passing.status == 0);
        const json document = json::parse(passing.out);
        CHECK(document.at("claimed") == true);
        CHECK(document.at("claim").get<std::string>() == builtin().variant("dynamic").claim);
        REQUIRE(document.at("warnings").is_array());
        std::vector<std::string> rules;
        for (const json& warning : document.at("warnings")) {
            rules.push_back(warning.at("rule").get<std::string>());
            CHECK_FALSE(warning.at("message").get<std::string>().empty());
        }
        CHECK(std::count(rules.begin(), rules.end(), "claimed-variant") == 1);
        auto table = test::run_cli({"tco", "--scenario", "finance-risk", "base:dynamic@a40x2"});
        REQUIRE(table.status == 0);
        CHECK(table.out.find("# warning (claimed-variant): 'dynamic' rests only on a claim") != std::string::npos);
        // base:sparse misses the quality floor (exit 1): no rule warnings, the claim still said.
        auto missing = test::run_cli({"tco", "--scenario", "finance-risk", "base:sparse@h100-sxmx1", "-o", "json"});
        REQUIRE(missing.status == 1);
        const json missed = json::parse(missing.out);
        CHECK(missed.at("warnings").empty());
        CHECK(missed.at("claimed") == true);
        auto missed_table = test::run_cli({"tco", "--scenario", "finance-risk", "base:sparse@h100-sxmx1"});
        CHECK(missed_table.out.find("# claimed variant: 'sparse' rests only on a claim") != std::string::npos);
        // A rule's warning reaches the table too; an unclaimed variant's document has no claimed key.
        auto consumer = test::run_cli({"tco", "--scenario", "high-frequency-short-text", "nano:int8@rtx-4090x1", "-o", "json"});
        REQUIRE(consumer.status == 0);
        const json card = json::parse(consumer.out);
        CHECK_FALSE(card.contains("claimed"));
        REQUIRE(card.at("warnings").size() == 1);
        CHECK(card.at("warnings").at(0).at("rule") == "consumer-card");
        auto card_table = test::run_cli({"tco", "--scenario", "high-frequency-short-text", "nano:int8@rtx-4090x1"});
        REQUIRE(card_table.status == 0);
        CHECK(card_table.out.find("# warning (consumer-card): rtx-4090 is a consumer card") != std::string::npos);
    }
}

// Issue 19: headroom has one home, the scenario's constraints.headroom, which both the sizing
// and the headroom-20 rule read.
TEST_CASE("headroom: the headroom-20 rule reads the scenario's headroom, as the sizing does", "[search][headroom]") {
    for (double headroom : {0.0, 0.5}) {
        INFO(headroom);
        Scenario s = builtin().scenario("customer-service");
        s.constraints.headroom = headroom;
        const SearchResult result = search(builtin(), s, builtin_rules(), SearchOptions{});
        CHECK(result.rejected_by_reason.count("headroom-20") == 0);  // the sizing already meets it
        REQUIRE_FALSE(result.ranked.empty());
        for (const Candidate& c : result.ranked) {
            CHECK(c.capacity_qps >= (1.0 + headroom) * s.workload.qps * (1 - 1e-12));
        }
    }
}

namespace {
// One candidate of customer-service (150 QPS) on the shipped data, judged as the search judges it.
Candidate customer_service_on(const Scenario& s, const std::string& variant, const std::string& hardware,
                              const SearchOptions& options = SearchOptions{}) {
    return evaluate_candidate(builtin(), s, builtin_rules(), builtin().model("base"), builtin().variant(variant),
                              builtin().hardware_by_id(hardware), 1, options);
}
}  // namespace

TEST_CASE("queue: the TTFT at load is the M/D/1 wait at the scenario's QPS per replica for the prefill work", "[search][queue]") {
    const Scenario s = builtin().scenario("customer-service");
    const Candidate c = customer_service_on(s, "int8", "h100-sxm");
    REQUIRE(c.accepted());
    // By hand: Poisson arrivals at 150 / replicas per second, a deterministic service of the
    // prefill work S; W = rho S / (2 (1 - rho)), rho = lambda S.
    const double service_ms = c.estimate.performance.prefill_work_ms;
    REQUIRE(service_ms > 0);
    const double lambda_per_ms = 150.0 / static_cast<double>(c.replicas) / 1000.0;
    const double rho = lambda_per_ms * service_ms;
    REQUIRE(rho > 0.01);
    REQUIRE(rho < 1);
    const double wait_ms = rho * service_ms / (2.0 * (1.0 - rho));
    CHECK(c.prefill_utilization == Approx(rho));
    CHECK(c.queue_wait_ms == Approx(wait_ms));
    CHECK(c.ttft_at_load_ms == Approx(c.estimate.performance.ttft_ms + wait_ms));
    CHECK_FALSE(c.replicas_for_queue);  // no TTFT limit: the throughput sets the count
}

TEST_CASE("queue: without load there is no queue", "[search][queue]") {
    Scenario s = builtin().scenario("customer-service");
    s.workload.qps = 0;
    s.constraints.max_ttft_ms = 1000;
    const Candidate c = customer_service_on(s, "int8", "h100-sxm");
    REQUIRE(c.accepted());
    CHECK(c.queue_wait_ms == 0);
    CHECK(c.prefill_utilization == 0);
    CHECK(c.ttft_at_load_ms == c.estimate.performance.ttft_ms);
    CHECK_FALSE(c.replicas_for_queue);
}

TEST_CASE("queue: a TTFT limit met without load but missed at load takes more replicas and then meets it", "[search][queue]") {
    Scenario s = builtin().scenario("customer-service");
    s.constraints.max_ttft_ms.reset();
    const Candidate free = customer_service_on(s, "int8", "h100-sxm");
    REQUIRE(free.accepted());
    REQUIRE(free.queue_wait_ms > 0);
    // A limit a quarter of the queue above the TTFT without load: met without load, missed at load.
    const double limit_ms = free.estimate.performance.ttft_ms + free.queue_wait_ms / 4.0;
    s.constraints.max_ttft_ms = limit_ms;
    const Candidate c = customer_service_on(s, "int8", "h100-sxm");
    REQUIRE(c.accepted());
    CHECK(c.replicas > free.replicas);
    CHECK(c.ttft_at_load_ms <= limit_ms);
    CHECK(c.capacity_qps == Approx(c.estimate.performance.qps * static_cast<double>(c.replicas)));
    // At batch 1 only, the queue alone must set the count: the fewest replicas whose wait fits
    // the slack (one fewer does not), the closed form's answer.
    SearchOptions one_at_a_time;
    one_at_a_time.max_batch = 1;
    s.constraints.max_ttft_ms.reset();
    const Candidate free_one = customer_service_on(s, "int8", "h100-sxm", one_at_a_time);
    const double one_limit_ms = free_one.estimate.performance.ttft_ms + free_one.queue_wait_ms / 4.0;
    s.constraints.max_ttft_ms = one_limit_ms;
    const Candidate queued = customer_service_on(s, "int8", "h100-sxm", one_at_a_time);
    REQUIRE(queued.accepted());
    REQUIRE(queued.batch == 1);
    CHECK(queued.replicas_for_queue);
    CHECK(queued.replicas > free_one.replicas);
    CHECK(queued.ttft_at_load_ms <= one_limit_ms);
    const double service_ms = queued.estimate.performance.prefill_work_ms;
    const double slack_ms = one_limit_ms - queued.estimate.performance.ttft_ms;
    const double rho_max = 2.0 * slack_ms / (service_ms + 2.0 * slack_ms);
    CHECK(queued.replicas == static_cast<std::int64_t>(std::ceil(150.0 * service_ms / 1000.0 / rho_max)));
    const double rho_fewer = 150.0 / static_cast<double>(queued.replicas - 1) * service_ms / 1000.0;
    CHECK((rho_fewer >= 1 || rho_fewer * service_ms / (2.0 * (1.0 - rho_fewer)) > slack_ms));
    s.constraints.max_ttft_ms = limit_ms;
    // The same through the search: every accepted candidate meets the limit at load.
    const SearchResult result = search(builtin(), s, builtin_rules(), SearchOptions{});
    REQUIRE_FALSE(result.ranked.empty());
    for (const Candidate& ranked : result.ranked) {
        CHECK(ranked.ttft_at_load_ms <= limit_ms);
        CHECK(ranked.ttft_at_load_ms == Approx(ranked.estimate.performance.ttft_ms + ranked.queue_wait_ms));
    }
}

TEST_CASE("queue: a TTFT limit missed without load is a ttft miss at load with the wait in its value", "[search][queue]") {
    Scenario s = builtin().scenario("customer-service");
    s.constraints.max_ttft_ms.reset();
    SearchOptions one_at_a_time;
    one_at_a_time.max_batch = 1;
    const Candidate free = customer_service_on(s, "int8", "h100-sxm", one_at_a_time);
    REQUIRE(free.accepted());
    REQUIRE(free.queue_wait_ms > 0);
    // Just under the TTFT without load: no replica count can meet it.
    s.constraints.max_ttft_ms = free.estimate.performance.ttft_ms * 0.999;
    const Candidate c = customer_service_on(s, "int8", "h100-sxm", one_at_a_time);
    REQUIRE(c.rejection.has_value());
    CHECK(c.rejection->reason == "ttft");
    CHECK(std::string(c.rejection->what) == "time to first token at load");
    CHECK(std::string(c.rejection->flag) == "--max-ttft-ms");
    CHECK(c.rejection->needed == Approx(*s.constraints.max_ttft_ms));
    // The value judged is the TTFT plus the wait at the count the throughput sets (batch 1 kept).
    CHECK(c.batch == 1);
    CHECK(c.rejection->had == Approx(free.estimate.performance.ttft_ms + free.queue_wait_ms));
    CHECK(c.rejection->detail().find("at load") != std::string::npos);
}

TEST_CASE("queue: raising the QPS never lowers the replicas under a TTFT limit or none", "[search][queue]") {
    for (const char* hardware : {"h100-sxm", "a100-80gb", "l4", "mi300x"}) {
        for (const std::optional<double> limit : {std::optional<double>{}, std::optional<double>{20.0}, std::optional<double>{60.0}}) {
            Scenario s = builtin().scenario("customer-service");
            s.constraints.max_ttft_ms = limit;
            s.constraints.max_latency_ms.reset();
            std::int64_t previous = 0;
            for (const double qps : {0.5, 5.0, 50.0, 150.0, 400.0, 1500.0, 6000.0}) {
                INFO(hardware << " limit " << limit.value_or(0) << " qps " << qps);
                s.workload.qps = qps;
                const Candidate c = customer_service_on(s, "int8", hardware);
                if (!c.costed) {
                    continue;
                }
                CHECK(c.replicas >= previous);
                CHECK(c.prefill_utilization < 1);
                previous = c.replicas;
            }
        }
    }
}

TEST_CASE("queue: a single-stream engine queues whole requests and not prefills", "[search][queue]") {
    Scenario s = builtin().scenario("mobile-realtime");
    s.engine_id = "llama.cpp";
    const Candidate c = evaluate_candidate(builtin(), s, builtin_rules(), builtin().model("nano"), builtin().variant("int8"),
                                           builtin().hardware_by_id("rtx-4090"), 1, SearchOptions{});
    REQUIRE(c.costed);
    REQUIRE(c.batch == 1);
    // One request at a time from its prompt to its last token: the service is the whole latency.
    const double service_ms = c.estimate.performance.latency_ms;
    REQUIRE(service_ms > c.estimate.performance.prefill_work_ms);
    const double rho = s.workload.qps / static_cast<double>(c.replicas) * service_ms / 1000.0;
    REQUIRE(rho < 1);
    CHECK(c.prefill_utilization == Approx(rho));
    CHECK(c.queue_wait_ms == Approx(rho * service_ms / (2.0 * (1.0 - rho))));
}
