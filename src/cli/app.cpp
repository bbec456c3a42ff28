#include "dsselect/cli/app.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string_view>

#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "context.hpp"
#include "dsselect/catalog/loader.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/core/notices.hpp"
#include "dsselect/core/text.hpp"

namespace dsselect::cli {

Environment process_environment() {
    Environment environment;
    environment.stdout_is_terminal = isatty(STDOUT_FILENO) != 0;
    environment.stderr_is_terminal = isatty(STDERR_FILENO) != 0;
    const char* no_color = std::getenv("NO_COLOR");
    environment.no_color = no_color != nullptr && no_color[0] != '\0';
    const char* term = std::getenv("TERM");
    environment.term_dumb = term != nullptr && std::string(term) == "dumb";
    return environment;
}

Catalog Context::load_catalog() const {
    std::vector<DataSource> overlays;
    for (const std::string& path : global.data_files) {
        overlays.push_back(read_data_file(path));
    }
    return dsselect::load_catalog(overlays);
}

void Context::declare_formats(const std::string& command_name, FormatDeclaration declaration) {
    formats_by_command.emplace_back(command_name, std::move(declaration));
}

void Context::declare_stdin_input(const CLI::Option* option, std::string marker, bool catalog) {
    stdin_inputs.push_back({.option = option, .marker = std::move(marker), .catalog = catalog});
}

void Context::declare_without_catalog(const std::string& command_name) {
    commands_without_catalog.push_back(command_name);
}

void Context::check_stdin_read_once() const {
    const bool loads_catalog =
        std::find(commands_without_catalog.begin(), commands_without_catalog.end(), command) == commands_without_catalog.end();
    std::vector<std::string> readers;
    for (const StdinInput& input : stdin_inputs) {
        if (input.catalog && !loads_catalog) {
            continue;
        }
        for (const std::string& value : input.option->results()) {
            if (value == input.marker) {
                readers.push_back(input.option->get_name());
            }
        }
    }
    if (readers.size() > 1) {
        throw Error(ErrorKind::usage, fmt::format("standard input can be read once, but {} values read it ('-' or '@-'): {}",
                                                  readers.size(), fmt::join(readers, ", ")));
    }
}

const FormatDeclaration* Context::declared_formats() const {
    for (const auto& [name, declaration] : formats_by_command) {
        if (name == command) {
            return &declaration;
        }
    }
    return nullptr;
}

report::OutputFormat Context::format() const {
    const std::optional<report::OutputFormat> parsed = report::parse_output_format(global.format);
    if (!parsed) {
        throw Error(ErrorKind::usage, fmt::format("-o/--format: expected one of {}, got '{}'",
                                                  report::k_output_format_names, global.format));
    }
    const FormatDeclaration* declared = declared_formats();
    if (!format_given && declared != nullptr && !declared->formats.empty() &&
        std::find(declared->formats.begin(), declared->formats.end(), *parsed) == declared->formats.end()) {
        return declared->formats.front();
    }
    return *parsed;
}

namespace {
const char* format_title(report::OutputFormat format) {
    switch (format) {
    case report::OutputFormat::table: return "tables";
    case report::OutputFormat::json: return "JSON";
    case report::OutputFormat::jsonl: return "JSON Lines";
    case report::OutputFormat::csv: return "CSV";
    case report::OutputFormat::markdown: return "Markdown";
    case report::OutputFormat::html: return "HTML";
    }
    return "";
}
}  // namespace

void Context::check_format() const {
    const report::OutputFormat wanted = format();
    const FormatDeclaration* declared = declared_formats();
    if (declared == nullptr || !format_given) {
        return;
    }
    const std::vector<report::OutputFormat>& formats = declared->formats;
    if (std::find(formats.begin(), formats.end(), wanted) != formats.end()) {
        return;
    }
    if (wanted == report::OutputFormat::html) {
        std::vector<std::string> with_html;
        for (const auto& [name, declaration] : formats_by_command) {
            if (std::find(declaration.formats.begin(), declaration.formats.end(), report::OutputFormat::html) !=
                declaration.formats.end()) {
                with_html.push_back(name);
            }
        }
        std::string list;
        for (std::size_t i = 0; i < with_html.size(); ++i) {
            list += (i == 0 ? "" : i + 1 == with_html.size() ? " and " : ", ") + with_html[i];
        }
        throw Error(ErrorKind::usage,
                    fmt::format("-o html: '{}' has no HTML view; -o html is available for {}", command, list),
                    declared->hint);
    }
    std::string titles;
    for (std::size_t i = 0; i < formats.size(); ++i) {
        titles += (i == 0 ? "" : i + 1 == formats.size() ? " or " : ", ") + std::string(format_title(formats[i]));
    }
    throw Error(ErrorKind::usage, fmt::format("-o {}: {} writes {} only", global.format, command, titles), declared->hint);
}

bool Context::color_enabled() const {
    if (global.color == "always") {
        return true;
    }
    if (global.color == "never") {
        return false;
    }
    return environment.stdout_is_terminal && global.output_file.empty() && !environment.no_color && !environment.term_dumb;
}

report::RenderOptions Context::render_options() const {
    // Piped output (or a file) is tab-separated and untruncated.
    const bool aligned = environment.stdout_is_terminal && global.output_file.empty();
    return {.format = format(),
            .text_style = aligned ? report::TextStyle::aligned : report::TextStyle::tab_separated,
            .color = color_enabled() ? report::Color::on : report::Color::off,
            .top = 5,
            .explain = false,
            .version = DSSELECT_VERSION,
            .command_line = command_line};
}

std::string shell_command_line(const std::vector<std::string>& args) {
    std::string line = "dsselect";
    for (const std::string& arg : args) {
        const bool plain = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) != 0 || std::string_view("@%+=:,./_-").find(c) != std::string_view::npos;
        });
        line += ' ';
        if (plain) {
            line += arg;
            continue;
        }
        line += '\'';
        for (char c : arg) {
            if (c == '\'') {
                line += "'\\''";
            } else {
                line += c;
            }
        }
        line += '\'';
    }
    return line;
}

