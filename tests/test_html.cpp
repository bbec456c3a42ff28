// The HTML report: chart geometry (scales, ticks, the Pareto frontier), escaping, and the page
// itself through the CLI (well-formed, deterministic, the same figures as -o json).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include <fmt/format.h>

#include "cli/context.hpp"
#include "dsselect/report/format.hpp"
#include "dsselect/report/svg.hpp"
#include "support/helpers.hpp"

using nlohmann::json;
using test::run_cli;
namespace svg = dsselect::report::svg;

namespace {
// A small XML well-formedness check: balanced tags, quoted attributes, no raw '<' or stray
// '&' in text. Returns an empty string when well-formed, else what is wrong and where.
std::string xml_problem(const std::string& text) {
    std::vector<std::string> open;
    std::size_t i = 0;
    auto fail = [&](const std::string& what) { return what + " at offset " + std::to_string(i); };
    while (i < text.size()) {
        const char c = text[i];
        if (c == '&') {
            const std::size_t semi = text.find(';', i);
            if (semi == std::string::npos || semi - i > 8) {
                return fail("bare &");
            }
            const std::string entity = text.substr(i, semi - i + 1);
            static const std::set<std::string> known = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
            if (known.count(entity) == 0 && entity.rfind("&#", 0) != 0) {
                return fail("unknown entity " + entity);
            }
            i = semi + 1;
            continue;
        }
        if (c != '<') {
            ++i;
            continue;
        }
        if (text.compare(i, 9, "<!DOCTYPE") == 0) {
            i = text.find('>', i) + 1;
            continue;
        }
        const std::size_t end = text.find('>', i);
        if (end == std::string::npos) {
            return fail("unclosed tag");
        }
        std::string tag = text.substr(i + 1, end - i - 1);
        // Attribute values must be quoted and free of '<'.
        if (std::count(tag.begin(), tag.end(), '"') % 2 != 0) {
            return fail("odd quotes in <" + tag + ">");
        }
        if (tag.find('<') != std::string::npos) {
            return fail("'<' inside a tag");
        }
        if (!tag.empty() && tag[0] == '/') {
            const std::string name = tag.substr(1);
            if (open.empty() || open.back() != name) {
                return fail("</" + name + "> closes <" + (open.empty() ? std::string("nothing") : open.back()) + ">");
            }
            open.pop_back();
        } else if (!tag.empty() && tag.back() == '/') {
            // self-closed
        } else {
            const std::string name = tag.substr(0, tag.find_first_of(" \n\t"));
            static const std::set<std::string> void_html = {"meta", "br", "hr", "img", "input", "link"};
            if (void_html.count(name) != 0) {
                return fail("void element <" + name + "> not self-closed");
            }
            open.push_back(name);
        }
        i = end + 1;
    }
    return open.empty() ? std::string() : "unclosed <" + open.back() + ">";
}

std::string winner_label() {
    auto result = run_cli({"recommend", "--scenario", "customer-service", "-o", "json"});
    REQUIRE(result.status == 0);
    const json top = json::parse(result.out).at("recommendations").at(0);
    return fmt::format("{}:{}@{}x{}", top.at("model").get<std::string>(), top.at("variant").get<std::string>(),
                       top.at("hardware").get<std::string>(), top.at("gpus_per_replica").get<std::int64_t>());
}

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t count = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
        ++count;
    }
    return count;
}
}  // namespace

TEST_CASE("svg: nice steps are 1, 2 or 5 times a power of ten", "[html]") {
    CHECK(svg::nice_step(100, 5) == Approx(20));   // raw 20 -> 2 x 10
    CHECK(svg::nice_step(7, 5) == Approx(2));      // raw 1.4 -> 2
    CHECK(svg::nice_step(0.3, 5) == Approx(0.1));  // raw 0.06 -> 10 x 0.01
    CHECK(svg::nice_step(4.5, 5) == Approx(1));    // raw 0.9 -> 1
}

