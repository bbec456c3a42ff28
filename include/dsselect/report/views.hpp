#pragma once
// Result -> table / JSON. One function per result kind and format; renderers compute nothing
// beyond unit conversion for display.
#include <string>
#include <vector>

#include "dsselect/catalog/types.hpp"
#include "dsselect/core/schema_version.hpp"
#include "dsselect/estimate/accuracy.hpp"
#include "dsselect/estimate/estimator.hpp"
#include "dsselect/report/table.hpp"

namespace dsselect::report {

using dsselect::k_schema_version;  // core/schema_version.hpp: the version every document carries

enum class CatalogKind { models, variants, hardware, scenarios, engines };
enum class JsonStyle { document, lines };

// Entries of one kind (all, or the one with `id`; unknown ids throw usage with did-you-mean).
std::vector<Table> catalog_tables(const Catalog& catalog, CatalogKind kind, const std::string& id);
std::string catalog_json(const Catalog& catalog, CatalogKind kind, const std::string& id, JsonStyle style);

// A computed estimate with what it was computed for.
struct EstimateView {
    const EstimateRequest* request = nullptr;
    const Estimate* estimate = nullptr;
    const Trace* trace = nullptr;  // --explain
    const AccuracyClaim* accuracy = nullptr;  // the measured accuracy of such estimates (data/accuracy.json)
};
std::vector<Table> estimate_tables(const EstimateView& view);
// The measured accuracy in one line: "TTFT 20.4 % median abs error (mean signed +0.1 %, 139 rows),
// TPOT ...; NOTE; ..." (a table note of recommend; estimate prints it as a table).
std::string accuracy_line(const AccuracyClaim& claim);
std::string estimate_json(const EstimateView& view, JsonStyle style);

}  // namespace dsselect::report

#include "dsselect/select/multitask.hpp"
#include "dsselect/select/search.hpp"

namespace dsselect::report {

// A scenario with tasks: the plans table (shared / separate / mixed) and the reuse reference.
std::vector<Table> multi_task_tables(const Scenario& scenario, const MultiTaskResult& result);
// recommend with a multi_task object (null: exactly recommendation_json).
std::string recommendation_json(const SearchResult& result, std::int64_t top, bool explain, JsonStyle style,
                                const MultiTaskResult* multi_task);

// recommend: the top N, rejection counts, and with explain the winner's score parts and the
// nearest miss per rejection reason.
std::vector<Table> recommendation_tables(const SearchResult& result, std::int64_t top, bool explain);
std::string recommendation_json(const SearchResult& result, std::int64_t top, bool explain, JsonStyle style);

// The figures the scenario quotes (seed §3.2) for these candidates' models, beside dsselect's:
// one row per candidate and figure; no rows when nothing is quoted for them.
Table quoted_table(const Scenario& scenario, const std::vector<const Candidate*>& candidates);
// The measured accuracy of a judged candidate's estimates under the engine it was judged with.
AccuracyClaim candidate_accuracy(const Candidate& candidate, const std::string& engine_id);
// compare / tco: candidates side by side, rejected ones with their reason, quoted figures beside.
// engine_id: the engine the candidates were judged with (search_engine_id), for their measured accuracy.
std::vector<Table> comparison_tables(const Scenario& scenario, const std::vector<Candidate>& candidates,
                                     const std::string& engine_id);
std::string comparison_json(const Scenario& scenario, const std::vector<Candidate>& candidates,
                            const std::string& engine_id, JsonStyle style);
std::vector<Table> tco_tables(const Scenario& scenario, const Candidate& candidate, const std::string& engine_id);
std::string tco_json(const Scenario& scenario, const Candidate& candidate, const std::string& engine_id, JsonStyle style);

// batch: one JSON line per input item, then a summary line.
struct BatchCounts {
    std::int64_t items = 0;
    std::int64_t ok = 0;
    std::int64_t unsatisfiable = 0;
    std::int64_t invalid = 0;
};
std::string batch_recommendation_json(std::int64_t line, const SearchResult& result, std::int64_t top,
                                      const MultiTaskResult* multi_task = nullptr);
std::string batch_comparison_json(std::int64_t line, const Scenario& scenario, const std::vector<Candidate>& candidates,
                                  const std::string& engine_id);
std::string batch_error_json(std::int64_t line, const std::string& id, int exit_code, const std::string& message);
std::string batch_summary_json(const BatchCounts& counts);

// "412 rejected: 230 memory, 120 latency, ..." (most frequent first, ties by name).
std::string rejection_summary(const std::map<std::string, std::int64_t>& counts);
// The warning line of a candidate that misses a constraint (docs/tco.md): "warning: X misses 2
// constraints: latency (…); budget (…)", with the batch it was sized at for a latency miss;
// empty when it meets them all.
std::string constraint_warning(const Candidate& c);

}  // namespace dsselect::report
