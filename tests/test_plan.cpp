// Per-group bit widths and the fine-tuning plan against hand-computed values. Physics on small
// fixtures (a Llama-2-7B shape, a round test GPU); the CLI on the shipped catalog.
#include <map>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "dsselect/estimate/estimator.hpp"
#include "dsselect/plan/finetune.hpp"
#include "support/helpers.hpp"

using namespace dsselect;
using json = nlohmann::json;
using test::run_cli;

namespace {
// Llama-2-7B shape (32 layers, d 4096, MHA 32 x 128, d_ff 11008, vocab 32000, untied), by hand:
//   embedding = head = 32000 * 4096                      =   131,072,000
//   attention = 32 * 4 * 4096^2                          = 2,147,483,648
//   FFN       = 32 * 3 * 4096 * 11008                    = 4,328,521,728
//   norms     = 32 * 2 * 4096 + 4096                     =       266,240
//   total                                                = 6,738,415,616 (the published count)
constexpr std::int64_t k_llama_total = 6'738'415'616;
constexpr std::int64_t k_llama_layer = 4LL * 4096 * 4096 + 3LL * 4096 * 11008 + 2 * 4096;  // 202,383,360

FinetuneRequest llama_request(const Model& model, const Hardware& hardware, FinetuneMethod method) {
    FinetuneRequest request;
    request.model = &model;
    request.hardware = &hardware;
    request.method = method;
    request.tokens = 1e8;
    request.sequence_tokens = 4096;
    return request;
}
}  // namespace

