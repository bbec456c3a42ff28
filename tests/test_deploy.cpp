// dsselect deploy: the settings equal the recommendation's, every flag is a name from the sourced
// table (data/deploy.json), bad combinations are refused with the setting named. The files'
// YAML is loaded by a real Kubernetes model library in tests/deploy/check_manifests.py.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "dsselect/core/error.hpp"
#include "dsselect/core/schema_version.hpp"
#include "dsselect/deploy/deploy.hpp"
#include "dsselect/estimate/estimator.hpp"
#include "dsselect/select/search.hpp"
#include "support/helpers.hpp"

using namespace dsselect;
using json = nlohmann::json;
using test::run_cli;

namespace {
const deploy::Target k_targets[] = {deploy::Target::shell, deploy::Target::compose, deploy::Target::kubernetes};

// The value following `flag` in argv, or "" when the flag is absent.
std::string value_of(const std::vector<std::string>& argv, const std::string& flag) {
    for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
        if (argv[i] == flag) {
            return argv[i + 1];
        }
    }
    return {};
}

// Checks one plan against its candidate and the table; `where` names the case in failures.
void check_plan(const deploy::Plan& plan, const Candidate& c, const Scenario& scenario, const deploy::EngineDeploy& engine) {
    const deploy::Settings& s = plan.settings;
    // The layout is the recommendation's.
    CHECK(s.gpus_per_replica == c.gpus_per_replica);
    CHECK(s.replicas == c.replicas);
    CHECK(s.gpus_per_replica * s.replicas == s.gpus);
    CHECK(s.max_sequences == c.batch);
    const std::int64_t context = scenario.workload.context_tokens > 0
                                     ? scenario.workload.context_tokens
                                     : scenario.workload.prompt_tokens + scenario.workload.output_tokens;
    CHECK(s.context_length == context);
    const EfficiencyProfile profile =
        engine_profile(test::builtin().find_engine(engine.id), *c.hardware, c.variant->compute_precision);
    if (s.tensor_parallel_size) {
        CHECK(*s.tensor_parallel_size * s.pipeline_parallel_size.value_or(1) == s.gpus_per_replica);
        CHECK(*s.tensor_parallel_size * s.replicas == s.gpus);
    } else {
        CHECK(profile.layer_split);
    }
    if (s.memory_fraction) {
        CHECK(*s.memory_fraction == profile.usable_memory_fraction);
    }
    CHECK(plan.expected.capacity_qps == c.capacity_qps);
    CHECK(plan.expected.yearly_usd == c.cost.yearly_usd);
    CHECK(plan.expected.ttft_at_load_ms == c.ttft_at_load_ms);

    // Every flag is exactly a name of the table, for the setting it carries, with a source.
    std::set<std::string> names;
    for (const auto& [setting, spec] : engine.flags) {
        names.insert(spec.flag);
    }
    for (const deploy::EmittedFlag& flag : plan.flags) {
        INFO(flag.flag);
        REQUIRE(engine.flags.count(flag.setting) == 1);
        CHECK(engine.flags.at(flag.setting).flag == flag.flag);
        CHECK(!flag.source.empty());
    }
    REQUIRE(plan.command.size() > engine.command.size());
    for (std::size_t i = 0; i < engine.command.size(); ++i) {
        CHECK(plan.command[i] == engine.command[i]);
    }
    for (std::size_t i = engine.command.size(); i < plan.command.size(); ++i) {
        const std::string& word = plan.command[i];
        if (!word.empty() && word[0] == '-') {
            INFO(word);
            CHECK(names.count(word) == 1);
        }
    }
    // The values on the command line are the settings.
    if (s.tensor_parallel_size) {
        CHECK(value_of(plan.command, engine.flag("tensor_parallel").flag) == std::to_string(c.gpus_per_replica));
    }
    CHECK(value_of(plan.command, engine.flag("max_sequences").flag) == std::to_string(c.batch));
    const std::int64_t context_flag = s.total_context ? *s.total_context : context;
    CHECK(value_of(plan.command, engine.flag("context_length").flag) == std::to_string(context_flag));
    if (s.total_context) {
        CHECK(*s.total_context == context * c.batch);  // llama.cpp: -c shared by the -np slots
    }

    // The files carry the promise and the layout.
    REQUIRE(plan.files.size() == 1);
    const std::string& text = plan.files.front().content;
    CHECK(text.find("Scenario: " + scenario.id) != std::string::npos);
    CHECK(text.find("Candidate: " + c.label()) != std::string::npos);
    CHECK(text.find("Expected capacity:") != std::string::npos);
    CHECK(text.find(fmt::format("({:.1f} ms at the scenario's load)", c.ttft_at_load_ms)) != std::string::npos);
    CHECK(text.find("Yearly cost:") != std::string::npos);
    CHECK(text.find(DSSELECT_VERSION) != std::string::npos);
    if (plan.target == deploy::Target::kubernetes) {
        CHECK(text.find("replicas: " + std::to_string(s.replicas) + "\n") != std::string::npos);
        const std::string resource = plan.vendor == "amd" ? "amd.com/gpu" : "nvidia.com/gpu";
        CHECK(text.find(resource + ": \"" + std::to_string(s.gpus_per_replica / s.nodes_per_replica) + "\"") !=
              std::string::npos);
    }
    if (plan.target == deploy::Target::compose) {
        std::size_t services = 0;
        for (std::size_t at = text.find("\n    image: "); at != std::string::npos; at = text.find("\n    image: ", at + 1)) {
            ++services;
        }
        CHECK(services == static_cast<std::size_t>(s.replicas));
    }
}
}  // namespace

