// dsselect rules eval --rule JSON|@FILE --input JSON|@FILE   and   dsselect rules check FILE...
#include <fmt/format.h>

#include "context.hpp"
#include "dsselect/catalog/loader.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/rules/rules.hpp"

namespace dsselect::cli {

namespace {
struct RulesOptions {
    std::string rule;
    std::string input = "{}";
    std::vector<std::string> files;
};

// "@path" reads a file ("@-" stdin); anything else is the JSON text itself.
std::string text_or_file(const std::string& argument) {
    return !argument.empty() && argument.front() == '@' ? read_data_file(argument.substr(1)).text : argument;
}

CommandOutput run_eval(const RulesOptions& options) {
    CommandOutput output;
    output.text = evaluate_expression_text(text_or_file(options.rule), text_or_file(options.input));
    return output;
}

CommandOutput run_check(const RulesOptions& options) {
    CommandOutput output;
    std::size_t problems = 0;
    for (const auto& path : options.files) {
        const auto found = check_rules_document(read_data_file(path));
        for (const auto& problem : found) {
            output.errors.push_back("dsselect: error: " + problem);
        }
        problems += found.size();
        if (found.empty()) {
            output.text += path + ": ok\n";
        }
    }
    if (problems > 0) {
        output.exit_code = exit_code(ErrorKind::invalid_data);
        output.text.clear();
    }
    return output;
}
}  // namespace

void register_rules(CLI::App& app, Context& context) {
    // One form of output per subcommand; -o is accepted and has no effect.
    context.declare_formats("rules", {.formats = k_text_and_json_formats, .hint = ""});
    context.declare_without_catalog("rules");
    auto options = std::make_shared<RulesOptions>();
    CLI::App* command = app.add_subcommand("rules", "Evaluate or check JSON Logic policy rules");
    command->require_subcommand(1);
    CLI::App* eval = command->add_subcommand("eval", "Apply one JSON Logic expression to an input document");
    // An @FILE argument reads the file after '@' (text_or_file), so "@-" reads standard input.
    context.declare_stdin_input(eval->add_option("--rule", options->rule, "The expression: JSON text, or @FILE")->required(),
                                "@-");
    context.declare_stdin_input(eval->add_option("--input", options->input, "The data: JSON text, or @FILE (default {})"), "@-");
    eval->callback([options, &context] { context.action = [options] { return run_eval(*options); }; });
    CLI::App* check = command->add_subcommand("check", "Validate rule files: operators, arity, context fields");
    context.declare_stdin_input(check->add_option("files", options->files, "Rule files")->required(), "-");
    check->callback([options, &context] { context.action = [options] { return run_check(*options); }; });
}

}  // namespace dsselect::cli
