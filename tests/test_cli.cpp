// The whole CLI in-process: status, stdout, stderr, parsed JSON.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <set>

#include "dsselect/catalog/loader.hpp"
#include "dsselect/estimate/accuracy.hpp"
#include "dsselect/estimate/estimator.hpp"
#include "dsselect/report/candidate_columns.hpp"
#include "dsselect/select/search.hpp"
#include "support/helpers.hpp"

using nlohmann::json;
using test::run_cli;
using namespace dsselect;

namespace {
// The value of an `estimate --explain` line (KEY, a tab, the value); -1 when the line is absent.
double explain_value(const std::string& out, const std::string& key) {
    const auto at = out.find(key + "\t");
    return at == std::string::npos ? -1.0 : std::stod(out.substr(at + key.size() + 1));
}

// An engine's boolean KEY: set to VALUE in a user file it reads back from `catalog engines -o json`;
// a non-boolean (the string "yes") is exit 65 naming the file and /engines/0/KEY, stdout empty.
void check_engine_flag(const std::string& engine, const std::string& key, bool value) {
    INFO(engine << "." << key);
    const test::TempFile good("flag-" + key + ".json", fmt::format(R"({{"schema_version": "1.0", "engines": [{{"id": "{}",
        "{}": {}}}]}})", engine, key, value ? "true" : "false"));
    const auto read = run_cli({"--data", good.path(), "catalog", "engines", engine, "-o", "json"});
    REQUIRE(read.status == 0);
    const json listed = json::parse(read.out).at("engines").at(0);
    // The serializer writes a flag that is off by default only when it is on.
    CHECK(listed.value(key, !value) == value);
    const test::TempFile bad("flag-" + key + "-bad.json", fmt::format(R"({{"schema_version": "1.0", "engines": [{{"id": "{}",
        "{}": "yes"}}]}})", engine, key));
    const auto refused = run_cli({"--data", bad.path(), "catalog", "engines"});
    CHECK(refused.status == 65);
    CHECK(refused.out.empty());
    CHECK(refused.err.find(bad.path() + ": /engines/0/" + key) != std::string::npos);
}
}  // namespace

TEST_CASE("test support: temporary files leave no directory behind", "[cli][support]") {
    std::string folder;
    {
        const test::TempFile first("a.json", "{}");
        const test::TempFile second("b.json", "[]");
        folder = std::filesystem::path(first.path()).parent_path().string();
        CHECK(std::filesystem::exists(first.path()));
        CHECK(std::filesystem::exists(second.path()));
    }
    // Every test process makes one folder; it goes with its last file, not with the first.
    CHECK_FALSE(std::filesystem::exists(folder));
    {
        const test::TempFile outer("outer.json", "{}");
        { const test::TempFile inner("inner.json", "{}"); }
        CHECK(std::filesystem::exists(outer.path()));
    }
    CHECK_FALSE(std::filesystem::exists(folder));
}

TEST_CASE("cli: catalog models -o json lists the seed versions with nominal and computed counts", "[cli]") {
    auto result = run_cli({"catalog", "models", "-o", "json"});
    REQUIRE(result.status == 0);
    CHECK(result.err.empty());
    const json document = json::parse(result.out);
    CHECK(document.at("schema_version").get<std::string>() == "1.11");
    CHECK(document.at("kind").get<std::string>() == "ModelList");
    std::map<std::string, double> nominal = {{"nano", 1.3e9}, {"base", 6.7e9}, {"pro", 32e9}, {"ultra", 175e9}};
    int found = 0;
    for (const auto& model : document.at("models")) {
        auto id = model.at("id").get<std::string>();
        if (nominal.count(id) == 0) {
            continue;
        }
        ++found;
        INFO(id);
        CHECK(model.at("parameters_nominal").get<double>() == nominal[id]);
        const double computed = static_cast<double>(model.at("parameters").get<std::int64_t>());
        CHECK(std::fabs(computed / nominal[id] - 1.0) < 0.02);
    }
    CHECK(found == 4);
}

TEST_CASE("cli: a --data file with a string where a number belongs exits 65 with file and pointer", "[cli]") {
    test::TempFile file("bad-number.json",
                        R"({"schema_version": "1.0", "hardware": [{"id": "g", "name": "G", "memory_gb": "lots", "memory_bandwidth_gb_per_s": 1, "peak_tflops": {"fp16": 1}}]})");
    auto result = run_cli({"--data", file.path(), "catalog", "hardware"});
    CHECK(result.status == 65);
    CHECK(result.out.empty());
    CHECK(test::first_line(result.err) ==
          "dsselect: error: " + file.path() + ": /hardware/0/memory_gb: expected a positive number, got \"lots\"");
}

TEST_CASE("cli: a missing --data file exits 66", "[cli]") {
    auto result = run_cli({"--data", "/nonexistent/catalog.json", "catalog", "models"});
    CHECK(result.status == 66);
    CHECK(result.out.empty());
    CHECK(test::first_line(result.err) == "dsselect: error: /nonexistent/catalog.json: no such file");
}

TEST_CASE("cli: an unknown flag exits 2", "[cli]") {
    auto result = run_cli({"catalog", "models", "--frobnicate"});
    CHECK(result.status == 2);
    CHECK(result.out.empty());
    CHECK(result.err.rfind("dsselect: error: ", 0) == 0);
}

TEST_CASE("cli: --data works after the subcommand too", "[cli]") {
    test::TempFile file("extra-gpu.json",
                        R"({"schema_version": "1.0", "hardware": [{"id": "my-gpu", "name": "Mine", "memory_gb": 16, "memory_bandwidth_gb_per_s": 500, "peak_tflops": {"fp16": 50}}]})");
    auto result = run_cli({"catalog", "hardware", "my-gpu", "--data", file.path(), "-o", "json"});
    REQUIRE(result.status == 0);
    CHECK(json::parse(result.out).at("hardware").size() == 1);
}

TEST_CASE("cli: an unknown id gets a did-you-mean and exit 2", "[cli]") {
    auto result = run_cli({"catalog", "models", "bsae"});
    CHECK(result.status == 2);
    CHECK(test::first_line(result.err) == "dsselect: error: unknown model 'bsae'; did you mean 'base'?");
    // catalog KIND ID suggests as estimate --gpu does: the ids the typed one begins, ignoring case,
    // and the hint naming the listing command.
    for (const char* typed : {"h100", "H100"}) {
        const auto catalog = run_cli({"catalog", "hardware", typed});
        const auto estimate = run_cli({"estimate", "--model", "base", "--gpu", typed});
        CHECK(catalog.status == 2);
        CHECK(test::first_line(catalog.err) ==
              std::string("dsselect: error: unknown hardware '") + typed + "'; did you mean 'h100-sxm' or 'h100-pcie'?");
        CHECK(catalog.err == estimate.err);
        CHECK(catalog.err.find("hint: 'dsselect catalog hardware' lists them") != std::string::npos);
    }
    CHECK(test::first_line(run_cli({"catalog", "scenarios", "customer"}).err) ==
          "dsselect: error: unknown scenario 'customer'; did you mean 'customer-service'?");
}

TEST_CASE("cli: --help and --version exit 0 on stdout", "[cli]") {
    auto help = run_cli({"--help"});
    CHECK(help.status == 0);
    CHECK(help.out.find("Examples:") != std::string::npos);
    auto version = run_cli({"--version"});
    CHECK(version.status == 0);
    CHECK(version.out.rfind("dsselect ", 0) == 0);
}

TEST_CASE("cli: validate reports every problem of each file and exits 65", "[cli]") {
    test::TempFile bad("two-problems.json",
                       R"({"schema_version": "1.0", "variants": [{"id": "a", "weight_bits": -1}, {"id": "b", "weight_bits": 8, "kv_cache_bits": 0}]})");
    test::TempFile good("good.json", R"({"schema_version": "1.0", "variants": [{"id": "w3", "weight_bits": 3}]})");
    auto result = run_cli({"validate", good.path(), bad.path()});
    CHECK(result.status == 65);
    CHECK(result.out.empty());
    CHECK(result.err.find("/variants/0/weight_bits: expected a positive number, got -1") != std::string::npos);
    CHECK(result.err.find("/variants/1/kv_cache_bits: expected a positive number, got 0") != std::string::npos);
    auto ok = run_cli({"validate", good.path()});
    CHECK(ok.status == 0);
    CHECK(ok.out == good.path() + ": ok\n");
}

TEST_CASE("cli: estimate -o json has the contract fields", "[cli][estimate]") {
    auto result = run_cli({"estimate", "--model", "base", "--variant", "int8", "--gpu", "a40", "--gpus", "2", "--batch", "4", "-o", "json"});
    REQUIRE(result.status == 0);
    const json e = json::parse(result.out);
    CHECK(e.at("kind").get<std::string>() == "Estimate");
    for (const char* pointer : {"/parameters", "/active_parameters", "/memory/weights_bytes", "/memory/kv_cache_bytes",
                                "/memory/kv_cache_bytes_per_token", "/memory/activations_bytes", "/memory/overhead_bytes",
                                "/memory/total_bytes", "/memory/per_gpu_bytes", "/memory/capacity_per_gpu_bytes",
                                "/memory/fits", "/memory/max_concurrency", "/performance/ttft_ms", "/performance/tpot_ms",
                                "/performance/latency_ms", "/performance/output_tokens_per_s",
                                "/performance/prefill_tokens_per_s", "/performance/qps", "/power/watts"}) {
        INFO(pointer);
        CHECK(e.contains(json::json_pointer(pointer)));
    }
    CHECK(e.at("memory").at("fits").get<bool>());
    CHECK(e.at("performance").at("tpot_ms").get<double>() > 0);
    // Replica totals and per-GPU figures: the per-GPU parts add up to per_gpu_bytes (each rounded
    // to a byte), and each replica total is its per-GPU part times the GPUs.
    const json& m = e.at("memory");
    const auto bytes = [&](const char* key) { return static_cast<double>(m.at(key).get<std::int64_t>()); };
    CHECK(std::fabs(bytes("weights_bytes_per_gpu") + bytes("adapter_bytes_per_gpu") + bytes("kv_cache_bytes_per_gpu") +
                    bytes("activations_bytes") + bytes("overhead_bytes") - bytes("per_gpu_bytes")) <= 3.0);
    CHECK(std::fabs(2.0 * bytes("weights_bytes_per_gpu") - bytes("weights_bytes")) <= 1.0);
    CHECK(std::fabs(2.0 * bytes("kv_cache_bytes_per_gpu") - bytes("kv_cache_bytes")) <= 1.0);
    // Batch 4 of 512 + 128 tokens (paged: 576 on average) holds 2,304 tokens, more than the window.
    CHECK(m.at("kv_cache_tokens").get<double>() == Approx(2304.0));
}

TEST_CASE("cli: estimate --context sizes the KV cache for one sequence of the window", "[cli][estimate]") {
    // DeepSeek-R1-Distill-Llama-8B at 16 bits on one L4: 131,072 tokens of cache need 17.2 GB beside
    // 16 GB of weights on a 24 GB card, so the window cannot be offered (vLLM would not start).
    auto result = run_cli({"estimate", "--model", "deepseek-r1-distill-llama-8b", "--variant", "fp16", "--gpu", "l4",
                           "--context", "131072", "-o", "json"});
    REQUIRE(result.status == 0);
    const json e = json::parse(result.out);
    CHECK(e.at("feasibility").get<std::string>() == "does_not_fit");
    CHECK(e.at("memory").at("kv_cache_tokens").get<double>() == Approx(131072.0));
    CHECK(e.at("memory").at("max_concurrency").get<std::int64_t>() == 0);
    CHECK(e.at("performance").at("ttft_ms").is_null());
    auto table = run_cli({"estimate", "--model", "deepseek-r1-distill-llama-8b", "--variant", "fp16", "--gpu", "l4",
                          "--context", "131072"});
    REQUIRE(table.status == 0);
    CHECK_THAT(table.out, Catch::Matchers::Contains("KV cache sized for one sequence of the 131072-token context window"));
    // Without the window the same request fits.
    auto plain = run_cli({"estimate", "--model", "deepseek-r1-distill-llama-8b", "--variant", "fp16", "--gpu", "l4", "-o", "json"});
    REQUIRE(plain.status == 0);
    CHECK(json::parse(plain.out).at("feasibility").get<std::string>() == "ok");
}

