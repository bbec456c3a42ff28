#include "select/rank.hpp"

#include <algorithm>
#include <functional>
#include <charconv>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

namespace dsselect::select {

namespace {
// A label "model:variant@hardwarexGPUS" read character by character, piece by piece.
class LabelPieces {
public:
    LabelPieces(const Model& model, const Variant& variant, const Hardware& hardware, std::int64_t gpus) {
        const auto end = std::to_chars(m_digits, m_digits + sizeof m_digits, gpus).ptr;
        m_pieces[0] = model.id;
        m_pieces[1] = ":";
        m_pieces[2] = variant.id;
        m_pieces[3] = "@";
        m_pieces[4] = hardware.id;
        m_pieces[5] = "x";
        m_pieces[6] = std::string_view(m_digits, static_cast<std::size_t>(end - m_digits));
    }
    LabelPieces(const LabelPieces&) = delete;  // m_pieces[6] points into this object
    LabelPieces& operator=(const LabelPieces&) = delete;
    // The next character, or -1 at the end.
    int next() {
        while (m_piece < k_pieces && m_offset == m_pieces[m_piece].size()) {
            ++m_piece;
            m_offset = 0;
        }
        return m_piece == k_pieces ? -1 : static_cast<unsigned char>(m_pieces[m_piece][m_offset++]);
    }

private:
    static constexpr std::size_t k_pieces = 7;
    std::string_view m_pieces[k_pieces];
    char m_digits[24] = {};
    std::size_t m_piece = 0;
    std::size_t m_offset = 0;
};
}  // namespace

LabelOrder::LabelOrder(const Catalog& catalog, std::span<const std::int64_t> gpu_counts) {
    std::vector<std::string> pieces;
    for (const Model& model : catalog.models) {
        pieces.push_back(model.id + ":");
    }
    m_model = ranks(pieces);
    pieces.clear();
    for (const Variant& variant : catalog.variants) {
        pieces.push_back(variant.id + "@");
    }
    m_variant = ranks(pieces);
    pieces.clear();
    for (const Hardware& hardware : catalog.hardware) {
        pieces.push_back(hardware.id + "x");
    }
    m_hardware = ranks(pieces);
    pieces.clear();
    for (std::int64_t gpus : gpu_counts) {
        pieces.push_back(std::to_string(gpus));  // the last piece: a prefix sorts first, as it should
    }
    const bool gpus_exact = m_exact;
    m_gpus = ranks(pieces);
    m_exact = gpus_exact;
}

// Each piece's rank in string order; clears m_exact when a piece is a proper prefix of another
// (in sorted order such a pair is adjacent or has only pieces with the same prefix between, so
// checking neighbours finds it).
std::vector<std::uint32_t> LabelOrder::ranks(const std::vector<std::string>& pieces) {
    std::vector<std::size_t> order(pieces.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    std::sort(order.begin(), order.end(), [&pieces](std::size_t a, std::size_t b) { return pieces[a] < pieces[b]; });
    std::vector<std::uint32_t> rank(pieces.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        rank[order[i]] = static_cast<std::uint32_t>(i);
        if (i > 0) {
            const std::string& before = pieces[order[i - 1]];
            const std::string& after = pieces[order[i]];
            if (before == after || after.compare(0, before.size(), before) == 0) {
                m_exact = false;
            }
        }
    }
    return rank;
}

int label_compare(const Model& model_a, const Variant& variant_a, const Hardware& hardware_a, std::int64_t gpus_a,
                  const Model& model_b, const Variant& variant_b, const Hardware& hardware_b, std::int64_t gpus_b) {
    LabelPieces left(model_a, variant_a, hardware_a, gpus_a);
    LabelPieces right(model_b, variant_b, hardware_b, gpus_b);
    for (;;) {
        const int l = left.next();
        const int r = right.next();
        if (l != r) {
            return l < r ? -1 : 1;  // -1 (the end) sorts first, as a prefix does
        }
        if (l < 0) {
            return 0;
        }
    }
}

int label_compare(const Candidate& a, const Candidate& b) {
    return label_compare(*a.model, *a.variant, *a.hardware, a.gpus_per_replica, *b.model, *b.variant, *b.hardware,
                         b.gpus_per_replica);
}

bool ranks_before(const Candidate& a, const Candidate& b) {
    if (a.score.total != b.score.total) {
        return a.score.total > b.score.total;
    }
    // Deterministic ties: a.label() < b.label().
    return label_compare(a, b) < 0;
}

namespace {
// What fold_identical sorts by: plain numbers, compared field by field as std::tuple's order
// (a NaN compares unordered, as there) and kept next to each other in memory.
struct FoldKey {
    const Model* model;
    const Hardware* hardware;
    std::int64_t gpus;
    double score;
    std::int64_t batch;
    std::int64_t replicas;
    double quality;
    double yearly_usd;
    std::size_t index;

    bool same_as(const FoldKey& o) const {
        return model == o.model && hardware == o.hardware && gpus == o.gpus && score == o.score && batch == o.batch &&
               replicas == o.replicas && quality == o.quality && yearly_usd == o.yearly_usd;
    }
    bool operator<(const FoldKey& o) const {
        if (model != o.model) {
            return std::less<const Model*>{}(model, o.model);
        }
        if (hardware != o.hardware) {
            return std::less<const Hardware*>{}(hardware, o.hardware);
        }
        if (gpus != o.gpus) {
            return gpus < o.gpus;
        }
        if (score != o.score) {
            return score < o.score;
        }
        if (batch != o.batch) {
            return batch < o.batch;
        }
        if (replicas != o.replicas) {
            return replicas < o.replicas;
        }
        if (quality != o.quality) {
            return quality < o.quality;
        }
        if (yearly_usd != o.yearly_usd) {
            return yearly_usd < o.yearly_usd;
        }
        return index < o.index;
    }
};
}  // namespace

std::vector<char> fold_identical(std::vector<Candidate>& candidates) {
    // Identical for serving: the same configuration apart from the variant, and every figure a
    // user reads equal. Sorted first by a key of plain numbers (cheap to compare), then by
    // label; only candidates of one run of equal keys are compared in full, and the first of
    // each identical group in label order keeps the row.
    const auto serving = [](const Candidate& c) {
        const PerformanceEstimate& p = c.estimate.performance;
        return std::tie(c.model, c.hardware, c.gpus_per_replica, c.score.total, c.batch, c.replicas, c.quality,
                        c.cost.yearly_usd, c.cost.total_usd, c.cost.weighted_index_usd, p.ttft_ms, c.ttft_at_load_ms, p.tpot_ms,
                        p.latency_ms, c.estimate.memory.per_gpu_bytes, c.variant->claimed, c.warnings);
    };
    std::vector<FoldKey> keyed;
    keyed.reserve(candidates.size());
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        const Candidate& c = candidates[i];
        keyed.push_back({.model = c.model,
                         .hardware = c.hardware,
                         .gpus = c.gpus_per_replica,
                         .score = c.score.total,
                         .batch = c.batch,
                         .replicas = c.replicas,
                         .quality = c.quality,
                         .yearly_usd = c.cost.yearly_usd,
                         .index = i});
    }
    std::sort(keyed.begin(), keyed.end());
    std::vector<std::size_t> order(candidates.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        order[i] = keyed[i].index;
    }
    std::vector<char> folded(candidates.size(), 0);
    for (std::size_t begin = 0; begin < order.size();) {
        std::size_t end = begin + 1;
        while (end < order.size() && keyed[end].same_as(keyed[begin])) {
            ++end;
        }
        // A run of equal keys (a few rows at most) in label order, enumeration order on ties.
        std::sort(order.begin() + static_cast<std::ptrdiff_t>(begin), order.begin() + static_cast<std::ptrdiff_t>(end),
                  [&](std::size_t a, std::size_t b) {
                      const int by_label = label_compare(candidates[a], candidates[b]);
                      return by_label != 0 ? by_label < 0 : a < b;
                  });
        for (std::size_t i = begin; i < end; ++i) {
            if (folded[order[i]] != 0) {
                continue;
            }
            Candidate& kept = candidates[order[i]];
            for (std::size_t j = i + 1; j < end; ++j) {
                if (folded[order[j]] == 0 && serving(candidates[order[j]]) == serving(kept)) {
                    kept.identical_variants.push_back(candidates[order[j]].variant);
                    folded[order[j]] = 1;
                }
            }
        }
        begin = end;
    }
    return folded;
}

void rank(std::vector<Candidate>& candidates, std::int64_t keep, const std::vector<char>& folded) {
    // Sorted as (score, index) pairs, which sit close together in memory; only ties read
    // the candidates (their labels), so the order is ranks_before's. Two candidates share a
    // label only when a user's ids contain ':' or '@' (model "m:q" with variant "x", model "m"
    // with variant "q:x"); enumeration order settles those. So the order is total, and the
    // best `keep` of a partial sort are the first `keep` of a full one. Folded rows are left
    // out here, so that each kept candidate moves once.
    std::vector<std::pair<double, std::size_t>> order;
    order.reserve(candidates.size());
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        if (folded.empty() || folded[i] == 0) {
            order.emplace_back(candidates[i].score.total, i);
        }
    }
    const auto better = [&candidates](const auto& a, const auto& b) {
        if (a.first != b.first) {
            return a.first > b.first;
        }
        const int by_label = label_compare(candidates[a.second], candidates[b.second]);
        return by_label != 0 ? by_label < 0 : a.second < b.second;
    };
    if (keep > 0 && static_cast<std::size_t>(keep) < order.size()) {
        const auto kept_end = order.begin() + static_cast<std::ptrdiff_t>(keep);
        std::partial_sort(order.begin(), kept_end, order.end(), better);
        order.erase(kept_end, order.end());
    } else {
        std::sort(order.begin(), order.end(), better);
    }
    std::vector<Candidate> sorted;
    sorted.reserve(order.size());
    for (const auto& entry : order) {
        sorted.push_back(std::move(candidates[entry.second]));
    }
    candidates = std::move(sorted);
}

}  // namespace dsselect::select
