#!/usr/bin/python3
"""Writes the JSON Schemas (draft-07) of every JSON document dsselect reads or writes.

    make_schemas.py [SCHEMA_DIR]      (default: <repository>/schemas)

The schemas are generated so that each file is self-contained (no cross-file "$ref"): the
definitions a file needs (a catalog scenario, a Recommendation, ...) are copied into its own
"definitions". Edit this file, not the generated *.schema.json, then run it;
tests/schema/check_outputs.py fails when the two disagree.

The truth for inputs is src/catalog/loader.cpp (and src/rules/rules.cpp for rules); for
outputs src/catalog/serialize.cpp and src/report/*_json.cpp / json_output.cpp.
"""
import copy
import json
import os
import sys

DRAFT = "http://json-schema.org/draft-07/schema#"
BASE_ID = "https://dsselect.invalid/schemas/"
MAX_DIMENSION = 2 ** 40  # loader.cpp: integers above 2^40 are refused

# --- building blocks ------------------------------------------------------------------------

STRING = {"type": "string"}
NON_EMPTY = {"type": "string", "minLength": 1}
ANY = {}
BOOLEAN = {"type": "boolean"}
NUMBER = {"type": "number"}  # "a finite number": JSON has no other kind
POSITIVE = {"type": "number", "exclusiveMinimum": 0}
NON_NEGATIVE = {"type": "number", "minimum": 0}
FRACTION = {"type": "number", "minimum": 0, "maximum": 1}
POSITIVE_FRACTION = {"type": "number", "exclusiveMinimum": 0, "maximum": 1}
STRING_LIST = {"type": "array", "items": NON_EMPTY}
SMALL_GPU_RULE = {"type": "object", "additionalProperties": False, "properties": {
    "below_memory_gib": POSITIVE,
    "hardware_ids_containing": STRING_LIST,
    "max_num_seqs": {"type": "integer", "minimum": 1},
    "max_num_batched_tokens": {"type": "integer", "minimum": 1}}}
PRECISIONS = ["fp16", "bf16", "fp8", "int8", "int4"]
SCHEMA_VERSION = {"enum": ["1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9", "1.10", "1.11"], "description": "dsselect writes \"1.11\" and reads all twelve: a minor bump only adds fields or widens what a key accepts; a major bump may break"}


def integer(minimum, maximum=MAX_DIMENSION):
    """An integer read by ObjectReader::integer (4096.0 and 1e3 are integers too)."""
    out = {"type": "integer", "minimum": minimum}
    if maximum is not None:
        out["maximum"] = maximum
    return out


def count(minimum=0):
    """An integer the tool prints (no upper bound)."""
    return {"type": "integer", "minimum": minimum}


def nullable(schema):
    out = copy.deepcopy(schema)
    kind = out.get("type")
    if isinstance(kind, str):
        out["type"] = [kind, "null"]
        return out
    if "enum" in out:
        out["enum"] = out["enum"] + [None]
        return out
    return {"oneOf": [out, {"type": "null"}]}


def described(schema, text):
    out = copy.deepcopy(schema)
    out["description"] = text
    return out


def obj(properties, required=(), extra=None, **more):
    """An object whose keys are a contract: unknown keys are errors."""
    out = {"type": "object", "properties": properties, "additionalProperties": False if extra is None else extra}
    if required:
        out["required"] = list(required)
    out.update(more)
    return out


def ref(name):
    return {"$ref": "#/definitions/" + name}


def with_sources(properties, required, what):
    """An entry with "source" and "sources" (loader.cpp read_sources + check_source_keys): a key
    of "sources" must be a field of the entry, present in it."""
    properties = dict(properties)
    properties["source"] = described(STRING, "one line: where the entry comes from")
    names = sorted(list(properties) + ["sources"])
    properties["sources"] = {
        "type": "object",
        "description": "field name -> source of that figure; every key names a field present in this " + what,
        "propertyNames": {"enum": names},
        "additionalProperties": STRING,
    }
    out = obj(properties, required)
    out["allOf"] = [
        {"if": {"required": ["sources"], "properties": {"sources": {"required": [name]}}}, "then": {"required": [name]}}
        for name in names if name not in ("sources",)
    ]
    return out


# --- catalog inputs (src/catalog/loader.cpp) ----------------------------------------------

# loader.cpp k_ignored_config_keys: Hugging Face config keys accepted in "architecture".
IGNORED_CONFIG_KEYS = [
    "_name_or_path", "architectures", "torch_dtype", "transformers_version", "hidden_act",
    "rms_norm_eps", "layer_norm_eps", "layer_norm_epsilon", "initializer_range", "use_cache", "bos_token_id",
    "eos_token_id", "pad_token_id", "rope_theta", "rope_scaling", "attention_dropout", "attention_bias",
    "mlp_bias", "pretraining_tp", "n_group",
    "topk_group", "topk_method", "routed_scaling_factor", "norm_topk_prob", "scoring_func", "moe_layer_freq",
    "num_nextn_predict_layers", "quantization_config", "aux_loss_alpha", "ep_size", "seq_aux", "auto_map",
    "tie_embeddings", "use_mla", "rope_parameters", "moe_topk", "dropout", "resid_pdrop", "embd_pdrop"]

MOE_KEYS = ["n_routed_experts", "num_experts_per_tok", "moe_intermediate_size"]
MLA_KEYS = ["kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim"]


def architecture_properties():
    return {
        "num_hidden_layers": integer(1),
        "hidden_size": integer(1),
        "num_attention_heads": integer(1),
        "vocab_size": integer(1),
        "intermediate_size": described(integer(1), "dense FFN width; required unless every layer is MoE"),
        "num_key_value_heads": described(integer(1), "a divisor of num_attention_heads; default: num_attention_heads"),
        "head_dim": described(integer(1), "default: hidden_size / num_attention_heads"),
        "max_position_embeddings": integer(1),
        "tie_word_embeddings": BOOLEAN,
        "n_routed_experts": integer(1),
        "n_shared_experts": integer(0),
        "num_experts_per_tok": described(integer(1), "at most n_routed_experts"),
        "moe_intermediate_size": integer(1),
        "first_k_dense_replace": described(integer(0), "at most num_hidden_layers"),
        "q_lora_rank": described(nullable(integer(1)), "null in configs without query compression"),
        "kv_lora_rank": integer(1),
        "qk_rope_head_dim": integer(1),
        "qk_nope_head_dim": integer(1),
        "v_head_dim": integer(1),
        "sliding_window": described(nullable(integer(1)),
                                    "used since 1.11 (1.10 accepted and ignored it): tokens a sliding-window layer attends "
                                    "to (its KV cache holds them, or the whole context, as the engine's sliding_window_kv "
                                    "says); null: none"),
        "sliding_window_layers": described(integer(0), "added in 1.11: layers with the window, at most num_hidden_layers "
                                           "(catalog models -o json writes it); default from the keys below, or every layer"),
        "layer_types": described({"type": "array", "items": {"enum": ["full_attention", "sliding_attention"]}},
                                 "added in 1.11: one per layer"),
        "use_sliding_window": described(nullable(BOOLEAN), "used since 1.11 (1.10 accepted and ignored it): false "
                                        "switches the window off (Qwen2's configs); null or absent: on, but off for "
                                        "model_type qwen2* and qwen3*"),
        "max_window_layers": described(nullable(integer(0)), "used since 1.11 (1.10 accepted and ignored it): the "
                                       "layers from this index on have the window"),
        "sliding_window_pattern": described(nullable(integer(1)), "added in 1.11: every N-th layer attends to the whole "
                                            "context"),
        "model_type": described(STRING, "used since 1.11 (1.10 accepted and ignored it): gemma2 gives alternate window "
                                "layers, qwen2* and qwen3* switch the window off unless use_sliding_window is true, and "
                                "an engine's no_sliding_window_model_types may name it"),
    }


def group_dependencies(*groups):
    deps = {}
    for group in groups:
        for key in group:
            deps[key] = [other for other in group if other != key]
    return deps


def catalog_architecture():
    properties = architecture_properties()
    properties["source"] = STRING
    for key in IGNORED_CONFIG_KEYS:
        properties[key] = described(ANY, "Hugging Face config key, accepted and ignored")
    out = obj(properties, ["num_hidden_layers", "hidden_size", "num_attention_heads", "vocab_size"])
    out["description"] = ("A Hugging Face config.json-like shape. MoE keys come together, MLA keys come together; "
                          "intermediate_size is required unless the model is MoE with first_k_dense_replace 0.")
    out["dependencies"] = group_dependencies(MOE_KEYS, MLA_KEYS)
    out["anyOf"] = [
        {"required": ["intermediate_size"]},
        {"required": ["n_routed_experts"],
         "not": {"required": ["first_k_dense_replace"], "properties": {"first_k_dense_replace": {"minimum": 1}}}},
    ]
    return out


def catalog_model():
    quality = obj({"task_kind": NON_EMPTY, "metric": STRING, "score": FRACTION, "source": STRING},
                  ["task_kind", "score"])
    reference = obj({"metric": NON_EMPTY, "variant": described(STRING, "a variant id"), "value": NUMBER,
                     "source": NON_EMPTY}, ["metric", "value", "source"])
    properties = {
        "id": NON_EMPTY,
        "name": NON_EMPTY,
        "family": described(STRING, "default \"user\""),
        "parameters_nominal": described(POSITIVE, "the advertised parameter count"),
        "parameters_override": described(integer(1), "replaces the computed parameter count"),
        "architecture": ref("architecture"),
        "reference_hardware": obj({"hardware": described(NON_EMPTY, "a hardware id"), "gpus": integer(1),
                                   "source": STRING}, ["hardware", "gpus"]),
        "typical_scenario": described(STRING, "a scenario id"),
        "quality": {"type": "array", "items": quality},
        "references": {"type": "array", "items": reference,
                       "description": "quoted figures shown beside computed ones"},
        "deprecated_ids": described(STRING_LIST, "former ids that still resolve to this model, with a warning"),
        "checkpoint_kv_cache_dtype": described({"type": "object", "propertyNames": {"enum": SERVING_FORMATS},
                                                "additionalProperties": {"enum": ["auto", "fp16", "bf16", "fp8"]}},
                                               "KV-cache type the published checkpoint names per serving format "
                                               "(auto: none); an engine that reads it from the checkpoint "
                                               "(kv_cache_dtype fp8) follows it"),
        "checkpoint_fp8_weight_scales": described({"enum": ["block", "tensor"]},
                                                  "weight scales of the published FP8 checkpoint; absent: none, an FP8 "
                                                  "variant is quantized per tensor when loaded (picks the engine's MoE "
                                                  "kernel law)"),
    }
    # loader.cpp k_computed_model_keys: what `catalog models -o json` prints beside the entry.
    for key in ["parameters", "active_parameters", "parameters_vs_nominal", "kv_cache_elements_per_token",
                "attention"]:
        properties[key] = {"description": "computed by `catalog models -o json`; accepted and ignored on read"}
    return with_sources(properties, ["id", "name", "architecture"], "model")


