#pragma once
// One render path: render(document, options) per document kind, in the format the options
// name. The commands build a document and call render; each command declares the formats it
// writes next to its registration (src/cli), and the candidate columns every table and page
// shows come from one column model (candidate_columns.hpp).
#include <cstdint>
#include <string>
#include <vector>

#include "dsselect/catalog/types.hpp"
#include "dsselect/plan/finetune.hpp"
#include "dsselect/report/format.hpp"
#include "dsselect/report/table.hpp"
#include "dsselect/report/views.hpp"
#include "dsselect/rules/rules.hpp"
#include "dsselect/select/candidate.hpp"
#include "dsselect/select/recommendation.hpp"

namespace dsselect::report {

struct RenderOptions {
    OutputFormat format = OutputFormat::table;
    TextStyle text_style = TextStyle::tab_separated;  // OutputFormat::table on a terminal: aligned
    Color color = Color::off;
    std::int64_t top = 5;        // recommendations shown
    bool explain = false;        // the winner's score parts and the nearest misses
    std::string version;         // the HTML page's footer
    std::string command_line;    // the HTML page's footer, shell-quoted
};

// Tables in the options' text format (table, CSV or Markdown).
std::string render_tables(const std::vector<Table>& tables, const RenderOptions& options);

// Catalog entries of one kind (all, or the one with `id`).
struct CatalogDocument {
    const Catalog& catalog;
    CatalogKind kind;
    const std::string& id;
};
// Candidates side by side (compare), or the one costed (tco).
struct ComparisonDocument {
    const Scenario& scenario;
    const std::vector<Candidate>& candidates;
    const RuleSet& rules;
    const std::string& engine_id;  // the engine judged with (search_engine_id)
};
struct TcoDocument {
    const Scenario& scenario;
    const Candidate& candidate;
    const std::string& engine_id;  // the engine judged with (search_engine_id)
};
struct RecommendationDocument {
    const Recommendation& recommendation;
    const RuleSet& rules;
};

std::string render(const CatalogDocument& document, const RenderOptions& options);
std::string render(const EstimateView& document, const RenderOptions& options);
std::string render(const FinetunePlan& document, const RenderOptions& options);
std::string render(const RecommendationDocument& document, const RenderOptions& options);
std::string render(const ComparisonDocument& document, const RenderOptions& options);
std::string render(const TcoDocument& document, const RenderOptions& options);

}  // namespace dsselect::report
