#pragma once
// The HTML report: one self-contained page (inline SVG and stylesheet, no script, no network)
// for people. Well-formed XHTML, so that XML tools can parse it. Every number on it comes from
// the result model the JSON output uses; the renderer only converts units and lays out.
#include <cstdint>
#include <string>
#include <vector>

#include "dsselect/rules/rules.hpp"
#include "dsselect/select/multitask.hpp"
#include "dsselect/select/search.hpp"

namespace dsselect::report {

struct HtmlMeta {
    std::string version;       // dsselect version, e.g. "0.1.0"
    std::string command_line;  // the exact command, shell-quoted
    std::int64_t top = 5;      // candidates in the table and the bar charts
};

// recommend -o html and dsselect report. `result.evaluated` (SearchOptions::keep_evaluated)
// feeds the scatter; without it the scatter shows the ranked candidates and nearest misses.
// A result with nothing accepted still renders, with the nearest misses.
// `multi_task`: the plans of a scenario with tasks (null: none), listed in their own section.
std::string recommendation_html(const SearchResult& result, const RuleSet& rules, const HtmlMeta& meta,
                                const MultiTaskResult* multi_task = nullptr);

// compare -o html: the candidates as given, judged and scored against each other under the
// engine `engine_id` (ComparisonDocument::engine_id; the page's measured accuracy is that engine's).
std::string comparison_html(const Scenario& scenario, const std::vector<Candidate>& candidates, const RuleSet& rules,
                            const HtmlMeta& meta, const std::string& engine_id);

}  // namespace dsselect::report