TEST_CASE("deploy table: every flag is sourced, every shipped variant and hardware is mapped", "[deploy]") {
    const deploy::DeployTable& table = deploy::builtin_table();
    REQUIRE(table.engines.size() == test::builtin().engines.size());
    for (const Engine& engine : test::builtin().engines) {
        const deploy::EngineDeploy* e = table.find_engine(engine.id);
        INFO(engine.id);
        REQUIRE(e != nullptr);
        for (const char* setting : {"host", "port", "max_sequences", "context_length"}) {
            CHECK(e->flags.count(setting) == 1);
        }
        for (const auto& [setting, spec] : e->flags) {
            INFO(setting);
            CHECK(spec.flag.rfind("-", 0) == 0);
            CHECK((spec.source.find("https://") != std::string::npos || spec.source.find("github ") == 0));
            CHECK((spec.source.find('@') != std::string::npos || spec.source.find("docs.vllm.ai/en/") != std::string::npos));
        }
    }
    for (const Variant& variant : test::builtin().variants) {
        INFO(variant.id);
        CHECK(table.find_variant(variant.id) != nullptr);
    }
    for (const Hardware& hardware : test::builtin().hardware) {
        INFO(hardware.id);
        CHECK(table.hardware_vendor.count(hardware.id) == 1);
    }
    for (const deploy::Artefact& artefact : table.artefacts) {
        INFO(artefact.repository);
        CHECK(test::builtin().find_model(artefact.model) != nullptr);
        CHECK(!artefact.source.empty());
    }
    CHECK_THROWS_AS(deploy::parse_table("{\"schema_version\": \"1.0\"}", "x"), Error);
    CHECK_THROWS_AS(deploy::parse_table("not json", "x"), Error);
}

