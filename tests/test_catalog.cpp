// Loading and validation: each failure class with its exact message.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "dsselect/catalog/loader.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/estimate/estimator.hpp"
#include "support/helpers.hpp"

using namespace dsselect;

namespace {
using test::builtin;

std::vector<std::string> problems_of(const std::string& text) {
    return validate_document({"extra.json", text}, builtin());
}

std::string first_problem(const std::string& text) {
    auto problems = problems_of(text);
    return problems.empty() ? std::string("<valid>") : problems.front();
}

std::string with_model(const std::string& architecture_fields, const std::string& extra = "") {
    return R"({"schema_version": "1.0", "models": [{"id": "m1", "name": "M1", "architecture": {)" + architecture_fields +
           "}" + extra + "}]}";
}

const std::string k_arch = R"("num_hidden_layers": 2, "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4, "vocab_size": 100)";
}  // namespace

TEST_CASE("catalog: the shipped data loads and validates", "[catalog]") {
    const Catalog& catalog = builtin();
    CHECK(catalog.models.size() >= 5);
    CHECK(catalog.variants.size() >= 10);
    CHECK(catalog.hardware.size() >= 16);
    CHECK(catalog.scenarios.size() >= 9);
    for (const auto& source : builtin_data_sources()) {
        INFO(source.name);
        CHECK(validate_document(source, builtin()).empty());
    }
}

TEST_CASE("catalog: a hardware's peak per precision is present only where set, listed in precision order", "[catalog]") {
    PrecisionValues peaks;
    CHECK(peaks.empty());
    CHECK(peaks.begin() == peaks.end());
    peaks[Precision::int8] = 624;
    peaks[Precision::fp16] = 312;
    peaks[Precision::int4] = 0;  // present with value 0 is not absent
    CHECK(peaks.size() == 3);
    CHECK(peaks.find(Precision::int8) == 624);
    CHECK(peaks.find(Precision::int4) == 0);
    CHECK_FALSE(peaks.find(Precision::bf16));
    CHECK_FALSE(peaks.find(Precision::fp8));
    std::vector<std::pair<Precision, double>> listed;
    for (const auto& [precision, tflops] : peaks) {
        listed.emplace_back(precision, tflops);
    }
    const std::vector<std::pair<Precision, double>> expected{
        {Precision::fp16, 312}, {Precision::int8, 624}, {Precision::int4, 0}};
    CHECK(listed == expected);
    Hardware h;
    h.peak_tflops = peaks;
    CHECK(h.peak_tflops_at(Precision::fp16) == 312);
    CHECK_FALSE(h.peak_tflops_at(Precision::fp8));
}

TEST_CASE("catalog: each seed version's computed parameter count is within 2 % of nominal", "[catalog]") {
    for (const char* id : {"nano", "base", "pro", "ultra", "v3-13b"}) {
        const Model& model = builtin().model(id);
        INFO(id);
        REQUIRE(model.parameters_nominal > 0);
        const double computed = static_cast<double>(count_parameters(model.architecture).total);
        CHECK(std::fabs(computed / model.parameters_nominal - 1.0) < 0.02);
    }
    CHECK(builtin().model("ultra").parameters_nominal == 175e9);
}

TEST_CASE("catalog: every shipped hardware figure and variant carries a source", "[catalog]") {
    for (const Hardware& hardware : builtin().hardware) {
        INFO(hardware.id);
        CHECK_FALSE(hardware.source.empty());
        for (const char* field : {"memory_gb", "memory_bandwidth_gb_per_s", "peak_tflops", "tdp_w", "price_usd_per_hour"}) {
            INFO(field);
            CHECK(hardware.sources.count(field) == 1);
        }
    }
    for (const Variant& variant : builtin().variants) {
        INFO(variant.id);
        CHECK_FALSE(variant.source.empty());
    }
}

