// dsselect_validate: dsselect's estimates against measured serving data (issues 8 and 20).
//
// Reads NVIDIA aiconfigurator's silicon sample (tests/validation/data/, Apache-2.0, see its
// README for the attribution), models every row it can (sample.hpp), tags each row fit or
// hold-out by system (tests/validation/split.json), predicts it through predict_row()
// (predict.hpp) and reports the errors per subset (model x system x precision x backend) and
// per group (dense or MoE, fit or hold-out). With --fit it grid-searches efficiency factors on
// the fit rows only and reports every row with them.
//
// Exit codes: 0 success, 2 usage, 65 malformed CSV, catalog or split, 66 file missing,
// 74 output failed.
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "dsselect/catalog/loader.hpp"
#include "dsselect/core/error.hpp"
#include "fit.hpp"
#include "predict.hpp"
#include "report.hpp"
#include "sample.hpp"

namespace {

using dsselect::Error;
using dsselect::ErrorKind;

constexpr const char* k_usage =
    "usage: dsselect_validate [--csv PATH] [--catalog PATH] [--split PATH] [--protocols PATH] [--engine-profiles]\n"
    "         [--filter-system S] [--filter-model TEXT] [--format markdown|json] [--dump PATH]\n"
    "         [--compute-efficiency X] [--memory-efficiency X] [--step-overhead-ms X]\n"
    "         [--allreduce-latency-us X] [--ttft-fixed-ms X] [--ttft-batch-exponent X]\n"
    "         [--fit] [--fit-allreduce] [--fit-ttft-fixed] [--fit-target both|ttft|tpot]\n"
    "         [--ttft-protocol benchmark|closed-loop|burst|alone|waves] [--eager-blocking-share X]\n"
    "         [--sequence-host-us BACKEND=X]...\n"
    "Without --engine-profiles every row uses the default GPU profile with the factors given here;\n"
    "with it, each row uses its backend's shipped profile (data/engines.json). --eager-blocking-share\n"
    "(0 to 1, default 1; a study switch, docs/validation-study.md section 14) is the share of an eager\n"
    "step the simulated benchmark's GPU waits for; the rest is added to the TTFT of its prompts.\n"
    "--sequence-host-us vllm|sglang|trtllm=X (repeatable; a study switch, section 15) adds X µs of host\n"
    "time per sequence a simulated step schedules, on that backend's rows.";

enum class Format { markdown, json };

struct Options {
    validate::Inputs inputs{
        .csv = "tests/validation/data/aiconfigurator-silicon-sample.csv",
        .catalog = "tests/validation/catalog.json",
        .split = "tests/validation/split.json",
        .protocols = "tests/validation/protocols.json",
    };
    bool engine_profiles = false;
    validate::Filters filters;
    Format format = Format::markdown;
    dsselect::EfficiencyProfile profile = dsselect::default_profile(dsselect::HardwareKind::gpu);
    bool fit = false;
    validate::FitOptions fit_options;
    std::string dump_path;
    validate::TtftProtocol ttft_protocol = validate::TtftProtocol::benchmark;
    double eager_blocking_share = 1.0;
    std::map<std::string, double> sequence_host_us;  // by backend
};

double non_negative(const std::string& flag, const std::string& text) {
    std::size_t used = 0;
    double value = -1;
    try {
        value = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || !std::isfinite(value) || value < 0) {
        throw Error(ErrorKind::usage, fmt::format("{}: expected a non-negative number, got '{}'", flag, text));
    }
    return value;
}

Options parse_options(int argc, char** argv) {
    Options options;
    const std::vector<std::string> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& flag = args[i];
        auto value = [&]() -> const std::string& {
            if (i + 1 >= args.size()) {
                throw Error(ErrorKind::usage, fmt::format("{}: missing value", flag));
            }
            return args[++i];
        };
        auto number = [&] { return non_negative(flag, value()); };
        if (flag == "--engine-profiles") {
            options.engine_profiles = true;
        } else if (flag == "--csv") {
            options.inputs.csv = value();
        } else if (flag == "--catalog") {
            options.inputs.catalog = value();
        } else if (flag == "--split") {
            options.inputs.split = value();
        } else if (flag == "--protocols") {
            options.inputs.protocols = value();
        } else if (flag == "--filter-system") {
            options.filters.system = value();
        } else if (flag == "--filter-model") {
            options.filters.model_text = value();
        } else if (flag == "--format") {
            const std::string& f = value();
            if (f != "markdown" && f != "json") {
                throw Error(ErrorKind::usage, fmt::format("--format: expected markdown or json, got '{}'", f));
            }
            options.format = f == "json" ? Format::json : Format::markdown;
        } else if (flag == "--dump") {
            options.dump_path = value();
        } else if (flag == "--compute-efficiency") {
            options.profile.compute_efficiency = number();
        } else if (flag == "--memory-efficiency") {
            options.profile.memory_efficiency = number();
        } else if (flag == "--step-overhead-ms") {
            options.profile.per_step_overhead_ms = number();
        } else if (flag == "--allreduce-latency-us") {
            options.profile.allreduce_latency_us = number();
        } else if (flag == "--ttft-fixed-ms") {
            options.profile.ttft_fixed_ms = number();
        } else if (flag == "--ttft-batch-exponent") {
            options.profile.ttft_batch_exponent = number();
        } else if (flag == "--ttft-protocol") {
            const std::string& t = value();
            const auto protocol = validate::parse_ttft_protocol(t);
            if (!protocol) {
                throw Error(ErrorKind::usage, fmt::format("--ttft-protocol: expected benchmark, closed-loop, burst, alone or waves, got '{}'", t));
            }
            options.ttft_protocol = *protocol;
        } else if (flag == "--eager-blocking-share") {
            options.eager_blocking_share = number();
            if (options.eager_blocking_share > 1.0) {
                throw Error(ErrorKind::usage, fmt::format("--eager-blocking-share: expected a share from 0 to 1, got '{}'", args[i]));
            }
        } else if (flag == "--sequence-host-us") {
            const std::string& text = value();
            const std::size_t equals = text.find('=');
            const std::string backend = text.substr(0, equals);
            if (equals == std::string::npos || (backend != "vllm" && backend != "sglang" && backend != "trtllm")) {
                throw Error(ErrorKind::usage,
                            fmt::format("--sequence-host-us: expected vllm=X, sglang=X or trtllm=X, got '{}'", text));
            }
            if (options.sequence_host_us.contains(backend)) {
                throw Error(ErrorKind::usage, fmt::format("--sequence-host-us: {} is given twice", backend));
            }
            options.sequence_host_us[backend] = non_negative(flag, text.substr(equals + 1)) + 0.0;  // -0 reads as 0
        } else if (flag == "--fit") {
            options.fit = true;
        } else if (flag == "--fit-allreduce") {
            options.fit = true;
            options.fit_options.allreduce = true;
        } else if (flag == "--fit-ttft-fixed") {
            options.fit = true;
            options.fit_options.ttft_fixed = true;
        } else if (flag == "--fit-target") {
            const std::string& t = value();
            if (t == "both") {
                options.fit_options.target = validate::FitTarget::both;
            } else if (t == "ttft") {
                options.fit_options.target = validate::FitTarget::ttft;
            } else if (t == "tpot") {
                options.fit_options.target = validate::FitTarget::tpot;
            } else {
                throw Error(ErrorKind::usage, fmt::format("--fit-target: expected both, ttft or tpot, got '{}'", t));
            }
        } else if (flag == "--help" || flag == "-h") {
            std::cout << k_usage << "\n";
            std::exit(0);
        } else {
            throw Error(ErrorKind::usage, fmt::format("unknown option '{}'\n{}", flag, k_usage));
        }
    }
    if (options.eager_blocking_share != 1.0 && options.ttft_protocol != validate::TtftProtocol::benchmark) {
        // Only the benchmark protocol simulates steps; any other would ignore the share silently.
        throw Error(ErrorKind::usage, "--eager-blocking-share: applies to --ttft-protocol benchmark only");
    }
    if (!options.sequence_host_us.empty() && options.ttft_protocol != validate::TtftProtocol::benchmark) {
        throw Error(ErrorKind::usage, "--sequence-host-us: applies to --ttft-protocol benchmark only");
    }
    if (options.profile.compute_efficiency <= 0 || options.profile.memory_efficiency <= 0) {
        throw Error(ErrorKind::usage, "--compute-efficiency and --memory-efficiency must be positive");
    }
    return options;
}

