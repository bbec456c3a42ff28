// dsselect report --scenario ID|FILE|- [--top N] [constraint flags]: the recommendation as one
// self-contained HTML page (docs/report.md). The same search as recommend, keeping every
// evaluated candidate for the scatter.
#include "context.hpp"
#include "dsselect/report/render.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/select/recommendation.hpp"
#include "scenario_options.hpp"

namespace dsselect::cli {

namespace {
struct ReportOptions {
    ScenarioOptions scenario;
    std::int64_t top = 5;
};

CommandOutput run_report(const ReportOptions& options, const Context& context) {
    ScenarioInputs inputs = load_scenario_inputs(options.scenario, context);
    inputs.search.keep_evaluated = true;
    inputs.search.advice = Advice::always;  // the page's nearest misses say what admits each
    const Recommendation recommendation = run_recommendation(inputs.catalog, inputs.scenario, inputs.rules, inputs.search);
    report::RenderOptions render = context.render_options();
    render.top = options.top;
    CommandOutput output;
    output.text = report::render(report::RecommendationDocument{recommendation, inputs.rules}, render);
    if (!recommendation.satisfied()) {
        // The page is still written: its scatter and nearest misses show what it would take.
        output.exit_code = exit_code(ErrorKind::unsatisfiable);
        output.messages = unsatisfiable_messages(recommendation.search);
    }
    return output;
}
}  // namespace

void register_report(CLI::App& app, Context& context) {
    context.declare_formats("report", {.formats = {report::OutputFormat::html},
                                       .hint = "for JSON or tables run 'dsselect recommend' with the same flags"});
    auto options = std::make_shared<ReportOptions>();
    CLI::App* command = app.add_subcommand("report", "The recommendation as a self-contained HTML page with charts");
    add_scenario_options(*command, options->scenario, context);
    command->add_option("--top", options->top, "Candidates in the table and the bar charts (default 5)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000}));
    command->callback([options, &context] { context.action = [options, &context] { return run_report(*options, context); }; });
}

}  // namespace dsselect::cli