TEST_CASE("svg: a linear scale widens to nice ticks and maps onto the range", "[html]") {
    // 3..97: step 20 (raw 18.8), domain 0..100, ticks 0, 20, ..., 100.
    const svg::Scale s = svg::linear_scale(3, 97, 0, 500);
    CHECK_FALSE(s.log);
    CHECK(s.domain_min == 0);
    CHECK(s.domain_max == 100);
    CHECK(s.ticks == std::vector<double>{0, 20, 40, 60, 80, 100});
    CHECK(s(50) == Approx(250));
    CHECK(s(-10) == Approx(0));  // clamped
    // A y axis runs backwards: 25 of 0..100 onto 400..0 is 300.
    const svg::Scale y = svg::linear_scale(0, 100, 400, 0);
    CHECK(y(25) == Approx(300));
    // A single value is widened around itself: 10 -> 5..15, step 2 -> 4..16.
    const svg::Scale one = svg::linear_scale(10, 10, 0, 1);
    CHECK(one.domain_min == 4);
    CHECK(one.domain_max == 16);
    // include_zero starts the bars at 0: 40..90 -> 0..100 (step 20).
    const svg::Scale bars = svg::linear_scale(40, 90, 0, 1, true);
    CHECK(bars.domain_min == 0);
    CHECK(bars.domain_max == 100);
}

TEST_CASE("svg: a log scale spans whole decades", "[html]") {
    // 3..4000 -> 1..10000, four decades: ticks at the powers only. 100 is half-way: log10 2 of 4.
    const svg::Scale s = svg::log_scale(3, 4000, 0, 400);
    CHECK(s.log);
    CHECK(s.domain_min == Approx(1));
    CHECK(s.domain_max == Approx(10000));
    CHECK(s.ticks.size() == 5);
    CHECK(s(100) == Approx(200));
    CHECK(s(1000) == Approx(300));
    // 20..300 -> 10..1000, two decades: 1, 2, 5 per decade.
    const svg::Scale fine = svg::log_scale(20, 300, 0, 1);
    CHECK(fine.ticks == std::vector<double>{10, 20, 50, 100, 200, 500, 1000});
    // auto: log once the values span a factor of 20 or more.
    CHECK_FALSE(svg::auto_scale(10, 150, 0, 1).log);  // x15
    CHECK(svg::auto_scale(10, 250, 0, 1).log);        // x25
    CHECK_FALSE(svg::auto_scale(0, 250, 0, 1).log);   // zero cannot be on a log axis
}

TEST_CASE("svg: tick labels are short", "[html]") {
    CHECK(svg::short_number(0) == "0");
    CHECK(svg::short_number(0.5) == "0.5");
    CHECK(svg::short_number(20) == "20");
    CHECK(svg::short_number(1500) == "1.5k");
    CHECK(svg::short_number(120000) == "120k");
    CHECK(svg::short_number(2500000) == "2.5M");
    CHECK(svg::short_number(1e9) == "1B");
    CHECK(svg::short_number(-2000) == "-2k");
}

TEST_CASE("svg: every string is escaped, coordinates have two decimals", "[html]") {
    CHECK(svg::escape("<script>&\"'") == "&lt;script&gt;&amp;&quot;&#39;");
    CHECK(svg::escape(std::string("a\x01z")) == "a\xEF\xBF\xBDz");
    CHECK(svg::coord(-0.001) == "0.00");
    CHECK(svg::coord(12.345) == "12.35");
    CHECK(svg::circle(1, 2, 3, "pt ok", "a<b") ==
          "<circle cx=\"1.00\" cy=\"2.00\" r=\"3.00\" class=\"pt ok\"><title>a&lt;b</title></circle>\n");
    CHECK(svg::rect(0, 0, -5, 2, "") == "<rect x=\"0.00\" y=\"0.00\" width=\"0.00\" height=\"2.00\"/>\n");
    CHECK(svg::text(1, 2, "x & y", "small", "end") ==
          "<text x=\"1.00\" y=\"2.00\" text-anchor=\"end\" class=\"small\">x &amp; y</text>\n");
}

TEST_CASE("html: the command line is shell-quoted", "[html]") {
    CHECK(dsselect::cli::shell_command_line({"report", "--scenario", "customer-service"}) ==
          "dsselect report --scenario customer-service");
    CHECK(dsselect::cli::shell_command_line({"--scenario", "my file's.json", ""}) ==
          "dsselect --scenario 'my file'\\''s.json' ''");
}

