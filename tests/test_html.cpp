// The HTML report: chart geometry (scales, ticks, the Pareto frontier), escaping, and the page
// itself through the CLI (well-formed, deterministic, the same figures as -o json).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
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
    // The winner is drawn once, larger; the frontier is a polyline; some candidates cannot be costed.
    CHECK(count_of(page, "class=\"pt win\"><title>") == 1);  // a point, not the legend
    CHECK(count_of(page, "<polyline") == 1);
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
