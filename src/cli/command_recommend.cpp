// dsselect recommend --scenario ID|FILE|- [--top N] [--explain] [constraint flags]
#include <fmt/format.h>

#include "context.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/report/render.hpp"
#include "dsselect/select/recommendation.hpp"
#include "scenario_options.hpp"

namespace dsselect::cli {

// The nearest miss with the flag changes that admit it (the verified advice with the fewest
// changes, docs/ranking.md "Advice"), then the advice for each further reason.
std::vector<std::string> unsatisfiable_messages(const SearchResult& result) {
    std::string first = fmt::format("dsselect: nothing satisfies scenario '{}' ({} candidates; {})", result.scenario.id,
                                    result.candidates_evaluated, report::rejection_summary(result.rejected_by_reason));
    const Suggestion* best = best_suggestion(result);
    if (best != nullptr) {
        const Rejection& r = *best->candidate.rejection;
        first += fmt::format("; nearest: {} misses {}: {}; to admit it: {}", best->candidate.label(), r.reason, r.detail(),
                             best->flags());
    } else {
        const Candidate* nearest = nullptr;
        for (const auto& [reason, candidate] : result.nearest_miss) {
            if (nearest == nullptr || candidate.rejection->miss_ratio < nearest->rejection->miss_ratio) {
                nearest = &candidate;
            }
        }
        if (nearest != nullptr) {
            first += fmt::format("; nearest: {} misses {}: {}; no change of limit flags admits a candidate",
                                 nearest->label(), nearest->rejection->reason, nearest->rejection->detail());
        }
    }
    std::vector<std::string> lines{first};
    for (const auto& [reason, suggestion] : result.suggestions) {
        if (&suggestion != best) {
            lines.push_back(fmt::format("dsselect: nearest {} miss that flags admit: {}; to admit it: {}", reason,
                                        suggestion.candidate.label(), suggestion.flags()));
        }
    }
    return lines;
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
    if (options.explain || inputs.search.keep_evaluated) {
        inputs.search.advice = Advice::always;  // the nearest misses say what admits each
    }
    const Recommendation recommendation = run_recommendation(inputs.catalog, inputs.scenario, inputs.rules, inputs.search);
    CommandOutput output;
    if (!recommendation.satisfied()) {
        output.exit_code = exit_code(ErrorKind::unsatisfiable);
        output.messages = unsatisfiable_messages(recommendation.search);
        // A script reading JSON still gets the document: no recommendations, the counts and the
        // nearest misses with the values that would admit them (exit 1 all the same).
        const report::OutputFormat format = context.format();
        if (format != report::OutputFormat::json && format != report::OutputFormat::jsonl) {
            return output;
        }
    }
    report::RenderOptions render = context.render_options();
    render.top = options.top;
    render.explain = options.explain;
    output.text = report::render(report::RecommendationDocument{recommendation, inputs.rules}, render);
    return output;
}
}  // namespace

void register_recommend(CLI::App& app, Context& context) {
    context.declare_formats("recommend", {.formats = {report::OutputFormat::table, report::OutputFormat::json,
                                                    report::OutputFormat::jsonl, report::OutputFormat::csv,
                                                    report::OutputFormat::markdown, report::OutputFormat::html},
                                        .hint = ""});
    auto options = std::make_shared<RecommendOptions>();
    CLI::App* command = app.add_subcommand("recommend", "Search versions x variants x hardware for a scenario and rank them");
    add_scenario_options(*command, options->scenario, context);
    command->add_option("--top", options->top, "How many recommendations to show (default 5)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000}));
    command->add_flag("--explain", options->explain, "Why the winner won; the nearest miss per rejection reason");
    command->callback([options, &context] { context.action = [options, &context] { return run_recommend(*options, context); }; });
}

}  // namespace dsselect::cli
