#include "scenario_options.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "dsselect/catalog/loader.hpp"
#include "context.hpp"
#include "dsselect/core/error.hpp"

namespace dsselect::cli {

void add_scenario_options(CLI::App& command, ScenarioOptions& o, Context& context) {
    context.declare_stdin_input(
        command.add_option("--scenario", o.scenario, "Scenario id, a scenario JSON file, or - for stdin")->required(), "-");
    context.declare_stdin_input(command.add_option("--rules", o.rule_files, "Policy rules file to add (repeatable)"), "-");
    auto positive = CLI::PositiveNumber;
    command.add_option("--max-latency-ms", o.max_latency_ms, "End-to-end latency limit (TTFT + (O-1) TPOT)")->check(positive);
    command.add_option("--max-ttft-ms", o.max_ttft_ms, "Time-to-first-token limit")->check(positive);
    command.add_option("--max-tpot-ms", o.max_tpot_ms, "Time-per-output-token limit")->check(positive);
    command.add_option("--min-qps", o.min_qps, "Requests per second to serve")->check(CLI::Range(0.0, 1e9));
    command.add_option("--context", o.context_tokens, "Context window the deployment must offer")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000'000}));
    command.add_option("--min-quality", o.min_quality, "Quality floor (0..1)")->check(CLI::Range(0.0, 1.0));
    command.add_option("--gpu", o.gpus, "Allowed hardware id (repeatable)");
    command.add_option("--max-gpus", o.max_gpus, "GPUs per replica at most")->check(CLI::Range(std::int64_t{1}, std::int64_t{1024}));
    command.add_option("--max-power-w", o.max_power_w, "Power per replica at most")->check(positive);
    command.add_option("--max-model-mb", o.max_model_mb, "Model size on disk at most")->check(positive);
    command.add_option("--budget-usd", o.budget_usd, "Yearly cost at most (inference + maintenance)")->check(positive);
    command.add_option("--weights", o.weights, "TCO weights alpha,beta,gamma (default 0.3,0.5,0.2, seed §3.2)");
    command.add_option("--years", o.years, "TCO horizon in years (default: the scenario's, 3)")->check(CLI::Range(0.01, 100.0));
    auto* owned = command.add_flag("--owned", o.owned, "Price hardware as bought (depreciation + energy)");
    command.add_flag("--rented", o.rented, "Price hardware as rented per GPU-hour")->excludes(owned);
    command.add_option("--max-candidates", o.max_candidates, "Upper bound on the candidate search space")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000'000}));
    command.add_option("--engine", o.engine, "Serving engine profile: vllm (default), sglang, trtllm, llama.cpp");
    command.add_flag("--multi-node", o.multi_node, "Also search replicas of 16 and 32 GPUs spanning nodes");
    command.add_flag("--include-claimed", o.include_claimed,
                     "Also search variants that rest only on the source document's claims (labelled)");
    command.add_flag("--exclude-consumer", o.exclude_consumer,
                     "Leave out consumer cards (GeForce: licence terms forbid data-centre deployment)");
    command.add_option("--training-cost", o.training_cost,
                       "Training figure in the total when the scenario quotes one: quoted (default) or computed")
        ->check(CLI::IsMember({"quoted", "computed"}));
    command.add_option("--threads", o.threads, "Worker threads for large searches (default: one per core)")
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{256}));
    command.add_option("--kv-cache-dtype", o.kv_cache_dtype,
                       "KV-cache element type: auto (the engine's default for each variant, data/engines.json), "
                       "fp16, bf16, fp8")
        ->check(CLI::IsMember({"auto", "fp16", "bf16", "fp8"}));
}

namespace {
// A limit given on the command line replaces the scenario's (and is credited to the flag); an
// absent flag keeps it.
template <typename T>
void override_with(Scenario& s, std::optional<T>& limit, const std::optional<T>& flag, const char* field, const char* name) {
    if (flag) {
        limit = flag;
        s.flag_sources[field] = name;
    }
}
}  // namespace