TEST_CASE("deploy: every engine and target on every shipped scenario uses the recommendation's settings", "[deploy]") {
    const Catalog& catalog = test::builtin();
    const RuleSet& rules = test::builtin_rules();
    int planned = 0;
    int refused = 0;
    for (const Scenario& shipped : catalog.scenarios) {
        for (const deploy::EngineDeploy& engine : deploy::builtin_table().engines) {
            Scenario scenario = shipped;
            scenario.engine_id = engine.id;
            const SearchResult result = search(catalog, scenario, rules, SearchOptions{});
            if (result.ranked.empty()) {
                // The engine serves none of what the scenario accepts (TensorRT-LLM and a phone's
                // NPU on edge-offline): the search says so by the reason "engine".
                INFO(scenario.id << " " << engine.id);
                CHECK(result.rejected_by_reason.count("engine") == 1);
                ++refused;
                continue;
            }
            for (deploy::Target target : k_targets) {
                INFO(scenario.id << " " << engine.id << " " << deploy::to_string(target));
                // The winner, or (when it is refused) the best ranked candidate that can be deployed.
                bool done = false;
                for (std::size_t rank = 0; rank < result.ranked.size() && rank < 200 && !done; ++rank) {
                    const Candidate& c = result.ranked[rank];
                    try {
                        const deploy::Plan plan = deploy::plan_deployment(catalog, scenario, c, target);
                        check_plan(plan, c, scenario, engine);
                        ++planned;
                        done = true;
                    } catch (const Error& error) {
                        // A refusal is a usage or data error that names what cannot be run.
                        INFO(error.what());
                        CHECK((error.kind() == ErrorKind::usage || error.kind() == ErrorKind::invalid_data));
                        const std::string what = error.what();
                        CHECK((what.find("--engine") != std::string::npos || what.find("--target") != std::string::npos ||
                               what.find("variant") != std::string::npos));
                        ++refused;
                    }
                }
                const bool edge_only = result.ranked.front().hardware->kind == HardwareKind::edge &&
                                       target != deploy::Target::shell;
                if (!edge_only) {
                    CHECK(done);
                }
            }
        }
    }
    CHECK(planned >= 100);
    CHECK(refused > 0);
}

TEST_CASE("deploy: bad combinations exit 2 or 65 naming the setting", "[deploy][cli]") {
    auto fp8_on_llama = run_cli({"deploy", "--scenario", "finance-risk", "base:fp8@h100-sxm", "--engine", "llama.cpp"});
    CHECK(fp8_on_llama.status == 2);
    CHECK(fp8_on_llama.err.find("--engine llama.cpp cannot run variant 'fp8'") != std::string::npos);
    CHECK(fp8_on_llama.out.empty());

    auto trt_on_amd = run_cli({"deploy", "--scenario", "finance-risk", "base:fp8@mi300x", "--engine", "trtllm"});
    CHECK(trt_on_amd.status == 2);
    CHECK(trt_on_amd.err.find("mi300x") != std::string::npos);

    // The search itself leaves out what the engine cannot serve (docs/ranking.md, "Engine
    // capabilities"): the winner under llama.cpp is one it can run.
    auto winner = run_cli({"deploy", "--scenario", "finance-risk", "--engine", "llama.cpp"});
    CHECK(winner.status == 0);
    CHECK(winner.out.find("llama-server") != std::string::npos);

    auto dynamic = run_cli({"deploy", "--scenario", "customer-service", "base:dynamic@a100-80gb"});
    CHECK(dynamic.status == 65);
    CHECK(dynamic.err.find("variant 'dynamic' cannot be deployed") != std::string::npos);

    auto target = run_cli({"deploy", "--scenario", "customer-service", "--target", "helm"});
    CHECK(target.status == 2);
    CHECK(target.err.find("--target") != std::string::npos);

    auto edge = run_cli({"deploy", "--scenario", "edge-offline", "--target", "kubernetes"});
    CHECK(edge.status == 2);
    CHECK(edge.err.find("--target kubernetes") != std::string::npos);

    auto csv = run_cli({"deploy", "--scenario", "customer-service", "-o", "csv"});
    CHECK(csv.status == 2);
    CHECK(csv.err.find("-o csv") != std::string::npos);

    auto rejected = run_cli({"deploy", "--scenario", "document-understanding", "pro:int4@a100-80gbx2"});
    CHECK(rejected.status == 1);
    CHECK(rejected.err.find("is rejected") != std::string::npos);

    auto junk = run_cli({"deploy", "--scenario", "customer-service", "a40x0"});
    CHECK(junk.status == 2);
}

