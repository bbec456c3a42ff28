// dsselect compare --scenario ID CANDIDATE...   and   dsselect tco --scenario ID CANDIDATE
#include "context.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/report/html_report.hpp"
#include "dsselect/report/views.hpp"
#include "dsselect/select/candidate_spec.hpp"
#include "scenario_options.hpp"

namespace dsselect::cli {

namespace {
struct CompareOptions {
    ScenarioOptions scenario;
    std::vector<std::string> candidates;
};

// The inputs and the judged candidates shared by compare and tco.
struct Judged {
    ScenarioInputs inputs;
    std::vector<Candidate> candidates;
};

Judged judge(const CompareOptions& options, const Context& context) {
    Judged judged{.inputs = load_scenario_inputs(options.scenario, context), .candidates = {}};
    const ScenarioInputs& in = judged.inputs;
    judged.candidates = judge_candidates(in.catalog, in.scenario, in.rules, options.candidates, in.search);
    return judged;
}

CommandOutput run_compare(const CompareOptions& options, const Context& context) {
    const Judged judged = judge(options, context);
    const Scenario& scenario = judged.inputs.scenario;
    const auto& candidates = judged.candidates;
    CommandOutput output;
    switch (context.format()) {
    case report::OutputFormat::json: output.text = report::comparison_json(scenario, candidates, report::JsonStyle::document); break;
    case report::OutputFormat::jsonl: output.text = report::comparison_json(scenario, candidates, report::JsonStyle::lines); break;
    case report::OutputFormat::table:
    case report::OutputFormat::csv:
    case report::OutputFormat::markdown: output.text = context.render_tables(report::comparison_tables(scenario, candidates)); break;
    case report::OutputFormat::html:
        output.text = report::comparison_html(scenario, candidates, judged.inputs.rules,
                                              {DSSELECT_VERSION, context.command_line, static_cast<std::int64_t>(candidates.size())});
        break;
    }
    return output;
}

CommandOutput run_tco(const CompareOptions& options, const Context& context) {
    const Judged judged = judge(options, context);
    const Scenario& scenario = judged.inputs.scenario;
    const Candidate& candidate = judged.candidates.front();
    CommandOutput output;
    switch (context.format()) {
    case report::OutputFormat::json: output.text = report::tco_json(scenario, candidate, report::JsonStyle::document); break;
    case report::OutputFormat::jsonl: output.text = report::tco_json(scenario, candidate, report::JsonStyle::lines); break;
    case report::OutputFormat::table:
    case report::OutputFormat::csv:
    case report::OutputFormat::markdown:
    case report::OutputFormat::html:  // refused by run() before any work
        output.text = context.render_tables(report::tco_tables(scenario, candidate));
        break;
    }
    if (!candidate.costed) {
        output.messages.push_back("dsselect: " + candidate.label() + " cannot be costed: " + candidate.rejection->detail());
        output.exit_code = exit_code(ErrorKind::unsatisfiable);
        output.text.clear();
    }
    return output;
}
}  // namespace

void register_compare(CLI::App& app, Context& context) {
    auto options = std::make_shared<CompareOptions>();
    CLI::App* command = app.add_subcommand("compare", "Show candidates side by side, including those the rules reject");
    add_scenario_options(*command, options->scenario);
    command->add_option("candidates", options->candidates, "MODEL[:VARIANT][@HARDWARE[xGPUS]], e.g. base:int8@a40x2")->required();
    command->callback([options, &context] { context.action = [options, &context] { return run_compare(*options, context); }; });
}

void register_tco(CLI::App& app, Context& context) {
    auto options = std::make_shared<CompareOptions>();
    CLI::App* command = app.add_subcommand("tco", "Total cost of ownership of one candidate: weighted index and dollars");
    add_scenario_options(*command, options->scenario);
    command->add_option("candidate", options->candidates, "MODEL[:VARIANT][@HARDWARE[xGPUS]]")->required()->expected(1);
    command->callback([options, &context] { context.action = [options, &context] { return run_tco(*options, context); }; });
}

}  // namespace dsselect::cli