TEST_CASE("cli: estimate --kv-cache-dtype fp8 halves the cache and --kv-reservation full holds P + O", "[cli][estimate]") {
    auto run = [](std::vector<std::string> extra) {
        std::vector<std::string> args{"estimate", "--model", "base", "--gpu", "h100-sxm", "--batch", "8", "-o", "json"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto result = run_cli(args);
        REQUIRE(result.status == 0);
        return json::parse(result.out);
    };
    const json paged = run({});
    const json fp8 = run({"--kv-cache-dtype", "fp8"});
    const json full = run({"--kv-reservation", "full"});
    const double per_token = paged.at("memory").at("kv_cache_bytes_per_token").get<double>();
    CHECK(fp8.at("memory").at("kv_cache_bytes_per_token").get<double>() == Approx(per_token / 2));
    // 512 + 128 tokens held in full against 512 + 64 on average when paged.
    CHECK(full.at("memory").at("kv_cache_bytes").get<double>() ==
          Approx(paged.at("memory").at("kv_cache_bytes").get<double>() * 640.0 / 576.0).epsilon(1e-6));
    CHECK(paged.at("max_throughput").at("batch").get<std::int64_t>() == paged.at("memory").at("max_concurrency").get<std::int64_t>());
    CHECK(paged.at("max_throughput").at("output_tokens_per_s").get<double>() > paged.at("performance").at("output_tokens_per_s").get<double>());
    CHECK(run_cli({"estimate", "--model", "base", "--gpu", "h100-sxm", "--kv-cache-dtype", "fp4"}).status == 2);
}

TEST_CASE("cli: estimate gives the max-throughput figure a fixed-length benchmark would measure", "[cli][estimate]") {
    auto run = [](const std::string& engine, bool explain) {
        std::vector<std::string> args{"estimate", "--model", "base", "--gpu", "h100-sxm", "--engine", engine, "-o", "json"};
        if (explain) {
            args.emplace_back("--explain");
        }
        auto result = run_cli(args);
        REQUIRE(result.status == 0);
        return json::parse(result.out);
    };
    // A continuous-batching engine: the simulated benchmark at the same concurrency, and the
    // explain trace says how it was run.
    const json vllm = run("vllm", true);
    const json& top = vllm.at("max_throughput");
    REQUIRE(top.at("benchmark_output_tokens_per_s").is_number());
    CHECK(top.at("benchmark_output_tokens_per_s").get<double>() > 0.0);
    bool traced = false;
    for (const json& step : vllm.at("explain")) {
        if (step.at("name") == "max_throughput_benchmark_output_tokens_per_s") {
            traced = step.at("value").get<double>() == Approx(top.at("benchmark_output_tokens_per_s").get<double>()).epsilon(1e-6);
        }
    }
    CHECK(traced);
    // A single-stream engine is not simulated: null, not a made-up number.
    CHECK(run("llama.cpp", false).at("max_throughput").at("benchmark_output_tokens_per_s").is_null());
    // The table says which figure is which.
    auto table = run_cli({"estimate", "--model", "base", "--gpu", "h100-sxm"});
    REQUIRE(table.status == 0);
    CHECK(table.out.find("max-throughput output tokens/s, fixed-length benchmark\t") != std::string::npos);
    CHECK(table.out.find("tokens/s (B = ") != std::string::npos);
}

TEST_CASE("cli: estimate prints the measured accuracy of its engine and model kind", "[cli][estimate][accuracy]") {
    const auto result = run_cli({"estimate", "--model", "deepseek-v3", "--variant", "fp8", "--gpu", "h200", "--gpus", "8",
                                 "--engine", "sglang", "-o", "json"});
    REQUIRE(result.status == 0);
    const json accuracy = json::parse(result.out).at("accuracy");
    CHECK(accuracy.at("measured").get<bool>());
    CHECK(accuracy.at("engine").get<std::string>() == "sglang");
    CHECK(accuracy.at("model_kind").get<std::string>() == "moe");
    CHECK(accuracy.at("set").get<std::string>() == "hold-out");
    CHECK(accuracy.at("hardware_measured").get<bool>());
    CHECK(accuracy.at("precision_measured").get<bool>());
    // The figures are the built-in table's, to the printed decimal.
    const Catalog& catalog = test::builtin();
    const AccuracyClaim claim = accuracy_claim(builtin_accuracy_table(), "sglang", catalog.model("deepseek-v3"),
                                               catalog.variant("fp8"), catalog.hardware_by_id("h200"));
    REQUIRE(claim.entry != nullptr);
    REQUIRE(claim.entry->tpot);
    CHECK(accuracy.at("tpot").at("rows").get<std::int64_t>() == claim.entry->tpot->rows);
    CHECK(accuracy.at("tpot").at("median_abs_error_pct").get<double>() ==
          Approx(claim.entry->tpot->median_abs_error_pct).margin(0.05));
    CHECK(accuracy.at("note").get<std::string>() == claim.note);
    // Capacity (added in 1.3): the table's requests/s figures for serving engines.
    REQUIRE(claim.entry->capacity);
    CHECK(accuracy.at("capacity").at("rows").get<std::int64_t>() == claim.entry->capacity->rows);
    CHECK(accuracy.at("capacity").at("mean_signed_error_pct").get<double>() ==
          Approx(claim.entry->capacity->mean_signed_error_pct).margin(0.05));
    const auto served = run_cli({"estimate", "--model", "deepseek-v3", "--variant", "fp8", "--gpu", "h200", "--gpus", "8",
                                 "--engine", "sglang"});
    REQUIRE(served.status == 0);
    CHECK(served.out.find(fmt::format("capacity (requests/s)\t{:.1f}\t{:+.1f}\t{}", claim.entry->capacity->median_abs_error_pct,
                                      claim.entry->capacity->mean_signed_error_pct, claim.entry->capacity->rows)) !=
          std::string::npos);

    const auto table = run_cli({"estimate", "--model", "base", "--gpu", "a40", "--engine", "llama.cpp", "--variant", "int4"});
    REQUIRE(table.status == 0);
    CHECK(table.out.find("# Measured accuracy of such estimates (data/accuracy.json)") != std::string::npos);
    CHECK(table.out.find("TTFT\t-\t-\t-") != std::string::npos);
    CHECK(table.out.find("capacity (requests/s)\t-\t-\t-") != std::string::npos);
    CHECK(table.out.find("TTFT and capacity not checked") != std::string::npos);
    CHECK(table.out.find("a40 itself was not measured") != std::string::npos);
}

namespace {
// A candidate of a Recommendation or Comparison document: its accuracy object is the built-in
// table's claim for the engine, the candidate's model, variant and hardware.
void check_accuracy_object(const json& item, const std::string& engine) {
    const Catalog& catalog = test::builtin();
    const json& accuracy = item.at("accuracy");
    CHECK(accuracy.at("engine").get<std::string>() == engine);
    const AccuracyClaim claim =
        accuracy_claim(builtin_accuracy_table(), engine, catalog.model(item.at("model").get<std::string>()),
                       catalog.variant(item.at("variant").get<std::string>()),
                       catalog.hardware_by_id(item.at("hardware").get<std::string>()));
    CHECK(accuracy.at("note").get<std::string>() == claim.note);
}
}  // namespace

TEST_CASE("cli: recommend gives each ranked candidate the measured accuracy of the search's engine", "[cli][accuracy]") {
    const auto result = run_cli({"recommend", "--scenario", "customer-service", "--engine", "sglang", "--explain", "-o", "json"});
    REQUIRE(result.status == 0);
    const json document = json::parse(result.out);
    REQUIRE_FALSE(document.at("recommendations").empty());
    for (const json& item : document.at("recommendations")) {
        check_accuracy_object(item, "sglang");
    }
    for (const auto& [reason, miss] : document.at("nearest_miss_by_reason").items()) {
        INFO(reason);
        CHECK_FALSE(miss.contains("accuracy"));
    }
    const auto table = run_cli({"recommend", "--scenario", "customer-service", "--engine", "sglang"});
    REQUIRE(table.status == 0);
    CHECK(table.out.find("# measured accuracy of #1's TTFT, TPOT and capacity estimates (data/accuracy.json") != std::string::npos);
    CHECK(table.out.find("engine 'sglang'") != std::string::npos);
}

TEST_CASE("cli: compare shows no timings for a tensor-parallel split the engine cannot make", "[cli]") {
    // base has 32 attention heads: three GPUs cannot split them. compare judges the candidate in
    // full and names the miss, but the estimator's figures for it describe no deployment.
    const auto result = run_cli({"compare", "--scenario", "customer-service", "base:int8@a40x3", "-o", "json"});
    REQUIRE(result.status == 0);
    const json candidate = json::parse(result.out).at("candidates").at(0);
    CHECK(candidate.at("rejected").at("reason").get<std::string>() == "tensor_parallel");
    for (const char* key : {"ttft_ms", "tpot_ms", "latency_ms", "qps"}) {
        INFO(key);
        CHECK(candidate.at(key).is_null());
    }
    // Two GPUs divide the heads: the same candidate is timed.
    const auto two = run_cli({"compare", "--scenario", "customer-service", "base:int8@a40x2", "-o", "json"});
    REQUIRE(two.status == 0);
    CHECK(json::parse(two.out).at("candidates").at(0).at("ttft_ms").get<double>() > 0.0);
}

TEST_CASE("cli: compare and tco carry the measured accuracy of every candidate they judge", "[cli][accuracy]") {
    const auto compared = run_cli({"compare", "--scenario", "finance-risk", "--engine", "trtllm", "base:int8@h100-sxmx1",
                                   "ultra", "-o", "json"});
    REQUIRE(compared.status == 0);
    const json candidates = json::parse(compared.out).at("candidates");
    REQUIRE(candidates.size() == 2);
    for (const json& item : candidates) {
        check_accuracy_object(item, "trtllm");
    }
    const auto tco = run_cli({"tco", "--scenario", "finance-risk", "base:int8@h100-sxmx1", "-o", "json"});
    REQUIRE(tco.status == 0);
    const json accuracy = json::parse(tco.out).at("accuracy");
    CHECK(accuracy.at("set").get<std::string>() == "fit");  // h100-sxm is the fit system: in-sample rows
    CHECK(accuracy.at("hardware_measured").get<bool>());
    const auto table = run_cli({"tco", "--scenario", "finance-risk", "base:int8@h100-sxmx1"});
    REQUIRE(table.status == 0);
    CHECK(table.out.find("measured accuracy of the TTFT, TPOT and capacity estimates behind the replicas") != std::string::npos);
    const auto compare_table = run_cli({"compare", "--scenario", "finance-risk", "base", "ultra"});
    REQUIRE(compare_table.status == 0);
    CHECK(compare_table.out.find("measured accuracy of #2's TTFT, TPOT and capacity estimates") != std::string::npos);
}

TEST_CASE("cli: an estimate nothing measured says so in JSON and in one recommend line", "[cli][accuracy]") {
    const auto result = run_cli({"estimate", "--model", "nano", "--variant", "int4", "--gpu", "jetson-orin-nano", "--engine",
                                 "llama.cpp", "-o", "json"});
    REQUIRE(result.status == 0);
    const json accuracy = json::parse(result.out).at("accuracy");
    CHECK_FALSE(accuracy.at("measured").get<bool>());
    CHECK(accuracy.at("engine").get<std::string>() == "llama.cpp");
    CHECK(accuracy.at("set").is_null());
    CHECK(accuracy.at("ttft").is_null());
    CHECK(accuracy.at("capacity").is_null());
    CHECK(accuracy.at("models").empty());
    CHECK(accuracy.at("note").get<std::string>().rfind("not measured: ", 0) == 0);
    // A TTFT the table does not check is named once, in the note, not again beside the figures.
    const auto line = run_cli({"recommend", "--scenario", "high-frequency-short-text", "--engine", "llama.cpp"});
    REQUIRE(line.status == 0);
    const auto at = line.out.find("measured accuracy of #1's");
    REQUIRE(at != std::string::npos);
    const std::string note = line.out.substr(at, line.out.find('\n', at) - at);
    CHECK(note.find("TPOT ") != std::string::npos);  // the figures of a measured llama.cpp entry
    REQUIRE(note.find("TTFT and capacity not checked") != std::string::npos);
    CHECK(note.find("TTFT and capacity not checked") == note.rfind("TTFT and capacity not checked"));
    // Only TPOT has figures: no TTFT or capacity figure beside them.
    CHECK(note.find(" % median abs error") == note.rfind(" % median abs error"));
}

TEST_CASE("cli: estimate of a model that does not fit reports null timings", "[cli][estimate]") {
    auto result = run_cli({"estimate", "--model", "ultra", "--gpu", "a10", "-o", "json"});
    REQUIRE(result.status == 0);
    const json e = json::parse(result.out);
    CHECK_FALSE(e.at("memory").at("fits").get<bool>());
    CHECK(e.at("memory").at("shortfall_bytes").get<std::int64_t>() > 0);
    CHECK(e.at("performance").at("tpot_ms").is_null());
    CHECK(e.at("performance").at("latency_ms").is_null());
}

TEST_CASE("cli: estimate rejects FP8 on A100 with the reason", "[cli][estimate]") {
    auto result = run_cli({"estimate", "--model", "base", "--variant", "fp8", "--gpu", "a100-80gb"});
    CHECK(result.status == 2);
    CHECK(result.out.empty());
    CHECK(test::first_line(result.err) ==
          "dsselect: error: --variant: 'fp8' computes at fp8, which 'a100-80gb' does not support (it has fp16, bf16, int8, int4)");
}

TEST_CASE("cli: estimate rejects bad counts and contexts beyond the window", "[cli][estimate]") {
    CHECK(run_cli({"estimate", "--model", "base", "--gpu", "a40", "--gpus", "0"}).status == 2);
    CHECK(run_cli({"estimate", "--model", "base", "--gpu", "a40", "--gpus", "-1"}).status == 2);
    CHECK(run_cli({"estimate", "--model", "base", "--gpu", "a40", "--batch", "1e12"}).status == 2);
    auto window = run_cli({"estimate", "--model", "nano", "--gpu", "a10", "--context", "100000"});
    CHECK(window.status == 2);
    CHECK(test::first_line(window.err) ==
          "dsselect: error: --context: 100000 tokens exceed model 'nano''s context window of 4096 tokens");
}

TEST_CASE("cli: numeric flags read decimal numbers only and say what they expected in one line", "[cli]") {
    // A leading zero is decimal: a batch of 010 is ten (CLI11 alone read eight, octal).
    const auto ten = run_cli({"estimate", "--model", "base", "--gpu", "h100-sxm", "--batch", "010", "-o", "json"});
    REQUIRE(ten.status == 0);
    CHECK(json::parse(ten.out).at("workload").at("batch").get<int>() == 10);
    const auto first_error = [](std::vector<std::string> args) {
        const auto result = run_cli(args);
        CHECK(result.status == 2);
        CHECK(result.out.empty());
        return test::first_line(result.err);
    };
    CHECK(first_error({"estimate", "--model", "base", "--gpu", "a40", "--gpus", "0x10"}) ==
          "dsselect: error: --gpus: expected a whole decimal number, got '0x10'");
    CHECK(first_error({"estimate", "--model", "base", "--gpu", "a40", "--gpus", "abc"}) ==
          "dsselect: error: --gpus: expected a whole decimal number, got 'abc'");
    CHECK(first_error({"estimate", "--model", "base", "--gpu", "a40", "--gpus", "0"}) ==
          "dsselect: error: --gpus: expected a whole number from 1 to 1024, got '0'");
    CHECK(first_error({"estimate", "--model", "base", "--gpu", "a40", "--gpus", "02000"}) ==
          "dsselect: error: --gpus: expected a whole number from 1 to 1024, got '02000'");
    CHECK(first_error({"estimate", "--model", "base", "--variant", "dynamic", "--gpu", "a40", "--complexity-mix", "0x.8:0.5,0x.8:1"}) ==
          "dsselect: error: --complexity-mix: expected numbers, got '0x.8:0.5,0x.8:1'");
    CHECK(first_error({"recommend", "--scenario", "customer-service", "--max-latency-ms", "0x1p3"}) ==
          "dsselect: error: --max-latency-ms: expected a decimal number, got '0x1p3'");
    CHECK(first_error({"recommend", "--scenario", "customer-service", "--max-latency-ms", "0"}) ==
          "dsselect: error: --max-latency-ms: expected a number greater than 0, got '0'");
    CHECK(first_error({"recommend", "--scenario", "customer-service", "--max-latency-ms", "nan"}) ==
          "dsselect: error: --max-latency-ms: expected a finite number, got 'nan'");
    CHECK(first_error({"recommend", "--scenario", "customer-service", "--min-quality", "1.5"}) ==
          "dsselect: error: --min-quality: expected a number from 0 to 1, got '1.5'");
    CHECK(first_error({"plan", "finetune", "--model", "base", "--gpu", "a40", "--tokens", "5 "}) ==
          "dsselect: error: --tokens: expected a decimal number, got '5 '");
    // Decimal forms a user types are read as before.
    CHECK(run_cli({"recommend", "--scenario", "customer-service", "--max-latency-ms", "1.5e3", "--top", "1"}).status == 0);
}

TEST_CASE("cli: estimate --explain shows the seed's 89 GB beside the computed weights", "[cli][estimate]") {
    auto result = run_cli({"estimate", "--model", "ultra", "--variant", "int4", "--gpu", "h100-sxm", "--gpus", "2", "--explain", "-o", "json"});
    REQUIRE(result.status == 0);
    const json e = json::parse(result.out);
    CHECK(e.at("memory").at("weights_bytes").get<double>() == Approx(87.5e9).epsilon(0.01));
    bool reference_found = false;
    for (const auto& step : e.at("explain")) {
        if (step.at("name").get<std::string>() == "reference: weights_bytes") {
            reference_found = true;
            CHECK(step.at("value").get<double>() == 89e9);
            CHECK(step.at("formula").get<std::string>().find("seed §1.2") != std::string::npos);
        }
    }
    CHECK(reference_found);
}

TEST_CASE("cli: estimate --explain shows the eager-step overhead and where it comes from", "[cli][estimate]") {
    auto result = run_cli({"estimate", "--model", "base", "--gpu", "h100-sxm", "--engine", "sglang", "--explain", "-o", "json"});
    REQUIRE(result.status == 0);
    const json e = json::parse(result.out);
    const Catalog& catalog = test::builtin();
    const EfficiencyProfile profile =
        engine_profile(&catalog.engine("sglang"), catalog.hardware_by_id("h100-sxm"), Precision::fp16);
    const double layers = static_cast<double>(catalog.model("base").architecture.num_hidden_layers);
    std::map<std::string, json> steps;
    for (const auto& step : e.at("explain")) {
        steps[step.at("name").get<std::string>()] = step;
    }
    REQUIRE(steps.count("engine: eager_layer_overhead_us") == 1);
    CHECK(steps["engine: eager_layer_overhead_us"].at("value").get<double>() == profile.eager_layer_overhead_us);
    CHECK(steps["engine: eager_layer_overhead_us"].at("formula").get<std::string>().find("fit_eager_overhead.py") !=
          std::string::npos);
    REQUIRE(steps.count("engine: cuda_graph_max_tokens") == 1);
    CHECK(steps["engine: cuda_graph_max_tokens"].at("formula").get<std::string>().find("decode batches only") !=
          std::string::npos);
    // A dense model on SGLang: every prompt step is eager, L x the per-layer value.
    REQUIRE(steps.count("eager_step_overhead_ms") == 1);
    CHECK(steps["eager_step_overhead_ms"].at("value").get<double>() ==
          Approx(layers * profile.eager_layer_overhead_us / 1000.0));
    // The step overheads the step_overhead_ms line adds up are listed too: units x per layer.
    REQUIRE(steps.count("engine: per_layer_overhead_us") == 1);
    REQUIRE(steps.count("engine: moe_layer_overhead_us") == 1);
    CHECK(steps["engine: per_layer_overhead_us"].at("value").get<double>() == profile.per_layer_overhead_us);
    CHECK(steps["engine: moe_layer_overhead_us"].at("value").get<double>() == profile.moe_layer_overhead_us);
    CHECK(steps["step_overhead_ms"].at("value").get<double>() ==
          Approx(profile.per_step_overhead_ms +
                 steps["layer_overhead_units"].at("value").get<double>() * profile.per_layer_overhead_us / 1000.0));
}

TEST_CASE("cli: output is byte-identical across runs", "[cli]") {
    auto a = run_cli({"estimate", "--model", "pro", "--gpu", "a100-80gb", "--gpus", "4", "-o", "json"});
    auto b = run_cli({"estimate", "--model", "pro", "--gpu", "a100-80gb", "--gpus", "4", "-o", "json"});
    CHECK(a.out == b.out);
}

TEST_CASE("cli: tables are tab-separated when not a terminal, csv and markdown on request", "[cli]") {
    auto table = run_cli({"catalog", "hardware"});
    REQUIRE(table.status == 0);
    CHECK(table.out.find("id\tname\tkind\t") != std::string::npos);
    auto csv = run_cli({"catalog", "hardware", "-o", "csv"});
    CHECK(test::first_line(csv.out).find("id,name,kind,memory (GiB)") == 0);
    auto markdown = run_cli({"catalog", "hardware", "-o", "markdown"});
    CHECK(markdown.out.find("| id | name |") != std::string::npos);
    auto bad = run_cli({"catalog", "hardware", "-o", "yaml"});
    CHECK(bad.status == 2);
}

TEST_CASE("cli: --output-file writes atomically and reports an unwritable target with 74", "[cli]") {
    const std::string path = (std::filesystem::temp_directory_path() / "dsselect-test-output.json").string();
    auto ok = run_cli({"catalog", "models", "-o", "json", "--output-file", path});
    CHECK(ok.status == 0);
    CHECK(ok.out.empty());
    std::ifstream written(path);
    CHECK(json::parse(written).at("kind").get<std::string>() == "ModelList");
    std::filesystem::remove(path);
    auto missing_dir = run_cli({"catalog", "models", "--output-file", "/nonexistent-dir/x.json"});
    CHECK(missing_dir.status == 74);
    auto full = run_cli({"catalog", "models", "--output-file", "/dev/full"});
    CHECK(full.status == 74);
    CHECK(test::first_line(full.err) == "dsselect: error: /dev/full: cannot write: No space left on device");
    // A command that also makes notes (deploy) still starts stderr with the error line; the notes
    // follow it, and -q drops the notes but never the error.
    auto noted = run_cli({"deploy", "--scenario", "customer-service", "--output-file", "/dev/full"});
    CHECK(noted.status == 74);
    CHECK(test::first_line(noted.err) == "dsselect: error: /dev/full: cannot write: No space left on device");
    CHECK(noted.err.find("dsselect: note: ") != std::string::npos);
    auto quiet = run_cli({"-q", "deploy", "--scenario", "customer-service", "--output-file", "/dev/full"});
    CHECK(quiet.status == 74);
    CHECK(quiet.err == "dsselect: error: /dev/full: cannot write: No space left on device\n");
}

TEST_CASE("cli: schema prints each embedded schema exactly as schemas/ has it", "[cli][schema]") {
    auto list = run_cli({"schema"});
    REQUIRE(list.status == 0);
    std::istringstream names(list.out);
    int count = 0;
    for (std::string name; std::getline(names, name);) {
        ++count;
        auto printed = run_cli({"schema", name});
        REQUIRE(printed.status == 0);
        std::ifstream file(std::string(DSSELECT_SOURCE_DIR) + "/schemas/" + name + ".schema.json");
        std::stringstream expected;
        expected << file.rdbuf();
        INFO(name);
        CHECK(printed.out == expected.str());
        CHECK(json::parse(printed.out).at("$schema").get<std::string>() == "http://json-schema.org/draft-07/schema#");
    }
    CHECK(count >= 14);
    CHECK(run_cli({"schema", "Estimate"}).out == run_cli({"schema", "estimate"}).out);
    CHECK(run_cli({"schema", "nope"}).status == 2);
}

TEST_CASE("cli: batch streams one result per line in input order, then a summary", "[cli][batch]") {
    auto scenarios = run_cli({"catalog", "scenarios", "-o", "jsonl"});
    REQUIRE(scenarios.status == 0);
    const std::string input = scenarios.out + "{\"id\": \"broken\", \"workload\": {\"qps\": \"x\"}}\nnot json\n";
    test::TempFile file("batch.jsonl", input);
    auto result = run_cli({"batch", file.path()});
    REQUIRE(result.status == 0);
    std::istringstream lines(result.out);
    std::vector<json> records;
    for (std::string line; std::getline(lines, line);) {
        records.push_back(json::parse(line));
    }
    REQUIRE(records.size() == 13);  // 10 scenarios, 2 bad lines, the summary
    CHECK(records[0].at("kind").get<std::string>() == "BatchResult");
    CHECK(records[0].at("line").get<int>() == 1);
    CHECK(records[5].at("id").get<std::string>() == "customer-service");
    CHECK(records[5].at("result").at("kind").get<std::string>() == "Recommendation");
    CHECK(records[9].at("id").get<std::string>() == "multi-task-support");
    CHECK(records[9].at("result").contains("multi_task"));
    CHECK_FALSE(records[5].at("result").contains("multi_task"));
    CHECK(records[10].at("status").get<std::string>() == "invalid");
    CHECK(records[10].at("error").at("message").get<std::string>().find(":11: /workload") != std::string::npos);
    CHECK(records[11].at("error").at("exit_code").get<int>() == 65);
    const json& summary = records.back();
    CHECK(summary.at("kind").get<std::string>() == "BatchSummary");
    CHECK(summary.at("items").get<int>() == 12);
    CHECK(summary.at("invalid").get<int>() == 2);
    auto gated = run_cli({"batch", file.path(), "--fail-on", "invalid"});
    CHECK(gated.status == 65);
    CHECK(test::first_line(gated.err) == "dsselect: error: " + file.path() +
                                             ":11: /workload: missing required field 'prompt_tokens'");
    CHECK(gated.out == result.out);  // the records are complete either way
    CHECK(run_cli({"batch", file.path(), "--fail-on", "unsatisfiable"}).status == 0);
    auto one_thread = run_cli({"batch", file.path(), "--threads", "1"});
    CHECK(one_thread.out == result.out);  // identical whatever the thread count
}

TEST_CASE("cli: batch numbers a JSON array's elements from 1 across the whole array", "[cli][batch]") {
    // More elements than one chunk of judged items (64): numbering must not restart per chunk.
    std::string input = "[";
    for (int i = 1; i <= 150; ++i) {
        input += fmt::format("{}{{\"id\": \"item-{}\"}}", i == 1 ? "" : ",\n", i);
    }
    input += "]\n";
    test::TempFile file("array.json", input);
    auto result = run_cli({"batch", file.path()});
    REQUIRE(result.status == 0);
    std::istringstream lines(result.out);
    int expected_line = 0;
    for (std::string line; std::getline(lines, line);) {
        const json record = json::parse(line);
        if (record.at("kind").get<std::string>() == "BatchSummary") {
            CHECK(record.at("invalid").get<int>() == 150);
            continue;
        }
        ++expected_line;
        CHECK(record.at("line").get<int>() == expected_line);
        CHECK(record.at("error").at("message").get<std::string>().rfind(
                  fmt::format("{}:{}: ", file.path(), expected_line), 0) == 0);
    }
    CHECK(expected_line == 150);
}

TEST_CASE("cli: batch --fail-on unsatisfiable exits 1, a missing input exits 66", "[cli][batch]") {
    test::TempFile file("impossible.jsonl",
                        R"({"id": "impossible", "workload": {"prompt_tokens": 100, "output_tokens": 10, "qps": 1}, "constraints": {"max_latency_ms": 0.001}})"
                        "\n");
    auto result = run_cli({"batch", file.path(), "--fail-on", "unsatisfiable"});
    CHECK(result.status == 1);
    CHECK(result.out.find("\"status\":\"unsatisfiable\"") != std::string::npos);
    CHECK(run_cli({"batch", "/nonexistent.jsonl"}).status == 66);
}

TEST_CASE("cli: colour only with --color always, or auto on a terminal without NO_COLOR or TERM=dumb", "[cli]") {
    auto run_with = [](const std::vector<std::string>& args, dsselect::cli::Environment environment) {
        std::ostringstream out;
        std::ostringstream err;
        dsselect::cli::run(args, out, err, environment);
        return out.str();
    };
    const std::string bold = "\x1b[1m";
    dsselect::cli::Environment terminal;
    terminal.stdout_is_terminal = true;
    CHECK(run_with({"catalog", "models"}, terminal).find(bold) != std::string::npos);
    CHECK(run_with({"catalog", "models", "--color", "never"}, terminal).find(bold) == std::string::npos);
    dsselect::cli::Environment no_color = terminal;
    no_color.no_color = true;
    CHECK(run_with({"catalog", "models"}, no_color).find(bold) == std::string::npos);
    dsselect::cli::Environment dumb = terminal;
    dumb.term_dumb = true;
    CHECK(run_with({"catalog", "models"}, dumb).find(bold) == std::string::npos);
    CHECK(run_with({"catalog", "models"}, {}).find(bold) == std::string::npos);  // piped
    CHECK(run_with({"catalog", "models", "--color", "always"}, {}).find(bold) != std::string::npos);
    CHECK(run_with({"catalog", "models", "-o", "json", "--color", "always"}, terminal).find(bold) == std::string::npos);
}

TEST_CASE("cli: --quiet silences stderr but never changes stdout", "[cli]") {
    auto loud = run_cli({"recommend", "--scenario", "customer-service", "--max-latency-ms", "1"});
    auto quiet = run_cli({"recommend", "--scenario", "customer-service", "--max-latency-ms", "1", "-q"});
    CHECK_FALSE(loud.err.empty());
    CHECK(quiet.err.empty());
    CHECK(quiet.status == loud.status);
    CHECK(run_cli({"catalog", "models", "-q"}).out == run_cli({"catalog", "models"}).out);
}

// Standard input can be read once: a second input naming it would have found it empty and been
// reported as malformed JSON. Refused before any input is read.
TEST_CASE("cli: standard input named by two inputs is a usage error naming both", "[cli]") {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--data", "-", "recommend", "--scenario", "-"}, "--data, --scenario"},
        {{"validate", "-", "-"}, "files, files"},
        // rules eval never loads the catalog, so its --data is not a reader.
        {{"--data", "-", "rules", "eval", "--rule", "@-", "--input", "@-"}, "--rule, --input"},
        {{"recommend", "--scenario", "-", "--rules", "-"}, "--scenario, --rules"},
        {{"batch", "-", "--rules", "-"}, "input, --rules"},
    };
    for (const auto& [args, names] : cases) {
        INFO(names);
        const auto run = run_cli(args);
        CHECK(run.status == 2);
        CHECK(run.out.empty());
        CHECK(run.err.find("standard input can be read once, but 2 values read it ('-' or '@-'): " + names) !=
              std::string::npos);
    }
    // Only an option's own marker reads stdin, and only inputs count: rules eval's --rule and --input
    // take JSON text ("-" is malformed JSON, exit 65, no stdin read) and --output-file - is standard
    // output. Counted wrongly, any two of the three would make this exit 2.
    const auto text_dashes = run_cli({"--output-file", "-", "rules", "eval", "--rule", "-", "--input", "-"});
    CHECK(text_dashes.status == 65);
    CHECK(text_dashes.err.find("--rule: /: malformed JSON") != std::string::npos);
    // "@-" is a file name for the file inputs: missing, exit 66, whichever two name it.
    const auto at_dashes = run_cli({"--data", "@-", "validate", "@-"});
    CHECK(at_dashes.status == 66);
    CHECK(at_dashes.err.find("standard input can be read once") == std::string::npos);
}

