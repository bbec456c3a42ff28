// dsselect validate FILE...: every problem of every file, not just the first.
#include <fmt/format.h>

#include "context.hpp"
#include "dsselect/catalog/loader.hpp"
#include "dsselect/core/error.hpp"

namespace dsselect::cli {

namespace {
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
        const auto problems = validate_document(source, base);
        for (const auto& problem : problems) {
            output.messages.push_back("dsselect: error: " + problem);
        }
        problem_count += problems.size();
        if (problems.empty()) {
            output.text += fmt::format("{}: ok\n", path);
        }
    }
    for (const auto& message : missing) {
        output.messages.push_back("dsselect: error: " + message);
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
    command->add_option("files", options->files, "Catalog JSON files ('-' reads stdin)")->required();
    command->callback([options, &context] { context.action = [options, &context] { return run_validate(*options, context); }; });
}

}  // namespace dsselect::cli