TEST_CASE("html: report is a well-formed page with every chart and the winner", "[html]") {
    auto result = run_cli({"report", "--scenario", "customer-service"});
    REQUIRE(result.status == 0);
    CHECK(result.err.empty());
    const std::string& page = result.out;
    CHECK(page.rfind("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\"", 0) == 0);
    CHECK(xml_problem(page).empty());
    INFO(xml_problem(page));
    for (const char* id : {"id=\"scatter\"", "id=\"memory-bars\"", "id=\"tco-bars\"", "id=\"rejections\"", "id=\"frontier\"",
                           "id=\"winner\"", "id=\"candidates\"", "id=\"warnings\"", "id=\"inputs\"", "id=\"command-line\""}) {
        INFO(id);
        CHECK(count_of(page, id) == 1);
    }
    const std::string winner = winner_label();
    CHECK(page.find("<strong class=\"winner-label\">" + winner + "</strong>") != std::string::npos);
    CHECK(page.find("<code id=\"command-line\">dsselect report --scenario customer-service</code>") != std::string::npos);
    CHECK(page.find(std::string("<span id=\"version\">") + DSSELECT_VERSION + "</span>") != std::string::npos);
    CHECK(page.find("<script") == std::string::npos);  // no script needed
    // No URL but the two namespaces: nothing is fetched.
    CHECK(count_of(page, "http://") ==
          count_of(page, "http://www.w3.org/1999/xhtml") + count_of(page, "http://www.w3.org/2000/svg"));
    CHECK(page.find("https://") == std::string::npos);
    // The winner is drawn once per panel (the accepted zoom and the full view), larger; the
    // frontier is a polyline in each; some candidates cannot be costed.
    CHECK(count_of(page, "class=\"pt win\"><title>") == 2);  // points, not the legend
    CHECK(count_of(page, "<polyline") == 2);
    CHECK(count_of(page, "id=\"scatter-full\"") == 1);
    CHECK(count_of(page, "id=\"full-frontier\"") == 1);
    CHECK(page.find("not plottable: rejected before they could be sized and costed (") != std::string::npos);
}

TEST_CASE("html: the page shows the figures -o json prints", "[html]") {
    auto json_run = run_cli({"recommend", "--scenario", "finance-risk", "-o", "json", "--top", "3"});
    auto html_run = run_cli({"report", "--scenario", "finance-risk", "--top", "3"});
    REQUIRE(json_run.status == 0);
    REQUIRE(html_run.status == 0);
    const json document = json::parse(json_run.out);
    for (const auto& item : document.at("recommendations")) {
        const std::string label = fmt::format("{}:{}@{}x{}", item.at("model").get<std::string>(), item.at("variant").get<std::string>(),
                                              item.at("hardware").get<std::string>(), item.at("gpus_per_replica").get<std::int64_t>());
        INFO(label);
        const auto& cost = item.at("cost");
        // Table row: $/year and TCO index as dollars; latency with one decimal.
        CHECK(html_run.out.find("<td class=\"n\">" + dsselect::report::usd(cost.at("yearly_usd").get<double>()) + "</td>") !=
              std::string::npos);
        CHECK(html_run.out.find("<td class=\"n\">" + dsselect::report::usd(cost.at("weighted_index_usd").get<double>()) + "</td>") !=
              std::string::npos);
        CHECK(html_run.out.find("<td class=\"n\">" + dsselect::report::fixed(item.at("latency_ms").get<double>(), 1) + "</td>") !=
              std::string::npos);
        // TCO bar label: total and index beside each other.
        CHECK(html_run.out.find(fmt::format("{}: total {} over", label, dsselect::report::usd(cost.at("total_usd").get<double>()))) !=
              std::string::npos);
    }
    // The candidate count in the caption is the JSON's candidates_evaluated.
    CHECK(html_run.out.find(fmt::format("{} candidates evaluated, {} accepted", document.at("candidates_evaluated").get<std::int64_t>(),
                                        document.at("candidates_accepted").get<std::int64_t>())) != std::string::npos);
}

