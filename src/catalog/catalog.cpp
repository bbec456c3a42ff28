#include <algorithm>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "dsselect/catalog/types.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/core/notices.hpp"

namespace dsselect {

const char* to_string(Precision precision) {
    switch (precision) {
    case Precision::fp16: return "fp16";
    case Precision::bf16: return "bf16";
    case Precision::fp8: return "fp8";
    case Precision::int8: return "int8";
    case Precision::int4: return "int4";
    }
    return "fp16";
}

std::optional<Precision> parse_precision(const std::string& text) {
    for (Precision precision : k_all_precisions) {
        if (text == to_string(precision)) {
            return precision;
        }
    }
    return std::nullopt;
}

const char* to_string(AdapterModule module) {
    switch (module) {
    case AdapterModule::q: return "q";
    case AdapterModule::k: return "k";
    case AdapterModule::v: return "v";
    case AdapterModule::o: return "o";
    case AdapterModule::gate: return "gate";
    case AdapterModule::up: return "up";
    case AdapterModule::down: return "down";
    }
    return "q";
}

std::optional<AdapterModule> parse_adapter_module(const std::string& text) {
    for (AdapterModule module : {AdapterModule::q, AdapterModule::k, AdapterModule::v, AdapterModule::o,
                                 AdapterModule::gate, AdapterModule::up, AdapterModule::down}) {
        if (text == to_string(module)) {
            return module;
        }
    }
    return std::nullopt;
}

std::optional<double> Model::quality_for(const std::string& task_kind) const {
    std::optional<double> fallback;
    for (const QualityScore& score : quality) {
        if (score.task_kind == task_kind) {
            return score.score;
        }
        if (score.task_kind == "default") {
            fallback = score.score;
        }
    }
    return fallback;
}

bool Variant::has_risk(const std::string& flag) const {
    return std::find(risk_flags.begin(), risk_flags.end(), flag) != risk_flags.end();
}

bool Variant::applies_to_model(const std::string& model_id) const {
    return applies_to.empty() || std::find(applies_to.begin(), applies_to.end(), model_id) != applies_to.end();
}

namespace {
constexpr const char* k_serving_formats[] = {"fp16",       "bf16",       "fp8",        "int8-w8a8",         "int8-w8a16",
                                             "int4-w4a16", "int4-w4a4", "mixed-bits", "dynamic-activation"};
}  // namespace

bool weight_only_quantized(const Variant& v) {
    const bool sixteen_bit_compute = v.compute_precision == Precision::fp16 || v.compute_precision == Precision::bf16;
    return v.active_fraction >= 1.0 && !v.bits_per_group && sixteen_bit_compute && v.weight_bits <= 8.5;
}

bool integer_quantized_weights(const Variant& v) {
    const bool integer_compute = v.compute_precision == Precision::int8 || v.compute_precision == Precision::int4;
    return weight_only_quantized(v) || (v.active_fraction >= 1.0 && !v.bits_per_group && integer_compute);
}

std::string serving_format(const Variant& v) {
    if (v.active_fraction < 1.0) {
        return "dynamic-activation";
    }
    if (v.bits_per_group) {
        return "mixed-bits";
    }
    switch (v.compute_precision) {
    case Precision::fp8: return "fp8";
    case Precision::int8: return "int8-w8a8";
    case Precision::int4: return "int4-w4a4";
    case Precision::fp16:
    case Precision::bf16: break;
    }
    if (weight_only_quantized(v)) {
        return v.weight_bits <= 4.5 ? "int4-w4a16" : "int8-w8a16";
    }
    return v.compute_precision == Precision::bf16 ? "bf16" : "fp16";
}

bool is_serving_format(const std::string& name) {
    return std::find(std::begin(k_serving_formats), std::end(k_serving_formats), name) != std::end(k_serving_formats);
}

std::string serving_format_names() { return fmt::format("{}", fmt::join(k_serving_formats, ", ")); }

namespace {
constexpr const char* k_kv_cache_dtypes[] = {"auto", "fp16", "bf16", "fp8"};
}  // namespace

bool is_kv_cache_dtype(const std::string& name) {
    return std::find(std::begin(k_kv_cache_dtypes), std::end(k_kv_cache_dtypes), name) != std::end(k_kv_cache_dtypes);
}

std::string kv_cache_dtype_names() { return fmt::format("{}", fmt::join(k_kv_cache_dtypes, ", ")); }

namespace {
constexpr const char* k_moe_kernel_formats[] = {"bf16", "fp8", "fp8_block"};
}  // namespace

bool is_moe_kernel_format(const std::string& name) {
    return std::find(std::begin(k_moe_kernel_formats), std::end(k_moe_kernel_formats), name) !=
           std::end(k_moe_kernel_formats);
}

std::string moe_kernel_format_names() { return fmt::format("{}", fmt::join(k_moe_kernel_formats, ", ")); }

std::optional<double> kv_cache_dtype_bits(const std::string& name) {
    if (name == "fp8") {
        return 8.0;
    }
    if (name == "fp16" || name == "bf16") {
        return 16.0;
    }
    return std::nullopt;
}

namespace {
constexpr const char* k_checkpoint_kv_cache_dtype = "fp8";  // an engine entry that reads the checkpoint's type

std::string engine_entry_kv_cache_dtype(const Engine* engine, const std::string& format) {
    if (engine == nullptr) {
        return "auto";
    }
    auto found = engine->kv_cache_dtype.find(format);
    return found == engine->kv_cache_dtype.end() ? std::string("auto") : found->second;
}
}  // namespace

bool checkpoint_sets_kv_cache_dtype(const Engine* engine, const Model& model, const Variant& variant) {
    if (model.checkpoint_kv_cache_dtype.empty()) {
        return false;  // the common case, without building the format's name
    }
    const std::string format = serving_format(variant);
    return engine_entry_kv_cache_dtype(engine, format) == k_checkpoint_kv_cache_dtype &&
           model.checkpoint_kv_cache_dtype.contains(format);
}

namespace {
// sources key -> the data key that holds its value, where they differ.
const std::map<std::string, std::string> k_source_key_held_in = {{"eager_layer_overhead_us", "factors"}};
}  // namespace

std::string engine_data_key(const std::string& source_key) {
    const auto found = k_source_key_held_in.find(source_key);
    return found != k_source_key_held_in.end() ? found->second : source_key;
}

std::vector<std::string> engine_source_keys_in(const std::string& data_key) {
    std::vector<std::string> keys;
    for (const auto& [source_key, held_in] : k_source_key_held_in) {
        if (held_in == data_key) {
            keys.push_back(source_key);
        }
    }
    return keys;
}

std::string Engine::file_of(const std::string& key) const {
    auto found = key_defined_in.find(key);
    if (const auto slash = key.find('/'); found == key_defined_in.end() && slash != std::string::npos) {
        found = key_defined_in.find(key.substr(0, slash));
    }
    if (found == key_defined_in.end()) {
        const std::string prefix = key + "/";
        if (const auto sub = key_defined_in.lower_bound(prefix);
            sub != key_defined_in.end() && sub->first.compare(0, prefix.size(), prefix) == 0) {
            found = sub;
        }
    }
    const std::string& file = found != key_defined_in.end() ? found->second : defined_in;
    return file.empty() ? std::string("no data file") : file;
}

std::string engine_kv_cache_dtype(const Engine* engine, const Model& model, const Variant& variant) {
    const std::string format = serving_format(variant);
    if (checkpoint_sets_kv_cache_dtype(engine, model, variant)) {
        return model.checkpoint_kv_cache_dtype.at(format);
    }
    return engine_entry_kv_cache_dtype(engine, format);
}

std::optional<double> engine_kv_cache_bits_on(const Hardware& hardware, std::optional<double> engine_bits) {
    constexpr double k_fp8_bits = 8.0;
    constexpr double k_fp16_bits = 16.0;
    if (engine_bits && *engine_bits == k_fp8_bits && !hardware.peak_tflops_at(Precision::fp8)) {
        return k_fp16_bits;
    }
    return engine_bits;
}

std::optional<double> kv_cache_bits_for(const Engine* engine, const Model& model, const Variant& variant,
                                        std::optional<double> flag_bits, const Hardware* hardware) {
    if (flag_bits) {
        return flag_bits;
    }
    const std::optional<double> engine_bits = kv_cache_dtype_bits(engine_kv_cache_dtype(engine, model, variant));
    return hardware != nullptr ? engine_kv_cache_bits_on(*hardware, engine_bits) : engine_bits;
}

namespace {
template <typename T>
const T* find_by_id(const std::vector<T>& items, const std::string& id) {
    auto found = std::find_if(items.begin(), items.end(), [&](const T& item) { return item.id == id; });
    return found == items.end() ? nullptr : &*found;
}

template <typename T>
const T& require_by_id(const std::vector<T>& items, const std::string& id, const char* what) {
    if (const T* found = find_by_id(items, id)) {
        return *found;
    }
    std::vector<std::string> ids;
    for (const T& item : items) {
        ids.push_back(item.id);
    }
    throw unknown_id_error(what, id, ids);
}
}  // namespace

const char* to_string(TrainingCostChoice choice) {
    return choice == TrainingCostChoice::computed ? "computed" : "quoted";
}

const Model* Catalog::find_model_by_deprecated_id(const std::string& id) const {
    for (const Model& m : models) {
        if (std::find(m.deprecated_ids.begin(), m.deprecated_ids.end(), id) != m.deprecated_ids.end()) {
            return &m;
        }
    }
    return nullptr;
}

const Engine* Catalog::find_engine(const std::string& id) const { return find_by_id(engines, id); }
const Engine& Catalog::engine(const std::string& id) const { return require_by_id(engines, id, "engine"); }
const Model* Catalog::find_model(const std::string& id) const { return find_by_id(models, id); }
const Variant* Catalog::find_variant(const std::string& id) const { return find_by_id(variants, id); }
const Hardware* Catalog::find_hardware(const std::string& id) const { return find_by_id(hardware, id); }
const Scenario* Catalog::find_scenario(const std::string& id) const { return find_by_id(scenarios, id); }
const Model& Catalog::model(const std::string& id) const {
    if (find_model(id) == nullptr) {
        if (const Model* renamed = find_model_by_deprecated_id(id)) {
            add_notice(fmt::format("dsselect: warning: model id '{}' is deprecated; it now reads as '{}'", id, renamed->id));
            return *renamed;
        }
    }
    return require_by_id(models, id, "model");
}
const Variant& Catalog::variant(const std::string& id) const { return require_by_id(variants, id, "variant"); }
const Hardware& Catalog::hardware_by_id(const std::string& id) const { return require_by_id(hardware, id, "hardware"); }
const Scenario& Catalog::scenario(const std::string& id) const { return require_by_id(scenarios, id, "scenario"); }

std::size_t gpu_count_suffix(std::string_view hardware) {
    const std::size_t x = hardware.rfind('x');
    if (x == std::string_view::npos || x == 0 || x + 1 >= hardware.size()) {
        return std::string_view::npos;
    }
    for (std::size_t i = x + 1; i < hardware.size(); ++i) {
        if (hardware[i] < '0' || hardware[i] > '9') {
            return std::string_view::npos;
        }
    }
    return x;
}

}  // namespace dsselect
