#pragma once
// From a judged candidate to the engine's launch command and deployment files (docs/deploy.md).
// Every setting is derived from the numbers the recommendation printed: tensor parallel size =
// GPUs per replica, replicas, max concurrent sequences = batch, context = the scenario's, memory
// fraction = the engine profile's. Flag names come from the sourced table in data/deploy.json;
// a combination the table does not cover is refused (ErrorKind::usage for a flag combination,
// ErrorKind::invalid_data for missing data), never guessed.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dsselect/catalog/types.hpp"
#include "dsselect/select/candidate.hpp"

namespace dsselect::deploy {

enum class Target { shell, compose, kubernetes };
inline constexpr const char* k_target_names = "shell, compose, kubernetes";
std::optional<Target> parse_target(const std::string& text);
const char* to_string(Target target);

// --- the table (data/deploy.json) ------------------------------------------------------------

struct FlagSpec {
    std::string flag;    // e.g. "--max-num-seqs"
    std::string source;  // documentation URL or repository file, with the version read
};

// How an engine serves one weight format ("fp8", "int4-w4a16", ...).
struct EngineFormat {
    std::string dtype;         // --dtype value; empty: none
    std::string quantization;  // --quantization value; empty: none
    std::string gguf;          // llama.cpp GGUF type, e.g. "Q4_K_M"
    std::string checkpoint;    // the format is read from the checkpoint (no flag): why
    std::vector<std::string> artefacts;  // artefact formats that fit, in preference order
    std::string note;
};

struct EngineDeploy {
    std::string id;
    std::vector<std::string> command;  // the program and fixed arguments
    std::string model_argument;        // "positional" or the flag naming the model
    std::int64_t port = 8000;
    std::string health_path;
    std::map<std::string, std::string> images;  // vendor -> container image
    std::string images_source;
    std::string multi_node;  // "ray", "sglang" or "" (one node per replica only)
    std::int64_t threads = 0;
    std::string threads_source;
    std::map<std::string, FlagSpec> flags;  // setting name -> flag
    std::map<std::string, EngineFormat> formats;
    std::map<std::string, std::string> kv_cache;  // KV bits ("16") -> value ("" = no flag)
    std::map<std::string, std::string> refused;   // format or "kv_cache_<bits>" -> why
    std::vector<std::string> vendors;             // empty: any
    std::vector<std::string> notes;               // shown with every plan of the engine

    // The flag of a setting; throws invalid_data when the table has none.
    const FlagSpec& flag(const std::string& setting) const;
};

struct VariantFormat {
    std::string id;
    std::string format;   // empty when refused
    std::string refused;  // why no engine can serve it
    std::string note;
};

struct Artefact {
    std::string model;
    std::string format;      // "16-bit", "fp8", "awq", "gguf:Q4_K_M", ...
    std::string repository;  // public repository id, or a "<fill in: ...>" placeholder
    std::string file;        // GGUF file inside the repository; empty otherwise
    std::string source;
    // The KV-cache type the checkpoint's quantization config names: "fp8", "auto" (it names none,
    // so an engine that reads the KV type from the checkpoint runs a 16-bit cache); empty: not stated.
    std::string kv_cache_dtype;
    bool placeholder = false;
};

struct VendorInfo {
    std::string resource;        // Kubernetes extended resource, e.g. "nvidia.com/gpu"
    std::string compose_driver;  // Compose reservation driver; empty: device files
    std::string source;
};

struct DeployTable {
    std::string source;
    std::vector<EngineDeploy> engines;
    std::vector<VariantFormat> variants;
    std::map<std::string, std::string> hardware_vendor;  // hardware id -> "nvidia", "amd", "edge"
    std::map<std::string, VendorInfo> vendors;
    std::vector<Artefact> artefacts;

