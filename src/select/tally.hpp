#pragma once
// Pass: the rejection tally and the nearest misses. Each slice of the search counts its
// rejections per reason and remembers, per reason, the nearest miss (smallest miss ratio, then
// smallest label); slices merge in enumeration order. At the end the nearest miss of each
// reason is judged in full, for its explanation.
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dsselect/select/candidate.hpp"
#include "dsselect/select/search.hpp"
#include "select/judge.hpp"
#include "select/prechecks.hpp"
#include "select/space.hpp"

namespace dsselect::select {

class Tally {
public:
    // A rejected slot that a change of limit flags might admit, and by how much it missed.
    struct Miss {
        double miss_ratio = 0;
        std::size_t slot = 0;
    };
    struct Reason {
        std::string reason;
        std::int64_t count = 0;
        std::size_t nearest = 0;  // slot index
        double miss_ratio = 0;
        // The nearest k_fixable_kept slots this reason rejected first, when a flag relaxes the
        // reason (advice tries them in turn), as a heap whose front is the farthest; empty for
        // reasons no flag relaxes (memory, rules, ...).
        std::vector<Miss> fixable;
    };

    // How many of a reason's nearest misses advice may try.
    static constexpr std::size_t k_fixable_kept = 32;

    explicit Tally(const CandidateSpace& space) : m_space(&space) {}
    // Which misses a reason keeps: the smaller miss ratio, then the earlier slot (cheap on the
    // search's hot path, and the same whatever the thread count).
    static bool kept_before(const Miss& a, const Miss& b) {
        return a.miss_ratio < b.miss_ratio || (a.miss_ratio == b.miss_ratio && a.slot < b.slot);
    }
    // The order advice tries the kept ones in: the smaller miss ratio, then the smaller label.
    bool nearer(const Miss& a, const Miss& b) const {
        return a.miss_ratio < b.miss_ratio || (a.miss_ratio == b.miss_ratio && m_space->label_before(a.slot, b.slot));
    }

    // A rejection of slot `slot`, by reason name (the judgement's, `fixable` when a flag
    // relaxes it) or by pre-check code.
    void add(std::string_view reason, double miss_ratio, std::size_t slot, bool fixable);
    void add(const EarlyMiss& miss, std::size_t slot) {
        std::size_t index = m_early_index[static_cast<std::size_t>(miss.early)];
        if (index == k_none) {
            index = early_entry(miss.early, miss.miss_ratio, slot);
        }
        count(m_reasons[index], miss.miss_ratio, slot, early_fixable(miss.early));
    }
    // Folds in the tally of a later slice.
    void merge(Tally&& other);

    const std::vector<Reason>& reasons() const { return m_reasons; }

    std::vector<Candidate> accepted;  // in enumeration order

private:
    // Inline, as add(EarlyMiss): the search tallies thousands of pre-check misses.
    void count(Reason& entry, double miss_ratio, std::size_t slot, bool fixable) const {
        ++entry.count;
        // Most misses are farther than every kept one: one comparison, no call.
        const Miss miss{.miss_ratio = miss_ratio, .slot = slot};
        if (fixable && (entry.fixable.size() < k_fixable_kept || kept_before(miss, entry.fixable.front()))) {
            keep_nearest(entry.fixable, miss);
        }
        if (miss_ratio < entry.miss_ratio || (miss_ratio == entry.miss_ratio && m_space->label_before(slot, entry.nearest))) {
            entry.nearest = slot;
            entry.miss_ratio = miss_ratio;
        }
    }
    void keep_nearest(std::vector<Miss>& kept, Miss miss) const;
    // The entry of a pre-check's reason seen for the first time (found or added).
    std::size_t early_entry(Early early, double miss_ratio, std::size_t slot);
    // The pre-checks a flag relaxes (docs/ranking.md).
    static bool early_fixable(Early early) {
        return early == Early::max_gpus || early == Early::context || early == Early::model_size || early == Early::quality;
    }

    static constexpr std::size_t k_none = static_cast<std::size_t>(-1);
    const CandidateSpace* m_space;
    std::vector<Reason> m_reasons;  // a handful: a linear scan beats a map
    // Where each pre-check's reason sits in m_reasons, once seen.
    std::array<std::size_t, k_early_count> m_early_index = [] {
        std::array<std::size_t, k_early_count> none{};
        none.fill(k_none);
        return none;
    }();
};

// The counts per reason and each reason's nearest miss judged in full.
void explain_misses(const Tally& tally, const CandidateSpace& space, const Judging& judging,
                    std::map<std::string, std::int64_t>& rejected_by_reason,
                    std::map<std::string, Candidate>& nearest_miss);

// Advice per reason (docs/ranking.md, "Advice"): for each reason a flag relaxes, its nearest
// slots in turn until one is admitted by relaxing every limit it misses (judged again after
// each round: a looser latency changes the batch, the replicas and the cost) and
// `accepts_some` confirms that the search, run with all the changes, accepts a candidate.
std::map<std::string, Suggestion> advise_misses(const Tally& tally, const CandidateSpace& space, const Scenario& s,
                                                const Engine* engine, const RuleSet& rules, const SearchOptions& options,
                                                const std::function<bool(const Scenario&)>& accepts_some);

}  // namespace dsselect::select