TEST_CASE("html: the same input gives a byte-identical page", "[html]") {
    auto first = run_cli({"report", "--scenario", "long-document", "--threads", "1"});
    auto second = run_cli({"report", "--scenario", "long-document", "--threads", "1"});
    REQUIRE(first.status == 0);
    CHECK(first.out == second.out);
    auto recommend_html = run_cli({"recommend", "--scenario", "long-document", "-o", "html"});
    REQUIRE(recommend_html.status == 0);
    CHECK(xml_problem(recommend_html.out).empty());
    CHECK(recommend_html.out.find("id=\"scatter\"") != std::string::npos);
}

TEST_CASE("html: hostile ids from user files are escaped", "[html]") {
    test::TempFile scenario("hostile-scenario.json", R"({"id": "<script>alert(1)</script> & \"co'", "name": "<b>bold</b>",
        "task_kind": "default", "workload": {"prompt_tokens": 256, "output_tokens": 64, "qps": 2, "context_tokens": 2048},
        "constraints": {"max_latency_ms": 5000}, "tco": {"years": 3}})");
    test::TempFile rules("hostile-rules.json", R"({"schema_version": "1.0", "rules": [{"id": "warn<&>", "description": "d<i>",
        "source": "seed <§9> & co", "effect": "warn", "when": true, "message": "{model} <img src=x> & more"}]})");
    auto result = run_cli({"report", "--scenario", scenario.path(), "--rules", rules.path()});
    INFO(result.err);
    REQUIRE(result.status == 0);
    const std::string& page = result.out;
    CHECK(xml_problem(page).empty());
    INFO(xml_problem(page));
    CHECK(page.find("<script") == std::string::npos);
    CHECK(page.find("<img") == std::string::npos);
    CHECK(page.find("<b>") == std::string::npos);
    CHECK(page.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;co&#39;") != std::string::npos);
    CHECK(page.find("<code>warn&lt;&amp;&gt;</code></td><td>seed &lt;§9&gt; &amp; co</td>") != std::string::npos);
}

TEST_CASE("html: -o html only where there is an HTML view", "[html]") {
    for (const std::vector<std::string>& args : {std::vector<std::string>{"catalog", "models", "-o", "html"},
                                                 std::vector<std::string>{"-o", "html", "estimate", "--model", "base", "--gpu", "a40"},
                                                 std::vector<std::string>{"tco", "--scenario", "finance-risk", "base", "-o", "html"},
                                                 std::vector<std::string>{"-o", "html", "schema"}}) {
        auto result = run_cli(args);
        INFO(args.front());
        CHECK(result.status == 2);
        CHECK(result.out.empty());
        CHECK(result.err.find("-o html is available for recommend, compare and report") != std::string::npos);
    }
    auto report_json = run_cli({"report", "--scenario", "customer-service", "-o", "json"});
    CHECK(report_json.status == 2);
    CHECK(test::first_line(report_json.err) == "dsselect: error: -o json: report writes HTML only");
    auto explicit_html = run_cli({"report", "--scenario", "customer-service", "-o", "html"});
    CHECK(explicit_html.status == 0);
    CHECK(explicit_html.out.find("<code id=\"command-line\">dsselect report --scenario customer-service -o html</code>") !=
          std::string::npos);
    auto compare = run_cli({"compare", "--scenario", "finance-risk", "base", "ultra", "-o", "html"});
    REQUIRE(compare.status == 0);
    CHECK(xml_problem(compare.out).empty());
    CHECK(compare.out.find("Best-scoring accepted candidate:") != std::string::npos);
    CHECK(compare.out.find("id=\"tco-bars\"") != std::string::npos);
}

TEST_CASE("html: an unsatisfiable scenario still gets its page, with exit 1", "[html]") {
    auto result = run_cli({"report", "--scenario", "customer-service", "--max-latency-ms", "1"});
    CHECK(result.status == 1);
    CHECK(result.err.rfind("dsselect: nothing satisfies scenario 'customer-service'", 0) == 0);
    CHECK(xml_problem(result.out).empty());
    CHECK(result.out.find("Nothing satisfies this scenario") != std::string::npos);
    CHECK(result.out.find("id=\"nearest-misses\"") != std::string::npos);
    // recommend keeps its contract: nothing on stdout.
    auto recommend = run_cli({"recommend", "--scenario", "customer-service", "--max-latency-ms", "1", "-o", "html"});
    CHECK(recommend.status == 1);
    CHECK(recommend.out.empty());
}