TEST_CASE("catalog: reference hardware of seed §2.1 holds each version at fp16 with a 4K context", "[catalog][estimator]") {
    for (const char* id : {"nano", "base", "pro", "ultra"}) {
        const Model& model = builtin().model(id);
        EstimateRequest request;
        request.model = &model;
        request.variant = &builtin().variant("fp16");
        request.hardware = &builtin().hardware_by_id(model.reference_hardware_id);
        request.gpus = model.reference_gpus;
        request.prompt_tokens = 3072;
        request.output_tokens = 1024;
        request.profile = default_profile(request.hardware->kind);
        INFO(id << " on " << model.reference_hardware_id << " x" << model.reference_gpus);
        CHECK(estimate(request).memory.fits);
    }
}

TEST_CASE("catalog: ultra at fp16 does not fit one A10", "[catalog][estimator]") {
    EstimateRequest request;
    request.model = &builtin().model("ultra");
    request.variant = &builtin().variant("fp16");
    request.hardware = &builtin().hardware_by_id("a10");
    const Estimate e = estimate(request);
    CHECK_FALSE(e.memory.fits);
    CHECK(e.memory.shortfall_bytes > 300e9);
}

TEST_CASE("validation: malformed JSON names line and column", "[validation]") {
    CHECK(first_problem("{\"schema_version\": \"1.0\",\n \"models\": [}") ==
          "extra.json: /: malformed JSON: parse error at line 2, column 13: syntax error while parsing value - "
          "unexpected '}'; expected '[', '{', or a literal");
}