def catalog_variant():
    bits = {"type": "number", "exclusiveMinimum": 0, "maximum": 64}
    properties = {
        "id": NON_EMPTY,
        "name": described(STRING, "default: the id"),
        "weight_bits": described(bits, "effective bits per weight, scales included"),
        "kv_cache_bits": described(bits, "default 16"),
        "activation_bits": described(bits, "default 16"),
        "parameter_fraction": described(POSITIVE_FRACTION, "default 1"),
        "active_fraction": described(POSITIVE_FRACTION, "default 1"),
        "quality_retention": described(POSITIVE_FRACTION, "default 1"),
        "compute_precision": {"enum": PRECISIONS, "description": "default fp16"},
        "structured_sparsity_2_4": BOOLEAN,
        "risk_flags": STRING_LIST,
        "applies_to": described(STRING_LIST, "model ids; empty: every model"),
        "combines": described(STRING_LIST, "variant ids"),
        "claimed": described(BOOLEAN, "rests only on the source document's claim; searched only on opt-in "
                                      "(docs/quality.md); default false"),
        "claim": described(STRING, "why the variant is a claim, and whose"),
        "training_memory_fraction": POSITIVE_FRACTION,
        "reference_speedup": POSITIVE,
        "bits_per_group": described(obj({group: bits for group in ("attention", "ffn", "embedding", "head")}),
                                    "bits per weight by parameter group (seed §5.3); a group left out uses weight_bits"),
    }
    return with_sources(properties, ["id", "weight_bits"], "variant")


def catalog_hardware():
    peaks = {p: POSITIVE for p in PRECISIONS}
    properties = {
        "id": NON_EMPTY,
        "name": NON_EMPTY,
        "kind": {"enum": ["gpu", "edge"], "description": "default gpu"},
        "memory_gb": described(POSITIVE, "10^9 bytes per device"),
        "memory_bandwidth_gb_per_s": POSITIVE,
        "peak_tflops": described(obj(peaks, ["fp16"]), "dense matrix peak per precision; absent = unsupported"),
        "fp16_accumulate_peak_tflops": described(POSITIVE, "dense FP16 tensor peak with FP16 accumulation, where it is "
                                                           "above peak_tflops.fp16 (GeForce: twice); used by an engine "
                                                           "with fp16_accumulate; at least peak_tflops.fp16"),
        "sm_count": described({"type": "integer", "minimum": 1, "maximum": 1000},
                              "streaming multiprocessors (NVIDIA); with boost_clock_mhz (both or neither), an engine "
                              "factor set's SM-cycle laws rate the hardware"),
        "boost_clock_mhz": described({"type": "number", "minimum": 100, "maximum": 5000},
                                     "boost clock of the SMs, MHz (both or neither with sm_count)"),
        "interconnect_gb_per_s": NON_NEGATIVE,
        "tdp_w": POSITIVE,
        "price_usd_per_hour": NON_NEGATIVE,
        "purchase_usd": NON_NEGATIVE,
        "max_devices_per_node": described(integer(1), "devices one host holds (a node, or a workstation of "
                                                       "PCIe cards); default 8"),
        "consumer": described(BOOLEAN, "a consumer card (GeForce): its licence forbids data-centre deployment; "
                                       "default false"),
        "vendor": described(NON_EMPTY, "nvidia, amd, qualcomm, ...: which engines run on it (engine vendors)"),
    }
    entry = with_sources(properties, ["id", "name", "memory_gb", "memory_bandwidth_gb_per_s", "peak_tflops"],
                         "hardware entry")
    entry["dependencies"] = {"sm_count": ["boost_clock_mhz"], "boost_clock_mhz": ["sm_count"]}  # both or neither
    return entry


ADAPTER_MODULES = ["q", "k", "v", "o", "gate", "up", "down"]


def adapter():
    """loader.cpp read_adapter: LoRA (rank, target_modules) or a task head (parameters)."""
    out = obj({
        "kind": {"enum": ["lora", "head"]},
        "rank": described(integer(1), "LoRA rank (kind lora)"),
        "target_modules": described({"type": "array", "items": {"enum": ADAPTER_MODULES}, "minItems": 1,
                                     "uniqueItems": True}, "LoRA target matrices (kind lora)"),
        "parameters": described(integer(1), "parameters of the task head (kind head)"),
        "source": STRING,
    }, ["kind"])
    out["allOf"] = [
        {"if": {"properties": {"kind": {"const": "lora"}}},
         "then": {"required": ["rank", "target_modules"]},
         "else": {"required": ["parameters"]}},
    ]
    return out


def scenario_properties():
    workload = obj({
        "prompt_tokens": integer(1),
        "output_tokens": integer(1),
        "qps": NON_NEGATIVE,
        "context_tokens": described(integer(1), "at least prompt_tokens + output_tokens; default their sum"),
        "source": STRING,
    }, ["prompt_tokens", "output_tokens", "qps"])
    constraints = obj({
        "max_latency_ms": described(POSITIVE, "end to end: TTFT + (O-1) TPOT"),
        "max_ttft_ms": described(POSITIVE, "at most max_latency_ms"),
        "max_tpot_ms": POSITIVE,
        "min_quality": FRACTION,
        "max_model_mb": described(POSITIVE, "weights, in 10^6 bytes"),
        "max_power_w": POSITIVE,
        "max_gpus_per_replica": integer(1),
        "budget_usd_per_year": POSITIVE,
        "allowed_hardware": STRING_LIST,
        "allowed_models": STRING_LIST,
        "allowed_variants": STRING_LIST,
        "headroom": described(NON_NEGATIVE, "default 0.2"),
        "allow_multi_node": BOOLEAN,
        "include_claimed": described(BOOLEAN, "also search claimed variants (--include-claimed); default false"),
        "exclude_consumer": described(BOOLEAN, "leave consumer cards out (--exclude-consumer); default false"),
        "source": STRING,
    })
    training = obj({
        "method": {"enum": ["none", "lora", "full", "pretrain"]},
        "tokens": NON_NEGATIVE,
        "epochs": POSITIVE,
        "quoted_cost_usd": {"type": "object", "description": "model id -> quoted training cost",
                            "additionalProperties": NON_NEGATIVE},
        "cost": {"enum": ["quoted", "computed"],
                 "description": "which training figure enters the total when there is a quote (--training-cost); "
                                "default quoted"},
        "source": STRING,
    })
    tco = obj({
        "years": described(POSITIVE, "horizon, default 3"),
        "ownership": {"enum": ["rented", "owned"]},
        "utilization": POSITIVE_FRACTION,
        "electricity_usd_per_kwh": NON_NEGATIVE,
        "pue": POSITIVE,
        "depreciation_years": POSITIVE,
        "maintenance_fraction_per_year": FRACTION,
        "engineering_hours_per_year": NON_NEGATIVE,
        "engineering_usd_per_hour": NON_NEGATIVE,
        "mfu": POSITIVE_FRACTION,
        "training": training,
        "source": STRING,
    })
    quoted = obj({"model": described(NON_EMPTY, "a model id"), "metric": NON_EMPTY, "value": NUMBER,
                  "source": NON_EMPTY}, ["model", "metric", "value", "source"])
    complexity = obj({"share": FRACTION, "active_fraction": POSITIVE_FRACTION, "name": STRING, "source": STRING},
                     ["share", "active_fraction"])
    task = obj({
        "id": NON_EMPTY,
        "share": described(POSITIVE_FRACTION, "of the scenario's QPS; the tasks' shares sum to 1 (within 1e-6)"),
        "min_quality": described(FRACTION, "default: the scenario's"),
        "task_kind": described(STRING, "default: the scenario's"),
        "adapter": adapter(),
        "output_dimension": described(integer(1), "default: the serving model's vocabulary"),
        "fused_with": described(STRING_LIST, "ids of tasks whose outputs are fused with this one's (they must share "
                                             "an output dimension: the version-mixing rule)"),
        "source": STRING,
    }, ["id", "share", "adapter"])
    return {
        "id": NON_EMPTY,
        "name": described(STRING, "default: the id"),
        "description": STRING,
        "task_kind": described(STRING, "default \"default\""),
        "complexity_mix": described({"type": "array", "items": complexity, "minItems": 1},
                                    "dynamic activation: the request mix; shares sum to 1 (within 1e-6)"),
        "tasks": described({"type": "array", "items": task, "minItems": 1},
                           "multi-task: the tasks served (docs/multitask.md)"),
        "numerically_sensitive": BOOLEAN,
        "engine": described(NON_EMPTY, "serving engine profile id (data/engines.json); default vllm"),
        "workload": workload,
        "constraints": constraints,
        "tco": tco,
        "quoted": {"type": "array", "items": quoted},
    }


def catalog_scenario():
    return with_sources(scenario_properties(), ["id", "workload"], "scenario")


def batch_item():
    properties = scenario_properties()
    properties["candidates"] = described(STRING_LIST, "MODEL[:VARIANT][@HARDWARE[xGPUS]]: compare these "
                                                      "instead of searching")
    properties["top"] = described(integer(1), "recommendations kept for this item (wins over --top)")
    properties["weights"] = described(NON_EMPTY, "\"A,B,G\": TCO weights, non-negative, summing to 1")
    out = with_sources(properties, ["id", "workload"], "scenario")
    # "sources" may only name scenario fields: the batch keys are removed before the scenario is read.
    out["properties"]["sources"]["propertyNames"]["enum"] = sorted(list(scenario_properties()) + ["source", "sources"])
    out["allOf"] = [clause for clause in out["allOf"]
                    if clause["then"]["required"][0] not in ("candidates", "top", "weights")]
    return out


