#pragma once
// Pass: the rejection tally and the nearest misses. Each slice of the search counts its
// rejections per reason and remembers, per reason, the nearest miss (smallest miss ratio, then
// smallest label); slices merge in enumeration order. At the end the nearest miss of each
// reason is judged in full, for its explanation.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dsselect/select/candidate.hpp"
#include "select/judge.hpp"
#include "select/prechecks.hpp"
#include "select/space.hpp"

namespace dsselect::select {

class Tally {
public:
    struct Reason {
        std::string reason;
        std::int64_t count = 0;
        std::size_t nearest = 0;  // slot index
        double miss_ratio = 0;
    };

    explicit Tally(const CandidateSpace& space) : m_space(&space) {}

    // A rejection of slot `slot`, by reason name (the judgement's) or by pre-check code.
    void add(std::string_view reason, double miss_ratio, std::size_t slot);
    void add(const EarlyMiss& miss, std::size_t slot);
    // Folds in the tally of a later slice.
    void merge(Tally&& other);

    const std::vector<Reason>& reasons() const { return m_reasons; }

    std::vector<Candidate> accepted;  // in enumeration order

private:
    void count(Reason& entry, double miss_ratio, std::size_t slot) const;

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

}  // namespace dsselect::select