namespace {
// The text from `start` (e.g. "id=\"scatter\"") up to the first `end` after it; empty when absent.
std::string part_of(const std::string& page, const std::string& start, const std::string& end) {
    const std::size_t from = page.find(start);
    if (from == std::string::npos) {
        return {};
    }
    const std::size_t to = page.find(end, from);
    return page.substr(from, to == std::string::npos ? std::string::npos : to - from);
}

// A JSON run and a page run of the same inputs: both exit 0, the page is well formed, and the part
// of it from `start` to `end` is there; returns the JSON document and that part.
struct JsonAndPart {
    json document;
    std::string part;
};
JsonAndPart json_and_page_part(const std::vector<std::string>& json_args, const std::vector<std::string>& page_args,
                               const std::string& start, const std::string& end) {
    auto json_run = run_cli(json_args);
    auto page_run = run_cli(page_args);
    REQUIRE(json_run.status == 0);
    REQUIRE(page_run.status == 0);
    CHECK(xml_problem(page_run.out).empty());
    JsonAndPart out{json::parse(json_run.out), part_of(page_run.out, start, end)};
    REQUIRE_FALSE(out.part.empty());
    return out;
}

// The source cell of the inputs row named `input` ("<tr><td>input</td><td>value</td><td>source</td>").
std::string source_cell(const std::string& page, const std::string& input) {
    const std::string row = part_of(page, "<tr><td>" + input + "</td>", "</tr>");
    const std::size_t last = row.rfind("<td>");
    return last == std::string::npos ? std::string() : row.substr(last + 4, row.rfind("</td>") - last - 4);
}

// Whether `text` names decimal gigabytes ("GB" as a word; "GB/s" is a bandwidth and allowed).
bool has_decimal_gb(const std::string& text) {
    for (std::size_t at = text.find("GB"); at != std::string::npos; at = text.find("GB", at + 1)) {
        const bool word_start = at == 0 || !std::isalnum(static_cast<unsigned char>(text[at - 1]));
        const bool word_end = at + 2 >= text.size() || !std::isalnum(static_cast<unsigned char>(text[at + 2]));
        const bool rate = at + 2 < text.size() && text[at + 2] == '/';
        if (word_start && word_end && !rate) {
            return true;
        }
    }
    return false;
}

// Every source text of the catalog's data (a datasheet quoted as written, "48 GB GDDR6"), to be
// taken out of an output before its units are checked: citations are not dsselect's figures.
std::vector<std::string> catalog_citations() {
    std::vector<std::string> out;
    std::function<void(const json&, bool)> walk = [&](const json& value, bool is_source) {
        if (value.is_string() && is_source) {
            out.push_back(value.get<std::string>());
        } else if (value.is_object()) {
            for (const auto& [key, item] : value.items()) {
                walk(item, is_source || key == "source" || key == "sources" || key == "claim");
            }
        } else if (value.is_array()) {
            for (const auto& item : value) {
                walk(item, is_source);
            }
        }
    };
    for (const char* kind : {"models", "variants", "hardware", "engines"}) {
        auto printed = run_cli({"catalog", kind, "-o", "json"});
        walk(json::parse(printed.out), false);
    }
    std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    return out;
}

std::string without_citations(std::string text, const std::vector<std::string>& citations) {
    for (const std::string& citation : citations) {
        for (const std::string& form : {citation, svg::escape(citation)}) {
            for (std::size_t at = text.find(form); !form.empty() && at != std::string::npos; at = text.find(form, at)) {
                text.erase(at, form.size());
            }
        }
    }
    return text;
}
}  // namespace

