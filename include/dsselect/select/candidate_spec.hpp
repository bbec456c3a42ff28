#pragma once
// Candidate strings MODEL[:VARIANT][@HARDWARE[xGPUS]] and their resolution to one judged
// candidate: all that compare, tco and batch's candidate lists need of the search.
#include <cstdint>
#include <string>
#include <vector>

#include "dsselect/catalog/types.hpp"
#include "dsselect/rules/rules.hpp"
#include "dsselect/select/search.hpp"

namespace dsselect {

// A parsed candidate string MODEL[:VARIANT][@HARDWARE[xGPUS]].
struct CandidateSpec {
    std::string model;
    std::string variant;   // empty: best for the scenario
    std::string hardware;  // empty: best for the scenario
    std::int64_t gpus = 0;  // 0: best for the scenario
};
// Throws a usage Error naming the text on junk such as "@@" or "a40x0".
CandidateSpec parse_candidate(const std::string& text);

// The best judged candidate matching a spec (parts left out are searched).
Candidate resolve_candidate(const Catalog& catalog, const Scenario& scenario, const RuleSet& rules,
                            const CandidateSpec& spec, const SearchOptions& options);

// Parses every text first (all parse errors before any work), resolves each, and scores them
// against each other: what compare, tco and a batch line with candidates show.
std::vector<Candidate> judge_candidates(const Catalog& catalog, const Scenario& scenario, const RuleSet& rules,
                                        const std::vector<std::string>& texts, const SearchOptions& options);

}  // namespace dsselect
