#pragma once
// Small fixtures and an in-process CLI runner shared by the test files.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "dsselect/catalog/loader.hpp"
#include "dsselect/catalog/types.hpp"
#include "dsselect/cli/app.hpp"
#include "dsselect/estimate/estimator.hpp"
#include "dsselect/rules/rules.hpp"

namespace test {

// One replica of `model` in `variant` on `gpus` of `hardware` at `batch`, 512 prompt and 128
// output tokens and a default-constructed EfficiencyProfile: the estimator tests' common request.
// The lengths are today's EstimateRequest defaults, written out so that the hand-computed
// expectations built on them do not move if those defaults ever do.
inline dsselect::EstimateRequest request_for(const dsselect::Model& model, const dsselect::Variant& variant,
                                             const dsselect::Hardware& hardware, std::int64_t gpus = 1,
                                             std::int64_t batch = 1) {
    dsselect::EstimateRequest request;
    request.model = &model;
    request.variant = &variant;
    request.hardware = &hardware;
    request.gpus = gpus;
    request.batch = batch;
    request.prompt_tokens = 512;
    request.output_tokens = 128;
    return request;
}

// The built-in catalog and rules, loaded once per test binary.
inline const dsselect::Catalog& builtin() {
    static const dsselect::Catalog catalog = dsselect::load_catalog({});
    return catalog;
}
inline const dsselect::RuleSet& builtin_rules() {
    static const dsselect::RuleSet rules = dsselect::load_rules({});
    return rules;
}

struct CliResult {
    int status = 0;
    std::string out;
    std::string err;
};

inline CliResult run_cli(const std::vector<std::string>& args) {
    std::ostringstream out;
    std::ostringstream err;
    CliResult result;
    result.status = dsselect::cli::run(args, out, err);
    result.out = out.str();
    result.err = err.str();
    return result;
}

// A file in a per-process scratch directory, removed with the object; the directory goes with the
// last file in it.
class TempFile {
public:
    TempFile(const std::string& name, const std::string& text) {
        m_path = std::filesystem::temp_directory_path() / ("dsselect-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(m_path);
        m_path /= name;
        std::ofstream(m_path) << text;
    }
    ~TempFile() {
        std::error_code ignored;
        std::filesystem::remove(m_path, ignored);
        std::filesystem::remove(m_path.parent_path(), ignored);  // fails, harmlessly, while others remain
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    std::string path() const { return m_path.string(); }

private:
    std::filesystem::path m_path;
};

inline std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// A Llama-2-7B-shaped dense model: 32 layers, d 4096, MHA 32 x 128, d_ff 11008, vocab 32000.
inline dsselect::Model llama2_7b() {
    dsselect::Model model;
    model.id = "llama2-7b";
    model.name = "Llama-2-7B shape";
    auto& a = model.architecture;
    a.num_hidden_layers = 32;
    a.hidden_size = 4096;
    a.intermediate_size = 11008;
    a.num_attention_heads = 32;
    a.num_key_value_heads = 32;
    a.vocab_size = 32000;
    a.max_position_embeddings = 4096;
    return model;
}

inline dsselect::Model deepseek_v3() {
    dsselect::Model model;
    model.id = "deepseek-v3";
    model.name = "DeepSeek-V3";
    auto& a = model.architecture;
    a.num_hidden_layers = 61;
    a.hidden_size = 7168;
    a.intermediate_size = 18432;
    a.num_attention_heads = 128;
    a.num_key_value_heads = 128;
    a.vocab_size = 129280;
    a.max_position_embeddings = 163840;
    a.moe_intermediate_size = 2048;
    a.n_routed_experts = 256;
    a.n_shared_experts = 1;
    a.num_experts_per_tok = 8;
    a.first_k_dense_replace = 3;
    a.q_lora_rank = 1536;
    a.kv_lora_rank = 512;
    a.qk_rope_head_dim = 64;
    a.qk_nope_head_dim = 128;
    a.v_head_dim = 128;
    return model;
}

inline dsselect::Variant variant_bits(double weight_bits, dsselect::Precision compute = dsselect::Precision::fp16) {
    dsselect::Variant variant;
    variant.id = "w" + std::to_string(static_cast<int>(weight_bits));
    variant.weight_bits = weight_bits;
    variant.compute_precision = compute;
    if (compute == dsselect::Precision::int8 || compute == dsselect::Precision::fp8) {
        variant.activation_bits = 8;
    }
    return variant;
}

// An A100-80GB-like GPU with round numbers.
inline dsselect::Hardware gpu(double bandwidth_gb_per_s = 2039, double memory_gb = 80) {
    dsselect::Hardware hardware;
    hardware.id = "test-gpu";
    hardware.name = "Test GPU";
    hardware.memory_gb = memory_gb;
    hardware.memory_bandwidth_gb_per_s = bandwidth_gb_per_s;
    hardware.peak_tflops[dsselect::Precision::fp16] = 312;
    hardware.peak_tflops[dsselect::Precision::bf16] = 312;
    hardware.peak_tflops[dsselect::Precision::int8] = 624;
    hardware.interconnect_gb_per_s = 300;
    hardware.tdp_w = 400;
    hardware.price_usd_per_hour = 2.0;
    hardware.purchase_usd = 15000;
    return hardware;
}

}  // namespace test
