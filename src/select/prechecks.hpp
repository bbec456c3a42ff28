#pragma once
// Pass: the cheap pre-checks. What needs no estimate (the scenario's allow-lists, the variant's
// applicability, GPUs per replica, the context window, matrix-unit precision, model size and
// quality), checked in one fixed order: which check a candidate misses first, and by how much.
// The search tallies the miss by its code; explain_precheck words it for the few it shows.
#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "dsselect/catalog/types.hpp"
#include "dsselect/estimate/estimator.hpp"
#include "dsselect/select/candidate.hpp"

namespace dsselect::select {

// What the checks need about a model and variant, whatever the hardware: computed once per pair
// in a search, not once per candidate.
struct PairFacts {
    ParameterCounts parameters;  // model_parameters(model), for every estimate of the pair
    std::optional<double> quality_base;
    double quality = 0;
    double weights_on_disk_bytes = 0;
    bool context_too_long = false;
    std::optional<double> active_fraction;  // mixed_active_fraction(scenario mix, variant)
    // The quality floors: the scenario's on its task kind and, with tasks, each task's on its
    // own kind (docs/multitask.md). The worst miss: floor / quality (infinity: no published
    // figure under a floor above 0); 0 when every floor is met or none is set.
    double quality_miss_ratio = 0;
    int quality_miss_task = -1;  // index into the scenario's tasks; -1: the scenario's own floor
    double quality_miss_floor = 0;
    // The --min-quality that admits the pair: its lowest quality over the floored task kinds
    // (the flag sets every floor).
    double quality_admitted_at = 0;
    // The engine's default KV-cache bits for the pair (kv_cache_bits_for without a flag),
    // resolved once per pair rather than per candidate.
    std::optional<double> engine_kv_cache_bits;
};
PairFacts pair_facts(const Scenario& s, const Model& model, const Variant& variant, const Engine* engine);
// Engine::sparse_2_4_kernels; false without an engine, as the default profile has it.
inline bool has_sparse_2_4_kernels(const Engine* engine) {
    return engine != nullptr && engine->sparse_2_4_kernels;
}
// What pair_facts reads of the model alone and of the variant alone: a search works them out
// once per model and once per variant, not once per pair.
struct ModelFacts {
    ParameterCounts parameters;          // model_parameters(model)
    std::optional<double> quality_base;  // model.quality_for(the scenario's task kind)
};
ModelFacts model_facts(const Scenario& s, const Model& model);
// The engine's default KV-cache bits for the model and variant (kv_cache_bits_for without a flag).
std::optional<double> engine_kv_cache_bits(const Engine* engine, const Model& model, const Variant& variant);
// sparse_2_4_kernels: the engine's (has_sparse_2_4_kernels), which decides whether a 2:4 sparse
// variant's weights are stored packed.
PairFacts pair_facts(const Scenario& s, const Model& model, const Variant& variant, const ModelFacts& of_model,
                     std::optional<double> kv_cache_bits, bool sparse_2_4_kernels);

// The yes/no facts the pre-checks need about a model, variant and hardware. A search reads
// them from tables built once (CandidateSpace); one candidate alone computes them here.
struct EarlyFlags {
    bool allowed = true;        // by the scenario's allowed models, variants and hardware
    bool applies = true;        // the variant applies to the model
    bool has_precision = true;  // the hardware has matrix units at the variant's precision
    bool consumer_ok = true;    // not a consumer card the scenario excludes (exclude_consumer)
    bool served = true;         // the engine serves the variant's format on this hardware
    bool splits = true;         // the engine can split the model over the GPUs (select/topology.hpp)
};
// The flags' parts, which a search tabulates per model and variant and per hardware.
bool pair_allowed(const Constraints& k, const Model& model, const Variant& variant);
bool hardware_allowed(const Constraints& k, const Hardware& hardware);
bool has_precision(const Hardware& hardware, const Variant& variant);
// Consumer cards (licence terms forbid data-centre use) are left out on request
// (constraints.exclude_consumer, --exclude-consumer; docs/tco.md).
inline bool consumer_ok(const Constraints& k, const Hardware& hardware) { return !hardware.consumer || !k.exclude_consumer; }
// A variant that rests only on the source document's claim is searched and filled in only when
// the scenario opts in (constraints.include_claimed, --include-claimed; docs/quality.md).
inline bool claim_allowed(const Constraints& k, const Variant& variant) { return !variant.claimed || k.include_claimed; }
EarlyFlags early_flags(const Scenario& s, const Model& model, const Variant& variant, const Hardware& hardware,
                       std::int64_t gpus, const Engine* engine);

// The pre-checks in the order they apply; `count` sizes tables indexed by the code.
enum class Early {
    none,
    not_allowed,
    variant_not_applicable,
    max_gpus,
    context,
    precision,
    engine,
    tensor_parallel,
    model_size,
    quality,
    consumer,
    count
};
inline constexpr std::size_t k_early_count = static_cast<std::size_t>(Early::count);

// The rejection reason of a pre-check ("context"); empty for Early::none.
std::string_view early_reason(Early early);

struct EarlyMiss {
    Early early = Early::none;
    double miss_ratio = std::numeric_limits<double>::infinity();
};

// Visits the pre-checks the candidate misses, in the order they apply, until `visit` returns
// false: the one list behind `precheck` (the first miss) and `every_precheck_miss` (all).
template <typename Visit>
inline void visit_precheck_misses(const Scenario& s, const Model& model, std::int64_t gpus, const PairFacts& facts,
                                  const EarlyFlags& flags, Visit&& visit) {
    const Constraints& k = s.constraints;
    if (!flags.allowed && !visit(EarlyMiss{Early::not_allowed})) {
        return;
    }
    if (!flags.applies && !visit(EarlyMiss{Early::variant_not_applicable})) {
        return;
    }
    if (!flags.consumer_ok && !visit(EarlyMiss{Early::consumer})) {
        return;
    }
    if (k.max_gpus_per_replica && gpus > *k.max_gpus_per_replica &&
        !visit(EarlyMiss{Early::max_gpus, static_cast<double>(gpus) / static_cast<double>(*k.max_gpus_per_replica)})) {
        return;
    }
    if (facts.context_too_long &&
        !visit(EarlyMiss{Early::context, static_cast<double>(s.workload.context_tokens) /
                                             static_cast<double>(model.architecture.max_position_embeddings)})) {
        return;
    }
    if (!flags.has_precision && !visit(EarlyMiss{Early::precision})) {
        return;
    }
    if (!flags.served && !visit(EarlyMiss{Early::engine})) {
        return;
    }
    if (!flags.splits && !visit(EarlyMiss{Early::tensor_parallel})) {
        return;
    }
    if (k.max_model_mb && facts.weights_on_disk_bytes / 1e6 > *k.max_model_mb &&
        !visit(EarlyMiss{Early::model_size, facts.weights_on_disk_bytes / 1e6 / *k.max_model_mb})) {
        return;
    }
    if (facts.quality_miss_ratio > 0.0) {
        visit(EarlyMiss{Early::quality, facts.quality_miss_ratio});
    }
}

// The first pre-check the candidate misses, if any. Inline: the search runs it on every slot.
inline EarlyMiss precheck(const Scenario& s, const Model& model, std::int64_t gpus, const PairFacts& facts,
                          const EarlyFlags& flags) {
    EarlyMiss first;
    visit_precheck_misses(s, model, gpus, facts, flags, [&](const EarlyMiss& miss) {
        first = miss;
        return false;
    });
    return first;
}

// Every pre-check the candidate misses, in the same order as `precheck` (whose answer is the
// first of them): a judgement in full lists a candidate's whole set of violations.
std::vector<EarlyMiss> every_precheck_miss(const Scenario& s, const Model& model, std::int64_t gpus,
                                           const PairFacts& facts, const EarlyFlags& flags);

// Whether a candidate that misses this pre-check can still be sized and costed: it names a real
// configuration whose estimate means something (outside the allow-lists, too many GPUs, too
// large, below the quality floor), unlike a variant that does not apply, a context the model
// cannot hold or a precision the hardware lacks.
inline bool can_size_despite(Early early) {
    return early == Early::not_allowed || early == Early::consumer || early == Early::max_gpus || early == Early::model_size ||
           early == Early::quality;
}

// A pre-check's miss as a Rejection with its sentence and numbers; nullopt for Early::none.
std::optional<Rejection> explain_precheck(const EarlyMiss& miss, const Scenario& s, const Model& model,
                                          const Variant& variant, const Hardware& hardware, std::int64_t gpus,
                                          const PairFacts& facts, const Engine* engine);

}  // namespace dsselect::select