TEST_CASE("cli: an unknown command gets a did-you-mean and exit 2", "[cli]") {
    auto result = run_cli({"--data", "x.json", "recommand", "--scenario", "customer-service"});
    CHECK(result.status == 2);
    CHECK(result.out.empty());
    CHECK(test::first_line(result.err) == "dsselect: error: unknown command 'recommand'; did you mean 'recommend'?");
}

TEST_CASE("validation: NUL bytes, control characters in keys and deep nesting give one-line errors", "[validation]") {
    const dsselect::Catalog base = dsselect::load_catalog({});
    std::string with_nul = "{\"schema_version\": \"1.0\"}";
    with_nul.insert(5, 1, '\0');
    auto nul = dsselect::validate_document({"nul.json", with_nul}, base);
    REQUIRE(nul.size() == 1);
    CHECK(nul[0] == "nul.json: /: malformed JSON: unexpected NUL byte at line 1, column 6");
    auto control = dsselect::validate_document({"key.json", "{\"schema_version\": \"1.0\", \"bo\\ngus\": 1}"}, base);
    REQUIRE(control.size() == 1);
    CHECK(control[0].find('\n') == std::string::npos);
    CHECK(control[0] == "key.json: /bo\\u000agus: unknown field 'bo\\u000agus'; did you mean 'models'?");
    // A value quoted back in the message ("got ...") is shown the same way (found by fuzz_catalog:
    // a scenario's tco.ownership "re\nted").
    auto value = dsselect::validate_document(
        {"value.json", "{\"schema_version\": \"1.0\", \"engines\": [{\"id\": \"vllm\", \"multi_gpu\": \"la\\nyer\"}]}"}, base);
    REQUIRE(value.size() == 1);
    CHECK(value[0] == "value.json: /engines/0/multi_gpu: expected \"tensor_parallel\" or \"layer_split\", got \"la\\u000ayer\"");
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    auto nested = dsselect::validate_document({"deep.json", deep}, base);
    REQUIRE(nested.size() == 1);
    CHECK(nested[0] == "deep.json: /: JSON nested deeper than 256 levels");
    // A key repeated in one object is refused at that object's pointer (array indices and
    // escaped keys counted), never resolved silently; the same key in sibling objects is fine,
    // and so is a repeated word inside a string value.
    // Keys are compared as the parser reads them ("\u006b" is "k").
    const std::string repeated = ": key 'k' appears twice in one object; JSON keeps only one of them, so remove the other";
    for (const auto& [text, pointer] : std::vector<std::pair<std::string, std::string>>{
             {"{\"schema_version\": \"1.0\", \"engines\": [{\"id\": \"a,b:c\", \"name\": \"x\"}, "
              "{\"id\": \"vllm\", \"sources\": {\"a/b\": {\"k\": 1, \"k\": 2}}}]}",
              "/engines/1/sources/a~1b"},
             {"{\"schema_version\": \"1.0\", \"engines\": [{\"id\": \"vllm\", \"sources\": {\"k\": 1, \"\\u006b\": 2}}]}",
              "/engines/0/sources"}}) {
        const auto twice = dsselect::validate_document({"twice.json", text}, base);
        REQUIRE(twice.size() == 1);
        CHECK(twice[0] == "twice.json: " + pointer + repeated);
    }
    // Text that is not JSON is a syntax error, never a repeated key.
    auto broken = dsselect::validate_document({"broken.json", "{\"a\": 1 \"a\": 2}"}, base);
    REQUIRE(broken.size() == 1);
    CHECK(broken[0].find("malformed JSON") != std::string::npos);
    auto siblings = dsselect::validate_document(
        {"siblings.json", "{\"schema_version\": \"1.0\", \"engines\": [{\"id\": \"vllm\"}, {\"id\": \"sglang\"}]}"},
        base);
    CHECK(siblings.empty());
}

TEST_CASE("render: every candidate column shows a key of the candidate JSON, once per view", "[cli][render]") {
    using report::CandidateView;
    const auto recommended = run_cli({"recommend", "--scenario", "customer-service", "-o", "json"});
    REQUIRE(recommended.status == 0);
    const json candidate = json::parse(recommended.out).at("recommendations").at(0);
    for (const CandidateView view : {CandidateView::ranked, CandidateView::compared, CandidateView::page}) {
        const auto columns = report::candidate_columns(view);
        REQUIRE(columns.size() >= 10);
        std::set<std::string> headers;
        for (const report::CandidateColumn* column : columns) {
            INFO(column->header);
            CHECK(headers.insert(column->header).second);
            if (column->json_key.empty()) {
                CHECK(column->format == report::CellFormat::label);  // the label joins several keys
                continue;
            }
            // "memory.per_gpu_bytes": a dot joins nested keys.
            const json* value = &candidate;
            std::string key = column->json_key;
            for (std::size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.')) {
                value = &value->at(key.substr(0, dot));
                key = key.substr(dot + 1);
            }
            CHECK(value->contains(key));
        }
    }
    // The three views share the numbers: the page's columns are the ranked table's, with the
    // label instead of model, variant and hardware, and a verdict instead of the warnings.
    CHECK(report::candidate_columns(CandidateView::compared).size() == report::candidate_columns(CandidateView::ranked).size() + 2);
}

TEST_CASE("render: a cell is '-' where the candidate has no such value", "[cli][render]") {
    Candidate rejected = evaluate_candidate(test::builtin(), test::builtin().scenario("customer-service"),
                                            test::builtin_rules(), test::builtin().model("ultra"),
                                            test::builtin().variant("fp16"), test::builtin().hardware_by_id("l4"), 1,
                                            SearchOptions{});
    REQUIRE_FALSE(rejected.accepted());
    REQUIRE_FALSE(rejected.costed);
    for (const report::CandidateColumn* column : report::candidate_columns(report::CandidateView::ranked)) {
        INFO(column->header);
        const std::string cell = report::candidate_cell(*column, rejected, "1");
        if (column->requires_value == report::CellRequires::costed) {
            CHECK(cell == "-");
        } else {
            CHECK_FALSE(cell.empty());
        }
    }
}

TEST_CASE("cli: each command refuses a format it does not declare, with exit 2 and no output", "[cli][render]") {
    auto scenario = run_cli({"catalog", "scenarios", "customer-service", "-o", "jsonl"});
    REQUIRE(scenario.status == 0);
    test::TempFile file("formats.jsonl", scenario.out);
    for (const std::string format : {"table", "csv", "markdown", "html"}) {
        auto batch = run_cli({"batch", file.path(), "-o", format});
        INFO(format);
        CHECK(batch.status == 2);
        CHECK(batch.out.empty());
    }
    CHECK(test::first_line(run_cli({"batch", file.path(), "-o", "csv"}).err) ==
          "dsselect: error: -o csv: batch writes JSON Lines or JSON only");
    CHECK(run_cli({"batch", file.path(), "-o", "jsonl"}).status == 0);
    CHECK(run_cli({"batch", file.path()}).status == 0);  // its default: JSON Lines
    auto report_csv = run_cli({"report", "--scenario", "customer-service", "-o", "csv"});
    CHECK(report_csv.status == 2);
    CHECK(test::first_line(report_csv.err) == "dsselect: error: -o csv: report writes HTML only");
}

TEST_CASE("cli: a failed write of --help or --version or a result is exit 74", "[cli]") {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"--help"}, {"--version"}, {"catalog", "models"}, {"schema", "estimate"}}) {
        std::ostream full(nullptr);  // every write fails, as on /dev/full
        std::ostringstream err;
        CHECK(dsselect::cli::run(args, full, err) == 74);
        CHECK(test::first_line(err.str()) == "dsselect: error: standard output: cannot write");
    }
}

TEST_CASE("cli: -q drops notes but never a command's own error lines", "[cli]") {
    test::TempFile bad("quiet-bad.json", R"({"schema_version": "1.0", "hardware": [{"id": "g"}]})");
    const auto loud = run_cli({"validate", bad.path()});
    const auto quiet = run_cli({"-q", "validate", bad.path()});
    CHECK(loud.status == 65);
    CHECK(quiet.status == 65);
    REQUIRE_FALSE(quiet.err.empty());
    CHECK(test::first_line(quiet.err).rfind("dsselect: error: " + bad.path() + ": ", 0) == 0);
    CHECK(test::first_line(quiet.err) == test::first_line(loud.err));
    CHECK(quiet.err.find("missing required field 'peak_tflops'") != std::string::npos);  // every problem's line
    CHECK(loud.err.find("dsselect: 4 problems found") != std::string::npos);  // the summary: a message -q drops
    CHECK(quiet.err.find("problems found") == std::string::npos);
}

TEST_CASE("cli: exit 1 names every flag change of the nearest miss and tco exits 1 on a costed miss", "[cli][advice]") {
    // Issue 19: following the advice once admits a candidate (tests/test_advice.cpp applies all).
    const auto unsatisfied = run_cli({"recommend", "--scenario", "finance-risk", "--max-latency-ms", "18"});
    CHECK(unsatisfied.status == 1);
    CHECK(unsatisfied.err.find("; to admit it: --") != std::string::npos);
    CHECK(unsatisfied.err.find("relax --") == std::string::npos);
    // A latency miss is sized and costed at batch 1, marked, and tco says so with exit 1.
    const auto tco = run_cli({"tco", "--scenario", "customer-service", "base:fp16@a40x2", "-o", "json"});
    CHECK(tco.status == 1);
    const json candidate = json::parse(tco.out);
    CHECK(candidate.at("meets_constraints") == false);
    CHECK(candidate.at("constraint_misses").at(0).at("check") == "latency");
}

TEST_CASE("cli: a model without a published quality figure shows '-' and quality_published false", "[cli][quality]") {
    // deepseek-r1-distill-qwen-7b publishes reasoning and code figures, none for the default task kind.
    auto json_result = run_cli({"compare", "--scenario", "customer-service", "deepseek-r1-distill-qwen-7b:bf16@h100-sxm",
                                "--min-quality", "0", "-o", "json"});
    REQUIRE(json_result.status == 0);
    const json candidate = json::parse(json_result.out).at("candidates").at(0);
    CHECK(candidate.at("quality_published") == false);
    auto table = run_cli({"compare", "--scenario", "customer-service", "deepseek-r1-distill-qwen-7b:bf16@h100-sxm",
                          "--min-quality", "0", "-o", "csv"});
    REQUIRE(table.status == 0);
    CHECK(table.out.find(",0.0000,") == std::string::npos);
    auto published = run_cli({"compare", "--scenario", "research-reasoning", "deepseek-r1-distill-qwen-7b:bf16@h100-sxm",
                              "--min-quality", "0", "-o", "json"});
    REQUIRE(published.status <= 1);
    CHECK(json::parse(published.out).at("candidates").at(0).at("quality_published") == true);
}

// An engine's FP8 KV default needs FP8 hardware: an A100 keeps 16 bits, an H100 stores 8, and the
// user's flag still wins; the search sizes an A100 candidate with the 16-bit cache.
TEST_CASE("kv dtype: an engine default of FP8 stays 16-bit on hardware with no FP8 peak", "[kv][catalog]") {
    const Catalog& catalog = test::builtin();
    const Engine& trtllm = catalog.engine("trtllm");
    const Variant& int4 = catalog.variant("int4");
    const Hardware& a100 = catalog.hardware_by_id("a100-80gb");
    const Hardware& h100 = catalog.hardware_by_id("h100-sxm");
    const Model& base = catalog.model("base");
    REQUIRE(kv_cache_bits_for(&trtllm, base, int4) == std::optional<double>(8.0));
    CHECK(kv_cache_bits_for(&trtllm, base, int4, std::nullopt, &a100) == std::optional<double>(16.0));
    CHECK(kv_cache_bits_for(&trtllm, base, int4, std::nullopt, &h100) == std::optional<double>(8.0));
    CHECK(kv_cache_bits_for(&trtllm, base, int4, 8.0, &a100) == std::optional<double>(8.0));
    const auto a100_run = run_cli({"estimate", "--model", "base", "--variant", "int4", "--gpu", "a100-80gb", "--engine",
                                   "trtllm", "-o", "json"});
    const auto h100_run = run_cli({"estimate", "--model", "base", "--variant", "int4", "--gpu", "h100-sxm", "--engine",
                                   "trtllm", "-o", "json"});
    REQUIRE(a100_run.status == 0);
    REQUIRE(h100_run.status == 0);
    const double a100_kv = json::parse(a100_run.out).at("memory").at("kv_cache_bytes_per_token").get<double>();
    const double h100_kv = json::parse(h100_run.out).at("memory").at("kv_cache_bytes_per_token").get<double>();
    CHECK(a100_kv == Approx(2.0 * h100_kv));
}