TEST_CASE("deploy: model artefacts are verified repositories or plain placeholders", "[deploy]") {
    test::TempFile scenario("open-chat.json",
                            R"({"id": "open-chat", "name": "Open-weight chat", "task_kind": "chat",
                               "workload": {"prompt_tokens": 1024, "output_tokens": 256, "qps": 2, "context_tokens": 4096},
                               "constraints": {"headroom": 0.2}, "tco": {"years": 1, "ownership": "rented"}})");
    auto gguf = run_cli({"deploy", "--scenario", scenario.path(), "deepseek-r1-distill-qwen-32b:int4@l40s", "--engine",
                         "llama.cpp", "-o", "json"});
    REQUIRE(gguf.status == 0);
    json doc = json::parse(gguf.out);
    CHECK(doc["artefact"]["repository"] == "unsloth/DeepSeek-R1-Distill-Qwen-32B-GGUF");
    CHECK(doc["artefact"]["placeholder"] == false);
    CHECK(doc["settings"]["gguf_type"] == "Q4_K_M");
    CHECK(doc["command"][2] == "/models/DeepSeek-R1-Distill-Qwen-32B-Q4_K_M.gguf");
    CHECK(doc["settings"]["gpu_layers"] == 65);  // 64 layers + the output layer

    auto fp8 = run_cli({"deploy", "--scenario", scenario.path(), "deepseek-v3:fp8@h200x8", "-o", "json"});
    REQUIRE(fp8.status == 0);
    CHECK(json::parse(fp8.out)["command"][2] == "deepseek-ai/DeepSeek-V3");

    auto awq = run_cli({"deploy", "--scenario", scenario.path(), "deepseek-coder-6.7b:int4@l4", "--engine", "sglang", "-o",
                        "json"});
    REQUIRE(awq.status == 0);
    doc = json::parse(awq.out);
    CHECK(value_of(doc["command"].get<std::vector<std::string>>(), "--model-path") == "TheBloke/deepseek-coder-6.7B-instruct-AWQ");
    CHECK(value_of(doc["command"].get<std::vector<std::string>>(), "--quantization") == "awq");
    // SGLang captures decode graphs up to the planned batch (its own default stops at 8 to 512 by
    // memory and TP size), so every decode step runs as the estimate timed it; the L4's 24 GB
    // take SGLang's 2,048-token prefill chunk.
    const std::int64_t awq_batch = doc["settings"]["max_sequences"].get<std::int64_t>();
    CHECK(doc["settings"]["cuda_graph_max_batch"] == awq_batch);
    CHECK(value_of(doc["command"].get<std::vector<std::string>>(), "--cuda-graph-max-bs") == std::to_string(awq_batch));
    CHECK(doc["settings"]["max_batched_tokens"] == std::max<std::int64_t>(2048, awq_batch));
    // The other engines write no such flag.
    CHECK(json::parse(fp8.out).at("settings").at("cuda_graph_max_batch").is_null());

    // The source document's fictional family: a placeholder, said plainly.
    auto fictional = run_cli({"deploy", "--scenario", "customer-service", "-o", "json"});
    REQUIRE(fictional.status == 0);
    doc = json::parse(fictional.out);
    CHECK(doc["artefact"]["placeholder"] == true);
    CHECK(doc["artefact"]["repository"].get<std::string>().rfind("<fill in: ", 0) == 0);
    CHECK(doc["files"][0]["content"].get<std::string>().find("PLACEHOLDER") != std::string::npos);
    auto fictional_text = run_cli({"deploy", "--scenario", "customer-service"});
    CHECK(fictional_text.err.find("placeholder you must fill in") != std::string::npos);
}