namespace {
constexpr const char* k_examples = R"(Examples:
  dsselect recommend --scenario customer-service
  dsselect estimate --model base --variant int8 --gpu a40 --gpus 2 --batch 8
  dsselect catalog models -o json
  dsselect validate my-catalog.json
  dsselect --data my-gpus.json catalog hardware

Exit codes: 0 ok, 1 nothing satisfies, 2 usage, 65 invalid data, 66 missing input,
70 internal error, 74 output not written.)";

// Messages echo what was typed or read (ids, paths, values): printable() keeps each on its line.
void print_error(std::ostream& err, const Error& error) {
    err << "dsselect: error: " << printable(error.what()) << "\n";
    if (!error.hint().empty()) {
        err << "hint: " << printable(error.hint()) << "\n";
    }
}

// Every numeric flag of every command reads decimal numbers only, with one message naming what was
// expected. CLI11 alone read "010" as octal 8 and "0x10" (and hex floats, "0x1p3") as 16; took
// "nan" past PositiveNumber and Range, which compare with < and > (so `--max-latency-ms nan` dropped
// the limit silently); and answered "abc", or 0 for a positive flag, with "Value 0 not in range 0.000000
// to " and DBL_MAX in full. The check runs before the flag's own validator; --help is unchanged.
std::string decimal_problem(std::string& value, bool whole, bool non_negative) {
    if (!whole) {
        char* end = nullptr;
        const double number = std::strtod(value.c_str(), &end);
        if (!value.empty() && end == value.c_str() + value.size() && !std::isfinite(number)) {
            return "expected a finite number, got '" + printable(value) + "'";  // nan, inf, 1e999
        }
    }
    // A sign on an unsigned flag: CLI11 would wrap "-5" to a huge count.
    if (!is_decimal_number(value, whole) || (non_negative && value[0] == '-')) {
        return fmt::format("expected {} number, got '{}'",
                           non_negative ? "a whole non-negative decimal" : (whole ? "a whole decimal" : "a decimal"),
                           printable(value));
    }
    // Leading zeros are decimal ("010" is ten), not CLI11's octal: drop them before it converts.
    const std::size_t digits_from = value[0] == '+' || value[0] == '-' ? 1 : 0;
    std::size_t zeros = digits_from;
    while (zeros + 1 < value.size() && value[zeros] == '0' && value[zeros + 1] >= '0' && value[zeros + 1] <= '9') {
        ++zeros;
    }
    value.erase(digits_from, zeros - digits_from);
    return "";
}

// What a flag's CLI11 validator asks for, from its description ("POSITIVE", "INT in [1 - 1024]").
std::string expected_range(const std::string& description, bool whole) {
    if (description == "POSITIVE") {
        return "a number greater than 0";
    }
    if (description == "NONNEGATIVE") {
        return "a number of at least 0";
    }
    const auto open = description.find(" in [");
    const auto dash = description.find(" - ", open);
    if (open != std::string::npos && dash != std::string::npos && description.back() == ']') {
        const std::string low = description.substr(open + 5, dash - open - 5);
        const std::string high = description.substr(dash + 3, description.size() - dash - 4);
        return fmt::format("{} from {} to {}", whole ? "a whole number" : "a number", low, high);
    }
    return "";
}

