#include "dsselect/report/render.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "dsselect/report/finetune_views.hpp"
#include "dsselect/report/html_report.hpp"

namespace dsselect::report {

namespace {
JsonStyle json_style(OutputFormat format) { return format == OutputFormat::jsonl ? JsonStyle::lines : JsonStyle::document; }

bool is_json(OutputFormat format) { return format == OutputFormat::json || format == OutputFormat::jsonl; }

// A format the command did not declare reaches a renderer only through a bug in src/cli.
[[noreturn]] void undeclared(OutputFormat format, const char* document) {
    throw std::logic_error(fmt::format("render: {} has no view in format {}", document, static_cast<int>(format)));
}

HtmlMeta html_meta(const RenderOptions& options) { return {options.version, options.command_line, options.top}; }

// A document with a JSON view and a tables view (and no HTML page). In CSV, a document of
// several tables is one long table (render_csv_long), whatever tables this instance has.
template <typename Json, typename Tables>
std::string tables_or_json(const RenderOptions& options, const char* document, Json json, Tables tables, bool several_tables) {
    if (is_json(options.format)) {
        return json(json_style(options.format));
    }
    if (options.format == OutputFormat::html) {
        undeclared(options.format, document);
    }
    if (options.format == OutputFormat::csv && several_tables) {
        return render_csv_long(tables());
    }
    return render_tables(tables(), options);
}

// Recommend and compare in CSV: the candidate table alone, with its machine header, whatever else
// the document shows people (--explain's parts, quoted figures, differences, multi-task plans: in
// JSON, tables and Markdown).
std::string candidate_csv_or_tables(const std::vector<Table>& tables, const RenderOptions& options) {
    if (options.format == OutputFormat::csv) {
        return tables.empty() ? std::string() : render_csv(tables.front());
    }
    return render_tables(tables, options);
}
}  // namespace

std::string render_tables(const std::vector<Table>& tables, const RenderOptions& options) {
    switch (options.format) {
    case OutputFormat::csv: {
        std::string csv;  // one table (a catalog listing); render_csv_long takes several
        for (const auto& table : tables) {
            csv += render_csv(table);
        }
        return csv;
    }
    case OutputFormat::markdown: return render_markdown(tables);
    case OutputFormat::table: return render_text(tables, options.text_style, options.color);
    case OutputFormat::json:
    case OutputFormat::jsonl:
    case OutputFormat::html: break;
    }
    undeclared(options.format, "a table");
}

std::string render(const CatalogDocument& document, const RenderOptions& options) {
    return tables_or_json(
        options, "a catalog listing",
        [&](JsonStyle style) { return catalog_json(document.catalog, document.kind, document.id, style); },
        [&] { return catalog_tables(document.catalog, document.kind, document.id); }, false);
}

std::string render(const EstimateView& document, const RenderOptions& options) {
    return tables_or_json(
        options, "an estimate", [&](JsonStyle style) { return estimate_json(document, style); },
        [&] { return estimate_tables(document); }, true);
}

std::string render(const FinetunePlan& document, const RenderOptions& options) {
    return tables_or_json(
        options, "a fine-tuning plan", [&](JsonStyle style) { return finetune_json(document, style); },
        [&] { return finetune_tables(document); }, true);
}

std::string render(const RecommendationDocument& document, const RenderOptions& options) {
    const Recommendation& recommendation = document.recommendation;
    const SearchResult& result = recommendation.search;
    const MultiTaskResult* plans = recommendation.plans();
    if (is_json(options.format)) {
        return recommendation_json(result, options.top, options.explain, json_style(options.format), plans);
    }
    if (options.format == OutputFormat::html) {
        return recommendation_html(result, document.rules, html_meta(options), plans);
    }
    std::vector<Table> tables = recommendation_tables(result, options.top, options.explain);
    if (plans != nullptr) {
        for (Table& table : multi_task_tables(result.scenario, *plans)) {
            tables.push_back(std::move(table));
        }
    }
    return candidate_csv_or_tables(tables, options);
}

std::string render(const ComparisonDocument& document, const RenderOptions& options) {
    if (is_json(options.format)) {
        return comparison_json(document.scenario, document.candidates, document.engine_id, json_style(options.format));
    }
    if (options.format == OutputFormat::html) {
        RenderOptions shown = options;
        shown.top = static_cast<std::int64_t>(document.candidates.size());
        return comparison_html(document.scenario, document.candidates, document.rules, html_meta(shown),
                                   document.engine_id);
    }
    return candidate_csv_or_tables(comparison_tables(document.scenario, document.candidates, document.engine_id), options);
}

std::string render(const TcoDocument& document, const RenderOptions& options) {
    return tables_or_json(
        options, "a TCO",
        [&](JsonStyle style) { return tco_json(document.scenario, document.candidate, document.engine_id, style); },
        [&] { return tco_tables(document.scenario, document.candidate, document.engine_id); }, true);
}

}  // namespace dsselect::report
