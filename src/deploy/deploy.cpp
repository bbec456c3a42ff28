// dsselect deploy: the judged candidate's settings, the engine's command line and the target's
// files (docs/deploy.md). Nothing here estimates: every number comes from the Candidate the
// search judged and the Scenario it was judged for.
#include "dsselect/deploy/deploy.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <nlohmann/json.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dsselect/core/error.hpp"
#include "dsselect/core/schema_version.hpp"
#include "dsselect/estimate/estimator.hpp"
#include "dsselect/report/format.hpp"

namespace dsselect::deploy {

using nlohmann::ordered_json;

std::optional<Target> parse_target(const std::string& text) {
    if (text == "shell") {
        return Target::shell;
    }
    if (text == "compose") {
        return Target::compose;
    }
    if (text == "kubernetes") {
        return Target::kubernetes;
    }
    return std::nullopt;
}

const char* to_string(Target target) {
    switch (target) {
    case Target::shell: return "shell";
    case Target::compose: return "compose";
    case Target::kubernetes: return "kubernetes";
    }
    return "shell";
}

namespace {

[[noreturn]] void refuse(const std::string& message, const std::string& hint = {}) {
    throw Error(ErrorKind::usage, message, hint);
}
[[noreturn]] void missing_data(const std::string& message) { throw Error(ErrorKind::invalid_data, message); }

// "1", "0.9", "0.88": shortest round trip of the engine fraction.
std::string number(double value) { return fmt::format("{:g}", value); }

// --- YAML: block style from a JSON tree; every string double-quoted (JSON escapes are YAML's) ---

bool plain_key(const std::string& key) {
    return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.' || c == '/';
    });
}

std::string scalar(const ordered_json& value) {
    if (value.is_string()) {
        return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    return value.dump();
}

bool is_collection(const ordered_json& value) { return value.is_object() || value.is_array(); }

void emit_yaml(const ordered_json& node, int indent, std::string& out);

void emit_item(const ordered_json& value, int indent, std::string& out) {
    if (!is_collection(value)) {
        out += ' ' + scalar(value) + '\n';
    } else if (value.empty()) {
        out += value.is_object() ? " {}\n" : " []\n";
    } else {
        out += '\n';
        emit_yaml(value, indent, out);
    }
}

void emit_yaml(const ordered_json& node, int indent, std::string& out) {
    const std::string pad(static_cast<std::size_t>(indent), ' ');
    if (node.is_object()) {
        for (const auto& [key, value] : node.items()) {
            out += pad + (plain_key(key) ? key : ordered_json(key).dump()) + ':';
            emit_item(value, indent + 2, out);
        }
        return;
    }
    for (const auto& value : node) {
        if (value.is_object() && !value.empty()) {
            std::string inner;
            emit_yaml(value, indent + 2, inner);
            out += pad + "- " + inner.substr(static_cast<std::size_t>(indent) + 2);
        } else if (!is_collection(value)) {
            out += pad + "- " + scalar(value) + '\n';
        } else {
            out += pad + "-";
            emit_item(value, indent + 2, out);
        }
    }
}

std::string yaml(const ordered_json& document) {
    std::string out;
    emit_yaml(document, 0, out);
    return out;
}

// POSIX shell quoting, as shell_command_line does for the CLI.
std::string shell_word(const std::string& word) {
    const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || std::string_view("@%+=:,./_-").find(c) != std::string_view::npos;
    });
    if (plain) {
        return word;
    }
    std::string quoted = "'";
    for (char c : word) {
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return quoted + "'";
}

// A DNS-1123 label: lower-case alphanumerics and '-', at most 63 characters.
std::string dns_label(const std::string& text) {
    std::string out;
    for (char c : text) {
        const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (std::isalnum(static_cast<unsigned char>(lower)) != 0) {
            out += lower;
        } else if (!out.empty() && out.back() != '-') {
            out += '-';
        }
    }
    while (!out.empty() && out.back() == '-') {
        out.pop_back();
    }
    if (out.size() > 63) {
        out.resize(63);
        while (!out.empty() && out.back() == '-') {
            out.pop_back();
        }
    }
    return out.empty() ? "dsselect" : out;
}

// --- settings ------------------------------------------------------------------------------