TEST_CASE("per-group bits: attention 16, FFN 4, embedding and head 8 against a hand-computed total", "[plan][bits]") {
    const Model model = test::llama2_7b();
    Variant variant = test::variant_bits(8);
    variant.bits_per_group = GroupBits{16.0, 4.0, 8.0, 8.0};
    const ParameterCounts counts = model_parameters(model);
    REQUIRE(counts.total == k_llama_total);
    // attention + norms (2,147,749,888) * 2 = 4,295,499,776; FFN 4,328,521,728 / 2 = 2,164,260,864;
    // embedding and head 131,072,000 each at 1 byte. Sum 6,721,904,640 bytes.
    const GroupWeightBytes groups = weight_bytes_by_group(counts, variant);
    CHECK(groups.attention == 4'295'499'776.0);
    CHECK(groups.ffn == 2'164'260'864.0);
    CHECK(groups.embedding == 131'072'000.0);
    CHECK(groups.head == 131'072'000.0);
    CHECK(groups.total == 6'721'904'640.0);
    // The estimator's weights memory (and so its decode bandwidth) uses the same total.
    const Hardware hardware = test::gpu();
    EstimateRequest request;
    request.model = &model;
    request.variant = &variant;
    request.hardware = &hardware;
    Trace trace;
    const Estimate result = estimate(request, &trace);
    CHECK(result.memory.weights_bytes == 6'721'904'640.0);
    bool explained = false;
    for (const TraceItem& item : trace) {
        explained = explained || (item.name == "weights_bytes.ffn" && item.value == 2'164'260'864.0);
    }
    CHECK(explained);
}

TEST_CASE("per-group bits: a group left out falls back to weight_bits, none set equals the single width", "[plan][bits]") {
    const ParameterCounts counts = model_parameters(test::llama2_7b());
    Variant variant = test::variant_bits(8);
    variant.bits_per_group = GroupBits{16.0, std::nullopt, std::nullopt, std::nullopt};
    // 4,295,499,776 (attention at 16) + (4,328,521,728 + 2 * 131,072,000) * 1 = 8,886,165,504
    CHECK(model_weight_bytes(counts, variant) == 8'886'165'504.0);
    const Variant plain = test::variant_bits(8);
    CHECK(model_weight_bytes(counts, plain) == static_cast<double>(k_llama_total));
}

TEST_CASE("finetune: full fine-tune with mixed-precision Adam holds 16 bytes per parameter", "[plan][finetune]") {
    const Model model = test::llama2_7b();
    const Hardware hardware = test::gpu(2039, 80);
    const FinetunePlan plan = plan_finetune(llama_request(model, hardware, FinetuneMethod::full));
    // 2 (bf16 weights) + 2 (gradients) + 12 (fp32 master + Adam m, v) = 16 bytes * 6,738,415,616.
    CHECK(plan.memory.weights_bytes == 13'476'831'232.0);
    CHECK(plan.memory.gradients_bytes == 13'476'831'232.0);
    CHECK(plan.memory.optimizer_bytes == 80'860'987'392.0);
    CHECK(plan.memory.states_bytes == 107'814'649'856.0);
    CHECK(plan.memory.bytes_per_parameter == 16.0);
    // Activations, 4096 tokens: 4096 * 4096 * (2 * 32 + 34) = 1,644,167,168 (checkpoints + one
    // recomputed layer) + 4096 * 32000 * 4 = 524,288,000 (fp32 logits) = 2,168,455,168.
    CHECK(plan.memory.activations_bytes == 2'168'455'168.0);
    CHECK(plan.memory.total_bytes == 109'983'105'024.0);
    // fp32: 16 bytes per parameter too, activations doubled: 107,814,649,856 + 3,288,334,336 +
    // 524,288,000 = 111,627,272,192; mixed precision saves 1.47 %, not seed §2.2's 40 %.
    REQUIRE(plan.memory.fp32_total_bytes);
    CHECK(*plan.memory.fp32_total_bytes == 111'627'272'192.0);
    CHECK(*plan.memory.computed_saving_fraction == Approx(1.0 - 109'983'105'024.0 / 111'627'272'192.0));
    // 1 GPU: 107.8 GB + 2.17 GB + 1 GiB > 72 GB usable. 2 GPUs: 53,907,324,928 + 2,168,455,168 +
    // 1,073,741,824 + gathered 2 * 2 * 202,383,360 = 57,959,055,360 <= 72e9.
    CHECK(plan.fits);
    CHECK(plan.gpus == 2);
    CHECK(plan.memory.per_gpu_bytes == 57'959'055'360.0);
    // Time: 6 * N * D = 6 * 6,738,415,616 * 1e8 FLOPs at 312 TFLOPS * 0.4 MFU; $2 per GPU-hour.
    const double flops = 6.0 * 6'738'415'616.0 * 1e8;
    CHECK(plan.cost.flops == Approx(flops));
    CHECK(plan.cost.gpu_hours == Approx(flops / (312e12 * 0.4 * 3600.0)));
    CHECK(plan.cost.usd == Approx(2.0 * flops / (312e12 * 0.4 * 3600.0)));
    REQUIRE(plan.wall_hours);
    CHECK(*plan.wall_hours == Approx(plan.cost.gpu_hours / 2.0));
}

TEST_CASE("finetune: LoRA rank 16 adapter counts for attention only and all linear layers", "[plan][finetune]") {
    const Architecture a = test::llama2_7b().architecture;
    // Attention: Q, K, V, O are 4096 x 4096: 4 * 16 * (4096 + 4096) = 524,288 per layer.
    CHECK(lora_parameters_per_layer(a, 0, 16, LoraTargets::attention) == 524'288);
    // + gate, up (4096 x 11008) and down (11008 x 4096): 3 * 16 * 15104 = 724,992 -> 1,249,280.
    CHECK(lora_parameters_per_layer(a, 0, 16, LoraTargets::all) == 1'249'280);
    const Model model = test::llama2_7b();
    const Hardware hardware = test::gpu();
    FinetuneRequest request = llama_request(model, hardware, FinetuneMethod::lora);
    const FinetunePlan plan = plan_finetune(request);
    CHECK(plan.adapter_parameters == 32 * 1'249'280);  // 39,976,960
    // Frozen 16-bit base 2 * 6,738,415,616 + adapters 16 * 39,976,960 = 14,116,462,592 bytes.
    CHECK(plan.memory.states_bytes == 14'116'462'592.0);
    CHECK(plan.gpus == 1);
    // LoRA: 4 N D (no weight gradients for the frozen base).
    CHECK(plan.cost.flops == Approx(4.0 * 6'738'415'616.0 * 1e8));
    // QLoRA: attention + FFN (6,476,271,616) at 4.127 bits, embedding and head at 16 bits.
    request.method = FinetuneMethod::qlora;
    const FinetunePlan qlora = plan_finetune(request);
    CHECK(qlora.memory.weights_bytes ==
          Approx(6'476'271'616.0 * 4.127 / 8.0 + 2.0 * 131'072'000.0 * 2.0 + 2.0 * 39'976'960.0));
    CHECK(qlora.memory.states_bytes < plan.memory.states_bytes);
    // A 2:4 sparse base is held dense (training frameworks have no 2:4 kernels): the 16-bit bytes.
    Variant sparse = test::variant_bits(16);
    sparse.structured_sparsity_2_4 = true;
    request.method = FinetuneMethod::lora;
    request.variant = &sparse;
    CHECK(plan_finetune(request).memory.states_bytes == plan.memory.states_bytes);
}

TEST_CASE("finetune: progressive unfreezing thaws the top layers first, tiers get 1, 1/2.6, 1/2.6^2", "[plan][finetune]") {
    const Model model = test::llama2_7b();
    const Hardware hardware = test::gpu();
    const FinetunePlan plan = plan_finetune(llama_request(model, hardware, FinetuneMethod::full));
    REQUIRE(plan.stages.size() == 4);
    CHECK(plan.stages[0].first_layer == 24);
    CHECK(plan.stages[1].first_layer == 16);
    CHECK(plan.stages[2].first_layer == 8);
    CHECK(plan.stages[3].first_layer == 0);
    CHECK(plan.stages[0].last_layer == 31);
    // Stage 1: 8 layers + head + final norm = 8 * 202,383,360 + 131,072,000 + 4096.
    CHECK(plan.stages[0].trainable_parameters == 8 * k_llama_layer + 131'072'000 + 4096);
    CHECK(!plan.stages[0].embedding);
    CHECK(plan.stages[3].embedding);
    CHECK(plan.stages[3].trainable_parameters == k_llama_total);
    CHECK(plan.stages[0].tokens == 2.5e7);
    REQUIRE(plan.tiers.size() == 3);
    CHECK(plan.tiers[0].name == "top");
    CHECK(plan.tiers[0].first_layer == 21);
    CHECK(plan.tiers[1].first_layer == 10);
    CHECK(plan.tiers[2].last_layer == 9);
    CHECK(plan.tiers[0].learning_rate == Approx(1e-5));
    CHECK(plan.tiers[1].learning_rate_multiplier == Approx(1.0 / 2.6));
    CHECK(plan.tiers[2].learning_rate_multiplier == Approx(1.0 / 6.76));
    CHECK(plan.tiers[0].trainable_parameters + plan.tiers[1].trainable_parameters +
              plan.tiers[2].trainable_parameters == k_llama_total);
}

TEST_CASE("finetune: the GPU count never falls when memory per GPU shrinks or sequences grow", "[plan][finetune]") {
    const Model model = test::llama2_7b();
    std::int64_t previous = 0;
    for (double memory_gb : {141.0, 80.0, 48.0, 40.0, 24.0}) {
        const Hardware hardware = test::gpu(2039, memory_gb);
        const FinetunePlan plan = plan_finetune(llama_request(model, hardware, FinetuneMethod::full));
        INFO(memory_gb);
        REQUIRE(plan.fits);
        CHECK(plan.gpus >= previous);
        previous = plan.gpus;
    }
    const Hardware hardware = test::gpu(2039, 40);
    FinetuneRequest request = llama_request(model, hardware, FinetuneMethod::full);
    previous = 0;
    for (std::int64_t sequence : {512, 1024, 2048, 4096}) {
        request.sequence_tokens = sequence;
        const FinetunePlan plan = plan_finetune(request);
        CHECK(plan.gpus >= previous);
        previous = plan.gpus;
    }
    // Too small for one micro-batch's activations: a result that does not fit, not an error.
    const Hardware tiny = test::gpu(2039, 2);
    const FinetunePlan none = plan_finetune(llama_request(model, tiny, FinetuneMethod::full));
    CHECK(!none.fits);
    CHECK(none.gpus == 0);
    CHECK(none.memory.shortfall_bytes > 0);
    CHECK(!none.wall_hours);
}

TEST_CASE("cli: plan finetune -o json is a FinetunePlan with memory, stages and tiers", "[cli][plan]") {
    auto result = run_cli({"plan", "finetune", "--model", "base", "--gpu", "a100-80gb", "--tokens", "2e8", "-o", "json"});
    REQUIRE(result.status == 0);
    const json document = json::parse(result.out);
    CHECK(document.at("kind").get<std::string>() == "FinetunePlan");
    CHECK(document.at("schema_version").get<std::string>() == "1.11");
    CHECK(document.at("memory").at("bytes_per_parameter").get<double>() == 16.0);
    CHECK(document.at("memory").at("total_bytes").get<std::int64_t>() > 0);
    CHECK(document.at("stages").size() == 4);
    CHECK(document.at("tiers").size() == 3);
    CHECK(document.at("tokens").get<std::int64_t>() == 200'000'000);
    CHECK(document.at("memory").at("mixed_precision").at("catalog_saving_fraction").get<double>() == Approx(0.4));
}

TEST_CASE("cli: plan finetune rejects bad flags with exit 2", "[cli][plan]") {
    auto unknown = run_cli({"plan", "finetune", "--model", "bsae", "--gpu", "a100-80gb"});
    CHECK(unknown.status == 2);
    CHECK(unknown.out.empty());
    CHECK(unknown.err.find("did you mean 'base'") != std::string::npos);
    auto negative = run_cli({"plan", "finetune", "--model", "base", "--gpu", "a100-80gb", "--tokens", "-1"});
    CHECK(negative.status == 2);
    CHECK(negative.err.find("--tokens") != std::string::npos);
    auto junk = run_cli({"plan", "finetune", "--model", "base", "--gpu", "a100-80gb", "--method", "junk"});
    CHECK(junk.status == 2);
    CHECK(test::first_line(junk.err) == "dsselect: error: --method: expected full, lora or qlora, got 'junk'");
    auto contradictory = run_cli({"plan", "finetune", "--model", "base", "--gpu", "a100-80gb", "--lora-rank", "8"});
    CHECK(contradictory.status == 2);
    auto no_subcommand = run_cli({"plan"});
    CHECK(no_subcommand.status == 2);
    // Below 0.1 % of peak the training cost runs off toward infinity (it printed "$0"): refused.
    auto tiny_mfu = run_cli({"plan", "finetune", "--model", "base", "--gpu", "a100-80gb", "--mfu", "1e-19"});
    CHECK(tiny_mfu.status == 2);
    CHECK(tiny_mfu.out.empty());
    CHECK(test::first_line(tiny_mfu.err) == "dsselect: error: --mfu: expected a fraction from 0.001 to 1, got '1e-19'");
    CHECK(run_cli({"plan", "finetune", "--model", "base", "--gpu", "a100-80gb", "--mfu", "0.001"}).status == 0);
}

TEST_CASE("catalog: bits_per_group problems are reported with their JSON pointer", "[plan][bits][catalog]") {
    test::TempFile file("bits.json", R"({"schema_version": "1.0", "variants": [
        {"id": "a", "weight_bits": 8, "bits_per_group": 5},
        {"id": "b", "weight_bits": 8, "bits_per_group": {"attention": 100, "ffnn": 4}}]})");
    auto result = run_cli({"validate", file.path()});
    CHECK(result.status == 65);
    CHECK(result.err.find("/variants/0/bits_per_group: expected an object, got 5") != std::string::npos);
    CHECK(result.err.find("/variants/1/bits_per_group/attention: expected at most 64 bits, got 100") != std::string::npos);
    CHECK(result.err.find("/variants/1/bits_per_group/ffnn: unknown field 'ffnn'; did you mean 'ffn'?") != std::string::npos);
}

TEST_CASE("cli: estimate --explain of dynamic-quant prints the per-group weight bytes", "[cli][plan][bits]") {
    auto result = run_cli({"estimate", "--model", "base", "--variant", "dynamic-quant", "--gpu", "a40", "--explain",
                           "-o", "json"});
    REQUIRE(result.status == 0);
    const json document = json::parse(result.out);
    std::map<std::string, double> steps;
    for (const auto& step : document.at("explain")) {
        steps[step.at("name").get<std::string>()] = step.at("value").get<double>();
    }
    // base: attention 32 * 4 * 4096^2 + norms 32 * 2 * 4096 + 4096 = 2,147,749,888 at 16 bits.
    CHECK(steps.at("weights_bytes.attention") == 4'295'499'776.0);
    CHECK(steps.at("bits_per_group.ffn") == 4.0);
    CHECK(steps.at("weights_bytes") == Approx(steps.at("weights_bytes.attention") + steps.at("weights_bytes.ffn") +
                                              steps.at("weights_bytes.embedding") + steps.at("weights_bytes.head")));
    CHECK(document.at("memory").at("weights_bytes").get<double>() == Approx(steps.at("weights_bytes")).epsilon(1e-9));
}