// Issue 20: an engine that reads the KV-cache type from the checkpoint (TensorRT-LLM, "fp8") runs
// DeepSeek-V3's FP8 release, whose quantization config names none, with a 16-bit cache; the
// estimate, the search and deploy agree on it, and the flag still wins.
TEST_CASE("kv dtype: a checkpoint naming no KV quantization keeps TensorRT-LLM's cache 16-bit", "[kv][catalog]") {
    const Catalog& catalog = test::builtin();
    const Engine& trtllm = catalog.engine("trtllm");
    const Variant& fp8 = catalog.variant("fp8");
    const Model& v3 = catalog.model("deepseek-v3");
    const Model& base = catalog.model("base");
    REQUIRE(v3.checkpoint_kv_cache_dtype.at("fp8") == "auto");
    CHECK(checkpoint_sets_kv_cache_dtype(&trtllm, v3, fp8));
    CHECK_FALSE(checkpoint_sets_kv_cache_dtype(&trtllm, base, fp8));  // no checkpoint described
    CHECK_FALSE(checkpoint_sets_kv_cache_dtype(&catalog.engine("vllm"), v3, fp8));  // vLLM's auto is its own
    CHECK(engine_kv_cache_dtype(&trtllm, v3, fp8) == "auto");
    CHECK(kv_cache_bits_for(&trtllm, v3, fp8) == std::nullopt);  // the variant's 16 bits
    CHECK(kv_cache_bits_for(&trtllm, v3, fp8, 8.0) == std::optional<double>(8.0));
    Model names_fp8 = v3;
    names_fp8.checkpoint_kv_cache_dtype["fp8"] = "fp8";
    CHECK(kv_cache_bits_for(&trtllm, names_fp8, fp8) == std::optional<double>(8.0));

    const auto kv_bytes = [](const std::vector<std::string>& args) {
        auto run = run_cli(args);
        REQUIRE(run.status == 0);
        return json::parse(run.out).at("memory").at("kv_cache_bytes_per_token").get<double>();
    };
    const std::vector<std::string> v3_trt = {"estimate", "--model", "deepseek-v3", "--variant", "fp8", "--gpu", "h200",
                                             "--gpus", "8", "--engine", "trtllm", "-o", "json"};
    std::vector<std::string> v3_trt_fp8 = v3_trt;
    v3_trt_fp8.insert(v3_trt_fp8.end(), {"--kv-cache-dtype", "fp8"});
    CHECK(kv_bytes(v3_trt) == Approx(2.0 * kv_bytes(v3_trt_fp8)));
    auto explained = run_cli({"estimate", "--model", "deepseek-v3", "--variant", "fp8", "--gpu", "h200", "--gpus", "8",
                              "--engine", "trtllm", "--explain"});
    REQUIRE(explained.status == 0);
    CHECK(explained.out.find("checkpoint_kv_cache_dtype fp8, auto") != std::string::npos);
    CHECK(explained.out.find("checkpoint_kv_cache_dtype fp8, auto, the checkpoint names none, so variant 'fp8' "
                             "kv_cache_bits: huggingface.co/deepseek-ai/DeepSeek-V3") != std::string::npos);
    // A checkpoint that names FP8 keeps the engine's FP8, and hardware without an FP8 peak still
    // stores 16 bits: the explanation says both.
    test::TempFile names("kv-checkpoint-fp8.json", R"({"schema_version": "1.0", "models": [{"id": "base",
                                                    "checkpoint_kv_cache_dtype": {"int4-w4a16": "fp8"}}]})");
    auto on_a100 = run_cli({"--data", names.path(), "estimate", "--model", "base", "--variant", "int4", "--gpu",
                            "a100-80gb", "--engine", "trtllm", "--explain"});
    REQUIRE(on_a100.status == 0);
    CHECK(on_a100.out.find("checkpoint_kv_cache_dtype int4-w4a16, fp8, as the checkpoint names it; 16-bit on "
                           "'a100-80gb', which has no FP8 peak") != std::string::npos);

    // The search sizes the candidate with the same cache: a sequence of the DeepSeek-V3 FP8
    // candidate holds as many KV bytes on TensorRT-LLM as on vLLM (16-bit on both), and half
    // as many when the user asks for FP8.
    const auto kv_per_sequence = [](const std::string& engine, const std::string& dtype) {
        auto run = run_cli({"compare", "--scenario", "research-reasoning", "deepseek-v3:fp8@h200x8", "--engine", engine,
                            "--kv-cache-dtype", dtype, "--min-quality", "0", "-o", "json"});
        REQUIRE(run.status <= 1);
        const json candidate = json::parse(run.out).at("candidates").at(0);
        return candidate.at("memory").at("kv_cache_bytes").get<double>() / candidate.at("batch_per_replica").get<double>();
    };
    CHECK(kv_per_sequence("trtllm", "auto") == Approx(kv_per_sequence("vllm", "auto")));
    CHECK(kv_per_sequence("trtllm", "auto") == Approx(2.0 * kv_per_sequence("trtllm", "fp8")));
}

// Issue 20: the KV-cache type each engine stores by default (data/engines.json kv_cache_dtype).
TEST_CASE("kv dtype: the engine default follows the variant's format and the flag wins", "[kv][catalog]") {
    const Catalog& catalog = test::builtin();
    const Engine& trtllm = catalog.engine("trtllm");
    const Engine& vllm = catalog.engine("vllm");
    const Variant& fp8 = catalog.variant("fp8");
    const Variant& fp16 = catalog.variant("fp16");
    const Model& base = catalog.model("base");
    CHECK(engine_kv_cache_dtype(&trtllm, base, fp8) == "fp8");
    CHECK(kv_cache_bits_for(&trtllm, base, fp8) == std::optional<double>(8.0));
    CHECK(kv_cache_bits_for(&trtllm, base, fp16) == std::nullopt);  // auto: the variant's kv_cache_bits
    CHECK(kv_cache_bits_for(&vllm, base, fp8) == std::nullopt);
    CHECK(kv_cache_bits_for(nullptr, base, fp8) == std::nullopt);
    CHECK(kv_cache_bits_for(&trtllm, base, fp8, 16.0) == std::optional<double>(16.0));
    CHECK(kv_cache_bits_for(&vllm, base, fp8, kv_cache_dtype_bits("fp8")) == std::optional<double>(8.0));
    CHECK(kv_cache_dtype_bits("auto") == std::nullopt);
    CHECK(kv_cache_dtype_bits("bf16") == std::optional<double>(16.0));
    for (const Engine& engine : catalog.engines) {
        INFO(engine.id);
        CHECK(engine.sources.count("kv_cache_dtype") == 1);  // every shipped default carries its source
    }
}

TEST_CASE("kv dtype: an engine's kv_cache_dtype reads back and a bad key or type names its pointer", "[kv][cli][data]") {
    test::TempFile good("kv.json", R"({"schema_version":"1.0","engines":[{"id":"vllm","kv_cache_dtype":{"fp8":"fp8"}}]})");
    const auto read = run_cli({"--data", good.path(), "catalog", "engines", "vllm", "-o", "json"});
    REQUIRE(read.status == 0);
    const json engine = json::parse(read.out).at("engines").at(0);
    CHECK(engine.at("kv_cache_dtype").at("fp8") == "fp8");
    CHECK(engine.at("kv_cache_dtype").at("bf16") == "auto");  // objects merge key by key
    test::TempFile key("kv-key.json", R"({"schema_version":"1.0","engines":[{"id":"vllm","kv_cache_dtype":{"fp9":"fp8"}}]})");
    const auto bad_key = run_cli({"--data", key.path(), "catalog", "engines"});
    CHECK(bad_key.status == 65);
    CHECK(bad_key.err.find(key.path() + ": /engines/0/kv_cache_dtype/fp9: expected a serving format") != std::string::npos);
    test::TempFile type("kv-type.json", R"({"schema_version":"1.0","engines":[{"id":"vllm","kv_cache_dtype":{"fp8":8}}]})");
    const auto bad_type = run_cli({"--data", type.path(), "catalog", "engines"});
    CHECK(bad_type.status == 65);
    CHECK(bad_type.err.find("/engines/0/kv_cache_dtype/fp8: expected one of auto, fp16, bf16, fp8, got 8") != std::string::npos);
    // A model's checkpoint_kv_cache_dtype reads the same way.
    test::TempFile model_type("kv-model.json", R"({"schema_version":"1.0","models":[{"id":"deepseek-v3","checkpoint_kv_cache_dtype":{"fp8":"int4"}}]})");
    const auto bad_model = run_cli({"--data", model_type.path(), "catalog", "models"});
    CHECK(bad_model.status == 65);
    CHECK(bad_model.out.empty());
    CHECK(bad_model.err.find(model_type.path() + ": /models/0/checkpoint_kv_cache_dtype/fp8: expected one of auto, fp16, bf16, fp8, got \"int4\"") !=
          std::string::npos);
    const auto v3 = run_cli({"catalog", "models", "deepseek-v3", "-o", "json"});
    REQUIRE(v3.status == 0);
    CHECK(json::parse(v3.out).at("models").at(0).at("checkpoint_kv_cache_dtype").at("fp8") == "auto");
}

// Issue 20: the engines' routed-expert kernel laws (data/engines.json moe_expert_kernels) and
// --expert-parallel.
TEST_CASE("moe kernels: --explain names the law's memory side, the engine's where the law has none", "[engine][cli][moe]") {
    // (Eight H200s: DeepSeek-V3's FP8 weights do not fit in eight H100s, and a configuration that does
    // not fit is not timed.)
    const std::vector<std::string> args = {"estimate", "--model", "deepseek-v3", "--variant", "fp8", "--gpu", "h200",
                                           "--gpus", "8", "--engine", "sglang", "--explain"};
    // Shipped laws carry no memory side: the engine's memory_efficiency and no latency, said so.
    const auto shipped = run_cli(args);
    REQUIRE(shipped.status == 0);
    CHECK(explain_value(shipped.out, "engine: moe_kernel_memory_efficiency") == explain_value(shipped.out, "engine: memory_efficiency"));
    CHECK(explain_value(shipped.out, "engine: moe_kernel_latency_us") == 0.0);
    CHECK(shipped.out.find("no latency_us in the law: 0") != std::string::npos);
    // A user law with one: its values, from its entry, and the step overhead's units lose the
    // routed experts' half unit on each of DeepSeek-V3's 58 MoE layers.
    test::TempFile side("moe-explain.json", R"({"schema_version":"1.0","engines":[{"id":"sglang","moe_expert_kernels":[
        {"weight_format":"fp8_block","efficiency":0.5,"routed_columns":0,"token_columns":3000,"ridge_exponent":1.5,
         "memory_efficiency":0.83,"latency_us":26,"source":"user kernel table"}]}]})");
    std::vector<std::string> with_side = {"--data", side.path()};
    with_side.insert(with_side.end(), args.begin(), args.end());
    const auto own = run_cli(with_side);
    REQUIRE(own.status == 0);
    CHECK(explain_value(own.out, "engine: moe_kernel_memory_efficiency") == 0.83);
    CHECK(explain_value(own.out, "engine: moe_kernel_latency_us") == 26.0);
    CHECK(own.out.find("user kernel table") != std::string::npos);
    // The estimator's steps are in the JSON explanation: the step overhead's units lose the routed
    // experts' half unit on each of DeepSeek-V3's 58 MoE layers, and only where the law has a latency.
    const auto units = [](const std::vector<std::string>& call) {
        std::vector<std::string> json_call = call;
        json_call.insert(json_call.end(), {"-o", "json"});
        const auto run = run_cli(json_call);
        REQUIRE(run.status == 0);
        const json explained = json::parse(run.out);
        std::map<std::string, double> values;
        for (const auto& step : explained.at("explain")) {
            values[step.at("name").get<std::string>()] = step.at("value").get<double>();
        }
        return values;
    };
    const auto own_steps = units(with_side);
    REQUIRE(own_steps.count("step_overhead_units") == 1);
    CHECK(own_steps.at("layer_overhead_units") - own_steps.at("step_overhead_units") == Approx(29.0));
    CHECK(units(args).count("step_overhead_units") == 0);
}

// The explanation for people prints a long source once: the engine's factor-set source, shared by
// its factors' lines, would otherwise fill most of the page.
TEST_CASE("cli: estimate --explain prints a shared source once and names its first line after", "[cli][estimate]") {
    const std::vector<std::string> args = {"estimate", "--model", "deepseek-v3", "--variant", "fp8", "--gpu", "h200",
                                           "--gpus", "8", "--engine", "sglang", "--explain"};
    const auto json_run = [&] {
        std::vector<std::string> call = args;
        call.insert(call.end(), {"-o", "json"});
        return run_cli(call);
    }();
    REQUIRE(json_run.status == 0);
    const json explained = json::parse(json_run.out);
    std::map<std::string, std::string> source_of_line;
    for (const auto& step : explained.at("explain")) {
        source_of_line[step.at("name").get<std::string>()] = step.at("formula").get<std::string>();
    }
    const std::string& shared = source_of_line.at("engine: compute_efficiency");
    REQUIRE(shared.size() > 1000);
    REQUIRE(source_of_line.at("engine: memory_efficiency") == shared);
    const auto count = [](const std::string& text, const std::string& part) {
        std::size_t n = 0;
        for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) {
            ++n;
        }
        return n;
    };
    for (const char* format : {"table", "markdown"}) {
        INFO(format);
        std::vector<std::string> call = args;
        call.insert(call.end(), {"-o", format});
        const auto run = run_cli(call);
        REQUIRE(run.status == 0);
        CHECK(count(run.out, shared) == 1);
        CHECK(run.out.find("source as for engine: compute_efficiency above") != std::string::npos);
        // The values are printed on every line all the same.
        CHECK(run.out.find(std::string(format) == "table" ? "engine: memory_efficiency\t0.82\t"
                                                          : "engine: memory_efficiency | 0.82 |") != std::string::npos);
        // Every quantity keeps its line.
        for (const auto& [name, source] : source_of_line) {
            CHECK(run.out.find(std::string(format) == "table" ? name + "\t" : "| " + name + " |") != std::string::npos);
        }
    }
    // The CSV is for machines: every line keeps its whole text.
    std::vector<std::string> csv_call = args;
    csv_call.insert(csv_call.end(), {"-o", "csv"});
    const auto csv = run_cli(csv_call);
    REQUIRE(csv.status == 0);
    CHECK(count(csv.out, "source as for") == 0);
    CHECK(count(csv.out, "fitted jointly with the 16-bit value") >= 8);
}

TEST_CASE("moe kernels: shipped laws carry sources, read back, and bad entries name their pointer", "[engine][cli][data][moe]") {
    const Catalog& catalog = test::builtin();
    for (const char* id : {"vllm", "sglang", "trtllm"}) {
        INFO(id);
        const Engine& engine = catalog.engine(id);
        REQUIRE(moe_expert_kernel(&engine, "bf16", catalog.hardware_by_id("h100-sxm")) != nullptr);
        REQUIRE(moe_expert_kernel(&engine, "fp8_block", catalog.hardware_by_id("h100-sxm")) != nullptr);
        // One law per format timed on the H100 serves every GPU; the B200's own, timed on it, serve it.
        for (const MoeExpertKernel& kernel : engine.moe_expert_kernels) {
            const bool b200 = kernel.hardware_ids_containing == std::vector<std::string>{"b200"};
            CHECK((b200 || kernel.hardware_ids_containing.empty()));
            CHECK(kernel.source.find(b200 ? "aiconfigurator-b200-moe-kernels.csv" : "aiconfigurator-h100-moe-kernels.csv") !=
                  std::string::npos);
        }
        for (const char* format : {"bf16", "fp8_block"}) {
            const MoeExpertKernel* b200 = moe_expert_kernel(&engine, format, catalog.hardware_by_id("b200"));
            REQUIRE(b200 != nullptr);
            CHECK(b200->hardware_ids_containing == std::vector<std::string>{"b200"});
            CHECK(moe_expert_kernel(&engine, format, catalog.hardware_by_id("h200"))->hardware_ids_containing.empty());
        }
    }
    CHECK(catalog.engine("llama.cpp").moe_expert_kernels.empty());
    // --explain cites the law the estimate applied on that GPU: the B200's own there, the H100's on an H200.
    for (const auto& [gpu, table] : {std::pair{"b200", "aiconfigurator-b200-moe-kernels.csv"},
                                     std::pair{"h200", "aiconfigurator-h100-moe-kernels.csv"}}) {
        INFO(gpu);
        const auto explained = run_cli({"estimate", "--model", "deepseek-v3", "--variant", "fp8", "--gpu", gpu, "--gpus", "8",
                                        "--engine", "sglang", "--explain", "-o", "json"});
        REQUIRE(explained.status == 0);
        const json steps = json::parse(explained.out).at("explain");
        const auto step = std::find_if(steps.begin(), steps.end(), [](const json& s) {
            return s.at("name") == "engine: moe_kernel_efficiency";
        });
        REQUIRE(step != steps.end());
        const MoeExpertKernel* applied =
            moe_expert_kernel(&catalog.engine("sglang"), "fp8_block", catalog.hardware_by_id(gpu));
        REQUIRE(applied != nullptr);
        CHECK(step->at("value") == applied->efficiency);
        CHECK(step->at("formula").get<std::string>().find(table) != std::string::npos);
    }
    test::TempFile good("moe.json", R"({"schema_version":"1.0","engines":[{"id":"vllm","moe_expert_kernels":[
        {"weight_format":"bf16","efficiency":0.5,"routed_columns":10,"token_columns":20,"ridge_exponent":1.5,"source":"test"}]}]})");
    const auto read = run_cli({"--data", good.path(), "catalog", "engines", "vllm", "-o", "json"});
    REQUIRE(read.status == 0);
    const json kernels = json::parse(read.out).at("engines").at(0).at("moe_expert_kernels");
    REQUIRE(kernels.size() == 1);  // arrays replace
    CHECK(kernels.at(0).at("efficiency") == 0.5);
    CHECK(kernels.at(0).at("token_columns") == 20.0);
    CHECK(kernels.at(0).at("ridge_exponent") == 1.5);
    // The optional memory side is written back only when the law has one (the shipped laws do not).
    CHECK_FALSE(kernels.at(0).contains("memory_efficiency"));
    CHECK_FALSE(kernels.at(0).contains("latency_us"));
    test::TempFile side("moe-side.json", R"({"schema_version":"1.0","engines":[{"id":"vllm","moe_expert_kernels":[
        {"weight_format":"bf16","efficiency":0.5,"routed_columns":10,"token_columns":20,"ridge_exponent":1.5,
         "memory_efficiency":0.88,"latency_us":30,"source":"test"}]}]})");
    const auto side_read = run_cli({"--data", side.path(), "catalog", "engines", "vllm", "-o", "json"});
    REQUIRE(side_read.status == 0);
    const json side_kernel = json::parse(side_read.out).at("engines").at(0).at("moe_expert_kernels").at(0);
    CHECK(side_kernel.at("memory_efficiency") == 0.88);
    CHECK(side_kernel.at("latency_us") == 30.0);
    const auto rejects = [](const std::string& kernel, const std::string& expected) {
        test::TempFile bad("moe-bad.json", R"({"schema_version":"1.0","engines":[{"id":"vllm","moe_expert_kernels":[)" +
                                               kernel + "]}]}");
        const auto out = run_cli({"--data", bad.path(), "catalog", "engines"});
        INFO(out.err);
        CHECK(out.status == 65);
        CHECK(out.out.empty());
        CHECK(out.err.find(bad.path() + ": /engines/0/moe_expert_kernels/" + expected) != std::string::npos);
    };
    rejects(R"({"weight_format":"int4","efficiency":0.5,"routed_columns":0,"token_columns":0,"ridge_exponent":1,"source":"s"})",
            "0/weight_format: expected one of bf16, fp8, fp8_block");
    rejects(R"({"weight_format":"bf16","efficiency":1.5,"routed_columns":0,"token_columns":0,"ridge_exponent":1,"source":"s"})", "0/efficiency");
    rejects(R"({"weight_format":"bf16","efficiency":0.5,"routed_columns":-1,"token_columns":0,"ridge_exponent":1,"source":"s"})",
            "0/routed_columns");
    rejects(R"({"weight_format":"bf16","efficiency":0.5,"routed_columns":0,"ridge_exponent":1,"source":"s"})",
            "0: missing required field 'token_columns'");
    rejects(R"({"weight_format":"bf16","efficiency":0.5,"routed_columns":0,"token_columns":0,"ridge_exponent":0.5,"source":"s"})",
            "0/ridge_exponent: expected a number from 1 to 16, got 0.5");
    rejects(R"({"weight_format":"bf16","efficiency":0.5,"routed_columns":0,"token_columns":0,"ridge_exponent":20,"source":"s"})",
            "0/ridge_exponent: expected a number from 1 to 16, got 20");
    rejects(R"({"weight_format":"bf16","efficiency":0.0001,"routed_columns":0,"token_columns":0,"ridge_exponent":1,"source":"s"})",
            "0/efficiency: expected at least 0.001, got 0.0001");
    rejects(R"({"weight_format":"bf16","efficiency":0.5,"routed_columns":0,"token_columns":2e6,"ridge_exponent":1,"source":"s"})",
            "0/token_columns: expected at most 1000000 columns, got 2000000");
    rejects(R"({"weight_format":"bf16","efficiency":0.5,"routed_columns":0,"token_columns":0,"ridge_exponent":1,
               "memory_efficiency":1.5,"source":"s"})", "0/memory_efficiency");
    rejects(R"({"weight_format":"bf16","efficiency":0.5,"routed_columns":0,"token_columns":0,"ridge_exponent":1,
               "latency_us":-1,"source":"s"})", "0/latency_us");
    rejects(R"({"weight_format":"bf16","efficiency":0.5,"routed_columns":0,"token_columns":0,"ridge_exponent":1,
               "latency_us":20000,"source":"s"})", "0/latency_us: expected at most 10000 microseconds, got 20000");
    // A law per GPU: two entries of one format name different GPUs, never the same ones.
    const std::string law = R"("efficiency":0.5,"routed_columns":0,"token_columns":0,"ridge_exponent":1,"source":"s")";
    rejects(R"({"weight_format":"bf16",)" + law + R"(},{"weight_format":"bf16",)" + law + "}",
            "1/weight_format: duplicate weight format \"bf16\" for every GPU: one kernel law per format naming no "
            "hardware_ids_containing");
    rejects(R"({"weight_format":"bf16","hardware_ids_containing":["b200","h200"],)" + law +
                R"(},{"weight_format":"bf16","hardware_ids_containing":["h200"],)" + law + "}",
            "1/hardware_ids_containing: \"h200\" is named by an earlier \"bf16\" law: one kernel law per format and GPU");
    rejects(R"({"weight_format":"bf16","hardware_ids_containing":[""],)" + law + "}",
            "0/hardware_ids_containing/0: expected a non-empty string, got \"\"");
    test::TempFile per_gpu("moe-gpu.json", R"({"schema_version":"1.0","engines":[{"id":"vllm","moe_expert_kernels":[
        {"weight_format":"bf16","hardware_ids_containing":["b200"],)" + law + R"(},{"weight_format":"bf16",)" + law + "}]}]}");
    const auto per_gpu_read = run_cli({"--data", per_gpu.path(), "catalog", "engines", "vllm", "-o", "json"});
    REQUIRE(per_gpu_read.status == 0);
    const json per_gpu_kernels = json::parse(per_gpu_read.out).at("engines").at(0).at("moe_expert_kernels");
    REQUIRE(per_gpu_kernels.size() == 2);
    CHECK(per_gpu_kernels.at(0).at("hardware_ids_containing") == json::array({"b200"}));
    CHECK_FALSE(per_gpu_kernels.at(1).contains("hardware_ids_containing"));
    test::TempFile scales("moe-scales.json", R"({"schema_version":"1.4","models":[{"id":"deepseek-v3",
        "checkpoint_fp8_weight_scales":"channel"}]})");
    const auto bad_scales = run_cli({"--data", scales.path(), "catalog", "models"});
    CHECK(bad_scales.status == 65);
    CHECK(bad_scales.out.empty());
    CHECK(bad_scales.err.find(scales.path() + ": /models/0/checkpoint_fp8_weight_scales: expected \"block\" or \"tensor\", "
                              "got \"channel\"") != std::string::npos);
    const auto v3 = run_cli({"catalog", "models", "deepseek-v3", "-o", "json"});
    REQUIRE(v3.status == 0);
    CHECK(json::parse(v3.out).at("models").at(0).at("checkpoint_fp8_weight_scales") == "block");
    rejects(R"({"weight_format":"bf16","efficiency":0.5,"routed_columns":0,"token_columns":0,"ridge_exponent":1,"source":"s"},
               {"weight_format":"bf16","efficiency":0.4,"routed_columns":0,"token_columns":0,"ridge_exponent":1,"source":"s"})",
            "1/weight_format: duplicate weight format \"bf16\"");
}