void collect_long_names(const CLI::App& app, std::vector<std::string>& names) {
    for (const CLI::Option* option : app.get_options()) {
        for (const std::string& name : option->get_lnames()) {
            names.push_back("--" + name);
        }
    }
}

// The first "--name" on the command line that neither the command (nor its own subcommands)
// nor dsselect itself knows, with the nearest flag: "--max-latency" -> "--max-latency-ms",
// "--senario" -> "--scenario". CLI11 alone said "The following arguments were not expected"
// or "--scenario is required". Empty when every long option is known.
std::string unknown_long_option(CLI::App& app, CLI::App& command, const std::vector<std::string>& args) {
    std::vector<std::string> known = {"--help", "--version"};
    collect_long_names(app, known);
    std::vector<CLI::App*> pending = {&command};
    while (!pending.empty()) {
        CLI::App* current = pending.back();
        pending.pop_back();
        collect_long_names(*current, known);
        for (CLI::App* sub : current->get_subcommands([](CLI::App*) { return true; })) {
            pending.push_back(sub);
        }
    }
    for (const std::string& arg : args) {
        if (arg == "--") {
            break;  // what follows is positional
        }
        if (arg.size() <= 2 || arg.rfind("--", 0) != 0) {
            continue;
        }
        const std::string name = arg.substr(0, arg.find('='));
        if (std::find(known.begin(), known.end(), name) != known.end()) {
            continue;
        }
        std::vector<std::string> prefixed;
        for (const std::string& flag : known) {
            if (flag.rfind(name, 0) == 0 && std::find(prefixed.begin(), prefixed.end(), flag) == prefixed.end()) {
                prefixed.push_back(flag);
            }
        }
        std::string hint;
        if (!prefixed.empty()) {
            hint = "; did you mean '" + prefixed.front() + "'";
            for (std::size_t i = 1; i < prefixed.size(); ++i) {
                hint += (i + 1 == prefixed.size() ? " or '" : ", '") + prefixed[i] + "'";
            }
            hint += "?";
        } else {
            hint = did_you_mean(name, known);
        }
        return fmt::format("unknown option '{}' for '{}'{}", printable(name), command.get_name(), hint);
    }
    return "";
}

void require_decimal_numbers(CLI::App& app) {
    for (CLI::Option* option : app.get_options()) {
        const std::string type = option->get_type_name();
        const bool non_negative = type.rfind("UINT", 0) == 0;
        const bool whole = non_negative || type.rfind("INT", 0) == 0;
        if (!whole && type.rfind("FLOAT", 0) != 0) {
            continue;
        }
        CLI::Validator* first = nullptr;
        try {
            first = option->get_validator(0);
        } catch (const CLI::OptionNotFound&) {
            // transform, not check: check() makes a validator non-modifying, and this one drops zeros.
            option->transform(CLI::Validator(
                [whole, non_negative](std::string& value) { return decimal_problem(value, whole, non_negative); }, ""));
            continue;
        }
        first->operation([own = *first, whole, non_negative,
                          range = expected_range(first->get_description(), whole)](std::string& value) {
            const std::string typed = value;  // the message quotes what was typed, zeros and all
            std::string problem = decimal_problem(value, whole, non_negative);
            if (!problem.empty()) {
                return problem;
            }
            problem = own(value);
            return problem.empty() || range.empty() ? problem : fmt::format("expected {}, got '{}'", range, printable(typed));
        });
        first->non_modifying(false);  // decimal_problem drops leading zeros from the value CLI11 converts
    }
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
        require_decimal_numbers(*sub);
    }
}

