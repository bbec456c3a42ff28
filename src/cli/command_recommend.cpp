// dsselect recommend --scenario ID|FILE|- [--top N] [--explain] [constraint flags]
#include <fmt/format.h>

#include "context.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/report/html_report.hpp"
#include "dsselect/report/views.hpp"
#include "dsselect/select/recommendation.hpp"
#include "scenario_options.hpp"

namespace dsselect::cli {

// The nearest miss over every relaxable reason: what to relax and by how much.
std::string unsatisfiable_message(const SearchResult& result) {
    const Candidate* nearest = nullptr;
    for (const auto& [reason, candidate] : result.nearest_miss) {
        if (nearest == nullptr || candidate.rejection->miss_ratio < nearest->rejection->miss_ratio) {
            nearest = &candidate;
        }
    }
    std::string message = fmt::format("nothing satisfies scenario '{}' ({} candidates; {})", result.scenario.id,
                                      result.candidates_evaluated, report::rejection_summary(result.rejected_by_reason));
    if (nearest != nullptr) {
        const Rejection& r = *nearest->rejection;
        message += fmt::format("; nearest: {} misses {}: {}", nearest->label(), r.reason, r.detail());
        if (*r.flag != '\0' && std::isfinite(r.miss_ratio)) {
            message += fmt::format("; relax {} to {:.6g}", r.flag, r.had);
        }
    }
    return message;
}

namespace {
struct RecommendOptions {
    ScenarioOptions scenario;
    std::int64_t top = 5;
    bool explain = false;
};

CommandOutput run_recommend(const RecommendOptions& options, const Context& context) {
    ScenarioInputs inputs = load_scenario_inputs(options.scenario, context);
    inputs.search.keep_evaluated = context.format() == report::OutputFormat::html;  // the report's scatter
    const Recommendation recommendation = run_recommendation(inputs.catalog, inputs.scenario, inputs.rules, inputs.search);
    const SearchResult& result = recommendation.search;
    const MultiTaskResult* plans = recommendation.plans();
    const RuleSet& rules = inputs.rules;
    CommandOutput output;
    if (result.ranked.empty()) {
        output.exit_code = exit_code(ErrorKind::unsatisfiable);
        output.messages.push_back("dsselect: " + unsatisfiable_message(result));
        return output;
    }
    switch (context.format()) {
    case report::OutputFormat::json:
        output.text = report::recommendation_json(result, options.top, options.explain, report::JsonStyle::document, plans);
        break;
    case report::OutputFormat::jsonl:
        output.text = report::recommendation_json(result, options.top, options.explain, report::JsonStyle::lines, plans);
        break;
    case report::OutputFormat::table:
    case report::OutputFormat::csv:
    case report::OutputFormat::markdown: {
        std::vector<report::Table> tables = report::recommendation_tables(result, options.top, options.explain);
        if (plans != nullptr) {
            for (report::Table& table : report::multi_task_tables(inputs.scenario, *plans)) {
                tables.push_back(std::move(table));
            }
        }
        output.text = context.render_tables(tables);
        break;
    }
    case report::OutputFormat::html:
        output.text = report::recommendation_html(result, rules, {DSSELECT_VERSION, context.command_line, options.top});
        break;
    }
    return output;
}
}  // namespace

void register_recommend(CLI::App& app, Context& context) {
    auto options = std::make_shared<RecommendOptions>();
    CLI::App* command = app.add_subcommand("recommend", "Search versions x variants x hardware for a scenario and rank them");
    add_scenario_options(*command, options->scenario);
    command->add_option("--top", options->top, "How many recommendations to show (default 5)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000}));
    command->add_flag("--explain", options->explain, "Why the winner won; the nearest miss per rejection reason");
    command->callback([options, &context] { context.action = [options, &context] { return run_recommend(*options, context); }; });
}

}  // namespace dsselect::cli
