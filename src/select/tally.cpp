#include "select/tally.hpp"

#include <algorithm>

namespace dsselect::select {

void Tally::count(Reason& entry, double miss_ratio, std::size_t slot) const {
    ++entry.count;
    if (miss_ratio < entry.miss_ratio || (miss_ratio == entry.miss_ratio && m_space->label_before(slot, entry.nearest))) {
        entry.nearest = slot;
        entry.miss_ratio = miss_ratio;
    }
}

void Tally::add(std::string_view reason, double miss_ratio, std::size_t slot) {
    for (Reason& entry : m_reasons) {
        if (entry.reason == reason) {
            count(entry, miss_ratio, slot);
            return;
        }
    }
    m_reasons.push_back({std::string(reason), 1, slot, miss_ratio});
}

void Tally::add(const EarlyMiss& miss, std::size_t slot) {
    std::size_t& index = m_early_index[static_cast<std::size_t>(miss.early)];
    if (index == k_none) {
        // A rule may reject under the same name ("quality"): one entry per name.
        const std::string_view name = early_reason(miss.early);
        const auto found = std::find_if(m_reasons.begin(), m_reasons.end(), [&](const Reason& r) { return r.reason == name; });
        index = static_cast<std::size_t>(found - m_reasons.begin());
        if (found == m_reasons.end()) {
            m_reasons.push_back({std::string(name), 0, slot, miss.miss_ratio});
        }
    }
    count(m_reasons[index], miss.miss_ratio, slot);
}

void Tally::merge(Tally&& other) {
    for (Reason& entry : other.m_reasons) {
        const auto mine = std::find_if(m_reasons.begin(), m_reasons.end(), [&](const Reason& r) { return r.reason == entry.reason; });
        if (mine == m_reasons.end()) {
            m_reasons.push_back(std::move(entry));
            continue;
        }
        mine->count += entry.count;
        if (entry.miss_ratio < mine->miss_ratio ||
            (entry.miss_ratio == mine->miss_ratio && m_space->label_before(entry.nearest, mine->nearest))) {
            mine->nearest = entry.nearest;
            mine->miss_ratio = entry.miss_ratio;
        }
    }
    for (Candidate& c : other.accepted) {
        accepted.push_back(std::move(c));
    }
}

void explain_misses(const Tally& tally, const CandidateSpace& space, const Judging& judging,
                    std::map<std::string, std::int64_t>& rejected_by_reason,
                    std::map<std::string, Candidate>& nearest_miss) {
    for (const Tally::Reason& entry : tally.reasons()) {
        rejected_by_reason[entry.reason] = entry.count;
        const Slot& slot = space.slots()[entry.nearest];
        nearest_miss.emplace(entry.reason, judge_in_full(judging, space.configuration(slot)));
    }
}

}  // namespace dsselect::select
