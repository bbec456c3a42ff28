#pragma once
// Pass: the ranking. Best score first; ties go to the smaller label "model:variant@hardwarexGPUS"
// (string order), then to enumeration order, so the order is total and deterministic
// (docs/ranking.md).
#include <compare>
#include <cstdint>
#include <span>
#include <vector>

#include "dsselect/catalog/types.hpp"
#include "dsselect/select/candidate.hpp"

namespace dsselect::select {

// The place of a label "model:variant@hardwarexGPUS" in string order, as four ranks compared in
// turn: the rank of "model:" among the models, of "variant@" among the variants, and so on.
// That equals the string order unless one piece is a proper prefix of another of its kind
// (hardware "mi300" and "mi300xl": "mi300x" starts "mi300xlx"); then exact() is false and
// labels are compared character by character.
struct LabelKey {
    std::uint32_t model = 0;
    std::uint32_t variant = 0;
    std::uint32_t hardware = 0;
    std::uint32_t gpus = 0;
    auto operator<=>(const LabelKey&) const = default;
};

class LabelOrder {
public:
    // `gpu_counts` are the GPU counts a search enumerates, in its order.
    LabelOrder(const Catalog& catalog, std::span<const std::int64_t> gpu_counts);
    bool exact() const { return m_exact; }
    // A LabelKey's pieces, by index into the catalog's models, variants and hardware and into
    // `gpu_counts` (a search builds each slot's key from them).
    std::uint32_t model_rank(std::size_t model) const { return m_model[model]; }
    std::uint32_t variant_rank(std::size_t variant) const { return m_variant[variant]; }
    std::uint32_t hardware_rank(std::size_t hardware) const { return m_hardware[hardware]; }
    std::uint32_t gpus_rank(std::size_t gpus) const { return m_gpus[gpus]; }

private:
    std::vector<std::uint32_t> ranks(const std::vector<std::string>& pieces);
    std::vector<std::uint32_t> m_model, m_variant, m_hardware, m_gpus;
    bool m_exact = true;
};

// <0, 0 or >0 as the label of (model, variant, hardware, gpus) sorts before, equal to or after
// the other's, without building the strings (the search breaks thousands of ties).
int label_compare(const Model& model_a, const Variant& variant_a, const Hardware& hardware_a, std::int64_t gpus_a,
                  const Model& model_b, const Variant& variant_b, const Hardware& hardware_b, std::int64_t gpus_b);
int label_compare(const Candidate& a, const Candidate& b);

// a ranks before b: the higher score, then the smaller label.
bool ranks_before(const Candidate& a, const Candidate& b);

// Folds candidates identical for serving into one row: the same model, hardware, GPUs, batch,
// replicas, score, quality, costs, timings, memory and warnings (bf16, fp16 and the training-only
// mixed-precision on hardware that runs both at one rate). The row kept is the one whose label
// sorts first; it lists the others in identical_variants. Returns a mark per candidate, 1 for
// each one folded into another row (their count is the rows folded); rank leaves those out.
std::vector<char> fold_identical(std::vector<Candidate>& candidates);

// Sorts best first and keeps the best `keep` (0: all) of those not marked in `folded` (empty:
// none is), moving each kept candidate once (they are large).
void rank(std::vector<Candidate>& candidates, std::int64_t keep, const std::vector<char>& folded = {});

}  // namespace dsselect::select
