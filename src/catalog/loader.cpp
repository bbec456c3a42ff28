// The only code that knows the catalog's JSON field names (with catalog_json.cpp, which
// writes them back out). Reading is strict: unknown fields, wrong types and impossible
// values are reported with the file and the JSON pointer.
#include "dsselect/catalog/loader.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "dsselect/catalog/embedded.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/core/schema_version.hpp"
#include "dsselect/core/notices.hpp"
#include "dsselect/estimate/estimator.hpp"
#include "catalog/scenario_reader.hpp"
#include "core/json_reader.hpp"
#include "serialize.hpp"

namespace dsselect {

using detail::json;
using detail::NumberRule;
using detail::ObjectReader;
using detail::Presence;
using detail::Problems;

namespace {

// Cost inputs are bounded so that every derived dollar figure stays a finite double (a total of
// 1e300 * 1e300 printed as "total_usd": null, which breaks the published schema). The bounds are
// far above any real deployment; past one, the problem names the field.
std::optional<double> cost_input(ObjectReader& reader, const std::string& key, NumberRule rule, double maximum) {
    const std::optional<double> value = reader.number(key, rule);
    if (value && *value > maximum) {
        reader.problems().add(reader.child(key), fmt::format("expected at most {:g}, got {:g}", maximum, *value));
        return std::nullopt;
    }
    return value;
}

// Ids of models, variants and hardware appear in candidate strings MODEL[:VARIANT][@HW[xN]],
// where ':' and '@' are separators: an id holding one could never be named there.
std::string read_id(ObjectReader& reader) {
    std::string id = reader.text("id", Presence::required).value_or("");
    const auto bad = id.find_first_of(":@");
    if (bad != std::string::npos) {
        reader.problems().add(reader.child("id"),
                              fmt::format("id '{}' contains '{}', a separator of candidate strings "
                                          "MODEL[:VARIANT][@HW[xN]]; use '-' instead (see README, \"Data files\")",
                                          detail::printable(id), id[bad]));
    }
    return id;
}

// Top-level arrays a data file may hold. "rules" and "engines" are read by their own modules.
const std::set<std::string> k_top_level_keys = {"schema_version", "kind", "models", "variants", "hardware",
                                                "scenarios", "rules", "engines", "multi_task"};
// Computed figures `catalog models -o json` prints in each model entry.
const std::set<std::string> k_computed_model_keys = {"parameters", "active_parameters", "parameters_vs_nominal",
                                                     "kv_cache_elements_per_token", "attention"};
// The "kind" of the documents `catalog … -o json` prints, accepted so that they read back.
const std::set<std::string> k_document_kinds = {"ModelList", "VariantList", "HardwareList", "ScenarioList",
                                                "EngineList"};
// Shares of a complexity mix or of a scenario's tasks sum to 1 within this.
constexpr double k_share_tolerance = 1e-6;
// Plausible ranges for the SM-cycle laws' hardware figures (the largest GPUs have under 200 SMs
// and boost between about 1 and 3 GHz).
constexpr std::int64_t k_max_sm_count = 1000;
constexpr double k_min_boost_clock_mhz = 100;
constexpr double k_max_boost_clock_mhz = 5000;

// Hugging Face config.json keys that are accepted in "architecture" and do not affect any
// estimate, so that a user can paste a real config.
const std::set<std::string> k_ignored_config_keys = {
    "_name_or_path", "architectures", "torch_dtype", "transformers_version", "hidden_act",
    "rms_norm_eps", "layer_norm_eps", "layer_norm_epsilon", "initializer_range", "use_cache", "bos_token_id",
    "eos_token_id", "pad_token_id", "rope_theta", "rope_scaling", "attention_dropout", "attention_bias",
    "mlp_bias", "pretraining_tp", "n_group",
    "topk_group", "topk_method", "routed_scaling_factor", "norm_topk_prob", "scoring_func", "moe_layer_freq",
    "num_nextn_predict_layers", "quantization_config", "aux_loss_alpha", "ep_size", "seq_aux", "auto_map",
    "tie_embeddings", "use_mla", "rope_parameters", "moe_topk", "dropout", "resid_pdrop", "embd_pdrop"};

void read_sources(ObjectReader& reader, std::string& source, SourceMap& sources) {
    source = reader.text("source").value_or("");
    const json* map = reader.member("sources");
    if (map == nullptr) {
        return;
    }
    if (!map->is_object()) {
        reader.problems().add(reader.child("sources"), "expected an object of field name -> source, got " +
                                                           detail::describe(*map));
        return;
    }
    for (const auto& [key, value] : map->items()) {
        if (!value.is_string()) {
            reader.problems().add(reader.child("sources") + "/" + detail::escape_pointer_token(key),
                                  "expected a string, got " + detail::describe(value));
            continue;
        }
        sources[key] = value.get<std::string>();
    }
}

// Checks that every key of "sources" names a field of the entry.
void check_source_keys(const json& entry, const std::string& pointer, const SourceMap& sources, Problems& problems) {
    std::vector<std::string> fields;
    for (const auto& [key, value] : entry.items()) {
        fields.push_back(key);
    }
    for (const auto& [key, value] : sources) {
        if (std::find(fields.begin(), fields.end(), key) == fields.end()) {
            problems.add(pointer + "/sources/" + detail::escape_pointer_token(key),
                         fmt::format("source given for '{}', which is not a field of this entry{}", key,
                                     did_you_mean(key, fields)));
        }
    }
}

// Sliding-window attention, from the keys a Hugging Face config states it with (docs/data-format.md,
// "Sliding-window attention"): which layers have the window, in this order of precedence,
// sliding_window_layers (dsselect's own count, which `catalog models -o json` writes), layer_types,
// sliding_window_pattern (every N-th layer attends to the whole context), Gemma 2's alternate
// layers, max_window_layers (the layers from that index on), or else every layer.
void read_sliding_window(ObjectReader& reader, Architecture& arch) {
    Problems& problems = reader.problems();
    const std::int64_t layers = arch.num_hidden_layers;
    // A Hugging Face config may write null for a key it does not use: read as absent.
    const auto stated = [&](const char* key) {
        const json* member = reader.member(key);
        return member != nullptr && !member->is_null();
    };
    arch.model_type = reader.text("model_type").value_or("");
    const std::int64_t window = stated("sliding_window") ? reader.integer("sliding_window", 1).value_or(0) : 0;
    const std::optional<std::int64_t> explicit_layers = reader.integer("sliding_window_layers", 0);
    // A stated window is used unless switched off; Qwen2's and Qwen3's configuration classes
    // default use_sliding_window to false, but dsselect's own count (what `catalog models -o json`
    // writes) states it on.
    bool enabled = explicit_layers || !(arch.model_type.starts_with("qwen2") || arch.model_type.starts_with("qwen3"));
    if (stated("use_sliding_window")) {
        enabled = reader.boolean("use_sliding_window").value_or(enabled);
    }
    const std::optional<std::int64_t> pattern =
        stated("sliding_window_pattern") ? reader.integer("sliding_window_pattern", 1) : std::nullopt;
    const std::optional<std::int64_t> full_layers_first =
        stated("max_window_layers") ? reader.integer("max_window_layers", 0) : std::nullopt;
    std::optional<std::int64_t> typed_layers;
    if (const json* types = reader.member("layer_types")) {
        const std::string at = reader.child("layer_types");
        if (!types->is_array()) {
            problems.add(at, "expected an array of \"full_attention\" or \"sliding_attention\", one per layer, got " +
                                 detail::describe(*types));
        } else if (layers > 0 && static_cast<std::int64_t>(types->size()) != layers) {
            problems.add(at, fmt::format("expected one entry per layer (num_hidden_layers {}), got {}", layers,
                                         types->size()));
        } else {
            std::int64_t sliding = 0;
            bool valid = true;
            for (std::size_t i = 0; i < types->size(); ++i) {
                const json& type = (*types)[i];
                if (type == "sliding_attention") {
                    ++sliding;
                } else if (type != "full_attention") {
                    problems.add(fmt::format("{}/{}", at, i),
                                 "expected \"full_attention\" or \"sliding_attention\" (dsselect models no other "
                                 "attention), got " + detail::describe(type));
                    valid = false;
                }
            }
            if (valid) {
                typed_layers = sliding;
            }
        }
    }
    if (explicit_layers && *explicit_layers > layers && layers > 0) {
        problems.add(reader.child("sliding_window_layers"),
                     fmt::format("expected at most num_hidden_layers ({}), got {}", layers, *explicit_layers));
        return;
    }
    if (explicit_layers && typed_layers && *explicit_layers != *typed_layers) {
        problems.add(reader.child("sliding_window_layers"),
                     fmt::format("expected the number of \"sliding_attention\" entries of layer_types ({}), got {}",
                                 *typed_layers, *explicit_layers));
        return;
    }
    if (!enabled) {
        return;  // the window is stated but switched off (Qwen2's configs)
    }
    std::int64_t sliding = layers;
    if (explicit_layers) {
        sliding = *explicit_layers;
    } else if (typed_layers) {
        sliding = *typed_layers;
    } else if (pattern) {
        sliding = layers - layers / *pattern;
    } else if (arch.model_type == "gemma2") {
        sliding = (layers + 1) / 2;
    } else if (full_layers_first) {
        // Qwen2.5's configs may name more than the model has (70 on a 48-layer model): no window layer.
        sliding = std::max<std::int64_t>(layers - *full_layers_first, 0);
    }
    if (window == 0) {
        if ((explicit_layers && *explicit_layers > 0) || (typed_layers && *typed_layers > 0)) {
            problems.add(reader.child("sliding_window"),
                         "missing the window (tokens) of the layers that layer_types or sliding_window_layers gives "
                         "a sliding window");
        }
        return;
    }
    arch.sliding_window = window;
    arch.sliding_window_layers = sliding;
}

Architecture read_architecture(const json& value, const std::string& pointer, Problems& problems) {
    Architecture arch;
    ObjectReader reader(value, pointer, problems);
    auto integer = [&](const char* key, std::int64_t& field, std::int64_t minimum, Presence presence) {
        if (auto read = reader.integer(key, minimum, presence)) {
            field = *read;
        }
    };
    // A multimodal config (Gemma 3 from 4B up, Llama 4) nests its text model's shape.
    if (value.is_object() && value.contains("text_config") && !value.contains("num_hidden_layers")) {
        problems.add(reader.child("text_config"),
                     "a multimodal config: dsselect sizes the text model; give the object of text_config as the "
                     "architecture");
        return arch;
    }
    integer("num_hidden_layers", arch.num_hidden_layers, 1, Presence::required);
    integer("hidden_size", arch.hidden_size, 1, Presence::required);
    integer("num_attention_heads", arch.num_attention_heads, 1, Presence::required);
    integer("vocab_size", arch.vocab_size, 1, Presence::required);
    integer("intermediate_size", arch.intermediate_size, 1, Presence::optional);
    integer("num_key_value_heads", arch.num_key_value_heads, 1, Presence::optional);
    integer("head_dim", arch.head_dim, 1, Presence::optional);
    integer("max_position_embeddings", arch.max_position_embeddings, 1, Presence::optional);
    arch.tie_word_embeddings = reader.boolean("tie_word_embeddings").value_or(false);
    integer("n_routed_experts", arch.n_routed_experts, 1, Presence::optional);
    integer("n_shared_experts", arch.n_shared_experts, 0, Presence::optional);
    integer("num_experts_per_tok", arch.num_experts_per_tok, 1, Presence::optional);
    integer("moe_intermediate_size", arch.moe_intermediate_size, 1, Presence::optional);
    integer("first_k_dense_replace", arch.first_k_dense_replace, 0, Presence::optional);
    // q_lora_rank is null in configs without query compression.
    if (const json* q_lora = reader.member("q_lora_rank"); q_lora != nullptr && !q_lora->is_null()) {
        integer("q_lora_rank", arch.q_lora_rank, 1, Presence::optional);
    }
    integer("kv_lora_rank", arch.kv_lora_rank, 1, Presence::optional);
    integer("qk_rope_head_dim", arch.qk_rope_head_dim, 1, Presence::optional);
    integer("qk_nope_head_dim", arch.qk_nope_head_dim, 1, Presence::optional);
    integer("v_head_dim", arch.v_head_dim, 1, Presence::optional);
    read_sliding_window(reader, arch);
    reader.text("source");
    reader.ignore(k_ignored_config_keys);
    reader.finish();
    if (!reader.is_object() || arch.num_attention_heads == 0 || arch.hidden_size == 0) {
        return arch;
    }
    // An architecture that cannot exist.
    if (arch.num_key_value_heads > 0 && arch.num_attention_heads % arch.num_key_value_heads != 0) {
        problems.add(reader.child("num_key_value_heads"),
                     fmt::format("expected a divisor of num_attention_heads ({}), got {}", arch.num_attention_heads,
                                 arch.num_key_value_heads));
    }
    if (arch.head_dim == 0 && arch.kv_lora_rank == 0 && arch.hidden_size % arch.num_attention_heads != 0) {
        problems.add(reader.child("hidden_size"),
                     fmt::format("expected a multiple of num_attention_heads ({}) when head_dim is absent, got {}",
                                 arch.num_attention_heads, arch.hidden_size));
    }
    const bool any_moe = value.contains("n_routed_experts") || value.contains("num_experts_per_tok") ||
                         value.contains("moe_intermediate_size");
    if (any_moe) {
        for (const char* key : {"n_routed_experts", "num_experts_per_tok", "moe_intermediate_size"}) {
            if (!value.contains(key)) {
                problems.add(pointer, fmt::format("MoE fields given only in part: missing '{}' (a MoE model needs "
                                                  "n_routed_experts, num_experts_per_tok and moe_intermediate_size)",
                                                  key));
            }
        }
        if (arch.n_routed_experts > 0 && arch.num_experts_per_tok > arch.n_routed_experts) {
            problems.add(reader.child("num_experts_per_tok"),
                         fmt::format("expected at most n_routed_experts ({}), got {}", arch.n_routed_experts,
                                     arch.num_experts_per_tok));
        }
    }
    if (arch.first_k_dense_replace > arch.num_hidden_layers) {
        problems.add(reader.child("first_k_dense_replace"),
                     fmt::format("expected at most num_hidden_layers ({}), got {}", arch.num_hidden_layers,
                                 arch.first_k_dense_replace));
    }
    const bool needs_dense_ffn = !any_moe || arch.first_k_dense_replace > 0;
    if (needs_dense_ffn && !value.contains("intermediate_size")) {
        problems.add(pointer, "missing required field 'intermediate_size' (the dense FFN width)");
    }
    const bool any_mla = value.contains("kv_lora_rank") || value.contains("qk_rope_head_dim") ||
                         value.contains("qk_nope_head_dim") || value.contains("v_head_dim");
    if (any_mla) {
        for (const char* key : {"kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim"}) {
            if (!value.contains(key)) {
                problems.add(pointer, fmt::format("MLA fields given only in part: missing '{}' (MLA needs "
                                                  "kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim and v_head_dim)",
                                                  key));
            }
        }
    }
    // No whole count the estimator forms from the dimensions may overflow (each dimension alone
    // is at most 2^40, but their products are not bounded by that).
    if (const double largest = largest_parameter_count(arch); !(largest <= k_max_parameter_count)) {
        problems.add(pointer, fmt::format("expected an architecture of at most {:g} parameters (its total, or one FFN or "
                                          "expert, from its dimensions), got {:.3g}",
                                          k_max_parameter_count, largest));
    }
    return arch;
}

// An object of serving format -> KV-cache type (an engine's kv_cache_dtype, a model's
// checkpoint_kv_cache_dtype); a bad key or type is a problem at its JSON path.
std::map<std::string, std::string> read_kv_cache_dtypes(ObjectReader& reader, const char* key, Problems& problems) {
    std::map<std::string, std::string> dtypes;
    const json* kv = reader.member(key);
    if (kv == nullptr) {
        return dtypes;
    }
    if (!kv->is_object()) {
        problems.add(reader.child(key), "expected an object of serving format -> KV-cache type, got " + detail::describe(*kv));
        return dtypes;
    }
    for (const auto& [format, dtype] : kv->items()) {
        const std::string at = reader.child(key) + "/" + detail::escape_pointer_token(format);
        if (!is_serving_format(format)) {
            problems.add(at, fmt::format("expected a serving format ({}) as the key, got \"{}\"", serving_format_names(), format));
        } else if (!dtype.is_string() || !is_kv_cache_dtype(dtype.get<std::string>())) {
            problems.add(at, fmt::format("expected one of {}, got {}", kv_cache_dtype_names(), detail::describe(dtype)));
        } else {
            dtypes[format] = dtype.get<std::string>();
        }
    }
    return dtypes;
}

Model read_model(const json& value, const std::string& pointer, Problems& problems) {
    Model model;
    ObjectReader reader(value, pointer, problems);
    model.id = read_id(reader);
    model.name = reader.text("name", Presence::required).value_or("");
    model.family = reader.text("family").value_or("user");
    model.parameters_nominal = reader.number("parameters_nominal", NumberRule::positive).value_or(0.0);
    model.parameters_override = reader.integer("parameters_override", 1);
    // Figures that `catalog models -o json` computes beside the entry: accepted so that its
    // output reads back as it is, and ignored (they follow from the architecture).
    reader.ignore(k_computed_model_keys);
    if (const json* arch = reader.member("architecture", Presence::required)) {
        model.architecture = read_architecture(*arch, reader.child("architecture"), problems);
    }
    if (const json* reference = reader.member("reference_hardware")) {
        ObjectReader ref(*reference, reader.child("reference_hardware"), problems);
        model.reference_hardware_id = ref.text("hardware", Presence::required).value_or("");
        model.reference_gpus = ref.integer("gpus", 1, Presence::required).value_or(1);
        ref.text("source");
        ref.finish();
    }
    model.typical_scenario_id = reader.text("typical_scenario").value_or("");
    model.deprecated_ids = reader.string_list("deprecated_ids");
    if (const json* quality = reader.member("quality")) {
        if (!quality->is_array()) {
            problems.add(reader.child("quality"), "expected an array of {task_kind, score, source}, got " +
                                                      detail::describe(*quality));
        } else {
            for (std::size_t index = 0; index < quality->size(); ++index) {
                ObjectReader item((*quality)[index], fmt::format("{}/{}", reader.child("quality"), index), problems);
                QualityScore score;
                score.task_kind = item.text("task_kind", Presence::required).value_or("");
                score.metric = item.text("metric").value_or("");
                score.score = item.number("score", NumberRule::fraction, Presence::required).value_or(0.0);
                score.source = item.text("source").value_or("");
                item.finish();
                model.quality.push_back(score);
            }
        }
    }
    if (const json* references = reader.member("references")) {
        if (!references->is_array()) {
            problems.add(reader.child("references"), "expected an array of {metric, variant, value, source}, got " +
                                                         detail::describe(*references));
        } else {
            for (std::size_t index = 0; index < references->size(); ++index) {
                ObjectReader item((*references)[index], fmt::format("{}/{}", reader.child("references"), index), problems);
                ModelReference reference;
                reference.metric = item.text("metric", Presence::required).value_or("");
                reference.variant_id = item.text("variant").value_or("");
                reference.value = item.number("value", NumberRule::any_finite, Presence::required).value_or(0.0);
                reference.source = item.text("source", Presence::required).value_or("");
                item.finish();
                model.references.push_back(reference);
            }
        }
    }
    model.checkpoint_kv_cache_dtype = read_kv_cache_dtypes(reader, "checkpoint_kv_cache_dtype", problems);
    model.checkpoint_fp8_weight_scales = reader.text("checkpoint_fp8_weight_scales").value_or("");
    if (!model.checkpoint_fp8_weight_scales.empty() && model.checkpoint_fp8_weight_scales != "block" &&
        model.checkpoint_fp8_weight_scales != "tensor") {
        problems.add(reader.child("checkpoint_fp8_weight_scales"),
                     fmt::format("expected \"block\" or \"tensor\", got \"{}\"", model.checkpoint_fp8_weight_scales));
    }
    read_sources(reader, model.source, model.sources);
    reader.finish();
    if (reader.is_object()) {
        check_source_keys(value, pointer, model.sources, problems);
    }
    return model;
}

Variant read_variant(const json& value, const std::string& pointer, Problems& problems) {
    Variant variant;
    ObjectReader reader(value, pointer, problems);
    variant.id = read_id(reader);
    variant.name = reader.text("name").value_or(variant.id);
    variant.weight_bits = reader.number("weight_bits", NumberRule::positive, Presence::required).value_or(16.0);
    variant.kv_cache_bits = reader.number("kv_cache_bits", NumberRule::positive).value_or(16.0);
    variant.activation_bits = reader.number("activation_bits", NumberRule::positive).value_or(16.0);
    variant.parameter_fraction = reader.number("parameter_fraction", NumberRule::positive_fraction).value_or(1.0);
    variant.active_fraction = reader.number("active_fraction", NumberRule::positive_fraction).value_or(1.0);
    variant.quality_retention = reader.number("quality_retention", NumberRule::positive_fraction).value_or(1.0);
    for (const char* key : {"weight_bits", "kv_cache_bits", "activation_bits"}) {
        if (const json* bits = value.is_object() && value.contains(key) ? &value.at(key) : nullptr;
            bits != nullptr && bits->is_number() && bits->get<double>() > 64.0) {
            problems.add(reader.child(key), "expected at most 64 bits, got " + detail::describe(*bits));
        }
    }
    if (auto precision = reader.text("compute_precision")) {
        if (auto parsed = parse_precision(*precision)) {
            variant.compute_precision = *parsed;
        } else {
            problems.add(reader.child("compute_precision"),
                         fmt::format("expected one of fp16, bf16, fp8, int8, int4, got \"{}\"", *precision));
        }
    }
    variant.structured_sparsity_2_4 = reader.boolean("structured_sparsity_2_4").value_or(false);
    variant.claimed = reader.boolean("claimed").value_or(false);  // docs/quality.md, claimed variants
    variant.claim = reader.text("claim").value_or("");
    variant.risk_flags = reader.string_list("risk_flags");
    variant.applies_to = reader.string_list("applies_to");
    variant.combines = reader.string_list("combines");
    variant.training_memory_fraction = reader.number("training_memory_fraction", NumberRule::positive_fraction);
    variant.reference_speedup = reader.number("reference_speedup", NumberRule::positive);
    if (const json* groups = reader.member("bits_per_group")) {
        ObjectReader group_reader(*groups, reader.child("bits_per_group"), problems);
        GroupBits bits;
        bits.attention = group_reader.number("attention", NumberRule::positive);
        bits.ffn = group_reader.number("ffn", NumberRule::positive);
        bits.embedding = group_reader.number("embedding", NumberRule::positive);
        bits.head = group_reader.number("head", NumberRule::positive);
        for (const char* key : {"attention", "ffn", "embedding", "head"}) {
            if (const json* group = groups->is_object() && groups->contains(key) ? &groups->at(key) : nullptr;
                group != nullptr && group->is_number() && group->get<double>() > 64.0) {
                problems.add(group_reader.child(key), "expected at most 64 bits, got " + detail::describe(*group));
            }
        }
        group_reader.finish();
        variant.bits_per_group = bits;
    }
    read_sources(reader, variant.source, variant.sources);
    reader.finish();
    if (reader.is_object()) {
        check_source_keys(value, pointer, variant.sources, problems);
    }
    return variant;
}

Hardware read_hardware(const json& value, const std::string& pointer, Problems& problems) {
    Hardware hardware;
    ObjectReader reader(value, pointer, problems);
    hardware.id = read_id(reader);
    // A candidate string reads a trailing "x<digits>" after the hardware as its GPU count, so
    // "a40x2" could never name a hardware entry of that id (it would mean two a40s).
    if (const std::size_t x = gpu_count_suffix(hardware.id); x != std::string::npos) {
        problems.add(reader.child("id"),
                     fmt::format("hardware id '{}' ends in '{}', which a candidate string MODEL[:VARIANT][@HW[xN]] reads "
                                 "as a GPU count ({} x {}); use '-' instead, e.g. '{}-{}'",
                                 detail::printable(hardware.id), hardware.id.substr(x), detail::printable(hardware.id.substr(0, x)),
                                 hardware.id.substr(x + 1), detail::printable(hardware.id.substr(0, x)), hardware.id.substr(x + 1)));
    }
    hardware.name = reader.text("name", Presence::required).value_or("");
    if (auto kind = reader.text("kind")) {
        if (*kind == "gpu") {
            hardware.kind = HardwareKind::gpu;
        } else if (*kind == "edge") {
            hardware.kind = HardwareKind::edge;
        } else {
            problems.add(reader.child("kind"), fmt::format("expected \"gpu\" or \"edge\", got \"{}\"", *kind));
        }
    }
    hardware.memory_gb = reader.number("memory_gb", NumberRule::positive, Presence::required).value_or(0.0);
    // Bytes are reported as 64-bit integers: a petabyte per device is the most we accept.
    constexpr double k_max_memory_gb = 1e6;
    if (hardware.memory_gb > k_max_memory_gb) {
        problems.add(reader.child("memory_gb"),
                     fmt::format("expected a positive number of at most 1e+06, got {}", detail::describe(value.at("memory_gb"))));
        hardware.memory_gb = 0.0;
    }
    hardware.memory_bandwidth_gb_per_s =
        reader.number("memory_bandwidth_gb_per_s", NumberRule::positive, Presence::required).value_or(0.0);
    if (const json* peaks = reader.member("peak_tflops", Presence::required)) {
        ObjectReader peak_reader(*peaks, reader.child("peak_tflops"), problems);
        for (Precision precision : k_all_precisions) {
            auto peak = peak_reader.number(to_string(precision), NumberRule::positive,
                                           precision == Precision::fp16 ? Presence::required : Presence::optional);
            if (peak) {
                hardware.peak_tflops[precision] = *peak;
            }
        }
        peak_reader.finish();
    }
    hardware.fp16_accumulate_peak_tflops = reader.number("fp16_accumulate_peak_tflops", NumberRule::positive);
    if (hardware.fp16_accumulate_peak_tflops) {
        const auto fp16 = hardware.peak_tflops_at(Precision::fp16);
        if (fp16 && *hardware.fp16_accumulate_peak_tflops < *fp16) {
            problems.add(reader.child("fp16_accumulate_peak_tflops"),
                         fmt::format("expected at least peak_tflops.fp16 ({}): FP16 accumulation is never slower than "
                                     "FP32 accumulation, got {}",
                                     *fp16, *hardware.fp16_accumulate_peak_tflops));
            hardware.fp16_accumulate_peak_tflops.reset();
        }
    }
    // The SM-cycle laws need both figures; a clock outside 100-5,000 MHz is most likely in GHz or Hz.
    hardware.sm_count = reader.integer("sm_count", 1);
    if (hardware.sm_count && *hardware.sm_count > k_max_sm_count) {
        problems.add(reader.child("sm_count"),
                     fmt::format("expected at most {} streaming multiprocessors, got {}", k_max_sm_count, *hardware.sm_count));
        hardware.sm_count.reset();
    }
    hardware.boost_clock_mhz = reader.number("boost_clock_mhz", NumberRule::positive);
    if (hardware.boost_clock_mhz &&
        (*hardware.boost_clock_mhz < k_min_boost_clock_mhz || *hardware.boost_clock_mhz > k_max_boost_clock_mhz)) {
        problems.add(reader.child("boost_clock_mhz"),
                     fmt::format("expected a clock in MHz between {} and {} (a figure in GHz?), got {}", k_min_boost_clock_mhz,
                                 k_max_boost_clock_mhz, *hardware.boost_clock_mhz));
        hardware.boost_clock_mhz.reset();
    }
    const bool has_sms = value.is_object() && value.contains("sm_count");
    const bool has_clock = value.is_object() && value.contains("boost_clock_mhz");
    if (has_sms != has_clock) {
        problems.add(reader.child(has_sms ? "boost_clock_mhz" : "sm_count"),
                     fmt::format("expected beside {}: the SM-cycle laws need both sm_count and boost_clock_mhz",
                                 has_sms ? "sm_count" : "boost_clock_mhz"));
        hardware.sm_count.reset();
        hardware.boost_clock_mhz.reset();
    }
    hardware.interconnect_gb_per_s = reader.number("interconnect_gb_per_s", NumberRule::non_negative).value_or(0.0);
    // A megawatt per device is far above any accelerator: the bound keeps energy dollars finite.
    hardware.tdp_w = cost_input(reader, "tdp_w", NumberRule::positive, 1e6).value_or(0.0);
    hardware.price_usd_per_hour = cost_input(reader, "price_usd_per_hour", NumberRule::non_negative, 1e6).value_or(0.0);
    hardware.purchase_usd = cost_input(reader, "purchase_usd", NumberRule::non_negative, 1e10).value_or(0.0);
    hardware.max_devices_per_node = reader.integer("max_devices_per_node", 1).value_or(8);
    hardware.consumer = reader.boolean("consumer").value_or(false);
    hardware.vendor = reader.text("vendor").value_or("");
    read_sources(reader, hardware.source, hardware.sources);
    reader.finish();
    if (reader.is_object()) {
        check_source_keys(value, pointer, hardware.sources, problems);
    }
    return hardware;
}

AdapterSpec read_adapter(const json& value, const std::string& pointer, Problems& problems) {
    AdapterSpec adapter;
    ObjectReader reader(value, pointer, problems);
    const std::string kind = reader.text("kind", Presence::required).value_or("");
    if (kind == "lora") {
        adapter.kind = AdapterKind::lora;
        adapter.rank = reader.integer("rank", 1, Presence::required).value_or(0);
        const std::vector<std::string> modules = reader.string_list("target_modules");
        if (reader.is_object() && !value.contains("target_modules")) {
            problems.add(pointer, "missing required field 'target_modules' (LoRA targets among q, k, v, o, gate, up, down)");
        } else if (modules.empty() && value.contains("target_modules") && value.at("target_modules").is_array()) {
            problems.add(reader.child("target_modules"), "expected at least one of q, k, v, o, gate, up, down, got []");
        }
        for (std::size_t index = 0; index < modules.size(); ++index) {
            if (auto module = parse_adapter_module(modules[index])) {
                if (std::find(adapter.target_modules.begin(), adapter.target_modules.end(), *module) !=
                    adapter.target_modules.end()) {
                    problems.add(fmt::format("{}/{}", reader.child("target_modules"), index),
                                 fmt::format("duplicate target module \"{}\"", modules[index]));
                }
                adapter.target_modules.push_back(*module);
            } else {
                problems.add(fmt::format("{}/{}", reader.child("target_modules"), index),
                             fmt::format("expected one of q, k, v, o, gate, up, down, got \"{}\"",
                                         detail::printable(modules[index])));
            }
        }
    } else if (kind == "head") {
        adapter.kind = AdapterKind::head;
        adapter.parameters = reader.integer("parameters", 1, Presence::required).value_or(0);
    } else if (reader.is_object() && value.contains("kind")) {
        problems.add(reader.child("kind"), fmt::format("expected \"lora\" or \"head\", got {}", detail::describe(value.at("kind"))));
    }
    reader.text("source");
    reader.finish();
    return adapter;
}

std::vector<ComplexityClass> read_complexity_mix(const json& value, const std::string& pointer, Problems& problems) {
    std::vector<ComplexityClass> mix;
    if (!value.is_array() || value.empty()) {
        problems.add(pointer, "expected a non-empty array of {share, active_fraction}, got " + detail::describe(value));
        return mix;
    }
    double sum = 0.0;
    for (std::size_t index = 0; index < value.size(); ++index) {
        ObjectReader item(value[index], fmt::format("{}/{}", pointer, index), problems);
        ComplexityClass entry;
        entry.share = item.number("share", NumberRule::fraction, Presence::required).value_or(0.0);
        entry.active_fraction = item.number("active_fraction", NumberRule::positive_fraction, Presence::required).value_or(1.0);
        item.text("name");
        item.text("source");
        item.finish();
        sum += entry.share;
        mix.push_back(entry);
    }
    if (std::fabs(sum - 1.0) > k_share_tolerance) {
        problems.add(pointer, fmt::format("expected shares summing to 1 (within 1e-6), got {:.9g}", sum));
    }
    return mix;
}

std::vector<TaskSpec> read_tasks(const json& value, const std::string& pointer, Problems& problems) {
    std::vector<TaskSpec> tasks;
    if (!value.is_array() || value.empty()) {
        problems.add(pointer, "expected a non-empty array of tasks {id, share, adapter}, got " + detail::describe(value));
        return tasks;
    }
    double sum = 0.0;
    for (std::size_t index = 0; index < value.size(); ++index) {
        const std::string item_pointer = fmt::format("{}/{}", pointer, index);
        ObjectReader item(value[index], item_pointer, problems);
        TaskSpec task;
        task.id = item.text("id", Presence::required).value_or("");
        task.share = item.number("share", NumberRule::positive_fraction, Presence::required).value_or(0.0);
        task.min_quality = item.number("min_quality", NumberRule::fraction);
        task.task_kind = item.text("task_kind").value_or("");
        if (const json* adapter = item.member("adapter", Presence::required)) {
            task.adapter = read_adapter(*adapter, item.child("adapter"), problems);
        }
        task.output_dimension = item.integer("output_dimension", 1);
        task.fused_with = item.string_list("fused_with");
        task.source = item.text("source").value_or("");
        item.finish();
        for (const TaskSpec& earlier : tasks) {
            if (!task.id.empty() && earlier.id == task.id) {
                problems.add(item_pointer + "/id", fmt::format("duplicate task id '{}'", task.id));
            }
        }
        sum += task.share;
        tasks.push_back(task);
    }
    if (std::fabs(sum - 1.0) > k_share_tolerance) {
        problems.add(pointer, fmt::format("expected task shares summing to 1 (within 1e-6), got {:.9g}", sum));
    }
    std::vector<std::string> ids;
    for (const TaskSpec& task : tasks) {
        ids.push_back(task.id);
    }
    for (std::size_t index = 0; index < tasks.size(); ++index) {
        const TaskSpec& task = tasks[index];
        for (std::size_t f = 0; f < task.fused_with.size(); ++f) {
            const std::string where = fmt::format("{}/{}/fused_with/{}", pointer, index, f);
            const std::string& other_id = task.fused_with[f];
            auto other = std::find_if(tasks.begin(), tasks.end(), [&](const TaskSpec& t) { return t.id == other_id; });
            if (other_id == task.id) {
                problems.add(where, fmt::format("a task cannot be fused with itself ('{}')", other_id));
            } else if (other == tasks.end()) {
                problems.add(where, fmt::format("unknown task '{}'{}", other_id, did_you_mean(other_id, ids)));
            } else if (task.output_dimension && other->output_dimension && *task.output_dimension != *other->output_dimension) {
                // Seed §5.2 version mixing: fused outputs need one output dimension, whatever the plan.
                problems.add(fmt::format("{}/{}/output_dimension", pointer, index),
                             fmt::format("contradicts task '{}' it is fused with: output dimensions {} and {} differ, and "
                                         "fused outputs need one output dimension (seed §5.2 version mixing)",
                                         other_id, *task.output_dimension, *other->output_dimension));
            }
        }
    }
    return tasks;
}

MultiTaskDefaults read_multi_task(const json& value, const std::string& pointer, Problems& problems) {
    MultiTaskDefaults out;
    ObjectReader reader(value, pointer, problems);
    if (const json* adapter = reader.member("default_adapter", Presence::required)) {
        out.default_adapter = read_adapter(*adapter, reader.child("default_adapter"), problems);
    }
    if (const json* reference = reader.member("reference", Presence::required)) {
        ObjectReader r(*reference, reader.child("reference"), problems);
        out.reference_reuse_rate = r.number("parameter_reuse_rate", NumberRule::fraction, Presence::required).value_or(0.0);
        out.reference_tasks = r.integer("tasks", 1, Presence::required).value_or(0);
        out.reference_source = r.text("source", Presence::required).value_or("");
        r.finish();
    }
    out.adapter_engineering_hours_per_year =
        reader.number("adapter_engineering_hours_per_year", NumberRule::non_negative).value_or(0.0);
    read_sources(reader, out.source, out.sources);
    reader.finish();
    if (reader.is_object()) {
        check_source_keys(value, pointer, out.sources, problems);
    }
    return out;
}

std::optional<double> optional_number(ObjectReader& reader, const char* key, NumberRule rule) {
    return reader.number(key, rule);
}

Scenario read_scenario(const json& value, const std::string& pointer, Problems& problems) {
    Scenario scenario;
    ObjectReader reader(value, pointer, problems);
    scenario.id = reader.text("id", Presence::required).value_or("");
    scenario.name = reader.text("name").value_or(scenario.id);
    scenario.description = reader.text("description").value_or("");
    scenario.task_kind = reader.text("task_kind").value_or("default");
    scenario.numerically_sensitive = reader.boolean("numerically_sensitive").value_or(false);
    scenario.engine_id = reader.text("engine").value_or("");
    if (const json* workload = reader.member("workload", Presence::required)) {
        ObjectReader w(*workload, reader.child("workload"), problems);
        scenario.workload.prompt_tokens = w.integer("prompt_tokens", 1, Presence::required).value_or(1);
        scenario.workload.output_tokens = w.integer("output_tokens", 1, Presence::required).value_or(1);
        scenario.workload.qps = w.number("qps", NumberRule::non_negative, Presence::required).value_or(0.0);
        constexpr double k_max_qps = 1e9;  // replica counts stay 64-bit integers
        if (scenario.workload.qps > k_max_qps) {
            problems.add(w.child("qps"),
                         fmt::format("expected a non-negative number of at most 1e+09, got {}", detail::describe(workload->at("qps"))));
            scenario.workload.qps = 0.0;
        }
        scenario.workload.context_tokens = w.integer("context_tokens", 1).value_or(
            scenario.workload.prompt_tokens + scenario.workload.output_tokens);
        scenario.workload.source = w.text("source").value_or("");
        w.finish();
        if (scenario.workload.context_tokens < scenario.workload.prompt_tokens + scenario.workload.output_tokens &&
            workload->is_object() && workload->contains("context_tokens")) {
            problems.add(w.child("context_tokens"),
                         fmt::format("expected at least prompt_tokens + output_tokens ({}), got {}",
                                     scenario.workload.prompt_tokens + scenario.workload.output_tokens,
                                     scenario.workload.context_tokens));
        }
    }
    if (const json* constraints = reader.member("constraints")) {
        ObjectReader c(*constraints, reader.child("constraints"), problems);
        Constraints& out = scenario.constraints;
        out.max_latency_ms = optional_number(c, "max_latency_ms", NumberRule::positive);
        out.max_ttft_ms = optional_number(c, "max_ttft_ms", NumberRule::positive);
        out.max_tpot_ms = optional_number(c, "max_tpot_ms", NumberRule::positive);
        out.min_quality = optional_number(c, "min_quality", NumberRule::fraction);
        out.max_model_mb = optional_number(c, "max_model_mb", NumberRule::positive);
        out.max_power_w = optional_number(c, "max_power_w", NumberRule::positive);
        out.max_gpus_per_replica = c.integer("max_gpus_per_replica", 1);
        out.budget_usd_per_year = optional_number(c, "budget_usd_per_year", NumberRule::positive);
        out.allowed_hardware = c.string_list("allowed_hardware");
        out.allowed_models = c.string_list("allowed_models");
        out.allowed_variants = c.string_list("allowed_variants");
        out.headroom = c.number("headroom", NumberRule::non_negative).value_or(0.2);
        out.allow_multi_node = c.boolean("allow_multi_node").value_or(false);
        out.include_claimed = c.boolean("include_claimed").value_or(false);
        out.exclude_consumer = c.boolean("exclude_consumer").value_or(false);
        out.source = c.text("source").value_or("");
        c.finish();
    }
    if (const json* tco = reader.member("tco")) {
        ObjectReader t(*tco, reader.child("tco"), problems);
        TcoInputs& out = scenario.tco;
        out.years = cost_input(t, "years", NumberRule::positive, 100).value_or(out.years);
        if (auto ownership = t.text("ownership")) {
            if (*ownership == "rented") {
                out.ownership = Ownership::rented;
            } else if (*ownership == "owned") {
                out.ownership = Ownership::owned;
            } else {
                problems.add(t.child("ownership"), fmt::format("expected \"rented\" or \"owned\", got \"{}\"", *ownership));
            }
        }
        out.utilization = t.number("utilization", NumberRule::positive_fraction).value_or(out.utilization);
        out.electricity_usd_per_kwh =
            cost_input(t, "electricity_usd_per_kwh", NumberRule::non_negative, 1e3).value_or(out.electricity_usd_per_kwh);
        out.pue = cost_input(t, "pue", NumberRule::positive, 100).value_or(out.pue);
        out.depreciation_years = cost_input(t, "depreciation_years", NumberRule::positive, 100).value_or(out.depreciation_years);
        out.maintenance_fraction_per_year =
            t.number("maintenance_fraction_per_year", NumberRule::fraction).value_or(out.maintenance_fraction_per_year);
        out.engineering_hours_per_year = cost_input(t, "engineering_hours_per_year", NumberRule::non_negative, 1e9).value_or(0.0);
        out.engineering_usd_per_hour = cost_input(t, "engineering_usd_per_hour", NumberRule::non_negative, 1e6).value_or(0.0);
        if (const std::optional<double> mfu = t.number("mfu", NumberRule::positive_fraction)) {
            // Below 0.1 % of peak no training run is planned, and the cost would run off to infinity.
            if (*mfu < k_min_mfu) {
                problems.add(t.child("mfu"), fmt::format("expected at least {:g}, got {:g}", k_min_mfu, *mfu));
            } else {
                out.mfu = *mfu;
            }
        }
        if (const json* training = t.member("training")) {
            ObjectReader tr(*training, t.child("training"), problems);
            if (auto method = tr.text("method")) {
                static const std::map<std::string, TrainingMethod> k_methods = {
                    {"none", TrainingMethod::none}, {"lora", TrainingMethod::lora},
                    {"full", TrainingMethod::full}, {"pretrain", TrainingMethod::pretrain}};
                if (auto found = k_methods.find(*method); found != k_methods.end()) {
                    out.training.method = found->second;
                } else {
                    problems.add(tr.child("method"),
                                 fmt::format("expected one of none, lora, full, pretrain, got \"{}\"", *method));
                }
            }
            out.training.tokens = cost_input(tr, "tokens", NumberRule::non_negative, 1e18).value_or(0.0);
            out.training.epochs = cost_input(tr, "epochs", NumberRule::positive, 1e6).value_or(1.0);
            if (const json* quoted = tr.member("quoted_cost_usd")) {
                ObjectReader q(*quoted, tr.child("quoted_cost_usd"), problems);
                if (quoted->is_object()) {
                    for (const auto& [model_id, cost] : quoted->items()) {
                        if (auto number = cost_input(q, model_id, NumberRule::non_negative, 1e15)) {
                            out.training.quoted_cost_usd[model_id] = *number;
                        }
                    }
                }
            }
            if (auto cost = tr.text("cost")) {
                if (*cost == "quoted") {
                    out.training.cost = TrainingCostChoice::quoted;
                } else if (*cost == "computed") {
                    out.training.cost = TrainingCostChoice::computed;
                } else {
                    problems.add(tr.child("cost"), fmt::format("expected \"quoted\" or \"computed\", got \"{}\"", *cost));
                }
            }
            out.training.source = tr.text("source").value_or("");
            tr.finish();
        }
        out.source = t.text("source").value_or("");
        t.finish();
    }
    if (const json* quoted = reader.member("quoted")) {
        if (!quoted->is_array()) {
            problems.add(reader.child("quoted"), "expected an array of {model, metric, value, source}, got " +
                                                     detail::describe(*quoted));
        } else {
            for (std::size_t index = 0; index < quoted->size(); ++index) {
                ObjectReader q((*quoted)[index], fmt::format("{}/{}", reader.child("quoted"), index), problems);
                QuotedFigure figure;
                figure.model_id = q.text("model", Presence::required).value_or("");
                figure.metric = q.text("metric", Presence::required).value_or("");
                figure.value = q.number("value", NumberRule::any_finite, Presence::required).value_or(0.0);
                figure.source = q.text("source", Presence::required).value_or("");
                q.finish();
                scenario.quoted.push_back(figure);
            }
        }
    }
    if (const json* mix = reader.member("complexity_mix")) {
        scenario.complexity_mix = read_complexity_mix(*mix, reader.child("complexity_mix"), problems);
    }
    if (const json* tasks = reader.member("tasks")) {
        scenario.tasks = read_tasks(*tasks, reader.child("tasks"), problems);
    }
    read_sources(reader, scenario.source, scenario.sources);
    reader.finish();
    if (reader.is_object()) {
        check_source_keys(value, pointer, scenario.sources, problems);
        const auto& c = scenario.constraints;
        if (c.max_latency_ms && c.max_ttft_ms && *c.max_ttft_ms > *c.max_latency_ms) {
            problems.add(reader.child("constraints") + "/max_ttft_ms",
                         fmt::format("contradicts max_latency_ms: time to first token {} ms cannot exceed the "
                                     "end-to-end limit {} ms",
                                     *c.max_ttft_ms, *c.max_latency_ms));
        }
    }
    return scenario;
}

// A kernel law's sane range: a share of peak below this, or more columns of fixed work per token
// than a large model's whole FFN, is a typo that would time the experts in hours.
constexpr double k_min_kernel_efficiency = 0.001;
constexpr double k_max_kernel_columns = 1e6;
constexpr double k_max_kernel_latency_us = 10000.0;  // 10 ms per MoE layer: far above any kernel timed (tens of us)
constexpr double k_max_ridge_exponent = 16.0;  // the plain max to within 5 % (2^(1/16)); the fit's grid stops at 4

Engine read_engine(const json& value, const std::string& pointer, Problems& problems) {
    Engine engine;
    ObjectReader reader(value, pointer, problems);
    engine.id = reader.text("id", Presence::required).value_or("");
    engine.name = reader.text("name").value_or(engine.id);
    engine.continuous_batching = reader.boolean("continuous_batching").value_or(true);
    engine.mixed_prefill = reader.boolean("mixed_prefill").value_or(true);
    engine.fp16_accumulate = reader.boolean("fp16_accumulate").value_or(false);
    engine.sparse_2_4_kernels = reader.boolean("sparse_2_4_kernels").value_or(false);
    engine.no_sliding_window_model_types = reader.string_list("no_sliding_window_model_types");
    if (auto held = reader.text("sliding_window_kv")) {
        if (*held == "window" || *held == "full") {
            engine.sliding_window_kv_freed = *held == "window";
        } else {
            problems.add(reader.child("sliding_window_kv"),
                         fmt::format("expected \"window\" or \"full\", got \"{}\"", detail::printable(*held)));
        }
    }
    if (auto multi = reader.text("multi_gpu")) {
        if (*multi == "tensor_parallel") {
            engine.multi_gpu = MultiGpu::tensor_parallel;
        } else if (*multi == "layer_split") {
            engine.multi_gpu = MultiGpu::layer_split;
        } else {
            problems.add(reader.child("multi_gpu"), fmt::format("expected \"tensor_parallel\" or \"layer_split\", got \"{}\"", *multi));
        }
    }
    engine.runtime_overhead_gib = reader.number("runtime_overhead_gib", NumberRule::non_negative);
    engine.communication_buffer_gib = reader.number("communication_buffer_gib", NumberRule::non_negative);
    engine.usable_memory_fraction = reader.number("usable_memory_fraction", NumberRule::positive_fraction);
    engine.max_num_seqs = reader.integer("max_num_seqs", 1, Presence::optional);
    engine.max_num_batched_tokens = reader.integer("max_num_batched_tokens", 1, Presence::optional);
    if (const json* small = reader.member("small_gpu_scheduler")) {
        // One rule, or a list of rules tried in order (the first that applies wins).
        const auto read_rule = [&](const json& raw, const std::string& rule_pointer) {
            ObjectReader r(raw, rule_pointer, problems);
            Engine::SmallGpuScheduler rule;
            rule.below_memory_gib = r.number("below_memory_gib", NumberRule::positive, Presence::required).value_or(0.0);
            rule.hardware_ids_containing = r.string_list("hardware_ids_containing");
            rule.max_num_seqs = r.integer("max_num_seqs", 1, Presence::optional);
            rule.max_num_batched_tokens = r.integer("max_num_batched_tokens", 1, Presence::optional);
            r.finish();
            engine.small_gpu_scheduler.push_back(rule);
        };
        const std::string rules_pointer = reader.child("small_gpu_scheduler");
        if (small->is_array() && !small->empty()) {
            engine.small_gpu_scheduler_is_list = true;
            for (std::size_t index = 0; index < small->size(); ++index) {
                read_rule((*small)[index], fmt::format("{}/{}", rules_pointer, index));
            }
        } else if (small->is_object()) {
            read_rule(*small, rules_pointer);
        } else {
            problems.add(rules_pointer, "expected a rule object or a non-empty list of them, got " +
                                            (small->is_array() ? std::string("an empty list") : detail::describe(*small)));
        }
    }
    engine.cuda_graph_max_tokens = reader.integer("cuda_graph_max_tokens", 0, Presence::optional);
    engine.attention_kernel_efficiency = reader.number("attention_kernel_efficiency", NumberRule::positive_fraction);
    engine.batch_wait_timeout_iters = reader.integer("batch_wait_timeout_iters", 0, Presence::optional);
    engine.batch_wait_max_tokens_ratio = reader.number("batch_wait_max_tokens_ratio", NumberRule::fraction);
    if (const json* factors = reader.member("factors")) {
        if (!factors->is_array()) {
            problems.add(reader.child("factors"), "expected an array of factor sets, got " + detail::describe(*factors));
        } else {
            for (std::size_t index = 0; index < factors->size(); ++index) {
                ObjectReader f((*factors)[index], fmt::format("{}/{}", reader.child("factors"), index), problems);
                EngineFactors set;
                set.hardware = f.string_list("hardware");
                set.vendors = f.string_list("vendors");
                if (auto kind = f.text("hardware_kind")) {
                    if (*kind == "gpu" || *kind == "edge") {
                        set.hardware_kind = *kind == "gpu" ? HardwareKind::gpu : HardwareKind::edge;
                    } else {
                        problems.add(f.child("hardware_kind"), fmt::format("expected \"gpu\" or \"edge\", got \"{}\"", *kind));
                    }
                }
                if (auto precision = f.text("precision")) {
                    set.precision = parse_precision(*precision);
                    if (!set.precision) {
                        problems.add(f.child("precision"), fmt::format("expected one of fp16, bf16, fp8, int8, int4, got \"{}\"", *precision));
                    }
                }
                set.compute_efficiency = f.number("compute_efficiency", NumberRule::positive_fraction);
                set.quantized_compute_efficiency = f.number("quantized_compute_efficiency", NumberRule::positive_fraction);
                set.sm_bytes_per_cycle = f.number("sm_bytes_per_cycle", NumberRule::positive);
                set.sm_quantized_flops_per_cycle = f.number("sm_quantized_flops_per_cycle", NumberRule::positive);
                set.memory_efficiency = f.number("memory_efficiency", NumberRule::positive_fraction);
                set.per_step_overhead_ms = f.number("per_step_overhead_ms", NumberRule::non_negative);
                set.per_layer_overhead_us = f.number("per_layer_overhead_us", NumberRule::non_negative);
                set.moe_layer_overhead_us = f.number("moe_layer_overhead_us", NumberRule::non_negative);
                set.eager_layer_overhead_us = f.number("eager_layer_overhead_us", NumberRule::non_negative);
                set.eager_moe_layer_overhead_us = f.number("eager_moe_layer_overhead_us", NumberRule::non_negative);
                set.allreduce_latency_us = f.number("allreduce_latency_us", NumberRule::non_negative);
                set.ttft_fixed_ms = f.number("ttft_fixed_ms", NumberRule::non_negative);
                set.ttft_batch_exponent = f.number("ttft_batch_exponent", NumberRule::fraction);
                set.source = f.text("source").value_or("");
                f.finish();
                engine.factors.push_back(set);
            }
        }
    }
    engine.vendors = reader.string_list("vendors");
    engine.weight_formats = reader.string_list("weight_formats");
    for (std::size_t i = 0; i < engine.weight_formats.size(); ++i) {
        if (!is_serving_format(engine.weight_formats[i])) {
            problems.add(fmt::format("{}/{}", reader.child("weight_formats"), i),
                         fmt::format("expected one of {}, got \"{}\"", serving_format_names(), engine.weight_formats[i]));
        }
    }
    engine.kv_cache_dtype = read_kv_cache_dtypes(reader, "kv_cache_dtype", problems);
    if (const json* kernels = reader.member("moe_expert_kernels")) {
        if (!kernels->is_array()) {
            problems.add(reader.child("moe_expert_kernels"), "expected an array of kernel laws, got " + detail::describe(*kernels));
        } else {
            for (std::size_t index = 0; index < kernels->size(); ++index) {
                ObjectReader k((*kernels)[index], fmt::format("{}/{}", reader.child("moe_expert_kernels"), index), problems);
                MoeExpertKernel kernel;
                kernel.weight_format = k.text("weight_format", Presence::required).value_or("");
                if (!kernel.weight_format.empty() && !is_moe_kernel_format(kernel.weight_format)) {
                    problems.add(k.child("weight_format"),
                                 fmt::format("expected one of {}, got \"{}\"", moe_kernel_format_names(), kernel.weight_format));
                }
                kernel.hardware_ids_containing = k.string_list("hardware_ids_containing");  // non-empty strings
                // One law per format for every other GPU, and no part of a hardware id named by two
                // laws of one format (which would leave the second unused wherever the first applies).
                for (const MoeExpertKernel& earlier : engine.moe_expert_kernels) {
                    if (kernel.weight_format.empty() || earlier.weight_format != kernel.weight_format) {
                        continue;
                    }
                    const auto shared = std::find_first_of(kernel.hardware_ids_containing.begin(),
                                                           kernel.hardware_ids_containing.end(),
                                                           earlier.hardware_ids_containing.begin(),
                                                           earlier.hardware_ids_containing.end());
                    if (kernel.hardware_ids_containing.empty() && earlier.hardware_ids_containing.empty()) {
                        problems.add(k.child("weight_format"),
                                     fmt::format("duplicate weight format \"{}\" for every GPU: one kernel law per format "
                                                 "naming no hardware_ids_containing", kernel.weight_format));
                    } else if (shared != kernel.hardware_ids_containing.end()) {
                        problems.add(k.child("hardware_ids_containing"),
                                     fmt::format("\"{}\" is named by an earlier \"{}\" law: one kernel law per format and GPU",
                                                 *shared, kernel.weight_format));
                    }
                }
                kernel.efficiency = k.number("efficiency", NumberRule::positive_fraction, Presence::required).value_or(1.0);
                if (kernel.efficiency < k_min_kernel_efficiency) {
                    problems.add(k.child("efficiency"), fmt::format("expected at least {}, got {}", k_min_kernel_efficiency,
                                                                    kernel.efficiency));
                }
                kernel.routed_columns = k.number("routed_columns", NumberRule::non_negative, Presence::required).value_or(0.0);
                kernel.token_columns = k.number("token_columns", NumberRule::non_negative, Presence::required).value_or(0.0);
                for (const auto& [key, columns] : {std::pair{"routed_columns", kernel.routed_columns},
                                                 std::pair{"token_columns", kernel.token_columns}}) {
                    if (columns > k_max_kernel_columns) {
                        problems.add(k.child(key), fmt::format("expected at most {} columns, got {}", k_max_kernel_columns, columns));
                    }
                }
                kernel.ridge_exponent = k.number("ridge_exponent", NumberRule::positive, Presence::required).value_or(1.0);
                if (kernel.ridge_exponent < 1.0 || kernel.ridge_exponent > k_max_ridge_exponent) {
                    problems.add(k.child("ridge_exponent"), fmt::format("expected a number from 1 to {}, got {}",
                                                                        k_max_ridge_exponent, kernel.ridge_exponent));
                }
                kernel.memory_efficiency =
                    k.number("memory_efficiency", NumberRule::positive_fraction, Presence::optional).value_or(0.0);
                kernel.latency_us = k.number("latency_us", NumberRule::non_negative, Presence::optional).value_or(0.0);
                if (kernel.latency_us > k_max_kernel_latency_us) {
                    problems.add(k.child("latency_us"),
                                 fmt::format("expected at most {} microseconds, got {}", k_max_kernel_latency_us, kernel.latency_us));
                }
                kernel.source = k.text("source", Presence::required).value_or("");
                k.finish();
                engine.moe_expert_kernels.push_back(kernel);
            }
        }
    }
    read_sources(reader, engine.source, engine.sources);
    reader.finish();
    return engine;
}

// Entries of one document, before merging.
struct Document {
    std::vector<std::pair<Model, std::string>> models;  // entry, JSON pointer
    std::vector<std::pair<Variant, std::string>> variants;
    std::vector<std::pair<Hardware, std::string>> hardware;
    std::vector<std::pair<Scenario, std::string>> scenarios;
    std::vector<std::pair<Engine, std::string>> engines;
    std::optional<MultiTaskDefaults> multi_task;  // replaces the catalog's when present
};

// An overlay entry whose id is already in the catalog is merged into that entry field by field
// (README, "Overlays"): objects merge key by key, recursively; arrays and plain values replace.
void merge_json(json& base, const json& patch) {
    if (!base.is_object() || !patch.is_object()) {
        base = patch;
        return;
    }
    for (const auto& [key, value] : patch.items()) {
        auto found = base.find(key);
        if (found == base.end()) {
            base[key] = value;
        } else {
            merge_json(*found, value);
        }
    }
}

// An overlay that sets an engine's max_num_seqs or max_num_batched_tokens sets it on every GPU, as
// the engine's own flag would: every rule of the merged small_gpu_scheduler takes the value too,
// unless the overlay sets that rule's key itself (docs/data-format.md).
void explicit_scheduler_values_win(json& merged, const json& overlay) {
    const auto found = merged.find("small_gpu_scheduler");
    if (found == merged.end()) {
        return;
    }
    // The merged rules, and the overlay's own at the same places (a list, or an object, replaces
    // the catalog's list whole; an object merges into the catalog's object key by key).
    const auto rules_of = [](auto& value) {
        std::vector<decltype(&value)> rules;
        if (value.is_array()) {
            for (auto& rule : value) {
                rules.push_back(&rule);
            }
        } else {
            rules.push_back(&value);
        }
        return rules;
    };
    const std::vector<json*> rules = rules_of(*found);
    const auto overlay_found = overlay.find("small_gpu_scheduler");
    const std::vector<const json*> overlay_rules =
        overlay_found != overlay.end() ? rules_of(*overlay_found) : std::vector<const json*>{};
    for (const char* key : {"max_num_seqs", "max_num_batched_tokens"}) {
        // Only a count the engine key itself accepts: a bad one is reported once, at its own
        // pointer, not again at every rule's.
        const auto value = overlay.find(key);
        if (value == overlay.end() || !value->is_number_integer() || value->get<std::int64_t>() < 1) {
            continue;
        }
        for (std::size_t index = 0; index < rules.size(); ++index) {
            const bool rule_set =
                index < overlay_rules.size() && overlay_rules[index]->is_object() && overlay_rules[index]->contains(key);
            if (rules[index]->is_object() && !rule_set) {  // (a rule that is not an object: the reader reports it)
                (*rules[index])[key] = *value;
            }
        }
    }
}

// A data source's name as messages give it: a built-in file by its repository path
// ("<builtin>/engines.json" -> "data/engines.json"), any other by its own name.
std::string data_file_label(const std::string& source_name) {
    constexpr std::string_view builtin_prefix = "<builtin>/";
    return source_name.starts_with(builtin_prefix) ? "data/" + source_name.substr(builtin_prefix.size()) : source_name;
}

// Which file gave each of an engine's keys, for --explain's sources: the file of a new engine, or,
// for an overlay merged into `base` key by key, the overlay's file for each key its entry sets.
// A top-level key the overlay sets without a sources entry of its own loses the one it inherited,
// which described the value replaced (the factor sets' values are documented under
// "eager_layer_overhead_us": engine_source_keys_in); the line then cites the engine's general
// source. An object key keeps its text for the entries the overlay left; the entries it set are
// recorded in unsourced_entries.
void record_engine_files(Engine& item, const Engine* base, const json& raw, const std::string& file) {
    if (base == nullptr) {
        item.defined_in = file;
        return;
    }
    item.defined_in = base->defined_in;
    item.key_defined_in = base->key_defined_in;
    item.unsourced_entries = base->unsourced_entries;
    const json* own_sources = raw.contains("sources") && raw.at("sources").is_object() ? &raw.at("sources") : nullptr;
    const auto forget_inherited = [&](const std::string& key) {
        if (own_sources == nullptr || !own_sources->contains(key)) {
            item.sources.erase(key);
        }
    };
    for (const auto& [key, value] : raw.items()) {
        if (key == "id" || key == "source" || key == "sources") {
            continue;
        }
        const bool own_source = own_sources != nullptr && own_sources->contains(key);
        if (value.is_object()) {  // merged key by key: the overlay gave these sub-keys only
            for (const auto& [sub_key, sub_value] : value.items()) {
                item.key_defined_in[key + "/" + sub_key] = file;
                if (own_source) {
                    item.unsourced_entries.erase(key + "/" + sub_key);
                } else {  // the key's text still describes the entries it did not set
                    item.unsourced_entries.insert(key + "/" + sub_key);
                }
            }
            continue;
        }
        item.key_defined_in[key] = file;
        forget_inherited(key);
        for (const std::string& source_key : engine_source_keys_in(key)) {
            forget_inherited(source_key);
        }
    }
}

// The JSON of an entry already in the catalog, to merge an overlay into.
template <typename T>
std::optional<json> entry_json(const T& entry) {
    return json::parse(detail::to_json(entry).dump());
}

template <typename T, typename Reader>
void read_array(const json& root, const char* key, Reader read, std::vector<std::pair<T, std::string>>& out,
                const std::vector<T>* existing, Problems& problems) {
    auto found = root.find(key);
    if (found == root.end()) {
        return;
    }
    const std::string pointer = std::string("/") + key;
    if (!found->is_array()) {
        problems.add(pointer, "expected an array, got " + detail::describe(*found));
        return;
    }
    // The catalog's ids of this section, indexed once per document that has the section.
    std::unordered_map<std::string_view, std::size_t> existing_index;
    if (existing != nullptr) {
        existing_index.reserve(existing->size());
        for (std::size_t i = 0; i < existing->size(); ++i) {
            existing_index.emplace((*existing)[i].id, i);
        }
    }
    std::unordered_map<std::string, std::size_t> first_index;
    for (std::size_t index = 0; index < found->size() && !problems.full(); ++index) {
        const std::string item_pointer = fmt::format("{}/{}", pointer, index);
        const json& raw = (*found)[index];
        std::optional<json> merged;
        const T* base = nullptr;
        if (raw.is_object()) {
            if (auto id = raw.find("id"); id != raw.end() && id->is_string()) {
                if (auto hit = existing_index.find(id->get_ref<const std::string&>()); hit != existing_index.end()) {
                    base = &(*existing)[hit->second];
                    merged = entry_json(*base);
                    if (merged) {
                        merge_json(*merged, raw);
                        if constexpr (std::is_same_v<T, Engine>) {
                            explicit_scheduler_values_win(*merged, raw);
                        }
                    }
                }
            }
        }
        T item = read(merged ? *merged : raw, item_pointer, problems);
        if constexpr (std::is_same_v<T, Engine>) {
            record_engine_files(item, base, raw, data_file_label(problems.file()));
        }
        if (!item.id.empty()) {
            auto [where, inserted] = first_index.emplace(item.id, index);
            if (!inserted) {
                problems.add(item_pointer + "/id", fmt::format("duplicate id '{}' (first at {}/{})", item.id, pointer,
                                                               where->second));
                continue;
            }
        }
        out.emplace_back(std::move(item), item_pointer);
    }
}

// A file holding one bare entry rather than a data document: the section it belongs to, from
// the fields only that kind of entry requires; empty when it is not recognised.
std::string single_entry_section(const json& root) {
    if (!root.is_object() || root.contains("schema_version") || !root.contains("id")) {
        return "";
    }
    if (root.contains("architecture")) {
        return "models";
    }
    if (root.contains("workload")) {
        return "scenarios";
    }
    if (root.contains("memory_gb") || root.contains("peak_tflops")) {
        return "hardware";
    }
    if (root.contains("weight_bits")) {
        return "variants";
    }
    return "";
}

Document read_document(const DataSource& source, const Catalog& catalog, Problems& problems) {
    Document document;
    auto root = detail::parse_document(source.text, problems);
    if (!root) {
        return document;
    }
    // One bare model, variant, hardware or scenario entry reads as a document holding it.
    if (const std::string section = single_entry_section(*root); !section.empty()) {
        json wrapped = json::object();
        wrapped["schema_version"] = k_schema_version;
        wrapped[section] = json::array({std::move(*root)});
        root = std::move(wrapped);
    } else if (root->is_object() && !root->empty() && !root->contains("schema_version") &&
               std::none_of(k_top_level_keys.begin(), k_top_level_keys.end(),
                            [&](const std::string& key) { return root->contains(key); })) {
        // Neither a data document (that only lacks its version: said below) nor an entry.
        std::string keys;
        for (const auto& [key, value] : root->items()) {
            keys += (keys.empty() ? "" : ", ") + detail::printable(key);
            if (keys.size() > 60) {
                keys += ", …";
                break;
            }
        }
        problems.add("", fmt::format("expected a data document {{\"schema_version\": \"{}\", \"models\": […], …}} or "
                                     "one model, variant, hardware or scenario entry (an object with \"id\"), "
                                     "got an object with keys {}",
                                     k_schema_version, keys.empty() ? "(none)" : keys));
        return document;
    }
    if (!root->is_object()) {
        problems.add("", "expected a JSON object with \"schema_version\" and arrays such as \"models\", got " +
                             detail::describe(*root));
        return document;
    }
    auto version = root->find("schema_version");
    if (version == root->end()) {
        problems.add("", fmt::format("missing required field 'schema_version' (expected {})", k_readable_schema_versions));
    } else if (!version->is_string() || !readable_schema_version(version->get<std::string>())) {
        problems.add("/schema_version", fmt::format("unsupported schema_version {}; this dsselect reads {}",
                                                    detail::describe(*version), k_readable_schema_versions));
        return document;
    }
    for (const auto& [key, value] : root->items()) {
        if (k_top_level_keys.count(key) == 0) {
            problems.add("/" + detail::escape_pointer_token(key),
                         fmt::format("unknown field '{}'{}", detail::printable(key), did_you_mean(key, k_top_level_keys)));
        }
    }
    if (auto kind = root->find("kind"); kind != root->end()) {
        if (!kind->is_string() || k_document_kinds.count(kind->get<std::string>()) == 0) {
            problems.add("/kind", fmt::format("expected one of \"ModelList\", \"VariantList\", \"HardwareList\", "
                                              "\"ScenarioList\", \"EngineList\" (what `catalog … -o json` prints), got {}",
                                              detail::describe(*kind)));
        }
    }
    read_array<Model>(*root, "models", read_model, document.models, &catalog.models, problems);
    read_array<Variant>(*root, "variants", read_variant, document.variants, &catalog.variants, problems);
    read_array<Hardware>(*root, "hardware", read_hardware, document.hardware, &catalog.hardware, problems);
    read_array<Scenario>(*root, "scenarios", read_scenario, document.scenarios, &catalog.scenarios, problems);
    read_array<Engine>(*root, "engines", read_engine, document.engines, &catalog.engines, problems);
    if (auto found = root->find("multi_task"); found != root->end()) {
        document.multi_task = read_multi_task(*found, "/multi_task", problems);
    }
    return document;
}

// Later entries replace earlier ones by id, in place; new ids are appended. An index of the
// target's ids keeps this linear in the number of entries (a scan per entry made loading a
// 120,000-entry catalog take minutes).
template <typename T>
void merge_into(std::vector<T>& target, const std::vector<std::pair<T, std::string>>& entries) {
    if (entries.empty()) {
        return;
    }
    std::unordered_map<std::string, std::size_t> index;
    index.reserve(target.size() + entries.size());
    for (std::size_t i = 0; i < target.size(); ++i) {
        index.emplace(target[i].id, i);
    }
    for (const auto& [entry, pointer] : entries) {
        const auto found = index.find(entry.id);
        if (found != index.end()) {
            target[found->second] = entry;
        } else {
            index.emplace(entry.id, target.size());
            target.push_back(entry);
        }
    }
}

void merge(Catalog& catalog, const Document& document) {
    merge_into(catalog.models, document.models);
    merge_into(catalog.variants, document.variants);
    merge_into(catalog.hardware, document.hardware);
    merge_into(catalog.scenarios, document.scenarios);
    merge_into(catalog.engines, document.engines);
    if (document.multi_task) {
        catalog.multi_task = *document.multi_task;
    }
}

// The ids of a catalog section, collected on the first reference to check (a document seldom
// refers to every section; check_references runs once per loaded document): a vector for
// did-you-mean, a hash set for the membership test (a linear find per reference made
// checking quadratic).
class KnownIds {
public:
    template <typename T>
    explicit KnownIds(const std::vector<T>& items) {
        m_collect = [&items](std::vector<std::string>& list) {
            list.reserve(items.size());
            for (const T& item : items) {
                list.push_back(item.id);
            }
        };
    }
    bool contains(const std::string& id) const {
        collect();
        return m_set.count(id) != 0;
    }
    const std::vector<std::string>& list() const {
        collect();
        return m_list;
    }

private:
    void collect() const {
        if (m_collect) {
            m_collect(m_list);
            m_collect = nullptr;
            m_set.reserve(m_list.size());
            for (const std::string& id : m_list) {
                m_set.insert(id);  // views into m_list, which no longer changes
            }
        }
    }
    mutable std::function<void(std::vector<std::string>&)> m_collect;
    mutable std::vector<std::string> m_list;
    mutable std::unordered_set<std::string_view> m_set;
};

// Cross references of the entries of `document`, checked against the merged catalog.
void check_references(const Document& document, const Catalog& catalog, Problems& problems) {
    const KnownIds hardware_ids(catalog.hardware);
    const KnownIds model_ids(catalog.models);
    const KnownIds variant_ids(catalog.variants);
    const KnownIds scenario_ids(catalog.scenarios);
    auto check = [&](const std::string& id, const KnownIds& known, const std::string& pointer, const char* what) {
        if (!id.empty() && !known.contains(id)) {
            // A model's former id reads as the model, with a warning (rewrite_deprecated_ids).
            if (&known == &model_ids) {
                if (const Model* renamed = catalog.find_model_by_deprecated_id(id)) {
                    add_notice(fmt::format("dsselect: warning: {}: {}: model id '{}' is deprecated; it now reads as '{}'",
                                           problems.file(), pointer, id, renamed->id));
                    return;
                }
            }
            problems.add(pointer, fmt::format("unknown {} '{}'{}", what, id, did_you_mean(id, known.list())));
        }
    };
    for (const auto& [model, pointer] : document.models) {
        check(model.reference_hardware_id, hardware_ids, pointer + "/reference_hardware/hardware", "hardware");
        check(model.typical_scenario_id, scenario_ids, pointer + "/typical_scenario", "scenario");
        for (std::size_t index = 0; index < model.references.size(); ++index) {
            check(model.references[index].variant_id, variant_ids, fmt::format("{}/references/{}/variant", pointer, index), "variant");
        }
    }
    for (const auto& [variant, pointer] : document.variants) {
        for (std::size_t index = 0; index < variant.applies_to.size(); ++index) {
            check(variant.applies_to[index], model_ids, fmt::format("{}/applies_to/{}", pointer, index), "model");
        }
        for (std::size_t index = 0; index < variant.combines.size(); ++index) {
            check(variant.combines[index], variant_ids, fmt::format("{}/combines/{}", pointer, index), "variant");
        }
    }
    const KnownIds engine_ids(catalog.engines);
    for (const auto& [engine, pointer] : document.engines) {
        for (std::size_t f = 0; f < engine.factors.size(); ++f) {
            for (std::size_t index = 0; index < engine.factors[f].hardware.size(); ++index) {
                check(engine.factors[f].hardware[index], hardware_ids, fmt::format("{}/factors/{}/hardware/{}", pointer, f, index), "hardware");
            }
        }
    }
    for (const auto& [scenario, pointer] : document.scenarios) {
        check(scenario.engine_id, engine_ids, pointer + "/engine", "engine");
        const auto& c = scenario.constraints;
        for (std::size_t index = 0; index < c.allowed_hardware.size(); ++index) {
            check(c.allowed_hardware[index], hardware_ids, fmt::format("{}/constraints/allowed_hardware/{}", pointer, index), "hardware");
        }
        for (std::size_t index = 0; index < c.allowed_models.size(); ++index) {
            check(c.allowed_models[index], model_ids, fmt::format("{}/constraints/allowed_models/{}", pointer, index), "model");
        }
        for (std::size_t index = 0; index < c.allowed_variants.size(); ++index) {
            check(c.allowed_variants[index], variant_ids, fmt::format("{}/constraints/allowed_variants/{}", pointer, index), "variant");
        }
        for (std::size_t index = 0; index < scenario.quoted.size(); ++index) {
            check(scenario.quoted[index].model_id, model_ids, fmt::format("{}/quoted/{}/model", pointer, index), "model");
        }
        for (const auto& [model_id, cost] : scenario.tco.training.quoted_cost_usd) {
            check(model_id, model_ids, pointer + "/tco/training/quoted_cost_usd/" + detail::escape_pointer_token(model_id), "model");
        }
    }
}

// A model's former id (deprecated_ids) replaced by its id wherever an entry names a model;
// check_references has warned about each.
void rewrite_deprecated_ids(std::string& id, const Catalog& catalog) {
    if (catalog.find_model(id) == nullptr) {
        if (const Model* renamed = catalog.find_model_by_deprecated_id(id)) {
            id = renamed->id;
        }
    }
}

void rewrite_deprecated_ids(Scenario& scenario, const Catalog& catalog) {
    for (std::string& id : scenario.constraints.allowed_models) {
        rewrite_deprecated_ids(id, catalog);
    }
    for (QuotedFigure& figure : scenario.quoted) {
        rewrite_deprecated_ids(figure.model_id, catalog);
    }
    std::map<std::string, double> quoted;
    for (const auto& [model_id, cost] : scenario.tco.training.quoted_cost_usd) {
        std::string id = model_id;
        rewrite_deprecated_ids(id, catalog);
        quoted[id] = cost;
    }
    scenario.tco.training.quoted_cost_usd = std::move(quoted);
}

void rewrite_deprecated_ids(Catalog& catalog) {
    bool any = false;
    for (const Model& model : catalog.models) {
        any = any || !model.deprecated_ids.empty();
    }
    if (!any) {
        return;
    }
    for (Variant& variant : catalog.variants) {
        for (std::string& id : variant.applies_to) {
            rewrite_deprecated_ids(id, catalog);
        }
    }
    for (Scenario& scenario : catalog.scenarios) {
        rewrite_deprecated_ids(scenario, catalog);
    }
}
}  // namespace

std::vector<DataSource> builtin_data_sources() {
    std::vector<DataSource> sources;
    for (std::size_t index = 0; index < embedded::k_file_count; ++index) {
        const auto& file = embedded::k_files[index];
        const std::string_view name = file.name;
        if (name.ends_with(".schema.json") || name.ends_with(".columns.json")) {
            continue;  // JSON Schemas and the report's column model are embedded beside the data
        }
        sources.push_back({std::string("<builtin>/") + file.name, std::string(file.data, file.size)});
    }
    return sources;
}

namespace {
Catalog load_into(Catalog catalog, const std::vector<DataSource>& sources, std::vector<std::string>* all_problems) {
    std::vector<std::pair<Document, std::string>> documents;
    for (const DataSource& source : sources) {
        Problems problems(source.name);
        Document document = read_document(source, catalog, problems);
        if (!problems.empty()) {
            if (all_problems == nullptr) {
                throw Error(ErrorKind::invalid_data, problems.list().front());
            }
            all_problems->insert(all_problems->end(), problems.list().begin(), problems.list().end());
        }
        merge(catalog, document);
        documents.emplace_back(std::move(document), source.name);
    }
    for (const auto& [document, name] : documents) {
        Problems problems(name);
        check_references(document, catalog, problems);
        if (!problems.empty()) {
            if (all_problems == nullptr) {
                throw Error(ErrorKind::invalid_data, problems.list().front());
            }
            all_problems->insert(all_problems->end(), problems.list().begin(), problems.list().end());
        }
    }
    rewrite_deprecated_ids(catalog);
    return catalog;
}
}  // namespace

Catalog load_catalog(const std::vector<DataSource>& overlays, bool include_builtin) {
    std::vector<DataSource> sources;
    if (include_builtin) {
        sources = builtin_data_sources();
    }
    sources.insert(sources.end(), overlays.begin(), overlays.end());
    return load_into(Catalog{}, sources, nullptr);
}

std::vector<std::string> validate_document(const DataSource& source, const Catalog& base) {
    std::vector<std::string> problems;
    load_into(base, {source}, &problems);
    return problems;
}

Scenario read_scenario_document(const DataSource& source, const Catalog& catalog) {
    Problems problems(source.name);
    auto root = detail::parse_document(source.text, problems);
    if (!root) {
        throw Error(ErrorKind::invalid_data, problems.list().front());
    }
    // A whole data document with one scenario is accepted too; one with several cannot say
    // which of them to run.
    const json* object = &*root;
    std::string pointer;
    if (root->is_object() && !root->contains("id") && root->contains("scenarios") && root->at("scenarios").is_array()) {
        const std::size_t count = root->at("scenarios").size();
        if (count != 1) {
            problems.add("/scenarios",
                         count == 0 ? std::string("expected one scenario object, or a data document listing exactly one, "
                                                  "got an empty list")
                                    : fmt::format("expected one scenario object, or a data document listing exactly "
                                                  "one, got a list of {}; load a list with --data FILE and name one "
                                                  "with --scenario ID",
                                                  count));
            throw Error(ErrorKind::invalid_data, problems.list().front());
        }
        object = &root->at("scenarios").at(0);
        pointer = "/scenarios/0";
    }
    return read_checked_scenario(*object, pointer, catalog, problems);
}

Scenario read_checked_scenario(const json& object, const std::string& pointer, const Catalog& catalog,
                               Problems& problems) {
    Document document;
    document.scenarios.emplace_back(read_scenario(object, pointer, problems), pointer);
    if (problems.empty()) {
        check_references(document, catalog, problems);
    }
    if (!problems.empty()) {
        throw Error(ErrorKind::invalid_data, problems.list().front());
    }
    rewrite_deprecated_ids(document.scenarios.front().first, catalog);
    return document.scenarios.front().first;
}

std::vector<std::pair<std::string, std::string>> embedded_schemas() {
    std::vector<std::pair<std::string, std::string>> schemas;
    constexpr std::string_view k_suffix = ".schema.json";
    for (std::size_t index = 0; index < embedded::k_file_count; ++index) {
        const auto& file = embedded::k_files[index];
        const std::string_view name = file.name;
        if (name.ends_with(k_suffix)) {
            schemas.emplace_back(std::string(name.substr(0, name.size() - k_suffix.size())),
                                 std::string(file.data, file.size));
        }
    }
    return schemas;
}

}  // namespace dsselect