TEST_CASE("validation: a string where a number belongs names the pointer and the value", "[validation]") {
    CHECK(first_problem(with_model(R"("num_hidden_layers": "abc", "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4, "vocab_size": 100)")) ==
          "extra.json: /models/0/architecture/num_hidden_layers: expected a positive integer, got \"abc\"");
}

TEST_CASE("validation: a missing required field is named", "[validation]") {
    CHECK(first_problem(R"({"schema_version": "1.0", "models": [{"id": "m1", "architecture": {)" + k_arch + "}}]}") ==
          "extra.json: /models/0: missing required field 'name'");
}

TEST_CASE("validation: zero, negative and huge values where a positive number is required", "[validation]") {
    auto hardware = [](const std::string& bandwidth) {
        return R"({"schema_version": "1.0", "hardware": [{"id": "g", "name": "G", "memory_gb": 8, "memory_bandwidth_gb_per_s": )" +
               bandwidth + R"(, "peak_tflops": {"fp16": 10}}]})";
    };
    CHECK(first_problem(hardware("0")) ==
          "extra.json: /hardware/0/memory_bandwidth_gb_per_s: expected a positive number, got 0");
    CHECK(first_problem(hardware("-5")) ==
          "extra.json: /hardware/0/memory_bandwidth_gb_per_s: expected a positive number, got -5");
    CHECK(first_problem(hardware("\"NaN\"")) ==
          "extra.json: /hardware/0/memory_bandwidth_gb_per_s: expected a positive number, got \"NaN\"");
    CHECK(first_problem(hardware("1e400")).find("extra.json: /") == 0);  // rejected, never infinite
    CHECK(first_problem(R"({"schema_version": "1.0", "hardware": [{"id": "g", "name": "G", "memory_gb": 1e300, "memory_bandwidth_gb_per_s": 100, "peak_tflops": {"fp16": 10}}]})") ==
          "extra.json: /hardware/0/memory_gb: expected a positive number of at most 1e+06, got 1e+300");
    CHECK(first_problem(R"({"schema_version": "1.0", "scenarios": [{"id": "q", "workload": {"prompt_tokens": 1, "output_tokens": 1, "qps": 1e300}}]})") ==
          "extra.json: /scenarios/0/workload/qps: expected a non-negative number of at most 1e+09, got 1e+300");
    CHECK(first_problem(hardware("1e-300")) ==
          "extra.json: /hardware/0/memory_bandwidth_gb_per_s: expected a positive number of at least 0.001, got 1e-300");
    CHECK(first_problem(hardware("100")) == "<valid>");
}

TEST_CASE("validation: fractions outside [0, 1] are refused", "[validation]") {
    CHECK(first_problem(R"({"schema_version": "1.0", "variants": [{"id": "v", "weight_bits": 8, "quality_retention": 1.5}]})") ==
          "extra.json: /variants/0/quality_retention: expected a number greater than 0 and at most 1, got 1.5");
}

TEST_CASE("validation: unknown fields get a did-you-mean", "[validation]") {
    CHECK(first_problem(R"({"schema_version": "1.0", "variants": [{"id": "v", "weight_bit": 8}]})") ==
          "extra.json: /variants/0: missing required field 'weight_bits'");
    CHECK(problems_of(R"({"schema_version": "1.0", "variants": [{"id": "v", "weight_bit": 8}]})").at(1) ==
          "extra.json: /variants/0/weight_bit: unknown field 'weight_bit'; did you mean 'weight_bits'?");
}

TEST_CASE("validation: duplicate ids within a file", "[validation]") {
    CHECK(first_problem(R"({"schema_version": "1.0", "variants": [{"id": "v", "weight_bits": 8}, {"id": "v", "weight_bits": 4}]})") ==
          "extra.json: /variants/1/id: duplicate id 'v' (first at /variants/0)");
}

TEST_CASE("validation: references to unknown ids", "[validation]") {
    CHECK(first_problem(R"({"schema_version": "1.0", "variants": [{"id": "v", "weight_bits": 8, "applies_to": ["bsae"]}]})") ==
          "extra.json: /variants/0/applies_to/0: unknown model 'bsae'; did you mean 'base'?");
}

TEST_CASE("validation: unsupported schema_version", "[validation]") {
    CHECK(first_problem(R"({"schema_version": "2.0", "models": []})") ==
          "extra.json: /schema_version: unsupported schema_version \"2.0\"; this dsselect reads \"1.0\", \"1.1\", \"1.2\", \"1.3\", \"1.4\", \"1.5\", \"1.6\", \"1.7\", \"1.8\", \"1.9\", \"1.10\" or \"1.11\"");
    CHECK(first_problem(R"({"models": []})") == "extra.json: /: missing required field 'schema_version' (expected \"1.0\", \"1.1\", \"1.2\", \"1.3\", \"1.4\", \"1.5\", \"1.6\", \"1.7\", \"1.8\", \"1.9\", \"1.10\" or \"1.11\")");
}

TEST_CASE("validation: architectures that cannot exist", "[validation]") {
    CHECK(first_problem(with_model(k_arch + R"(, "num_key_value_heads": 3)")) ==
          "extra.json: /models/0/architecture/num_key_value_heads: expected a divisor of num_attention_heads (4), got 3");
    CHECK(first_problem(with_model(R"("num_hidden_layers": 2, "hidden_size": 66, "intermediate_size": 128, "num_attention_heads": 4, "vocab_size": 100)")) ==
          "extra.json: /models/0/architecture/hidden_size: expected a multiple of num_attention_heads (4) when head_dim is absent, got 66");
    CHECK(first_problem(with_model(k_arch + R"(, "n_routed_experts": 8)")) ==
          "extra.json: /models/0/architecture: MoE fields given only in part: missing 'num_experts_per_tok' (a MoE model needs n_routed_experts, num_experts_per_tok and moe_intermediate_size)");
    CHECK(first_problem(with_model(k_arch + R"(, "kv_lora_rank": 64)")) ==
          "extra.json: /models/0/architecture: MLA fields given only in part: missing 'qk_rope_head_dim' (MLA needs kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim and v_head_dim)");
    CHECK(first_problem(with_model(k_arch)) == "<valid>");
}

TEST_CASE("validation: dimensions whose products would overflow a whole count are refused", "[validation]") {
    // Each dimension is within 2^40, but the layers times the attention of each are not a count
    // the estimator can form: 2^40 - 1 layers of 41,088 parameters each are about 4.52e16.
    CHECK(first_problem(with_model(R"("num_hidden_layers": 1099511627775, "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4, "vocab_size": 100)")) ==
          "extra.json: /models/0/architecture: expected an architecture of at most 1e+15 parameters (its total, or one FFN or "
          "expert, from its dimensions), got 4.52e+16");
    // One expert is formed even when every layer is dense (first_k_dense_replace = layers).
    // One expert is 3 * 4096 * (2^40 - 1), about 1.35e16.
    CHECK(first_problem(with_model(R"("num_hidden_layers": 2, "hidden_size": 4096, "intermediate_size": 128, "num_attention_heads": 4, "vocab_size": 100, "n_routed_experts": 2, "num_experts_per_tok": 1, "moe_intermediate_size": 1099511627775, "first_k_dense_replace": 2)")) ==
          "extra.json: /models/0/architecture: expected an architecture of at most 1e+15 parameters (its total, or one FFN or "
          "expert, from its dimensions), got 1.35e+16");
    CHECK(first_problem(with_model(R"("num_hidden_layers": 2, "hidden_size": 4096, "intermediate_size": 128, "num_attention_heads": 4, "vocab_size": 100, "n_routed_experts": 2, "num_experts_per_tok": 1, "moe_intermediate_size": 1000000, "first_k_dense_replace": 2)")) == "<valid>");
    // A token's experts, k routed and the shared ones, are one width (the activations' size) even
    // when every layer is dense: 3 * 4096 * 1000 * (1 + 2^40 - 1) is about 1.35e19.
    CHECK(first_problem(with_model(R"("num_hidden_layers": 2, "hidden_size": 4096, "intermediate_size": 128, "num_attention_heads": 4, "vocab_size": 100, "n_routed_experts": 2, "num_experts_per_tok": 1, "n_shared_experts": 1099511627775, "moe_intermediate_size": 1000, "first_k_dense_replace": 2)")) ==
          "extra.json: /models/0/architecture: expected an architecture of at most 1e+15 parameters (its total, or one FFN or "
          "expert, from its dimensions), got 1.35e+19");
}

TEST_CASE("validation: a pasted Hugging Face config with extra keys is accepted", "[validation]") {
    CHECK(first_problem(with_model(k_arch + R"(, "rope_theta": 10000, "torch_dtype": "bfloat16", "hidden_act": "silu")")) == "<valid>");
}

TEST_CASE("sliding window: each way a config states its window layers is read", "[validation][sliding-window]") {
    // Eight layers with a window of 64 tokens.
    const std::string layers8 = R"("num_hidden_layers": 8, "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4, "vocab_size": 100)";
    const auto read = [&](const std::string& fields) {
        const Catalog catalog = load_catalog({{"swa.json", with_model(layers8 + ", " + fields)}});
        const Architecture& a = catalog.find_model("m1")->architecture;
        return std::pair{a.sliding_window, a.sliding_window_layers};
    };
    using Window = std::pair<std::int64_t, std::int64_t>;
    CHECK(read(R"("sliding_window": 64)") == Window{64, 8});  // Mistral 7B v0.1, Phi-3: every layer
    CHECK(read(R"("sliding_window": null)") == Window{0, 0});
    CHECK(read(R"("sliding_window": 64, "use_sliding_window": false, "max_window_layers": 2)") == Window{0, 0});  // Qwen2
    CHECK(read(R"("sliding_window": 64, "use_sliding_window": true, "max_window_layers": 2)") == Window{64, 6});
    // Qwen2.5's configs may name more full layers than the model has: then none has the window.
    CHECK(read(R"("sliding_window": 64, "use_sliding_window": true, "max_window_layers": 70)").second == 0);
    CHECK(read(R"("sliding_window": 131072, "use_sliding_window": false, "max_window_layers": 70)") == Window{0, 0});
    CHECK(read(R"("sliding_window": 64, "sliding_window_pattern": 4)") == Window{64, 6});  // Gemma 3: every 4th is full
    CHECK(read(R"("sliding_window": 64, "model_type": "gemma2")") == Window{64, 4});       // alternate layers
    CHECK(read(R"("sliding_window": 64, "layer_types": ["sliding_attention", "full_attention", "sliding_attention", "full_attention", "sliding_attention", "sliding_attention", "sliding_attention", "full_attention"])") == Window{64, 5});
    CHECK(read(R"("sliding_window": 64, "sliding_window_layers": 3)") == Window{64, 3});
    // null where a config does not use a key; Qwen2's and Qwen3's classes default the window off.
    CHECK(read(R"("sliding_window": 64, "use_sliding_window": null, "max_window_layers": null, "sliding_window_pattern": null)") == Window{64, 8});
    CHECK(read(R"("sliding_window": 64, "model_type": "qwen2")") == Window{0, 0});
    CHECK(read(R"("sliding_window": 64, "model_type": "qwen3_moe")") == Window{0, 0});
    CHECK(read(R"("sliding_window": 64, "model_type": "qwen2", "use_sliding_window": true, "max_window_layers": 6)") == Window{64, 2});
    // ... and what catalog models -o json writes for it reads back with the window.
    CHECK(read(R"("sliding_window": 64, "model_type": "qwen2", "sliding_window_layers": 2)") == Window{64, 2});
    // layer_types wins over a pattern, and a full-attention list leaves no window.
    CHECK(read(R"("sliding_window": 64, "sliding_window_pattern": 2, "layer_types": ["full_attention", "full_attention", "full_attention", "full_attention", "full_attention", "full_attention", "full_attention", "full_attention"])").second == 0);
}

TEST_CASE("sliding window: a window the estimator cannot describe names its pointer", "[validation][sliding-window]") {
    const std::string layers2 = k_arch;  // two layers
    CHECK(first_problem(with_model(layers2 + R"(, "sliding_window": 0)")) ==
          "extra.json: /models/0/architecture/sliding_window: expected a positive integer, got 0");
    CHECK(first_problem(with_model(layers2 + R"(, "layer_types": ["full_attention"], "sliding_window": 8)")) ==
          "extra.json: /models/0/architecture/layer_types: expected one entry per layer (num_hidden_layers 2), got 1");
    CHECK(first_problem(with_model(layers2 + R"(, "layer_types": ["full_attention", "linear_attention"], "sliding_window": 8)")) ==
          "extra.json: /models/0/architecture/layer_types/1: expected \"full_attention\" or \"sliding_attention\" "
          "(dsselect models no other attention), got \"linear_attention\"");
    CHECK(first_problem(with_model(layers2 + R"(, "layer_types": ["sliding_attention", "full_attention"])")) ==
          "extra.json: /models/0/architecture/sliding_window: missing the window (tokens) of the layers that layer_types or "
          "sliding_window_layers gives a sliding window");
    CHECK(first_problem(with_model(layers2 + R"(, "sliding_window": 8, "sliding_window_layers": 3)")) ==
          "extra.json: /models/0/architecture/sliding_window_layers: expected at most num_hidden_layers (2), got 3");
    CHECK(first_problem(with_model(layers2 + R"(, "sliding_window": 8, "sliding_window_layers": 2, "layer_types": ["sliding_attention", "full_attention"])")) ==
          "extra.json: /models/0/architecture/sliding_window_layers: expected the number of \"sliding_attention\" entries of "
          "layer_types (1), got 2");
    CHECK(first_problem(with_model(layers2 + R"(, "sliding_window": 8, "layer_types": "sliding_attention")")) ==
          "extra.json: /models/0/architecture/layer_types: expected an array of \"full_attention\" or \"sliding_attention\", "
          "one per layer, got \"sliding_attention\"");
    CHECK(first_problem(with_model(layers2 + R"(, "sliding_window": 8, "use_sliding_window": "yes")")).find(
              "/models/0/architecture/use_sliding_window: expected") != std::string::npos);
}

TEST_CASE("validation: every problem of a file is reported, not just the first", "[validation]") {
    auto problems = problems_of(R"({"schema_version": "1.0", "variants": [{"id": "a", "weight_bits": -1}, {"id": "b", "weight_bits": 8, "kv_cache_bits": 0}]})");
    CHECK(problems.size() == 2);
}

TEST_CASE("loading: an overlay replaces entries by id and adds new ones", "[catalog]") {
    const std::string overlay =
        R"({"schema_version": "1.0", "hardware": [{"id": "a10", "name": "A10 at our price", "memory_gb": 24, "memory_bandwidth_gb_per_s": 600, "peak_tflops": {"fp16": 125}, "price_usd_per_hour": 0.5}, {"id": "my-gpu", "name": "Mine", "memory_gb": 16, "memory_bandwidth_gb_per_s": 500, "peak_tflops": {"fp16": 50}}]})";
    const Catalog catalog = load_catalog({{"ours.json", overlay}});
    CHECK(catalog.hardware_by_id("a10").price_usd_per_hour == 0.5);
    CHECK(catalog.hardware.size() == builtin().hardware.size() + 1);
    CHECK(catalog.find_hardware("my-gpu") != nullptr);
}

TEST_CASE("loading: the first problem is thrown as invalid_data", "[catalog]") {
    try {
        load_catalog({{"bad.json", "{\"schema_version\": \"1.0\", \"models\": 3}"}});
        FAIL("expected an error");
    } catch (const Error& error) {
        CHECK(error.kind() == ErrorKind::invalid_data);
        CHECK(std::string(error.what()) == "bad.json: /models: expected an array, got 3");
    }
}

TEST_CASE("loading: a missing file or a directory is input_missing", "[catalog]") {
    CHECK_THROWS_WITH(read_data_file("/nonexistent/x.json"), "/nonexistent/x.json: no such file");
    CHECK_THROWS_WITH(read_data_file("/tmp"), "/tmp: is a directory, expected a JSON file");
}

TEST_CASE("catalog: a file lists at most 1,000 problems and stops reading a long array", "[catalog][hostile]") {
    std::string text = R"({"schema_version":"1.0","hardware":[)";
    for (int i = 0; i < 5000; ++i) {
        text += i == 0 ? "0" : ",0";
    }
    text += "]}";
    const auto problems = validate_document({"many.json", text}, load_catalog({}));
    REQUIRE(problems.size() == 1001);
    CHECK(problems.front() == "many.json: /hardware/0: expected an object, got 0");
    CHECK(problems[999] == "many.json: /hardware/999: expected an object, got 0");
    CHECK(problems.back() == "many.json: /: more than 1000 problems; the rest are not listed");
}

TEST_CASE("catalog: a data file over 16 MiB is refused before it is parsed", "[catalog][hostile]") {
    const std::string path = (std::filesystem::temp_directory_path() / "dsselect-test-oversized.json").string();
    {
        std::ofstream out(path, std::ios::binary);
        out << R"({"schema_version":"1.0","padding":")" << std::string(k_max_data_file_bytes, 'x') << R"("})";
    }
    try {
        read_data_file(path);
        std::remove(path.c_str());
        FAIL("expected the size limit");
    } catch (const Error& error) {
        std::remove(path.c_str());
        CHECK(error.kind() == ErrorKind::invalid_data);
        CHECK(std::string(error.what()) ==
              path + ": more than 16 MiB; a dsselect data, scenario or rules file is at most that large");
    }
}