def rule():
    return obj({
        "id": NON_EMPTY,
        "description": STRING,
        "source": STRING,
        "effect": {"enum": ["reject", "warn", "score"]},
        "when": described(ANY, "a JSON Logic expression over the candidate context (docs/jsonlogic.md)"),
        "value": described(ANY, "JSON Logic; a score rule adds weight x value (default 1)"),
        "weight": described(NUMBER, "default 1 for score rules, else 0"),
        "message": described(STRING, "template: {model}, {variant}, {hardware}, {scenario}; default: description"),
    }, ["id", "effect", "when"])


def catalog_definitions():
    return {
        "architecture": catalog_architecture(),
        "model": catalog_model(),
        "variant": catalog_variant(),
        "hardware": catalog_hardware(),
        "scenario": catalog_scenario(),
        "rule": rule(),
    }


def array_of(name):
    return {"type": "array", "items": ref(name)}


SERVING_FORMATS = ["fp16", "bf16", "fp8", "int8-w8a8", "int8-w8a16", "int4-w4a16", "int4-w4a4", "mixed-bits",
                   "dynamic-activation"]


def catalog_engine():
    """A serving engine profile (loader.cpp read_engine)."""
    return {
    "type": "object", "required": ["id"],
    "properties": {
        "id": NON_EMPTY, "name": STRING, "continuous_batching": BOOLEAN,
        "mixed_prefill": described(BOOLEAN, "prompt chunks share steps with running decodes; false: prefill batches run alone and first (SGLang)"),
        "sliding_window_kv": described({"enum": ["window", "full"]},
                                       "added in 1.11: a window layer's KV cache holds its window (default) or the whole "
                                       "context (its attention reads the window either way)"),
        "no_sliding_window_model_types": described({"type": "array", "items": STRING},
                                                   "added in 1.11: model types the engine runs without their window "
                                                   "(attention and KV cache over the whole context)"),
        "fp16_accumulate": described(BOOLEAN, "its GEMMs on FP16 weights accumulate in FP16 (llama.cpp): an fp16 variant's GEMMs (prefill and decode compute) run at the hardware's fp16_accumulate_peak_tflops where it has one; default false"),
        "sparse_2_4_kernels": described(BOOLEAN, "it runs 2:4 structured-sparse GEMMs on a 2:4 sparse checkpoint (sparse tensor cores) and keeps it packed; false: such a checkpoint is served as its dense weights at the dense rate; default false"),
        "multi_gpu": {"enum": ["tensor_parallel", "layer_split"]},
        "runtime_overhead_gib": NON_NEGATIVE, "communication_buffer_gib": NON_NEGATIVE,
        "usable_memory_fraction": POSITIVE_FRACTION,
        "max_num_seqs": {"type": "integer", "minimum": 1}, "max_num_batched_tokens": {"type": "integer", "minimum": 1},
        "small_gpu_scheduler": described({"oneOf": [SMALL_GPU_RULE, {"type": "array", "minItems": 1, "items": SMALL_GPU_RULE}]},
            "smaller scheduler defaults that replace max_num_seqs and max_num_batched_tokens on hardware with less "
            "than below_memory_gib of memory (memory_gb * 1e9 bytes; required in the merged entry) or whose id "
            "contains one of hardware_ids_containing (vLLM: 256 and 2048 below 70 GiB or on an A100); a list of "
            "such rules is tried in order and the first that applies wins (SGLang's chunked_prefill_size tiers)"),
        "cuda_graph_max_tokens": described({"type": "integer", "minimum": 0},
                                           "tokens a step carrying prompt tokens may hold and still replay a CUDA graph; "
                                           "absent or 0: such steps run eagerly"),
        "attention_kernel_efficiency": described(POSITIVE_FRACTION,
                                                 "share of the hardware's 16-bit peak the engine's attention kernels "
                                                 "reach on a prompt's attention FLOPs (QK^T and PV), whatever the "
                                                 "weights' format; absent: those FLOPs run at the GEMMs' rate"),
        "batch_wait_timeout_iters": described({"type": "integer", "minimum": 0},
                                              "steps a waiting prompt may be held while sequences decode "
                                              "(TensorRT-LLM batch_wait_timeout_iters); absent or 0: never held"),
        "batch_wait_max_tokens_ratio": described(FRACTION,
                                                 "held prompts are released once their tokens and one per decode "
                                                 "reach this share of max_num_batched_tokens"),
        "vendors": described(STRING_LIST, "hardware vendors the engine runs on; absent: any"),
        "weight_formats": described({"type": "array", "items": {"enum": SERVING_FORMATS}},
                                    "serving formats the engine serves; absent: any"),
        "kv_cache_dtype": described({"type": "object", "propertyNames": {"enum": SERVING_FORMATS},
                                     "additionalProperties": {"enum": ["auto", "fp16", "bf16", "fp8"]}},
                                    "KV-cache type the engine stores by default per serving format; "
                                    "absent format: auto (the variant's kv_cache_bits)"),
        "moe_expert_kernels": described(
            {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                        "required": ["weight_format", "efficiency", "routed_columns", "token_columns",
                                                     "ridge_exponent", "source"],
                                        "properties": {
                                            "weight_format": {"enum": ["bf16", "fp8", "fp8_block"]},
                                            "hardware_ids_containing": described(
                                                STRING_LIST, "the GPUs the law was timed on, as parts of a hardware id "
                                                "(\"b200\" names b200 and gb200); a law naming the hardware wins over one "
                                                "naming none; absent: every GPU without a law of its own"),
                                            "efficiency": POSITIVE_FRACTION,
                                            "routed_columns": NON_NEGATIVE, "token_columns": NON_NEGATIVE,
                                            "ridge_exponent": {"type": "number", "minimum": 1, "maximum": 16},
                                            "memory_efficiency": described(
                                                POSITIVE_FRACTION, "share of the bandwidth the kernels' reads of the "
                                                "touched experts reach; absent: the engine's memory_efficiency"),
                                            "latency_us": described(
                                                {"type": "number", "minimum": 0, "maximum": 10000},
                                                "fixed time per MoE layer and step; absent: 0; with it the routed "
                                                "experts' matrices leave the step overhead's layer units"),
                                            "source": STRING}}},
            "the engine's routed-expert kernels, one law per MoE weight format and GPUs (hardware_ids_containing): T tokens take "
            "6 h [(T k / EP) (w + routed_columns) + T token_columns] / (peak x efficiency) on a GPU "
            "and, with the touched experts' bytes at the bandwidth taking m, (m^n + c^n)^(1/n), n the ridge_exponent "
            "(docs/method.md, 'MoE expert kernels'); absent: the experts run at the roofline"),
        "factors": {"type": "array", "items": {"type": "object", "additionalProperties": False, "properties": {
            "hardware": STRING_LIST,
            "vendors": described(STRING_LIST, "hardware vendors the set applies to (the hardware's vendor); absent: any"),
            "hardware_kind": {"enum": ["gpu", "edge"]},
            "precision": {"enum": ["fp16", "bf16", "fp8", "int8", "int4"]},
            "compute_efficiency": POSITIVE_FRACTION,
            "quantized_compute_efficiency": described(POSITIVE_FRACTION, "efficiency against the 16-bit peak of an integer-quantized variant (int8-w8a8, int8-w8a16, int4-w4a16, int4-w4a4), whose GEMMs run the engine's quantized kernels; absent: compute_efficiency of the compute precision's peak"),
            "memory_efficiency": POSITIVE_FRACTION,
            "sm_bytes_per_cycle": described(POSITIVE, "decode streams at most this many bytes per SM-cycle on hardware that lists sm_count and boost_clock_mhz: memory_efficiency becomes the lower of its value and SMs x clock x this / bandwidth"),
            "sm_quantized_flops_per_cycle": described(POSITIVE, "an integer-quantized variant's GEMMs run at this many FLOPs per SM-cycle on hardware that lists sm_count and boost_clock_mhz: quantized_compute_efficiency becomes that rate over the 16-bit peak, at most 1"),
            "per_step_overhead_ms": NON_NEGATIVE, "allreduce_latency_us": NON_NEGATIVE,
            "per_layer_overhead_us": NON_NEGATIVE, "moe_layer_overhead_us": NON_NEGATIVE,
            "eager_layer_overhead_us": described(NON_NEGATIVE, "host time per layer unit (a layer of four weight matrices) of a step run outside CUDA graphs"),
            "eager_moe_layer_overhead_us": described(NON_NEGATIVE, "extra host time per MoE layer of such a step"),
            "ttft_fixed_ms": NON_NEGATIVE, "ttft_batch_exponent": {"type": "number", "minimum": 0, "maximum": 1},
            "source": STRING}}},
        "source": STRING, "sources": {"type": "object", "additionalProperties": STRING}},
    "additionalProperties": False}


def catalog_schema():
    out = obj({
        "schema_version": SCHEMA_VERSION,
        "kind": described({"enum": ["ModelList", "VariantList", "HardwareList", "ScenarioList", "EngineList"]},
                          "what `catalog ... -o json` prints; accepted so that its output reads back"),
        "models": array_of("model"),
        "variants": array_of("variant"),
        "hardware": array_of("hardware"),
        "scenarios": array_of("scenario"),
        "rules": array_of("rule"),
        "engines": {"type": "array", "items": catalog_engine(),
            "description": "serving engine profiles (docs/method.md)"},
        "multi_task": with_sources({
            "default_adapter": adapter(),
            "reference": obj({"parameter_reuse_rate": FRACTION, "tasks": integer(1), "source": NON_EMPTY},
                             ["parameter_reuse_rate", "tasks", "source"]),
            "adapter_engineering_hours_per_year": NON_NEGATIVE,
        }, ["default_adapter", "reference"], "multi_task object"),
    }, ["schema_version"])
    out["definitions"] = catalog_definitions()
    return out


def scenario_schema():
    definitions = catalog_definitions()
    out = {
        "definitions": {"scenario": definitions["scenario"], "batch_item": batch_item()},
        "allOf": [ref("scenario")],
    }
    return out


def rules_schema():
    out = obj({
        "schema_version": SCHEMA_VERSION,
        "rules": array_of("rule"),
        # read_rules_document ignores the catalog arrays (the catalog loader reads them).
        "models": {"type": "array"},
        "variants": {"type": "array"},
        "hardware": {"type": "array"},
        "scenarios": {"type": "array"},
        "engines": {"type": "array"},
        "multi_task": {"type": "object"},
    }, ["schema_version"])
    out["definitions"] = {"rule": rule()}
    return out