    const EngineDeploy* find_engine(const std::string& id) const;
    const VariantFormat* find_variant(const std::string& id) const;
};

// Parses a deploy table; throws Error(invalid_data) naming the field on malformed text.
DeployTable parse_table(const std::string& json_text, const std::string& where);
// The built-in table (data/deploy.json, compiled in), parsed once.
const DeployTable& builtin_table();

// --- a planned deployment --------------------------------------------------------------------

// One flag written on the command line, with the setting it carries and where its name is from.
struct EmittedFlag {
    std::string setting;
    std::string flag;
    std::string value;
    std::string source;
};

struct Settings {
    std::int64_t gpus_per_replica = 1;
    std::int64_t replicas = 1;
    std::int64_t gpus = 1;                // gpus_per_replica * replicas
    std::int64_t nodes_per_replica = 1;   // > 1: a replica spans nodes (LeaderWorkerSet)
    std::optional<std::int64_t> tensor_parallel_size;    // absent: layer split (llama.cpp)
    std::optional<std::int64_t> pipeline_parallel_size;  // absent: the engine has no such flag
    std::int64_t max_sequences = 1;       // the candidate's batch
    std::int64_t context_length = 0;      // per sequence: the scenario's context
    std::optional<double> memory_fraction;            // absent: the engine has no such flag
    std::optional<std::int64_t> max_batched_tokens;   // absent: the engine has no such flag
    // The largest decode batch replayed from a CUDA graph, set to the batch so that every decode
    // step runs as the estimate timed it (SGLang); absent: the engine has no such flag.
    std::optional<std::int64_t> cuda_graph_max_batch;
    bool chunked_prefill = false;                     // the engine's switch is on the command line
    std::string format;                   // "fp8", "int4-w4a16", ...
    std::string dtype;                    // empty: none
    std::string quantization;             // empty: none or read from the checkpoint
    std::string kv_cache_dtype;           // empty: the engine's default (the model dtype)
    std::string gguf_type;                // llama.cpp only
    std::optional<std::int64_t> gpu_layers;     // llama.cpp: every layer on the GPU
    std::string split_mode;                     // llama.cpp: "layer" or "none"
    std::optional<std::int64_t> threads;        // llama.cpp
    std::optional<std::int64_t> total_context;  // llama.cpp -c: context * slots
};

struct Expected {
    double capacity_qps = 0;
    double required_qps = 0;
    double ttft_ms = 0;
    double ttft_at_load_ms = 0;  // + the M/D/1 queue wait at the scenario's QPS per replica (--max-ttft-ms judges it)
    double tpot_ms = 0;
    double latency_ms = 0;
    double yearly_usd = 0;
};

struct OutputFile {
    std::string path;  // relative to --output-dir
    std::string content;
};

struct Plan {
    Scenario scenario;
    std::string candidate;  // base:int8@a40x2
    std::string model_id;
    std::string variant_id;
    std::string hardware_id;
    std::string engine_id;
    Target target = Target::shell;
    std::string vendor;  // "nvidia", "amd", "edge"
    std::string image;
    Settings settings;
    Expected expected;
    Artefact artefact;
    std::string model_reference;  // what the command names: repository id or /models/FILE
    std::vector<std::string> command;  // one replica's (leader's) full argv
    std::vector<EmittedFlag> flags;    // every flag in `command`, in order
    std::int64_t port = 8000;
    std::string health_path;
    std::vector<std::string> notes;
    std::vector<OutputFile> files;
};

// Plans the deployment of a judged candidate. The engine is the scenario's (--engine sets it).
// Throws Error: unsatisfiable for a rejected candidate, usage for a combination the engine or
// target cannot run, invalid_data when data/deploy.json lacks what is needed.
Plan plan_deployment(const Catalog& catalog, const Scenario& scenario, const Candidate& candidate, Target target,
                     const DeployTable& table = builtin_table());

// The Deployment document (-o json; schemas/deployment.schema.json).
std::string deployment_json(const Plan& plan);

}  // namespace dsselect::deploy
