// The HTML report (docs/report.md). Layout and unit conversion only: every figure is a field
// of the result model that the JSON output prints too. The markup is well-formed XHTML
// (self-closed empty elements, escaped text) so that tests can parse it as XML.
#include "dsselect/report/html_report.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

#include "dsselect/report/candidate_columns.hpp"
#include "dsselect/report/format.hpp"
#include "dsselect/report/svg.hpp"
#include "dsselect/select/frontier.hpp"
#include "dsselect/report/views.hpp"

namespace dsselect::report {

namespace {
using svg::escape;

constexpr double k_gib = 1073741824.0;
constexpr int k_palette = 8;  // rejection colours r0..r7, then repeated

constexpr const char* k_style = R"(
:root{--ink:#1d2125;--muted:#5c636a;--line:#d0d5da;--ok:#2b8a3e;--win:#e8590c}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#fff}
main{max-width:1120px;margin:0 auto;padding:16px 24px 40px}
h1{font-size:1.6em;margin:.4em 0 .2em}
h2{font-size:1.2em;margin:1.6em 0 .4em;border-bottom:1px solid var(--line);padding-bottom:.2em}
p.lead{color:var(--muted);margin:.2em 0 1em}
.winner{border-left:6px solid var(--win);background:#fff4e6;padding:10px 14px;margin:12px 0}
.winner.none{border-color:#c92a2a;background:#fff5f5}
.winner strong{font-size:1.15em}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:.85em;margin:.4em 0}
th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f1f3f5}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.win td{background:#fff4e6}
code{font:.9em ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
td code{white-space:nowrap;word-break:normal}
td.verdict{min-width:9em}
figure{margin:.6em 0}
figcaption{color:var(--muted);font-size:.88em;margin-top:.3em}
svg.chart{width:100%;height:auto;display:block;font-family:inherit}
svg text{font-size:13px;fill:var(--ink)}
svg text.small{font-size:11px;fill:var(--muted)}
svg text.label{font-size:13px;font-weight:600}
svg .grid{stroke:#e9ecef;stroke-width:1}
svg .axis{stroke:#868e96;stroke-width:1}
svg .limit{stroke:#c92a2a;stroke-width:1.5;stroke-dasharray:6 4}
svg text.limit-label{fill:#c92a2a;font-size:12px}
svg .frontier{fill:none;stroke:#0b4f1c;stroke-width:2.5;stroke-linejoin:round}
svg .capacity{stroke:#1d2125;stroke-width:2}
svg .physical{stroke:#1d2125;stroke-width:1;stroke-dasharray:3 3}
.pt{stroke:#fff;stroke-width:.5}
.pt.rej{opacity:.55}
.pt.ok{fill:var(--ok)}
.pt.front{stroke:#1d2125;stroke-width:1.5}
.pt.win{fill:var(--win);stroke:#1d2125;stroke-width:2}
.r0{fill:#868e96}.r1{fill:#4dabf7}.r2{fill:#9775fa}.r3{fill:#f783ac}
.r4{fill:#ffd43b}.r5{fill:#63e6be}.r6{fill:#a9e34b}.r7{fill:#ff8787}
.weights{fill:#1c7ed6}.kv{fill:#7048e8}.act{fill:#f59f00}.ovh{fill:#adb5bd}
.train{fill:#0ca678}.inf{fill:#1c7ed6}.maint{fill:#e8590c}.index{fill:#343a40}
.bar{fill:#495057}
ul.legend{list-style:none;padding:0;margin:.3em 0;display:flex;flex-wrap:wrap;gap:4px 16px;font-size:.88em}
ul.legend svg{width:12px;height:12px;vertical-align:-1px;margin-right:4px}
details{margin:1em 0}
summary{cursor:pointer;font-weight:600}
footer{margin-top:2em;color:var(--muted);font-size:.85em;border-top:1px solid var(--line);padding-top:.6em}
@media (max-width:700px){
main{padding:8px 10px 24px}
body{font-size:14px}
.chart-wrap{overflow-x:auto}
svg.chart{min-width:560px}
}
@media print{
body{font-size:10pt}
main{max-width:none;padding:0}
.winner,tr.win td,th{background:none}
figure,table,.winner{break-inside:avoid}
a{color:inherit}
}
)";

std::string join(const std::vector<std::string>& items, const char* separator) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) {
            out += separator;
        }
        out += item;
    }
    return out;
}

// What the page is drawn from: the same objects the JSON renderers print.
struct Page {
    const Scenario* scenario = nullptr;
    bool comparison = false;
    std::vector<const Candidate*> shown;   // the table and the bar charts
    std::vector<std::string> shown_ranks;  // "1", "2", ...
    std::vector<const Candidate*> pool;    // the scatter's candidates
    bool pool_complete = true;             // every evaluated candidate is in the pool
    std::map<std::string, std::int64_t> rejected_by_reason;
    std::vector<std::pair<std::string, const Candidate*>> nearest;  // recommend: nearest miss per reason
    std::map<std::string, std::string> advice;  // reason -> the verified flag changes (docs/ranking.md "Advice")
    std::int64_t evaluated = 0;
    std::int64_t accepted = 0;
    const Candidate* winner = nullptr;
    std::map<const Candidate*, std::string> rank_of;  // accepted candidates in the pool
    TcoWeights weights;
    const RuleSet* rules = nullptr;
    const HtmlMeta* meta = nullptr;
    const MultiTaskResult* multi_task = nullptr;  // recommend/report for a scenario with tasks
    std::string engine_id;  // the engine the candidates were judged with (their measured accuracy's)
};

std::string legend_item(const std::string& css_class, const std::string& label, bool as_line = false) {
    const std::string swatch = as_line ? R"(<line x1="0" y1="6" x2="12" y2="6" class=")" + css_class + R"("/>)"
                                       : R"(<rect x="0" y="0" width="12" height="12" class=")" + css_class + R"("/>)";
    return fmt::format("<li><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 12 12\" aria-hidden=\"true\">{}</svg>{}</li>", swatch, escape(label));
}

std::string latency_text(const Candidate& c) {
    return c.timed() ? fixed(c.estimate.performance.latency_ms, 1) + " ms" : "-";
}

std::string verdict_text(const Page& page, const Candidate& c) {
    if (c.accepted()) {
        auto rank = page.rank_of.find(&c);
        if (&c == page.winner) {
            return page.comparison ? "accepted, best score" : "recommended #1";
        }
        return rank != page.rank_of.end() ? "accepted #" + rank->second : "accepted";
    }
    return "rejected: " + c.rejection->reason + " (" + c.rejection->detail() + ")";
}

// ---- header, constraints, table -------------------------------------------------------

std::string header_section(const Page& page) {
    const Scenario& s = *page.scenario;
    std::string out;
    out += fmt::format("<h1>{} for scenario <span id=\"scenario-id\">{}</span></h1>\n",
                       page.comparison ? "Comparison" : "Recommendation", escape(s.id));
    std::string lead = s.name.empty() ? std::string() : s.name;
    if (!s.description.empty()) {
        lead += (lead.empty() ? "" : ": ") + s.description;
    }
    if (!lead.empty()) {
        out += fmt::format("<p class=\"lead\">{}</p>\n", escape(lead));
    }
    if (page.winner != nullptr) {
        const Candidate& w = *page.winner;
        out += fmt::format(
            "<div class=\"winner\" id=\"winner\"><p>{} <strong class=\"winner-label\">{}</strong></p>"
            "<p>{} per year (inference + maintenance), end-to-end latency {}, quality {}, {} replica{} of {} GPU{}; "
            "weighted TCO index {} over {} years.</p></div>\n",
            page.comparison ? "Best-scoring accepted candidate:" : "Recommended:", escape(w.label()),
            usd(w.cost.yearly_usd), escape(latency_text(w)), fixed(w.quality, 3), w.replicas, w.replicas == 1 ? "" : "s",
            w.gpus_per_replica, w.gpus_per_replica == 1 ? "" : "s", usd(w.cost.weighted_index_usd),
            fixed(s.tco.years, 0));
    } else {
        out += fmt::format("<div class=\"winner none\" id=\"winner\"><p><strong>Nothing satisfies this scenario</strong> "
                           "({} candidates evaluated, {}).</p>",
                           page.evaluated, escape(rejection_summary(page.rejected_by_reason)));
        if (!page.nearest.empty()) {
            out += "<p>The nearest miss for each reason is listed under <a href=\"#rejections-section\">Rejections</a>.</p>";
        }
        out += "</div>\n";
    }
    return out;
}

std::string constraints_section(const Page& page) {
    const Scenario& s = *page.scenario;
    const Constraints& k = s.constraints;
    std::vector<std::pair<std::string, std::string>> rows;
    rows.emplace_back("workload", fmt::format("{} QPS; {} prompt + {} output tokens; {}-token context", fixed(s.workload.qps, 2),
                                              s.workload.prompt_tokens, s.workload.output_tokens, s.workload.context_tokens));
    rows.emplace_back("task", s.task_kind + (s.numerically_sensitive ? " (numerically sensitive)" : ""));
    rows.emplace_back("serving engine", s.engine_id.empty() ? std::string(k_default_engine_id) : s.engine_id);
    auto limit = [&](const char* name, const std::optional<double>& value, const char* unit, int decimals) {
        if (value) {
            rows.emplace_back(name, fixed(*value, decimals) + unit);
        }
    };
    limit("max end-to-end latency", k.max_latency_ms, " ms", 1);
    limit("max time to first token", k.max_ttft_ms, " ms", 1);
    limit("max time per output token", k.max_tpot_ms, " ms", 2);
    limit("min quality", k.min_quality, "", 3);
    limit("max model size", k.max_model_mb, " MB", 0);
    limit("max power per replica", k.max_power_w, " W", 0);
    if (k.budget_usd_per_year) {
        rows.emplace_back("budget", usd(*k.budget_usd_per_year) + " per year");
    }
    if (k.max_gpus_per_replica) {
        rows.emplace_back("max GPUs per replica", std::to_string(*k.max_gpus_per_replica));
    }
    if (!k.allowed_hardware.empty()) {
        rows.emplace_back("allowed hardware", join(k.allowed_hardware, ", "));
    }
    if (!k.allowed_models.empty()) {
        rows.emplace_back("allowed models", join(k.allowed_models, ", "));
    }
    if (!k.allowed_variants.empty()) {
        rows.emplace_back("allowed variants", join(k.allowed_variants, ", "));
    }
    rows.emplace_back("capacity headroom", fmt::format("{}% over the required QPS", fixed(k.headroom * 100, 0)));
    if (k.allow_multi_node) {
        rows.emplace_back("multi-node replicas", "allowed");
    }
    rows.emplace_back("cost horizon", fmt::format("{} years, {}; TCO weights alpha {} (training), beta {} (inference), gamma {} (maintenance)",
                                                  fixed(s.tco.years, 0), s.tco.ownership == Ownership::rented ? "rented" : "owned",
                                                  fixed(page.weights.alpha, 2), fixed(page.weights.beta, 2),
                                                  fixed(page.weights.gamma, 2)));
    std::string out = "<section id=\"constraints\"><h2>Scenario and constraints</h2>\n<div class=\"scroll\"><table>\n";
    for (const auto& [name, value] : rows) {
        out += fmt::format("<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n", escape(name), escape(value));
    }
    out += "</table></div></section>\n";
    return out;
}

std::string candidates_section(const Page& page) {
    std::string out = fmt::format("<section id=\"top\"><h2>{}</h2>\n",
                                  page.comparison       ? std::string("Candidates")
                                  : page.shown.empty() ? std::string("Top candidates")
                                                       : fmt::format("Top {}", page.shown.size()));
    if (page.shown.empty()) {
        return out + "<p>No candidate meets the scenario.</p></section>\n";
    }
    const std::vector<const CandidateColumn*> columns = candidate_columns(CandidateView::page);
    out += "<div class=\"scroll\"><table id=\"candidates\">\n<thead><tr>";
    for (const CandidateColumn* column : columns) {
        out += "<th>" + escape(column->header) + "</th>";
    }
    out += "</tr></thead>\n<tbody>\n";
    for (std::size_t i = 0; i < page.shown.size(); ++i) {
        const Candidate& c = *page.shown[i];
        out += &c == page.winner ? "<tr class=\"win\">" : "<tr>";
        for (const CandidateColumn* column : columns) {
            const std::string cell = escape(candidate_cell(*column, c, page.shown_ranks[i]));
            if (column->format == CellFormat::label) {
                out += "<td><code>" + cell + "</code></td>";
            } else if (column->format == CellFormat::verdict) {
                out += "<td class=\"verdict\">" + cell + "</td>";
            } else {
                out += (column->align == Align::right ? "<td class=\"n\">" : "<td>") + cell + "</td>";
            }
        }
        out += "</tr>\n";
    }
    out += "</tbody></table></div>\n";
    if (!page.comparison) {
        out += fmt::format("<p>{} candidates evaluated, {} accepted; {}.</p>\n", page.evaluated, page.accepted,
                           escape(rejection_summary(page.rejected_by_reason)));
    }
    return out + "</section>\n";
}

// ---- measured accuracy ----------------------------------------------------------------

// One figure of an accuracy entry: "20.4 % (mean +0.1 %, 139 rows)", or "not checked".
std::string accuracy_cell(const std::optional<ErrorFigures>& figures) {
    if (!figures) {
        return "not checked";
    }
    return fmt::format("{:.1f} % (mean {:+.1f} %, {} rows)", figures->median_abs_error_pct, figures->mean_signed_error_pct,
                       figures->rows);
}

// How far estimates like each shown candidate's have been from measurements (data/accuracy.json),
// the accuracy object of its JSON; the replicas and the dollars above rest on these figures.
std::string accuracy_section(const Page& page) {
    if (page.shown.empty()) {
        return "";
    }
    std::string out = "<section id=\"accuracy-section\"><h2>Measured accuracy of these estimates</h2>\n"
                      "<p>Median absolute error of estimates like each candidate's against measured serving runs "
                      "(mean signed error and rows in brackets; a negative mean: estimated times shorter, or "
                      "capacity lower, than measured), from <code>data/accuracy.json</code>.</p>\n"
                      "<div class=\"scroll\"><table id=\"accuracy\">\n<thead><tr><th>#</th><th>candidate</th>";
    const AccuracyEntry unmeasured;  // its figures name the columns
    for (const NamedFigures& named : named_figures(unmeasured)) {
        out += "<th>" + escape(named.heading) + "</th>";
    }
    out += "<th>what was measured</th></tr></thead>\n<tbody>\n";
    for (std::size_t i = 0; i < page.shown.size(); ++i) {
        const Candidate& c = *page.shown[i];
        const AccuracyClaim claim = candidate_accuracy(c, page.engine_id);
        out += fmt::format("<tr><td class=\"n\">{}</td><td><code>{}</code></td>", escape(page.shown_ranks[i]),
                           escape(c.label()));
        for (const NamedFigures& named : named_figures(claim.entry != nullptr ? *claim.entry : unmeasured)) {
            out += "<td class=\"n\">" + (claim.entry != nullptr ? escape(accuracy_cell(*named.figures)) : "-") + "</td>";
        }
        out += "<td>" + escape(claim.note) + "</td></tr>\n";
    }
    return out + "</tbody></table></div></section>\n";
}

// ---- the scatter ----------------------------------------------------------------------

// One cost-latency panel of `plotted` (every one costed and timed). `prefix` keeps the ids of
// a second panel unique ("" for the main one, "full-" for the full view).
std::string scatter_panel(const Page& page, const std::vector<const Candidate*>& plotted, const std::string& svg_id,
                          const std::string& prefix, const std::function<std::string(const std::string&)>& colour_of) {
    constexpr double width = 800;
    constexpr double height = 500;
    constexpr double left = 74;
    constexpr double right = 16;
    constexpr double top = 16;
    constexpr double bottom = 58;
    const Constraints& k = page.scenario->constraints;
    double x_lo = std::numeric_limits<double>::infinity();
    double x_hi = -x_lo;
    double y_lo = x_lo;
    double y_hi = -x_lo;
    for (const Candidate* c : plotted) {
        x_lo = std::min(x_lo, c->estimate.performance.latency_ms);
        x_hi = std::max(x_hi, c->estimate.performance.latency_ms);
        y_lo = std::min(y_lo, c->cost.yearly_usd);
        y_hi = std::max(y_hi, c->cost.yearly_usd);
    }
    // The limits are drawn, so they are inside the axes.
    if (k.max_latency_ms && *k.max_latency_ms > 0) {
        x_lo = std::min(x_lo, *k.max_latency_ms);
        x_hi = std::max(x_hi, *k.max_latency_ms);
    }
    if (k.budget_usd_per_year && *k.budget_usd_per_year > 0) {
        y_lo = std::min(y_lo, *k.budget_usd_per_year);
        y_hi = std::max(y_hi, *k.budget_usd_per_year);
    }
    const svg::Scale x = svg::auto_scale(x_lo, x_hi, left, width - right);
    const svg::Scale y = svg::auto_scale(y_lo, y_hi, height - bottom, top);
    std::string out = fmt::format(
        "<div class=\"chart-wrap\"><svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{}\" class=\"chart\" viewBox=\"0 0 {} {}\" role=\"img\" "
        "aria-label=\"yearly cost against end-to-end latency of {} candidates\">\n",
        svg_id, width, height, plotted.size());
    for (double t : x.ticks) {
        out += svg::line(x(t), top, x(t), height - bottom, "grid");
        out += svg::text(x(t), height - bottom + 18, svg::short_number(t), "small", "middle");
    }
    for (double t : y.ticks) {
        out += svg::line(left, y(t), width - right, y(t), "grid");
        out += svg::text(left - 6, y(t) + 4, "$" + svg::short_number(t), "small", "end");
    }
    out += svg::line(left, height - bottom, width - right, height - bottom, "axis");
    out += svg::line(left, top, left, height - bottom, "axis");
    out += svg::text((left + width - right) / 2, height - 14,
                     fmt::format("end-to-end latency, ms{}", x.log ? " (log scale)" : ""), "", "middle");
    out += fmt::format("<text x=\"16\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {})\">{}</text>\n",
                       svg::coord((top + height - bottom) / 2), svg::coord((top + height - bottom) / 2),
                       escape(fmt::format("cost per year, USD{}", y.log ? " (log scale)" : "")));
    if (k.max_latency_ms && *k.max_latency_ms > 0) {
        const double at = x(*k.max_latency_ms);
        out += svg::line(at, top, at, height - bottom, "limit");
        const bool left_half = at < (left + width - right) / 2;
        out += svg::text(left_half ? at + 4 : at - 4, top + 12, fmt::format("max latency {} ms", fixed(*k.max_latency_ms, 0)),
                         "limit-label", left_half ? "start" : "end");
    }
    if (k.budget_usd_per_year && *k.budget_usd_per_year > 0) {
        const double at = y(*k.budget_usd_per_year);
        out += svg::line(left, at, width - right, at, "limit");
        out += svg::text(width - right - 4, at - 5, "budget " + usd(*k.budget_usd_per_year) + "/year", "limit-label", "end");
    }
    // Frontier of the accepted candidates (computed in select/frontier.cpp).
    const std::vector<std::size_t> frontier = cost_latency_frontier(plotted);
    std::set<const Candidate*> on_frontier;
    std::vector<svg::Point> staircase;
    for (std::size_t f = 0; f < frontier.size(); ++f) {
        const Candidate* c = plotted[frontier[f]];
        on_frontier.insert(c);
        const double at_x = x(c->estimate.performance.latency_ms);
        if (f > 0) {
            staircase.push_back({at_x, staircase.back().y});
        }
        staircase.push_back({at_x, y(c->cost.yearly_usd)});
    }
    auto point = [&](const Candidate* c) {
        std::string css = "pt ";
        double r = 3.5;
        if (c == page.winner) {
            css += "win";
            r = 7;
        } else if (c->accepted()) {
            css += "ok";
            r = 5;
        } else {
            css += "rej " + colour_of(c->rejection->reason);
        }
        if (on_frontier.count(c) != 0 && c != page.winner) {
            css += " front";
        }
        const std::string title = fmt::format("{}\n{}\n{} per year; latency {}; quality {}", c->label(), verdict_text(page, *c),
                                              usd(c->cost.yearly_usd), latency_text(*c), fixed(c->quality, 3));
        return svg::circle(x(c->estimate.performance.latency_ms), y(c->cost.yearly_usd), r, css, title);
    };
    out += "<g id=\"" + prefix + "points-rejected\">\n";
    for (const Candidate* c : plotted) {
        if (!c->accepted()) {
            out += point(c);
        }
    }
    out += "</g>\n<g id=\"" + prefix + "points-accepted\">\n";
    for (const Candidate* c : plotted) {
        if (c->accepted() && c != page.winner) {
            out += point(c);
        }
    }
    out += "</g>\n";
    // The frontier over the points, the winner over everything.
    out += "<g id=\"" + prefix + "frontier\">";
    if (staircase.size() >= 2) {
        out += svg::polyline(staircase, "frontier");
    }
    out += "</g>\n";
    if (page.winner != nullptr && page.winner->costed &&
        std::find(plotted.begin(), plotted.end(), page.winner) != plotted.end()) {
        out += "<g id=\"" + prefix + "point-winner\">" + point(page.winner) + "</g>\n";
    }
    out += "</svg></div>\n";
    return out;
}

std::string scatter_section(const Page& page) {
    std::vector<const Candidate*> plotted;
    std::vector<const Candidate*> accepted;
    std::map<std::string, std::int64_t> not_plotted;
    for (const Candidate* c : page.pool) {
        if (c->costed && c->timed()) {
            plotted.push_back(c);
            if (c->accepted()) {
                accepted.push_back(c);
            }
        } else {
            ++not_plotted[c->accepted() ? std::string("accepted") : c->rejection->reason];
        }
    }
    const std::size_t rejected_plotted = plotted.size() - accepted.size();
    // The plotted reasons in a fixed order (by name) give each its colour.
    std::vector<std::string> reasons;
    for (const Candidate* c : plotted) {
        if (!c->accepted()) {
            reasons.push_back(c->rejection->reason);
        }
    }
    std::sort(reasons.begin(), reasons.end());
    reasons.erase(std::unique(reasons.begin(), reasons.end()), reasons.end());
    const std::function<std::string(const std::string&)> colour_of = [&](const std::string& reason) {
        const auto at = std::lower_bound(reasons.begin(), reasons.end(), reason) - reasons.begin();
        return fmt::format("r{}", at % k_palette);
    };
    // With accepted and rejected candidates both plotted, the main panel zooms on the accepted
    // ones (rejected candidates costed at batch 1 can be orders of magnitude dearer and would
    // flatten them into one stripe); the full view follows in a second panel.
    const bool zoomed = !accepted.empty() && rejected_plotted > 0;
    std::string out = "<section id=\"scatter-section\"><h2>Cost against latency</h2>\n";
    if (plotted.empty()) {
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"scatter\" class=\"chart\" viewBox=\"0 0 800 60\" role=\"img\" aria-label=\"no candidate could be costed\">";
        out += svg::text(400, 34, "no candidate could be costed: every one was rejected before costing", "", "middle");
        out += "</svg>\n";
    } else {
        if (zoomed) {
            out += fmt::format("<p id=\"scatter-zoom-note\">The accepted candidates only: {} accepted plotted; {} rejected "
                               "candidate{} left out of this panel (all {} are in the full view below).</p>\n",
                               accepted.size(), rejected_plotted, rejected_plotted == 1 ? " is" : "s are", plotted.size());
        }
        out += scatter_panel(page, zoomed ? accepted : plotted, "scatter", "", colour_of);
    }
    // Legend (HTML, so that it wraps on a phone).
    out += "<ul class=\"legend\">";
    out += legend_item("pt win", page.comparison ? "best score" : "recommended");
    out += legend_item("pt ok", "accepted");
    for (const std::string& reason : reasons) {
        out += legend_item("pt " + colour_of(reason), "rejected: " + reason + (zoomed ? " (full view)" : ""));
    }
    out += legend_item("frontier", "Pareto frontier of the accepted", true);
    out += legend_item("limit", "limit", true);
    out += "</ul>\n";
    std::int64_t unplottable = 0;
    std::vector<std::string> why;
    for (const auto& [reason, count] : not_plotted) {
        unplottable += count;
        why.push_back(fmt::format("{} {}", count, reason));
    }
    std::string caption = zoomed ? fmt::format("{} of {} candidates plotted in the full view, {} of them (the accepted) above.",
                                               plotted.size(), page.pool.size(), accepted.size())
                                 : fmt::format("{} of {} candidates plotted.", plotted.size(), page.pool.size());
    if (unplottable > 0) {
        caption += fmt::format(" {} not plottable: rejected before they could be sized and costed ({}).", unplottable,
                               join(why, ", "));
    }
    if (!page.pool_complete) {
        caption += " Only the accepted candidates and the nearest miss per reason were kept by the search.";
    }
    caption += " Lower left is better; the frontier joins the accepted candidates that no other accepted candidate beats on"
               " both cost and latency. Hover a point for its figures.";
    out += "<figcaption>" + escape(caption) + "</figcaption>\n";
    if (zoomed) {
        out += fmt::format("<details id=\"scatter-full-details\"><summary>Full view: all {} plotted candidates, {} rejected "
                           "included</summary>\n",
                           plotted.size(), rejected_plotted);
        out += scatter_panel(page, plotted, "scatter-full", "full-", colour_of);
        out += "<figcaption>A candidate that misses a latency or power limit even at batch 1 is costed at batch 1, with as "
               "many replicas as the load then needs, so it can cost far more per year than any accepted one.</figcaption>\n"
               "</details>\n";
    }
    out += "</section>\n";
    return out;
}

// ---- the bars -------------------------------------------------------------------------

struct Segment {
    double value;
    const char* css;
    const char* name;
};

// One labelled stacked bar per row, on a shared scale from 0.
std::string memory_section(const Page& page) {
    constexpr double width = 800;
    constexpr double left = 10;
    constexpr double right = 20;
    constexpr double row = 54;
    std::string out = "<section id=\"memory-section\"><h2>GPU memory per GPU</h2>\n";
    if (page.shown.empty()) {
        return out + "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"memory-bars\" class=\"chart\" viewBox=\"0 0 800 40\"><text x=\"400\" y=\"24\" "
                     "text-anchor=\"middle\">no candidate to show</text></svg>\n</section>\n";
    }
    double hi = 0;
    for (const Candidate* c : page.shown) {
        hi = std::max({hi, c->estimate.memory.per_gpu_bytes / k_gib, c->estimate.memory.capacity_per_gpu_bytes / k_gib});
    }
    const svg::Scale x = svg::linear_scale(0, hi, left, width - right, true);
    const double height = row * static_cast<double>(page.shown.size()) + 34;
    out += fmt::format("<div class=\"chart-wrap\"><svg xmlns=\"http://www.w3.org/2000/svg\" id=\"memory-bars\" class=\"chart\" viewBox=\"0 0 {} {}\" role=\"img\" "
                       "aria-label=\"memory per GPU of the top candidates\">\n",
                       width, svg::coord(height));
    const double axis_y = height - 26;
    for (double t : x.ticks) {
        out += svg::line(x(t), 4, x(t), axis_y, "grid");
        out += svg::text(x(t), axis_y + 16, svg::short_number(t), "small", "middle");
    }
    for (std::size_t i = 0; i < page.shown.size(); ++i) {
        const Candidate& c = *page.shown[i];
        const MemoryEstimate& m = c.estimate.memory;
        const double gpus = static_cast<double>(c.gpus_per_replica);
        const double y0 = 6 + row * static_cast<double>(i);
        out += svg::text(left, y0 + 12,
                         fmt::format("{}: {} of {} GiB usable ({} GiB physical){}", c.label(), gib(m.per_gpu_bytes),
                                     gib(m.usable_per_gpu_bytes), gib(m.capacity_per_gpu_bytes), m.fits ? "" : ": does NOT fit"),
                         "label");
        // Task adapters are held beside the weights and split like them (docs/multitask.md).
        const Segment segments[] = {{(m.weights_bytes + m.adapter_bytes) / gpus, "weights",
                                     m.adapter_bytes > 0.0 ? "weights and task adapters" : "weights"},
                                    {m.kv_cache_bytes / gpus, "kv", "KV cache"},
                                    {m.activations_bytes, "act", "activations"},
                                    {m.overhead_bytes, "ovh", "runtime overhead"}};
        double at = 0;
        for (const Segment& s : segments) {
            const double from = x(at / k_gib);
            at += s.value;
            out += svg::rect(from, y0 + 18, x(at / k_gib) - from, 20, s.css,
                             fmt::format("{}: {} — {} GiB per GPU", c.label(), s.name, gib(s.value)));
        }
        out += svg::line(x(m.usable_per_gpu_bytes / k_gib), y0 + 14, x(m.usable_per_gpu_bytes / k_gib), y0 + 42, "capacity");
        out += svg::line(x(m.capacity_per_gpu_bytes / k_gib), y0 + 14, x(m.capacity_per_gpu_bytes / k_gib), y0 + 42, "physical");
    }
    out += svg::line(left, axis_y, width - right, axis_y, "axis");
    out += "</svg></div>\n<ul class=\"legend\">";
    out += legend_item("weights", "weights (and task adapters)") + legend_item("kv", "KV cache") + legend_item("act", "activations") +
           legend_item("ovh", "runtime overhead") + legend_item("capacity", "usable capacity", true) +
           legend_item("physical", "physical capacity", true);
    out += "</ul>\n<figcaption>GiB per GPU at the batch each candidate runs (weights and KV cache split over the replica's "
           "GPUs). The solid mark is the engine's usable memory, the dotted one the datasheet capacity.</figcaption>\n"
           "</section>\n";
    return out;
}

std::string tco_section(const Page& page) {
    constexpr double width = 800;
    constexpr double left = 10;
    constexpr double right = 20;
    constexpr double row = 62;
    std::vector<const Candidate*> costed;
    for (const Candidate* c : page.shown) {
        if (c->costed) {
            costed.push_back(c);
        }
    }
    const double years = page.scenario->tco.years;
    std::string out = "<section id=\"tco-section\"><h2>Total cost of ownership</h2>\n";
    if (costed.empty()) {
        return out + "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"tco-bars\" class=\"chart\" viewBox=\"0 0 800 40\"><text x=\"400\" y=\"24\" "
                     "text-anchor=\"middle\">no costed candidate to show</text></svg>\n</section>\n";
    }
    double hi = 0;
    for (const Candidate* c : costed) {
        hi = std::max({hi, c->cost.total_usd, c->cost.weighted_index_usd});
    }
    const svg::Scale x = svg::linear_scale(0, hi, left, width - right, true);
    const double height = row * static_cast<double>(costed.size()) + 34;
    out += fmt::format("<div class=\"chart-wrap\"><svg xmlns=\"http://www.w3.org/2000/svg\" id=\"tco-bars\" class=\"chart\" viewBox=\"0 0 {} {}\" role=\"img\" "
                       "aria-label=\"total cost of ownership of the top candidates\">\n",
                       width, svg::coord(height));
    const double axis_y = height - 26;
    for (double t : x.ticks) {
        out += svg::line(x(t), 4, x(t), axis_y, "grid");
        out += svg::text(x(t), axis_y + 16, "$" + svg::short_number(t), "small", "middle");
    }
    for (std::size_t i = 0; i < costed.size(); ++i) {
        const Candidate& c = *costed[i];
        const TcoResult& t = c.cost;
        const double y0 = 6 + row * static_cast<double>(i);
        out += svg::text(left, y0 + 12,
                         fmt::format("{}: total {} over {} years; weighted index {}", c.label(), usd(t.total_usd),
                                     fixed(years, 0), usd(t.weighted_index_usd)),
                         "label");
        // Beside a quote, the other training figure too (docs/tco.md).
        const std::string training =
            !t.training_quoted_usd ? std::string("training")
            : t.training_quoted    ? "training (given; computed " + usd(t.training_computed_usd) + ")"
                                   : "training (computed; quoted " + usd(*t.training_quoted_usd) + ")";
        const Segment segments[] = {{t.training_usd, "train", training.c_str()},
                                    {t.inference_usd, "inf", "inference"},
                                    {t.maintenance_usd, "maint", "maintenance"}};
        double at = 0;
        for (const Segment& s : segments) {
            const double from = x(at);
            at += s.value;
            out += svg::rect(from, y0 + 18, x(at) - from, 20, s.css, fmt::format("{}: {} {}", c.label(), s.name, usd(s.value)));
        }
        out += svg::rect(x(0), y0 + 41, x(t.weighted_index_usd) - x(0), 8, "index",
                         fmt::format("{}: weighted index {} = {} x training + {} x inference + {} x maintenance", c.label(),
                                     usd(t.weighted_index_usd), fixed(t.weights.alpha, 2), fixed(t.weights.beta, 2),
                                     fixed(t.weights.gamma, 2)));
    }
    out += svg::line(left, axis_y, width - right, axis_y, "axis");
    out += "</svg></div>\n<ul class=\"legend\">";
    out += legend_item("train", "training") + legend_item("inf", "inference") + legend_item("maint", "maintenance") +
           legend_item("index", "weighted index (thin bar)");
    out += fmt::format("</ul>\n<figcaption>Dollars over the {}-year horizon ({}). The thin bar is the seed's weighted TCO "
                       "index, alpha x training + beta x inference + gamma x maintenance, the figure the ranking compares."
                       "</figcaption>\n</section>\n",
                       fixed(years, 0), page.scenario->tco.ownership == Ownership::rented ? "rented" : "owned");
    return out;
}

std::string rejections_section(const Page& page) {
    constexpr double width = 800;
    constexpr double label_width = 190;
    constexpr double right = 60;
    constexpr double row = 26;
    std::vector<std::pair<std::string, std::int64_t>> sorted(page.rejected_by_reason.begin(), page.rejected_by_reason.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    std::string out = "<section id=\"rejections-section\"><h2>Rejections</h2>\n";
    if (sorted.empty()) {
        return out + "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"rejections\" class=\"chart\" viewBox=\"0 0 800 40\"><text x=\"400\" y=\"24\" "
                     "text-anchor=\"middle\">no candidate was rejected</text></svg>\n</section>\n";
    }
    const svg::Scale x = svg::linear_scale(0, static_cast<double>(sorted.front().second), label_width, width - right, true);
    const double height = row * static_cast<double>(sorted.size()) + 10;
    out += fmt::format("<div class=\"chart-wrap\"><svg xmlns=\"http://www.w3.org/2000/svg\" id=\"rejections\" class=\"chart\" viewBox=\"0 0 {} {}\" role=\"img\" "
                       "aria-label=\"rejected candidates by reason\">\n",
                       width, svg::coord(height));
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        const auto& [reason, count] = sorted[i];
        const double y0 = 5 + row * static_cast<double>(i);
        std::string title = fmt::format("{}: {} candidates", reason, count);
        for (const auto& [miss_reason, candidate] : page.nearest) {
            if (miss_reason == reason) {
                title += fmt::format("; nearest: {} ({})", candidate->label(), candidate->rejection->detail());
            }
        }
        out += svg::text(label_width - 8, y0 + 14, reason, "", "end");
        out += svg::rect(x(0), y0 + 2, x(static_cast<double>(count)) - x(0), row - 8, "bar", title);
        out += svg::text(x(static_cast<double>(count)) + 6, y0 + 14, std::to_string(count), "small");
    }
    out += "</svg></div>\n";
    if (!page.nearest.empty()) {
        out += "<div class=\"scroll\"><table id=\"nearest-misses\"><thead><tr><th>reason</th><th>nearest miss</th>"
               "<th>why</th><th>to admit one (verified)</th></tr></thead><tbody>\n";
        for (const auto& [reason, candidate] : page.nearest) {
            const Rejection& r = *candidate->rejection;
            const auto advice = page.advice.find(reason);
            const std::string relax = advice != page.advice.end() ? advice->second : std::string("-");
            out += fmt::format("<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td><code>{}</code></td></tr>\n",
                               escape(reason), escape(candidate->label()), escape(r.detail()), escape(relax));
        }
        out += "</tbody></table></div>\n";
    }
    out += "<figcaption>Each candidate is rejected for the first constraint it misses, in the order of docs/ranking.md.";
    if (!page.nearest.empty()) {
        out += " The table names, for each reason, the candidate that missed by the least.";
    }
    out += "</figcaption>\n</section>\n";
    return out;
}

const Rule* find_rule(const RuleSet* rules, const std::string& id) {
    if (rules == nullptr) {
        return nullptr;
    }
    for (const Rule& rule : rules->rules) {
        if (rule.id == id) {
            return &rule;
        }
    }
    return nullptr;
}

std::string warnings_section(const Page& page) {
    std::string rows;
    for (const Candidate* c : page.shown) {
        for (std::size_t i = 0; i < c->warnings.size(); ++i) {
            const Rule* rule = find_rule(page.rules, c->warnings[i]);
            const std::string message = i < c->warning_messages.size() ? c->warning_messages[i] : std::string();
            rows += fmt::format("<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>\n",
                                escape(c->warnings[i]), escape(rule != nullptr ? rule->source : "-"), escape(c->label()),
                                escape(message));
        }
    }
    std::string out = "<section id=\"warnings\"><h2>Warnings from the rules</h2>\n";
    if (rows.empty()) {
        return out + "<p>No warn rule fired for the candidates above.</p></section>\n";
    }
    return out + "<div class=\"scroll\"><table><thead><tr><th>rule</th><th>source</th><th>candidate</th><th>message</th>"
                 "</tr></thead><tbody>\n" +
           rows + "</tbody></table></div></section>\n";
}

// ---- quoted figures and multi-task plans ----------------------------------------------

// The figures the source document quotes for the shown candidates (seed §3.2), beside
// dsselect's: the same rows as the terminal and the JSON "quoted" arrays (views.hpp).
std::string quoted_section(const Page& page) {
    const Table quoted = quoted_table(*page.scenario, page.shown);
    if (quoted.rows.empty()) {
        return {};
    }
    std::string out = "<section id=\"quoted-section\"><h2>Quoted against computed</h2>\n<div class=\"scroll\"><table id=\"quoted\"><thead><tr>";
    for (const Column& column : quoted.columns) {
        out += "<th>" + escape(column.header) + "</th>";
    }
    out += "</tr></thead><tbody>\n";
    for (const auto& row : quoted.rows) {
        out += "<tr>";
        for (std::size_t i = 0; i < row.size(); ++i) {
            const bool number = i < quoted.columns.size() && quoted.columns[i].align == Align::right;
            out += (i == 0 ? "<td><code>" + escape(row[i]) + "</code></td>"
                           : (number ? "<td class=\"n\">" : "<td>") + escape(row[i]) + "</td>");
        }
        out += "</tr>\n";
    }
    out += "</tbody></table></div>\n<figcaption>" + escape(quoted.title) +
           ". A quoted figure is the document's, not computed; a quoted training cost is used as given.</figcaption>\n"
           "</section>\n";
    return out;
}

std::string floors_text(const PlanDeployment& d) {
    std::vector<std::string> parts;
    for (const TaskFloor& f : d.floors) {
        if (!f.min_quality) {
            parts.push_back(f.task_id + ": no floor");
        } else if (!f.quality) {
            parts.push_back(fmt::format("{}: floor {}, no published quality figure ({})", f.task_id, fixed(*f.min_quality, 3),
                                        f.met ? "met" : "NOT met"));
        } else {
            parts.push_back(fmt::format("{}: {} {} {} ({})", f.task_id, fixed(*f.quality, 3), f.met ? ">=" : "<",
                                        fixed(*f.min_quality, 3), f.met ? "met" : "NOT met"));
        }
    }
    return join(parts, "; ");
}

std::string multi_task_section(const Page& page) {
    if (page.multi_task == nullptr) {
        return {};
    }
    const MultiTaskResult& result = *page.multi_task;
    const Scenario& s = *page.scenario;
    std::string out = fmt::format("<section id=\"multi-task\"><h2>Multi-task plans</h2>\n<p>{} tasks, {} QPS in all: one shared "
                                  "base with an adapter per task, a separately deployed model per task, and a mixed plan "
                                  "when it differs from both (docs/multitask.md).</p>\n",
                                  s.tasks.size(), fixed(s.workload.qps, 2));
    out += "<div class=\"scroll\"><table id=\"multi-task-plans\"><thead><tr><th>plan</th><th>deployment</th><th>tasks and "
           "quality floors</th><th>GPUs</th><th>$/year</th><th>total over horizon</th><th>TCO index</th><th>latency</th>"
           "<th>quality</th><th>verdict</th></tr></thead><tbody>\n";
    for (std::size_t i = 0; i < result.plans.size(); ++i) {
        const MultiTaskPlan& plan = result.plans[i];
        const bool best = result.best && *result.best == i;
        const char* kind = to_string(plan.kind);
        bool floors_met = true;
        for (const PlanDeployment& d : plan.deployments) {
            for (const TaskFloor& f : d.floors) {
                floors_met = floors_met && f.met;
            }
        }
        const std::string verdict = !plan.accepted() ? "rejected: " + plan.rejection_reason + ": " + plan.rejection_detail
                                    : best            ? std::string("best plan")
                                                      : std::string("accepted");
        const char* floors = plan.deployments.empty() ? "-" : floors_met ? "every task's floor met" : "a task's floor is not met";
        out += fmt::format("<tr class=\"plan{}\" id=\"plan-{}\"><th scope=\"row\">{}</th><td>{} deployment{}</td><td>{}</td>",
                           best ? " win" : "", kind, kind, plan.deployments.size(), plan.deployments.size() == 1 ? "" : "s",
                           floors);
        if (plan.accepted()) {
            out += fmt::format("<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
                               "<td class=\"n\">{} ms</td><td class=\"n\">{}</td>",
                               plan.gpus, usd(plan.cost_per_year_usd), usd(plan.total_usd), usd(plan.weighted_index_usd),
                               fixed(plan.latency_ms, 1), fixed(plan.quality, 3));
        } else {
            out += "<td class=\"n\">-</td><td class=\"n\">-</td><td class=\"n\">-</td><td class=\"n\">-</td>"
                   "<td class=\"n\">-</td><td class=\"n\">-</td>";
        }
        out += "<td>" + escape(verdict) + "</td></tr>\n";
        for (const PlanDeployment& d : plan.deployments) {
            const Candidate& c = d.candidate;
            out += fmt::format("<tr class=\"deployment\"><td></td><td><code>{}</code> x {} replica{}{}</td><td>{}</td>"
                               "<td class=\"n\">{} x {}</td><td class=\"n\">{}</td><td></td><td></td>"
                               "<td class=\"n\">{}</td><td></td><td>{}</td></tr>\n",
                               escape(c.label()), c.replicas, c.replicas == 1 ? "" : "s",
                               d.adapters > 0 ? fmt::format(", {} adapter{}", d.adapters, d.adapters == 1 ? "" : "s") : "",
                               escape(floors_text(d)), c.replicas, c.gpus_per_replica,
                               usd(c.cost.yearly_usd + d.adapter_upkeep_usd_per_year), escape(latency_text(c)),
                               fmt::format("serves {} QPS", fixed(d.qps, 2)));
        }
    }
    out += "</tbody></table></div>\n<figcaption>Per plan: GPUs in all, $/year (inference + maintenance + adapter upkeep), "
           "the total over the horizon (training included), the weighted TCO index, the slowest deployment's latency and "
           "the share-weighted quality. Per deployment: replicas x GPUs per replica, its $/year and latency, each task's "
           "quality (the model's figure for the task kind times the variant's retention) against its floor.</figcaption>\n";
    if (!result.notes.empty()) {
        out += "<ul class=\"notes\">";
        for (const std::string& note : result.notes) {
            out += "<li>" + escape(note) + "</li>";
        }
        out += "</ul>\n";
    }
    return out + "</section>\n";
}

// ---- inputs and sources ----------------------------------------------------------------

std::string training_text(const TrainingPlan& plan) {
    switch (plan.method) {
    case TrainingMethod::none: return "none";
    case TrainingMethod::lora: return "LoRA on " + count_short(plan.tokens) + " tokens";
    case TrainingMethod::full: return "full fine-tuning on " + count_short(plan.tokens) + " tokens";
    case TrainingMethod::pretrain: return "pre-training on " + count_short(plan.tokens) + " tokens";
    }
    return "none";
}

std::string source_of(const SourceMap& sources, const std::string& field, const std::string& fallback) {
    auto found = sources.find(field);
    return found != sources.end() ? found->second : fallback;
}

// Where one scenario figure comes from: the flag that set it, else its section's source (the
// section's "source", or the scenario's "sources" entry for the section), else an assumption.
std::string scenario_source(const Scenario& s, const std::string& section, const std::string& field,
                            const std::string& section_source) {
    if (auto flag = s.flag_sources.find(section + "." + field); flag != s.flag_sources.end()) {
        return "command line: " + flag->second;
    }
    if (!section_source.empty()) {
        return section_source;
    }
    if (auto given = s.sources.find(section); given != s.sources.end()) {
        return given->second;
    }
    // Tasks have no defaults; the other sections fall back to dsselect's for an omitted figure.
    return "assumption: the scenario gives no source for its " + section +
           (section == "tasks" ? std::string() : std::string(" (dsselect's default where it omits a figure; docs/data-format.md)"));
}

std::string inputs_section(const Page& page) {
    const Scenario& s = *page.scenario;
    std::string out = "<details id=\"inputs\"><summary>Inputs and their sources</summary>\n";
    auto table = [&](const std::string& title, const std::string& id, const std::vector<std::array<std::string, 3>>& rows) {
        out += fmt::format("<h3>{}</h3>\n<div class=\"scroll\"><table id=\"{}\"><thead><tr><th>input</th><th>value</th><th>source</th>"
                           "</tr></thead><tbody>\n",
                           escape(title), id);
        for (const auto& r : rows) {
            out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n", escape(r[0]), escape(r[1]), escape(r[2]));
        }
        out += "</tbody></table></div>\n";
    };
    auto from = [&](const std::string& section, const std::string& field) {
        const std::string& section_source = section == "workload"      ? s.workload.source
                                            : section == "constraints" ? s.constraints.source
                                                                       : s.tco.source;
        return scenario_source(s, section, field, section_source);
    };
    const TcoInputs& t = s.tco;
    const Constraints& k = s.constraints;
    std::vector<std::array<std::string, 3>> rows = {
        {"scenario", s.name.empty() ? s.id : s.name, s.source.empty() ? std::string("no source given") : s.source},
        {"workload: QPS", fixed(s.workload.qps, 3), from("workload", "qps")},
        {"workload: prompt tokens", std::to_string(s.workload.prompt_tokens), from("workload", "prompt_tokens")},
        {"workload: output tokens", std::to_string(s.workload.output_tokens), from("workload", "output_tokens")},
        {"workload: context tokens", std::to_string(s.workload.context_tokens), from("workload", "context_tokens")}};
    auto limit = [&](const char* name, const char* field, const std::optional<double>& value, const char* unit, int decimals) {
        if (value) {
            rows.push_back({std::string("limit: ") + name, fixed(*value, decimals) + unit, from("constraints", field)});
        }
    };
    limit("max end-to-end latency", "max_latency_ms", k.max_latency_ms, " ms", 1);
    limit("max time to first token", "max_ttft_ms", k.max_ttft_ms, " ms", 1);
    limit("max time per output token", "max_tpot_ms", k.max_tpot_ms, " ms", 2);
    limit("min quality", "min_quality", k.min_quality, "", 3);
    limit("max model size", "max_model_mb", k.max_model_mb, " MB", 0);
    limit("max power per replica", "max_power_w", k.max_power_w, " W", 0);
    if (k.budget_usd_per_year) {
        rows.push_back({"limit: budget", usd(*k.budget_usd_per_year) + " per year", from("constraints", "budget_usd_per_year")});
    }
    if (k.max_gpus_per_replica) {
        rows.push_back({"limit: max GPUs per replica", std::to_string(*k.max_gpus_per_replica),
                        from("constraints", "max_gpus_per_replica")});
    }
    if (!k.allowed_hardware.empty()) {
        rows.push_back({"limit: allowed hardware", join(k.allowed_hardware, ", "), from("constraints", "allowed_hardware")});
    }
    if (!k.allowed_models.empty()) {
        rows.push_back({"limit: allowed models", join(k.allowed_models, ", "), from("constraints", "allowed_models")});
    }
    if (!k.allowed_variants.empty()) {
        rows.push_back({"limit: allowed variants", join(k.allowed_variants, ", "), from("constraints", "allowed_variants")});
    }
    rows.push_back({"capacity headroom", fixed(k.headroom * 100, 0) + "%", from("constraints", "headroom")});
    rows.insert(rows.end(),
                {{"cost: years", fixed(t.years, 1), from("tco", "years")},
                 {"cost: ownership", t.ownership == Ownership::rented ? "rented" : "owned", from("tco", "ownership")},
                 {"cost: utilization", fixed(t.utilization, 3), from("tco", "utilization")},
                 {"cost: electricity (USD/kWh)", fixed(t.electricity_usd_per_kwh, 3), from("tco", "electricity_usd_per_kwh")},
                 {"cost: PUE", fixed(t.pue, 2), from("tco", "pue")},
                 {"cost: depreciation years", fixed(t.depreciation_years, 1), from("tco", "depreciation_years")},
                 {"cost: maintenance fraction per year", fixed(t.maintenance_fraction_per_year, 3),
                  from("tco", "maintenance_fraction_per_year")},
                 {"cost: engineering hours per year", fixed(t.engineering_hours_per_year, 0), from("tco", "engineering_hours_per_year")},
                 {"cost: engineering USD per hour", fixed(t.engineering_usd_per_hour, 2), from("tco", "engineering_usd_per_hour")},
                 {"cost: training plan", training_text(t.training),
                  t.training.source.empty() ? from("tco", "training") : t.training.source}});
    for (const TaskSpec& task : s.tasks) {
        rows.push_back({"task: " + task.id,
                        fmt::format("{}% of the requests{}", fixed(task.share * 100, 1),
                                    task.min_quality ? ", quality floor " + fixed(*task.min_quality, 3) : std::string()),
                        !task.source.empty() ? task.source : scenario_source(s, "tasks", task.id, "")});
    }
    rows.push_back({"TCO weights alpha, beta, gamma",
                    fmt::format("{}, {}, {}", fixed(page.weights.alpha, 2), fixed(page.weights.beta, 2), fixed(page.weights.gamma, 2)),
                    "seed §3.2 (0.3 : 0.5 : 0.2) unless --weights"});
    table("Scenario " + s.id, "inputs-scenario", rows);
    std::vector<std::array<std::string, 3>> models;
    std::vector<std::array<std::string, 3>> variants;
    std::vector<std::array<std::string, 3>> hardware;
    std::set<std::string> seen;
    for (const Candidate* c : page.shown) {
        if (seen.insert("m/" + c->model->id).second) {
            const Model& m = *c->model;
            models.push_back({m.id + " (" + m.name + ")",
                              m.parameters_nominal > 0 ? count_short(m.parameters_nominal) + " parameters (nominal)"
                                                       : std::string("-"),
                              m.source.empty() ? "-" : m.source});
        }
        if (seen.insert("v/" + c->variant->id).second) {
            const Variant& v = *c->variant;
            variants.push_back({v.id + " (" + v.name + ")",
                                fmt::format("{} weight bits, quality retention {}", fixed(v.weight_bits, 3),
                                            fixed(v.quality_retention, 3)),
                                source_of(v.sources, "quality_retention", v.source.empty() ? "-" : v.source)});
        }
        if (seen.insert("h/" + c->hardware->id).second) {
            const Hardware& h = *c->hardware;
            const std::string fallback = h.source.empty() ? "-" : h.source;
            hardware.push_back({h.id + " memory", gib(h.memory_gb * 1e9) + " GiB (the datasheet's memory_gb, 10^9 bytes)",
                                source_of(h.sources, "memory_gb", fallback)});
            hardware.push_back({h.id + " bandwidth", fixed(h.memory_bandwidth_gb_per_s, 0) + " GB/s",
                                source_of(h.sources, "memory_bandwidth_gb_per_s", fallback)});
            hardware.push_back({h.id + " price", "$" + fixed(h.price_usd_per_hour, 2) + "/hour",
                                source_of(h.sources, "price_usd_per_hour", fallback)});
            hardware.push_back({h.id + " purchase", usd(h.purchase_usd), source_of(h.sources, "purchase_usd", fallback)});
        }
    }
    if (!models.empty()) {
        table("Models", "inputs-models", models);
    }
    if (!variants.empty()) {
        table("Variants", "inputs-variants", variants);
    }
    if (!hardware.empty()) {
        table("Hardware", "inputs-hardware", hardware);
    }
    if (page.rules != nullptr && !page.rules->rules.empty()) {
        std::vector<std::array<std::string, 3>> rules;
        for (const Rule& rule : page.rules->rules) {
            const char* effect = rule.effect == RuleEffect::reject ? "reject" : rule.effect == RuleEffect::warn ? "warn" : "score";
            rules.push_back({rule.id, std::string(effect) + ": " + rule.description,
                             rule.source.empty() ? rule.origin : rule.source});
        }
        table("Policy rules", "inputs-rules", rules);
    }
    out += "</details>\n";
    return out;
}

std::string render(const Page& page) {
    std::string out;
    out.reserve(256 * 1024);
    out += "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n";
    out += fmt::format("<meta name=\"generator\" content=\"dsselect {}\"/>\n", escape(page.meta->version));
    out += fmt::format("<title>dsselect: {} for {}</title>\n", page.comparison ? "comparison" : "recommendation",
                       escape(page.scenario->id));
    out += "<style>";
    out += k_style;
    out += "</style>\n</head>\n<body>\n<main>\n";
    out += header_section(page);
    out += constraints_section(page);
    out += candidates_section(page);
    out += accuracy_section(page);
    out += quoted_section(page);
    out += multi_task_section(page);
    out += scatter_section(page);
    out += memory_section(page);
    out += tco_section(page);
    out += rejections_section(page);
    out += warnings_section(page);
    out += inputs_section(page);
    out += fmt::format("<footer>Generated by dsselect <span id=\"version\">{}</span> with <code id=\"command-line\">{}</code>"
                       "<br/>Every figure comes from the result that <code>-o json</code> prints for the same command; see docs/report.md."
                       "</footer>\n",
                       escape(page.meta->version), escape(page.meta->command_line));
    out += "</main>\n</body>\n</html>\n";
    return out;
}
}  // namespace

std::string recommendation_html(const SearchResult& result, const RuleSet& rules, const HtmlMeta& meta,
                                const MultiTaskResult* multi_task) {
    Page page;
    page.multi_task = multi_task;
    page.engine_id = result.engine_id;
    page.scenario = &result.scenario;
    page.rules = &rules;
    page.meta = &meta;
    page.weights = result.options.tco_weights;
    page.rejected_by_reason = result.rejected_by_reason;
    page.evaluated = result.candidates_evaluated;
    page.accepted = result.candidates_accepted;
    for (std::size_t i = 0; i < result.ranked.size() && static_cast<std::int64_t>(i) < meta.top; ++i) {
        page.shown.push_back(&result.ranked[i]);
        page.shown_ranks.push_back(std::to_string(i + 1));
    }
    for (const auto& [reason, candidate] : result.nearest_miss) {
        page.nearest.emplace_back(reason, &candidate);
    }
    for (const auto& [reason, suggestion] : result.suggestions) {
        const auto nearest = result.nearest_miss.find(reason);
        const bool same = nearest != result.nearest_miss.end() && nearest->second.label() == suggestion.candidate.label();
        page.advice[reason] = same ? suggestion.flags() : suggestion.candidate.label() + ": " + suggestion.flags();
    }
    std::map<std::string, std::string> rank_by_label;
    for (std::size_t i = 0; i < result.ranked.size(); ++i) {
        rank_by_label[result.ranked[i].label()] = std::to_string(i + 1);
    }
    const std::string winner_label = result.ranked.empty() ? std::string() : result.ranked.front().label();
    if (!result.evaluated.empty()) {
        for (const Candidate& c : result.evaluated) {
            page.pool.push_back(&c);
            if (c.accepted()) {
                page.rank_of[&c] = rank_by_label[c.label()];
                if (c.label() == winner_label) {
                    page.winner = &c;  // the winner as plotted; the same figures as ranked.front()
                }
            }
        }
    } else {
        page.pool_complete = false;
        for (const Candidate& c : result.ranked) {
            page.pool.push_back(&c);
            page.rank_of[&c] = rank_by_label[c.label()];
        }
        for (const auto& [reason, candidate] : result.nearest_miss) {
            page.pool.push_back(&candidate);
        }
    }
    if (!result.ranked.empty()) {
        // The header and the table use the ranked winner; the scatter marks its plotted twin.
        const Candidate* plotted_winner = page.winner;
        page.winner = &result.ranked.front();
        page.rank_of[page.winner] = "1";
        if (plotted_winner != nullptr) {
            std::replace(page.pool.begin(), page.pool.end(), plotted_winner, page.winner);
        }
    }
    return render(page);
}

std::string comparison_html(const Scenario& scenario, const std::vector<Candidate>& candidates, const RuleSet& rules,
                            const HtmlMeta& meta, const std::string& engine_id) {
    Page page;
    page.comparison = true;
    page.engine_id = engine_id;
    page.scenario = &scenario;
    page.rules = &rules;
    page.meta = &meta;
    page.evaluated = static_cast<std::int64_t>(candidates.size());
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        const Candidate& c = candidates[i];
        page.shown.push_back(&c);
        page.shown_ranks.push_back(std::to_string(i + 1));
        page.pool.push_back(&c);
        if (c.accepted()) {
            ++page.accepted;
            page.rank_of[&c] = std::to_string(i + 1);
            if (page.winner == nullptr || c.score.total > page.winner->score.total) {
                page.winner = &c;
            }
        } else {
            ++page.rejected_by_reason[c.rejection->reason];
        }
    }
    for (const Candidate& c : candidates) {
        if (c.costed) {
            page.weights = c.cost.weights;
            break;
        }
    }
    return render(page);
}

}  // namespace dsselect::report