// Standard output after everything was written to it: a failed write (a full disk, /dev/full)
// is exit 74, whichever command wrote.
int check_flushed(std::ostream& out, std::ostream& err, int code) {
    out.flush();
    if (!out) {
        err << "dsselect: error: standard output: cannot write\n";
        return exit_code(ErrorKind::output_failed);
    }
    return code;
}
}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, const Environment& environment) {
    Context context;
    context.environment = environment;
    context.out = &out;
    context.err = &err;
    CLI::App app{"dsselect: which model version, variant and hardware for your workload, and what it costs",
                 "dsselect"};
    app.footer(k_examples);
    app.set_version_flag("--version", std::string("dsselect ") + DSSELECT_VERSION);
    app.require_subcommand(1);
    app.fallthrough();
    context.declare_stdin_input(app.add_option("--data", context.global.data_files,
                                               "Catalog file to add or override entries (repeatable; later wins by id)"),
                                "-", /*catalog=*/true);
    CLI::Option* format_option = app.add_option("-o,--format", context.global.format,
                                                std::string("Output format: ") + report::k_output_format_names);
    app.add_option("--output-file", context.global.output_file, "Write the result to this file (atomically)");
    app.add_option("--color", context.global.color, "Colour: auto|always|never")
        ->check(CLI::IsMember({"auto", "always", "never"}));
    app.add_flag("-q,--quiet", context.global.quiet, "No notes, warnings or progress on stderr (errors still print); stdout is unchanged");

    register_catalog(app, context);
    register_validate(app, context);
    register_estimate(app, context);
    register_recommend(app, context);
    register_compare(app, context);
    register_tco(app, context);
    register_plan(app, context);
    register_rules(app, context);
    register_batch(app, context);
    register_schema(app, context);
    register_completion(app, context);
    register_report(app, context);
    register_deploy(app, context);
    require_decimal_numbers(app);
    context.command_line = shell_command_line(args);

    // An unknown command gets a did-you-mean before CLI11 reports "a subcommand is required".
    {
        std::vector<std::string> commands;
        for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
            commands.push_back(sub->get_name());
        }
        static const std::vector<std::string> k_valued = {"--data", "-o", "--format", "--output-file", "--color"};
        for (std::size_t i = 0; i < args.size(); ++i) {
            const std::string& arg = args[i];
            if (std::find(k_valued.begin(), k_valued.end(), arg) != k_valued.end()) {
                ++i;  // skip the option's value
                continue;
            }
            if (arg.empty() || arg[0] == '-') {
                continue;
            }
            if (std::find(commands.begin(), commands.end(), arg) == commands.end()) {
                err << fmt::format("dsselect: error: unknown command '{}'{}\nRun 'dsselect --help' for usage.\n",
                                   printable(arg), did_you_mean(arg, commands));
                return exit_code(ErrorKind::usage);
            }
            if (const std::string problem = unknown_long_option(app, *app.get_subcommand(arg), args); !problem.empty()) {
                err << fmt::format("dsselect: error: {}\nRun 'dsselect {} --help' for usage.\n", problem, arg);
                return exit_code(ErrorKind::usage);
            }
            break;
        }
    }
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::ParseError& error) {
        std::ostringstream cli_out;
        std::ostringstream cli_err;
        int code = app.exit(error, cli_out, cli_err);
        if (code == 0) {  // --help, --version
            out << cli_out.str();
            return check_flushed(out, err, 0);
        }
        std::string message = printable(error.what());
        err << "dsselect: error: " << message << "\nRun 'dsselect --help' for usage.\n";
        return exit_code(ErrorKind::usage);
    }
    for (const CLI::App* sub : app.get_subcommands()) {
        context.command = sub->get_name();
    }
    context.format_given = format_option->count() > 0;
    // stderr once the output is written, so that a failed write's error line comes first, as
    // every error's does (README, "Exit codes"): a command's own error lines, then (unless -q)
    // the notes and messages. -q drops notes, warnings and messages, never an error line.
    std::vector<std::string> errors;
    std::vector<std::string> notes;
    const auto print_stderr = [&] {
        for (const auto& line : errors) {
            err << printable(line) << "\n";
        }
        if (context.global.quiet) {
            return;
        }
        for (std::string& notice : take_notices()) {
            notes.push_back(std::move(notice));
        }
        for (const auto& note : notes) {
            err << printable(note) << "\n";
        }
    };
    try {
        // Reject a bad -o, or standard input named twice, before any work: each command declares
        // the formats it writes.
        context.check_format();
        context.check_stdin_read_once();
        take_notices();  // a previous run in this process (tests) leaves none behind
        CommandOutput result = context.action();
        errors = std::move(result.errors);
        notes = take_notices();
        notes.insert(notes.end(), result.messages.begin(), result.messages.end());
        if (result.exit_code == 0 || !result.text.empty()) {
            write_output(result.text, context.global.output_file, out);
        }
        const int code = check_flushed(out, err, result.exit_code);  // a failed stdout's error line first
        print_stderr();
        return code;
    } catch (const Error& error) {
        print_error(err, error);
        print_stderr();
        return exit_code(error.kind());
    } catch (const std::bad_alloc&) {
        err << "dsselect: error: out of memory\n";
        return exit_code(ErrorKind::internal);
    } catch (const std::exception& error) {
        err << "dsselect: internal error: " << error.what() << "\n";
        return exit_code(ErrorKind::internal);
    }
}

}  // namespace dsselect::cli
