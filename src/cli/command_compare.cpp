// dsselect compare --scenario ID CANDIDATE...   and   dsselect tco --scenario ID CANDIDATE
#include "context.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/report/render.hpp"
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
    CommandOutput output;
    const std::string engine_id = search_engine_id(judged.inputs.catalog, judged.inputs.scenario);
    output.text = report::render(
        report::ComparisonDocument{judged.inputs.scenario, judged.candidates, judged.inputs.rules, engine_id},
        context.render_options());
    return output;
}

CommandOutput run_tco(const CompareOptions& options, const Context& context) {
    const Judged judged = judge(options, context);
    const Candidate& candidate = judged.candidates.front();
    CommandOutput output;
    if (!candidate.costed) {
        output.messages.push_back("dsselect: " + candidate.label() + " cannot be costed: " + candidate.rejection->detail());
        output.exit_code = exit_code(ErrorKind::unsatisfiable);
        return output;
    }
    const std::string engine_id = search_engine_id(judged.inputs.catalog, judged.inputs.scenario);
    output.text = report::render(report::TcoDocument{judged.inputs.scenario, candidate, engine_id}, context.render_options());
    // Costed, but outside the scenario's constraints: the document is written all the same and
    // tco exits 1, as recommend does when nothing satisfies the scenario (README, exit codes).
    if (!candidate.meets_constraints()) {
        output.messages.push_back("dsselect: " + report::constraint_warning(candidate));
        output.exit_code = exit_code(ErrorKind::unsatisfiable);
    }
    return output;
}
}  // namespace

void register_compare(CLI::App& app, Context& context) {
    context.declare_formats("compare", {.formats = {report::OutputFormat::table, report::OutputFormat::json,
                                                  report::OutputFormat::jsonl, report::OutputFormat::csv,
                                                  report::OutputFormat::markdown, report::OutputFormat::html},
                                      .hint = ""});
    auto options = std::make_shared<CompareOptions>();
    CLI::App* command = app.add_subcommand("compare", "Show candidates side by side, including those the rules reject");
    add_scenario_options(*command, options->scenario, context);
    command->add_option("candidates", options->candidates, "MODEL[:VARIANT][@HARDWARE[xGPUS]], e.g. base:int8@a40x2")->required();
    command->callback([options, &context] { context.action = [options, &context] { return run_compare(*options, context); }; });
}

void register_tco(CLI::App& app, Context& context) {
    context.declare_formats("tco", {.formats = k_text_and_json_formats, .hint = ""});
    auto options = std::make_shared<CompareOptions>();
    CLI::App* command = app.add_subcommand("tco", "Total cost of ownership of one candidate: weighted index and dollars");
    add_scenario_options(*command, options->scenario, context);
    command->add_option("candidate", options->candidates, "MODEL[:VARIANT][@HARDWARE[xGPUS]]")->required()->expected(1);
    command->callback([options, &context] { context.action = [options, &context] { return run_tco(*options, context); }; });
}

}  // namespace dsselect::cli