TEST_CASE("html: each input shows its own section's source, and assumptions say so", "[html]") {
    const auto printed = run_cli({"catalog", "scenarios", "customer-service", "-o", "json"});
    REQUIRE(printed.status == 0);
    const json scenario = json::parse(printed.out).at("scenarios").at(0);
    // The sections' sources survive the loader and the serializer (and so the --data round trip).
    const std::string workload = scenario.at("workload").at("source").get<std::string>();
    const std::string constraints = scenario.at("constraints").at("source").get<std::string>();
    const std::string tco = scenario.at("tco").at("source").get<std::string>();
    CHECK(tco.rfind("assumption: ", 0) == 0);
    auto page = run_cli({"report", "--scenario", "customer-service"});
    REQUIRE(page.status == 0);
    const std::string inputs = part_of(page.out, "id=\"inputs\"", "</details>");
    REQUIRE_FALSE(inputs.empty());
    auto escaped = [](const std::string& text) { return svg::escape(text); };
    CHECK(source_cell(inputs, "workload: QPS") == escaped(workload));
    CHECK(source_cell(inputs, "workload: context tokens") == escaped(workload));
    CHECK(source_cell(inputs, "limit: max end-to-end latency") == escaped(constraints));
    CHECK(source_cell(inputs, "limit: min quality") == escaped(constraints));
    CHECK(source_cell(inputs, "cost: PUE") == escaped(tco));
    CHECK(source_cell(inputs, "cost: electricity (USD/kWh)") == escaped(tco));
    CHECK(source_cell(inputs, "cost: engineering hours per year") == escaped(tco));
    // The scenario's own source is credited to the scenario, and to no figure.
    const std::string entry = escaped(scenario.at("source").get<std::string>());
    CHECK(source_cell(inputs, "scenario") == entry);
    CHECK(count_of(part_of(inputs, "id=\"inputs-scenario\"", "</table>"), "<td>" + entry + "</td>") == 1);
    // A flag's figure is credited to the flag.
    auto flagged = run_cli({"report", "--scenario", "customer-service", "--min-qps", "300", "--max-latency-ms", "250"});
    REQUIRE(flagged.status == 0);
    CHECK(source_cell(flagged.out, "workload: QPS") == "command line: --min-qps");
    CHECK(source_cell(flagged.out, "limit: max end-to-end latency") == "command line: --max-latency-ms");
    CHECK(source_cell(flagged.out, "workload: prompt tokens") == escaped(workload));
    // A scenario file without sources: its figures are labelled assumptions, section by section.
    test::TempFile bare("bare-scenario.json", R"({"id": "bare", "task_kind": "chat",
        "workload": {"prompt_tokens": 256, "output_tokens": 32, "qps": 5},
        "constraints": {"max_latency_ms": 2000}, "tco": {"years": 2}})");
    auto unsourced = run_cli({"report", "--scenario", bare.path()});
    REQUIRE(unsourced.status == 0);
    CHECK(source_cell(unsourced.out, "workload: QPS").rfind("assumption: the scenario gives no source for its workload", 0) == 0);
    CHECK(source_cell(unsourced.out, "cost: PUE").rfind("assumption: the scenario gives no source for its tco", 0) == 0);
    CHECK(source_cell(unsourced.out, "limit: max end-to-end latency")
              .rfind("assumption: the scenario gives no source for its constraints", 0) == 0);
    // Tasks without a source of their own are assumptions too (they have no defaults).
    auto tasks = run_cli({"report", "--scenario", "multi-task-support"});
    REQUIRE(tasks.status == 0);
    CHECK(source_cell(tasks.out, "task: chat") == "assumption: the scenario gives no source for its tasks");
}

TEST_CASE("html: compare shows the quoted figures beside the computed ones", "[html]") {
    const auto [document, table] =
        json_and_page_part({"compare", "--scenario", "finance-risk", "base", "ultra", "-o", "json"},
                           {"compare", "--scenario", "finance-risk", "base", "ultra", "-o", "html"}, "<table id=\"quoted\">",
                           "</table>");
    std::size_t quoted = 0;
    for (const auto& candidate : document.at("candidates")) {
        for (const auto& figure : candidate.at("quoted")) {
            ++quoted;
            INFO(figure.dump());
            CHECK(table.find(fmt::format("<td>{}</td><td class=\"n\">{:.6g}</td>", figure.at("metric").get<std::string>(),
                                         figure.at("value").get<double>())) != std::string::npos);
        }
    }
    REQUIRE(quoted > 0);
    CHECK(count_of(table, "<tr>") == quoted + 1);  // the header and one row per quoted figure
    // The terminal prints the same table.
    auto terminal = run_cli({"compare", "--scenario", "finance-risk", "base", "ultra"});
    CHECK(terminal.out.find("Figures the source document quotes (not computed), beside dsselect's") != std::string::npos);
}

