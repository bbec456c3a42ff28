#pragma once
// Which GPU counts can form one replica (docs/ranking.md, "GPUs per replica"): the one home of
// these rules, read by the search (select/space.cpp, the pre-checks), by candidate strings
// (compare, tco) and by `estimate`.
#include <cstdint>
#include <string>

#include "dsselect/catalog/types.hpp"

namespace dsselect {

// The most nodes one replica spans (the search tries 16 and 32 GPUs: two and four 8-GPU nodes).
inline constexpr std::int64_t k_max_nodes_per_replica = 4;

// Why `gpus` devices of this hardware cannot form one replica; empty when they can. Up to
// `max_devices_per_node` devices share one host (an 8-GPU server, or a workstation of up to
// four PCIe cards); more span whole nodes over the inter-node network, which needs
// `allow_multi_node`, a data-centre GPU sold in nodes of 8 or more, a multiple of the node and
// at most k_max_nodes_per_replica nodes. More than one device needs a device-to-device link:
// hardware with `interconnect_gb_per_s` 0 (none listed) forms one-device replicas only.
std::string gpu_count_problem(const Hardware& hardware, std::int64_t gpus, bool allow_multi_node);
// The same test without the sentence (the search asks it for every slot).
bool gpu_count_allowed(const Hardware& hardware, std::int64_t gpus, bool allow_multi_node);

// Why the engine cannot split this model over `gpus` devices; empty when it can. Tensor
// parallelism (vLLM, SGLang, TensorRT-LLM; also a null engine) shards the attention heads:
// their count must divide by `gpus`, and the KV heads (MHA and GQA) must divide by `gpus` or
// divide it (vLLM replicates KV heads when there are fewer KV heads than GPUs). MLA shares one
// latent KV across heads, so only the attention heads count. A layer split (llama.cpp) needs
// no more GPUs than layers. A model whose data has no head count is not checked.
std::string tensor_parallel_problem(const Model& model, std::int64_t gpus, const Engine* engine);
// The same test without the sentence.
bool tensor_parallel_allowed(const Model& model, std::int64_t gpus, const Engine* engine);

// Why the engine cannot serve this variant on this hardware; empty when it can (or when the
// engine states no limits). From data/engines.json: `vendors` (the hardware's `vendor` must be
// one; hardware without a vendor passes) and `weight_formats` (the variant's serving_format must
// be one).
std::string engine_problem(const Engine* engine, const Variant& variant, const Hardware& hardware);
bool engine_serves(const Engine* engine, const Variant& variant, const Hardware& hardware);
// Its two halves (engine_serves is both), which a search tabulates per hardware and per variant.
bool vendor_served(const Engine& engine, const Hardware& hardware);
bool format_served(const Engine& engine, const Variant& variant);

}  // namespace dsselect
