// dsselect batch FILE|- : JSON Lines (or one JSON array) of scenarios in, JSON Lines out, in
// input order, then a BatchSummary line. Streams: memory stays flat as the input grows.
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "batch_line.hpp"
#include "context.hpp"
#include "dsselect/catalog/batch_item.hpp"
#include "dsselect/catalog/loader.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/core/text.hpp"
#include "dsselect/report/views.hpp"
#include "dsselect/select/candidate_spec.hpp"
#include "dsselect/select/recommendation.hpp"
#include "scenario_options.hpp"

namespace dsselect::cli {

namespace {
struct BatchOptions {
    std::string input;
    std::string fail_on;
    std::vector<std::string> rule_files;
    std::int64_t top = 5;
    std::int64_t threads = 0;
};

// Items are judged in chunks on all cores and written in input order.
constexpr std::size_t k_chunk_items = 64;

}  // namespace

namespace {
// The "id" of a line that is JSON but not a valid scenario; empty when there is none. Made
// printable so that the record's dump() cannot throw.
std::string parseable_id(const std::string& text) {
    // Only the top level is kept (a hostile line may nest deeply; the strict reader refused it).
    const nlohmann::json root = nlohmann::json::parse(
        text, [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) { return depth <= 1; }, false);
    if (root.is_object()) {
        if (auto found = root.find("id"); found != root.end() && found->is_string()) {
            return printable(found->get<std::string>());
        }
    }
    return "";
}
}  // namespace

void judge(PendingItem& item, const std::string& source, const Catalog& catalog, const RuleSet& rules,
           std::int64_t default_top) {
    std::string id;
    try {
        BatchItem parsed = read_batch_item(item.text, fmt::format("{}:{}", source, item.line), catalog);
        id = parsed.scenario.id;
        SearchOptions search;
        search.threads = 1;  // items already run in parallel
        if (!parsed.weights.empty()) {
            search.tco_weights = parse_weights(parsed.weights);
        }
        if (!parsed.candidates.empty()) {
            std::vector<Candidate> resolved;
            try {
                resolved = judge_candidates(catalog, parsed.scenario, rules, parsed.candidates, search);
            } catch (const Error& error) {
                // Name the candidate at fault by its JSON pointer: judged alone, the first that fails.
                for (std::size_t i = 0; i < parsed.candidates.size(); ++i) {
                    try {
                        (void)judge_candidates(catalog, parsed.scenario, rules, {parsed.candidates[i]}, search);
                    } catch (const Error& alone) {
                        throw Error(alone.kind(), fmt::format("/candidates/{}: {}", i, alone.what()), alone.hint());
                    }
                }
                throw;
            }
            item.output = report::batch_comparison_json(item.line, parsed.scenario, resolved,
                                                        search_engine_id(catalog, parsed.scenario));
            const bool any = std::any_of(resolved.begin(), resolved.end(), [](const Candidate& c) { return c.accepted(); });
            item.status = any ? PendingItem::Status::ok : PendingItem::Status::unsatisfiable;
        } else {
            const std::int64_t top = parsed.top > 0 ? parsed.top : default_top;
            search.keep_ranked = ranked_to_keep(parsed.scenario, top);
            const Recommendation recommendation = run_recommendation(catalog, parsed.scenario, rules, search);
            item.output = report::batch_recommendation_json(item.line, recommendation.search, top, recommendation.plans());
            item.status = recommendation.satisfied() ? PendingItem::Status::ok : PendingItem::Status::unsatisfiable;
        }
    } catch (const Error& error) {
        // "<file>:<line>: " is already in data errors; usage errors (a bad candidate) get it here.
        // The message echoes the line (a JSON parse error quotes its bytes): printable() keeps
        // it valid UTF-8 on one line, so the record's dump() cannot throw.
        std::string message = printable(error.what());
        const std::string prefix = fmt::format("{}:{}: ", source, item.line);
        if (message.rfind(prefix, 0) != 0) {
            message = prefix + message;
        }
        const int code = error.kind() == ErrorKind::usage ? exit_code(ErrorKind::invalid_data) : exit_code(error.kind());
        if (id.empty()) {
            id = parseable_id(item.text);  // an invalid line that parses still says which scenario it was
        }
        item.output = report::batch_error_json(item.line, id, code, message);
        item.status = PendingItem::Status::invalid;
        item.message = message;
    }
}

namespace {
CommandOutput run_batch(const BatchOptions& options, const Context& context) {
    const Catalog catalog = context.load_catalog();
    ScenarioOptions rule_options;
    rule_options.rule_files = options.rule_files;
    const RuleSet rules = resolve_rules(rule_options);
    InputLines input(options.input);
    const std::string source = input.name();

    const bool to_file = !context.global.output_file.empty() && context.global.output_file != "-";
    CommandOutput output;
    auto emit = [&](const std::string& text) {
        if (to_file) {
            output.text += text;
        } else {
            *context.out << text;
            if (!*context.out) {
                throw Error(ErrorKind::output_failed, "standard output: cannot write");
            }
        }
    };
    const bool progress = context.environment.stderr_is_terminal && !context.global.quiet && context.err != nullptr;
    report::BatchCounts counts;
    std::string first_invalid;
    std::int64_t first_unsatisfiable_line = 0;
    std::size_t threads = options.threads > 0 ? static_cast<std::size_t>(options.threads)
                                              : std::max(1u, std::thread::hardware_concurrency());

    auto flush = [&](std::vector<PendingItem>& chunk) {
        if (chunk.empty()) {
            return;
        }
        std::atomic<std::size_t> next{0};
        // An exception that escapes a worker thread would terminate the process: the first one
        // is kept and rethrown here, after the join.
        std::exception_ptr failure;
        std::mutex failure_mutex;
        auto work = [&] {
            try {
                for (std::size_t i = next++; i < chunk.size(); i = next++) {
                    judge(chunk[i], source, catalog, rules, options.top);
                }
            } catch (...) {
                next = chunk.size();
                const std::lock_guard lock(failure_mutex);
                if (!failure) {
                    failure = std::current_exception();
                }
            }
        };
        std::vector<std::thread> workers;
        for (std::size_t t = 1; t < std::min(threads, chunk.size()); ++t) {
            workers.emplace_back(work);
        }
        work();
        for (auto& worker : workers) {
            worker.join();
        }
        if (failure) {
            std::rethrow_exception(failure);
        }
        for (const PendingItem& item : chunk) {
            emit(item.output);
            ++counts.items;
            switch (item.status) {
            case PendingItem::Status::ok: ++counts.ok; break;
            case PendingItem::Status::unsatisfiable:
                ++counts.unsatisfiable;
                first_unsatisfiable_line = first_unsatisfiable_line == 0 ? item.line : first_unsatisfiable_line;
                break;
            case PendingItem::Status::invalid:
                ++counts.invalid;
                first_invalid = first_invalid.empty() ? item.message : first_invalid;
                break;
            }
        }
        chunk.clear();
        if (progress) {
            *context.err << fmt::format("\rbatch: {} items ({} ok, {} unsatisfiable, {} invalid)", counts.items, counts.ok,
                                        counts.unsatisfiable, counts.invalid)
                         << std::flush;
        }
    };

    std::vector<PendingItem> chunk;
    std::string line;
    std::int64_t line_number = 0;
    bool first_content = true;
    while (input.next(line)) {
        ++line_number;
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (line.find_first_not_of(" \t") == std::string::npos) {
            continue;
        }
        if (first_content && line.find_first_not_of(" \t\xEF\xBB\xBF") != std::string::npos &&
            line[line.find_first_not_of(" \t\xEF\xBB\xBF")] == '[') {
            // One JSON array: read it whole and hand each element over as an item.
            const std::string rest = input.rest(line + "\n");
            std::int64_t element_number = 0;  // an element's "line" is its place in the array
            for (const auto& element : split_json_array(rest, source)) {
                chunk.push_back({++element_number, element, {}, {}});
                if (chunk.size() == k_chunk_items) {
                    flush(chunk);
                }
            }
            break;
        }
        first_content = false;
        chunk.push_back({line_number, line, {}, {}});
        if (chunk.size() == k_chunk_items) {
            flush(chunk);
        }
    }
    flush(chunk);
    if (progress) {
        *context.err << "\n";
    }
    emit(report::batch_summary_json(counts));

    const bool fail_invalid = (options.fail_on == "invalid" || options.fail_on == "any") && counts.invalid > 0;
    const bool fail_unsatisfiable =
        (options.fail_on == "unsatisfiable" || options.fail_on == "any") && counts.unsatisfiable > 0;
    // The gate's reason on stderr, one line first; the records on stdout are complete.
    if (fail_invalid) {
        output.exit_code = exit_code(ErrorKind::invalid_data);
        output.errors.push_back("dsselect: error: " + first_invalid);
        output.messages.push_back(fmt::format("dsselect: {} of {} items invalid (--fail-on {})", counts.invalid, counts.items,
                                              options.fail_on));
    } else if (fail_unsatisfiable) {
        output.exit_code = exit_code(ErrorKind::unsatisfiable);
        output.messages.push_back(fmt::format("dsselect: {} of {} items unsatisfiable, the first at {}:{} (--fail-on {})",
                                              counts.unsatisfiable, counts.items, source, first_unsatisfiable_line,
                                              options.fail_on));
    }
    return output;
}
}  // namespace

void register_batch(CLI::App& app, Context& context) {
    // JSON Lines, one result per input line (-o json names the same stream).
    context.declare_formats("batch", {.formats = {report::OutputFormat::jsonl, report::OutputFormat::json},
                                      .hint = "batch streams one JSON result per line; for tables run 'dsselect recommend'"});
    auto options = std::make_shared<BatchOptions>();
    CLI::App* command = app.add_subcommand(
        "batch", "Recommend (or compare) for every scenario of a JSON Lines file; JSON Lines out");
    context.declare_stdin_input(
        command->add_option("input", options->input, "JSON Lines file, or one JSON array; - reads stdin")->required(), "-");
    command->add_option("--fail-on", options->fail_on,
                        "Exit non-zero when any item is: unsatisfiable (1), invalid (65), or any (65 if invalid, else 1)")
        ->check(CLI::IsMember({"unsatisfiable", "invalid", "any"}));
    context.declare_stdin_input(command->add_option("--rules", options->rule_files, "Policy rules file to add (repeatable)"),
                                "-");
    command->add_option("--top", options->top, "Recommendations per item (default 5; an item's \"top\" wins)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000}));
    command->add_option("--threads", options->threads, "Worker threads (default: one per core; output is identical)")
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{256}));
    command->callback([options, &context] { context.action = [options, &context] { return run_batch(*options, context); }; });
}

}  // namespace dsselect::cli