Artefact find_artefact(const DeployTable& table, const Model& model, const EngineFormat& format,
                       const std::string& format_name) {
    for (const std::string& wanted : format.artefacts) {
        for (const Artefact& artefact : table.artefacts) {
            if (artefact.model == model.id && artefact.format == wanted) {
                Artefact found = artefact;
                found.placeholder = found.repository.find("<fill in") != std::string::npos ||
                                    found.file.find("<fill in") != std::string::npos;
                return found;
            }
        }
    }
    Artefact placeholder;
    placeholder.model = model.id;
    placeholder.format = format.artefacts.empty() ? format_name : format.artefacts.front();
    placeholder.placeholder = true;
    const bool fictional = model.family == "deepseek-guide";
    const std::string why = fictional ? "the source document's model family has no public weights"
                                      : "no public repository was verified for it";
    placeholder.repository = fmt::format("<fill in: repository of the {} weights of {}>", placeholder.format, model.name);
    if (placeholder.format.rfind("gguf:", 0) == 0) {
        placeholder.file = fmt::format("<fill in: {} GGUF file of {}>", placeholder.format.substr(5), model.name);
    }
    placeholder.source = fmt::format("placeholder: {}; fill it in before use", why);
    return placeholder;
}

struct Builder {
    const EngineDeploy& engine;
    Plan& plan;
    void add(const std::string& setting, const std::string& value) {
        const FlagSpec& spec = engine.flag(setting);
        plan.flags.push_back({setting, spec.flag, value, spec.source});
        plan.command.push_back(spec.flag);
        plan.command.push_back(value);
    }
    // A flag without a value (a switch).
    void add_switch(const std::string& setting) {
        const FlagSpec& spec = engine.flag(setting);
        plan.flags.push_back({setting, spec.flag, "", spec.source});
        plan.command.push_back(spec.flag);
    }
};

void build_command(const EngineDeploy& engine, Plan& plan) {
    const Settings& s = plan.settings;
    plan.command = engine.command;
    Builder b{engine, plan};
    if (engine.model_argument == "positional") {
        plan.command.push_back(plan.model_reference);
    } else {
        // The model flag is a setting like the others ("model" in the table).
        b.add("model", plan.model_reference);
    }
    if (engine.flags.count("backend") != 0) {
        b.add("backend", "pytorch");
    }
    b.add("host", "0.0.0.0");
    b.add("port", std::to_string(engine.port));
    if (s.tensor_parallel_size) {
        b.add("tensor_parallel", std::to_string(*s.tensor_parallel_size));
    }
    if (s.pipeline_parallel_size) {
        b.add("pipeline_parallel", std::to_string(*s.pipeline_parallel_size));
    }
    if (s.gpu_layers) {
        b.add("gpu_layers", std::to_string(*s.gpu_layers));
    }
    b.add("context_length", std::to_string(s.total_context ? *s.total_context : s.context_length));
    b.add("max_sequences", std::to_string(s.max_sequences));
    if (s.memory_fraction) {
        b.add("memory_fraction", number(*s.memory_fraction));
    }
    if (s.max_batched_tokens) {
        b.add("max_batched_tokens", std::to_string(*s.max_batched_tokens));
    }
    if (s.cuda_graph_max_batch) {
        b.add("cuda_graph_max_batch", std::to_string(*s.cuda_graph_max_batch));
    }
    if (s.chunked_prefill) {
        b.add_switch("chunked_prefill");
    }
    if (!s.split_mode.empty()) {
        b.add("split_mode", s.split_mode);
    }
    if (s.threads) {
        b.add("threads", std::to_string(*s.threads));
    }
    if (!s.dtype.empty()) {
        b.add("dtype", s.dtype);
    }
    if (!s.quantization.empty()) {
        b.add("quantization", s.quantization);
    }
    if (!s.kv_cache_dtype.empty()) {
        b.add("kv_cache_dtype", s.kv_cache_dtype);
    }
}

// --- files ---------------------------------------------------------------------------------

std::string header(const Plan& p, const std::string& comment) {
    const Settings& s = p.settings;
    const Scenario& sc = p.scenario;
    std::vector<std::string> lines;
    lines.push_back(fmt::format("Generated by dsselect {} (dsselect deploy --target {}). Review before use.", DSSELECT_VERSION,
                                to_string(p.target)));
    lines.push_back(fmt::format("Scenario: {} ({:g} QPS, prompt {} + output {} tokens, context {})", sc.id, sc.workload.qps,
                                sc.workload.prompt_tokens, sc.workload.output_tokens, s.context_length));
    lines.push_back(fmt::format("Candidate: {} on {}: {} replica(s) x {} GPU(s) = {} GPUs, batch {} per replica", p.candidate,
                                p.engine_id, s.replicas, s.gpus_per_replica, s.gpus, s.max_sequences));
    lines.push_back(fmt::format("Expected capacity: {:.1f} QPS (needs {:.1f} with headroom); TTFT {:.1f} ms ({:.1f} ms at "
                                "the scenario's load), TPOT {:.2f} ms, latency {:.1f} ms",
                                p.expected.capacity_qps, p.expected.required_qps, p.expected.ttft_ms,
                                p.expected.ttft_at_load_ms, p.expected.tpot_ms, p.expected.latency_ms));
    lines.push_back(fmt::format("Yearly cost: {:.0f} USD (inference + maintenance, dsselect tco)", p.expected.yearly_usd));
    lines.push_back(fmt::format("Model: {}{}{}", p.artefact.repository, p.artefact.file.empty() ? "" : " file ", p.artefact.file));
    if (p.artefact.placeholder) {
        lines.push_back("PLACEHOLDER: the model reference above must be filled in by you; dsselect knows no verified repository.");
    }
    lines.push_back("A different engine setting changes the capacity the cost was computed for: docs/deploy.md.");
    std::string out;
    for (std::string line : lines) {
        // Ids and names come from user files too: a control character must not end the comment.
        std::replace_if(line.begin(), line.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }, ' ');
        out += comment + ' ' + line + '\n';
    }
    return out;
}

