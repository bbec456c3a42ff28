#pragma once
// Shared state of one CLI invocation: global options, the chosen command's action.
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "dsselect/catalog/types.hpp"
#include "dsselect/cli/app.hpp"
#include "dsselect/report/format.hpp"
#include "dsselect/report/render.hpp"
#include "dsselect/report/table.hpp"
#include "dsselect/select/search.hpp"

namespace dsselect::cli {

struct GlobalOptions {
    std::vector<std::string> data_files;
    std::string format = "table";
    std::string output_file;
    std::string color = "auto";
    bool quiet = false;
};

// The output formats a command writes, declared next to its registration. The first is the
// command's default when -o is not given; any other -o is refused (exit 2) before any work.
struct FormatDeclaration {
    std::vector<report::OutputFormat> formats;
    std::string hint;  // what to run instead, for a refused format
};
// Every format but html: commands whose output has tables and JSON views, or one form only.
inline const std::vector<report::OutputFormat> k_text_and_json_formats = {
    report::OutputFormat::table, report::OutputFormat::json, report::OutputFormat::jsonl, report::OutputFormat::csv,
    report::OutputFormat::markdown};

// What a command produced: stdout text (written only on success), stderr lines, exit code.
struct CommandOutput {
    std::string text;
    // "dsselect: error: ..." lines of a command that reports its errors itself (validate, rules
    // check, batch --fail-on): stderr starts with them, and -q does not drop them.
    std::vector<std::string> errors;
    std::vector<std::string> messages;  // notes and summaries after them; -q drops these
    int exit_code = 0;
};

// An input option that reads standard input when its value is `marker` ("-" for a file path, "@-"
// for an @FILE argument), declared where the option is added. A `catalog` input (--data) is read
// only by commands that load the catalog.
struct StdinInput {
    const CLI::Option* option = nullptr;
    std::string marker;
    bool catalog = false;
};

struct Context {
    GlobalOptions global;
    Environment environment;
    std::string command_line;  // "dsselect ARGS...", shell-quoted (shown on the HTML report)
    std::string command;       // the parsed subcommand's name
    bool format_given = false;  // -o/--format appeared on the command line
    std::function<CommandOutput()> action;
    // For commands that stream (batch): stdout when there is no --output-file, and stderr for
    // progress. Other commands return their text in CommandOutput.
    std::ostream* out = nullptr;
    std::ostream* err = nullptr;

    // Formats per command name, in registration order (declare_formats, one call per command).
    std::vector<std::pair<std::string, FormatDeclaration>> formats_by_command;
    const FormatDeclaration* declared_formats() const;  // the parsed command's, or null

    // Options that can read standard input (declare_stdin_input), and the commands that never load
    // the catalog (declare_without_catalog), so whose --data is not read.
    std::vector<StdinInput> stdin_inputs;
    std::vector<std::string> commands_without_catalog;

    Catalog load_catalog() const;
    void declare_formats(const std::string& command_name, FormatDeclaration declaration);
    void declare_stdin_input(const CLI::Option* option, std::string marker, bool catalog = false);
    void declare_without_catalog(const std::string& command_name);
    // Throws usage when more than one value of the parsed command line would read standard input
    // (the second reader would find it empty), naming them, before anything is read.
    void check_stdin_read_once() const;
    // -o as given, or the command's default format when -o is not given.
    report::OutputFormat format() const;
    // Throws usage when -o names a format the command does not declare.
    void check_format() const;
    // --color always, or auto on a terminal without NO_COLOR or TERM=dumb.
    bool color_enabled() const;
    // The format, the text layout (aligned on a terminal, tab-separated when piped), colour,
    // and the version and command line the HTML page shows. Commands set top and explain.
    report::RenderOptions render_options() const;
};

// One registration function per command (one file each).
void register_catalog(CLI::App& app, Context& context);
void register_validate(CLI::App& app, Context& context);
void register_estimate(CLI::App& app, Context& context);
void register_recommend(CLI::App& app, Context& context);
void register_compare(CLI::App& app, Context& context);
void register_tco(CLI::App& app, Context& context);
void register_rules(CLI::App& app, Context& context);
void register_batch(CLI::App& app, Context& context);
void register_schema(CLI::App& app, Context& context);
void register_completion(CLI::App& app, Context& context);
void register_plan(CLI::App& app, Context& context);
void register_report(CLI::App& app, Context& context);
void register_deploy(CLI::App& app, Context& context);

// recommend's exit-1 messages, each a "dsselect: " line: the rejection counts and the nearest
// miss with every flag change that admits it, then the verified advice of each further reason.
std::vector<std::string> unsatisfiable_messages(const SearchResult& result);

// "dsselect" and each argument, quoted for a POSIX shell when it needs it.
std::string shell_command_line(const std::vector<std::string>& args);

// Writes `text` to the --output-file path atomically, or to `out`. Throws output_failed.
void write_output(const std::string& text, const std::string& output_file, std::ostream& out);

}  // namespace dsselect::cli