# --- outputs ------------------------------------------------------------------------------

def header(kind):
    return {"schema_version": SCHEMA_VERSION, "kind": {"const": kind}}


def document(kind, properties, required=None, **more):
    props = header(kind)
    props.update(properties)
    req = ["schema_version", "kind"] + list(properties if required is None else required)
    return obj(props, req, **more)


def model_list_schema():
    arch_props = architecture_properties()
    arch = obj(arch_props, ["num_hidden_layers", "hidden_size", "num_attention_heads", "vocab_size",
                            "tie_word_embeddings"])
    arch["dependencies"] = group_dependencies(MOE_KEYS + ["n_shared_experts", "first_k_dense_replace"],
                                              MLA_KEYS + ["q_lora_rank"])
    catalog_model_props = catalog_model()["properties"]
    properties = {
        "id": NON_EMPTY,
        "name": NON_EMPTY,
        "family": STRING,
        "parameters_nominal": described(POSITIVE, "as published; absent when the catalog gives none"),
        "parameters": described(count(), "computed from the architecture (or parameters_override)"),
        "active_parameters": described(count(), "per token (MoE: routed experts k of n)"),
        "parameters_vs_nominal": described(NUMBER, "parameters / parameters_nominal - 1, 6 decimals"),
        "kv_cache_elements_per_token": count(),
        "attention": {"enum": ["mha", "gqa", "mla"]},
        "parameters_override": integer(1),
        "architecture": ref("architecture"),
        "reference_hardware": obj({"hardware": NON_EMPTY, "gpus": count(1)}, ["hardware", "gpus"]),
        "typical_scenario": NON_EMPTY,
        "quality": catalog_model_props["quality"],
        "references": catalog_model_props["references"],
        "deprecated_ids": catalog_model_props["deprecated_ids"],
        "checkpoint_kv_cache_dtype": catalog_model_props["checkpoint_kv_cache_dtype"],
        "checkpoint_fp8_weight_scales": catalog_model_props["checkpoint_fp8_weight_scales"],
        "source": STRING,
        "sources": {"type": "object", "additionalProperties": STRING},
    }
    model = obj(properties, ["id", "name", "family", "parameters", "active_parameters",
                             "kv_cache_elements_per_token", "attention", "architecture"])
    model["allOf"] = [
        {"if": {"required": ["parameters_nominal"]},
         "then": {"required": ["parameters_vs_nominal"]},
         "else": {"not": {"required": ["parameters_vs_nominal"]}}},
        {"if": {"properties": {"attention": {"const": "mla"}}},
         "then": {"properties": {"architecture": {"required": ["kv_lora_rank"]}}},
         "else": {"properties": {"architecture": {"not": {"required": ["kv_lora_rank"]}}}}},
    ]
    out = document("ModelList", {"models": array_of("model")})
    out["definitions"] = {"architecture": arch, "model": model}
    return out


def variant_list_schema():
    keys = ["id", "name", "weight_bits", "kv_cache_bits", "activation_bits", "parameter_fraction", "active_fraction",
            "quality_retention", "compute_precision", "structured_sparsity_2_4", "risk_flags", "applies_to"]
    catalog = catalog_variant()
    properties = dict(catalog["properties"])
    properties["sources"] = {"type": "object", "additionalProperties": STRING,
                             "propertyNames": {"enum": sorted(catalog["properties"])}}
    item = obj(properties, keys)
    item["description"] = "a catalog variant with every default filled in"
    out = document("VariantList", {"variants": {"type": "array", "items": ref("variant")}})
    out["definitions"] = {"variant": item}
    return out


def engine_list_schema():
    item = {"allOf": [catalog_engine(), {"required": ["id", "name", "continuous_batching", "multi_gpu", "factors"]}],
            "description": "a catalog engine entry (valid as input) with defaults filled in"}
    return document("EngineList", {"engines": {"type": "array", "items": item}})


def hardware_list_schema():
    keys = ["id", "name", "kind", "memory_gb", "memory_bandwidth_gb_per_s", "peak_tflops", "interconnect_gb_per_s",
            "price_usd_per_hour", "purchase_usd", "max_devices_per_node"]
    item = {"allOf": [ref("catalog_hardware"), {"required": keys}],
            "description": "a catalog hardware entry (valid as input) with defaults filled in; tdp_w only when known"}
    out = document("HardwareList", {"hardware": {"type": "array", "items": item}})
    out["definitions"] = {"catalog_hardware": catalog_hardware()}
    return out


def scenario_list_schema():
    tco_keys = ["years", "ownership", "utilization", "electricity_usd_per_kwh", "pue", "depreciation_years",
                "maintenance_fraction_per_year", "engineering_hours_per_year", "engineering_usd_per_hour", "mfu",
                "training"]
    filled = {
        "required": ["id", "name", "task_kind", "numerically_sensitive", "workload", "constraints", "tco"],
        "properties": {
            "workload": {"required": ["prompt_tokens", "output_tokens", "qps", "context_tokens"]},
            "constraints": {"required": ["headroom", "allow_multi_node"]},
            "tco": {"required": tco_keys,
                    "properties": {"training": {"required": ["method", "tokens", "epochs"]}}},
        },
    }
    item = {"allOf": [ref("scenario"), filled],
            "description": "a catalog scenario (valid as input to --scenario FILE and batch) with defaults filled in"}
    out = document("ScenarioList", {"scenarios": {"type": "array", "items": item}})
    out["definitions"] = {"scenario": catalog_scenario()}
    return out


def accuracy_schema():
    figures = nullable(obj({"rows": count(1), "median_abs_error_pct": NON_NEGATIVE, "mean_signed_error_pct": NUMBER},
                           ["rows", "median_abs_error_pct", "mean_signed_error_pct"]))
    figures["description"] = ("errors in percent of the measured value, (estimate - measured) / measured; "
                              "null: not checked")
    return obj({"measured": described(BOOLEAN, "false: no measurement of this engine and model kind; every "
                                               "other field but note and source is null or empty"),
                "set": described(nullable({"enum": ["fit", "hold-out"]}),
                                 "fit: the factors were fitted on these rows (in-sample); hold-out: out of sample"),
                "engine": described(nullable(NON_EMPTY), "the engine the estimate ran (measured or not); null: "
                                                         "no engine profile"),
                "model_kind": nullable({"enum": ["dense", "moe"]}),
                "models": STRING_LIST,
                "measured_on": described(STRING_LIST, "hardware ids (gb200's is tests/validation/catalog.json's), or "
                                                      "for an entry by hardware family the devices as the "
                                                      "measurements name them"),
                "hardware_measured": BOOLEAN,
                "precision_measured": BOOLEAN,
                "ttft": figures,
                "tpot": figures,
                "capacity": described(figures, "added in 1.3: requests/s per replica at the measured concurrency, "
                                               "the estimate's qps against the rows' closed loop; null: not checked"),
                "note": NON_EMPTY,
                "source": NON_EMPTY},
               ["measured", "set", "engine", "model_kind", "models", "measured_on", "hardware_measured",
                "precision_measured", "ttft", "tpot", "capacity", "note", "source"])


def estimate_schema():
    timing = nullable(NON_NEGATIVE)
    timing_keys = ["ttft_ms", "tpot_ms", "decode_step_ms", "latency_ms", "output_tokens_per_s",
                   "output_tokens_per_s_per_sequence", "prefill_tokens_per_s", "qps"]
    performance_props = {key: timing for key in timing_keys}
    performance_props["decode_bound"] = {"enum": ["memory", "compute", None]}
    memory_props = {
        "weights_bytes": described(count(), "all GPUs of the replica"),
        "kv_cache_bytes": described(count(), "all GPUs of the replica, kv_cache_tokens at the batch"),
        "kv_cache_bytes_per_token": described(count(), "one token, all layers, one copy of the cache (KV "
                                                       "replicated under tensor parallelism, MLA's latent cache "
                                                       "or fewer KV heads than GPUs, is held once per copy)"),
        "activations_bytes": described(count(), "per GPU: the step peak the engine reserves and the batch's logits"),
        "overhead_bytes": described(count(), "per GPU: runtime and communication buffers"),
        "total_bytes": described(count(), "all GPUs of the replica: per_gpu_bytes x gpus"),
        "per_gpu_bytes": described(count(), "per GPU: weights_bytes_per_gpu + adapter_bytes_per_gpu + "
                                            "kv_cache_bytes_per_gpu + activations_bytes + overhead_bytes"),
        "capacity_per_gpu_bytes": described(count(), "per GPU, physical"),
        "usable_per_gpu_bytes": described(count(), "per GPU: capacity x the engine's usable fraction"),
        "shortfall_bytes": described(count(), "per GPU: per_gpu_bytes - usable_per_gpu_bytes when it does not fit, "
                                              "else 0"),
        "weights_bytes_per_gpu": described(count(), "per GPU: weights_bytes / gpus"),
        "kv_cache_bytes_per_gpu": described(count(), "per GPU: kv_cache_bytes / gpus"),
        "adapter_bytes_per_gpu": described(count(), "per GPU: adapter_bytes / gpus"),
        "kv_cache_tokens": described(NON_NEGATIVE, "tokens the KV cache holds at the batch: max(batch x "
                                                   "(P + O/2, or P + O under a full reservation), the context "
                                                   "window), one decimal; for a model with a sliding window that "
                                                   "the engine frees, KV positions (a window layer counts at most "
                                                   "its window: docs/method.md)"),
    }
    memory_props["adapter_bytes"] = described(count(), "task adapters resident beside the weights, all GPUs of the "
                                                       "replica (split like the weights); 0 without tasks")
    memory_props["fits"] = BOOLEAN
    memory_props["max_concurrency"] = described(count(), "sequences that fit at once")
    step = obj({"name": NON_EMPTY, "value": NUMBER, "unit": NON_EMPTY, "formula": STRING},
               ["name", "value", "unit", "formula"])
    properties = {
        "model": NON_EMPTY,
        "variant": NON_EMPTY,
        "hardware": NON_EMPTY,
        "gpus": count(1),
        "workload": obj({"prompt_tokens": count(1), "output_tokens": count(1), "batch": count(1),
                         "context_tokens": count(1)},
                        ["prompt_tokens", "output_tokens", "batch", "context_tokens"]),
        "feasibility": {"enum": ["ok", "does_not_fit", "precision_unsupported", "context_too_long"]},
        "parameters": count(),
        "active_parameters": count(),
        "kept_parameters": count(),
        "compute_precision": {"enum": PRECISIONS},
        "expert_parallel_size": described({"type": "integer", "minimum": 1},
                                          "MoE models only: GPUs the experts are split over whole (--expert-parallel); "
                                          "1: every GPU holds a slice of every expert (the engines' default)"),
        "memory": obj(memory_props, list(memory_props)),
        "performance": obj(performance_props, list(performance_props)),
        "power": obj({"watts": NON_NEGATIVE, "energy_wh_per_1k_output_tokens": nullable(NON_NEGATIVE)},
                     ["watts", "energy_wh_per_1k_output_tokens"]),
        "max_throughput": described(
            obj({"batch": count(), "output_tokens_per_s": NON_NEGATIVE,
                 "benchmark_output_tokens_per_s": described(
                     nullable(NON_NEGATIVE),
                     "the same concurrency as a fixed-length throughput benchmark measures it (serving simulation, "
                     "10 requests per slot); null where it cannot run: a single-stream engine, no batch, a "
                     "concurrency above 100,000 or a run beyond the simulation's step limit")},
                ["batch", "output_tokens_per_s", "benchmark_output_tokens_per_s"]),
            "continuous batching at the largest concurrency that runs (0 when none)"),
        "accuracy": described(accuracy_schema(), "added in 1.2: how far such estimates have been from "
                              "measurements (data/accuracy.json, scripts/accuracy_table.py)"),
        "explain": described({"type": "array", "items": step, "minItems": 1}, "only with --explain"),
    }
    required = [key for key in properties if key not in ("explain", "expert_parallel_size")]
    timed = {key: NON_NEGATIVE for key in timing_keys}
    timed["decode_bound"] = {"enum": ["memory", "compute"]}
    untimed = {key: {"type": "null"} for key in performance_props}
    out = document("Estimate", properties, required)
    out["description"] = "feasibility ok: every timing is a number and fits is true; otherwise every timing is null"
    out["allOf"] = [
        {"if": {"properties": {"feasibility": {"const": "ok"}}},
         "then": {"properties": {"performance": {"properties": timed},
                                 "memory": {"properties": {"fits": {"const": True}}},
                                 "power": {"properties": {"energy_wh_per_1k_output_tokens": NON_NEGATIVE}}}},
         "else": {"properties": {"performance": {"properties": untimed},
                                 "power": {"properties": {"energy_wh_per_1k_output_tokens": {"type": "null"}}}}}},
        {"if": {"properties": {"feasibility": {"const": "does_not_fit"}}},
         "then": {"properties": {"memory": {"properties": {"fits": {"const": False},
                                                           "shortfall_bytes": count(1)}}}}},
    ]
    return out


