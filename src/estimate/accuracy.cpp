// Reads data/accuracy.json and picks the entry that speaks for one estimate (estimate/accuracy.hpp).
#include "dsselect/estimate/accuracy.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/json_reader.hpp"
#include "dsselect/core/error.hpp"

namespace dsselect {

extern const char k_accuracy_json[];
extern const std::size_t k_accuracy_json_size;

namespace {

using detail::json;
using detail::NumberRule;
using detail::ObjectReader;
using detail::Presence;
using detail::Problems;

std::optional<ErrorFigures> read_figures(ObjectReader& entry, const std::string& key) {
    const json* value = entry.member(key, Presence::required);
    if (value == nullptr || value->is_null()) {
        return std::nullopt;
    }
    ObjectReader reader(*value, entry.child(key), entry.problems());
    if (!reader.is_object()) {
        entry.problems().add(entry.child(key), "expected an object of rows, median_abs_error_pct and "
                                               "mean_signed_error_pct, or null");
        return std::nullopt;
    }
    ErrorFigures figures;
    figures.rows = reader.integer("rows", 1, Presence::required).value_or(0);
    figures.median_abs_error_pct = reader.number("median_abs_error_pct", NumberRule::non_negative, Presence::required).value_or(0.0);
    figures.mean_signed_error_pct = reader.number("mean_signed_error_pct", NumberRule::any_finite, Presence::required).value_or(0.0);
    reader.finish();
    return figures;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

std::string joined(const std::vector<std::string>& list) { return fmt::format("{}", fmt::join(list, ", ")); }

}  // namespace

std::vector<AccuracyEntry> parse_accuracy_table(const std::string& text, const std::string& file) {
    Problems problems(file);
    std::vector<AccuracyEntry> table;
    if (const std::optional<json> document = detail::parse_document(text, problems)) {
        ObjectReader root(*document, "", problems);
        if (!root.is_object()) {
            problems.add("", "expected an object with schema_version, source and entries");
        } else {
            root.text("schema_version", Presence::required);
            root.text("source", Presence::required);
            const json* entries = root.member("entries", Presence::required);
            if (entries != nullptr && !entries->is_array()) {
                problems.add("/entries", "expected an array of entries");
            } else if (entries != nullptr) {
                for (std::size_t i = 0; i < entries->size(); ++i) {
                    ObjectReader reader((*entries)[i], fmt::format("/entries/{}", i), problems);
                    if (!reader.is_object()) {
                        problems.add(reader.pointer(), "expected an object");
                        continue;
                    }
                    AccuracyEntry entry;
                    entry.engine = reader.text("engine", Presence::required).value_or("");
                    entry.model_kind = reader.text("model_kind", Presence::required).value_or("");
                    if (entry.model_kind != "dense" && entry.model_kind != "moe") {
                        problems.add(reader.child("model_kind"), "expected \"dense\" or \"moe\"");
                    }
                    entry.set = reader.text("set", Presence::required).value_or("");
                    if (entry.set != "fit" && entry.set != "hold-out") {
                        problems.add(reader.child("set"), "expected \"fit\" or \"hold-out\"");
                    }
                    const json* family = reader.member("hardware_family", Presence::required);
                    if (family != nullptr && !family->is_null()) {
                        entry.hardware_family = reader.text("hardware_family").value_or("");
                    }
                    const json* kind = reader.member("hardware_kind", Presence::required);
                    if (kind != nullptr && !kind->is_null()) {
                        const std::string name = reader.text("hardware_kind").value_or("");
                        if (name == "gpu" || name == "edge") {
                            entry.hardware_kind = name == "gpu" ? HardwareKind::gpu : HardwareKind::edge;
                        } else {
                            problems.add(reader.child("hardware_kind"), "expected \"gpu\", \"edge\" or null");
                        }
                    }
                    const auto listed = [&](const char* key) {
                        reader.member(key, Presence::required);
                        std::vector<std::string> list = reader.string_list(key);
                        if (list.empty() && std::string(key) != "hardware") {
                            problems.add(reader.child(key), "expected a non-empty array of strings");
                        }
                        return list;
                    };
                    entry.vendors = listed("vendors");
                    entry.models = listed("models");
                    entry.hardware = listed("hardware");
                    entry.devices = listed("devices");
                    entry.precisions = listed("precisions");
                    entry.ttft = read_figures(reader, "ttft");
                    entry.tpot = read_figures(reader, "tpot");
                    entry.capacity = read_figures(reader, "capacity");
                    entry.source = reader.text("source", Presence::required).value_or("");
                    reader.finish();
                    for (const AccuracyEntry& other : table) {
                        if (other.engine == entry.engine && other.model_kind == entry.model_kind &&
                            other.set == entry.set && other.hardware_family == entry.hardware_family) {
                            problems.add(reader.pointer(), "repeats an earlier entry's engine, model_kind, set and "
                                                           "hardware_family");
                        }
                    }
                    table.push_back(std::move(entry));
                }
            }
            root.finish();
        }
    }
    if (!problems.empty()) {
        throw Error(ErrorKind::invalid_data, problems.list().front());
    }
    return table;
}

std::array<NamedFigures, 3> named_figures(const AccuracyEntry& entry) {
    return {NamedFigures{"ttft", "TTFT", "TTFT", &entry.ttft}, NamedFigures{"tpot", "TPOT", "TPOT", &entry.tpot},
            NamedFigures{"capacity", "capacity", "capacity (requests/s)", &entry.capacity}};
}

const std::vector<std::string>& measured_on(const AccuracyEntry& entry) {
    return entry.hardware_family.empty() ? entry.hardware : entry.devices;
}

const std::vector<AccuracyEntry>& builtin_accuracy_table() {
    static const std::vector<AccuracyEntry> table =
        parse_accuracy_table(std::string(k_accuracy_json, k_accuracy_json_size), "<builtin>/accuracy.json");
    return table;
}

AccuracyClaim accuracy_claim(const std::vector<AccuracyEntry>& table, const std::string& engine_id, const Model& model,
                             const Variant& variant, const Hardware& hardware) {
    AccuracyClaim claim;
    claim.engine_id = engine_id;
    const std::string kind = model.architecture.is_moe() ? "moe" : "dense";
    const std::string kind_label = model.architecture.is_moe() ? "MoE" : "dense";
    const AccuracyEntry* fit = nullptr;       // fit rows that include this hardware
    const AccuracyEntry* other_fit = nullptr;
    const AccuracyEntry* hold_out = nullptr;
    for (const AccuracyEntry& entry : table) {
        const bool applies = entry.hardware_family.empty() ||
                             (entry.hardware_family == hardware.vendor &&
                              (!entry.hardware_kind || *entry.hardware_kind == hardware.kind));
        if (entry.engine != engine_id || entry.model_kind != kind || !applies) {
            continue;
        }
        if (entry.set == "hold-out") {
            hold_out = hold_out != nullptr ? hold_out : &entry;
        } else if (contains(entry.hardware, hardware.id)) {
            fit = &entry;
        } else {
            other_fit = other_fit != nullptr ? other_fit : &entry;
        }
    }
    // On a fit system the fit rows are this hardware's own measurements (in-sample).
    claim.entry = fit != nullptr ? fit : hold_out != nullptr ? hold_out : other_fit;
    if (engine_id.empty()) {
        claim.note = "not measured: no engine profile (the built-in defaults of docs/method.md), which no measurement "
                     "checks";
        return claim;
    }
    if (claim.entry == nullptr) {
        claim.note = fmt::format("not measured: the repository holds no measurement of {} models under engine '{}'{}; "
                                 "these figures are the physics and the engine's factors alone",
                                 kind_label, engine_id,
                                 hardware.vendor.empty() ? std::string()
                                                          : fmt::format(" on {} {}", hardware.vendor,
                                                                        hardware.kind == HardwareKind::edge ? "edge devices" : "GPUs"));
        return claim;
    }
    const AccuracyEntry& entry = *claim.entry;
    claim.hardware_measured = contains(entry.hardware, hardware.id);
    const std::string format = serving_format(variant);
    // 16-bit rows stand for both 16-bit formats, said so: on data-centre GPUs FP16 and BF16 run at
    // one tensor-core rate, but an engine accumulating in FP16 (llama.cpp on GeForce) does not.
    const std::string other_16_bit = format == "fp16" ? "bf16" : format == "bf16" ? "fp16" : "";
    const bool exact_format = contains(entry.precisions, format);
    claim.precision_measured = exact_format || (!other_16_bit.empty() && contains(entry.precisions, other_16_bit));
    std::vector<std::string> caveats;
    if (hardware.vendor.empty()) {
        caveats.push_back(fmt::format("{} names no vendor (measured: {})", hardware.id, joined(entry.vendors)));
    } else if (!contains(entry.vendors, hardware.vendor)) {
        caveats.push_back(fmt::format("no {} hardware was measured (measured: {})", hardware.vendor, joined(entry.vendors)));
    }
    if (!claim.hardware_measured) {
        caveats.push_back(fmt::format("{} itself was not measured", hardware.id));
    }
    if (!claim.precision_measured) {
        caveats.push_back(fmt::format("{} weights were not measured (measured: {})", format, joined(entry.precisions)));
    } else if (!exact_format) {
        caveats.push_back(fmt::format("{} weights judged by the {} rows", format, other_16_bit));
    }
    if (variant.parameter_fraction < 1.0 || variant.active_fraction < 1.0 || variant.structured_sparsity_2_4) {
        caveats.push_back(fmt::format("variant '{}' prunes, shares or skips weights, which no measurement covers", variant.id));
    }
    const char* set_label = entry.set == "hold-out" ? "out of sample"
                            : claim.hardware_measured ? "in sample (the factors were fitted on these rows)"
                                                      : "in sample on other hardware (the factors were fitted on these rows)";
    std::vector<std::string> unchecked;
    for (const NamedFigures& named : named_figures(entry)) {
        if (!*named.figures) {
            unchecked.push_back(named.name);
        }
    }
    if (!unchecked.empty()) {
        const std::string last = unchecked.back();
        unchecked.pop_back();
        caveats.push_back(fmt::format("{}{}{} not checked", fmt::join(unchecked, ", "), unchecked.empty() ? "" : " and ",
                                      last));
    }
    claim.note = fmt::format("{}: engine '{}', {} models {} on {}{}{}", set_label,
                             entry.engine, kind_label, joined(entry.models), joined(measured_on(entry)),
                             caveats.empty() ? "" : "; ", fmt::join(caveats, "; "));
    return claim;
}

}  // namespace dsselect
