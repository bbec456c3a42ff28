#pragma once
// Options shared by recommend, compare and tco: the scenario (id, file or stdin), flags that
// override its fields, rule files and cost settings.
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "dsselect/catalog/types.hpp"
#include "dsselect/rules/rules.hpp"
#include "dsselect/select/search.hpp"

namespace dsselect::cli {

struct Context;

struct ScenarioOptions {
    std::string scenario;
    std::vector<std::string> rule_files;
    std::optional<double> max_latency_ms;
    std::optional<double> max_ttft_ms;
    std::optional<double> max_tpot_ms;
    std::optional<double> min_qps;
    std::optional<std::int64_t> context_tokens;
    std::optional<double> min_quality;
    std::vector<std::string> gpus;
    std::optional<std::int64_t> max_gpus;
    std::optional<double> max_power_w;
    std::optional<double> max_model_mb;
    std::optional<double> budget_usd;
    std::string weights;
    std::optional<double> years;
    bool owned = false;
    bool rented = false;
    std::int64_t max_candidates = 100'000;
    std::int64_t threads = 0;
    bool multi_node = false;
    bool include_claimed = false;
    bool exclude_consumer = false;
    std::string training_cost;  // "quoted" or "computed"; empty: the scenario's
    std::string engine;
    std::string kv_cache_dtype = "auto";  // --kv-cache-dtype; auto: the engine's default
};

void add_scenario_options(CLI::App& command, ScenarioOptions& options, Context& context);
// The scenario with every flag applied; throws usage/invalid_data/input_missing.
Scenario resolve_scenario(const ScenarioOptions& options, const Catalog& catalog);
RuleSet resolve_rules(const ScenarioOptions& options);
SearchOptions resolve_search_options(const ScenarioOptions& options);

// What recommend, report, compare and tco start from: the catalog (built-in plus --data), the
// scenario with every flag applied, the rules and the search options.
struct ScenarioInputs {
    Catalog catalog;
    Scenario scenario;
    RuleSet rules;
    SearchOptions search;
};
ScenarioInputs load_scenario_inputs(const ScenarioOptions& options, const Context& context);

}  // namespace dsselect::cli
