// dsselect validate FILE...: every problem of every file, not just the first.
#include <fmt/format.h>

#include "context.hpp"
#include "dsselect/catalog/loader.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/rules/rules.hpp"

#include <nlohmann/json.hpp>

namespace dsselect::cli {

namespace {
// A rules document ({"schema_version", "rules"} and nothing else) or one bare rule is checked by
// the rules module; a bare rule is wrapped into a document first. Anything else is a data file.
std::vector<std::string> validate_any(const DataSource& source, const Catalog& base) {
    // The top level only, to recognise the shape (the strict readers below check the rest).
    const nlohmann::json root = nlohmann::json::parse(
        source.text, [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) { return depth <= 1; }, false);
    if (root.is_object() && !root.contains("schema_version") && root.contains("id") && root.contains("effect") &&
        root.contains("when")) {
        return check_rules_document({source.name, "{\"schema_version\": \"1.0\", \"rules\": [" + source.text + "]}"});
    }
    if (root.is_object() && root.contains("rules")) {
        bool rules_only = true;
        for (const auto& [key, value] : root.items()) {
            rules_only = rules_only && (key == "schema_version" || key == "rules");
        }
        if (rules_only) {
            return check_rules_document(source);
        }
    }
    return validate_document(source, base);
}

struct ValidateOptions {
    std::vector<std::string> files;
};

CommandOutput run_validate(const ValidateOptions& options, const Context& context) {
    const Catalog base = context.load_catalog();
    CommandOutput output;
    std::size_t problem_count = 0;
    std::vector<std::string> missing;
    for (const std::string& path : options.files) {
        DataSource source;
        try {
            source = read_data_file(path);
        } catch (const Error& error) {
            if (error.kind() != ErrorKind::input_missing) {
                throw;
            }
            missing.push_back(error.what());
            continue;
        }
        const auto problems = validate_any(source, base);
        for (const auto& problem : problems) {
            output.errors.push_back("dsselect: error: " + problem);
        }
        problem_count += problems.size();
        if (problems.empty()) {
            output.text += fmt::format("{}: ok\n", path);
        }
    }
    for (const auto& message : missing) {
        output.errors.push_back("dsselect: error: " + message);
    }
    if (!missing.empty()) {
        output.exit_code = exit_code(ErrorKind::input_missing);
    } else if (problem_count > 0) {
        output.exit_code = exit_code(ErrorKind::invalid_data);
        output.messages.push_back(fmt::format("dsselect: {} problem{} found", problem_count, problem_count == 1 ? "" : "s"));
    }
    if (output.exit_code != 0) {
        output.text.clear();  // nothing on stdout when the command fails
    }
    return output;
}
}  // namespace

void register_validate(CLI::App& app, Context& context) {
    // One form of output (a line per file); -o is accepted and has no effect.
    context.declare_formats("validate", {.formats = k_text_and_json_formats, .hint = ""});
    auto options = std::make_shared<ValidateOptions>();
    CLI::App* command = app.add_subcommand("validate", "Check catalog files and report every problem in each");
    context.declare_stdin_input(command->add_option("files", options->files, "Catalog JSON files ('-' reads stdin)")->required(),
                                "-");
    command->callback([options, &context] { context.action = [options, &context] { return run_validate(*options, context); }; });
}

}  // namespace dsselect::cli
