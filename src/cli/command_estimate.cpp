// dsselect estimate --model ID [--variant ID] --gpu ID [--gpus N] [workload flags]
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "context.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/core/text.hpp"
#include "dsselect/estimate/accuracy.hpp"
#include "dsselect/estimate/estimator.hpp"
#include "dsselect/estimate/serving_sim.hpp"
#include "dsselect/report/render.hpp"
#include "dsselect/select/topology.hpp"

namespace dsselect::cli {

namespace {
struct EstimateOptions {
    std::string model;
    std::string variant = "fp16";
    std::string gpu;
    std::int64_t gpus = 1;
    std::int64_t prompt_tokens = 512;
    std::int64_t output_tokens = 128;
    std::int64_t batch = 1;
    std::int64_t context_tokens = 0;
    std::string engine = k_default_engine_id;
    std::string complexity_mix;  // "SHARE:ACTIVE,..." (docs/method.md, dynamic activation)
    bool complexity_mix_given = false;  // given at all, even empty (which is refused, not ignored)
    std::string kv_cache_dtype = "auto";  // auto (the engine's default for the variant), fp16, bf16, fp8
    std::string kv_reservation = "paged";  // paged (P + O/2 per sequence) or full (P + O)
    bool expert_parallel = false;          // MoE experts split whole over the replica's GPUs
    bool explain = false;
};

// "0.7:0.3,0.3:1.0" -> classes; throws a usage Error naming --complexity-mix.
std::vector<ComplexityClass> parse_complexity_mix(const std::string& text) {
    auto junk = [&text](const std::string& why) {
        return Error(ErrorKind::usage, fmt::format("--complexity-mix: {}, got '{}'", why, text),
                     "write SHARE:ACTIVE_FRACTION pairs such as 0.7:0.3,0.3:1.0");
    };
    std::vector<ComplexityClass> mix;
    double sum = 0.0;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        const std::string part = text.substr(start, comma - start);
        const std::size_t colon = part.find(':');
        if (colon == std::string::npos) {
            throw junk("expected SHARE:ACTIVE_FRACTION pairs");
        }
        ComplexityClass item;
        if (!is_decimal_number(part.substr(0, colon), false) || !is_decimal_number(part.substr(colon + 1), false)) {
            throw junk("expected numbers");  // std::stod alone also reads hex and spaces
        }
        try {
            std::size_t used_share = 0;
            std::size_t used_active = 0;
            item.share = std::stod(part.substr(0, colon), &used_share);
            item.active_fraction = std::stod(part.substr(colon + 1), &used_active);
            if (used_share != colon || used_active != part.size() - colon - 1) {
                throw junk("expected numbers");
            }
        } catch (const std::logic_error&) {
            throw junk("expected numbers");
        }
        if (!(item.share >= 0.0 && item.share <= 1.0) || !(item.active_fraction > 0.0 && item.active_fraction <= 1.0)) {
            throw junk("each share must be in [0, 1] and each active fraction in (0, 1]");
        }
        sum += item.share;
        mix.push_back(item);
        start = comma + 1;
    }
    if (std::fabs(sum - 1.0) > 1e-6) {
        throw junk(fmt::format("shares must sum to 1 (within 1e-6), they sum to {:.9g}", sum));
    }
    return mix;
}

std::string supported_precisions(const Hardware& hardware) {
    std::vector<std::string> names;
    for (const auto& [precision, tflops] : hardware.peak_tflops) {
        names.emplace_back(to_string(precision));
    }
    return fmt::format("{}", fmt::join(names, ", "));
}

// An entry's source for one field, for --explain: its sources[field], else its general source.
std::string source_of(const std::string& general, const SourceMap& sources, const std::string& field) {
    auto found = sources.find(field);
    return found != sources.end() ? found->second : (general.empty() ? std::string("no source given") : general);
}

// Where the KV-cache element type came from, for --explain: the flag, the engine's default for
// the variant's serving format, the model's checkpoint, or the variant's own kv_cache_bits.
std::string kv_cache_bits_source(const std::string& flag, const Engine* engine, const Model& model, const Variant& variant,
                                 const Hardware& hardware) {
    if (flag != "auto") {
        return "--kv-cache-dtype " + flag;
    }
    const std::string format = serving_format(variant);
    const std::string dtype = engine_kv_cache_dtype(engine, model, variant);
    std::string why;
    if (engine != nullptr) {
        // An overlay that set this format's entry without a sources text of its own: the engine's
        // general source, not the text of the entries it left.
        why = ": " + (engine->unsourced_entries.contains("kv_cache_dtype/" + format)
                          ? source_of(engine->source, {}, "kv_cache_dtype")
                          : source_of(engine->source, engine->sources, "kv_cache_dtype"));
    }
    const bool kept_16_bit = dtype != "auto" &&
                             kv_cache_dtype_bits(dtype) != engine_kv_cache_bits_on(hardware, kv_cache_dtype_bits(dtype));
    if (checkpoint_sets_kv_cache_dtype(engine, model, variant)) {
        return fmt::format("engine '{}' takes the KV-cache type of {} weights from the checkpoint ({} "
                           "kv_cache_dtype fp8){}; model '{}' checkpoint_kv_cache_dtype {}, {}, {}{}: {}",
                           engine->id, format, engine->file_of("kv_cache_dtype/" + format), why, model.id, format, dtype,
                           dtype == "auto" ? fmt::format("the checkpoint names none, so variant '{}' kv_cache_bits", variant.id)
                                           : std::string("as the checkpoint names it"),
                           kept_16_bit ? fmt::format("; 16-bit on '{}', which has no FP8 peak", hardware.id) : std::string(),
                           source_of(model.source, model.sources, "checkpoint_kv_cache_dtype"));
    }
    if (dtype != "auto") {
        return fmt::format("engine '{}' default KV cache for {} weights, {} ({} kv_cache_dtype){}{}",
                           engine->id, format, dtype, engine->file_of("kv_cache_dtype/" + format), why,
                           kept_16_bit ? fmt::format("; 16-bit on '{}', which has no FP8 peak", hardware.id) : std::string());
    }
    const auto variant_source = variant.sources.find("kv_cache_bits");
    const std::string own = variant_source != variant.sources.end() ? variant_source->second : variant.source;
    return engine == nullptr
               ? fmt::format("variant '{}' kv_cache_bits (no engine profile): {}", variant.id, own)
               : fmt::format("variant '{}' kv_cache_bits: engine '{}' keeps the model's type for {} weights "
                             "({} kv_cache_dtype auto){}",
                             variant.id, engine->id, format, engine->file_of("kv_cache_dtype/" + format), why);
}

CommandOutput run_estimate(const EstimateOptions& options, const Context& context) {
    const Catalog catalog = context.load_catalog();
    EstimateRequest request;
    request.model = &catalog.model(options.model);
    request.variant = &catalog.variant(options.variant);
    request.hardware = &catalog.hardware_by_id(options.gpu);
    request.gpus = options.gpus;
    request.prompt_tokens = options.prompt_tokens;
    request.output_tokens = options.output_tokens;
    request.batch = options.batch;
    request.context_tokens = options.context_tokens;
    const Engine* engine = catalog.find_engine(options.engine);
    if (engine == nullptr && options.engine != k_default_engine_id) {
        catalog.engine(options.engine);  // throws with did-you-mean
    }
    request.profile = engine_profile(engine, *request.hardware, request.variant->compute_precision);
    // --kv-cache-dtype auto: the engine's default for the variant's format (data/engines.json).
    request.kv_cache_bits =
        kv_cache_bits_for(engine, *request.model, *request.variant, kv_cache_dtype_bits(options.kv_cache_dtype),
                          request.hardware);
    request.profile.kv_full_reservation = options.kv_reservation == "full";
    // What the engine cannot serve on this hardware is said first, with the engines that can
    // (the variant on this hardware, split over --gpus, at --batch).
    if (const std::string problem = engine_problem(engine, *request.variant, *request.hardware); !problem.empty()) {
        std::vector<std::string> serving;
        for (const Engine& other : catalog.engines) {
            if (engine_serves(&other, *request.variant, *request.hardware) &&
                tensor_parallel_problem(*request.model, request.gpus, &other).empty() &&
                (other.continuous_batching || request.batch <= 1)) {
                serving.push_back("--engine " + other.id);
            }
        }
        throw Error(ErrorKind::usage, "--engine: " + problem,
                    serving.empty() ? std::string{"no engine in the catalog serves this variant on this hardware at "
                                                  "these --gpus and --batch"}
                                    : fmt::format("try {}", fmt::join(serving, " or ")));
    }
    if (engine != nullptr && !engine->continuous_batching && request.batch > 1) {
        throw Error(ErrorKind::usage, fmt::format("--batch: engine '{}' serves one sequence at a time", engine->id));
    }
    // The engine's smaller scheduler defaults where they apply to this hardware (or null).
    const Engine::SmallGpuScheduler* small = engine != nullptr ? small_gpu_scheduler(*engine, *request.hardware) : nullptr;
    // The engine's cap on running sequences: a larger batch would be timed as if it ran at once.
    if (request.profile.max_num_seqs > 0 && request.batch > request.profile.max_num_seqs) {
        throw Error(ErrorKind::usage,
                    fmt::format("--batch: engine '{}' runs at most {} sequences at once on {} (its {}max_num_seqs; "
                                "`estimate --explain` names the source), got {}",
                                options.engine, request.profile.max_num_seqs, request.hardware->id,
                                small != nullptr && small->max_num_seqs ? "small_gpu_scheduler's " : "", request.batch));
    }
    if (!request.variant->applies_to_model(request.model->id)) {
        throw Error(ErrorKind::usage, fmt::format("--variant: '{}' does not apply to model '{}' (it applies to: {})",
                                                  options.variant, options.model,
                                                  fmt::join(request.variant->applies_to, ", ")));
    }
    const std::int64_t window = request.model->architecture.max_position_embeddings;
    const std::int64_t context_needed =
        options.context_tokens > 0 ? options.context_tokens : options.prompt_tokens + options.output_tokens;
    if (window > 0 && context_needed > window) {
        throw Error(ErrorKind::usage,
                    fmt::format("{}: {} tokens exceed model '{}''s context window of {} tokens",
                                options.context_tokens > 0 ? "--context" : "--prompt-tokens + --output-tokens",
                                context_needed, options.model, window));
    }
    if (options.context_tokens > 0 && options.context_tokens < options.prompt_tokens + options.output_tokens) {
        throw Error(ErrorKind::usage, fmt::format("--context: {} is less than --prompt-tokens + --output-tokens ({})",
                                                  options.context_tokens, options.prompt_tokens + options.output_tokens));
    }
    // Whole nodes over the inter-node network, or up to a host's devices (docs/method.md).
    if (const std::string problem = gpu_count_problem(*request.hardware, request.gpus, true); !problem.empty()) {
        throw Error(ErrorKind::usage, "--gpus: " + problem);
    }
    if (const std::string problem = tensor_parallel_problem(*request.model, request.gpus, engine); !problem.empty()) {
        throw Error(ErrorKind::usage, "--gpus: " + problem);
    }
    if (!request.hardware->peak_tflops_at(request.variant->compute_precision)) {
        throw Error(ErrorKind::usage,
                    fmt::format("--variant: '{}' computes at {}, which '{}' does not support (it has {})",
                                options.variant, to_string(request.variant->compute_precision), options.gpu,
                                supported_precisions(*request.hardware)),
                    "choose a weight-only or 16-bit variant for this hardware");
    }
    if (options.expert_parallel) {
        if (request.gpus < 2 && request.model->architecture.is_moe()) {
            throw Error(ErrorKind::usage, "--expert-parallel: needs --gpus 2 or more (one GPU holds every expert)");
        }
        if (const std::string problem = expert_parallel_problem(*request.model, engine, request.gpus, request.gpus);
            !problem.empty()) {
            throw Error(ErrorKind::usage, "--expert-parallel: " + problem);
        }
        request.expert_parallel_size = request.gpus;
    }
    std::vector<ComplexityClass> mix;
    if (options.complexity_mix_given) {
        mix = parse_complexity_mix(options.complexity_mix);
        request.active_fraction = mixed_active_fraction(mix, *request.variant);
        if (!request.active_fraction) {
            throw Error(ErrorKind::usage,
                        fmt::format("--complexity-mix: variant '{}' has no dynamic activation (active_fraction 1)",
                                    options.variant),
                        "use a dynamic-activation variant such as 'dynamic'");
        }
    }
    Trace trace;
    Estimate result = estimate(request, options.explain ? &trace : nullptr);
    // The max-throughput figure as a fixed-length benchmark would measure it: a simulation, run
    // here only (a search does not read it).
    if (result.max_throughput_batch >= 1) {
        result.max_throughput_benchmark_output_tokens_per_s =
            benchmark_output_tokens_per_s(request, result.max_throughput_batch);
        if (options.explain && result.max_throughput_benchmark_output_tokens_per_s) {
            trace.push_back({"max_throughput_benchmark_output_tokens_per_s", *result.max_throughput_benchmark_output_tokens_per_s,
                             "tokens/s",
                             fmt::format("output tokens / duration of the serving simulation at B = max concurrency, every "
                                         "request of P and O tokens, {} requests per slot (a fixed-length throughput benchmark)",
                                         k_benchmark_requests_per_slot)});
        }
    }
    if (options.explain) {
        for (std::size_t i = 0; i < mix.size(); ++i) {
            trace.push_back({fmt::format("input: complexity_mix[{}].share", i), mix[i].share, "fraction", "--complexity-mix"});
            trace.push_back({fmt::format("input: complexity_mix[{}].active_fraction", i), mix[i].active_fraction, "fraction",
                             "--complexity-mix"});
        }
    }
    if (options.explain) {
        for (const ModelReference& reference : request.model->references) {
            if (reference.variant_id.empty() || reference.variant_id == request.variant->id) {
                trace.push_back({"reference: " + reference.metric, reference.value, "as quoted",
                                 "quoted by " + reference.source + " (not computed)"});
            }
        }
        const Hardware& hw = *request.hardware;
        trace.push_back({"input: memory_bandwidth_gb_per_s", hw.memory_bandwidth_gb_per_s, "GB/s",
                         source_of(hw.source, hw.sources, "memory_bandwidth_gb_per_s")});
        trace.push_back({"input: memory_gb (datasheet, 10^9 bytes) in GiB", hw.memory_gb * 1e9 / k_bytes_per_gib, "GiB",
                         source_of(hw.source, hw.sources, "memory_gb")});
        trace.push_back({std::string("input: peak_tflops.") + to_string(request.variant->compute_precision),
                         hw.peak_tflops_at(request.variant->compute_precision).value_or(0.0), "TFLOPS",
                         source_of(hw.source, hw.sources, "peak_tflops")});
        // The GEMMs run at another peak than the compute precision's (effective_flops_per_s): the
        // engine's quantized kernels at the 16-bit peak, or FP16 accumulation at its own peak.
        const GemmPeak gemm = gemm_peak(request.profile, *request.variant, hw);
        if (gemm.fp16_accumulate) {
            trace.push_back({"input: fp16_accumulate_peak_tflops", gemm.tflops.value_or(0.0),
                             "TFLOPS (used: the engine's FP16 GEMMs accumulate in FP16)",
                             source_of(hw.source, hw.sources, "fp16_accumulate_peak_tflops")});
        } else if (gemm.precision != request.variant->compute_precision) {
            trace.push_back({std::string("input: peak_tflops.") + to_string(gemm.precision), gemm.tflops.value_or(0.0),
                             "TFLOPS", source_of(hw.source, hw.sources, "peak_tflops")});
        }
        // The attention kernels' share is of the 16-bit peak, which the lines above may not show.
        const bool shows_16bit_peak = request.variant->compute_precision == Precision::fp16 ||
                                      (!gemm.fp16_accumulate && gemm.precision == Precision::fp16);
        if (request.profile.attention_efficiency > 0.0 && !shows_16bit_peak) {
            trace.push_back({"input: peak_tflops.fp16", hw.peak_tflops_at(Precision::fp16).value_or(0.0),
                             "TFLOPS (attention_kernel_efficiency's peak)", source_of(hw.source, hw.sources, "peak_tflops")});
        }
        trace.push_back({"input: tdp_w", hw.tdp_w, "W", source_of(hw.source, hw.sources, "tdp_w")});
        const EngineFactors* factors = matching_factors(engine, *request.hardware, request.variant->compute_precision);
        const std::string engine_source =
            engine == nullptr ? std::string("built-in defaults (docs/method.md)")
                              : "engine '" + engine->id + "' (" + engine->file_of("factors") + ")" +
                                    (factors != nullptr && !factors->source.empty() ? ": " + factors->source : "");
        // A key the engine documents under its own sources (the factor sets' source covers the rest),
        // with the file that gave the value (engine_data_key: the top-level key holding it, "factors"
        // for the eager overheads).
        const auto engine_key_source = [&](const std::string& key) {
            return engine == nullptr ? std::string("built-in defaults (docs/method.md)")
                                     : "engine '" + engine->id + "' (" + engine->file_of(engine_data_key(key)) +
                                           "): " + source_of(engine->source, engine->sources, key);
        };
        // The SM-cycle laws compute the two efficiencies from the hardware's SMs and clock.
        const bool sm_laws = factors != nullptr && sm_laws_apply(*factors, hw);
        trace.push_back({"engine: compute_efficiency", request.profile.compute_efficiency, "fraction", engine_source});
        if (request.profile.quantized_compute_efficiency > 0.0) {
            trace.push_back({"engine: quantized_compute_efficiency", request.profile.quantized_compute_efficiency,
                             std::string(uses_quantized_kernels(request.profile, *request.variant)
                                             ? "fraction of the fp16 peak (used: integer-quantized variant)"
                                             : "fraction of the fp16 peak (not used: the variant is not integer-quantized)") +
                                 (sm_laws && factors->sm_quantized_flops_per_cycle ? "; computed by the SM-cycle law below" : ""),
                             engine_source});
        }
        if (request.variant->structured_sparsity_2_4) {
            trace.push_back({"engine: sparse_2_4_kernels", request.profile.sparse_2_4_kernels ? 1.0 : 0.0,
                             std::string("flag (") + sparse_2_4_outcome(request.profile, *request.variant, hw) + ")",
                             engine_key_source("sparse_2_4_kernels")});
        }
        trace.push_back({"engine: memory_efficiency", request.profile.memory_efficiency,
                         sm_laws && factors->sm_bytes_per_cycle ? "fraction (computed by the SM-cycle law below)" : "fraction",
                         engine_source});
        if (sm_laws) {
            trace.push_back({"input: sm_count", static_cast<double>(*hw.sm_count), "SMs", source_of(hw.source, hw.sources, "sm_count")});
            trace.push_back({"input: boost_clock_mhz", *hw.boost_clock_mhz, "MHz", source_of(hw.source, hw.sources, "boost_clock_mhz")});
            if (factors->sm_bytes_per_cycle) {
                trace.push_back({"engine: sm_bytes_per_cycle", *factors->sm_bytes_per_cycle,
                                 "bytes per SM-cycle (memory_efficiency = min(its set value, SMs x clock x this / bandwidth))",
                                 engine_source});
            }
            if (factors->sm_quantized_flops_per_cycle) {
                trace.push_back({"engine: sm_quantized_flops_per_cycle", *factors->sm_quantized_flops_per_cycle,
                                 "FLOPs per SM-cycle (quantized_compute_efficiency = min(1, SMs x clock x this / peak_tflops.fp16))",
                                 engine_source});
            }
        }
        trace.push_back({"engine: per_step_overhead_ms", request.profile.per_step_overhead_ms, "ms", engine_source});
        trace.push_back({"engine: per_layer_overhead_us", request.profile.per_layer_overhead_us, "us per layer unit",
                         engine_source});
        trace.push_back({"engine: moe_layer_overhead_us", request.profile.moe_layer_overhead_us, "us per MoE layer",
                         engine_source});
        trace.push_back({"engine: allreduce_latency_us", request.profile.allreduce_latency_us, "us", engine_source});
        trace.push_back({"engine: ttft_fixed_ms", request.profile.ttft_fixed_ms, "ms", engine_source});
        trace.push_back({"engine: ttft_batch_exponent", request.profile.ttft_batch_exponent, "exponent", engine_source});
        // The scheduler's defaults, or its smaller ones on this hardware (small_gpu_scheduler).
        const auto scheduler_source = [&](const std::string& key, bool rule_sets_it) {
            return rule_sets_it ? engine_key_source("small_gpu_scheduler") +
                                      fmt::format(" (this hardware: the rule below {:g} GiB or naming it)", small->below_memory_gib)
                                : engine_key_source(key);
        };
        trace.push_back({"engine: max_num_seqs", static_cast<double>(request.profile.max_num_seqs), "sequences (0: none)",
                         scheduler_source("max_num_seqs", small != nullptr && small->max_num_seqs.has_value())});
        trace.push_back({"engine: max_batched_tokens", static_cast<double>(request.profile.max_batched_tokens), "tokens",
                         scheduler_source("max_num_batched_tokens", small != nullptr && small->max_num_batched_tokens.has_value())});

        trace.push_back({"engine: eager_layer_overhead_us", request.profile.eager_layer_overhead_us, "us",
                         engine_key_source("eager_layer_overhead_us")});
        trace.push_back({"engine: eager_moe_layer_overhead_us", request.profile.eager_moe_layer_overhead_us, "us",
                         engine_key_source("eager_layer_overhead_us")});
        trace.push_back({"engine: cuda_graph_max_tokens", static_cast<double>(request.profile.cuda_graph_max_tokens),
                         "tokens (0: prompt steps never graphed)", engine_key_source("cuda_graph_max_tokens")});
        if (const Architecture& arch = request.model->architecture; arch.has_sliding_window()) {
            if (applies_sliding_window(arch, request.profile)) {
                trace.push_back({"engine: sliding_window_kv", request.profile.sliding_window_kv_freed ? 1.0 : 0.0,
                                 "1: window layers hold their window (\"window\"); 0: the whole context (\"full\")",
                                 engine_key_source("sliding_window_kv")});
            } else {
                trace.push_back({"engine: no_sliding_window_model_types", 1.0,
                                 fmt::format("model type '{}' runs without its window: attention and KV cache over the "
                                             "whole context", arch.model_type),
                                 engine_key_source("no_sliding_window_model_types")});
            }
        }
        // No shipped engine sets the share (docs/validation-study.md, section 36): a --data file did.
        const std::string attention_source = request.profile.attention_efficiency > 0.0
                                                 ? engine_key_source("attention_kernel_efficiency")
                                                 : "none: attention's FLOPs at effective_flops_per_s";
        trace.push_back({"engine: attention_kernel_efficiency", request.profile.attention_efficiency,
                         "fraction of the 16-bit peak, a prompt's attention with a 16-bit KV cache (0: at the GEMMs' rate)",
                         attention_source});
        if (request.profile.batch_wait_timeout_iters > 0) {
            trace.push_back({"engine: batch_wait_timeout_iters", static_cast<double>(request.profile.batch_wait_timeout_iters),
                             "steps (0: prompts never held)",
                             engine_key_source("batch_wait_timeout_iters")});
            trace.push_back({"engine: batch_wait_max_tokens_ratio", request.profile.batch_wait_max_tokens_ratio,
                             "fraction of max_num_batched_tokens",
                             engine_key_source("batch_wait_max_tokens_ratio")});
        }
        if (request.model->architecture.is_moe()) {
            trace.push_back({"input: expert_parallel_size", static_cast<double>(request.expert_parallel_size),
                             "GPUs (experts split whole; the rest of --gpus split every expert's columns)",
                             options.expert_parallel ? "--expert-parallel" : "default: tensor parallelism, every engine's"});
            // The law the estimate applied (moe_kernel_law_for, the plan's own rule), with its entry's source.
            const MoeKernelLaw law = moe_kernel_law_for(request.profile, *request.model, *request.variant);
            if (law.efficiency > 0.0) {
                const std::string format = moe_kernel_format(*request.model, *request.variant);
                const MoeExpertKernel* kernel = moe_expert_kernel(engine, format, *request.hardware);
                const std::string kernel_source =
                    kernel == nullptr ? std::string("the profile")
                                      : fmt::format("engine '{}' ({}) moe_expert_kernels {}: {}", engine->id,
                                                    engine->file_of("moe_expert_kernels"), format, kernel->source);
                trace.push_back({"engine: moe_kernel_efficiency", law.efficiency, "fraction of peak", kernel_source});
                trace.push_back({"engine: moe_kernel_routed_columns", law.routed_columns, "GEMM columns per routed token",
                                 kernel_source});
                trace.push_back({"engine: moe_kernel_token_columns", law.token_columns, "GEMM columns per token",
                                 kernel_source});
                trace.push_back({"engine: moe_kernel_ridge_exponent", law.ridge_exponent,
                                 "n of (experts' memory^n + compute^n)^(1/n)", kernel_source});
                trace.push_back({"engine: moe_kernel_memory_efficiency",
                                 law.memory_efficiency > 0.0 ? law.memory_efficiency : request.profile.memory_efficiency,
                                 "fraction of bandwidth (the experts' reads)",
                                 law.memory_efficiency > 0.0 ? kernel_source
                                                             : std::string("no memory_efficiency in the law: the engine's")});
                trace.push_back({"engine: moe_kernel_latency_us", law.latency_us, "us per MoE layer and step",
                                 law.latency_us > 0.0 ? kernel_source : std::string("no latency_us in the law: 0")});
            }
        }
        trace.push_back({"input: kv_cache_bits", request.kv_cache_bits.value_or(request.variant->kv_cache_bits), "bits",
                         kv_cache_bits_source(options.kv_cache_dtype, engine, *request.model, *request.variant, *request.hardware)});
        trace.push_back({"input: weight_bits", request.variant->weight_bits, "bits",
                         source_of(request.variant->source, request.variant->sources, "weight_bits")});
        if (request.variant->bits_per_group) {
            for (WeightGroup group : k_all_weight_groups) {
                trace.push_back({std::string("input: bits_per_group.") + to_string(group),
                                 group_weight_bits(*request.variant, group), "bits",
                                 source_of(request.variant->source, request.variant->sources, "bits_per_group")});
            }
        }
        const Architecture& arch = request.model->architecture;
        const std::string architecture_source = source_of(request.model->source, request.model->sources, "architecture");
        trace.push_back({"input: architecture", static_cast<double>(arch.num_hidden_layers), "layers", architecture_source});
        if (arch.has_sliding_window()) {  // the W and s of the formulas above, where the engine applies them
            const char* applied = applies_sliding_window(arch, request.profile)
                                      ? ""
                                      : " (not applied: the engine's no_sliding_window_model_types)";
            trace.push_back({"input: sliding_window", static_cast<double>(arch.sliding_window),
                             std::string("tokens a window layer attends to (W)") + applied, architecture_source});
            trace.push_back({"input: sliding_window_layers", static_cast<double>(arch.sliding_window_layers),
                             fmt::format("layers with the window (s = {:g}){}", sliding_layer_share(arch), applied),
                             architecture_source});
        }
    }
    const AccuracyClaim accuracy = accuracy_claim(builtin_accuracy_table(), engine != nullptr ? engine->id : std::string(),
                                                  *request.model, *request.variant, *request.hardware);
    report::EstimateView view{&request, &result, options.explain ? &trace : nullptr, &accuracy};
    CommandOutput output;
    output.text = report::render(view, context.render_options());
    return output;
}
}  // namespace