TEST_CASE("html: the page shows each candidate's measured accuracy as -o json carries it", "[html][accuracy]") {
    // recommend/report under the search's engine, and compare under its --engine: one row per
    // shown candidate with the JSON accuracy object's figures and note.
    const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> runs = {
        {{"recommend", "--scenario", "customer-service", "--engine", "sglang", "--top", "3", "-o", "json"},
         {"report", "--scenario", "customer-service", "--engine", "sglang", "--top", "3"}},
        {{"compare", "--scenario", "finance-risk", "--engine", "trtllm", "base", "nano", "-o", "json"},
         {"compare", "--scenario", "finance-risk", "--engine", "trtllm", "base", "nano", "-o", "html"}}};
    for (const auto& [json_args, html_args] : runs) {
        const auto [document, table] = json_and_page_part(json_args, html_args, "<table id=\"accuracy\">", "</table>");
        const json& items = document.contains("recommendations") ? document.at("recommendations") : document.at("candidates");
        REQUIRE_FALSE(items.empty());
        CHECK(count_of(table, "<tr>") == items.size() + 1);  // the header and one row per candidate
        std::size_t rank = 0;
        for (const auto& item : items) {
            const json& accuracy = item.at("accuracy");
            INFO(accuracy.dump());
            REQUIRE(accuracy.at("measured").get<bool>());
            // The candidate's own row, in the JSON's order: its rank and label, then its figures.
            const std::string label = fmt::format("{}:{}@{}x{}", item.at("model").get<std::string>(),
                                                  item.at("variant").get<std::string>(), item.at("hardware").get<std::string>(),
                                                  item.at("gpus_per_replica").get<std::int64_t>());
            const std::string start = fmt::format("<tr><td class=\"n\">{}</td><td><code>{}</code></td>", ++rank,
                                                  dsselect::report::svg::escape(label));
            const std::string row = part_of(table, start, "</tr>");
            REQUIRE_FALSE(row.empty());
            for (const char* figure : {"ttft", "tpot", "capacity"}) {
                const json& f = accuracy.at(figure);
                CHECK(row.find(fmt::format("<td class=\"n\">{:.1f} % (mean {:+.1f} %, {} rows)</td>",
                                           f.at("median_abs_error_pct").get<double>(),
                                           f.at("mean_signed_error_pct").get<double>(), f.at("rows").get<std::int64_t>())) !=
                      std::string::npos);
            }
            CHECK(row.find(dsselect::report::svg::escape(accuracy.at("note").get<std::string>())) != std::string::npos);
        }
    }
}

TEST_CASE("html: the scatter zooms on the accepted and keeps the full view", "[html]") {
    auto json_run = run_cli({"recommend", "--scenario", "customer-service", "-o", "json"});
    auto page = run_cli({"report", "--scenario", "customer-service"});
    REQUIRE(json_run.status == 0);
    REQUIRE(page.status == 0);
    const auto accepted = json::parse(json_run.out).at("candidates_accepted").get<std::size_t>();
    const std::string zoomed = part_of(page.out, "id=\"scatter\"", "</svg>");
    const std::string full = part_of(page.out, "id=\"scatter-full\"", "</svg>");
    REQUIRE_FALSE(zoomed.empty());
    REQUIRE_FALSE(full.empty());
    // The main panel holds the accepted candidates only: no rejected point.
    CHECK(count_of(zoomed, "<circle") == accepted);
    CHECK(count_of(zoomed, "class=\"pt rej") == 0);
    CHECK(count_of(zoomed, "class=\"pt win\"") == 1);
    // The rejected ones it leaves out are counted, and all are in the full view.
    const std::size_t rejected = count_of(full, "class=\"pt rej");
    CHECK(rejected > 0);
    CHECK(count_of(full, "<circle") == accepted + rejected);
    CHECK(page.out.find(fmt::format("{} accepted plotted; {} rejected candidates are left out of this panel", accepted, rejected)) !=
          std::string::npos);
    CHECK(page.out.find("<details id=\"scatter-full-details\"><summary>Full view: all " + std::to_string(accepted + rejected)) !=
          std::string::npos);
    // The zoom is real: the main panel's latency axis ends well before the full view's, which
    // reaches out to the slowest rejected candidate.
    auto last_x_tick = [](const std::string& panel) {
        const std::string marker = "text-anchor=\"middle\" class=\"small\">";
        double last = 0;
        for (std::size_t at = panel.find(marker); at != std::string::npos; at = panel.find(marker, at + 1)) {
            const std::string number = panel.substr(at + marker.size(), panel.find('<', at) - at - marker.size());
            last = std::max(last, std::stod(number) * (number.back() == 'k' ? 1e3 : 1.0));
        }
        return last;
    };
    CHECK(last_x_tick(zoomed) > 0);
    CHECK(last_x_tick(zoomed) * 2 < last_x_tick(full));
}

