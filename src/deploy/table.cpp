// Reads data/deploy.json (compiled in by cmake/embed_text.cmake): the sourced flag table of each
// engine, the variant -> weight format map, hardware vendors and model repositories.
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "dsselect/core/error.hpp"
#include "dsselect/deploy/deploy.hpp"

namespace dsselect::deploy {

extern const char k_deploy_json[];
extern const std::size_t k_deploy_json_size;

namespace {
using nlohmann::json;

[[noreturn]] void bad(const std::string& where, const std::string& what) {
    throw Error(ErrorKind::invalid_data, fmt::format("{}: {}", where, what));
}

const json& member(const json& object, const char* key, const std::string& where) {
    if (!object.is_object() || !object.contains(key)) {
        bad(where, fmt::format("missing field '{}'", key));
    }
    return object.at(key);
}

std::string text(const json& object, const char* key, const std::string& where, bool required = true) {
    if (!object.contains(key)) {
        if (required) {
            bad(where, fmt::format("missing field '{}'", key));
        }
        return {};
    }
    const json& value = object.at(key);
    if (!value.is_string()) {
        bad(where + "/" + key, "expected a string");
    }
    return value.get<std::string>();
}

std::vector<std::string> strings(const json& value, const std::string& where) {
    if (!value.is_array()) {
        bad(where, "expected an array of strings");
    }
    std::vector<std::string> out;
    for (const json& item : value) {
        if (!item.is_string()) {
            bad(where, "expected an array of strings");
        }
        out.push_back(item.get<std::string>());
    }
    return out;
}

std::map<std::string, std::string> string_map(const json& value, const std::string& where) {
    if (!value.is_object()) {
        bad(where, "expected an object of strings");
    }
    std::map<std::string, std::string> out;
    for (const auto& [key, item] : value.items()) {
        if (!item.is_string()) {
            bad(where + "/" + key, "expected a string");
        }
        out[key] = item.get<std::string>();
    }
    return out;
}

EngineDeploy read_engine(const json& e, const std::string& where) {
    EngineDeploy engine;
    engine.id = text(e, "id", where);
    const std::string at = where + "(" + engine.id + ")";
    engine.command = strings(member(e, "command", at), at + "/command");
    if (engine.command.empty()) {
        bad(at + "/command", "empty");
    }
    engine.model_argument = text(e, "model_argument", at);
    const json& port = member(e, "port", at);
    if (!port.is_number_integer() || port.get<std::int64_t>() <= 0 || port.get<std::int64_t>() > 65535) {
        bad(at + "/port", "expected a port number");
    }
    engine.port = port.get<std::int64_t>();
    engine.health_path = text(e, "health_path", at);
    engine.images = string_map(member(e, "images", at), at + "/images");
    engine.images_source = text(e, "images_source", at);
    engine.multi_node = text(e, "multi_node", at);
    if (e.contains("threads")) {
        const json& threads = e.at("threads");
        if (!threads.is_number_integer() || threads.get<std::int64_t>() < 1) {
            bad(at + "/threads", "expected a positive integer");
        }
        engine.threads = threads.get<std::int64_t>();
        engine.threads_source = text(e, "threads_source", at);
    }
    for (const auto& [setting, spec] : member(e, "flags", at).items()) {
        const std::string here = at + "/flags/" + setting;
        FlagSpec flag{text(spec, "flag", here), text(spec, "source", here)};
        if (flag.flag.empty() || flag.flag[0] != '-' || flag.source.empty()) {
            bad(here, "a flag needs a name starting with '-' and a source");
        }
        engine.flags[setting] = flag;
    }
    for (const auto& [name, spec] : member(e, "formats", at).items()) {
        const std::string here = at + "/formats/" + name;
        EngineFormat format;
        format.dtype = text(spec, "dtype", here, false);
        format.quantization = text(spec, "quantization", here, false);
        format.gguf = text(spec, "gguf", here, false);
        format.checkpoint = text(spec, "checkpoint", here, false);
        format.note = text(spec, "note", here, false);
        format.artefacts = strings(member(spec, "artefacts", here), here + "/artefacts");
        engine.formats[name] = format;
    }
    engine.kv_cache = string_map(member(e, "kv_cache", at), at + "/kv_cache");
    engine.refused = string_map(member(e, "refused", at), at + "/refused");
    if (e.contains("notes")) {
        engine.notes = strings(e.at("notes"), at + "/notes");
    }
    if (e.contains("vendors")) {
        engine.vendors = strings(e.at("vendors"), at + "/vendors");
    }
    return engine;
}
}  // namespace

const FlagSpec& EngineDeploy::flag(const std::string& setting) const {
    auto it = flags.find(setting);
    if (it == flags.end()) {
        throw Error(ErrorKind::invalid_data,
                    fmt::format("data/deploy.json: engine '{}' has no flag for the setting '{}'", id, setting));
    }
    return it->second;
}

const EngineDeploy* DeployTable::find_engine(const std::string& id) const {
    for (const auto& engine : engines) {
        if (engine.id == id) {
            return &engine;
        }
    }
    return nullptr;
}

const VariantFormat* DeployTable::find_variant(const std::string& id) const {
    for (const auto& variant : variants) {
        if (variant.id == id) {
            return &variant;
        }
    }
    return nullptr;
}

DeployTable parse_table(const std::string& json_text, const std::string& where) {
    json root;
    try {
        root = json::parse(json_text);
    } catch (const json::parse_error& error) {
        bad(where, fmt::format("not JSON: {}", error.what()));
    }
    if (!root.is_object() || text(root, "schema_version", where) != "1.0") {
        bad(where, "schema_version must be \"1.0\"");
    }
    DeployTable table;
    table.source = text(root, "source", where);
    for (const json& e : member(root, "engines", where)) {
        table.engines.push_back(read_engine(e, where + "/engines"));
    }
    for (const json& v : member(root, "variants", where)) {
        VariantFormat variant;
        variant.id = text(v, "id", where + "/variants");
        const std::string here = where + "/variants(" + variant.id + ")";
        variant.format = text(v, "format", here, false);
        variant.refused = text(v, "refused", here, false);
        variant.note = text(v, "note", here, false);
        if (variant.format.empty() == variant.refused.empty()) {
            bad(here, "needs exactly one of 'format' and 'refused'");
        }
        table.variants.push_back(variant);
    }
    for (const json& h : member(root, "hardware", where)) {
        table.hardware_vendor[text(h, "id", where + "/hardware")] = text(h, "vendor", where + "/hardware");
    }
    for (const auto& [name, v] : member(root, "vendors", where).items()) {
        const std::string here = where + "/vendors/" + name;
        table.vendors[name] = VendorInfo{text(v, "resource", here), text(v, "compose_driver", here), text(v, "source", here)};
    }
    for (const json& a : member(root, "artefacts", where)) {
        const std::string here = where + "/artefacts";
        Artefact artefact;
        artefact.model = text(a, "model", here);
        artefact.format = text(a, "format", here);
        artefact.repository = text(a, "repository", here);
        artefact.file = text(a, "file", here, false);
        artefact.source = text(a, "source", here);
        artefact.kv_cache_dtype = text(a, "kv_cache_dtype", here, false);
        if (!artefact.kv_cache_dtype.empty() && artefact.kv_cache_dtype != "auto" && artefact.kv_cache_dtype != "fp8") {
            bad(here + "/kv_cache_dtype", fmt::format("expected \"auto\" or \"fp8\", got '{}'", artefact.kv_cache_dtype));
        }
        table.artefacts.push_back(artefact);
    }
    return table;
}

const DeployTable& builtin_table() {
    static const DeployTable table =
        parse_table(std::string(k_deploy_json, k_deploy_json_size), "<builtin>/deploy.json");
    return table;
}

}  // namespace dsselect::deploy