TEST_CASE("moe kernels: --expert-parallel times the experts split whole, and refuses what cannot split", "[cli][moe]") {
    const auto ttft = [](std::vector<std::string> extra) {
        std::vector<std::string> args = {"estimate", "--model", "deepseek-v3", "--variant", "fp8", "--gpu", "h200",
                                         "--gpus", "8", "--engine", "trtllm", "--prompt-tokens", "8192", "-o", "json",
                                         "--explain"};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto out = run_cli(args);
        INFO(out.err);
        REQUIRE(out.status == 0);
        return json::parse(out.out);
    };
    const json tp = ttft({});
    const json ep = ttft({"--expert-parallel"});
    const auto step = [](const json& document, const std::string& name) {
        for (const json& item : document.at("explain")) {
            if (item.at("name") == name) {
                return item.at("value").get<double>();
            }
        }
        FAIL("no explain step " << name);
        return 0.0;
    };
    CHECK(step(tp, "input: expert_parallel_size") == 1.0);
    CHECK(step(ep, "input: expert_parallel_size") == 8.0);
    // TensorRT-LLM's block-scaled FP8 law: a routed token costs more columns than a TP 8 slice
    // holds (256), so the whole experts of EP 8 are faster per token.
    CHECK(step(tp, "engine: moe_kernel_routed_columns") > 256.0);
    CHECK(step(ep, "expert_kernel_ms_per_token") < step(tp, "expert_kernel_ms_per_token"));
    CHECK(step(ep, "prefill_compute_ms") < step(tp, "prefill_compute_ms"));
    // The layout in the JSON contract (MoE models only) and in the table.
    CHECK(tp.at("expert_parallel_size") == 1);
    CHECK(ep.at("expert_parallel_size") == 8);
    const auto dense_json = run_cli({"estimate", "--model", "base", "--gpu", "h100-sxm", "-o", "json"});
    REQUIRE(dense_json.status == 0);
    CHECK_FALSE(json::parse(dense_json.out).contains("expert_parallel_size"));
    const auto table = run_cli({"estimate", "--model", "deepseek-v3", "--variant", "fp8", "--gpu", "h200", "--gpus", "8",
                                "--engine", "trtllm", "--expert-parallel"});
    REQUIRE(table.status == 0);
    CHECK(table.out.find("experts split over GPUs\tEP 8 (whole experts)") != std::string::npos);
    const auto sliced = run_cli({"estimate", "--model", "deepseek-v3", "--variant", "fp8", "--gpu", "h200", "--gpus", "8"});
    REQUIRE(sliced.status == 0);
    CHECK(sliced.out.find("experts split over GPUs\tTP 8 (a slice of each)") != std::string::npos);
    const auto dense = run_cli({"estimate", "--model", "base", "--gpu", "h100-sxm", "--expert-parallel"});
    CHECK(dense.status == 2);
    CHECK(dense.out.empty());
    CHECK(dense.err.find("--expert-parallel: model 'base' has no routed experts") != std::string::npos);
    // The shipped MoE models' experts split over every GPU count their heads allow; a user's may not.
    test::TempFile sixty("moe-60.json", R"({"schema_version":"1.0","models":[{"id":"deepseek-v2-lite",
        "architecture":{"n_routed_experts":60}}]})");
    const auto uneven = run_cli({"--data", sixty.path(), "estimate", "--model", "deepseek-v2-lite", "--gpu", "h200",
                                 "--gpus", "8", "--expert-parallel"});
    CHECK(uneven.status == 2);
    CHECK(uneven.out.empty());
    CHECK(uneven.err.find("--expert-parallel: 60 routed experts do not split evenly over 8 GPUs") != std::string::npos);
    const auto one = run_cli({"estimate", "--model", "deepseek-v2-lite", "--gpu", "h200", "--expert-parallel"});
    CHECK(one.status == 2);
    CHECK(one.err.find("--expert-parallel: needs --gpus 2 or more") != std::string::npos);
    const auto layers = run_cli({"estimate", "--model", "deepseek-v2-lite", "--variant", "int4", "--gpu", "rtx-4090", "--gpus",
                                 "2", "--engine", "llama.cpp", "--expert-parallel"});
    INFO(layers.err);
    CHECK(layers.status == 2);
    CHECK(layers.err.find("--expert-parallel: engine 'llama.cpp' splits layers over the GPUs, not experts") !=
          std::string::npos);
}

// Issue 20: whether an engine mixes prompt chunks into decode steps (data/engines.json mixed_prefill).
TEST_CASE("mixed prefill: SGLang runs prefill alone and the key reads back or names its pointer", "[engine][cli][data]") {
    const Catalog& catalog = test::builtin();
    CHECK_FALSE(catalog.engine("sglang").mixed_prefill);
    CHECK(catalog.engine("vllm").mixed_prefill);
    CHECK(catalog.engine("trtllm").mixed_prefill);
    for (const char* id : {"vllm", "sglang", "trtllm"}) {
        INFO(id);
        CHECK(catalog.engine(id).sources.count("mixed_prefill") == 1);
    }
    const Hardware& h100 = catalog.hardware_by_id("h100-sxm");
    CHECK_FALSE(engine_profile(&catalog.engine("sglang"), h100, Precision::bf16).mixed_prefill);
    CHECK(engine_profile(&catalog.engine("vllm"), h100, Precision::bf16).mixed_prefill);
    check_engine_flag("vllm", "mixed_prefill", false);
}

// Issue 20: steps carrying prompt tokens outside CUDA graphs (data/engines.json cuda_graph_max_tokens,
// eager_layer_overhead_us, eager_moe_layer_overhead_us).
TEST_CASE("eager steps: the engines' graph limits and overheads ship sourced and the keys read back or name their pointer", "[engine][cli][data]") {
    const Catalog& catalog = test::builtin();
    CHECK(catalog.engine("vllm").cuda_graph_max_tokens == std::optional<std::int64_t>(512));
    CHECK(catalog.engine("sglang").cuda_graph_max_tokens == std::optional<std::int64_t>(0));
    CHECK(catalog.engine("trtllm").cuda_graph_max_tokens == std::optional<std::int64_t>(0));
    const Hardware& h100 = catalog.hardware_by_id("h100-sxm");
    for (const char* id : {"vllm", "sglang", "trtllm"}) {
        INFO(id);
        CHECK(catalog.engine(id).sources.count("cuda_graph_max_tokens") == 1);
        CHECK(catalog.engine(id).sources.count("eager_layer_overhead_us") == 1);
        for (Precision precision : {Precision::bf16, Precision::fp8}) {
            const EfficiencyProfile profile = engine_profile(&catalog.engine(id), h100, precision);
            CHECK(profile.eager_layer_overhead_us > 0.0);
            // SGLang and TensorRT-LLM: the pooled 0, since the routed experts are timed by the engines'
            // kernel laws (moe_expert_kernels) and TensorRT-LLM's MoE fit rows then ask for no extra
            // eager time per MoE layer. vLLM: its own host time per MoE layer, fitted on the TTFT of
            // its one MoE run on the fit system (docs/validation-study.md section 37), larger than
            // nothing and smaller than its per-layer-unit value times the four units of a layer.
            if (std::string(id) == "vllm") {
                CHECK(profile.eager_moe_layer_overhead_us > 0.0);
                CHECK(profile.eager_moe_layer_overhead_us < 4.0 * profile.eager_layer_overhead_us);
                CHECK(catalog.engine(id).sources.at("eager_layer_overhead_us").find("vLLM's OWN") != std::string::npos);
            } else {
                CHECK(profile.eager_moe_layer_overhead_us == 0.0);
            }
            // A law for 16-bit and block-scaled FP8 weights (SGLang's tables have no per-tensor FP8).
            CHECK((precision == Precision::bf16 ? profile.moe_kernel : profile.moe_kernel_block_scaled).efficiency > 0.0);
        }
    }
    // llama.cpp has no such steps: its profile keeps 0.
    CHECK(engine_profile(&catalog.engine("llama.cpp"), h100, Precision::fp16).eager_layer_overhead_us == 0.0);
    test::TempFile good("eager.json", R"({"schema_version":"1.0","engines":[{"id":"vllm","cuda_graph_max_tokens":256,
        "factors":[{"hardware_kind":"gpu","eager_layer_overhead_us":300,"eager_moe_layer_overhead_us":100}]}]})");
    const auto read = run_cli({"--data", good.path(), "catalog", "engines", "vllm", "-o", "json"});
    REQUIRE(read.status == 0);
    const json engine = json::parse(read.out).at("engines").at(0);
    CHECK(engine.at("cuda_graph_max_tokens") == 256);
    CHECK(engine.at("factors").at(0).at("eager_layer_overhead_us") == 300);
    CHECK(engine.at("factors").at(0).at("eager_moe_layer_overhead_us") == 100);
    test::TempFile negative("eager-negative.json", R"({"schema_version":"1.0","engines":[{"id":"vllm","cuda_graph_max_tokens":-1}]})");
    const auto bad_limit = run_cli({"--data", negative.path(), "catalog", "engines"});
    CHECK(bad_limit.status == 65);
    CHECK(bad_limit.err.find(negative.path() + ": /engines/0/cuda_graph_max_tokens") != std::string::npos);
    test::TempFile nan("eager-type.json", R"({"schema_version":"1.0","engines":[{"id":"vllm",
        "factors":[{"hardware_kind":"gpu","eager_layer_overhead_us":"fast"}]}]})");
    const auto bad_value = run_cli({"--data", nan.path(), "catalog", "engines"});
    CHECK(bad_value.status == 65);
    CHECK(bad_value.err.find(nan.path() + ": /engines/0/factors/0/eager_layer_overhead_us") != std::string::npos);
}

// Issue 20: a prompt's attention on the engines' attention kernels (engine key
// attention_kernel_efficiency; the fitted shares are an overlay, tests/validation/attention-kernels.json,
// written by scripts/attention_kernel_study.py; the shipped profiles set none).
TEST_CASE("attention kernels: the overlay's shares apply on GPUs and the key reads back or names its pointer", "[engine][cli][data]") {
    const Catalog& catalog = test::builtin();
    const Hardware& h100 = catalog.hardware_by_id("h100-sxm");
    // The shipped profiles set none: their serving factors were fitted with attention at the GEMMs' rate.
    for (const Engine& engine : catalog.engines) {
        INFO(engine.id);
        CHECK_FALSE(engine.attention_kernel_efficiency.has_value());
        CHECK(engine_profile(&engine, h100, Precision::fp8).attention_efficiency == 0.0);
    }
    const std::string overlay = std::string(DSSELECT_SOURCE_DIR) + "/tests/validation/attention-kernels.json";
    const Catalog with_overlay = load_catalog({read_data_file(overlay)});
    for (const char* id : {"vllm", "sglang", "trtllm"}) {
        INFO(id);
        const Engine& engine = with_overlay.engine(id);
        REQUIRE(engine.attention_kernel_efficiency.has_value());
        CHECK(*engine.attention_kernel_efficiency > 0.4);
        CHECK(*engine.attention_kernel_efficiency < 0.7);
        REQUIRE(engine.sources.count("attention_kernel_efficiency") == 1);
        CHECK(engine.sources.at("attention_kernel_efficiency").find("attention_kernel_study.py") != std::string::npos);
        CHECK(engine_profile(&engine, h100, Precision::fp8).attention_efficiency == *engine.attention_kernel_efficiency);
        // Edge devices keep their own profile whatever the engine.
        CHECK(engine_profile(&engine, with_overlay.hardware_by_id("jetson-orin-nano"), Precision::fp16).attention_efficiency ==
              0.0);
    }
    // --explain lists the share with its source and the rate it gives, and a long prompt takes longer.
    const std::vector<std::string> request = {"estimate", "--model", "pro", "--variant", "fp8", "--gpu", "h100-sxm",
                                              "--gpus", "2", "--prompt-tokens", "32768", "--engine", "vllm", "--explain",
                                              "-o", "json"};
    std::vector<std::string> overlaid = {"--data", overlay};
    overlaid.insert(overlaid.end(), request.begin(), request.end());
    const auto shipped = run_cli(request);
    const auto explained = run_cli(overlaid);
    REQUIRE(shipped.status == 0);
    REQUIRE(explained.status == 0);
    const json document = json::parse(explained.out);
    std::map<std::string, json> steps;
    for (const auto& step : document.at("explain")) {
        steps[step.at("name").get<std::string>()] = step;
    }
    const double eta = *with_overlay.engine("vllm").attention_kernel_efficiency;
    REQUIRE(steps.count("engine: attention_kernel_efficiency") == 1);
    CHECK(steps["engine: attention_kernel_efficiency"].at("value").get<double>() == eta);
    CHECK(steps["engine: attention_kernel_efficiency"].at("formula").get<std::string>().find("attention_kernel_study.py") !=
          std::string::npos);
    REQUIRE(steps.count("attention_flops_per_s") == 1);
    CHECK(steps["attention_flops_per_s"].at("value").get<double>() == Approx(2.0 * 989e12 * eta));
    // The 16-bit peak the share is of, beside the FP8 peak the GEMMs run at. The overlay merges into
    // the built-in engine key by key: the share's line names the overlay, and the lines of values
    // it did not set (the factor sets, the KV-cache type) still name data/engines.json.
    REQUIRE(steps.count("input: peak_tflops.fp16") == 1);
    CHECK(steps["input: peak_tflops.fp16"].at("value").get<double>() == 989.0);
    const auto source_of_step = [&](const char* name) {
        INFO(name);
        REQUIRE(steps.count(name) == 1);
        return steps[name].at("formula").get<std::string>();
    };
    CHECK(source_of_step("engine: attention_kernel_efficiency").find("engine 'vllm' (" + overlay + "): ") != std::string::npos);
    for (const char* name : {"engine: compute_efficiency", "engine: eager_layer_overhead_us", "input: kv_cache_bits"}) {
        INFO(name);
        CHECK(source_of_step(name).find(overlay) == std::string::npos);
        CHECK(source_of_step(name).find("data/engines.json") != std::string::npos);
    }
    // An overlay that replaces the factor sets is named on their lines, and not on the KV-cache type's.
    test::TempFile factors("factors.json", R"({"schema_version":"1.10","engines":[{"id":"vllm","factors":[
        {"hardware_kind":"gpu","compute_efficiency":0.5,"memory_efficiency":0.6,"eager_layer_overhead_us":400}]}]})");
    std::vector<std::string> with_factors = {"--data", factors.path()};
    with_factors.insert(with_factors.end(), request.begin(), request.end());
    const auto refactored = run_cli(with_factors);
    REQUIRE(refactored.status == 0);
    const json refactored_document = json::parse(refactored.out);
    std::map<std::string, std::string> factor_sources;
    for (const auto& step : refactored_document.at("explain")) {
        factor_sources[step.at("name").get<std::string>()] = step.at("formula").get<std::string>();
    }
    CHECK(factor_sources["engine: compute_efficiency"].find("engine 'vllm' (" + factors.path() + ")") != std::string::npos);
    CHECK(factor_sources["engine: eager_layer_overhead_us"].find("engine 'vllm' (" + factors.path() + "): ") !=
          std::string::npos);
    // The shipped text described the values replaced: without a sources entry of the overlay's own
    // the line cites the engine's general source, not the shipped fit.
    CHECK(factor_sources["engine: eager_layer_overhead_us"].find("vLLM's OWN") == std::string::npos);
    CHECK(factor_sources["engine: eager_layer_overhead_us"].find(test::builtin().engine("vllm").source) != std::string::npos);
    CHECK(factor_sources["input: kv_cache_bits"].find("data/engines.json kv_cache_dtype") != std::string::npos);
    // An object merges key by key: an overlay of kv_cache_dtype's fp8 entry is named on an FP8
    // variant's line only; a 16-bit variant's type still comes from data/engines.json.
    test::TempFile kv("kv.json", R"({"schema_version":"1.10","engines":[{"id":"vllm","kv_cache_dtype":{"fp8":"fp8"}}]})");
    const auto kv_line = [&](const char* variant) {
        const auto run = run_cli({"--data", kv.path(), "estimate", "--model", "pro", "--variant", variant, "--gpu",
                                  "h100-sxm", "--gpus", "2", "--engine", "vllm", "--explain", "-o", "json"});
        REQUIRE(run.status == 0);
        const json explained_kv = json::parse(run.out);
        for (const auto& step : explained_kv.at("explain")) {
            if (step.at("name").get<std::string>() == "input: kv_cache_bits") {
                return step.at("formula").get<std::string>();
            }
        }
        return std::string();
    };
    CHECK(kv_line("fp8").find("(" + kv.path() + " kv_cache_dtype)") != std::string::npos);
    CHECK(kv_line("fp16").find("(data/engines.json kv_cache_dtype auto)") != std::string::npos);
    // The overlay's entry had no sources text of its own: the FP8 line cites the engine's general
    // source, the 16-bit line, whose entry it left, the shipped text.
    CHECK(kv_line("fp8").find(test::builtin().engine("vllm").source) != std::string::npos);
    CHECK(kv_line("fp16").find(test::builtin().engine("vllm").sources.at("kv_cache_dtype")) != std::string::npos);
    CHECK(document.at("performance").at("ttft_ms").get<double>() >
          json::parse(shipped.out).at("performance").at("ttft_ms").get<double>());
    // Written back by catalog engines, and refused with its pointer when out of range or not a number.
    test::TempFile good("attention.json", R"({"schema_version":"1.9","engines":[{"id":"vllm","attention_kernel_efficiency":0.5}]})");
    const auto read = run_cli({"--data", good.path(), "catalog", "engines", "vllm", "-o", "json"});
    REQUIRE(read.status == 0);
    CHECK(json::parse(read.out).at("engines").at(0).at("attention_kernel_efficiency") == 0.5);
    for (const char* value : {"0", "1.5", "-0.2", "\"fast\""}) {
        INFO(value);
        test::TempFile bad("attention-bad.json", std::string(R"({"schema_version":"1.9","engines":[{"id":"vllm","attention_kernel_efficiency":)") +
                                                      value + "}]}");
        const auto refused = run_cli({"--data", bad.path(), "catalog", "engines"});
        CHECK(refused.status == 65);
        CHECK(refused.err.find(bad.path() + ": /engines/0/attention_kernel_efficiency") != std::string::npos);
        CHECK(refused.out.empty());
    }
}

