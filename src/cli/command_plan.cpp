// dsselect plan finetune --model ID [--variant ID] --gpu ID [--tokens N] [--method full|lora|qlora]
#include <fmt/format.h>

#include "context.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/plan/finetune.hpp"
#include "dsselect/report/render.hpp"

namespace dsselect::cli {

namespace {
struct FinetuneOptions {
    std::string model;
    std::string variant;  // LoRA only
    std::string gpu;
    double tokens = 1e8;
    std::string method = "full";
    std::int64_t sequence_tokens = 4096;
    std::int64_t micro_batch = 1;
    std::int64_t lora_rank = 16;
    std::string lora_targets = "all";
    std::int64_t stages = 4;
    double mfu = 0.4;
    double learning_rate = 0.0;
    std::int64_t max_gpus = 1024;
    // Which LoRA-only flags were given (rejected with --method full rather than ignored).
    bool lora_rank_given = false;
    bool lora_targets_given = false;
    bool learning_rate_given = false;
};

// Mixed precision's quoted training-memory figure (seed §2.2) lives on this catalog variant.
constexpr const char* k_mixed_precision_variant = "mixed-precision";

CommandOutput run_finetune(const FinetuneOptions& options, const Context& context) {
    const Catalog catalog = context.load_catalog();
    FinetuneRequest request;
    const auto method = parse_finetune_method(options.method);
    if (!method) {
        throw Error(ErrorKind::usage, fmt::format("--method: expected full, lora or qlora, got '{}'", options.method));
    }
    request.method = *method;
    request.model = &catalog.model(options.model);
    request.hardware = &catalog.hardware_by_id(options.gpu);
    request.mixed_precision_reference = catalog.find_variant(k_mixed_precision_variant);
    const bool full = request.method == FinetuneMethod::full;
    if (!options.variant.empty()) {
        if (request.method != FinetuneMethod::lora) {
            throw Error(ErrorKind::usage,
                        fmt::format("--variant: applies to --method lora only (full trains in bf16 mixed precision, "
                                    "qlora stores the base in NF4), got --method {}", options.method));
        }
        request.variant = &catalog.variant(options.variant);
        if (!request.variant->applies_to_model(request.model->id)) {
            throw Error(ErrorKind::usage, fmt::format("--variant: '{}' does not apply to model '{}' (it applies to: {})",
                                                      options.variant, options.model,
                                                      fmt::join(request.variant->applies_to, ", ")));
        }
    }
    if (full && (options.lora_rank_given || options.lora_targets_given)) {
        throw Error(ErrorKind::usage, fmt::format("--{}: applies to --method lora and qlora only",
                                                  options.lora_rank_given ? "lora-rank" : "lora-targets"));
    }
    const auto targets = parse_lora_targets(options.lora_targets);
    if (!targets) {
        throw Error(ErrorKind::usage,
                    fmt::format("--lora-targets: expected attention or all, got '{}'", options.lora_targets));
    }
    request.lora_targets = *targets;
    request.lora_rank = options.lora_rank;
    request.tokens = options.tokens;
    request.sequence_tokens = options.sequence_tokens;
    request.micro_batch_sequences = options.micro_batch;
    request.stages = options.stages;
    request.mfu = options.mfu;
    request.max_gpus = options.max_gpus;
    if (options.learning_rate_given) {
        request.learning_rate = options.learning_rate;
    }
    const FinetunePlan plan = plan_finetune(request);
    CommandOutput output;
    output.text = report::render(plan, context.render_options());
    return output;
}
}  // namespace

void register_plan(CLI::App& app, Context& context) {
    context.declare_formats("plan", {.formats = k_text_and_json_formats, .hint = ""});
    CLI::App* plan = app.add_subcommand("plan", "Plans beyond serving: 'plan finetune' (training memory, GPUs, time, cost, schedule)");
    plan->require_subcommand(1);
    auto options = std::make_shared<FinetuneOptions>();
    CLI::App* command = plan->add_subcommand(
        "finetune", "Fine-tuning memory, GPU count, time, cost and a progressive-unfreezing schedule (seed §5.3)");
    command->add_option("--model", options->model, "Model id (dsselect catalog models)")->required();
    command->add_option("--variant", options->variant, "LoRA only: how the frozen base is stored (default 16 bits)");
    command->add_option("--gpu", options->gpu, "Hardware id (dsselect catalog hardware)")->required();
    command->add_option("--tokens", options->tokens, "Training tokens over the whole schedule (default 1e8)");
    command->add_option("--method", options->method, "full (default), lora or qlora");
    command->add_option("--sequence-tokens", options->sequence_tokens, "Tokens per training sequence (default 4096)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000'000}));
    command->add_option("--micro-batch", options->micro_batch, "Sequences per GPU per step (default 1)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000}));
    auto* rank = command->add_option("--lora-rank", options->lora_rank, "LoRA rank (default 16)")
                     ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000}));
    auto* targets = command->add_option("--lora-targets", options->lora_targets,
                                        "LoRA adapters on: attention or all (attention + FFN; default all)");
    command->add_option("--stages", options->stages, "Progressive unfreezing stages (default 4)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000}));
    command->add_option("--mfu", options->mfu, "Model FLOPs utilisation (default 0.4)");
    auto* rate = command->add_option("--learning-rate", options->learning_rate,
                                     "Base learning rate of the top tier (default 1e-5 full, 2e-4 LoRA)");
    command->add_option("--max-gpus", options->max_gpus, "Largest GPU count searched (default 1024)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000}));
    command->callback([options, rank, targets, rate, &context] {
        options->lora_rank_given = rank->count() > 0;
        options->lora_targets_given = targets->count() > 0;
        options->learning_rate_given = rate->count() > 0;
        context.action = [options, &context] { return run_finetune(*options, context); };
    });
}

}  // namespace dsselect::cli
