#pragma once
// Pass: the candidate space. Every configuration a search judges (model x variant that applies
// x hardware x GPUs per replica that the hardware and the scenario allow), in enumeration
// order, with the tables computed once per search instead of once per candidate: the
// pre-checks' facts per model and variant, their yes/no flags per hardware, the engine's
// efficiency profile per hardware and precision, and each slot's place in label order.
#include <array>
#include <cstdint>
#include <iterator>
#include <vector>

#include "dsselect/catalog/types.hpp"
#include "dsselect/estimate/estimator.hpp"
#include "dsselect/select/topology.hpp"
#include "select/judge.hpp"
#include "select/prechecks.hpp"
#include "select/rank.hpp"

namespace dsselect::select {

// GPUs per replica a search tries, in order.
inline constexpr std::array<std::int64_t, 6> k_gpu_counts = {1, 2, 4, 8, 16, 32};

// GPUs per replica searched on this hardware: up to one node (or one workstation), or whole
// nodes up to four when the scenario allows multi-node replicas (select/topology.hpp).
bool searchable(const Hardware& hardware, std::int64_t gpus, const Scenario& s);

// How many candidates a search of the scenario judges (checked against --max-candidates before
// any table is built).
std::int64_t search_space_size(const Catalog& catalog, const Scenario& s);

// A candidate's place in the search space: 16 bytes, since a search writes thousands of them
// (its place in label order is read from the tables, for the few ties that need it).
struct Slot {
    std::uint32_t pair;            // index of (model, variant) in the space's pair tables
    std::uint32_t hardware_index;  // index into the catalog's hardware
    std::uint32_t gpus;            // GPUs per replica: k_gpu_counts[gpu_index]
    std::uint32_t gpu_index;       // index into k_gpu_counts
};
static_assert(sizeof(Slot) == 16, "a search writes one Slot per candidate: keep it small");

class CandidateSpace {
public:
    CandidateSpace(const Catalog& catalog, const Scenario& s, const Engine* engine);
    CandidateSpace(const CandidateSpace&) = delete;  // slots point into the tables
    CandidateSpace& operator=(const CandidateSpace&) = delete;

    const std::vector<Slot>& slots() const { return m_slots; }
    // The slot as the pre-checks and the judgement read it (inline: read for every slot);
    // `flags` are flags(slot), when the caller has them.
    Configuration configuration(const Slot& slot) const { return configuration(slot, flags(slot)); }
    Configuration configuration(const Slot& slot, const EarlyFlags& flags) const;
    const Model& model(const Slot& slot) const { return *m_pairs[slot.pair].model; }
    const PairFacts& facts(const Slot& slot) const { return m_pairs[slot.pair].facts; }
    EarlyFlags flags(const Slot& slot) const;
    // Slot a's label sorts before slot b's.
    bool label_before(std::size_t a, std::size_t b) const;
    // The slot's place in label order (exact when m_label_order.exact()).
    LabelKey key(const Slot& slot) const {
        const LabelKey& pair = m_pairs[slot.pair].key;
        return {.model = pair.model,
                .variant = pair.variant,
                .hardware = m_label_order.hardware_rank(slot.hardware_index),
                .gpus = m_label_order.gpus_rank(slot.gpu_index)};
    }

private:
    struct PairTables {
        const Model* model = nullptr;
        const Variant* variant = nullptr;
        std::uint32_t variant_index = 0;  // into the catalog's variants
        LabelKey key;                     // the model and variant ranks in label order
        PairFacts facts;
        bool allowed = true;  // the model and the variant
        // The model's checkpoint sets the KV-cache type (checkpoint_sets_kv_cache_dtype): the
        // pair's bits are facts.engine_kv_cache_bits, not the variant's in m_kv_cache_bits.
        bool kv_from_checkpoint = false;
        std::array<char, k_gpu_counts.size()> splits{};  // per GPU count: tensor_parallel_allowed
    };
    // Per pair and hardware (m_pair_hardware[pair * hardware count + hardware]), as bits: the
    // hardware has the variant's precision; the engine serves the variant there.
    static constexpr char k_has_precision = 1;
    static constexpr char k_served = 2;
    const std::vector<Hardware>* m_hardware;
    const Engine* m_engine;
    LabelOrder m_label_order;
    std::size_t m_hardware_count = 0;
    std::vector<char> m_hardware_allowed;  // per hardware
    std::vector<char> m_consumer_ok;       // per hardware
    std::vector<EfficiencyProfile> m_profiles;  // per hardware x precision
    std::vector<char> m_pair_hardware;          // per pair x hardware: k_has_precision | k_served
    // Per variant x hardware: the engine's default KV-cache bits there (engine_kv_cache_bits_on)
    // for a model whose checkpoint does not set them (PairTables::kv_from_checkpoint).
    std::vector<std::optional<double>> m_kv_cache_bits;
    std::vector<PairTables> m_pairs;
    std::vector<Slot> m_slots;
};

inline EarlyFlags CandidateSpace::flags(const Slot& slot) const {
    const PairTables& pair = m_pairs[slot.pair];
    const char pair_hardware = m_pair_hardware[slot.pair * m_hardware_count + slot.hardware_index];
    return {.allowed = pair.allowed && m_hardware_allowed[slot.hardware_index] != 0,
            .applies = true,  // the space holds only pairs whose variant applies
            .has_precision = (pair_hardware & k_has_precision) != 0,
            .consumer_ok = m_consumer_ok[slot.hardware_index] != 0,
            .served = (pair_hardware & k_served) != 0,
            .splits = pair.splits[slot.gpu_index] != 0};
}

inline Configuration CandidateSpace::configuration(const Slot& slot, const EarlyFlags& flags) const {
    const PairTables& pair = m_pairs[slot.pair];
    const EfficiencyProfile& profile =
        m_profiles[slot.hardware_index * std::size(k_all_precisions) + static_cast<std::size_t>(pair.variant->compute_precision)];
    return {.model = *pair.model,
            .variant = *pair.variant,
            .hardware = (*m_hardware)[slot.hardware_index],
            .gpus = slot.gpus,
            .facts = facts(slot),
            .flags = flags,
            .profile = profile,
            .engine_kv_cache_bits =
                pair.kv_from_checkpoint
                    ? engine_kv_cache_bits_on((*m_hardware)[slot.hardware_index], pair.facts.engine_kv_cache_bits)
                    : m_kv_cache_bits[pair.variant_index * m_hardware_count + slot.hardware_index]};
}

}  // namespace dsselect::select