// The memory parts a recommendation prints add up to its memory per GPU, task adapters included.
TEST_CASE("recommend: the memory parts add up to the memory per GPU with task adapters", "[cli][multitask]") {
    const auto run = run_cli({"recommend", "--scenario", "multi-task-support", "-o", "json"});
    REQUIRE(run.status == 0);
    const json ranked = json::parse(run.out).at("recommendations");
    REQUIRE_FALSE(ranked.empty());
    for (const json& c : ranked) {
        const json& m = c.at("memory");
        const auto gpus = c.at("gpus_per_replica").get<double>();
        INFO(c.at("gpus_per_replica") << " GPUs, per GPU " << m.at("per_gpu_bytes"));
        CHECK(m.at("adapter_bytes").get<double>() > 0.0);  // the scenario's tasks carry adapters
        const double parts = (m.at("weights_bytes").get<double>() + m.at("adapter_bytes").get<double>() +
                              m.at("kv_cache_bytes").get<double>()) / gpus +
                             m.at("activations_bytes").get<double>() + m.at("overhead_bytes").get<double>();
        CHECK(parts == Approx(m.at("per_gpu_bytes").get<double>()).margin(4.0));  // each part rounded to a byte
    }
    const auto plain = run_cli({"estimate", "--model", "base", "--gpu", "a100-80gb", "-o", "json"});
    REQUIRE(plain.status == 0);
    CHECK(json::parse(plain.out).at("memory").at("adapter_bytes") == 0);
}

// vLLM's scheduler defaults by GPU (data/engines.json small_gpu_scheduler) and llama.cpp's
// physical batch; an engine's cap on running sequences is what estimate may time.
TEST_CASE("scheduler defaults: vLLM's follow the GPU's memory and name and the key reads back or names its pointer", "[engine][cli][data]") {
    const Catalog& catalog = test::builtin();
    const Engine& vllm = catalog.engine("vllm");
    REQUIRE(vllm.sources.count("small_gpu_scheduler") == 1);
    struct Case {
        const char* hardware;
        std::int64_t seqs;
        std::int64_t tokens;
    };
    // 70 GiB is 75.2 GB: the 80 GB H100 and the 192 GB MI300X get the large defaults, the 48 GB
    // L40S and the 24 GB A10 the small ones, and both A100s the small ones by name.
    for (const Case& c : {Case{"h100-sxm", 1024, 8192}, Case{"mi300x", 1024, 8192}, Case{"l40s", 256, 2048},
                          Case{"a10", 256, 2048}, Case{"a100-80gb", 256, 2048}, Case{"a100-40gb", 256, 2048}}) {
        INFO(c.hardware);
        const EfficiencyProfile profile = engine_profile(&vllm, catalog.hardware_by_id(c.hardware), Precision::bf16);
        CHECK(profile.max_num_seqs == c.seqs);
        CHECK(profile.max_batched_tokens == c.tokens);
    }
    // TensorRT-LLM has no such rule (SGLang's tiers: the next test); llama.cpp runs a prompt 512 tokens at a time.
    const Hardware& a10 = catalog.hardware_by_id("a10");
    CHECK(engine_profile(&catalog.engine("trtllm"), a10, Precision::bf16).max_batched_tokens == 8192);
    CHECK(engine_profile(&catalog.engine("llama.cpp"), a10, Precision::fp16).max_batched_tokens == 512);
    // Above the cap, estimate refuses the batch instead of timing what the engine does not run.
    const auto over = run_cli({"estimate", "--model", "nano", "--variant", "int8", "--gpu", "a10", "--batch", "257"});
    CHECK(over.status == 2);
    CHECK(over.out.empty());
    CHECK(over.err.find("--batch: engine 'vllm' runs at most 256 sequences at once on a10") != std::string::npos);
    CHECK(run_cli({"estimate", "--model", "nano", "--variant", "int8", "--gpu", "a10", "--batch", "256"}).status == 0);
    // An overlay's rule reads back, applies by its own threshold and names its pointer when wrong.
    test::TempFile good("small-gpu.json", R"({"schema_version":"1.0","engines":[{"id":"vllm",
        "small_gpu_scheduler":{"below_memory_gib":100,"max_num_seqs":64}}]})");
    const auto read = run_cli({"--data", good.path(), "catalog", "engines", "vllm", "-o", "json"});
    REQUIRE(read.status == 0);
    const json rule = json::parse(read.out).at("engines").at(0).at("small_gpu_scheduler");
    CHECK(rule.at("below_memory_gib") == 100);
    CHECK(rule.at("max_num_seqs") == 64);
    // An overlay merges into the shipped rule key by key: the token default and the names stay.
    CHECK(rule.at("max_num_batched_tokens") == 2048);
    CHECK(rule.at("hardware_ids_containing") == json::array({"a100"}));
    const auto explain = run_cli({"--data", good.path(), "estimate", "--model", "nano", "--gpu", "h100-sxm", "--explain"});
    REQUIRE(explain.status == 0);
    CHECK(explain.out.find("engine: max_num_seqs\t64\t") != std::string::npos);
    CHECK(explain.out.find("engine: max_batched_tokens\t2048\t") != std::string::npos);
    // An overlay's own top-level values apply on every GPU, as vLLM's flags would: the rule takes them.
    test::TempFile flags("explicit-caps.json", R"({"schema_version":"1.0","engines":[{"id":"vllm","max_num_seqs":512,
        "max_num_batched_tokens":4096}]})");
    const auto explicit_caps = run_cli({"--data", flags.path(), "estimate", "--model", "nano", "--variant", "int8", "--gpu",
                                        "a10", "--batch", "300", "--explain"});
    REQUIRE(explicit_caps.status == 0);
    CHECK(explicit_caps.out.find("engine: max_num_seqs\t512\t") != std::string::npos);
    CHECK(explicit_caps.out.find("engine: max_batched_tokens\t4096\t") != std::string::npos);
    // A new engine's rule must name its threshold; a shipped one's keys must be in range and known.
    const std::pair<const char*, const char*> refused_rules[] = {
        {R"({"id":"vllm","small_gpu_scheduler":{"below_memory_gib":0}})", "/below_memory_gib"},
        {R"({"id":"custom","small_gpu_scheduler":{"max_num_seqs":64}})", ": missing required field 'below_memory_gib'"},
        {R"({"id":"vllm","small_gpu_scheduler":{"max_num_seqs":0}})", "/max_num_seqs"},
        {R"({"id":"vllm","small_gpu_scheduler":{"seqs":8}})", "/seqs"}};
    for (const auto& [engine, key] : refused_rules) {
        INFO(engine);
        test::TempFile bad("small-gpu-bad.json", std::string(R"({"schema_version":"1.0","engines":[)") + engine + "]}");
        const auto refused = run_cli({"--data", bad.path(), "catalog", "engines"});
        CHECK(refused.status == 65);
        CHECK(refused.err.find(bad.path() + ": /engines/0/small_gpu_scheduler" + key) != std::string::npos);
    }
}

// SGLang's chunked_prefill_size tiers by GPU memory: small_gpu_scheduler as a list of rules, the
// first that applies winning (data/engines.json, docs/data-format.md).
TEST_CASE("scheduler defaults: SGLang's token budget follows its memory tiers and a rule list reads back in order", "[engine][cli][data]") {
    const Catalog& catalog = test::builtin();
    const Engine& sglang = catalog.engine("sglang");
    REQUIRE(sglang.sources.count("small_gpu_scheduler") == 1);
    REQUIRE(sglang.small_gpu_scheduler_is_list);
    // 35, 60 and 160 GiB are 37.6, 64.4 and 171.8 GB: the 24 GB A10 and L4 take 2,048 tokens, the
    // 40 GB A100 and 48 GB L40S 4,096, the 80 GB A100 and H100 and the 141 GB H200 8,192, and the
    // 180 GB B200 and 192 GB MI300X the engine's own 16,384.
    const std::pair<const char*, std::int64_t> tiers[] = {{"a10", 2048},      {"l4", 2048},        {"a100-40gb", 4096},
                                                          {"l40s", 4096},     {"a100-80gb", 8192}, {"h100-sxm", 8192},
                                                          {"h200", 8192},     {"b200", 16384},     {"mi300x", 16384}};
    for (const auto& [hardware, tokens] : tiers) {
        INFO(hardware);
        CHECK(engine_profile(&sglang, catalog.hardware_by_id(hardware), Precision::bf16).max_batched_tokens == tokens);
    }
    // The shipped list reads back as a list, in its order.
    const auto shipped = run_cli({"catalog", "engines", "sglang", "-o", "json"});
    REQUIRE(shipped.status == 0);
    const json rules = json::parse(shipped.out).at("engines").at(0).at("small_gpu_scheduler");
    REQUIRE(rules.is_array());
    REQUIRE(rules.size() == 3);
    CHECK(rules.at(0).at("below_memory_gib") == 35);
    CHECK(rules.at(2).at("max_num_batched_tokens") == 8192);
    // The first rule that applies wins, not the tightest: on a 24 GB A10 the 100 GiB rule comes first.
    test::TempFile ordered("rule-order.json", R"({"schema_version":"1.0","engines":[{"id":"sglang",
        "small_gpu_scheduler":[{"below_memory_gib":100,"max_num_batched_tokens":1000},
                               {"below_memory_gib":50,"max_num_batched_tokens":500}]}]})");
    const auto first = run_cli({"--data", ordered.path(), "estimate", "--model", "nano", "--gpu", "a10", "--engine", "sglang",
                                "--explain"});
    REQUIRE(first.status == 0);
    CHECK(first.out.find("engine: max_batched_tokens\t1000\t") != std::string::npos);
    CHECK(first.out.find("(this hardware: the rule below 100 GiB or naming it)") != std::string::npos);
    // An overlay's top-level budget applies on every GPU: every rule of the shipped list takes it.
    test::TempFile flag("sglang-budget.json", R"({"schema_version":"1.0","engines":[{"id":"sglang","max_num_batched_tokens":3000}]})");
    for (const char* hardware : {"a10", "l40s", "h100-sxm", "b200"}) {
        INFO(hardware);
        const auto budget = run_cli({"--data", flag.path(), "estimate", "--model", "nano", "--gpu", hardware, "--engine", "sglang",
                                     "--explain"});
        REQUIRE(budget.status == 0);
        CHECK(budget.out.find("engine: max_batched_tokens\t3000\t") != std::string::npos);
    }
    // An overlay's object replaces the shipped list whole and reads back as an object; a list of
    // one stays a list.
    test::TempFile one_rule("one-rule.json", R"({"schema_version":"1.6","engines":[{"id":"sglang",
        "small_gpu_scheduler":{"below_memory_gib":50,"max_num_batched_tokens":1024}}]})");
    const auto replaced = run_cli({"--data", one_rule.path(), "catalog", "engines", "sglang", "-o", "json"});
    REQUIRE(replaced.status == 0);
    CHECK(json::parse(replaced.out).at("engines").at(0).at("small_gpu_scheduler").is_object());
    const auto h100_after = run_cli({"--data", one_rule.path(), "estimate", "--model", "nano", "--gpu", "h100-sxm", "--engine",
                                     "sglang", "--explain"});
    REQUIRE(h100_after.status == 0);
    CHECK(h100_after.out.find("engine: max_batched_tokens\t16384\t") != std::string::npos);
    test::TempFile listed_one("listed-one.json", R"({"schema_version":"1.6","engines":[{"id":"sglang",
        "small_gpu_scheduler":[{"below_memory_gib":50,"max_num_batched_tokens":1024}]}]})");
    const auto listed = run_cli({"--data", listed_one.path(), "catalog", "engines", "sglang", "-o", "json"});
    REQUIRE(listed.status == 0);
    CHECK(json::parse(listed.out).at("engines").at(0).at("small_gpu_scheduler").size() == 1);
    CHECK(json::parse(listed.out).at("engines").at(0).at("small_gpu_scheduler").is_array());
    // A list and a top-level budget in one overlay: a rule's own value wins, a rule without one and
    // hardware no rule covers take the top-level value.
    test::TempFile both("list-and-budget.json", R"({"schema_version":"1.6","engines":[{"id":"sglang","max_num_batched_tokens":3000,
        "small_gpu_scheduler":[{"below_memory_gib":35,"max_num_batched_tokens":2048},{"below_memory_gib":60}]}]})");
    for (const auto& [hardware, tokens] : {std::pair<const char*, const char*>{"a10", "2048"}, {"l40s", "3000"}, {"h100-sxm", "3000"}}) {
        INFO(hardware);
        const auto mixed = run_cli({"--data", both.path(), "estimate", "--model", "nano", "--gpu", hardware, "--engine", "sglang",
                                    "--explain"});
        REQUIRE(mixed.status == 0);
        CHECK(mixed.out.find(std::string("engine: max_batched_tokens\t") + tokens + "\t") != std::string::npos);
    }
    // A bad top-level budget is reported once, at its own pointer, not again at every rule's.
    test::TempFile bad_budget("bad-budget.json", R"({"schema_version":"1.6","engines":[{"id":"sglang","max_num_batched_tokens":0}]})");
    const auto checked = run_cli({"validate", bad_budget.path()});
    CHECK(checked.status == 65);
    CHECK(checked.err.find("/engines/0/max_num_batched_tokens") != std::string::npos);
    CHECK(checked.err.find("small_gpu_scheduler") == std::string::npos);
    // An empty list, a scalar, or a rule that is not an object, names its pointer (exit 65).
    const std::pair<const char*, const char*> refused_lists[] = {
        {R"({"id":"sglang","small_gpu_scheduler":[]})", ": expected a rule object or a non-empty list of them, got an empty list"},
        {R"({"id":"sglang","small_gpu_scheduler":5})", ": expected a rule object or a non-empty list of them, got"},
        {R"({"id":"sglang","small_gpu_scheduler":[{"below_memory_gib":10},8]})", "/1"},
        {R"({"id":"sglang","small_gpu_scheduler":[{"below_memory_gib":10},{"max_num_batched_tokens":0,"below_memory_gib":20}]})",
         "/1/max_num_batched_tokens"}};
    for (const auto& [engine, key] : refused_lists) {
        INFO(engine);
        test::TempFile bad("rule-list-bad.json", std::string(R"({"schema_version":"1.0","engines":[)") + engine + "]}");
        const auto refused = run_cli({"--data", bad.path(), "catalog", "engines"});
        CHECK(refused.status == 65);
        CHECK(refused.out.empty());
        CHECK(refused.err.find(bad.path() + ": /engines/0/small_gpu_scheduler" + key) != std::string::npos);
    }
}

// Issue 20: llama.cpp's quantized prefill (MMQ kernels) as a factor-set key (docs/validation-llamacpp.md).
TEST_CASE("quantized compute efficiency: the key reads back, is refused out of range and shows in --explain", "[engine][cli][data]") {
    test::TempFile good("quantized.json", R"({"schema_version":"1.0","engines":[{"id":"llama.cpp",
        "factors":[{"hardware":["a100-80gb"],"compute_efficiency":0.5,"quantized_compute_efficiency":0.125}]}]})");
    const auto read = run_cli({"--data", good.path(), "catalog", "engines", "llama.cpp", "-o", "json"});
    REQUIRE(read.status == 0);
    CHECK(json::parse(read.out).at("engines").at(0).at("factors").at(0).at("quantized_compute_efficiency") == 0.125);
    const auto explain = run_cli({"--data", good.path(), "estimate", "--model", "base", "--variant", "int4", "--gpu",
                                  "a100-80gb", "--engine", "llama.cpp", "--explain"});
    REQUIRE(explain.status == 0);
    CHECK(explain.out.find("engine: quantized_compute_efficiency\t0.125\tfraction of the fp16 peak (used: integer-quantized variant)") !=
          std::string::npos);
    // 312 TFLOPS x 0.125 for the quantized variant.
    CHECK(explain.out.find("effective_flops_per_s\t3.9e+13") != std::string::npos);
    // The W8A8 int8 variant (INT8 compute) runs the same kernels at the same share of the 16-bit
    // peak, which --explain then lists beside its own INT8 peak.
    const auto w8a8 = run_cli({"--data", good.path(), "estimate", "--model", "base", "--variant", "int8", "--gpu",
                               "a100-80gb", "--engine", "llama.cpp", "--explain"});
    REQUIRE(w8a8.status == 0);
    CHECK(w8a8.out.find("input: peak_tflops.int8\t624") != std::string::npos);
    CHECK(w8a8.out.find("input: peak_tflops.fp16\t312") != std::string::npos);
    CHECK(w8a8.out.find("effective_flops_per_s\t3.9e+13") != std::string::npos);
    // A 16-bit variant does not take it, and --explain says so.
    const auto fp16 = run_cli({"--data", good.path(), "estimate", "--model", "base", "--variant", "fp16", "--gpu",
                               "a100-80gb", "--engine", "llama.cpp", "--explain"});
    REQUIRE(fp16.status == 0);
    CHECK(fp16.out.find("fraction of the fp16 peak (not used: the variant is not integer-quantized)") != std::string::npos);
    CHECK(fp16.out.find("effective_flops_per_s\t1.56e+14") != std::string::npos);
    CHECK(fp16.out.find("input: peak_tflops.fp16\t312") != std::string::npos);
    test::TempFile over("quantized-over.json", R"({"schema_version":"1.0","engines":[{"id":"llama.cpp",
        "factors":[{"hardware_kind":"gpu","quantized_compute_efficiency":1.5}]}]})");
    const auto bad = run_cli({"--data", over.path(), "catalog", "engines"});
    CHECK(bad.status == 65);
    CHECK(bad.err.find(over.path() + ": /engines/0/factors/0/quantized_compute_efficiency") != std::string::npos);
}