TEST_CASE("deploy: a replica wider than a node is a LeaderWorkerSet, other targets refuse it", "[deploy]") {
    test::TempFile scenario("open-chat-wide.json",
                            R"({"id": "open-chat", "name": "Open-weight chat", "task_kind": "chat",
                               "workload": {"prompt_tokens": 1024, "output_tokens": 256, "qps": 2, "context_tokens": 4096},
                               "constraints": {"headroom": 0.2}, "tco": {"years": 1, "ownership": "rented"}})");
    auto lws = run_cli({"deploy", "--scenario", scenario.path(), "deepseek-v3:fp8@h100-sxmx16", "--multi-node", "--target",
                        "kubernetes", "-o", "json"});
    REQUIRE(lws.status == 0);
    json doc = json::parse(lws.out);
    CHECK(doc["settings"]["nodes_per_replica"] == 2);
    CHECK(doc["settings"]["tensor_parallel_size"] == 16);
    const std::string text = doc["files"][0]["content"].get<std::string>();
    CHECK(text.find("kind: \"LeaderWorkerSet\"") != std::string::npos);
    CHECK(text.find("size: 2") != std::string::npos);
    CHECK(text.find("nvidia.com/gpu: \"8\"") != std::string::npos);
    auto shell = run_cli({"deploy", "--scenario", scenario.path(), "deepseek-v3:fp8@h100-sxmx16", "--multi-node"});
    CHECK(shell.status == 2);
    CHECK(shell.err.find("--target shell") != std::string::npos);
    auto trt = run_cli({"deploy", "--scenario", scenario.path(), "deepseek-v3:fp8@h100-sxmx16", "--multi-node", "--target",
                        "kubernetes", "--engine", "trtllm"});
    CHECK(trt.status == 2);
    CHECK(trt.err.find("--engine trtllm") != std::string::npos);
}

TEST_CASE("deploy: --output-dir writes the printed file atomically, -o json lists it", "[deploy][cli]") {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("dsselect-deploy-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    for (const char* target : {"shell", "compose", "kubernetes"}) {
        INFO(target);
        auto printed = run_cli({"deploy", "--scenario", "customer-service", "--target", target});
        REQUIRE(printed.status == 0);
        auto written = run_cli({"deploy", "--scenario", "customer-service", "--target", target, "--output-dir", dir.string()});
        REQUIRE(written.status == 0);
        auto listed = run_cli({"deploy", "--scenario", "customer-service", "--target", target, "-o", "json"});
        REQUIRE(listed.status == 0);
        const json doc = json::parse(listed.out);
        REQUIRE(doc["files"].size() == 1);
        const std::filesystem::path path = dir / doc["files"][0]["path"].get<std::string>();
        CHECK(written.out == "wrote " + path.string() + "\n");
        std::ifstream stream(path);
        std::stringstream content;
        content << stream.rdbuf();
        CHECK(content.str() == printed.out);
        CHECK(doc["files"][0]["content"] == printed.out);
        CHECK(doc["kind"] == "Deployment");
        CHECK(doc["schema_version"] == k_schema_version);  // every document's version, not its own
        CHECK(doc["target"] == target);
        if (std::string(target) == "shell") {
            CHECK((std::filesystem::status(path).permissions() & std::filesystem::perms::owner_exec) !=
                  std::filesystem::perms::none);
        }
    }
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);  // no temporary left
    }
    std::filesystem::remove_all(dir);
    auto unwritable = run_cli({"deploy", "--scenario", "customer-service", "--output-dir", "/proc/dsselect-no"});
    CHECK(unwritable.status == 74);
}