# Shared by Recommendation, Comparison, Tco and BatchResult.

def selection_definitions():
    money = NON_NEGATIVE
    cost = obj({
        "training_usd": money,
        "training_source": {"enum": ["given by the scenario (quoted)", "computed: FLOPs / (peak * MFU) * price"]},
        "training_computed_usd": described(money, "the computed training cost, always"),
        "training_quoted_usd": described(nullable(money), "the scenario's quote for the model; null without one"),
        "training_gpu_hours": NON_NEGATIVE,
        "ownership": described({"enum": ["rented", "owned"]},
                               "how the hardware was costed: a device without a rental price is costed as owned"),
        "inference_usd": money,
        "maintenance_usd": money,
        "total_usd": described(money, "training + inference + maintenance over the horizon"),
        "weighted_index_usd": described(money, "alpha training + beta inference + gamma maintenance"),
        "weights": ref("weights"),
        "yearly_usd": money,
        "breakdown": ref("breakdown"),
        "per_year": {"type": "array", "items": ref("cost_year")},
        "usd_per_million_output_tokens": described(nullable(NON_NEGATIVE), "null at zero load"),
    }, COST_KEYS)
    shown = candidate()
    annotate_with_columns(shown, cost)
    return {
        "scenario_summary": obj({"id": NON_EMPTY, "task_kind": STRING, "qps": NON_NEGATIVE,
                                 "prompt_tokens": count(1), "output_tokens": count(1), "context_tokens": count(1)},
                                ["id", "task_kind", "qps", "prompt_tokens", "output_tokens", "context_tokens"]),
        "weights": obj({"alpha": FRACTION, "beta": FRACTION, "gamma": FRACTION}, ["alpha", "beta", "gamma"]),
        "breakdown": obj({key: NON_NEGATIVE for key in BREAKDOWN_KEYS}, BREAKDOWN_KEYS),
        "cost_year": obj({"year": count(1), "training_usd": money, "inference_usd": money, "maintenance_usd": money},
                         ["year", "training_usd", "inference_usd", "maintenance_usd"]),
        "cost": cost,
        "score": obj({key: NUMBER for key in ["total", "cost", "quality", "latency", "rules"]},
                     ["total", "cost", "quality", "latency", "rules"]),
        "rejection": obj({
            "reason": described(NON_EMPTY, "a constraint of docs/ranking.md (not_allowed, max_gpus, context, "
                                           "precision, model_size, quality, consumer, memory, power, ttft, tpot, "
                                           "latency, price, budget) or a reject rule's id"),
            "detail": NON_EMPTY,
            "flag": described(nullable(NON_EMPTY), "the option that relaxes it, or null"),
            "needed": described(nullable(NUMBER), "the limit, in `unit`; null for a categorical reason"),
            "had": described(nullable(NUMBER), "the candidate's value, in `unit`; null for a categorical reason"),
            "unit": described(nullable(STRING), "unit of needed and had (ms, GB, W, MB, tokens, USD, '' for ratios); null for a categorical reason"),
        }, ["reason", "detail", "flag", "needed", "had", "unit"]),
        "constraint_miss": obj({
            "check": described(NON_EMPTY, "a constraint of docs/ranking.md or a reject rule's id"),
            "limit": described(nullable(NUMBER), "the scenario's limit, in `unit`; null for a categorical miss"),
            "value": described(nullable(NUMBER), "the candidate's value, in `unit`; null for a categorical miss"),
            "unit": nullable(STRING),
            "detail": described(NON_EMPTY, "the sentence; a latency miss also names the batch it was sized at"),
        }, ["check", "limit", "value", "unit", "detail"]),
        "change": obj({
            "check": described(NON_EMPTY, "the constraint the change relaxes"),
            "flag": NON_EMPTY,
            "value": described(NUMBER, "the value to pass, rounded to 4 significant digits towards admitting"),
            "unit": STRING,
        }, ["check", "flag", "value", "unit"]),
        "candidate": shown,
        "delta": nullable(obj({"delta": NUMBER, "delta_pct": NUMBER}, ["delta", "delta_pct"])),
    }


COST_KEYS = ["training_usd", "training_source", "training_computed_usd", "training_quoted_usd", "training_gpu_hours",
             "ownership", "inference_usd", "maintenance_usd", "total_usd",
             "weighted_index_usd", "weights", "yearly_usd", "breakdown", "per_year", "usd_per_million_output_tokens"]
BREAKDOWN_KEYS = ["inference_rental_usd", "inference_depreciation_usd", "inference_energy_usd",
                  "maintenance_hardware_usd", "maintenance_engineering_usd"]


COLUMNS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "report",
                            "candidate.columns.json")


def annotate_with_columns(candidate_schema, cost_schema):
    """The candidate column model (src/report/candidate.columns.json, which the table, CSV, Markdown
    and HTML renderers read too): each key a column shows says so in its description, with the
    column's unit. A column naming a key the Candidate object lacks is an error."""
    with open(COLUMNS_FILE, encoding="utf-8") as stream:
        columns = json.load(stream)["columns"]
    for column in columns:
        key = column["json_key"]
        if not key:
            continue
        first, _, rest = key.partition(".")
        properties = candidate_schema["properties"]
        if rest:
            parent = cost_schema if first == "cost" else properties.get(first)
            if parent is None or "properties" not in parent:
                raise SystemExit(f"{COLUMNS_FILE}: column '{column['header']}': '{first}' is no object of the Candidate")
            properties, first = parent["properties"], rest
        if first not in properties:
            raise SystemExit(f"{COLUMNS_FILE}: column '{column['header']}': no key '{key}' in the Candidate")
        note = f"column '{column['header']}'" + (f" ({column['unit']})" if column["unit"] else "")
        target = properties[first]
        text = (target["description"] + "; " if "description" in target else "") + "shown as " + note
        properties[first] = described(target, text)  # a copy: the building blocks are shared


