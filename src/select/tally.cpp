#include "select/tally.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace dsselect::select {

namespace {
// A reason's name compared inline: the names are a few characters, and a rejected candidate
// is matched against each entry (a call to memcmp per entry cost more than the comparison).
bool same_name(const std::string& entry, std::string_view name) {
    if (entry.size() != name.size()) {
        return false;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (entry[i] != name[i]) {
            return false;
        }
    }
    return true;
}
}  // namespace

void Tally::keep_nearest(std::vector<Miss>& kept, Miss miss) const {
    if (kept.size() < k_fixable_kept) {
        kept.push_back(miss);
        std::push_heap(kept.begin(), kept.end(), kept_before);
        return;
    }
    if (!kept_before(miss, kept.front())) {
        return;  // the usual case once the heap is full
    }
    std::pop_heap(kept.begin(), kept.end(), kept_before);
    kept.back() = miss;
    std::push_heap(kept.begin(), kept.end(), kept_before);
}

void Tally::add(std::string_view reason, double miss_ratio, std::size_t slot, bool fixable) {
    for (Reason& entry : m_reasons) {
        if (same_name(entry.reason, reason)) {
            count(entry, miss_ratio, slot, fixable);
            return;
        }
    }
    m_reasons.push_back({.reason = std::string(reason), .count = 0, .nearest = slot, .miss_ratio = miss_ratio, .fixable = {}});
    count(m_reasons.back(), miss_ratio, slot, fixable);
}

std::size_t Tally::early_entry(Early early, double miss_ratio, std::size_t slot) {
    std::size_t& index = m_early_index[static_cast<std::size_t>(early)];
    // A rule may reject under the same name ("quality"): one entry per name.
    const std::string_view name = early_reason(early);
    const auto found = std::find_if(m_reasons.begin(), m_reasons.end(), [&](const Reason& r) { return r.reason == name; });
    index = static_cast<std::size_t>(found - m_reasons.begin());
    if (found == m_reasons.end()) {
        m_reasons.push_back({.reason = std::string(name), .count = 0, .nearest = slot, .miss_ratio = miss_ratio, .fixable = {}});
    }
    return index;
}