TEST_CASE("deploy: a scenario's text cannot break out of the header comment", "[deploy]") {
    test::TempFile scenario("newline.json",
                            "{\"id\": \"evil\\nkind: Secret\", \"name\": \"x\", \"task_kind\": \"chat\","
                            " \"workload\": {\"prompt_tokens\": 128, \"output_tokens\": 32, \"qps\": 1, \"context_tokens\": 1024},"
                            " \"constraints\": {\"headroom\": 0.2}, \"tco\": {\"years\": 1, \"ownership\": \"rented\"}}");
    auto result = run_cli({"deploy", "--scenario", scenario.path(), "nano:fp8@b200", "--target", "kubernetes"});
    REQUIRE(result.status == 0);
    CHECK(result.out.find("\nkind: Secret") == std::string::npos);
    CHECK(result.out.find("# Scenario: evil kind: Secret") != std::string::npos);
}

TEST_CASE("deploy: a checkpoint naming no KV quantization is refused where the plan holds FP8 KV", "[deploy]") {
    test::TempFile scenario("open-chat-kv.json",
                            R"({"id": "open-chat", "name": "Open-weight chat", "task_kind": "chat",
                               "workload": {"prompt_tokens": 1024, "output_tokens": 256, "qps": 2, "context_tokens": 4096},
                               "constraints": {"headroom": 0.2}, "tco": {"years": 1, "ownership": "rented"}})");
    // TensorRT-LLM takes the KV type from the checkpoint, and the catalog says DeepSeek's FP8
    // release names none (checkpoint_kv_cache_dtype): the plan holds the 16-bit cache the engine
    // runs, so it is written.
    auto trt = run_cli({"deploy", "--scenario", scenario.path(), "deepseek-v3:fp8@h200x8", "--engine", "trtllm", "-o", "json"});
    REQUIRE(trt.status == 0);
    CHECK(json::parse(trt.out)["artefact"]["repository"] == "deepseek-ai/DeepSeek-V3");
    // A user catalog that says the checkpoint names FP8 KV, against data/deploy.json: the plan
    // holds FP8 KV, the checkpoint deploy would fetch names none, so the engine would run a
    // 16-bit cache. Refused; nothing is written.
    test::TempFile unsaid("v3-fp8-kv.json", R"({"schema_version": "1.0", "models": [{"id": "deepseek-v3",
                                                  "checkpoint_kv_cache_dtype": {"fp8": "fp8"}}]})");
    auto refused = run_cli({"--data", unsaid.path(), "deploy", "--scenario", scenario.path(), "deepseek-v3:fp8@h200x8",
                            "--engine", "trtllm"});
    CHECK(refused.status == 2);
    CHECK(refused.out.empty());
    CHECK(refused.err.find("deepseek-ai/DeepSeek-V3 names no KV-cache quantization") != std::string::npos);
    CHECK(refused.err.find("--engine vllm") != std::string::npos);
    CHECK(refused.err.find("checkpoint_kv_cache_dtype \"fp8\"") != std::string::npos);
    CHECK(refused.err.find("checkpoint_kv_cache_dtype to {\"fp8\": \"auto\"} in your --data catalog") != std::string::npos);
    // SGLang's plan is sized for the 16-bit cache ("auto") that checkpoint runs: written.
    auto sglang = run_cli({"deploy", "--scenario", scenario.path(), "deepseek-v3:fp8@h200x8", "--engine", "sglang", "-o", "json"});
    REQUIRE(sglang.status == 0);
    CHECK(json::parse(sglang.out)["artefact"]["repository"] == "deepseek-ai/DeepSeek-V3");

    const deploy::DeployTable& table = deploy::builtin_table();
    const Catalog& catalog = test::builtin();
    for (const deploy::Artefact& artefact : table.artefacts) {
        if (artefact.repository == "deepseek-ai/DeepSeek-V3" || artefact.repository == "deepseek-ai/DeepSeek-R1") {
            INFO(artefact.repository);
            CHECK(artefact.kv_cache_dtype == "auto");
        }
        // What deploy.json says of a checkpoint's KV cache, the catalog the search sizes from says too.
        if (!artefact.kv_cache_dtype.empty()) {
            INFO(artefact.model << " " << artefact.format);
            const Model& model = catalog.model(artefact.model);
            REQUIRE(model.checkpoint_kv_cache_dtype.contains(artefact.format));
            CHECK(model.checkpoint_kv_cache_dtype.at(artefact.format) == artefact.kv_cache_dtype);
        }
    }
    // And the other way: every checkpoint the catalog describes is an artefact that says the same.
    for (const Model& model : catalog.models) {
        for (const auto& [format, dtype] : model.checkpoint_kv_cache_dtype) {
            INFO(model.id << " " << format);
            const auto match = std::find_if(table.artefacts.begin(), table.artefacts.end(), [&](const deploy::Artefact& a) {
                return a.model == model.id && a.format == format;
            });
            REQUIRE(match != table.artefacts.end());
            CHECK(match->kv_cache_dtype == dtype);
        }
    }
    // The key takes "auto" or "fp8" only, and says where it was wrong.
    std::ifstream file(std::string(DSSELECT_SOURCE_DIR) + "/data/deploy.json");
    json doc = json::parse(file);
    doc["artefacts"][0]["kv_cache_dtype"] = "int4";
    CHECK_THROWS_WITH(deploy::parse_table(doc.dump(), "d.json"), Catch::Contains("d.json/artefacts/kv_cache_dtype") &&
                                                                      Catch::Contains("expected \"auto\" or \"fp8\", got 'int4'"));
}

