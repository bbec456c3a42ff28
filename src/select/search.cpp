// The search driver: build the space -> judge slices (threads) -> merge tallies -> score ->
// rank -> finish the kept -> explain the misses. Each pass is in its own file (docs/architecture.md).
#include "dsselect/select/search.hpp"

#include <algorithm>
#include <exception>
#include <thread>

#include <fmt/format.h>

#include "dsselect/core/error.hpp"
#include "select/judge.hpp"
#include "select/prechecks.hpp"
#include "select/rank.hpp"
#include "select/score.hpp"
#include "select/space.hpp"
#include "select/tally.hpp"

namespace dsselect {

namespace {
using namespace select;

// Accepted candidates a search makes room for at once (the shipped scenarios accept up to
// about 2,600 of 9,680; 4,096 measured faster than 1,024, docs/ranking.md "Speed").
constexpr std::size_t k_accepted_reserve = 4096;

void refuse_oversized(const Catalog& catalog, const Scenario& s, const SearchOptions& options) {
    const std::int64_t space = search_space_size(catalog, s);
    if (space > options.max_candidates) {
        throw Error(ErrorKind::usage, fmt::format("the search space has {} candidates (the count a search reports as evaluated), more than "
                                                  "--max-candidates {}",
                                                  space, options.max_candidates),
                    "raise --max-candidates, or narrow the scenario with --gpu and allowed_models");
    }
}

// Judges slots [begin, end) only as deeply as each verdict needs: a pre-check's miss is
// tallied by its code, a candidate that passes is judged to its verdict and kept if accepted.
void judge_slice(const CandidateSpace& space, std::size_t begin, std::size_t end, const Scenario& s,
                 const Engine* engine, const RuleSet& rules, const SearchOptions& options, RuleBudget& budget,
                 Tally& tally) {
    RuleSession session(rules);
    const Judging judging{.scenario = s, .engine = engine, .options = options, .rules = session, .budget = &budget};
    // Accepted candidates are large (about 800 bytes): room for the usual count up front
    // saves moving them all on every growth.
    tally.accepted.reserve(std::min<std::size_t>(end - begin, k_accepted_reserve));
    for (std::size_t i = begin; i < end; ++i) {
        const Slot& slot = space.slots()[i];
        // Most slots miss a pre-check: the whole configuration only for those that pass.
        const EarlyFlags flags = space.flags(slot);
        if (const EarlyMiss miss = precheck(s, space.model(slot), slot.gpus, space.facts(slot), flags);
            miss.early != Early::none) {
            tally.add(miss, i);
            continue;
        }
        // The flags again rather than a copy: read back whole, the copy of flags just written
        // byte by byte stalls the store buffer.
        Candidate c = judge_fitting(judging, space.configuration(slot), Depth::verdict);
        if (c.accepted()) {
            tally.accepted.push_back(std::move(c));
        } else {
            tally.add(c.rejection->reason, c.rejection->miss_ratio, i, *c.rejection->flag != '\0');
        }
    }
}

// Every slot judged, on `threads` workers over contiguous slices, merged in enumeration order.
Tally judge_all(const CandidateSpace& space, const Scenario& s, const Engine* engine, const RuleSet& rules,
                const SearchOptions& options, RuleBudget& budget) {
    const std::size_t slots = space.slots().size();
    std::size_t threads = options.threads > 0 ? static_cast<std::size_t>(options.threads)
                                              : std::max(1u, std::thread::hardware_concurrency());
    if (static_cast<std::int64_t>(slots) < options.parallel_threshold) {
        threads = 1;
    }
    threads = std::min(threads, std::max<std::size_t>(slots, 1));
    Tally tally(space);
    if (threads <= 1) {
        judge_slice(space, 0, slots, s, engine, rules, options, budget, tally);
        return tally;
    }
    std::vector<std::thread> workers;
    std::vector<Tally> parts(threads, Tally(space));
    std::vector<std::exception_ptr> failures(threads);
    const std::size_t chunk = (slots + threads - 1) / threads;
    for (std::size_t t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            try {
                judge_slice(space, t * chunk, std::min(slots, (t + 1) * chunk), s, engine, rules, options, budget, parts[t]);
            } catch (...) {
                failures[t] = std::current_exception();
            }
        });
    }
    for (auto& worker : workers) {
        worker.join();
    }
    for (const auto& failure : failures) {
        if (failure) {
            std::rethrow_exception(failure);  // the first in enumeration order
        }
    }
    for (Tally& part : parts) {
        tally.merge(std::move(part));
    }
    return tally;
}

