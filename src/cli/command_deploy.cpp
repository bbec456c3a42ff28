// dsselect deploy --scenario ID [CANDIDATE] [--engine ID] [--target shell|compose|kubernetes]
//                 [--output-dir DIR]
// The launch command and deployment files of a judged candidate (docs/deploy.md): the scenario's
// winner (the same search as recommend), or the candidate named.
#include <filesystem>
#include <system_error>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "context.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/deploy/deploy.hpp"
#include "dsselect/select/candidate_spec.hpp"
#include "dsselect/select/search.hpp"
#include "scenario_options.hpp"

namespace dsselect::cli {

namespace {
struct DeployOptions {
    ScenarioOptions scenario;
    std::vector<std::string> candidate;
    std::string target = "shell";
    std::string output_dir;
};

CommandOutput run_deploy(const DeployOptions& options, const Context& context) {
    const report::OutputFormat format = context.format();
    const std::optional<deploy::Target> target = deploy::parse_target(options.target);
    if (!target) {
        throw Error(ErrorKind::usage,
                    fmt::format("--target: expected one of {}, got '{}'", deploy::k_target_names, options.target));
    }
    if (!options.candidate.empty()) {
        parse_candidate(options.candidate.front());  // a parse error before any work
    }
    // The launch flags keep the engine's default KV type (data/deploy.json); a plan sized for
    // another type would not match the files written.
    if (options.scenario.kv_cache_dtype != "auto") {
        throw Error(ErrorKind::usage,
                    fmt::format("--kv-cache-dtype: deploy writes the engine's default KV-cache type; got '{}'",
                                options.scenario.kv_cache_dtype),
                    "leave it out (auto), or add the engine's KV-cache flag to the written command yourself");
    }
    const ScenarioInputs in = load_scenario_inputs(options.scenario, context);
    const Catalog& catalog = in.catalog;
    const Scenario& scenario = in.scenario;
    CommandOutput output;

    std::optional<deploy::Plan> plan;
    if (!options.candidate.empty()) {
        const std::vector<Candidate> judged = judge_candidates(catalog, scenario, in.rules, options.candidate, in.search);
        plan = deploy::plan_deployment(catalog, scenario, judged.front(), *target);
    } else {
        const SearchResult result = search(catalog, scenario, in.rules, in.search);
        if (result.ranked.empty()) {
            output.exit_code = exit_code(ErrorKind::unsatisfiable);
            output.messages = unsatisfiable_messages(result);
            return output;
        }
        try {
            plan = deploy::plan_deployment(catalog, scenario, result.ranked.front(), *target);
        } catch (const Error& error) {
            if (error.kind() != ErrorKind::usage && error.kind() != ErrorKind::invalid_data) {
                throw;
            }
            // The winner cannot run on this engine or target: name the best one that can.
            for (std::size_t i = 1; i < result.ranked.size(); ++i) {
                try {
                    deploy::plan_deployment(catalog, scenario, result.ranked[i], *target);
                } catch (const Error&) {
                    continue;
                }
                throw Error(error.kind(), fmt::format("the winner {}: {}", result.ranked.front().label(), error.what()),
                            fmt::format("the best candidate that can be deployed so is rank {}: {} (add it to the same "
                                        "command)",
                                        i + 1, result.ranked[i].label()));
            }
            throw Error(error.kind(), fmt::format("the winner {}: {}", result.ranked.front().label(), error.what()),
                        error.hint());
        }
    }
    for (const std::string& note : plan->notes) {
        output.messages.push_back("dsselect: note: " + note);
    }

    if (!options.output_dir.empty()) {
        std::error_code ignored;
        std::filesystem::create_directories(options.output_dir, ignored);
        for (const deploy::OutputFile& file : plan->files) {
            const std::string path = (std::filesystem::path(options.output_dir) / file.path).string();
            std::ostringstream unused;
            write_output(file.content, path, unused);
            if (file.path.ends_with(".sh")) {
                std::filesystem::permissions(path,
                                             std::filesystem::perms::owner_exec | std::filesystem::perms::group_exec |
                                                 std::filesystem::perms::others_exec,
                                             std::filesystem::perm_options::add, ignored);
            }
        }
    }
    switch (format) {
    case report::OutputFormat::json: output.text = deploy::deployment_json(*plan); break;
    case report::OutputFormat::jsonl:
        output.text = nlohmann::ordered_json::parse(deploy::deployment_json(*plan)).dump() + "\n";
        break;
    default:
        if (options.output_dir.empty()) {
            for (const deploy::OutputFile& file : plan->files) {
                output.text += file.content;
            }
        } else {
            for (const deploy::OutputFile& file : plan->files) {
                output.text += "wrote " + (std::filesystem::path(options.output_dir) / file.path).string() + "\n";
            }
        }
        break;
    }
    return output;
}
}  // namespace

void register_deploy(CLI::App& app, Context& context) {
    // table: the file itself (or, with --output-dir, the paths written).
    context.declare_formats("deploy", {.formats = {report::OutputFormat::table, report::OutputFormat::json,
                                                 report::OutputFormat::jsonl},
                                     .hint = "deploy writes files; use -o json (a Deployment document) or the default "
                                             "(the file itself)"});
    auto options = std::make_shared<DeployOptions>();
    CLI::App* command = app.add_subcommand(
        "deploy", "Launch command and deployment files (shell, compose, kubernetes) for the winner or a candidate");
    add_scenario_options(*command, options->scenario, context);
    command->add_option("candidate", options->candidate, "MODEL[:VARIANT][@HARDWARE[xGPUS]] (default: the scenario's winner)")
        ->expected(0, 1);
    command->add_option("--target", options->target, "What to write: shell (default), compose, kubernetes");
    command->add_option("--output-dir", options->output_dir,
                        "Write the files into this directory (atomically); default: print the file");
    command->callback([options, &context] { context.action = [options, &context] { return run_deploy(*options, context); }; });
}

}  // namespace dsselect::cli
