#include "select/space.hpp"

#include <iterator>
#include <optional>

namespace dsselect::select {

bool searchable(const Hardware& hardware, std::int64_t gpus, const Scenario& s) {
    return gpu_count_allowed(hardware, gpus, s.constraints.allow_multi_node);
}

namespace {
// The pairs a search enumerates: the variant applies to the model, and a claimed variant only
// on opt-in (docs/quality.md).
bool in_space(const Model& model, const Variant& variant, const Constraints& k) {
    return variant.applies_to_model(model.id) && claim_allowed(k, variant);
}
}  // namespace

std::int64_t search_space_size(const Catalog& catalog, const Scenario& s) {
    std::int64_t per_pair = 0;
    for (const Hardware& hardware : catalog.hardware) {
        for (std::int64_t gpus : k_gpu_counts) {
            per_pair += searchable(hardware, gpus, s) ? 1 : 0;
        }
    }
    // Only the pairs a search enumerates: the same count it reports as "candidates evaluated",
    // so that --max-candidates and the report speak of one number.
    std::int64_t pairs = 0;
    for (const Model& model : catalog.models) {
        for (const Variant& variant : catalog.variants) {
            pairs += in_space(model, variant, s.constraints) ? 1 : 0;
        }
    }
    return per_pair * pairs;
}

CandidateSpace::CandidateSpace(const Catalog& catalog, const Scenario& s, const Engine* engine)
    : m_hardware(&catalog.hardware), m_engine(engine), m_label_order(catalog, k_gpu_counts) {
    const Constraints& k = s.constraints;
    const std::size_t hardware_count = catalog.hardware.size();
    m_hardware_count = hardware_count;
    // The (hardware, GPU count) combinations searched, in enumeration order, with their places
    // in label order: facts of the hardware and the scenario, the same for every pair, so they
    // are worked out once here rather than once per pair.
    struct Searched {
        std::uint32_t hardware;
        std::uint32_t gpus;
        std::uint32_t gpu_index;
    };
    std::vector<Searched> searched;
    for (std::size_t h = 0; h < hardware_count; ++h) {
        for (std::size_t g = 0; g < k_gpu_counts.size(); ++g) {
            if (searchable(catalog.hardware[h], k_gpu_counts[g], s)) {
                searched.push_back({.hardware = static_cast<std::uint32_t>(h),
                                    .gpus = static_cast<std::uint32_t>(k_gpu_counts[g]),
                                    .gpu_index = static_cast<std::uint32_t>(g)});
            }
        }
    }
    const std::size_t per_pair = searched.size();
    // Built in locals and moved in at the end.
    std::vector<Slot> slots;
    std::vector<PairTables> pairs;
    std::vector<char> pair_hardware;
    // Which (model, variant) pairs the space holds, model-major.
    std::vector<char> pair_in_space(catalog.models.size() * catalog.variants.size());
    std::size_t pair_count = 0;
    for (std::size_t m = 0; m < catalog.models.size(); ++m) {
        for (std::size_t v = 0; v < catalog.variants.size(); ++v) {
            const bool yes = in_space(catalog.models[m], catalog.variants[v], k);
            pair_in_space[m * catalog.variants.size() + v] = yes ? 1 : 0;
            pair_count += yes ? 1 : 0;
        }
    }
    // Every slot is written below, in order: sized once, then filled by index.
    slots.resize(per_pair * pair_count);
    std::size_t next_slot = 0;
    pairs.reserve(pair_count);
    pair_hardware.reserve(pair_count * hardware_count);
    m_hardware_allowed.resize(hardware_count);
    m_consumer_ok.resize(hardware_count);
    for (std::size_t h = 0; h < hardware_count; ++h) {
        m_hardware_allowed[h] = hardware_allowed(k, catalog.hardware[h]) ? 1 : 0;
        m_consumer_ok[h] = consumer_ok(k, catalog.hardware[h]) ? 1 : 0;
    }
    m_profiles.reserve(hardware_count * std::size(k_all_precisions));
    for (const Hardware& hardware : catalog.hardware) {
        for (Precision precision : k_all_precisions) {
            m_profiles.push_back(engine_profile(engine, hardware, precision));
        }
    }
    std::vector<char> vendor_ok(hardware_count);
    for (std::size_t h = 0; h < hardware_count; ++h) {
        vendor_ok[h] = engine == nullptr || vendor_served(*engine, catalog.hardware[h]) ? 1 : 0;
    }
    // The variants' KV-cache bits under the engine for a model whose checkpoint the catalog does
    // not describe, then per hardware, and each model's facts, once each; a pair whose model's
    // checkpoint sets the type (checkpoint_sets_kv_cache_dtype, rare) keeps its own.
    const Model undescribed{};
    std::vector<std::optional<double>> variant_kv_bits;
    variant_kv_bits.reserve(catalog.variants.size());
    for (const Variant& variant : catalog.variants) {
        variant_kv_bits.push_back(engine_kv_cache_bits(engine, undescribed, variant));
    }
    m_kv_cache_bits.reserve(catalog.variants.size() * hardware_count);
    for (std::size_t v = 0; v < catalog.variants.size(); ++v) {
        for (const Hardware& hardware : catalog.hardware) {
            m_kv_cache_bits.push_back(engine_kv_cache_bits_on(hardware, variant_kv_bits[v]));
        }
    }
    for (std::size_t m = 0; m < catalog.models.size(); ++m) {
        const Model& model = catalog.models[m];
        std::optional<ModelFacts> of_model;  // when one of its pairs is searched
        std::array<char, k_gpu_counts.size()> splits{};  // the model's, the same for each of its variants
        for (std::size_t g = 0; g < k_gpu_counts.size(); ++g) {
            splits[g] = tensor_parallel_allowed(model, k_gpu_counts[g], engine) ? 1 : 0;
        }
        for (std::size_t v = 0; v < catalog.variants.size(); ++v) {
            const Variant& variant = catalog.variants[v];
            if (pair_in_space[m * catalog.variants.size() + v] == 0) {
                continue;
            }
            if (!of_model) {
                of_model = model_facts(s, model);
            }
            const auto pair_index = static_cast<std::uint32_t>(pairs.size());
            const bool kv_from_checkpoint = checkpoint_sets_kv_cache_dtype(engine, model, variant);
            const std::optional<double> kv_bits =
                kv_from_checkpoint ? engine_kv_cache_bits(engine, model, variant) : variant_kv_bits[v];
            pairs.push_back({.model = &model,
                             .variant = &variant,
                             .variant_index = static_cast<std::uint32_t>(v),
                             .key = {.model = m_label_order.model_rank(m),
                                     .variant = m_label_order.variant_rank(v),
                                     .hardware = 0,
                                     .gpus = 0},
                             .facts = pair_facts(s, model, variant, *of_model, kv_bits, has_sparse_2_4_kernels(engine)),
                             .allowed = pair_allowed(k, model, variant),
                             .kv_from_checkpoint = kv_from_checkpoint,
                             .splits = splits});
            const bool format_ok = engine == nullptr || format_served(*engine, variant);
            for (std::size_t h = 0; h < hardware_count; ++h) {
                const Hardware& hardware = catalog.hardware[h];
                const bool served = format_ok && vendor_ok[h] != 0;  // engine_serves, tabulated
                pair_hardware.push_back(static_cast<char>((has_precision(hardware, variant) ? k_has_precision : 0) |
                                                          (served ? k_served : 0)));
            }
            for (const Searched& x : searched) {
                slots[next_slot++] = {.pair = pair_index, .hardware_index = x.hardware, .gpus = x.gpus, .gpu_index = x.gpu_index};
            }
        }
    }
    m_slots = std::move(slots);
    m_pairs = std::move(pairs);
    m_pair_hardware = std::move(pair_hardware);
}

bool CandidateSpace::label_before(std::size_t a, std::size_t b) const {
    const Slot& x = m_slots[a];
    const Slot& y = m_slots[b];
    if (m_label_order.exact()) {
        return key(x) < key(y);
    }
    const Configuration cx = configuration(x);
    const Configuration cy = configuration(y);
    return label_compare(cx.model, cx.variant, cx.hardware, cx.gpus, cy.model, cy.variant, cy.hardware, cy.gpus) < 0;
}

}  // namespace dsselect::select