// Issue 20: llama.cpp's F16 GEMMs accumulate in FP16, which a GeForce card runs at twice its
// FP32-accumulate rate (docs/validation-llamacpp.md, "Prefill of 16-bit weights").
TEST_CASE("fp16 accumulation: the peak reads back, is refused below the fp16 peak and shows in --explain", "[engine][cli][data]") {
    const auto hardware = run_cli({"catalog", "hardware", "rtx-4090", "-o", "json"});
    REQUIRE(hardware.status == 0);
    CHECK(json::parse(hardware.out).at("hardware").at(0).at("fp16_accumulate_peak_tflops") == 330.3);
    const auto engines = run_cli({"catalog", "engines", "llama.cpp", "-o", "json"});
    REQUIRE(engines.status == 0);
    CHECK(json::parse(engines.out).at("engines").at(0).at("fp16_accumulate") == true);
    // llama.cpp on the RTX 4090: the FP16-accumulate peak. vLLM accumulates in FP32: the listed
    // fp16 peak, no FP16-accumulate line. A data-centre GPU lists no such peak: the fp16 peak.
    struct Case {
        const char* gpu;
        const char* engine;
        double peak_tflops;
        bool fp16_accumulate_line;
    };
    for (const Case& c : {Case{"rtx-4090", "llama.cpp", 330.3, true}, Case{"rtx-4090", "vllm", 165.2, false},
                          Case{"a100-80gb", "llama.cpp", 312.0, false}}) {
        INFO(c.gpu << " under " << c.engine);
        const auto run = run_cli({"estimate", "--model", "base", "--variant", "fp16", "--gpu", c.gpu, "--engine", c.engine,
                                  "--explain"});
        REQUIRE(run.status == 0);
        CHECK((run.out.find("input: fp16_accumulate_peak_tflops") != std::string::npos) == c.fp16_accumulate_line);
        if (c.fp16_accumulate_line) {
            CHECK(explain_value(run.out, "input: fp16_accumulate_peak_tflops") == c.peak_tflops);
        }
        const double efficiency = explain_value(run.out, "engine: compute_efficiency");
        REQUIRE(efficiency > 0.0);
        CHECK(explain_value(run.out, "effective_flops_per_s") == Approx(efficiency * c.peak_tflops * 1e12).epsilon(1e-5));
    }
    test::TempFile low("fp16-acc-low.json", R"({"schema_version": "1.0", "hardware": [{"id": "my-card", "name": "Card",
        "memory_gb": 24, "memory_bandwidth_gb_per_s": 936, "peak_tflops": {"fp16": 71}, "fp16_accumulate_peak_tflops": 35}]})");
    const auto bad = run_cli({"--data", low.path(), "catalog", "hardware"});
    CHECK(bad.status == 65);
    CHECK(bad.out.empty());
    CHECK(bad.err.find(low.path() + ": /hardware/0/fp16_accumulate_peak_tflops: expected at least peak_tflops.fp16 (71)") !=
          std::string::npos);
    // The engine flag is a boolean, and an engine without it lists none.
    check_engine_flag("llama.cpp", "fp16_accumulate", true);
    const auto vllm_json = run_cli({"catalog", "engines", "vllm", "-o", "json"});
    REQUIRE(vllm_json.status == 0);
    CHECK_FALSE(json::parse(vllm_json.out).at("engines").at(0).contains("fp16_accumulate"));
}

// Issue 20: no shipped engine runs 2:4 sparse kernels, so a 2:4 sparse checkpoint is served dense
// (docs/method.md, "Weights"); an engine a user declares with them gets the packed weights and speed-up.
TEST_CASE("2:4 sparsity: served dense by every shipped engine, packed and faster on an engine that declares kernels", "[engine][cli][data]") {
    const auto estimate_json = [](const std::vector<std::string>& extra, const char* variant, const char* engine) {
        std::vector<std::string> args = extra;
        for (const char* arg : {"estimate", "--model", "base", "--variant", variant, "--gpu", "h100-sxm", "--engine", engine,
                                "-o", "json"}) {
            args.emplace_back(arg);
        }
        const auto run = run_cli(args);
        REQUIRE(run.status == 0);
        return json::parse(run.out);
    };
    for (const char* engine : {"vllm", "sglang", "trtllm", "llama.cpp"}) {
        INFO(engine);
        const json dense = estimate_json({}, "fp16", engine);
        const json sparse = estimate_json({}, "sparse-2-4", engine);
        CHECK(sparse.at("memory").at("weights_bytes") == dense.at("memory").at("weights_bytes"));
        CHECK(sparse.at("performance").at("tpot_ms") == dense.at("performance").at("tpot_ms"));
        CHECK(sparse.at("performance").at("ttft_ms") == dense.at("performance").at("ttft_ms"));
    }
    test::TempFile kernels("sparse-kernels.json", R"({"schema_version": "1.0", "engines": [{"id": "sparse-engine",
        "name": "Engine with 2:4 kernels", "sparse_2_4_kernels": true}]})");
    const json dense = estimate_json({"--data", kernels.path()}, "fp16", "sparse-engine");
    const json packed = estimate_json({"--data", kernels.path()}, "sparse-2-4", "sparse-engine");
    // Half the values at 16 bits plus 2 index bits: 18 / 32 of the dense bytes.
    CHECK(packed.at("memory").at("weights_bytes").get<double>() ==
          Approx(dense.at("memory").at("weights_bytes").get<double>() * 18.0 / 32.0).epsilon(1e-9));
    CHECK(packed.at("performance").at("ttft_ms").get<double>() < dense.at("performance").at("ttft_ms").get<double>());
    const auto explain = run_cli({"--data", kernels.path(), "estimate", "--model", "base", "--variant", "sparse-2-4", "--gpu",
                                  "h100-sxm", "--engine", "sparse-engine", "--explain"});
    REQUIRE(explain.status == 0);
    CHECK(explain.out.find("engine: sparse_2_4_kernels\t1\tflag (used:") != std::string::npos);
    CHECK(explain.out.find("(2:4 packed: the engine runs 2:4 kernels)") != std::string::npos);
    // On an edge device the engine keeps the weights packed but has no sparse tensor cores to use.
    const auto edge = run_cli({"--data", kernels.path(), "estimate", "--model", "nano", "--variant", "sparse-2-4", "--gpu",
                               "jetson-orin-nano", "--engine", "sparse-engine", "--explain"});
    REQUIRE(edge.status == 0);
    CHECK(edge.out.find("engine: sparse_2_4_kernels\t1\tflag (weights packed; no sparse tensor cores") != std::string::npos);
    CHECK(explain_value(explain.out, "effective_flops_per_s") ==
          Approx(2.0 * 989e12 * explain_value(explain.out, "engine: compute_efficiency")).epsilon(1e-5));
    const auto shipped = run_cli({"estimate", "--model", "base", "--variant", "sparse-2-4", "--gpu", "h100-sxm", "--engine",
                                  "vllm", "--explain"});
    REQUIRE(shipped.status == 0);
    CHECK(shipped.out.find("engine: sparse_2_4_kernels\t0\tflag (none: the 2:4 sparse checkpoint is served dense") !=
          std::string::npos);
    CHECK(shipped.out.find("pull request #36799") != std::string::npos);  // the flag's own source
    CHECK(shipped.out.find("(2:4 sparse, served dense: the engine has no 2:4 kernels)") != std::string::npos);
    // The catalog's variants table says how a 2:4 variant is served.
    const auto variants = run_cli({"catalog", "variants", "sparse-2-4"});
    REQUIRE(variants.status == 0);
    CHECK(variants.out.find("sparse-2-4: 2:4 sparse; packed and at twice the dense peak only under an engine with "
                            "sparse_2_4_kernels") != std::string::npos);
    // The search's model-size precheck follows the same engine key: under 10,000 MB the checkpoint
    // fits packed (7,583 MB) and not dense (13,481 MB).
    const auto scenario = run_cli({"catalog", "scenarios", "customer-service", "-o", "json"});
    REQUIRE(scenario.status == 0);
    json narrowed = json::parse(scenario.out).at("scenarios").at(0);
    narrowed["constraints"].update(json{{"allowed_models", {"base"}}, {"allowed_variants", {"sparse-2-4"}},
                                        {"allowed_hardware", {"h100-sxm"}}, {"max_model_mb", 10000}, {"min_quality", 0.5}});
    test::TempFile scenario_file("sparse-scenario.json", narrowed.dump());
    const auto dense_search = run_cli({"--data", kernels.path(), "recommend", "--scenario", scenario_file.path(), "--engine",
                                       "vllm", "-o", "json"});
    CHECK(dense_search.status == 1);
    CHECK(json::parse(dense_search.out).at("rejected_by_reason").value("model_size", 0) > 0);
    const auto packed_search = run_cli({"--data", kernels.path(), "recommend", "--scenario", scenario_file.path(), "--engine",
                                        "sparse-engine", "-o", "json"});
    REQUIRE(packed_search.status == 0);
    CHECK_FALSE(json::parse(packed_search.out).at("rejected_by_reason").contains("model_size"));
    CHECK_FALSE(json::parse(packed_search.out).at("recommendations").empty());
    // An integer-quantized 2:4 variant on the engine's quantized kernels: packed, without the speed-up.
    test::TempFile quantized("sparse-quantized.json", R"({"schema_version": "1.0", "engines": [{"id": "sparse-mmq",
        "name": "E", "sparse_2_4_kernels": true, "factors": [{"quantized_compute_efficiency": 0.5}]}],
        "variants": [{"id": "s24-int4", "name": "2:4 INT4", "weight_bits": 4, "structured_sparsity_2_4": true,
        "compute_precision": "fp16", "quality_retention": 0.9, "source": "test"}]})");
    const auto mmq = run_cli({"--data", quantized.path(), "estimate", "--model", "base", "--variant", "s24-int4", "--gpu",
                              "h100-sxm", "--engine", "sparse-mmq", "--explain"});
    REQUIRE(mmq.status == 0);
    CHECK(mmq.out.find("engine: sparse_2_4_kernels\t1\tflag (weights packed; the engine's quantized kernels run the GEMMs") !=
          std::string::npos);
    CHECK(explain_value(mmq.out, "effective_flops_per_s") == Approx(0.5 * 989e12).epsilon(1e-6));
    // The key reads back where set, and must be a boolean.
    check_engine_flag("vllm", "sparse_2_4_kernels", true);
}

// Issue 20: llama.cpp's SM-cycle laws for an NVIDIA GPU a user adds (docs/validation-llamacpp.md).
TEST_CASE("SM-cycle laws: an NVIDIA GPU a user adds with its SMs and clock is rated like a catalog one", "[engine][cli][data]") {
    test::TempFile cards("sm-cards.json", R"({"schema_version": "1.0", "hardware": [
        {"id": "my-hbm", "name": "HBM card", "vendor": "nvidia", "memory_gb": 80, "memory_bandwidth_gb_per_s": 3350,
         "peak_tflops": {"fp16": 989}, "sm_count": 132, "boost_clock_mhz": 1980,
         "sources": {"sm_count": "my datasheet"}},
        {"id": "my-bare", "name": "No SM figures", "vendor": "nvidia", "memory_gb": 80, "memory_bandwidth_gb_per_s": 3350,
         "peak_tflops": {"fp16": 989}}]})");
    const Engine& llama = test::builtin().engine("llama.cpp");
    const auto nvidia = std::find_if(llama.factors.begin(), llama.factors.end(), [](const EngineFactors& f) {
        return f.vendors == std::vector<std::string>{"nvidia"};
    });
    REQUIRE(nvidia != llama.factors.end());
    REQUIRE(nvidia->sm_bytes_per_cycle.has_value());
    REQUIRE(nvidia->sm_quantized_flops_per_cycle.has_value());
    const auto rated = run_cli({"--data", cards.path(), "estimate", "--model", "base", "--variant", "int4", "--gpu", "my-hbm",
                                "--engine", "llama.cpp", "--explain"});
    REQUIRE(rated.status == 0);
    const double sm_cycles_per_s = 132 * 1980e6;
    CHECK(explain_value(rated.out, "engine: memory_efficiency") ==
          Approx(std::min(*nvidia->memory_efficiency, sm_cycles_per_s * *nvidia->sm_bytes_per_cycle / 3350e9)).epsilon(1e-5));
    CHECK(explain_value(rated.out, "engine: quantized_compute_efficiency") ==
          Approx(sm_cycles_per_s * *nvidia->sm_quantized_flops_per_cycle / 989e12).epsilon(1e-5));
    CHECK(explain_value(rated.out, "input: sm_count") == 132);
    CHECK(rated.out.find("input: sm_count\t132\tSMs\tmy datasheet") != std::string::npos);
    CHECK(explain_value(rated.out, "input: boost_clock_mhz") == 1980);
    CHECK(explain_value(rated.out, "engine: sm_bytes_per_cycle") == *nvidia->sm_bytes_per_cycle);
    CHECK(explain_value(rated.out, "engine: sm_quantized_flops_per_cycle") == *nvidia->sm_quantized_flops_per_cycle);
    CHECK(rated.out.find("engine: memory_efficiency\t") != std::string::npos);
    CHECK(rated.out.find("fraction (computed by the SM-cycle law below)") != std::string::npos);
    CHECK(rated.out.find("(used: integer-quantized variant); computed by the SM-cycle law below") != std::string::npos);
    // The same card without SM figures: the set's decode efficiency, no MMQ rate, no law lines.
    const auto bare = run_cli({"--data", cards.path(), "estimate", "--model", "base", "--variant", "int4", "--gpu", "my-bare",
                               "--engine", "llama.cpp", "--explain"});
    REQUIRE(bare.status == 0);
    CHECK(explain_value(bare.out, "engine: memory_efficiency") == Approx(*nvidia->memory_efficiency));
    CHECK(bare.out.find("engine: quantized_compute_efficiency") == std::string::npos);
    CHECK(bare.out.find("input: sm_count") == std::string::npos);
    // Under vLLM the laws do not apply (its factor sets carry none).
    const auto vllm = run_cli({"--data", cards.path(), "estimate", "--model", "base", "--variant", "int4", "--gpu", "my-hbm",
                               "--engine", "vllm", "--explain"});
    REQUIRE(vllm.status == 0);
    CHECK(vllm.out.find("input: sm_count") == std::string::npos);
    // The fields read back, and bad values are exit 65 naming the path.
    const auto listed = run_cli({"--data", cards.path(), "catalog", "hardware", "my-hbm", "-o", "json"});
    REQUIRE(listed.status == 0);
    CHECK(json::parse(listed.out).at("hardware").at(0).at("sm_count") == 132);
    CHECK(json::parse(listed.out).at("hardware").at(0).at("boost_clock_mhz") == 1980.0);
    for (const auto& [field, value] : std::vector<std::pair<std::string, std::string>>{
             {"sm_count", "0"}, {"sm_count", "1.5"}, {"boost_clock_mhz", "-1"}}) {
        INFO(field << " = " << value);
        test::TempFile bad("sm-bad.json", fmt::format(R"({{"schema_version": "1.0", "hardware": [{{"id": "c", "name": "C",
            "memory_gb": 24, "memory_bandwidth_gb_per_s": 936, "peak_tflops": {{"fp16": 71}}, "{}": {}}}]}})", field, value));
        const auto refused = run_cli({"--data", bad.path(), "catalog", "hardware"});
        CHECK(refused.status == 65);
        CHECK(refused.out.empty());
        CHECK(refused.err.find(bad.path() + ": /hardware/0/" + field) != std::string::npos);
    }
    // Both figures or neither, and a clock in MHz: one alone, or a clock in GHz, is exit 65.
    for (const auto& [fields, path] : std::vector<std::pair<std::string, std::string>>{
             {R"("sm_count": 82)", "boost_clock_mhz"}, {R"("boost_clock_mhz": 1695)", "sm_count"},
             {R"("sm_count": 82, "boost_clock_mhz": 1.695)", "boost_clock_mhz"},
             {R"("sm_count": 5000, "boost_clock_mhz": 1695)", "sm_count"}}) {
        INFO(fields);
        test::TempFile half("sm-half.json", fmt::format(R"({{"schema_version": "1.0", "hardware": [{{"id": "c", "name": "C",
            "memory_gb": 24, "memory_bandwidth_gb_per_s": 936, "peak_tflops": {{"fp16": 71}}, {}}}]}})", fields));
        const auto refused = run_cli({"--data", half.path(), "catalog", "hardware"});
        CHECK(refused.status == 65);
        CHECK(refused.out.empty());
        CHECK(refused.err.find(half.path() + ": /hardware/0/" + path) != std::string::npos);
    }
    // An NVIDIA edge module keeps llama.cpp's edge set: the NVIDIA set is for GPUs.
    const Hardware& jetson = test::builtin().hardware_by_id("jetson-orin-nano");
    REQUIRE(jetson.vendor == "nvidia");
    REQUIRE(jetson.kind == HardwareKind::edge);
    const EngineFactors* jetson_set = matching_factors(&llama, jetson, Precision::fp16);
    REQUIRE(jetson_set != nullptr);
    CHECK(jetson_set->hardware_kind == HardwareKind::edge);
    CHECK(jetson_set->vendors.empty());
    for (const char* key : {"sm_bytes_per_cycle", "sm_quantized_flops_per_cycle"}) {
        INFO(key);
        test::TempFile law("sm-law.json", fmt::format(R"({{"schema_version": "1.0", "engines": [{{"id": "llama.cpp",
            "factors": [{{"vendors": ["nvidia"], "{}": 0}}]}}]}})", key));
        const auto bad_law = run_cli({"--data", law.path(), "catalog", "engines"});
        CHECK(bad_law.status == 65);
        CHECK(bad_law.err.find(law.path() + ": /engines/0/factors/0/" + key) != std::string::npos);
    }
}

// Issue 20: factor sets matched by the hardware's vendor; llama.cpp's Apple set (docs/validation-llamacpp.md).
TEST_CASE("factor sets: a vendor-matched set applies to hardware of that vendor a user adds", "[engine][cli][data]") {
    test::TempFile mac("mac.json", R"({"schema_version": "1.0", "hardware": [{"id": "my-mac", "name": "Mac", "vendor": "apple",
        "memory_gb": 192, "memory_bandwidth_gb_per_s": 800, "peak_tflops": {"fp16": 27}},
        {"id": "my-card", "name": "Card", "vendor": "nvidia", "memory_gb": 24, "memory_bandwidth_gb_per_s": 936,
        "peak_tflops": {"fp16": 71}}]})");
    const auto apple = run_cli({"--data", mac.path(), "estimate", "--model", "base", "--variant", "int4", "--gpu", "my-mac",
                                "--engine", "llama.cpp", "--explain"});
    REQUIRE(apple.status == 0);
    const Engine& llama = test::builtin().engine("llama.cpp");
    const auto apple_set = std::find_if(llama.factors.begin(), llama.factors.end(), [](const EngineFactors& f) {
        return f.vendors == std::vector<std::string>{"apple"};
    });
    REQUIRE(apple_set != llama.factors.end());
    CHECK(explain_value(apple.out, "engine: memory_efficiency") == Approx(*apple_set->memory_efficiency));
    CHECK(explain_value(apple.out, "engine: per_step_overhead_ms") == Approx(*apple_set->per_step_overhead_ms));
    // Another vendor's card a user adds falls through to the generic GPU set.
    const auto card = run_cli({"--data", mac.path(), "estimate", "--model", "base", "--variant", "int4", "--gpu", "my-card",
                               "--engine", "llama.cpp", "--explain"});
    REQUIRE(card.status == 0);
    CHECK(explain_value(card.out, "engine: per_step_overhead_ms") != Approx(*apple_set->per_step_overhead_ms));
    // The key reads back.
    const auto listed = run_cli({"catalog", "engines", "llama.cpp", "-o", "json"});
    REQUIRE(listed.status == 0);
    bool found = false;
    const json engines = json::parse(listed.out);
    for (const auto& set : engines.at("engines").at(0).at("factors")) {
        found = found || (set.contains("vendors") && set.at("vendors").dump() == R"(["apple"])");
    }
    CHECK(found);
}

