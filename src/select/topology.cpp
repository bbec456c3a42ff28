#include "dsselect/select/topology.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace dsselect {

namespace {
bool spans_nodes(const Hardware& hardware) {
    return hardware.kind == HardwareKind::gpu && hardware.max_devices_per_node >= 8 && hardware.interconnect_gb_per_s > 0;
}

bool kv_heads_split(const Architecture& arch, std::int64_t gpus) {
    if (arch.is_mla()) {
        return true;
    }
    const std::int64_t kv_heads = arch.effective_kv_heads();
    return kv_heads <= 0 || (gpus >= kv_heads ? gpus % kv_heads == 0 : kv_heads % gpus == 0);
}
}  // namespace

bool gpu_count_allowed(const Hardware& hardware, std::int64_t gpus, bool allow_multi_node) {
    const std::int64_t per_node = hardware.max_devices_per_node;
    if (gpus > 1 && hardware.interconnect_gb_per_s <= 0) {
        return false;  // no device-to-device link to time the replica's traffic by
    }
    return gpus <= per_node || (allow_multi_node && spans_nodes(hardware) && gpus % per_node == 0 &&
                                gpus <= k_max_nodes_per_replica * per_node);
}

bool tensor_parallel_allowed(const Model& model, std::int64_t gpus, const Engine* engine) {
    const Architecture& arch = model.architecture;
    if (gpus <= 1) {
        return true;
    }
    if (engine != nullptr && engine->multi_gpu == MultiGpu::layer_split) {
        return arch.num_hidden_layers <= 0 || gpus <= arch.num_hidden_layers;
    }
    const std::int64_t heads = arch.num_attention_heads;
    return heads <= 0 || (heads % gpus == 0 && kv_heads_split(arch, gpus));
}

namespace {
bool listed(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}
}  // namespace

bool vendor_served(const Engine& engine, const Hardware& hardware) {
    return engine.vendors.empty() || hardware.vendor.empty() || listed(engine.vendors, hardware.vendor);
}
bool format_served(const Engine& engine, const Variant& variant) {
    return engine.weight_formats.empty() || listed(engine.weight_formats, serving_format(variant));
}

bool engine_serves(const Engine* engine, const Variant& variant, const Hardware& hardware) {
    return engine == nullptr || (vendor_served(*engine, hardware) && format_served(*engine, variant));
}

std::string engine_problem(const Engine* engine, const Variant& variant, const Hardware& hardware) {
    if (engine_serves(engine, variant, hardware)) {
        return {};
    }
    if (!vendor_served(*engine, hardware)) {
        return fmt::format("engine '{}' runs on {} hardware only; '{}' is {}", engine->id,
                           fmt::join(engine->vendors, ", "), hardware.id, hardware.vendor);
    }
    return fmt::format("engine '{}' serves no {} weights (variant '{}'; it serves {})", engine->id,
                       serving_format(variant), variant.id, fmt::join(engine->weight_formats, ", "));
}

std::string gpu_count_problem(const Hardware& hardware, std::int64_t gpus, bool allow_multi_node) {
    const std::int64_t per_node = hardware.max_devices_per_node;
    if (gpu_count_allowed(hardware, gpus, allow_multi_node)) {
        return {};
    }
    if (hardware.interconnect_gb_per_s <= 0 && gpus <= per_node) {
        return fmt::format("'{}' lists no 'interconnect_gb_per_s' (device-to-device bandwidth per direction), which a "
                           "replica of {} devices needs (tensor parallelism all-reduces over it, a layer split passes "
                           "activations over it); add it with --data (a PCIe 4.0 x16 card: 32)",
                           hardware.id, gpus);
    }
    if (!spans_nodes(hardware)) {
        return fmt::format("{} GPUs exceed the {} device{} of one '{}' host ('max_devices_per_node'); such devices do "
                           "not span hosts",
                           gpus, per_node, per_node == 1 ? "" : "s", hardware.id);
    }
    if (!allow_multi_node) {
        return fmt::format("{} GPUs exceed the {} devices of one '{}' node (add --multi-node to span nodes)", gpus,
                           per_node, hardware.id);
    }
    if (gpus > k_max_nodes_per_replica * per_node) {
        return fmt::format("{} GPUs exceed {} nodes of {} '{}' devices ({}), the most one replica spans", gpus,
                           k_max_nodes_per_replica, per_node, hardware.id, k_max_nodes_per_replica * per_node);
    }
    return fmt::format("{} GPUs exceed the {} devices of one '{}' node and are no multiple of it (a replica spans "
                       "whole nodes: {}, {}, ...)",
                       gpus, per_node, hardware.id, 2 * per_node, 3 * per_node);
}

std::string tensor_parallel_problem(const Model& model, std::int64_t gpus, const Engine* engine) {
    const Architecture& arch = model.architecture;
    if (tensor_parallel_allowed(model, gpus, engine)) {
        return {};
    }
    if (engine != nullptr && engine->multi_gpu == MultiGpu::layer_split) {
        return fmt::format("engine '{}' splits '{}' by layers: {} GPUs exceed its {} layers", engine->id, model.id, gpus,
                           arch.num_hidden_layers);
    }
    const std::int64_t heads = arch.num_attention_heads;
    if (heads % gpus != 0) {
        return fmt::format("tensor parallelism over {} GPUs needs the {} attention heads of '{}' to divide by {}", gpus,
                           heads, model.id, gpus);
    }
    return fmt::format("tensor parallelism over {} GPUs needs the {} KV heads of '{}' to divide by {} or to divide it",
                       gpus, arch.effective_kv_heads(), model.id, gpus);
}

}  // namespace dsselect