// Every candidate judged in full (rejected ones with their estimate and, when they fit, their
// cost), in enumeration order; the accepted ones scored as in `ranked` (the HTML scatter).
std::vector<Candidate> judge_every_slot(const CandidateSpace& space, const Judging& judging) {
    std::vector<Candidate> evaluated;
    evaluated.reserve(space.slots().size());
    for (const Slot& slot : space.slots()) {
        evaluated.push_back(judge_in_full(judging, space.configuration(slot)));
    }
    score_accepted(evaluated, judging.scenario, judging.rules, judging.options, nullptr, RuleMessages::format);
    return evaluated;
}
}  // namespace

std::string search_engine_id(const Catalog& catalog, const Scenario& scenario) {
    const Engine* engine = scenario_engine(catalog, scenario);
    return engine != nullptr ? engine->id : std::string();
}

SearchResult search(const Catalog& catalog, const Scenario& s, const RuleSet& rules, const SearchOptions& options) {
    refuse_oversized(catalog, s, options);
    const Engine* engine = scenario_engine(catalog, s);
    SearchResult result{.scenario = s,
                        .engine_id = search_engine_id(catalog, s),
                        .ranked = {},
                        .candidates_accepted = 0,
                        .candidates_folded = 0,
                        .rejected_by_reason = {},
                        .nearest_miss = {},
                        .candidates_evaluated = 0,
                        .options = options,
                        .evaluated = {},
                        .suggestions = {}};
    RuleBudget budget;  // shared by every rule evaluation of this search, across threads

    const CandidateSpace space(catalog, s, engine);
    result.candidates_evaluated = static_cast<std::int64_t>(space.slots().size());
    Tally tally = judge_all(space, s, engine, rules, options, budget);

    result.ranked = std::move(tally.accepted);
    result.candidates_accepted = static_cast<std::int64_t>(result.ranked.size());
    // Warnings are worded for the kept candidates only, when the search keeps a few.
    const bool keeps_few = options.keep_ranked > 0 && static_cast<std::size_t>(options.keep_ranked) < result.ranked.size();
    const RuleMessages scored_with = keeps_few ? RuleMessages::skip : RuleMessages::format;
    // One session scores the accepted (the scoring rules) and then judges the misses in full
    // (the reject rules): building a session compiles every rule.
    RuleSession session(rules);
    const double smallest = score_accepted(result.ranked, s, session, options, &budget, scored_with);
    const std::vector<char> folded = fold_identical(result.ranked);
    result.candidates_folded = static_cast<std::int64_t>(std::count(folded.begin(), folded.end(), 1));
    rank(result.ranked, options.keep_ranked, folded);
    finish_kept(result.ranked, s, rules, smallest, scored_with);

    const Judging in_full{.scenario = s, .engine = engine, .options = options, .rules = session, .budget = nullptr};
    if (options.keep_evaluated) {
        result.evaluated = judge_every_slot(space, in_full);
    }
    explain_misses(tally, space, in_full, result.rejected_by_reason, result.nearest_miss);
    const bool advise = options.advice == Advice::always ||
                        (options.advice == Advice::when_unsatisfied && result.ranked.empty());
    if (advise) {
        // A suggestion counts only if the search, run again with all its changes, accepts a
        // candidate (what recommend's exit 0 means); those searches give no advice of their own.
        SearchOptions verifying = options;
        verifying.advice = Advice::never;
        verifying.keep_ranked = 1;
        verifying.keep_evaluated = false;
        const auto accepts_some = [&](const Scenario& changed) {
            try {
                return !search(catalog, changed, rules, verifying).ranked.empty();
            } catch (const Error&) {
                return false;  // a change that makes the search refuse is no advice
            }
        };
        result.suggestions = advise_misses(tally, space, s, engine, rules, options, accepts_some);
    }
    return result;
}

Candidate evaluate_candidate(const Catalog& catalog, const Scenario& s, const RuleSet& rules, const Model& model,
                             const Variant& variant, const Hardware& hardware, std::int64_t gpus,
                             const SearchOptions& options) {
    RuleSession session(rules);
    const Engine* engine = scenario_engine(catalog, s);
    const PairFacts facts = pair_facts(s, model, variant, engine);
    const EfficiencyProfile profile = engine_profile(engine, hardware, variant.compute_precision);
    const Judging judging{.scenario = s, .engine = engine, .options = options, .rules = session, .budget = nullptr};
    return judge_in_full(judging, {.model = model,
                                   .variant = variant,
                                   .hardware = hardware,
                                   .gpus = gpus,
                                   .facts = facts,
                                   .flags = early_flags(s, model, variant, hardware, gpus, engine),
                                   .profile = profile,
                                   .engine_kv_cache_bits = engine_kv_cache_bits_on(hardware, facts.engine_kv_cache_bits)});
}

void score_candidates(std::vector<Candidate>& candidates, const Scenario& s, const RuleSet& rules,
                      const SearchOptions& options) {
    RuleSession session(rules);
    score_accepted(candidates, s, session, options, nullptr, RuleMessages::format);
}

}  // namespace dsselect
