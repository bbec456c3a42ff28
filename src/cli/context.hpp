#pragma once
// Shared state of one CLI invocation: global options, the chosen command's action.
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "dsselect/catalog/types.hpp"
#include "dsselect/cli/app.hpp"
#include "dsselect/report/format.hpp"
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

// What a command produced: stdout text (written only on success), stderr lines, exit code.
struct CommandOutput {
    std::string text;
    std::vector<std::string> messages;
    int exit_code = 0;
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

    Catalog load_catalog() const;
    report::OutputFormat format() const;
    // --color always, or auto on a terminal without NO_COLOR or TERM=dumb.
    bool color_enabled() const;
    // Renders tables in the chosen text format (table, csv, markdown); JSON is the command's.
    std::string render_tables(const std::vector<report::Table>& tables) const;
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

// recommend's exit-1 message: the rejection counts and the nearest miss with what to relax.
std::string unsatisfiable_message(const SearchResult& result);

// "dsselect" and each argument, quoted for a POSIX shell when it needs it.
std::string shell_command_line(const std::vector<std::string>& args);

// Writes `text` to the --output-file path atomically, or to `out`. Throws output_failed.
void write_output(const std::string& text, const std::string& output_file, std::ostream& out);

}  // namespace dsselect::cli