// Issue 20: TensorRT-LLM's batch waiting as engine keys (docs/data-format.md, docs/method.md "Batch waiting").
TEST_CASE("batch waiting: an engine key that ships sourced and that the estimate's TTFT follows", "[engine][cli][data]") {
    const Catalog& catalog = test::builtin();
    const Engine& trtllm = catalog.engine("trtllm");
    CHECK(trtllm.batch_wait_timeout_iters == std::optional<std::int64_t>(0));
    CHECK(trtllm.batch_wait_max_tokens_ratio == std::optional<double>(0.0));
    CHECK(trtllm.sources.count("batch_wait_timeout_iters") == 1);
    test::TempFile waiting("batch-wait.json", R"({"schema_version":"1.0","engines":[{"id":"trtllm",
        "batch_wait_timeout_iters":20,"batch_wait_max_tokens_ratio":0.9}]})");
    const auto read = run_cli({"--data", waiting.path(), "catalog", "engines", "trtllm", "-o", "json"});
    REQUIRE(read.status == 0);
    const json engine = json::parse(read.out).at("engines").at(0);
    CHECK(engine.at("batch_wait_timeout_iters") == 20);
    CHECK(engine.at("batch_wait_max_tokens_ratio") == 0.9);
    const std::vector<std::string> args{"estimate", "--model", "base", "--variant", "fp8", "--gpu", "h100-sxm",
                                        "--engine", "trtllm", "--batch", "8", "-o", "json"};
    const auto shipped = run_cli(args);
    std::vector<std::string> with_data{"--data", waiting.path()};
    with_data.insert(with_data.end(), args.begin(), args.end());
    const auto held = run_cli(with_data);
    REQUIRE(shipped.status == 0);
    REQUIRE(held.status == 0);
    const double shipped_ttft = json::parse(shipped.out).at("performance").at("ttft_ms").get<double>();
    const double held_ttft = json::parse(held.out).at("performance").at("ttft_ms").get<double>();
    CHECK(held_ttft > shipped_ttft);
    // --explain names the keys and the mean hold; the shipped profile (timeout 0) names neither.
    with_data.push_back("--explain");
    const auto explained = run_cli(with_data);
    REQUIRE(explained.status == 0);
    const std::string explanation = explained.out + explained.err;
    CHECK(explanation.find("engine: batch_wait_timeout_iters") != std::string::npos);
    CHECK(explanation.find("batch_wait_ms") != std::string::npos);
    std::vector<std::string> shipped_explain = args;
    shipped_explain.push_back("--explain");
    const auto plain = run_cli(shipped_explain);
    CHECK((plain.out + plain.err).find("batch_wait") == std::string::npos);
    test::TempFile negative("batch-wait-negative.json", R"({"schema_version":"1.0","engines":[{"id":"trtllm","batch_wait_timeout_iters":-1}]})");
    const auto bad_iters = run_cli({"--data", negative.path(), "catalog", "engines"});
    CHECK(bad_iters.status == 65);
    CHECK(bad_iters.err.find(negative.path() + ": /engines/0/batch_wait_timeout_iters") != std::string::npos);
    test::TempFile ratio("batch-wait-ratio.json", R"({"schema_version":"1.0","engines":[{"id":"trtllm","batch_wait_max_tokens_ratio":1.5}]})");
    const auto bad_ratio = run_cli({"--data", ratio.path(), "catalog", "engines"});
    CHECK(bad_ratio.status == 65);
    CHECK(bad_ratio.err.find(ratio.path() + ": /engines/0/batch_wait_max_tokens_ratio") != std::string::npos);
    CHECK(bad_ratio.out.empty());
}

TEST_CASE("kv dtype: estimate of an FP8 variant stores FP8 KV under trtllm and 16-bit under vllm", "[kv][cli][estimate]") {
    const Architecture& a = test::builtin().model("base").architecture;
    REQUIRE_FALSE(a.is_mla());
    // 2 (K and V) x layers x KV heads x head dim x bytes per element, one GPU.
    const double elements = 2.0 * static_cast<double>(a.num_hidden_layers * a.effective_kv_heads() * a.effective_head_dim());
    auto per_token = [](const std::string& engine, std::vector<std::string> extra) {
        std::vector<std::string> args{"estimate", "--model", "base", "--variant", "fp8", "--gpu", "h100-sxm",
                                      "--engine", engine, "--batch", "8", "-o", "json"};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto result = run_cli(args);
        REQUIRE(result.status == 0);
        return json::parse(result.out).at("memory").at("kv_cache_bytes_per_token").get<double>();
    };
    CHECK(per_token("trtllm", {}) == Approx(elements * 1.0));
    CHECK(per_token("vllm", {}) == Approx(elements * 2.0));
    CHECK(per_token("sglang", {}) == Approx(elements * 2.0));
    // The flag overrides the engine's default both ways.
    CHECK(per_token("trtllm", {"--kv-cache-dtype", "fp16"}) == Approx(elements * 2.0));
    CHECK(per_token("vllm", {"--kv-cache-dtype", "fp8"}) == Approx(elements * 1.0));
    // --explain says where the type came from.
    const auto engine_default = run_cli({"estimate", "--model", "base", "--variant", "fp8", "--gpu", "h100-sxm", "--engine",
                                         "trtllm", "--explain"});
    REQUIRE(engine_default.status == 0);
    CHECK(engine_default.out.find("input: kv_cache_bits") != std::string::npos);
    CHECK(engine_default.out.find("engine 'trtllm' default KV cache for fp8 weights, fp8") != std::string::npos);
    const auto flagged = run_cli({"estimate", "--model", "base", "--variant", "fp8", "--gpu", "h100-sxm", "--engine",
                                  "trtllm", "--kv-cache-dtype", "fp16", "--explain"});
    REQUIRE(flagged.status == 0);
    CHECK(flagged.out.find("--kv-cache-dtype fp16") != std::string::npos);
}

TEST_CASE("kv dtype: the search stores KV in the engine's type unless --kv-cache-dtype names one", "[kv][cli][search]") {
    // KV bytes per token of the judged candidate (its cache at the chosen batch / the tokens it holds:
    // the scenario's context window, or the batch's sequences where they hold more).
    auto kv_per_token = [](const std::string& engine, std::vector<std::string> extra) {
        std::vector<std::string> args{"compare", "--scenario", "customer-service", "base:fp8@h100-sxmx1", "--engine",
                                      engine, "--min-quality", "0", "-o", "json"};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto result = run_cli(args);
        REQUIRE(result.status == 0);
        const json candidate = json::parse(result.out).at("candidates").at(0);
        return candidate.at("memory").at("kv_cache_bytes").get<double>() /
               candidate.at("memory").at("kv_cache_tokens").get<double>();
    };
    const double trtllm = kv_per_token("trtllm", {});
    const double vllm = kv_per_token("vllm", {});
    CHECK(vllm == Approx(2.0 * 32 * 32 * 128 * 2));  // base: 32 layers, 32 KV heads of 128, two bytes
    CHECK(trtllm == Approx(vllm / 2));  // FP8 KV under TensorRT-LLM, 16-bit under vLLM
    CHECK(kv_per_token("trtllm", {"--kv-cache-dtype", "fp16"}) == Approx(vllm));
    CHECK(kv_per_token("vllm", {"--kv-cache-dtype", "fp8"}) == Approx(trtllm));
    CHECK(run_cli({"recommend", "--scenario", "customer-service", "--kv-cache-dtype", "fp4"}).status == 2);
    // deploy writes the engine's default KV flags, so it refuses a plan sized for another type.
    const auto deploy = run_cli({"deploy", "--scenario", "customer-service", "--kv-cache-dtype", "fp8"});
    CHECK(deploy.status == 2);
    CHECK(deploy.err.find("--kv-cache-dtype: deploy writes the engine's default KV-cache type") != std::string::npos);
}

TEST_CASE("sliding window: a pasted config's window shrinks the cache and reads back from catalog models", "[cli][sliding-window]") {
    // Mistral 7B v0.1's config (huggingface.co/mistralai/Mistral-7B-v0.1, config.json): every
    // layer keeps the last 4,096 tokens; the same model without the key keeps them all.
    const std::string arch = R"("hidden_size": 4096, "intermediate_size": 14336, "max_position_embeddings": 32768,
        "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8, "vocab_size": 32000)";
    const test::TempFile models("swa-models.json", R"({"schema_version": "1.11", "models": [
        {"id": "mistral-7b-v01", "name": "Mistral 7B v0.1", "architecture": {)" + arch + R"(, "sliding_window": 4096,
         "model_type": "mistral", "torch_dtype": "bfloat16"}},
        {"id": "mistral-7b-full", "name": "Mistral 7B without a window", "architecture": {)" + arch + R"(}}]})");
    const auto estimate_of = [&](const std::string& data, const std::string& model) {
        const auto run = run_cli({"--data", data, "estimate", "--model", model, "--gpu", "h100-sxm", "--prompt-tokens",
                                  "16000", "--output-tokens", "1000", "--batch", "8", "-o", "json"});
        REQUIRE(run.status == 0);
        const json document = json::parse(run.out);
        return document.at("memory");
    };
    const json windowed = estimate_of(models.path(), "mistral-7b-v01");
    const json full = estimate_of(models.path(), "mistral-7b-full");
    CHECK(windowed.at("kv_cache_tokens").get<double>() == 8.0 * 4096.0);
    CHECK(full.at("kv_cache_tokens").get<double>() == 8.0 * 16500.0);
    CHECK(windowed.at("max_concurrency").get<std::int64_t>() > 3 * full.at("max_concurrency").get<std::int64_t>());
    // The listing names the window and its layers, and reads back to the same estimate.
    const auto listed = run_cli({"--data", models.path(), "catalog", "models", "mistral-7b-v01", "-o", "json"});
    REQUIRE(listed.status == 0);
    const json listing = json::parse(listed.out);
    const json& architecture = listing.at("models").at(0).at("architecture");
    CHECK(architecture.at("sliding_window").get<std::int64_t>() == 4096);
    CHECK(architecture.at("sliding_window_layers").get<std::int64_t>() == 32);
    CHECK_FALSE(listing.at("models").at(0).at("architecture").contains("layer_types"));
    const auto table = run_cli({"--data", models.path(), "catalog", "models", "mistral-7b-v01"});
    REQUIRE(table.status == 0);
    CHECK(table.out.find("GQA window 4096 on 32/32 layers") != std::string::npos);
    const test::TempFile again("swa-again.json", listed.out);
    CHECK(estimate_of(again.path(), "mistral-7b-v01") == windowed);
    // --explain gives the window's formula for the KV tokens a sequence holds.
    const auto explained = run_cli({"--data", models.path(), "estimate", "--model", "mistral-7b-v01", "--gpu", "h100-sxm",
                                    "--prompt-tokens", "16000", "--output-tokens", "1000", "--explain"});
    REQUIRE(explained.status == 0);
    CHECK(explain_value(explained.out, "kv_tokens_per_sequence") == Approx(4096.0));
    CHECK(explain_value(explained.out, "input: sliding_window") == 4096.0);
    CHECK(explain_value(explained.out, "input: sliding_window_layers") == 32.0);
    CHECK(explained.out.find("s of the layers keep the last W tokens only") != std::string::npos);
}

TEST_CASE("sliding window: an engine that holds the whole context sizes the cache without the window", "[cli][sliding-window][engine]") {
    const test::TempFile models("swa-engines.json", R"({"schema_version": "1.11", "models": [
        {"id": "mistral-7b-v01", "name": "Mistral 7B v0.1", "architecture": {"hidden_size": 4096, "intermediate_size": 14336,
         "max_position_embeddings": 32768, "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
         "vocab_size": 32000, "sliding_window": 4096}}]})");
    const auto estimate_on = [&](const std::string& engine) {
        const auto run = run_cli({"--data", models.path(), "estimate", "--model", "mistral-7b-v01", "--gpu", "h100-sxm",
                                  "--engine", engine, "--prompt-tokens", "16000", "--output-tokens", "1000", "--batch", "4",
                                  "-o", "json"});
        REQUIRE(run.status == 0);
        const json document = json::parse(run.out);
        return document;
    };
    // vLLM and llama.cpp free what falls out of the window; SGLang and TensorRT-LLM hold it.
    CHECK(estimate_on("vllm").at("memory").at("kv_cache_tokens").get<double>() == 4.0 * 4096.0);
    const json sglang = estimate_on("sglang");
    CHECK(sglang.at("memory").at("kv_cache_tokens").get<double>() == 4.0 * 16500.0);
    CHECK(estimate_on("trtllm").at("memory").at("kv_cache_tokens").get<double>() == 4.0 * 16500.0);
    // An overlay that frees the window on SGLang: the cache shrinks, the decode step does not
    // change (the attention read the window either way).
    const test::TempFile freed("swa-sglang.json", R"({"schema_version": "1.11", "engines": [{"id": "sglang",
        "sliding_window_kv": "window"}]})");
    const auto run = run_cli({"--data", models.path(), "--data", freed.path(), "estimate", "--model", "mistral-7b-v01",
                              "--gpu", "h100-sxm", "--engine", "sglang", "--prompt-tokens", "16000", "--output-tokens",
                              "1000", "--batch", "4", "-o", "json"});
    REQUIRE(run.status == 0);
    const json overlaid = json::parse(run.out);
    CHECK(overlaid.at("memory").at("kv_cache_tokens").get<double>() == 4.0 * 4096.0);
    CHECK(overlaid.at("performance").at("decode_step_ms").get<double>() ==
          sglang.at("performance").at("decode_step_ms").get<double>());
    // The table says which layers have the window and what the engine holds.
    const auto table = run_cli({"--data", models.path(), "estimate", "--model", "mistral-7b-v01", "--gpu", "h100-sxm",
                                "--engine", "trtllm"});
    REQUIRE(table.status == 0);
    CHECK(table.out.find("# sliding window: 32 of 32 layers attend to the last 4096 tokens; the engine holds their KV "
                         "cache at the whole context (sliding_window_kv)") != std::string::npos);
    // --explain names the key and its file; the listing writes it; a bad value names its pointer.
    const auto explained = run_cli({"--data", models.path(), "--data", freed.path(), "estimate", "--model",
                                    "mistral-7b-v01", "--gpu", "h100-sxm", "--engine", "sglang", "--explain"});
    REQUIRE(explained.status == 0);
    CHECK(explain_value(explained.out, "engine: sliding_window_kv") == 1.0);
    CHECK(explained.out.find(freed.path()) != std::string::npos);
    const auto listed = run_cli({"catalog", "engines", "trtllm", "-o", "json"});
    REQUIRE(listed.status == 0);
    const json engines = json::parse(listed.out);
    CHECK(engines.at("engines").at(0).at("sliding_window_kv").get<std::string>() == "full");
    const test::TempFile bad("swa-bad.json", R"({"schema_version": "1.11", "engines": [{"id": "vllm", "sliding_window_kv": "half"}]})");
    const auto refused = run_cli({"--data", bad.path(), "catalog", "engines"});
    CHECK(refused.status == 65);
    CHECK(refused.out.empty());
    CHECK(refused.err.find(bad.path() + ": /engines/0/sliding_window_kv: expected \"window\" or \"full\", got \"half\"") !=
          std::string::npos);
}

TEST_CASE("sliding window: an engine that runs a model type without its window attends to the whole context", "[cli][sliding-window][engine]") {
    // SGLang and llama.cpp run Mistral's checkpoints as Llama's (data/engines.json
    // no_sliding_window_model_types): the same figures as the model without a window. Gemma 2's
    // alternate window layers on SGLang hold the whole context but read the window.
    const std::string shape = R"("hidden_size": 4096, "intermediate_size": 14336, "max_position_embeddings": 32768,
        "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8, "vocab_size": 32000)";
    const test::TempFile models("swa-types.json", R"({"schema_version": "1.11", "models": [
        {"id": "mistral", "name": "Mistral 7B v0.1", "architecture": {)" + shape + R"(, "sliding_window": 4096, "model_type": "mistral"}},
        {"id": "gemma-shaped", "name": "Gemma 2 layers", "architecture": {)" + shape + R"(, "sliding_window": 4096, "model_type": "gemma2"}},
        {"id": "plain", "name": "No window", "architecture": {)" + shape + R"(}}]})");
    const auto estimate_of = [&](const std::string& model, const std::string& engine) {
        const auto run = run_cli({"--data", models.path(), "estimate", "--model", model, "--gpu", "h100-sxm", "--engine",
                                  engine, "--prompt-tokens", "16000", "--output-tokens", "1000", "-o", "json"});
        REQUIRE(run.status == 0);
        const json document = json::parse(run.out);
        return document;
    };
    for (const std::string engine : {"sglang", "llama.cpp"}) {
        INFO(engine);
        const json mistral = estimate_of("mistral", engine);
        const json plain = estimate_of("plain", engine);
        CHECK(mistral.at("memory") == plain.at("memory"));
        CHECK(mistral.at("performance") == plain.at("performance"));
    }
    // vLLM applies Mistral's window.
    CHECK(estimate_of("mistral", "vllm").at("memory").at("kv_cache_tokens").get<double>() == 4096.0);
    // Gemma 2's 16 window layers on SGLang: the whole context held, the window read.
    const json gemma = estimate_of("gemma-shaped", "sglang");
    const json plain = estimate_of("plain", "sglang");
    CHECK(gemma.at("memory").at("kv_cache_tokens") == plain.at("memory").at("kv_cache_tokens"));
    CHECK(gemma.at("performance").at("decode_step_ms").get<double>() <
          plain.at("performance").at("decode_step_ms").get<double>());
    // --explain and the table name the exception; the listing keeps the model type.
    const auto explained = run_cli({"--data", models.path(), "estimate", "--model", "mistral", "--gpu", "h100-sxm",
                                    "--engine", "sglang", "--explain"});
    REQUIRE(explained.status == 0);
    CHECK(explain_value(explained.out, "engine: no_sliding_window_model_types") == 1.0);
    CHECK(explained.out.find("tokens a window layer attends to (W) (not applied") != std::string::npos);
    const auto table = run_cli({"--data", models.path(), "estimate", "--model", "mistral", "--gpu", "h100-sxm", "--engine",
                                "llama.cpp"});
    REQUIRE(table.status == 0);
    CHECK(table.out.find("the engine runs model type 'mistral' without its 4096-token window") != std::string::npos);
    const auto listed = run_cli({"--data", models.path(), "catalog", "models", "gemma-shaped", "-o", "json"});
    REQUIRE(listed.status == 0);
    const json listing = json::parse(listed.out);
    CHECK(listing.at("models").at(0).at("architecture").at("model_type").get<std::string>() == "gemma2");
    CHECK(listing.at("models").at(0).at("architecture").at("sliding_window_layers").get<std::int64_t>() == 16);
    // A multimodal config's text model is named, not missed.
    const test::TempFile nested("swa-nested.json", R"({"schema_version": "1.11", "models": [{"id": "gemma3", "name": "Gemma 3",
        "architecture": {"model_type": "gemma3", "text_config": {"num_hidden_layers": 34}}}]})");
    const auto refused = run_cli({"--data", nested.path(), "catalog", "models"});
    CHECK(refused.status == 65);
    CHECK(refused.err.find(nested.path() + ": /models/0/architecture/text_config: a multimodal config: dsselect sizes the "
                           "text model; give the object of text_config as the architecture") != std::string::npos);
}