TEST_CASE("deploy: a checkpoint that names FP8 KV or says nothing is written on an FP8-KV plan", "[deploy]") {
    Scenario scenario = test::builtin().scenario("customer-service");
    scenario.engine_id = "trtllm";
    scenario.constraints.max_latency_ms.reset();  // DeepSeek-V3's 32 tokens take longer than the 200 ms chat limit
    const auto candidate_in = [&](const Catalog& catalog) {
        const Candidate c = evaluate_candidate(catalog, scenario, test::builtin_rules(), catalog.model("deepseek-v3"),
                                               catalog.variant("fp8"), catalog.hardware_by_id("h200"), 8, SearchOptions{});
        INFO((c.rejection ? c.rejection->detail() : std::string("accepted")));
        REQUIRE(c.accepted());
        REQUIRE(c.costed);
        return c;
    };
    deploy::DeployTable table = deploy::builtin_table();
    deploy::Artefact* official = nullptr;
    for (deploy::Artefact& artefact : table.artefacts) {
        if (artefact.repository == "deepseek-ai/DeepSeek-V3") {
            official = &artefact;
        }
    }
    REQUIRE(official != nullptr);
    // As shipped, the catalog says the checkpoint names no KV quantization: the candidate holds the
    // 16-bit cache TensorRT-LLM runs for it, and the plan is written.
    const Catalog& shipped = test::builtin();
    CHECK_NOTHROW(deploy::plan_deployment(shipped, scenario, candidate_in(shipped), deploy::Target::shell, table));
    // A catalog that says it names FP8 sizes an FP8-KV candidate; against the shipped artefact
    // ("auto": no KV quantization named) that plan is refused, exit 2 (usage).
    Catalog says_fp8 = shipped;
    for (Model& model : says_fp8.models) {
        if (model.id == "deepseek-v3") {
            model.checkpoint_kv_cache_dtype["fp8"] = "fp8";
        }
    }
    const Candidate c = candidate_in(says_fp8);
    try {
        (void)deploy::plan_deployment(says_fp8, scenario, c, deploy::Target::shell, table);
        FAIL("expected a refusal");
    } catch (const Error& error) {
        CHECK(error.kind() == ErrorKind::usage);
    }
    // A checkpoint whose config names FP8 KV matches the plan; one that says nothing is not judged.
    for (const char* kv : {"fp8", ""}) {
        INFO(kv);
        official->kv_cache_dtype = kv;
        CHECK_NOTHROW(deploy::plan_deployment(says_fp8, scenario, c, deploy::Target::shell, table));
    }
}