std::string shell_file(const Plan& p) {
    std::string out = "#!/bin/sh\n" + header(p, "#");
    out += fmt::format("# Start one replica; run it on each of the {} replica host(s), each with {} GPU(s).\n",
                       p.settings.replicas, p.settings.gpus_per_replica);
    out += fmt::format("# Readiness: GET http://HOST:{}{}\n", p.port, p.health_path);
    out += "set -eu\nexec";
    for (std::size_t i = 0; i < p.command.size(); ++i) {
        const bool flag = i > 0 && !p.command[i].empty() && p.command[i][0] == '-';
        out += (flag ? " \\\n  " : " ") + shell_word(p.command[i]);
    }
    out += "\n";
    return out;
}

std::string compose_file(const Plan& p, const DeployTable& table) {
    const Settings& s = p.settings;
    const VendorInfo& vendor = table.vendors.at(p.vendor);
    ordered_json services = ordered_json::object();
    for (std::int64_t r = 0; r < s.replicas; ++r) {
        ordered_json service;
        service["image"] = p.image;
        service["entrypoint"] = p.command;
        service["ports"] = ordered_json::array({fmt::format("{}:{}", p.port + r, p.port)});
        service["ipc"] = "host";
        std::vector<std::string> ids;
        for (std::int64_t g = 0; g < s.gpus_per_replica; ++g) {
            ids.push_back(std::to_string(r * s.gpus_per_replica + g));
        }
        if (!vendor.compose_driver.empty()) {
            ordered_json device;
            device["driver"] = vendor.compose_driver;
            device["device_ids"] = ids;
            device["capabilities"] = ordered_json::array({"gpu"});
            service["deploy"]["resources"]["reservations"]["devices"] = ordered_json::array({device});
        } else {
            service["devices"] = ordered_json::array({"/dev/kfd", "/dev/dri"});
            service["group_add"] = ordered_json::array({"video"});
            std::string visible;
            for (const auto& id : ids) {
                visible += (visible.empty() ? "" : ",") + id;
            }
            service["environment"]["HIP_VISIBLE_DEVICES"] = visible;
        }
        if (p.settings.gguf_type.size() > 0) {
            service["volumes"] = ordered_json::array({"./models:/models:ro"});
        }
        services[fmt::format("{}-{}", dns_label(p.engine_id), r)] = service;
    }
    ordered_json root;
    root["services"] = services;
    std::string out = header(p, "#");
    out += fmt::format("# One service per replica on one host with {} GPUs; service r listens on port {} + r.\n", s.gpus,
                       p.port);
    return out + yaml(root);
}

ordered_json container(const Plan& p, const std::string& name, const std::vector<std::string>& command,
                       const std::vector<std::string>& args, std::int64_t gpus, const std::string& resource, bool probe) {
    ordered_json c;
    c["name"] = name;
    c["image"] = p.image;
    c["command"] = command;
    c["args"] = args;
    ordered_json port;
    port["name"] = "http";
    port["containerPort"] = p.port;
    c["ports"] = ordered_json::array({port});
    c["resources"]["limits"][resource] = std::to_string(gpus);
    if (probe) {
        ordered_json readiness;
        readiness["httpGet"]["path"] = p.health_path;
        readiness["httpGet"]["port"] = "http";
        readiness["initialDelaySeconds"] = 60;
        readiness["periodSeconds"] = 10;
        readiness["failureThreshold"] = 180;
        c["readinessProbe"] = readiness;
    }
    ordered_json shm;
    shm["name"] = "dshm";
    shm["mountPath"] = "/dev/shm";
    c["volumeMounts"] = ordered_json::array({shm});
    if (!p.settings.gguf_type.empty()) {
        ordered_json models;
        models["name"] = "models";
        models["mountPath"] = "/models";
        models["readOnly"] = true;
        c["volumeMounts"].push_back(models);
    }
    return c;
}