void Tally::merge(Tally&& other) {
    for (Reason& entry : other.m_reasons) {
        const auto mine = std::find_if(m_reasons.begin(), m_reasons.end(), [&](const Reason& r) { return r.reason == entry.reason; });
        if (mine == m_reasons.end()) {
            m_reasons.push_back(std::move(entry));
            continue;
        }
        mine->count += entry.count;
        for (const Miss& miss : entry.fixable) {
            keep_nearest(mine->fixable, miss);
        }
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

namespace {
// Rounds of relaxing and judging again (a looser latency may then miss the budget, ...).
constexpr int k_rounds = 6;

// `x` rounded to 4 significant digits towards admitting it (up for a maximum, down for a
// minimum), as the printed value reads back: the value a user types is the value verified.
double rounded_limit(double x, bool up) {
    if (!(x > 0) || !std::isfinite(x)) {
        return x;
    }
    const double step = std::pow(10.0, std::floor(std::log10(x)) - 3);
    double value = (up ? std::ceil(x / step - 1e-9) : std::floor(x / step + 1e-9)) * step;
    for (int i = 0; i < 8; ++i) {
        const double printed = std::stod(fmt::format("{:.10g}", value));
        if (up ? printed >= x : printed <= x) {
            return printed;
        }
        value += up ? step : -step;
    }
    return value;
}

// Relaxes the limit `miss` names so that the candidate's value passes, and records the change;
// false when no flag relaxes it (memory, a reject rule, a precision the hardware lacks, ...).
bool relax(const Rejection& miss, Scenario& s, std::vector<SuggestedChange>& changes) {
    Constraints& k = s.constraints;
    const std::string& check = miss.reason;
    std::string flag = miss.flag;
    // The maximums a flag raises to the candidate's value, rounded up as printed.
    static const std::pair<std::string_view, std::optional<double> Constraints::*> k_maximums[] = {
        {"model_size", &Constraints::max_model_mb}, {"power", &Constraints::max_power_w},
        {"ttft", &Constraints::max_ttft_ms},        {"tpot", &Constraints::max_tpot_ms},
        {"latency", &Constraints::max_latency_ms},  {"budget", &Constraints::budget_usd_per_year}};
    const auto maximum = std::find_if(std::begin(k_maximums), std::end(k_maximums),
                                      [&](const auto& entry) { return entry.first == check; });
    double value = 0;
    if (maximum != std::end(k_maximums)) {
        value = rounded_limit(miss.had, true);
        k.*(maximum->second) = value;
    } else if (check == "max_gpus") {
        value = miss.had;
        k.max_gpus_per_replica = static_cast<std::int64_t>(value);
    } else if (check == "context") {
        // The model's window, when the prompt and the output still fit in it (--context's own check).
        value = miss.had;
        if (value < static_cast<double>(s.workload.prompt_tokens + s.workload.output_tokens)) {
            return false;
        }
        s.workload.context_tokens = static_cast<std::int64_t>(value);
    } else if (check == "quality") {
        // No published figure: only a floor of 0 admits it (docs/quality.md). The flag sets every
        // floor, the tasks' too, so the verifying search does as well.
        value = std::isfinite(miss.miss_ratio) ? std::max(0.0, rounded_limit(miss.had, false)) : 0.0;
        flag = "--min-quality";
        set_quality_floor(s, value);
    } else {
        return false;
    }
    const auto same = std::find_if(changes.begin(), changes.end(), [&](const SuggestedChange& c) { return c.flag == flag; });
    if (same != changes.end()) {
        same->value = value;
    } else {
        changes.push_back({.check = check, .flag = flag, .value = value, .unit = miss.unit});
    }
    return true;
}

// The changes that admit configuration `x`, verified by `accepts_some`; nullopt when a miss
// no flag relaxes remains, or the changes do not converge, contradict or fail the search.
std::optional<std::vector<SuggestedChange>> admit(const Configuration& x, const Scenario& s, const Engine* engine,
                                                  const RuleSet& rules, const SearchOptions& options,
                                                  const std::function<bool(const Scenario&)>& accepts_some) {
    Scenario trial = s;
    std::vector<SuggestedChange> changes;
    for (int round = 0; round < k_rounds; ++round) {
        const PairFacts facts = pair_facts(trial, x.model, x.variant, engine);
        RuleSession session(rules);
        const Judging judging{.scenario = trial, .engine = engine, .options = options, .rules = session, .budget = nullptr};
        const Candidate c = judge_in_full(judging, {.model = x.model,
                                                    .variant = x.variant,
                                                    .hardware = x.hardware,
                                                    .gpus = x.gpus,
                                                    .facts = facts,
                                                    .flags = x.flags,
                                                    .profile = x.profile,
                                                    .engine_kv_cache_bits =
                                                        engine_kv_cache_bits_on(x.hardware, facts.engine_kv_cache_bits)});
        if (c.accepted()) {
            if (changes.empty() || !accepts_some(trial)) {
                return std::nullopt;
            }
            return changes;
        }
        for (const Rejection& miss : c.misses) {
            if (!relax(miss, trial, changes)) {
                return std::nullopt;
            }
        }
        const Constraints& k = trial.constraints;
        if (k.max_latency_ms && k.max_ttft_ms && *k.max_ttft_ms > *k.max_latency_ms) {
            return std::nullopt;  // recommend refuses such limits
        }
    }
    return std::nullopt;
}
}  // namespace

std::map<std::string, Suggestion> advise_misses(const Tally& tally, const CandidateSpace& space, const Scenario& s,
                                                const Engine* engine, const RuleSet& rules, const SearchOptions& options,
                                                const std::function<bool(const Scenario&)>& accepts_some) {
    std::map<std::string, Suggestion> advice;
    RuleSession session(rules);
    const Judging as_given{.scenario = s, .engine = engine, .options = options, .rules = session, .budget = nullptr};
    for (const Tally::Reason& entry : tally.reasons()) {
        std::vector<Tally::Miss> order = entry.fixable;  // the nearest Tally::k_fixable_kept
        std::sort(order.begin(), order.end(), [&](const Tally::Miss& a, const Tally::Miss& b) { return tally.nearer(a, b); });
        for (const Tally::Miss& miss : order) {
            const Configuration x = space.configuration(space.slots()[miss.slot]);
            if (auto changes = admit(x, s, engine, rules, options, accepts_some)) {
                advice.emplace(entry.reason, Suggestion{.reason = entry.reason,
                                                        .candidate = judge_in_full(as_given, x),
                                                        .changes = std::move(*changes)});
                break;
            }
        }
    }
    return advice;
}

}  // namespace dsselect::select

namespace dsselect {

std::string Suggestion::flags() const {
    std::string out;
    for (const SuggestedChange& change : changes) {
        out += fmt::format("{}{} {:.10g}", out.empty() ? "" : " ", change.flag, change.value);
    }
    return out;
}

const Suggestion* best_suggestion(const SearchResult& result) {
    const Suggestion* best = nullptr;
    for (const auto& [reason, suggestion] : result.suggestions) {
        if (best == nullptr) {
            best = &suggestion;
            continue;
        }
        const double ratio = suggestion.candidate.rejection->miss_ratio;
        const double best_ratio = best->candidate.rejection->miss_ratio;
        if (suggestion.changes.size() < best->changes.size() ||
            (suggestion.changes.size() == best->changes.size() &&
             (ratio < best_ratio || (ratio == best_ratio && suggestion.candidate.label() < best->candidate.label())))) {
            best = &suggestion;
        }
    }
    return best;
}

}  // namespace dsselect