def candidate():
    timing = nullable(NON_NEGATIVE)
    properties = {
        "model": NON_EMPTY,
        "variant": NON_EMPTY,
        "identical_variants": described({"type": "array", "items": NON_EMPTY},
                                        "variants whose candidates are identical to this one for serving, folded "
                                        "into this row (docs/ranking.md); empty when none"),
        "hardware": NON_EMPTY,
        "gpus_per_replica": count(1),
        "replicas": described(nullable(count(1)), "null when the candidate was rejected before costing"),
        "batch_per_replica": described(count(1), "sequences one replica runs at once (an engine's max_num_seqs)"),
        "gpus_total": described(nullable(count(1)), "replicas x gpus_per_replica; null when replicas is"),
        "ttft_ms": timing,
        "tpot_ms": timing,
        "latency_ms": timing,
        "qps": described(timing, "one replica at batch_per_replica"),
        "capacity_qps": described(timing, "all replicas; null when not costed"),
        "queue_wait_ms": described(timing, "M/D/1 wait at the scenario's QPS / replicas for the request's prefill "
                                           "work (docs/method.md, TTFT at load); 0 without load; null when not costed"),
        "ttft_at_load_ms": described(timing, "ttft_ms + queue_wait_ms: what max_ttft_ms judges; null when not costed"),
        "prefill_utilization": described(nullable(FRACTION), "arrivals per replica x the queue's service (the prefill "
                                                             "work; the whole request on a single-stream engine), a "
                                                             "fraction; null when not costed"),
        "replicas_for_queue": described(nullable(BOOLEAN), "true when the queue, not the throughput, set replicas: so "
                                                           "that ttft_at_load_ms meets the TTFT limit, or, without "
                                                           "one, so that the queue is stable; null when not costed"),
        "output_tokens_per_s": timing,
        "memory": obj({"weights_bytes": count(), "per_gpu_bytes": count(), "capacity_per_gpu_bytes": count(),
                       "fits": BOOLEAN,
                       "kv_cache_bytes": described(count(), "all GPUs of a replica, at batch_per_replica"),
                       "kv_cache_tokens": described(NON_NEGATIVE, "tokens the KV cache holds at batch_per_replica: "
                                                                  "max(batch x tokens per sequence, the context "
                                                                  "window), one decimal (as an Estimate's)"),
                       "activations_bytes": described(count(), "per GPU"),
                       "adapter_bytes": described(count(), "task adapters resident beside the weights, all GPUs of "
                                                           "a replica (split like the weights); 0 without tasks"),
                       "overhead_bytes": described(count(), "per GPU: runtime and communication buffers"),
                       "usable_per_gpu_bytes": described(count(), "capacity x the engine's usable fraction")},
                      ["weights_bytes", "per_gpu_bytes", "capacity_per_gpu_bytes", "fits", "kv_cache_bytes",
                       "kv_cache_tokens", "activations_bytes", "adapter_bytes", "overhead_bytes", "usable_per_gpu_bytes"]),
        "power_w": NON_NEGATIVE,
        "quality": described(FRACTION, "model quality for the task kind x variant retention; 0 when the model has "
                                        "no published figure for the task kind (quality_published false)"),
        "quality_published": described(BOOLEAN, "false when the model has no published quality figure for the task "
                                                "kind: tables show '-' (docs/quality.md)"),
        "cost": nullable(ref("cost")),
        "score": nullable(ref("score")),
        "warnings": {"type": "array", "items": obj({"rule": NON_EMPTY, "message": STRING}, ["rule", "message"])},
        "meets_constraints": described(BOOLEAN, "false when the candidate misses a constraint or a reject rule "
                                                "(constraint_misses lists them); compare and tco size and cost it "
                                                "all the same when it fits (docs/tco.md)"),
        "constraint_misses": described({"type": "array", "items": ref("constraint_miss")},
                                       "every constraint the candidate misses, in the order of docs/ranking.md (a "
                                       "ranked candidate's are empty; a search's nearest miss lists them all)"),
        "rejected": nullable(ref("rejection")),
        "quoted": {"type": "array", "items": obj({"metric": NON_EMPTY, "value": NUMBER, "source": NON_EMPTY},
                                                 ["metric", "value", "source"]),
                   "description": "the scenario's quoted figures for this model, never replacing computed ones"},
        "rank": described(count(1), "only in recommendations"),
        "accuracy": described(accuracy_schema(), "in recommendations and comparisons, not on nearest misses (added "
                                                 "in 1.2): how far estimates of the engine judged with and this model "
                                                 "kind have been from measurements (data/accuracy.json), the "
                                                 "estimate's accuracy object"),
        "claimed": described({"const": True}, "only when the variant rests on the source document's claim "
                                              "(docs/quality.md); the warnings then include claimed-variant"),
        "claim": described(STRING, "only with claimed: why the variant is a claim"),
    }
    out = obj(properties, [key for key in properties if key not in ("rank", "accuracy", "claimed", "claim")])
    out["description"] = "accepted (rejected null) candidates have a score, a cost and replicas; rejected ones no score"
    out["allOf"] = [
        {"if": {"properties": {"rejected": {"type": "null"}}},
         "then": {"properties": {"score": {"type": "object"}, "cost": {"type": "object"},
                                 "replicas": {"type": "integer"}}},
         "else": {"properties": {"score": {"type": "null"}}}},
        # Costed candidates have replicas and a capacity; the others neither.
        {"if": {"properties": {"cost": {"type": "null"}}},
         "then": {"properties": {"capacity_qps": {"type": "null"}, "replicas": {"type": "null"}}},
         "else": {"properties": {"capacity_qps": {"type": "number"}, "replicas": {"type": "integer"}}}},
        # meets_constraints is exactly "not rejected", and a rejected candidate lists its misses.
        {"if": {"properties": {"rejected": {"type": "null"}}},
         "then": {"properties": {"meets_constraints": {"const": True}, "constraint_misses": {"maxItems": 0}}},
         "else": {"properties": {"meets_constraints": {"const": False}, "constraint_misses": {"minItems": 1}}}},
    ]
    return out


def multi_task():
    """src/report/multitask_report.cpp: only for a scenario with tasks."""
    bytes_ = count()
    floor = obj({
        "task": NON_EMPTY,
        "min_quality": described(nullable(FRACTION), "the task's floor, else the scenario's; null: none"),
        "quality": described(nullable(FRACTION), "model quality for the task kind x variant retention; null: no figure"),
        "meets_floor": BOOLEAN,
    }, ["task", "min_quality", "quality", "meets_floor"])
    deployment = obj({
        "tasks": {"type": "array", "items": NON_EMPTY, "minItems": 1},
        "task_floors": described({"type": "array", "items": floor, "minItems": 1},
                                 "one per task served, in the order of tasks"),
        "model": NON_EMPTY, "variant": NON_EMPTY, "hardware": NON_EMPTY,
        "gpus_per_replica": count(1), "replicas": count(1), "batch_per_replica": count(1),
        "qps": NON_NEGATIVE, "ttft_ms": NON_NEGATIVE,
        "queue_wait_ms": described(NON_NEGATIVE, "M/D/1 wait at the deployment's QPS / replicas (docs/method.md)"),
        "ttft_at_load_ms": described(NON_NEGATIVE, "ttft_ms + queue_wait_ms"),
        "tpot_ms": NON_NEGATIVE, "latency_ms": NON_NEGATIVE,
        "weights_bytes": bytes_, "per_gpu_bytes": bytes_, "base_parameters": count(),
        "adapters": described(count(), "unmerged adapters held (0: a separate model, its adapter merged)"),
        "adapter_parameters": count(), "adapter_memory_bytes": bytes_,
        "cost_per_year_usd": NON_NEGATIVE, "adapter_upkeep_usd_per_year": NON_NEGATIVE,
    }, None)
    deployment["required"] = list(deployment["properties"])
    total_keys = ["memory_bytes", "gpus", "latency_ms", "cost_per_year_usd", "total_usd", "weighted_index_usd",
                  "adapter_upkeep_usd_per_year", "parameter_reuse_rate", "adapter_parameters",
                  "adapter_memory_bytes", "quality", "score"]
    totals = {key: nullable(NON_NEGATIVE) for key in total_keys}
    totals["gpus"] = nullable(count(1))
    totals["memory_bytes"] = nullable(count())
    totals["adapter_parameters"] = nullable(count())
    totals["adapter_memory_bytes"] = nullable(count())
    totals["parameter_reuse_rate"] = described(nullable(FRACTION), "shared base parameters / all parameters")
    totals["quality"] = nullable(FRACTION)
    totals["score"] = nullable(NUMBER)
    properties = {
        "kind": {"enum": ["shared", "separate", "mixed"]},
        "accepted": BOOLEAN,
        "rejection": nullable(obj({"reason": NON_EMPTY, "detail": NON_EMPTY}, ["reason", "detail"])),
        "deployments": {"type": "array", "items": deployment},
    }
    properties.update(totals)
    plan = obj(properties, list(properties))
    plan["allOf"] = [
        {"if": {"properties": {"accepted": {"const": True}}},
         "then": {"properties": dict({key: {"not": {"type": "null"}} for key in total_keys},
                                     rejection={"type": "null"}, deployments={"minItems": 1})},
         "else": {"properties": dict({key: {"type": "null"} for key in total_keys}, rejection={"type": "object"})}},
    ]
    task = obj({"id": NON_EMPTY, "share": POSITIVE_FRACTION, "qps": NON_NEGATIVE, "task_kind": STRING},
               ["id", "share", "qps", "task_kind"])
    reference = obj({
        "parameter_reuse_rate": described(FRACTION, "quoted by the source document (seed §3.3), not computed"),
        "tasks": count(),
        "source": STRING,
        "model": described(nullable(NON_EMPTY), "the base the computed figures are for; null when no plan has one"),
        "default_adapter_parameters": nullable(count()),
        "computed_parameter_reuse_rate": described(nullable(FRACTION), "base / (base + tasks x default adapter)"),
        "implied_adapter_parameters": described(nullable(count()), "per task, for the quoted rate"),
        "implied_lora_rank": described(nullable(NON_NEGATIVE), "that size as a LoRA rank on the default targets"),
    }, ["parameter_reuse_rate", "tasks", "source", "model", "default_adapter_parameters",
        "computed_parameter_reuse_rate", "implied_adapter_parameters", "implied_lora_rank"])
    out = obj({
        "tasks": {"type": "array", "items": task, "minItems": 1},
        "plans": {"type": "array", "items": plan, "minItems": 2, "maxItems": 3},
        "best_plan": {"enum": ["shared", "separate", "mixed", None]},
        "reference": reference,
        "notes": {"type": "array", "items": NON_EMPTY},
    }, ["tasks", "plans", "best_plan", "reference", "notes"])
    out["description"] = "only for a scenario with tasks (docs/multitask.md): shared base + adapters, separate models, mixed"
    return out


