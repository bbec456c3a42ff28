// Tables for recommend, compare and tco.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dsselect/report/candidate_columns.hpp"
#include "dsselect/report/format.hpp"
#include "dsselect/report/views.hpp"
#include "table_columns.hpp"

namespace dsselect::report {

using detail::L;
using detail::R;

namespace {

// The verified advice for a reason (docs/ranking.md, "Advice"): its flags, after the candidate
// they admit when that is not the reason's nearest miss; "-" when no change of flags does.
std::string suggestion_cell(const SearchResult& result, const std::string& reason) {
    const auto found = result.suggestions.find(reason);
    if (found == result.suggestions.end()) {
        return "-";
    }
    const Suggestion& suggestion = found->second;
    const auto nearest = result.nearest_miss.find(reason);
    if (nearest != result.nearest_miss.end() && nearest->second.label() == suggestion.candidate.label()) {
        return suggestion.flags();
    }
    return suggestion.candidate.label() + ": " + suggestion.flags();
}
}  // namespace

std::string rejection_summary(const std::map<std::string, std::int64_t>& counts) {
    std::vector<std::pair<std::string, std::int64_t>> sorted(counts.begin(), counts.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    std::int64_t total = 0;
    std::vector<std::string> parts;
    for (const auto& [reason, count] : sorted) {
        total += count;
        parts.push_back(fmt::format("{} {}", count, reason));
    }
    return fmt::format("{} rejected: {}", total, parts.empty() ? std::string("none") : fmt::format("{}", fmt::join(parts, ", ")));
}

std::string constraint_warning(const Candidate& c) {
    if (c.meets_constraints()) {
        return {};
    }
    std::vector<std::string> parts;
    bool latency = false;
    const std::vector<Rejection> first_only{*c.rejection};
    for (const Rejection& r : c.misses.empty() ? first_only : c.misses) {
        parts.push_back(fmt::format("{} ({})", r.reason, r.detail()));
        latency = latency || r.reason == "ttft" || r.reason == "tpot" || r.reason == "latency";
    }
    std::string line = fmt::format("warning: {} misses {} constraint{} of the scenario: {}", c.label(), parts.size(),
                                   parts.size() == 1 ? "" : "s", fmt::join(parts, "; "));
    if (!c.costed) {
        line += "; not sized or costed";
    } else if (latency) {
        line += fmt::format("; sized and costed at batch {}, the batch with the lowest latency", c.batch);
    }
    return line;
}

std::vector<Table> recommendation_tables(const SearchResult& result, std::int64_t top, bool explain) {
    std::vector<Table> tables;
    const Scenario& s = result.scenario;
    Table ranked;
    ranked.title = fmt::format("Recommendation for '{}': {} QPS, {} prompt + {} output tokens, {}-token context", s.id,
                               s.workload.qps, s.workload.prompt_tokens, s.workload.output_tokens, s.workload.context_tokens);
    ranked.columns = candidate_table_columns(CandidateView::ranked);
    ranked.csv_header = candidate_csv_header(CandidateView::ranked);
    for (std::size_t i = 0; i < result.ranked.size() && static_cast<std::int64_t>(i) < top; ++i) {
        ranked.rows.push_back(candidate_row(result.ranked[i], std::to_string(i + 1), CandidateView::ranked));
        ranked.csv_rows.push_back(candidate_csv_row(result.ranked[i], std::to_string(i + 1), CandidateView::ranked));
    }
    ranked.notes.push_back(fmt::format("{} candidates evaluated, {} accepted; {}", result.candidates_evaluated,
                                       result.candidates_accepted, rejection_summary(result.rejected_by_reason)));
    std::vector<std::string> folded;
    for (std::size_t i = 0; i < result.ranked.size() && static_cast<std::int64_t>(i) < top; ++i) {
        const Candidate& c = result.ranked[i];
        if (!c.identical_variants.empty()) {
            std::vector<std::string> ids;
            for (const Variant* v : c.identical_variants) {
                ids.push_back(v->id);
            }
            folded.push_back(fmt::format("#{} {} also stands for {}", i + 1, c.variant->id, fmt::join(ids, ", ")));
        }
    }
    if (!folded.empty()) {
        ranked.notes.push_back(fmt::format("identical for serving, shown once (the first label): {}", fmt::join(folded, "; ")));
    }
    ranked.notes.push_back(fmt::format("$/year: inference + maintenance ({}); TCO index: seed §3.2 weighted sum over {} years",
                                       s.tco.ownership == Ownership::rented ? "rented" : "owned", s.tco.years));
    if (!result.ranked.empty()) {
        ranked.notes.push_back(
            "measured accuracy of #1's TTFT, TPOT and capacity estimates (data/accuracy.json; -o json: every ranked candidate): " +
            accuracy_line(candidate_accuracy(result.ranked.front(), result.engine_id)));
    }
    tables.push_back(ranked);
    if (explain && !result.ranked.empty()) {
        const Candidate& winner = result.ranked.front();
        Table why;
        why.title = fmt::format("Why {} won (score parts, higher is better)", winner.label());
        why.columns = {{"part", L}, {"score", R}, {"basis", L}};
        why.rows = {{"cost", fixed(winner.score.cost, 4), "cheapest $/year among accepted / this $/year, x0.5"},
                    {"quality", fixed(winner.score.quality, 4), "quality x0.2"},
                    {"latency margin", fixed(winner.score.latency, 4), "(1 - latency / limit) x0.1"},
                    {"policy rules", fixed(winner.score.rules, 4), "score rules of data/rules.json"},
                    {"total", fixed(winner.score.total, 4), ""}};
        tables.push_back(why);
        Table misses;
        misses.title = "Nearest miss per rejection reason";
        misses.columns = {{"reason", L}, {"count", R}, {"nearest candidate", L}, {"why", L}, {"to admit one (verified)", L}};
        for (const auto& [reason, candidate] : result.nearest_miss) {
            misses.rows.push_back({reason, std::to_string(result.rejected_by_reason.at(reason)), candidate.label(),
                                   candidate.rejection->detail(), suggestion_cell(result, reason)});
        }
        tables.push_back(misses);
    }
    return tables;
}

Table quoted_table(const Scenario& scenario, const std::vector<const Candidate*>& candidates) {
    Table quoted;
    quoted.title = "Figures the source document quotes (not computed), beside dsselect's";
    quoted.columns = {{"candidate", L}, {"metric", L}, {"quoted", R}, {"dsselect", R}, {"source", L}};
    for (const Candidate* candidate : candidates) {
        const Candidate& c = *candidate;
        for (const QuotedFigure& q : scenario.quoted) {
            if (q.model_id != c.model->id) {
                continue;
            }
            std::string computed = "-";
            if (q.metric == "latency_ms" && c.timed()) {
                computed = fixed(c.estimate.performance.latency_ms, 1);
            } else if ((q.metric == "f1" || q.metric == "quality")) {
                computed = fixed(c.quality, 3) + " (catalog x retention)";
            } else if (q.metric == "training_usd" && c.costed) {
                computed = usd(c.cost.training_computed_usd) +
                           (c.cost.training_quoted ? " computed (the quote is in the total)" : " computed (in the total)");
            }
            quoted.rows.push_back({c.label(), q.metric, fmt::format("{:.6g}", q.value), computed, q.source});
        }
    }
    return quoted;
}

std::vector<Table> comparison_tables(const Scenario& scenario, const std::vector<Candidate>& candidates,
                                     const std::string& engine_id) {
    Table table;
    table.title = fmt::format("Comparison for '{}'", scenario.id);
    table.columns = candidate_table_columns(CandidateView::compared);
    table.csv_header = candidate_csv_header(CandidateView::compared);
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        table.rows.push_back(candidate_row(candidates[i], std::to_string(i + 1), CandidateView::compared));
        table.csv_rows.push_back(candidate_csv_row(candidates[i], std::to_string(i + 1), CandidateView::compared));
        if (const std::string warning = constraint_warning(candidates[i]); !warning.empty()) {
            table.notes.push_back(warning);
        }
    }
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        table.notes.push_back(fmt::format("measured accuracy of #{}'s TTFT, TPOT and capacity estimates (data/accuracy.json): {}", i + 1,
                                          accuracy_line(candidate_accuracy(candidates[i], engine_id))));
    }
    std::vector<Table> tables{table};
    std::vector<const Candidate*> shown;
    for (const Candidate& c : candidates) {
        shown.push_back(&c);
    }
    Table quoted = quoted_table(scenario, shown);
    if (!quoted.rows.empty()) {
        tables.push_back(quoted);
    }
    if (candidates.size() >= 2) {
        Table diff;
        diff.title = fmt::format("Differences against {}", candidates.front().label());
        diff.columns = {{"candidate", L}, {"training", R}, {"total $", R}, {"TCO index", R}, {"latency", R}, {"quality", R}};
        const Candidate& a = candidates.front();
        auto pct = [](bool present, double first, double second) {
            return present && first != 0 ? fmt::format("{:+.1f}%", (second / first - 1.0) * 100.0) : std::string("-");
        };
        for (std::size_t i = 1; i < candidates.size(); ++i) {
            const Candidate& b = candidates[i];
            const bool costed = a.costed && b.costed;
            const bool timed = a.timed() && b.timed();
            diff.rows.push_back({b.label(), pct(costed, a.cost.training_usd, b.cost.training_usd),
                                 pct(costed, a.cost.total_usd, b.cost.total_usd),
                                 pct(costed, a.cost.weighted_index_usd, b.cost.weighted_index_usd),
                                 timed ? fmt::format("{:+.1f} ms", b.estimate.performance.latency_ms - a.estimate.performance.latency_ms) : "-",
                                 pct(true, a.quality, b.quality)});
        }
        tables.push_back(diff);
    }
    return tables;
}