Scenario resolve_scenario(const ScenarioOptions& o, const Catalog& catalog) {
    Scenario s;
    if (const Scenario* known = catalog.find_scenario(o.scenario)) {
        s = *known;
    } else if (o.scenario == "-" || o.scenario.find('/') != std::string::npos ||
               o.scenario.find(".json") != std::string::npos || std::filesystem::exists(o.scenario)) {
        s = read_scenario_document(read_data_file(o.scenario), catalog);
    } else {
        s = catalog.scenario(o.scenario);  // throws with did-you-mean
    }
    Constraints& k = s.constraints;
    override_with(s, k.max_latency_ms, o.max_latency_ms, "constraints.max_latency_ms", "--max-latency-ms");
    override_with(s, k.max_ttft_ms, o.max_ttft_ms, "constraints.max_ttft_ms", "--max-ttft-ms");
    override_with(s, k.max_tpot_ms, o.max_tpot_ms, "constraints.max_tpot_ms", "--max-tpot-ms");
    if (o.min_qps) {
        s.workload.qps = *o.min_qps;
        s.flag_sources["workload.qps"] = "--min-qps";
    }
    if (o.context_tokens) {
        if (*o.context_tokens < s.workload.prompt_tokens + s.workload.output_tokens) {
            throw Error(ErrorKind::usage, fmt::format("--context: {} is less than the scenario's prompt + output tokens ({})",
                                                      *o.context_tokens, s.workload.prompt_tokens + s.workload.output_tokens));
        }
        s.workload.context_tokens = *o.context_tokens;
        s.flag_sources["workload.context_tokens"] = "--context";
    }
    override_with(s, k.min_quality, o.min_quality, "constraints.min_quality", "--min-quality");
    if (o.min_quality) {
        set_quality_floor(s, *o.min_quality);
    }
    if (!o.gpus.empty()) {
        for (const auto& id : o.gpus) {
            catalog.hardware_by_id(id);  // unknown ids fail with did-you-mean
        }
        k.allowed_hardware = o.gpus;
        s.flag_sources["constraints.allowed_hardware"] = "--gpu";
    }
    override_with(s, k.max_gpus_per_replica, o.max_gpus, "constraints.max_gpus_per_replica", "--max-gpus");
    override_with(s, k.max_power_w, o.max_power_w, "constraints.max_power_w", "--max-power-w");
    override_with(s, k.max_model_mb, o.max_model_mb, "constraints.max_model_mb", "--max-model-mb");
    override_with(s, k.budget_usd_per_year, o.budget_usd, "constraints.budget_usd_per_year", "--budget-usd");
    if (o.multi_node) {
        k.allow_multi_node = true;
    }
    if (o.include_claimed) {
        k.include_claimed = true;
    }
    if (o.exclude_consumer) {
        k.exclude_consumer = true;
    }
    if (!o.training_cost.empty()) {
        s.tco.training.cost = o.training_cost == "computed" ? TrainingCostChoice::computed : TrainingCostChoice::quoted;
    }
    if (!o.engine.empty()) {
        s.engine_id = catalog.engine(o.engine).id;  // unknown ids fail with did-you-mean
    }
    if (o.years) {
        s.tco.years = *o.years;
        s.flag_sources["tco.years"] = "--years";
    }
    if (o.owned) {
        s.tco.ownership = Ownership::owned;
        s.flag_sources["tco.ownership"] = "--owned";
    }
    if (o.rented) {
        s.tco.ownership = Ownership::rented;
        s.flag_sources["tco.ownership"] = "--rented";
    }
    if (k.max_latency_ms && k.max_ttft_ms && *k.max_ttft_ms > *k.max_latency_ms) {
        throw Error(ErrorKind::usage, fmt::format("contradictory limits: --max-ttft-ms {} exceeds --max-latency-ms {}",
                                                  *k.max_ttft_ms, *k.max_latency_ms));
    }
    return s;
}

RuleSet resolve_rules(const ScenarioOptions& o) {
    std::vector<DataSource> files;
    for (const auto& path : o.rule_files) {
        files.push_back(read_data_file(path));
    }
    return load_rules(files);
}

SearchOptions resolve_search_options(const ScenarioOptions& o) {
    SearchOptions options;
    if (!o.weights.empty()) {
        options.tco_weights = parse_weights(o.weights);
    }
    options.max_candidates = o.max_candidates;
    options.threads = o.threads;
    options.kv_cache_bits = kv_cache_dtype_bits(o.kv_cache_dtype);
    return options;
}

ScenarioInputs load_scenario_inputs(const ScenarioOptions& options, const Context& context) {
    Catalog catalog = context.load_catalog();
    Scenario scenario = resolve_scenario(options, catalog);
    RuleSet rules = resolve_rules(options);
    return {.catalog = std::move(catalog),
            .scenario = std::move(scenario),
            .rules = std::move(rules),
            .search = resolve_search_options(options)};
}

}  // namespace dsselect::cli