def recommendation_document():
    ranked = {"allOf": [ref("candidate"), {"required": ["rank", "accuracy"], "properties": {"rejected": {"type": "null"}}}]}
    missed = {"allOf": [ref("candidate"), {"not": {"anyOf": [{"required": ["rank"]}, {"required": ["accuracy"]}]},
                                           "properties": {"rejected": {"type": "object"}}}]}
    out = document("Recommendation", {
        "scenario": ref("scenario_summary"),
        "recommendations": {"type": "array", "items": ranked, "description": "best first, at most --top"},
        "rejected_by_reason": {"type": "object", "additionalProperties": count(1),
                               "description": "reason (or reject rule id) -> candidates it rejected first"},
        "candidates_evaluated": count(),
        "candidates_accepted": count(),
        "candidates_folded": described(count(), "accepted candidates folded into an identical row "
                                                "(identical_variants): ranked rows = accepted - folded"),
        "candidates_rejected": count(),
        "nearest_miss_by_reason": described({"type": "object", "additionalProperties": missed},
                                            "with --explain, or when nothing satisfies the scenario: the candidate "
                                            "closest to passing, per reason"),
        "nearest_miss": described(nullable(obj({
            "candidate": NON_EMPTY,
            "reason": NON_EMPTY,
            "detail": STRING,
            "flag": described(nullable(NON_EMPTY), "the flag to relax; null for a reason no flag relaxes"),
            "suggested_value": described(nullable({"type": "number"}),
                                         "the value of the first change (flag); null with no verified advice"),
            "unit": nullable(STRING),
            "changes": described({"type": "array", "items": ref("change")},
                                 "every flag change that admits this candidate, verified by searching again "
                                 "with them all; empty when no change of limit flags admits a candidate"),
        }, ["candidate", "reason", "detail", "flag", "suggested_value", "unit", "changes"])),
            "only when nothing satisfies the scenario: the verified advice with the fewest changes (docs/ranking.md "
            "'Advice'), else the nearest miss over every reason without advice (null: none was judged)"),
        "suggestions": described({"type": "array", "items": obj({
            "reason": NON_EMPTY,
            "candidate": NON_EMPTY,
            "detail": NON_EMPTY,
            "flags": described(NON_EMPTY, "the changes as command-line flags"),
            "changes": {"type": "array", "items": ref("change"), "minItems": 1},
        }, ["reason", "candidate", "detail", "flags", "changes"])},
            "only when nothing satisfies the scenario: per rejection reason, its nearest candidate that changing "
            "limit flags admits, with every change (each verified: applied together, recommend exits 0)"),
        "multi_task": multi_task(),
    }, ["scenario", "recommendations", "rejected_by_reason", "candidates_evaluated", "candidates_accepted",
        "candidates_folded", "candidates_rejected"])
    return out


def comparison_document():
    unranked = {"allOf": [ref("candidate"), {"not": {"required": ["rank"]}}, {"required": ["accuracy"]}]}
    difference = obj({
        "candidate": NON_EMPTY,
        "against": described(NON_EMPTY, "the first candidate"),
        "training_usd": ref("delta"),
        "total_usd": ref("delta"),
        "weighted_index_usd": ref("delta"),
        "latency_ms": ref("delta"),
        "quality": ref("delta"),
    }, ["candidate", "against", "training_usd", "total_usd", "weighted_index_usd", "latency_ms", "quality"])
    return document("Comparison", {
        "scenario": ref("scenario_summary"),
        "candidates": {"type": "array", "items": unranked, "minItems": 1},
        "differences": {"type": "array", "items": difference,
                        "description": "each candidate after the first against the first (null: not comparable)"},
    })


def recommendation_schema():
    out = recommendation_document()
    out["definitions"] = selection_definitions()
    return out


def comparison_schema():
    out = comparison_document()
    out["definitions"] = selection_definitions()
    return out


def tco_schema():
    defs = selection_definitions()
    common = {
        "scenario": ref("scenario_summary"),
        "candidate": described(NON_EMPTY, "MODEL:VARIANT@HARDWARExGPUS"),
        "replicas": count(0),
        "ownership": {"enum": ["rented", "owned"]},
        "years": described(POSITIVE, "horizon"),
        "meets_constraints": described(BOOLEAN, "false when the candidate misses a constraint or a reject rule: "
                                                "tco exits 1 and still writes the cost when it could be sized "
                                                "(docs/tco.md)"),
        "constraint_misses": {"type": "array", "items": ref("constraint_miss")},
        "accuracy": described(accuracy_schema(), "added in 1.2: how far estimates like this candidate's TTFT, TPOT and "
                                                 "(from 1.3) capacity have been from measurements "
                                                 "(data/accuracy.json)"),
        "warnings": described({"type": "array", "items": obj({"rule": NON_EMPTY, "message": STRING}, ["rule", "message"])},
                              "added in 1.10: the rules' warnings of a candidate that passes the constraints (empty "
                              "otherwise), claimed-variant among them, as a compared candidate carries them"),
        "claimed": described({"const": True}, "added in 1.10, only when the variant rests on the source document's "
                                              "claim (docs/quality.md), whether or not the candidate passes"),
        "claim": described(STRING, "added in 1.10, only with claimed: why the variant is a claim"),
    }
    optional = ("claimed", "claim")
    costed_props = dict(common)
    costed_props["replicas"] = count(1)
    costed_props.update(defs["cost"]["properties"])
    costed_props["inputs"] = obj({
        "price_usd_per_hour": NON_NEGATIVE,
        "price_source": STRING,
        "purchase_usd": NON_NEGATIVE,
        "purchase_source": STRING,
        "weights_source": NON_EMPTY,
        "training_source": NON_EMPTY,
    }, ["price_usd_per_hour", "price_source", "purchase_usd", "purchase_source", "weights_source", "training_source"])
    costed = document("Tco", costed_props, [key for key in costed_props if key not in optional])
    uncosted_props = dict(common, **{
        "cost": {"type": "null"},
        "rejected": nullable(obj({"reason": NON_EMPTY, "detail": NON_EMPTY}, ["reason", "detail"])),
    })
    uncosted = document("Tco", uncosted_props, [key for key in uncosted_props if key not in optional])
    return {"oneOf": [costed, uncosted], "definitions": defs,
            "description": "a costed candidate: the cost fields inline plus inputs; otherwise cost null and why"}


def finetune_plan_schema():
    memory_keys = ["weights_bytes", "gradients_bytes", "optimizer_bytes", "states_bytes", "activations_bytes",
                   "total_bytes", "gather_bytes_per_gpu", "overhead_bytes_per_gpu", "per_gpu_bytes",
                   "capacity_per_gpu_bytes", "usable_per_gpu_bytes", "shortfall_bytes"]
    memory_props = {key: count() for key in memory_keys}
    memory_props["bytes_per_parameter"] = described(NON_NEGATIVE, "states_bytes / total parameters (16 for full)")
    memory_props["mixed_precision"] = nullable(obj({
        "fp32_total_bytes": count(),
        "computed_saving_fraction": NUMBER,
        "catalog_saving_fraction": nullable(FRACTION),
        "catalog_source": nullable(NON_EMPTY),
    }, ["fp32_total_bytes", "computed_saving_fraction", "catalog_saving_fraction", "catalog_source"]))
    stage = obj({
        "stage": count(1), "first_layer": count(), "last_layer": count(), "unfrozen_layers": count(1),
        "head": BOOLEAN, "embedding": BOOLEAN, "trainable_parameters": count(), "tokens": count(),
        "flops": NON_NEGATIVE, "gpu_hours": NON_NEGATIVE,
    }, ["stage", "first_layer", "last_layer", "unfrozen_layers", "head", "embedding", "trainable_parameters",
        "tokens", "flops", "gpu_hours"])
    tier = obj({
        "tier": {"enum": ["top", "middle", "bottom"]},
        "first_layer": nullable(count()), "last_layer": nullable(count()),
        "includes": {"type": "array", "items": {"enum": ["head", "final_norm", "embedding"]}},
        "trainable_parameters": count(),
        "learning_rate_multiplier": POSITIVE, "learning_rate": POSITIVE,
    }, ["tier", "first_layer", "last_layer", "includes", "trainable_parameters", "learning_rate_multiplier",
        "learning_rate"])
    properties = {
        "model": NON_EMPTY,
        "variant": described(nullable(NON_EMPTY), "LoRA only: how the frozen base is stored; null: 16 bits"),
        "hardware": NON_EMPTY,
        "method": {"enum": ["full", "lora", "qlora"]},
        "tokens": count(1),
        "training": obj({"sequence_tokens": count(1), "micro_batch_sequences": count(1),
                         "activation_checkpointing": BOOLEAN, "optimizer": NON_EMPTY, "precision": NON_EMPTY,
                         "mfu": POSITIVE_FRACTION},
                        ["sequence_tokens", "micro_batch_sequences", "activation_checkpointing", "optimizer",
                         "precision", "mfu"]),
        "lora": nullable(obj({"rank": count(1), "targets": {"enum": ["attention", "all"]},
                              "adapter_parameters": count(), "base_bits": nullable(POSITIVE)},
                             ["rank", "targets", "adapter_parameters", "base_bits"])),
        "parameters": obj({"total": count(), "active": count(), "trainable": count()},
                          ["total", "active", "trainable"]),
        "memory": obj(memory_props, list(memory_props)),
        "fits": BOOLEAN,
        "gpus": described(nullable(count(1)), "smallest count that holds the plan; null when none up to max_gpus"),
        "max_gpus": count(1),
        "time_hours": described(nullable(NON_NEGATIVE), "wall-clock: gpu_hours / gpus; null when it does not fit"),
        "time": obj({"flops": NON_NEGATIVE, "peak_tflops_per_gpu": POSITIVE, "gpu_hours": NON_NEGATIVE,
                     "wall_hours": nullable(NON_NEGATIVE)},
                    ["flops", "peak_tflops_per_gpu", "gpu_hours", "wall_hours"]),
        "cost": obj({"training_usd": NON_NEGATIVE, "usd_per_gpu_hour": NON_NEGATIVE, "source": NON_EMPTY},
                    ["training_usd", "usd_per_gpu_hour", "source"]),
        "learning_rate": obj({"base": POSITIVE, "source": NON_EMPTY, "tier_ratio": POSITIVE},
                             ["base", "source", "tier_ratio"]),
        "stages": {"type": "array", "items": stage, "minItems": 1},
        "tiers": {"type": "array", "items": tier, "minItems": 3, "maxItems": 3},
    }
    out = document("FinetunePlan", properties)
    out["allOf"] = [
        {"if": {"properties": {"fits": {"const": True}}},
         "then": {"properties": {"gpus": count(1), "time_hours": NON_NEGATIVE}},
         "else": {"properties": {"gpus": {"type": "null"}, "time_hours": {"type": "null"}}}},
        {"if": {"properties": {"method": {"const": "full"}}},
         "then": {"properties": {"lora": {"type": "null"}, "variant": {"type": "null"}}},
         "else": {"properties": {"lora": {"type": "object"}}}},
    ]
    return out


def error_object():
    return obj({"exit_code": {"enum": [1, 2, 65, 66, 70, 74], "description": "README's exit codes"},
                "message": NON_EMPTY}, ["exit_code", "message"])