ordered_json pod_volumes(const Plan& p) {
    ordered_json shm;
    shm["name"] = "dshm";
    shm["emptyDir"]["medium"] = "Memory";
    ordered_json volumes = ordered_json::array({shm});
    if (!p.settings.gguf_type.empty()) {
        ordered_json models;
        models["name"] = "models";
        models["hostPath"]["path"] = "/models";
        models["hostPath"]["type"] = "Directory";
        volumes.push_back(models);
    }
    return volumes;
}

std::string kubernetes_file(const Plan& p, const DeployTable& table, const EngineDeploy& engine) {
    const Settings& s = p.settings;
    const std::string resource = table.vendors.at(p.vendor).resource;
    const std::string name = dns_label("dsselect-" + p.scenario.id + "-" + p.engine_id);
    ordered_json labels;
    labels["app.kubernetes.io/name"] = name;
    labels["app.kubernetes.io/managed-by"] = "dsselect";
    ordered_json annotations;
    annotations["dsselect/candidate"] = p.candidate;
    annotations["dsselect/engine"] = p.engine_id;
    annotations["dsselect/capacity-qps"] = fmt::format("{:.1f}", p.expected.capacity_qps);
    annotations["dsselect/yearly-usd"] = fmt::format("{:.0f}", p.expected.yearly_usd);
    const std::string container_name = dns_label(p.engine_id);
    const std::vector<std::string> program(p.command.begin(), p.command.begin() + static_cast<std::ptrdiff_t>(engine.command.size()));
    const std::vector<std::string> args(p.command.begin() + static_cast<std::ptrdiff_t>(engine.command.size()), p.command.end());

    ordered_json workload;
    ordered_json selector;
    selector["app.kubernetes.io/name"] = name;
    if (s.nodes_per_replica == 1) {
        workload["apiVersion"] = "apps/v1";
        workload["kind"] = "Deployment";
        workload["metadata"]["name"] = name;
        workload["metadata"]["labels"] = labels;
        workload["metadata"]["annotations"] = annotations;
        workload["spec"]["replicas"] = s.replicas;
        workload["spec"]["selector"]["matchLabels"] = selector;
        workload["spec"]["template"]["metadata"]["labels"] = labels;
        workload["spec"]["template"]["spec"]["containers"] =
            ordered_json::array({container(p, container_name, program, args, s.gpus_per_replica, resource, true)});
        workload["spec"]["template"]["spec"]["volumes"] = pod_volumes(p);
    } else {
        // A replica wider than a node: LeaderWorkerSet (sigs.k8s.io/lws), one pod per node.
        const std::int64_t per_node = s.gpus_per_replica / s.nodes_per_replica;
        std::vector<std::string> leader_args;
        std::vector<std::string> worker_args;
        std::vector<std::string> shell = {"/bin/sh", "-c"};
        std::string joined;
        for (const auto& word : p.command) {
            joined += (joined.empty() ? "" : " ") + shell_word(word);
        }
        std::vector<std::string> leader_command = shell;
        std::vector<std::string> worker_command = shell;
        if (engine.multi_node == "ray") {
            leader_args = {"ray start --head --port=6379 && exec " + joined};
            worker_args = {"exec ray start --address=$LWS_LEADER_ADDRESS:6379 --block"};
        } else {
            const std::string nodes = fmt::format(" {} {} {} $LWS_WORKER_INDEX {} $LWS_LEADER_ADDRESS:20000",
                                                  engine.flag("nodes").flag, s.nodes_per_replica, engine.flag("node_rank").flag,
                                                  engine.flag("dist_init_addr").flag);
            leader_args = {"exec " + joined + nodes};
            worker_args = leader_args;
        }
        ordered_json leader_labels = labels;
        leader_labels["role"] = "leader";
        workload["apiVersion"] = "leaderworkerset.x-k8s.io/v1";
        workload["kind"] = "LeaderWorkerSet";
        workload["metadata"]["name"] = name;
        workload["metadata"]["labels"] = labels;
        workload["metadata"]["annotations"] = annotations;
        workload["spec"]["replicas"] = s.replicas;
        auto& lws = workload["spec"]["leaderWorkerTemplate"];
        lws["size"] = s.nodes_per_replica;
        lws["restartPolicy"] = "RecreateGroupOnPodRestart";
        lws["leaderTemplate"]["metadata"]["labels"] = leader_labels;
        lws["leaderTemplate"]["spec"]["containers"] =
            ordered_json::array({container(p, container_name, leader_command, leader_args, per_node, resource, true)});
        lws["leaderTemplate"]["spec"]["volumes"] = pod_volumes(p);
        lws["workerTemplate"]["metadata"]["labels"] = labels;
        lws["workerTemplate"]["spec"]["containers"] =
            ordered_json::array({container(p, container_name, worker_command, worker_args, per_node, resource, false)});
        lws["workerTemplate"]["spec"]["volumes"] = pod_volumes(p);
        selector["role"] = "leader";
    }
    ordered_json service;
    service["apiVersion"] = "v1";
    service["kind"] = "Service";
    service["metadata"]["name"] = name;
    service["metadata"]["labels"] = labels;
    service["spec"]["selector"] = selector;
    ordered_json port;
    port["name"] = "http";
    port["port"] = 80;
    port["targetPort"] = "http";
    service["spec"]["ports"] = ordered_json::array({port});
    std::string out = header(p, "#");
    out += fmt::format("# {} replica(s) of {} GPU(s) ({} per pod), resource {}.\n", s.replicas, s.gpus_per_replica,
                       s.gpus_per_replica / s.nodes_per_replica, resource);
    out += "---\n" + yaml(workload) + "---\n" + yaml(service);
    return out;
}

}  // namespace