int run(int argc, char** argv) {
    const Options options = parse_options(argc, argv);
    const dsselect::Catalog catalog = dsselect::load_catalog({dsselect::read_data_file(options.inputs.catalog)});
    const dsselect::DataSource split_file = dsselect::read_data_file(options.inputs.split);
    const validate::Split split = validate::read_split(split_file.text, split_file.name);
    const dsselect::DataSource csv = dsselect::read_data_file(options.inputs.csv);
    const std::vector<validate::Row> rows = validate::read_rows(csv.text, csv.name);
    const dsselect::DataSource protocols_file = dsselect::read_data_file(options.inputs.protocols);
    const validate::BenchmarkProtocols protocols = validate::read_protocols(protocols_file.text, protocols_file.name);
    const validate::Selection selection = validate::select_cases(rows, catalog, split, protocols, options.filters);

    validate::Profiles profiles(options.engine_profiles ? &catalog : nullptr, options.profile);
    profiles.set_ttft_protocol(options.ttft_protocol);
    profiles.set_eager_blocking_share(options.eager_blocking_share);
    profiles.set_sequence_host_us(options.sequence_host_us);
    profiles.set_benchmark_protocols(&protocols, protocols_file.name);
    std::optional<validate::FitResult> fit;
    if (options.fit) {
        fit = validate::fit_factors(selection.cases, profiles, options.fit_options);
        profiles.set_override(fit->factors);
    }
    const auto detail = options.dump_path.empty() ? validate::Detail::figures : validate::Detail::components;
    std::vector<validate::Prediction> predictions;
    predictions.reserve(selection.cases.size());
    for (const validate::Case& c : selection.cases) {
        predictions.push_back(validate::predict_row(c, profiles, detail));
    }
    validate::Report report =
        validate::build_report(selection, predictions, profiles, split, static_cast<std::int64_t>(rows.size()));
    report.benchmark_protocols = &protocols;
    report.inputs = options.inputs;
    report.fit = fit;
    if (options.fit) {
        report.fit_target = options.fit_options.target;
    }
    if (!options.dump_path.empty()) {
        validate::write_dump(options.dump_path, report);
    }
    std::ostringstream out;
    switch (options.format) {
    case Format::markdown: validate::render_markdown(report, out); break;
    case Format::json: validate::render_json(report, out); break;
    }
    std::cout << out.str();
    std::cout.flush();
    return std::cout ? 0 : dsselect::exit_code(ErrorKind::output_failed);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const Error& error) {
        std::cerr << "dsselect_validate: error: " << error.what() << "\n";
        return dsselect::exit_code(error.kind());
    } catch (const std::exception& error) {
        std::cerr << "dsselect_validate: error: " << error.what() << "\n";
        return dsselect::exit_code(ErrorKind::internal);
    }
}