def batch_result_schema():
    defs = selection_definitions()
    defs["recommendation"] = recommendation_document()
    defs["comparison"] = comparison_document()
    defs["error"] = error_object()
    # Misses only where nothing satisfied the scenario (batch has no --explain).
    rec_no_explain = {"allOf": [ref("recommendation"), {
        "if": {"properties": {"recommendations": {"minItems": 1}}},
        "then": {"not": {"anyOf": [{"required": ["nearest_miss_by_reason"]}, {"required": ["nearest_miss"]},
                                   {"required": ["suggestions"]}]}}}]}
    out = document("BatchResult", {
        "line": described(count(1), "the input line (or array element) number, from 1"),
        "id": described(nullable(NON_EMPTY), "the scenario id; null when the line could not be read that far"),
        "status": {"enum": ["ok", "unsatisfiable", "invalid"]},
        "result": {"oneOf": [rec_no_explain, ref("comparison")],
                   "description": "a Recommendation, or a Comparison when the item has candidates"},
        "error": ref("error"),
    }, ["line", "id", "status"])
    accepted = {"properties": {"rejected": {"type": "null"}}, "required": ["rejected"]}
    out["allOf"] = [
        {"if": {"properties": {"status": {"const": "invalid"}}},
         "then": {"required": ["error"], "not": {"required": ["result"]}},
         "else": {"required": ["result"], "not": {"required": ["error"]}}},
        # ok: something was accepted; unsatisfiable: nothing was.
        {"if": {"properties": {"status": {"const": "ok"}}},
         "then": {"properties": {"result": {"anyOf": [
             {"properties": {"kind": {"const": "Recommendation"}, "recommendations": {"minItems": 1}}},
             {"properties": {"kind": {"const": "Comparison"}, "candidates": {"contains": accepted}}}]}}}},
        {"if": {"properties": {"status": {"const": "unsatisfiable"}}},
         "then": {"properties": {"result": {"anyOf": [
             {"properties": {"kind": {"const": "Recommendation"}, "recommendations": {"maxItems": 0}}},
             {"properties": {"kind": {"const": "Comparison"}, "candidates": {"not": {"contains": accepted}}}}]}}}},
    ]
    out["definitions"] = defs
    return out


def batch_summary_schema():
    return document("BatchSummary", {
        "items": described(count(), "ok + unsatisfiable + invalid"),
        "ok": count(),
        "unsatisfiable": count(),
        "invalid": count(),
    })


def deployment_schema():
    """src/deploy/deploy.cpp deployment_json: `dsselect deploy ... -o json`."""
    optional_count = nullable(count(1))
    settings = obj({
        "gpus_per_replica": count(1),
        "replicas": count(1),
        "gpus": described(count(1), "gpus_per_replica x replicas"),
        "nodes_per_replica": described(count(1), "> 1: a LeaderWorkerSet spreads each replica over nodes"),
        "tensor_parallel_size": described(optional_count, "= gpus_per_replica; null for a layer-split engine (llama.cpp)"),
        "pipeline_parallel_size": nullable(count(1)),
        "max_sequences": described(count(1), "the candidate's batch per replica"),
        "context_length": described(count(1), "per sequence: the scenario's context (prompt + output when unset)"),
        "memory_fraction": described(nullable(POSITIVE_FRACTION), "the engine profile's usable memory fraction"),
        "max_batched_tokens": described(nullable(count(1)), "the engine profile's chunked-prefill token budget"),
        "cuda_graph_max_batch": described(nullable(count(1)), "the largest decode batch the server replays from a CUDA graph, "
                                          "set to max_sequences (SGLang --cuda-graph-max-bs); null: the engine has no such flag"),
        "chunked_prefill": BOOLEAN,
        "quantization_format": NON_EMPTY,
        "dtype": nullable(NON_EMPTY),
        "quantization": nullable(NON_EMPTY),
        "kv_cache_dtype": nullable(NON_EMPTY),
        "gguf_type": nullable(NON_EMPTY),
        "gpu_layers": optional_count,
        "split_mode": {"enum": ["layer", "none", None]},
        "threads": optional_count,
        "total_context": described(optional_count, "llama.cpp -c: context_length x max_sequences"),
    }, None)
    settings["required"] = list(settings["properties"])
    expected = obj({key: NON_NEGATIVE for key in ["capacity_qps", "required_qps", "ttft_ms", "ttft_at_load_ms", "tpot_ms", "latency_ms",
                                                  "yearly_usd"]}, None)
    expected["required"] = list(expected["properties"])
    artefact = obj({
        "format": NON_EMPTY,
        "repository": described(NON_EMPTY, "a public repository id, or a '<fill in: ...>' placeholder"),
        "file": nullable(NON_EMPTY),
        "placeholder": BOOLEAN,
        "source": NON_EMPTY,
    }, ["format", "repository", "file", "placeholder", "source"])
    flag = obj({"setting": NON_EMPTY, "flag": {"type": "string", "pattern": "^-"}, "value": STRING, "source": NON_EMPTY},
               ["setting", "flag", "value", "source"])
    file = obj({"path": NON_EMPTY, "bytes": count(1), "content": NON_EMPTY}, ["path", "bytes", "content"])
    return document("Deployment", {
        "scenario": obj({"id": NON_EMPTY, "qps": NON_NEGATIVE, "prompt_tokens": count(1), "output_tokens": count(1),
                         "context_tokens": count(1)},
                        ["id", "qps", "prompt_tokens", "output_tokens", "context_tokens"]),
        "candidate": described(NON_EMPTY, "MODEL:VARIANT@HARDWARExGPUS"),
        "model": NON_EMPTY,
        "variant": NON_EMPTY,
        "hardware": NON_EMPTY,
        "engine": NON_EMPTY,
        "target": {"enum": ["shell", "compose", "kubernetes"]},
        "vendor": {"enum": ["nvidia", "amd", "edge"]},
        "image": described(nullable(NON_EMPTY), "null for edge hardware (shell only)"),
        "settings": settings,
        "expected": described(expected, "what the recommendation promised for these settings"),
        "artefact": artefact,
        "command": {"type": "array", "items": STRING, "minItems": 1, "description": "one replica's (the leader's) argv"},
        "flags": {"type": "array", "items": flag, "description": "every flag of command, with its documented source"},
        "port": count(1),
        "health_path": NON_EMPTY,
        "files": {"type": "array", "items": file, "minItems": 1},
        "notes": {"type": "array", "items": NON_EMPTY},
    })


# --- files --------------------------------------------------------------------------------

SCHEMAS = [
    ("catalog.schema.json", "dsselect catalog file",
     "A data file (shipped data/*.json or --data FILE): schema_version \"1.0\", \"1.1\", \"1.2\" or \"1.3\" and any of the arrays models, "
     "variants, hardware, scenarios, rules, engines. Later files replace entries by id. Checks that JSON Schema "
     "cannot express (duplicate ids, unknown referenced ids, kv heads dividing attention heads, context_tokens >= "
     "prompt + output, max_ttft_ms <= max_latency_ms, num_experts_per_tok <= n_routed_experts) are left to "
     "`dsselect validate`.", catalog_schema),
    ("scenario.schema.json", "dsselect scenario",
     "One scenario object (--scenario FILE, or an item of `dsselect batch` input). A batch item may also carry "
     "candidates, top and weights: validate it against #/definitions/batch_item (the root rejects them, as "
     "--scenario FILE does). --scenario also accepts a data document holding exactly one scenario; validate that "
     "against catalog.schema.json.", scenario_schema),
    ("rules.schema.json", "dsselect policy rules file",
     "A rules file (--rules FILE, data/rules.json): schema_version \"1.0\", \"1.1\", \"1.2\" or \"1.3\" and rules[]; the catalog arrays are "
     "ignored by the rules reader.", rules_schema),
    ("model-list.schema.json", "dsselect ModelList", "`dsselect catalog models -o json`: the catalog's models with "
     "computed parameter counts.", model_list_schema),
    ("variant-list.schema.json", "dsselect VariantList", "`dsselect catalog variants -o json`.", variant_list_schema),
    ("hardware-list.schema.json", "dsselect HardwareList", "`dsselect catalog hardware -o json`.",
     hardware_list_schema),
    ("engine-list.schema.json", "dsselect EngineList", "`dsselect catalog engines -o json`; every item is also a "
     "valid engine input.", engine_list_schema),
    ("scenario-list.schema.json", "dsselect ScenarioList", "`dsselect catalog scenarios -o json`; every item is "
     "also a valid scenario input.", scenario_list_schema),
    ("estimate.schema.json", "dsselect Estimate", "`dsselect estimate ... -o json` (explain only with --explain). "
     "A configuration that does not fit is still reported, with null timings.", estimate_schema),
    ("recommendation.schema.json", "dsselect Recommendation", "`dsselect recommend ... -o json` "
     "(nearest_miss_by_reason with --explain or when nothing satisfies; nearest_miss then too).", recommendation_schema),
    ("comparison.schema.json", "dsselect Comparison", "`dsselect compare ... -o json`.", comparison_schema),
    ("tco.schema.json", "dsselect Tco", "`dsselect tco ... -o json`.", tco_schema),
    ("batch-result.schema.json", "dsselect BatchResult", "One result line of `dsselect batch` (JSON Lines): "
     "result for ok and unsatisfiable items, error for invalid ones.", batch_result_schema),
    ("batch-summary.schema.json", "dsselect BatchSummary", "The last line of `dsselect batch`.",
     batch_summary_schema),
    ("finetune-plan.schema.json", "dsselect FinetunePlan", "`dsselect plan finetune ... -o json`: training memory, "
     "GPU count, time, cost and the progressive-unfreezing schedule (docs/finetune.md). A plan that does not fit is "
     "still reported, with gpus and time_hours null.", finetune_plan_schema),
    ("deployment.schema.json", "dsselect Deployment", "`dsselect deploy ... -o json`: the settings derived from the "
     "recommendation, the engine's command with each flag's source, and the files written (docs/deploy.md).",
     deployment_schema),
    ("error.schema.json", "dsselect error object", "An error: the exit code the failure maps to (README) and the "
     "message, as in an invalid BatchResult.", error_object),
]


def build():
    """file name -> schema document."""
    out = {}
    for name, title, description, make in SCHEMAS:
        body = make()
        schema = {"$schema": DRAFT, "$id": BASE_ID + name, "title": title, "description": description}
        if "description" in body:
            schema["description"] += " " + body.pop("description")
        schema.update(body)
        out[name] = schema
    return out


def render(schema):
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    target = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "schemas")
    os.makedirs(target, exist_ok=True)
    for name, schema in build().items():
        with open(os.path.join(target, name), "w", encoding="utf-8") as stream:
            stream.write(render(schema))
        print("wrote", os.path.join(target, name))


if __name__ == "__main__":
    main()