Plan plan_deployment(const Catalog& catalog, const Scenario& scenario, const Candidate& candidate, Target target,
                     const DeployTable& table) {
    if (candidate.model == nullptr || candidate.variant == nullptr || candidate.hardware == nullptr) {
        throw Error(ErrorKind::internal, "deploy: an unresolved candidate");
    }
    const auto refuse_rejected = [&] {
        throw Error(ErrorKind::unsatisfiable,
                    fmt::format("{} is rejected for scenario '{}' ({}): there is no judged configuration to deploy",
                                candidate.label(), scenario.id,
                                candidate.rejection ? candidate.rejection->detail() : std::string("not costed")));
    };
    // A search's engine miss is worded by the engine checks below (exit 2 naming the setting).
    const bool engine_miss = candidate.rejection && candidate.rejection->reason == "engine";
    if (!engine_miss && (!candidate.accepted() || !candidate.costed)) {
        refuse_rejected();
    }
    const Model& model = *candidate.model;
    const Variant& variant = *candidate.variant;
    const Hardware& hardware = *candidate.hardware;
    Plan plan;
    plan.scenario = scenario;
    plan.candidate = candidate.label();
    plan.model_id = model.id;
    plan.variant_id = variant.id;
    plan.hardware_id = hardware.id;
    plan.engine_id = scenario.engine_id.empty() ? k_default_engine_id : scenario.engine_id;
    plan.target = target;

    const EngineDeploy* engine = table.find_engine(plan.engine_id);
    if (engine == nullptr) {
        missing_data(fmt::format("data/deploy.json has no launch flags for engine '{}'", plan.engine_id));
    }
    const Engine* profile_engine = catalog.find_engine(plan.engine_id);
    const EfficiencyProfile profile = engine_profile(profile_engine, hardware, variant.compute_precision);

    // Hardware vendor: which device resource, image and reservation.
    auto vendor = table.hardware_vendor.find(hardware.id);
    if (vendor == table.hardware_vendor.end()) {
        missing_data(fmt::format("data/deploy.json names no vendor for hardware '{}' (needed for the container image "
                                 "and the GPU resource)",
                                 hardware.id));
    }
    plan.vendor = vendor->second;
    if (plan.vendor == "edge") {
        if (target != Target::shell) {
            refuse(fmt::format("--target {}: hardware '{}' is an edge device; only --target shell is written for it",
                               to_string(target), hardware.id));
        }
    } else if (table.vendors.count(plan.vendor) == 0) {
        missing_data(fmt::format("data/deploy.json: vendor '{}' of hardware '{}' has no entry", plan.vendor, hardware.id));
    }
    if (!engine->vendors.empty() && plan.vendor != "edge" &&
        std::find(engine->vendors.begin(), engine->vendors.end(), plan.vendor) == engine->vendors.end()) {
        refuse(fmt::format("--engine {}: runs on {} GPUs only; hardware '{}' is {}", plan.engine_id,
                           fmt::join(engine->vendors, ", "), hardware.id, plan.vendor));
    }
    if (plan.vendor != "edge") {
        auto image = engine->images.find(plan.vendor);
        if (image == engine->images.end()) {
            refuse(fmt::format("--engine {}: no container image for {} hardware ('{}') in data/deploy.json", plan.engine_id,
                               plan.vendor, hardware.id));
        }
        plan.image = image->second;
    }

    // Variant -> weight format -> the engine's setting.
    const VariantFormat* variant_format = table.find_variant(variant.id);
    if (variant_format == nullptr) {
        missing_data(fmt::format("data/deploy.json maps variant '{}' to no weight format; add it to \"variants\"", variant.id));
    }
    if (!variant_format->refused.empty()) {
        missing_data(fmt::format("variant '{}' cannot be deployed: {}", variant.id, variant_format->refused));
    }
    Settings& s = plan.settings;
    s.format = variant_format->format;
    if (auto why = engine->refused.find(s.format); why != engine->refused.end()) {
        refuse(fmt::format("--engine {} cannot run variant '{}' (quantization {}): {}", plan.engine_id, variant.id, s.format,
                           why->second),
               "pass a candidate with another variant, or another --engine");
    }
    auto format = engine->formats.find(s.format);
    if (format == engine->formats.end()) {
        missing_data(fmt::format("data/deploy.json: engine '{}' has no entry for quantization '{}' (variant '{}')",
                                 plan.engine_id, s.format, variant.id));
    }
    s.dtype = format->second.dtype;
    s.quantization = format->second.quantization;
    s.gguf_type = format->second.gguf;
    const std::string kv_bits = fmt::format("{:g}", variant.kv_cache_bits);
    if (auto why = engine->refused.find("kv_cache_" + kv_bits); why != engine->refused.end()) {
        refuse(fmt::format("--engine {} cannot run variant '{}' (KV cache dtype, {} bits): {}", plan.engine_id, variant.id,
                           kv_bits, why->second));
    }
    auto kv = engine->kv_cache.find(kv_bits);
    if (kv == engine->kv_cache.end()) {
        missing_data(fmt::format("data/deploy.json: engine '{}' has no KV cache dtype for {}-bit KV (variant '{}')",
                                 plan.engine_id, kv_bits, variant.id));
    }
    s.kv_cache_dtype = kv->second;

    if (engine_miss) {
        refuse_rejected();
    }
    // Layout: the recommendation's numbers.
    s.gpus_per_replica = candidate.gpus_per_replica;
    s.replicas = candidate.replicas;
    s.gpus = s.gpus_per_replica * s.replicas;
    s.max_sequences = candidate.batch;
    s.context_length = scenario.workload.context_tokens > 0
                           ? scenario.workload.context_tokens
                           : scenario.workload.prompt_tokens + scenario.workload.output_tokens;
    const std::int64_t per_node = std::max<std::int64_t>(1, hardware.max_devices_per_node);
    s.nodes_per_replica = (s.gpus_per_replica + per_node - 1) / per_node;
    if (s.nodes_per_replica > 1) {
        if (target != Target::kubernetes) {
            refuse(fmt::format("--target {}: a replica of {} x {} spans {} nodes ({} GPUs per node); use --target kubernetes "
                               "(LeaderWorkerSet)",
                               to_string(target), s.gpus_per_replica, hardware.id, s.nodes_per_replica, per_node));
        }
        if (engine->multi_node.empty()) {
            refuse(fmt::format("--engine {}: a replica of {} GPUs spans {} nodes and dsselect writes no multi-node launch for "
                               "this engine",
                               plan.engine_id, s.gpus_per_replica, s.nodes_per_replica));
        }
        if (s.gpus_per_replica % s.nodes_per_replica != 0) {
            refuse(fmt::format("{}: {} GPUs per replica do not split evenly over {} nodes", plan.candidate, s.gpus_per_replica,
                               s.nodes_per_replica));
        }
    }
    if (profile.layer_split) {
        // llama.cpp: layers split over the replica's GPUs; all layers (and the output layer) on the GPU.
        s.gpu_layers = model.architecture.num_hidden_layers + 1;
        s.split_mode = s.gpus_per_replica > 1 ? "layer" : "none";
        s.threads = engine->threads > 0 ? std::optional<std::int64_t>(engine->threads) : std::nullopt;
        s.total_context = s.context_length * s.max_sequences;  // -c is shared by the -np slots
    } else {
        s.tensor_parallel_size = s.gpus_per_replica;
        if (engine->flags.count("pipeline_parallel") != 0) {
            s.pipeline_parallel_size = 1;
        }
    }
    if (engine->flags.count("memory_fraction") != 0) {
        s.memory_fraction = profile.usable_memory_fraction;
    }
    if (engine->flags.count("max_batched_tokens") != 0) {
        s.max_batched_tokens = std::max(profile.max_batched_tokens, s.max_sequences);
    }
    // The estimate sizes activations for a chunked prefill of max_batched_tokens per step.
    s.chunked_prefill = engine->flags.count("chunked_prefill") != 0;
    // The estimate replays a CUDA graph for every decode-only step; SGLang captures graphs up to a
    // batch that its memory tier and TP size set (8 to 512), and decodes a larger batch eagerly.
    // SGLang captures sizes on a grid (1, 2, 4, 8, 12, then steps of 8, 16 and 32) cut at this
    // value: the search's batches are powers of two, all on the grid, so the full batch has a graph.
    if (engine->flags.count("cuda_graph_max_batch") != 0) {
        s.cuda_graph_max_batch = s.max_sequences;
    }

    // Expected numbers, as the recommendation printed them.
    plan.expected.capacity_qps = candidate.capacity_qps;
    plan.expected.required_qps = scenario.workload.qps * (1.0 + scenario.constraints.headroom);
    plan.expected.ttft_ms = candidate.estimate.performance.ttft_ms;
    plan.expected.ttft_at_load_ms = candidate.ttft_at_load_ms;
    plan.expected.tpot_ms = candidate.estimate.performance.tpot_ms;
    plan.expected.latency_ms = candidate.estimate.performance.latency_ms;
    plan.expected.yearly_usd = candidate.cost.yearly_usd;

    // The model the command names.
    plan.artefact = find_artefact(table, model, format->second, s.format);
    // An engine that reads the KV-cache type from the checkpoint (data/engines.json kv_cache_dtype
    // "fp8") runs a 16-bit cache for a checkpoint whose quantization config names none; a plan sized
    // for FP8 KV would then promise twice the sequences the engine holds.
    const std::optional<double> planned_kv_bits = kv_cache_bits_for(profile_engine, model, variant, std::nullopt, &hardware);
    if (plan.artefact.kv_cache_dtype == "auto" && engine_kv_cache_dtype(profile_engine, model, variant) == "fp8" &&
        planned_kv_bits == 8.0) {
        const auto said = model.checkpoint_kv_cache_dtype.find(serving_format(variant));
        refuse(fmt::format("--engine {}: the plan holds an FP8 KV cache ({}: {} takes the KV-cache type "
                           "from the checkpoint; model '{}' checkpoint_kv_cache_dtype {}), but checkpoint {} names no "
                           "KV-cache quantization (data/deploy.json), so the engine would run a 16-bit cache with fewer "
                           "sequences than planned",
                           plan.engine_id, profile_engine->file_of("kv_cache_dtype/" + serving_format(variant)), plan.engine_id, model.id,
                           said != model.checkpoint_kv_cache_dtype.end() ? "\"" + said->second + "\"" : std::string("not given"),
                           plan.artefact.repository),
               fmt::format("set model '{}' checkpoint_kv_cache_dtype to {{\"{}\": \"auto\"}} in your --data catalog, or pass "
                           "--engine vllm or --engine sglang, whose plan is sized for the 16-bit cache this checkpoint runs",
                           model.id, serving_format(variant)));
    }
    plan.model_reference = s.gguf_type.empty() ? plan.artefact.repository : "/models/" + plan.artefact.file;
    plan.port = engine->port;
    plan.health_path = engine->health_path;
    build_command(*engine, plan);

    // Notes: what the reader must know.
    if (plan.artefact.placeholder) {
        plan.notes.push_back(fmt::format("model reference is a placeholder you must fill in: {}", plan.artefact.source));
    }
    if (!variant_format->note.empty()) {
        plan.notes.push_back(fmt::format("variant {}: {}", variant.id, variant_format->note));
    }
    if (!format->second.note.empty()) {
        plan.notes.push_back(fmt::format("{} {}: {}", plan.engine_id, s.format, format->second.note));
    }
    if (!format->second.checkpoint.empty()) {
        plan.notes.push_back(fmt::format("{} {}: {}", plan.engine_id, s.format, format->second.checkpoint));
    }
    for (const std::string& note : engine->notes) {
        plan.notes.push_back(fmt::format("{}: {}", plan.engine_id, note));
    }
    if (!scenario.tasks.empty()) {
        plan.notes.push_back(fmt::format("scenario '{}' serves {} tasks: the estimate holds their adapters, but no adapter "
                                         "flag is in the verified table; load the adapters yourself",
                                         scenario.id, scenario.tasks.size()));
    }
    if (s.total_context) {
        plan.notes.push_back(fmt::format("llama.cpp shares -c among the -np slots: {} = context {} x {} slots", *s.total_context,
                                         s.context_length, s.max_sequences));
    }
    if (s.threads) {
        plan.notes.push_back(fmt::format("-t {}: {}", *s.threads, engine->threads_source));
    }
    if (!plan.image.empty()) {
        plan.notes.push_back(fmt::format("image {}: {}", plan.image, engine->images_source));
    }
    if (s.nodes_per_replica > 1) {
        plan.notes.push_back(fmt::format("each replica spans {} nodes: tensor parallel {} across them, as estimated",
                                         s.nodes_per_replica, s.gpus_per_replica));
    }
    if (target == Target::compose && s.gpus > per_node) {
        plan.notes.push_back(fmt::format("compose runs every replica on one host: it needs {} GPUs, more than the {} of one "
                                         "{} node; use kubernetes or split the services over hosts",
                                         s.gpus, per_node, hardware.id));
    }

    switch (target) {
    case Target::shell: plan.files.push_back({"deploy.sh", shell_file(plan)}); break;
    case Target::compose: plan.files.push_back({"compose.yaml", compose_file(plan, table)}); break;
    case Target::kubernetes: plan.files.push_back({"kubernetes.yaml", kubernetes_file(plan, table, *engine)}); break;
    }
    return plan;
}