TEST_CASE("html: a scenario with tasks lists its multi-task plans and the floors they meet", "[html]") {
    const auto [document, section] =
        json_and_page_part({"recommend", "--scenario", "multi-task-support", "-o", "json"},
                           {"report", "--scenario", "multi-task-support"}, "<section id=\"multi-task\">", "</section>");
    const json plans = document.at("multi_task").at("plans");
    REQUIRE(plans.size() >= 2);
    for (const auto& plan : plans) {
        const std::string kind = plan.at("kind").get<std::string>();
        INFO(kind);
        CHECK(count_of(section, "id=\"plan-" + kind + "\"") == 1);
        if (!plan.at("accepted").get<bool>()) {
            continue;
        }
        CHECK(section.find("<td class=\"n\">" + dsselect::report::usd(plan.at("cost_per_year_usd").get<double>()) + "</td>") !=
              std::string::npos);
        for (const auto& deployment : plan.at("deployments")) {
            for (const auto& floor : deployment.at("task_floors")) {
                if (floor.at("min_quality").is_null() || floor.at("quality").is_null()) {
                    continue;
                }
                const bool met = floor.at("meets_floor").get<bool>();
                CHECK(section.find(fmt::format("{}: {} {} {} ({})", floor.at("task").get<std::string>(),
                                               dsselect::report::fixed(floor.at("quality").get<double>(), 3), met ? "&gt;=" : "&lt;",
                                               dsselect::report::fixed(floor.at("min_quality").get<double>(), 3),
                                               met ? "met" : "NOT met")) != std::string::npos);
            }
        }
    }
    // A scenario without tasks has no such section.
    auto single = run_cli({"report", "--scenario", "customer-service"});
    CHECK(single.out.find("id=\"multi-task\"") == std::string::npos);
}

TEST_CASE("units: memory reads in GiB in every output, never decimal GB", "[html][cli]") {
    const std::vector<std::vector<std::string>> runs = {
        {"report", "--scenario", "customer-service"},
        {"report", "--scenario", "multi-task-support"},
        {"recommend", "--scenario", "customer-service", "--explain"},
        {"recommend", "--scenario", "multi-task-support", "-o", "markdown", "--explain"},
        {"compare", "--scenario", "finance-risk", "base", "ultra", "-o", "html"},
        {"compare", "--scenario", "customer-service", "ultra:bf16@a10"},
        {"estimate", "--model", "base", "--gpu", "a40", "--explain"},
        {"catalog", "hardware"}};
    const std::vector<std::string> citations = catalog_citations();
    REQUIRE_FALSE(citations.empty());
    for (const auto& args : runs) {
        INFO(fmt::format("{}", fmt::join(args, " ")));
        auto result = run_cli(args);
        CHECK(result.status <= 1);
        CHECK_FALSE(has_decimal_gb(without_citations(result.out, citations)));
        CHECK_FALSE(has_decimal_gb(result.err));
    }
    // A memory miss is explained in GiB, the unit of the tables beside it.
    auto miss = run_cli({"compare", "--scenario", "customer-service", "ultra:bf16@a10x8", "-o", "json"});
    REQUIRE(miss.status == 0);
    const json rejected = json::parse(miss.out).at("candidates").at(0).at("rejected");
    CHECK(rejected.at("reason") == "memory");
    CHECK(rejected.at("unit") == "GiB");
    CHECK(rejected.at("detail").get<std::string>().find(" GiB, has ") != std::string::npos);
    CHECK(has_decimal_gb("needs memory per GPU <= 86.4 GB"));  // the check itself can fail
    CHECK_FALSE(has_decimal_gb("3.2 GB/s, 80 GiB"));
}