void register_estimate(CLI::App& app, Context& context) {
    context.declare_formats("estimate", {.formats = k_text_and_json_formats, .hint = ""});
    auto options = std::make_shared<EstimateOptions>();
    CLI::App* command = app.add_subcommand("estimate", "Memory, latency, throughput and power of one deployment");
    command->add_option("--model", options->model, "Model id (dsselect catalog models)")->required();
    command->add_option("--variant", options->variant, "Variant id (default fp16)");
    command->add_option("--gpu", options->gpu, "Hardware id (dsselect catalog hardware)")->required();
    command->add_option("--gpus", options->gpus, "GPUs per replica, tensor parallel (default 1)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1024}));
    command->add_option("--prompt-tokens", options->prompt_tokens, "Prompt (input) tokens per request (default 512)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{10'000'000}));
    command->add_option("--output-tokens", options->output_tokens, "Output tokens per request (default 128)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{10'000'000}));
    command->add_option("--batch", options->batch, "Concurrent sequences (default 1)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000}));
    command->add_option("--context", options->context_tokens,
                        "Context window the deployment must offer (default prompt + output)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000'000}));
    command->add_option("--engine", options->engine, "Serving engine profile (default vllm): vllm, sglang, trtllm, llama.cpp");
    CLI::Option* mix = command->add_option("--complexity-mix", options->complexity_mix,
                                           "Dynamic activation: SHARE:ACTIVE_FRACTION pairs of the request mix, e.g. "
                                           "0.7:0.3,0.3:1.0");
    command->add_option("--kv-cache-dtype", options->kv_cache_dtype,
                        "KV-cache element type: auto (the engine's default for the variant, data/engines.json), "
                        "fp16, bf16, fp8")
        ->check(CLI::IsMember({"auto", "fp16", "bf16", "fp8"}));
    command->add_option("--kv-reservation", options->kv_reservation,
                        "KV held per sequence: paged (prompt + output/2, default) or full (prompt + output)")
        ->check(CLI::IsMember({"paged", "full"}));
    command->add_flag("--expert-parallel", options->expert_parallel,
                      "MoE models: split the experts whole over the replica's GPUs (the engines' expert "
                      "parallelism) instead of every expert's columns (their default)");
    command->add_flag("--explain", options->explain, "Show every intermediate quantity, its formula and input sources");
    command->callback([options, mix, &context] {
        options->complexity_mix_given = mix->count() > 0;
        context.action = [options, &context] { return run_estimate(*options, context); };
    });
}

}  // namespace dsselect::cli