std::string deployment_json(const Plan& p) {
    const Settings& s = p.settings;
    auto optional_int = [](const std::optional<std::int64_t>& v) { return v ? ordered_json(*v) : ordered_json(nullptr); };
    auto optional_text = [](const std::string& v) { return v.empty() ? ordered_json(nullptr) : ordered_json(v); };
    ordered_json out;
    out["schema_version"] = k_schema_version;  // every document's (README, "Using dsselect in CI")
    out["kind"] = "Deployment";
    out["scenario"]["id"] = p.scenario.id;
    out["scenario"]["qps"] = p.scenario.workload.qps;
    out["scenario"]["prompt_tokens"] = p.scenario.workload.prompt_tokens;
    out["scenario"]["output_tokens"] = p.scenario.workload.output_tokens;
    out["scenario"]["context_tokens"] = s.context_length;
    out["candidate"] = p.candidate;
    out["model"] = p.model_id;
    out["variant"] = p.variant_id;
    out["hardware"] = p.hardware_id;
    out["engine"] = p.engine_id;
    out["target"] = to_string(p.target);
    out["vendor"] = p.vendor;
    out["image"] = optional_text(p.image);
    ordered_json settings;
    settings["gpus_per_replica"] = s.gpus_per_replica;
    settings["replicas"] = s.replicas;
    settings["gpus"] = s.gpus;
    settings["nodes_per_replica"] = s.nodes_per_replica;
    settings["tensor_parallel_size"] = optional_int(s.tensor_parallel_size);
    settings["pipeline_parallel_size"] = optional_int(s.pipeline_parallel_size);
    settings["max_sequences"] = s.max_sequences;
    settings["context_length"] = s.context_length;
    settings["memory_fraction"] = s.memory_fraction ? ordered_json(*s.memory_fraction) : ordered_json(nullptr);
    settings["max_batched_tokens"] = optional_int(s.max_batched_tokens);
    settings["cuda_graph_max_batch"] = optional_int(s.cuda_graph_max_batch);
    settings["chunked_prefill"] = s.chunked_prefill;
    settings["quantization_format"] = s.format;
    settings["dtype"] = optional_text(s.dtype);
    settings["quantization"] = optional_text(s.quantization);
    settings["kv_cache_dtype"] = optional_text(s.kv_cache_dtype);
    settings["gguf_type"] = optional_text(s.gguf_type);
    settings["gpu_layers"] = optional_int(s.gpu_layers);
    settings["split_mode"] = optional_text(s.split_mode);
    settings["threads"] = optional_int(s.threads);
    settings["total_context"] = optional_int(s.total_context);
    out["settings"] = settings;
    ordered_json expected;
    expected["capacity_qps"] = report::round_to(p.expected.capacity_qps, 4);
    expected["required_qps"] = report::round_to(p.expected.required_qps, 4);
    expected["ttft_ms"] = report::round_to(p.expected.ttft_ms, 4);
    expected["ttft_at_load_ms"] = report::round_to(p.expected.ttft_at_load_ms, 4);
    expected["tpot_ms"] = report::round_to(p.expected.tpot_ms, 4);
    expected["latency_ms"] = report::round_to(p.expected.latency_ms, 4);
    expected["yearly_usd"] = report::round_to(p.expected.yearly_usd, 2);
    out["expected"] = expected;
    ordered_json artefact;
    artefact["format"] = p.artefact.format;
    artefact["repository"] = p.artefact.repository;
    artefact["file"] = optional_text(p.artefact.file);
    artefact["placeholder"] = p.artefact.placeholder;
    artefact["source"] = p.artefact.source;
    out["artefact"] = artefact;
    out["command"] = p.command;
    ordered_json flags = ordered_json::array();
    for (const auto& flag : p.flags) {
        ordered_json f;
        f["setting"] = flag.setting;
        f["flag"] = flag.flag;
        f["value"] = flag.value;
        f["source"] = flag.source;
        flags.push_back(f);
    }
    out["flags"] = flags;
    out["port"] = p.port;
    out["health_path"] = p.health_path;
    ordered_json files = ordered_json::array();
    for (const auto& file : p.files) {
        ordered_json f;
        f["path"] = file.path;
        f["bytes"] = file.content.size();
        f["content"] = file.content;
        files.push_back(f);
    }
    out["files"] = files;
    out["notes"] = p.notes;
    return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace dsselect::deploy
