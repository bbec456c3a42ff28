#include "serialize.hpp"

#include <cmath>

namespace dsselect::detail {

namespace {
void put_sources(ordered_json& out, const std::string& source, const SourceMap& sources) {
    if (!source.empty()) {
        out["source"] = source;
    }
    if (!sources.empty()) {
        ordered_json map = ordered_json::object();
        for (const auto& [key, value] : sources) {
            map[key] = value;
        }
        out["sources"] = map;
    }
}
void put_optional(ordered_json& out, const char* key, const std::optional<double>& value) {
    if (value) {
        out[key] = *value;
    }
}
void put_optional(ordered_json& out, const char* key, const std::optional<std::int64_t>& value) {
    if (value) {
        out[key] = *value;
    }
}
void put_if_positive(ordered_json& out, const char* key, std::int64_t value) {
    if (value > 0) {
        out[key] = value;
    }
}
// A serving format -> KV-cache type map, when not empty (in key order: deterministic output).
void put_kv_cache_dtypes(ordered_json& out, const char* key, const std::map<std::string, std::string>& dtypes) {
    if (dtypes.empty()) {
        return;
    }
    ordered_json kv;
    for (const auto& [format, dtype] : dtypes) {
        kv[format] = dtype;
    }
    out[key] = kv;
}
}  // namespace

ordered_json to_json(const Architecture& a) {
    ordered_json out;
    out["num_hidden_layers"] = a.num_hidden_layers;
    out["hidden_size"] = a.hidden_size;
    put_if_positive(out, "intermediate_size", a.intermediate_size);
    out["num_attention_heads"] = a.num_attention_heads;
    put_if_positive(out, "num_key_value_heads", a.num_key_value_heads);
    put_if_positive(out, "head_dim", a.head_dim);
    out["vocab_size"] = a.vocab_size;
    put_if_positive(out, "max_position_embeddings", a.max_position_embeddings);
    out["tie_word_embeddings"] = a.tie_word_embeddings;
    if (a.is_moe()) {
        out["n_routed_experts"] = a.n_routed_experts;
        out["n_shared_experts"] = a.n_shared_experts;
        out["num_experts_per_tok"] = a.num_experts_per_tok;
        out["moe_intermediate_size"] = a.moe_intermediate_size;
        out["first_k_dense_replace"] = a.first_k_dense_replace;
    }
    if (a.is_mla()) {
        out["q_lora_rank"] = a.q_lora_rank > 0 ? ordered_json(a.q_lora_rank) : ordered_json(nullptr);
        out["kv_lora_rank"] = a.kv_lora_rank;
        out["qk_rope_head_dim"] = a.qk_rope_head_dim;
        out["qk_nope_head_dim"] = a.qk_nope_head_dim;
        out["v_head_dim"] = a.v_head_dim;
    }
    if (a.has_sliding_window()) {
        out["sliding_window"] = a.sliding_window;
        out["sliding_window_layers"] = a.sliding_window_layers;
    }
    if (!a.model_type.empty()) {
        out["model_type"] = a.model_type;
    }
    return out;
}

ordered_json to_json(const Model& m) {
    ordered_json out;
    out["id"] = m.id;
    out["name"] = m.name;
    out["family"] = m.family;
    if (m.parameters_nominal > 0) {
        const double nominal = m.parameters_nominal;
        out["parameters_nominal"] = std::floor(nominal) == nominal && nominal < 9e18
                                        ? ordered_json(static_cast<std::int64_t>(nominal))
                                        : ordered_json(nominal);
    }
    if (m.parameters_override) {
        out["parameters_override"] = *m.parameters_override;
    }
    out["architecture"] = to_json(m.architecture);
    if (!m.reference_hardware_id.empty()) {
        out["reference_hardware"] = {{"hardware", m.reference_hardware_id}, {"gpus", m.reference_gpus}};
    }
    if (!m.typical_scenario_id.empty()) {
        out["typical_scenario"] = m.typical_scenario_id;
    }
    if (!m.quality.empty()) {
        ordered_json quality = ordered_json::array();
        for (const auto& q : m.quality) {
            ordered_json item;
            item["task_kind"] = q.task_kind;
            if (!q.metric.empty()) {
                item["metric"] = q.metric;
            }
            item["score"] = q.score;
            if (!q.source.empty()) {
                item["source"] = q.source;
            }
            quality.push_back(item);
        }
        out["quality"] = quality;
    }
    if (!m.references.empty()) {
        ordered_json references = ordered_json::array();
        for (const auto& r : m.references) {
            ordered_json item;
            item["metric"] = r.metric;
            if (!r.variant_id.empty()) {
                item["variant"] = r.variant_id;
            }
            item["value"] = r.value;
            item["source"] = r.source;
            references.push_back(item);
        }
        out["references"] = references;
    }
    if (!m.deprecated_ids.empty()) {
        out["deprecated_ids"] = m.deprecated_ids;
    }
    put_kv_cache_dtypes(out, "checkpoint_kv_cache_dtype", m.checkpoint_kv_cache_dtype);
    if (!m.checkpoint_fp8_weight_scales.empty()) {
        out["checkpoint_fp8_weight_scales"] = m.checkpoint_fp8_weight_scales;
    }
    put_sources(out, m.source, m.sources);
    return out;
}

ordered_json to_json(const Variant& v) {
    ordered_json out;
    out["id"] = v.id;
    out["name"] = v.name;
    out["weight_bits"] = v.weight_bits;
    out["kv_cache_bits"] = v.kv_cache_bits;
    out["activation_bits"] = v.activation_bits;
    out["parameter_fraction"] = v.parameter_fraction;
    out["active_fraction"] = v.active_fraction;
    out["quality_retention"] = v.quality_retention;
    out["compute_precision"] = to_string(v.compute_precision);
    out["structured_sparsity_2_4"] = v.structured_sparsity_2_4;
    out["risk_flags"] = v.risk_flags;
    out["applies_to"] = v.applies_to;
    if (v.claimed) {
        out["claimed"] = true;
        out["claim"] = v.claim;
    }
    if (!v.combines.empty()) {
        out["combines"] = v.combines;
    }
    if (v.training_memory_fraction) {
        out["training_memory_fraction"] = *v.training_memory_fraction;
    }
    if (v.reference_speedup) {
        out["reference_speedup"] = *v.reference_speedup;
    }
    if (v.bits_per_group) {
        ordered_json groups = ordered_json::object();
        auto put = [&groups](const char* key, const std::optional<double>& bits) {
            if (bits) {
                groups[key] = *bits;
            }
        };
        put("attention", v.bits_per_group->attention);
        put("ffn", v.bits_per_group->ffn);
        put("embedding", v.bits_per_group->embedding);
        put("head", v.bits_per_group->head);
        out["bits_per_group"] = groups;
    }
    put_sources(out, v.source, v.sources);
    return out;
}

ordered_json to_json(const Hardware& h) {
    ordered_json out;
    out["id"] = h.id;
    out["name"] = h.name;
    out["kind"] = h.kind == HardwareKind::gpu ? "gpu" : "edge";
    out["memory_gb"] = h.memory_gb;
    out["memory_bandwidth_gb_per_s"] = h.memory_bandwidth_gb_per_s;
    ordered_json peaks = ordered_json::object();
    for (const auto& [precision, tflops] : h.peak_tflops) {
        peaks[to_string(precision)] = tflops;
    }
    out["peak_tflops"] = peaks;
    put_optional(out, "fp16_accumulate_peak_tflops", h.fp16_accumulate_peak_tflops);
    put_optional(out, "sm_count", h.sm_count);
    put_optional(out, "boost_clock_mhz", h.boost_clock_mhz);
    out["interconnect_gb_per_s"] = h.interconnect_gb_per_s;
    if (h.tdp_w > 0) {
        out["tdp_w"] = h.tdp_w;
    }
    out["price_usd_per_hour"] = h.price_usd_per_hour;
    out["purchase_usd"] = h.purchase_usd;
    out["max_devices_per_node"] = h.max_devices_per_node;
    if (h.consumer) {
        out["consumer"] = true;
    }
    if (!h.vendor.empty()) {
        out["vendor"] = h.vendor;
    }
    put_sources(out, h.source, h.sources);
    return out;
}

namespace {
const char* method_name(TrainingMethod method) {
    switch (method) {
    case TrainingMethod::none: return "none";
    case TrainingMethod::lora: return "lora";
    case TrainingMethod::full: return "full";
    case TrainingMethod::pretrain: return "pretrain";
    }
    return "none";
}
}  // namespace

ordered_json to_json(const Scenario& s) {
    ordered_json out;
    out["id"] = s.id;
    out["name"] = s.name;
    if (!s.description.empty()) {
        out["description"] = s.description;
    }
    out["task_kind"] = s.task_kind;
    out["numerically_sensitive"] = s.numerically_sensitive;
    if (!s.engine_id.empty()) {
        out["engine"] = s.engine_id;
    }
    out["workload"] = {{"prompt_tokens", s.workload.prompt_tokens},
                       {"output_tokens", s.workload.output_tokens},
                       {"qps", s.workload.qps},
                       {"context_tokens", s.workload.context_tokens}};
    if (!s.workload.source.empty()) {
        out["workload"]["source"] = s.workload.source;
    }
    ordered_json c = ordered_json::object();
    const Constraints& k = s.constraints;
    put_optional(c, "max_latency_ms", k.max_latency_ms);
    put_optional(c, "max_ttft_ms", k.max_ttft_ms);
    put_optional(c, "max_tpot_ms", k.max_tpot_ms);
    put_optional(c, "min_quality", k.min_quality);
    put_optional(c, "max_model_mb", k.max_model_mb);
    put_optional(c, "max_power_w", k.max_power_w);
    if (k.max_gpus_per_replica) {
        c["max_gpus_per_replica"] = *k.max_gpus_per_replica;
    }
    put_optional(c, "budget_usd_per_year", k.budget_usd_per_year);
    if (!k.allowed_hardware.empty()) {
        c["allowed_hardware"] = k.allowed_hardware;
    }
    if (!k.allowed_models.empty()) {
        c["allowed_models"] = k.allowed_models;
    }
    if (!k.allowed_variants.empty()) {
        c["allowed_variants"] = k.allowed_variants;
    }
    c["headroom"] = k.headroom;
    c["allow_multi_node"] = k.allow_multi_node;
    if (k.include_claimed) {
        c["include_claimed"] = true;
    }
    if (k.exclude_consumer) {
        c["exclude_consumer"] = true;
    }
    if (!k.source.empty()) {
        c["source"] = k.source;
    }
    out["constraints"] = c;
    const TcoInputs& t = s.tco;
    ordered_json tco;
    tco["years"] = t.years;
    tco["ownership"] = t.ownership == Ownership::rented ? "rented" : "owned";
    tco["utilization"] = t.utilization;
    tco["electricity_usd_per_kwh"] = t.electricity_usd_per_kwh;
    tco["pue"] = t.pue;
    tco["depreciation_years"] = t.depreciation_years;
    tco["maintenance_fraction_per_year"] = t.maintenance_fraction_per_year;
    tco["engineering_hours_per_year"] = t.engineering_hours_per_year;
    tco["engineering_usd_per_hour"] = t.engineering_usd_per_hour;
    tco["mfu"] = t.mfu;
    ordered_json training;
    training["method"] = method_name(t.training.method);
    training["tokens"] = t.training.tokens;
    training["epochs"] = t.training.epochs;
    if (!t.training.quoted_cost_usd.empty()) {
        ordered_json quoted = ordered_json::object();
        for (const auto& [model, cost] : t.training.quoted_cost_usd) {
            quoted[model] = cost;
        }
        training["quoted_cost_usd"] = quoted;
    }
    if (t.training.cost != TrainingCostChoice::quoted) {
        training["cost"] = to_string(t.training.cost);
    }
    if (!t.training.source.empty()) {
        training["source"] = t.training.source;
    }
    tco["training"] = training;
    if (!t.source.empty()) {
        tco["source"] = t.source;
    }
    out["tco"] = tco;
    if (!s.quoted.empty()) {
        ordered_json quoted = ordered_json::array();
        for (const auto& q : s.quoted) {
            quoted.push_back({{"model", q.model_id}, {"metric", q.metric}, {"value", q.value}, {"source", q.source}});
        }
        out["quoted"] = quoted;
    }
    if (!s.complexity_mix.empty()) {
        ordered_json mix = ordered_json::array();
        for (const ComplexityClass& item : s.complexity_mix) {
            mix.push_back({{"share", item.share}, {"active_fraction", item.active_fraction}});
        }
        out["complexity_mix"] = mix;
    }
    if (!s.tasks.empty()) {
        ordered_json tasks = ordered_json::array();
        for (const TaskSpec& task : s.tasks) {
            ordered_json item;
            item["id"] = task.id;
            item["share"] = task.share;
            put_optional(item, "min_quality", task.min_quality);
            if (!task.task_kind.empty()) {
                item["task_kind"] = task.task_kind;
            }
            item["adapter"] = to_json(task.adapter);
            if (task.output_dimension) {
                item["output_dimension"] = *task.output_dimension;
            }
            if (!task.fused_with.empty()) {
                item["fused_with"] = task.fused_with;
            }
            if (!task.source.empty()) {
                item["source"] = task.source;
            }
            tasks.push_back(item);
        }
        out["tasks"] = tasks;
    }
    put_sources(out, s.source, s.sources);
    return out;
}

ordered_json to_json(const AdapterSpec& adapter) {
    ordered_json out;
    if (adapter.kind == AdapterKind::head) {
        out["kind"] = "head";
        out["parameters"] = adapter.parameters;
        return out;
    }
    out["kind"] = "lora";
    out["rank"] = adapter.rank;
    ordered_json modules = ordered_json::array();
    for (AdapterModule module : adapter.target_modules) {
        modules.push_back(to_string(module));
    }
    out["target_modules"] = modules;
    return out;
}

// Every field read_engine reads, so that `catalog engines -o json` reads back.
ordered_json to_json(const Engine& e) {
    ordered_json out;
    out["id"] = e.id;
    out["name"] = e.name;
    out["continuous_batching"] = e.continuous_batching;
    out["mixed_prefill"] = e.mixed_prefill;
    out["sliding_window_kv"] = e.sliding_window_kv_freed ? "window" : "full";
    if (!e.no_sliding_window_model_types.empty()) {
        out["no_sliding_window_model_types"] = e.no_sliding_window_model_types;
    }
    if (e.fp16_accumulate) {
        out["fp16_accumulate"] = true;
    }
    if (e.sparse_2_4_kernels) {
        out["sparse_2_4_kernels"] = true;
    }
    out["multi_gpu"] = e.multi_gpu == MultiGpu::tensor_parallel ? "tensor_parallel" : "layer_split";
    put_optional(out, "runtime_overhead_gib", e.runtime_overhead_gib);
    put_optional(out, "communication_buffer_gib", e.communication_buffer_gib);
    put_optional(out, "usable_memory_fraction", e.usable_memory_fraction);
    put_optional(out, "max_num_seqs", e.max_num_seqs);
    put_optional(out, "max_num_batched_tokens", e.max_num_batched_tokens);
    if (!e.small_gpu_scheduler.empty()) {
        ordered_json rules = ordered_json::array();
        for (const Engine::SmallGpuScheduler& rule : e.small_gpu_scheduler) {
            ordered_json small;
            small["below_memory_gib"] = rule.below_memory_gib;
            if (!rule.hardware_ids_containing.empty()) {
                small["hardware_ids_containing"] = rule.hardware_ids_containing;
            }
            put_optional(small, "max_num_seqs", rule.max_num_seqs);
            put_optional(small, "max_num_batched_tokens", rule.max_num_batched_tokens);
            rules.push_back(small);
        }
        // A list stays a list (and more than one rule can only be one).
        out["small_gpu_scheduler"] = e.small_gpu_scheduler_is_list || rules.size() > 1 ? rules : rules.front();
    }
    put_optional(out, "cuda_graph_max_tokens", e.cuda_graph_max_tokens);
    put_optional(out, "attention_kernel_efficiency", e.attention_kernel_efficiency);
    put_optional(out, "batch_wait_timeout_iters", e.batch_wait_timeout_iters);
    put_optional(out, "batch_wait_max_tokens_ratio", e.batch_wait_max_tokens_ratio);
    ordered_json factors = ordered_json::array();
    for (const EngineFactors& f : e.factors) {
        ordered_json item;
        if (!f.hardware.empty()) {
            item["hardware"] = f.hardware;
        }
        if (!f.vendors.empty()) {
            item["vendors"] = f.vendors;
        }
        if (f.hardware_kind) {
            item["hardware_kind"] = *f.hardware_kind == HardwareKind::gpu ? "gpu" : "edge";
        }
        if (f.precision) {
            item["precision"] = to_string(*f.precision);
        }
        put_optional(item, "compute_efficiency", f.compute_efficiency);
        put_optional(item, "quantized_compute_efficiency", f.quantized_compute_efficiency);
        put_optional(item, "sm_bytes_per_cycle", f.sm_bytes_per_cycle);
        put_optional(item, "sm_quantized_flops_per_cycle", f.sm_quantized_flops_per_cycle);
        put_optional(item, "memory_efficiency", f.memory_efficiency);
        put_optional(item, "per_step_overhead_ms", f.per_step_overhead_ms);
        put_optional(item, "per_layer_overhead_us", f.per_layer_overhead_us);
        put_optional(item, "moe_layer_overhead_us", f.moe_layer_overhead_us);
        put_optional(item, "eager_layer_overhead_us", f.eager_layer_overhead_us);
        put_optional(item, "eager_moe_layer_overhead_us", f.eager_moe_layer_overhead_us);
        put_optional(item, "allreduce_latency_us", f.allreduce_latency_us);
        put_optional(item, "ttft_fixed_ms", f.ttft_fixed_ms);
        put_optional(item, "ttft_batch_exponent", f.ttft_batch_exponent);
        if (!f.source.empty()) {
            item["source"] = f.source;
        }
        factors.push_back(item);
    }
    out["factors"] = factors;
    if (!e.vendors.empty()) {
        out["vendors"] = e.vendors;
    }
    if (!e.weight_formats.empty()) {
        out["weight_formats"] = e.weight_formats;
    }
    put_kv_cache_dtypes(out, "kv_cache_dtype", e.kv_cache_dtype);
    if (!e.moe_expert_kernels.empty()) {
        ordered_json kernels = ordered_json::array();
        for (const MoeExpertKernel& k : e.moe_expert_kernels) {
            ordered_json item;
            item["weight_format"] = k.weight_format;
            if (!k.hardware_ids_containing.empty()) {
                item["hardware_ids_containing"] = k.hardware_ids_containing;
            }
            item["efficiency"] = k.efficiency;
            item["routed_columns"] = k.routed_columns;
            item["token_columns"] = k.token_columns;
            item["ridge_exponent"] = k.ridge_exponent;
            if (k.memory_efficiency > 0.0) {
                item["memory_efficiency"] = k.memory_efficiency;
            }
            if (k.latency_us > 0.0) {
                item["latency_us"] = k.latency_us;
            }
            item["source"] = k.source;
            kernels.push_back(item);
        }
        out["moe_expert_kernels"] = kernels;
    }
    put_sources(out, e.source, e.sources);
    return out;
}

}  // namespace dsselect::detail