std::vector<Table> tco_tables(const Scenario& scenario, const Candidate& c, const std::string& engine_id) {
    Table table;
    const Ownership ownership = c.costed ? c.cost.ownership : scenario.tco.ownership;
    table.id = "tco";
    table.title = fmt::format("TCO of {} for '{}' over {} years ({})", c.label(), scenario.id, scenario.tco.years,
                              ownership == Ownership::rented ? "rented" : "owned");
    table.columns = {{"term", L}, {"USD", R}, {"weight", R}, {"weighted USD", R}, {"basis", L}};
    if (!c.costed) {
        table.notes.push_back("not costed: " + (c.rejection ? c.rejection->detail() : std::string("rejected")));
        return {table};
    }
    if (const std::string warning = constraint_warning(c); !warning.empty()) {
        table.notes.push_back(warning);
    }
    // The rules' warnings (an accepted candidate's) and the claim a claimed variant rests on.
    bool claim_said = false;
    for (std::size_t i = 0; i < c.warnings.size(); ++i) {
        table.notes.push_back(fmt::format("warning ({}): {}", c.warnings[i], c.warning_messages[i]));
        claim_said = claim_said || c.warnings[i] == k_claimed_variant_rule;
    }
    if (c.variant != nullptr && c.variant->claimed && !claim_said) {
        table.notes.push_back("claimed variant: " + claimed_variant_message(*c.variant));
    }
    const TcoResult& t = c.cost;
    const std::string gpu_hours = fmt::format("{:.{}f} GPU-hours", t.training_gpu_hours, t.training_gpu_hours < 10 ? 2 : 0);
    table.rows = {
        {"training", usd(t.training_usd), fixed(t.weights.alpha, 2), usd(t.weights.alpha * t.training_usd),
         t.training_quoted ? fmt::format("given by the scenario (quoted); computed {} ({})", usd(t.training_computed_usd),
                                         gpu_hours)
         : t.training_quoted_usd ? fmt::format("{} (computed; the scenario quotes {})", gpu_hours, usd(*t.training_quoted_usd))
                                 : gpu_hours},
        {"inference", usd(t.inference_usd), fixed(t.weights.beta, 2), usd(t.weights.beta * t.inference_usd),
         fmt::format("{} replica{} x {} GPU{}{}", c.replicas, c.replicas == 1 ? "" : "s", c.gpus_per_replica,
                     c.gpus_per_replica == 1 ? "" : "s",
                     c.replicas_for_queue ? " (set by the queue at load, not the throughput: docs/method.md)" : "")},
        {"maintenance", usd(t.maintenance_usd), fixed(t.weights.gamma, 2), usd(t.weights.gamma * t.maintenance_usd),
         "hardware share + engineering"},
        {"total (what finance pays)", usd(t.total_usd), "", "", ""},
        {"weighted index (decision score)", "", "", usd(t.weighted_index_usd), "seed §3.2"},
    };
    if (t.training_quoted_usd) {
        table.notes.push_back(fmt::format("training in the total: the {} figure (--training-cost quoted|computed chooses)",
                                          t.training_quoted ? "quoted" : "computed"));
    }
    if (t.ownership == Ownership::owned && scenario.tco.ownership == Ownership::rented) {
        table.notes.push_back(fmt::format("{} has no rental price: costed as owned (purchase over {} years of "
                                          "depreciation, energy, maintenance)",
                                          c.hardware->id, scenario.tco.depreciation_years));
    }
    if (t.ownership == Ownership::owned && scenario.tco.years > scenario.tco.depreciation_years) {
        table.notes.push_back(fmt::format("depreciation stops after {} years, at the purchase price: the hardware stays "
                                          "in service, paid off (no re-purchase)",
                                          scenario.tco.depreciation_years));
    }
    if (t.usd_per_million_output_tokens) {
        table.notes.push_back(fmt::format("${:.4f} per million output tokens at {} QPS", *t.usd_per_million_output_tokens,
                                          scenario.workload.qps));
    }
    // The replicas and the dollars rest on the TTFT and TPOT estimates: how far such estimates have been.
    table.notes.push_back("measured accuracy of the TTFT, TPOT and capacity estimates behind the replicas (data/accuracy.json): " +
                          accuracy_line(candidate_accuracy(c, engine_id)));
    Table years;
    years.id = "per_year";
    years.title = "Per year";
    years.columns = {{"year", R}, {"training ($)", R}, {"inference ($)", R}, {"maintenance ($)", R}};
    for (const TcoYear& y : t.per_year) {
        years.rows.push_back({std::to_string(y.year), usd(y.training_usd), usd(y.inference_usd), usd(y.maintenance_usd)});
    }
    return {table, years};
}

}  // namespace dsselect::report
