// Interfaces that round-trip (issue 21): catalog output read back by --data and validate,
// overlays merged field by field, single-entry documents, ids that candidate strings can name.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "dsselect/report/format.hpp"
#include "support/helpers.hpp"

using nlohmann::json;
using test::run_cli;

namespace {
// Each line of a batch's JSON Lines output, parsed.
std::vector<json> jsonl_records(const std::string& out) {
    std::istringstream lines(out);
    std::vector<json> records;
    for (std::string line; std::getline(lines, line);) {
        records.push_back(json::parse(line));
    }
    return records;
}
}  // namespace

TEST_CASE("interfaces: what catalog -o json prints reads back with --data and validate, unchanged", "[cli][data]") {
    for (const std::string what : {"models", "variants", "hardware", "scenarios", "engines"}) {
        INFO(what);
        const auto printed = run_cli({"catalog", what, "-o", "json"});
        REQUIRE(printed.status == 0);
        test::TempFile file(what + ".json", printed.out);
        const auto again = run_cli({"--data", file.path(), "catalog", what, "-o", "json"});
        CHECK(again.err.empty());
        REQUIRE(again.status == 0);
        CHECK(again.out == printed.out);  // every field survives the round trip
        const auto checked = run_cli({"validate", file.path()});
        CHECK(checked.err.empty());
        CHECK(checked.status == 0);
        CHECK(checked.out == file.path() + ": ok\n");
    }
}

TEST_CASE("interfaces: a scenario printed by catalog drives recommend through --data", "[cli][data]") {
    const auto printed = run_cli({"catalog", "scenarios", "customer-service", "-o", "json"});
    REQUIRE(printed.status == 0);
    test::TempFile file("cs.json", printed.out);
    const auto plain = run_cli({"recommend", "--scenario", "customer-service", "-o", "json"});
    const auto overlaid = run_cli({"--data", file.path(), "recommend", "--scenario", "customer-service", "-o", "json"});
    CHECK(overlaid.err == plain.err);
    CHECK(overlaid.status == plain.status);
    CHECK(overlaid.out == plain.out);
}

TEST_CASE("interfaces: an overlay entry with an existing id merges field by field", "[cli][data]") {
    const json before = json::parse(run_cli({"catalog", "hardware", "mi300x", "-o", "json"}).out).at("hardware").at(0);
    SECTION("a price-only override keeps every other field") {
        test::TempFile file("prices.json",
                            R"({"schema_version":"1.0","hardware":[{"id":"mi300x","price_usd_per_hour":3.5}]})");
        const auto result = run_cli({"--data", file.path(), "catalog", "hardware", "mi300x", "-o", "json"});
        REQUIRE(result.status == 0);
        json after = json::parse(result.out).at("hardware").at(0);
        CHECK(after.at("price_usd_per_hour").get<double>() == 3.5);
        after["price_usd_per_hour"] = before.at("price_usd_per_hour");
        CHECK(after == before);
        CHECK(run_cli({"validate", file.path()}).status == 0);
    }
    SECTION("objects merge key by key") {
        test::TempFile file("fp8.json",
                            R"({"schema_version":"1.0","hardware":[{"id":"mi300x","peak_tflops":{"fp8":2000}}]})");
        const auto result = run_cli({"--data", file.path(), "catalog", "hardware", "mi300x", "-o", "json"});
        REQUIRE(result.status == 0);
        const json after = json::parse(result.out).at("hardware").at(0);
        CHECK(after.at("peak_tflops").at("fp8").get<double>() == 2000);
        CHECK(after.at("peak_tflops").at("fp16") == before.at("peak_tflops").at("fp16"));
    }
    SECTION("arrays replace") {
        test::TempFile file("allowed.json", R"({"schema_version":"1.0","scenarios":[{"id":"customer-service",
            "constraints":{"allowed_hardware":["mi300x"]}}]})");
        const auto result = run_cli({"--data", file.path(), "catalog", "scenarios", "customer-service", "-o", "json"});
        REQUIRE(result.status == 0);
        const json after = json::parse(result.out).at("scenarios").at(0);
        CHECK(after.at("constraints").at("allowed_hardware") == json::array({"mi300x"}));
        const json original =
            json::parse(run_cli({"catalog", "scenarios", "customer-service", "-o", "json"}).out).at("scenarios").at(0);
        CHECK(after.at("workload") == original.at("workload"));
    }
    SECTION("a new id must be complete") {
        test::TempFile file("new.json", R"({"schema_version":"1.0","hardware":[{"id":"my-gpu","price_usd_per_hour":1}]})");
        const auto result = run_cli({"--data", file.path(), "catalog", "hardware"});
        CHECK(result.status == 65);
        CHECK(result.err.find("/hardware/0: missing required field 'name'") != std::string::npos);
    }
}

TEST_CASE("interfaces: validate recognises one bare entry or says in one line what it expected", "[cli][data]") {
    SECTION("a bare scenario") {
        const json scenario =
            json::parse(run_cli({"catalog", "scenarios", "customer-service", "-o", "json"}).out).at("scenarios").at(0);
        test::TempFile file("bare-scenario.json", scenario.dump(2));
        const auto result = run_cli({"validate", file.path()});
        CHECK(result.err.empty());
        CHECK(result.status == 0);
    }
    SECTION("a bare hardware entry with a problem names it with its pointer") {
        test::TempFile file("bare-gpu.json", R"({"id":"g","name":"G","memory_gb":-1,"memory_bandwidth_gb_per_s":1,
            "peak_tflops":{"fp16":1}})");
        const auto result = run_cli({"validate", file.path()});
        CHECK(result.status == 65);
        CHECK(test::first_line(result.err) ==
              "dsselect: error: " + file.path() + ": /hardware/0/memory_gb: expected a positive number, got -1");
    }
    SECTION("a bare rule is checked as a rule") {
        test::TempFile good("rule.json", R"({"id":"r","effect":"warn","when":{"var":"scenario.numerically_sensitive"},
            "message":"sensitive"})");
        CHECK(run_cli({"validate", good.path()}).status == 0);
        test::TempFile bad("bad-rule.json", R"({"id":"r","effect":"warn","when":{"frobnicate":[1]},"message":"m"})");
        CHECK(run_cli({"validate", bad.path()}).status == 65);
    }
    SECTION("anything else is refused in one line") {
        test::TempFile file("other.json", R"({"name":"x","qps":3})");
        const auto result = run_cli({"validate", file.path()});
        CHECK(result.status == 65);
        CHECK(result.err == "dsselect: error: " + file.path() +
                                ": /: expected a data document {\"schema_version\": \"1.11\", \"models\": […], …} or one "
                                "model, variant, hardware or scenario entry (an object with \"id\"), got an object "
                                "with keys name, qps\ndsselect: 1 problem found\n");
    }
}

TEST_CASE("interfaces: ids holding ':' or '@' are refused at load with a pointer", "[cli][data]") {
    for (const std::string id : {"my:gpu", "gpu@2"}) {
        INFO(id);
        test::TempFile file("colon.json", R"({"schema_version":"1.0","hardware":[{"id":")" + id +
                                              R"(","name":"G","memory_gb":16,"memory_bandwidth_gb_per_s":100,"peak_tflops":{"fp16":10}}]})");
        const auto result = run_cli({"--data", file.path(), "catalog", "hardware"});
        CHECK(result.status == 65);
        CHECK(test::first_line(result.err).find(": /hardware/0/id: id '" + id + "' contains '") != std::string::npos);
        CHECK(result.err.find("MODEL[:VARIANT][@HW[xN]]") != std::string::npos);
    }
}

TEST_CASE("interfaces: a hardware id ending in x and digits is refused, as a candidate reads a GPU count there", "[cli][data]") {
    const auto hardware = [](const std::string& id) {
        return R"({"schema_version":"1.0","hardware":[{"id":")" + id +
               R"(","name":"G","memory_gb":16,"memory_bandwidth_gb_per_s":100,"peak_tflops":{"fp16":10}}]})";
    };
    test::TempFile file("x2.json", hardware("a40x2"));
    const auto result = run_cli({"--data", file.path(), "catalog", "hardware"});
    CHECK(result.status == 65);
    CHECK(test::first_line(result.err) ==
          "dsselect: error: " + file.path() + ": /hardware/0/id: hardware id 'a40x2' ends in 'x2', which a candidate "
          "string MODEL[:VARIANT][@HW[xN]] reads as a GPU count (a40 x 2); use '-' instead, e.g. 'a40-2'");
    // An x without digits after it, digits without an x, or an x first (a candidate reads no count
    // there) names the entry as it is.
    for (const std::string id : {"mi300x", "rtx-4090", "x", "x2"}) {
        INFO(id);
        test::TempFile ok("ok.json", hardware(id));
        CHECK(run_cli({"--data", ok.path(), "catalog", "hardware"}).status == 0);
    }
}

TEST_CASE("interfaces: recommend -o json with nothing satisfying prints the document and exits 1", "[cli][json]") {
    for (const std::string format : {"json", "jsonl"}) {
        INFO(format);
        const auto result = run_cli({"recommend", "--scenario", "customer-service", "--max-latency-ms", "1", "-o", format});
        CHECK(result.status == 1);
        CHECK(result.err.find("dsselect: nothing satisfies scenario 'customer-service'") == 0);
        REQUIRE_FALSE(result.out.empty());
        const json document = json::parse(result.out);
        CHECK(document.at("kind").get<std::string>() == "Recommendation");
        CHECK(document.at("recommendations").empty());
        CHECK(document.at("candidates_accepted").get<int>() == 0);
        CHECK(document.at("candidates_evaluated").get<int>() > 0);
        CHECK_FALSE(document.at("nearest_miss_by_reason").empty());
        const json& nearest = document.at("nearest_miss");
        // The verified advice with the fewest changes; flag and suggested_value are its first change.
        const json& changes = nearest.at("changes");
        REQUIRE_FALSE(changes.empty());
        CHECK(nearest.at("flag") == changes.at(0).at("flag"));
        CHECK(nearest.at("suggested_value") == changes.at(0).at("value"));
        CHECK(nearest.at("reason") == changes.at(0).at("check"));
        // Every change it needs: a latency of 1 ms is missed by every candidate.
        bool latency_changed = false;
        std::string flags;
        for (const json& change : changes) {
            latency_changed = latency_changed || change.at("flag") == "--max-latency-ms";
            flags += (flags.empty() ? "" : " ") + change.at("flag").get<std::string>() + " " +
                     fmt::format("{:.10g}", change.at("value").get<double>());
        }
        CHECK(latency_changed);
        // The same suggestion as the stderr line.
        CHECK(result.err.find("nearest: " + nearest.at("candidate").get<std::string>() + " misses " +
                              nearest.at("reason").get<std::string>()) != std::string::npos);
        CHECK(result.err.find("; to admit it: " + flags) != std::string::npos);
        CHECK_FALSE(document.at("suggestions").empty());
        const json& latency = document.at("nearest_miss_by_reason").at("latency").at("rejected");
        CHECK(latency.at("flag").get<std::string>() == "--max-latency-ms");
        CHECK(latency.at("had").get<double>() > 1);
    }
    // Formats for people keep the old behaviour: nothing on stdout.
    const auto table = run_cli({"recommend", "--scenario", "customer-service", "--max-latency-ms", "1"});
    CHECK(table.status == 1);
    CHECK(table.out.empty());
}

TEST_CASE("interfaces: batch records carry nearest misses, and an invalid line its id", "[cli][batch][json]") {
    test::TempFile file("mixed.jsonl",
                        R"({"id": "impossible", "workload": {"prompt_tokens": 100, "output_tokens": 10, "qps": 1}, "constraints": {"max_latency_ms": 0.001}})"
                        "\n"
                        R"({"id": "broken", "workload": {"qps": "x"}})"
                        "\n");
    const auto result = run_cli({"batch", file.path()});
    REQUIRE(result.status == 0);
    const std::vector<json> records = jsonl_records(result.out);
    REQUIRE(records.size() == 3);
    CHECK(records[0].at("status").get<std::string>() == "unsatisfiable");
    const json& miss = records[0].at("result").at("nearest_miss");
    CHECK_FALSE(miss.at("candidate").get<std::string>().empty());
    CHECK(miss.contains("suggested_value"));
    CHECK(miss.at("changes").is_array());  // every flag change the advice needs (docs/ranking.md "Advice")
    CHECK(records[0].at("result").at("suggestions").is_array());
    const json& latency = records[0].at("result").at("nearest_miss_by_reason").at("latency").at("rejected");
    CHECK(latency.at("flag").get<std::string>() == "--max-latency-ms");
    CHECK(latency.at("had").get<double>() > 0.001);
    CHECK(records[1].at("status").get<std::string>() == "invalid");
    CHECK(records[1].at("id").get<std::string>() == "broken");
}

TEST_CASE("interfaces: a batch line's candidate list is never empty, and a bad candidate is named by its pointer", "[cli][batch][json]") {
    test::TempFile file("candidates.jsonl",
                        R"({"id": "none", "workload": {"prompt_tokens": 256, "output_tokens": 32, "qps": 1}, "candidates": []})"
                        "\n"
                        R"({"id": "unknown", "workload": {"prompt_tokens": 256, "output_tokens": 32, "qps": 1}, "candidates": ["base@a40", "zzz"]})"
                        "\n");
    const auto result = run_cli({"batch", file.path()});
    REQUIRE(result.status == 0);
    const std::vector<json> records = jsonl_records(result.out);
    REQUIRE(records.size() == 3);
    CHECK(records[0].at("status").get<std::string>() == "invalid");
    CHECK(records[0].at("error").at("message").get<std::string>() ==
          file.path() + ":1: /candidates: expected at least one candidate (leave \"candidates\" out to search)");
    CHECK(records[1].at("status").get<std::string>() == "invalid");
    CHECK(records[1].at("error").at("message").get<std::string>() == file.path() + ":2: /candidates/1: unknown model 'zzz'");
}

namespace {
// The RFC 4180 records of a CSV text (CRLF line ends, quoted fields with doubled quotes); throws on
// a quote inside an unquoted field, text after a closing quote, or a record without its CRLF.
std::vector<std::vector<std::string>> csv_records(const std::string& text) {
    std::vector<std::vector<std::string>> records;
    std::vector<std::string> record;
    std::string field;
    bool quoted = false;
    bool closed = false;  // a quoted field has ended: only a comma or CRLF may follow
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
                closed = true;
            } else {
                field += c;
            }
        } else if (c == ',') {
            record.push_back(field);
            field.clear();
            closed = false;
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            record.push_back(field);
            field.clear();
            records.push_back(record);
            record.clear();
            closed = false;
            ++i;
        } else if (closed) {
            throw std::runtime_error("text after a closing quote at byte " + std::to_string(i));
        } else if (c == '"') {
            if (!field.empty()) {
                throw std::runtime_error("a quote inside an unquoted field at byte " + std::to_string(i));
            }
            quoted = true;
        } else {
            field += c;
        }
    }
    if (quoted || !field.empty() || !record.empty()) {
        throw std::runtime_error("a record without its CRLF at the end");
    }
    return records;
}
}  // namespace

TEST_CASE("interfaces: a document of several tables is one long CSV table of table, row, column and value", "[cli][csv]") {
    struct Call {
        std::vector<std::string> args;
        std::set<std::string> tables;
    };
    const std::vector<Call> calls = {
        {{"estimate", "--model", "base", "--gpu", "a40", "--explain"}, {"estimate", "memory", "performance", "accuracy", "explain"}},
        {{"estimate", "--model", "deepseek-v3", "--gpu", "a40"}, {"estimate", "memory", "accuracy"}},  // does not fit: no timing
        {{"tco", "--scenario", "finance-risk", "base:int8@h100-sxmx1"}, {"tco", "per_year"}},
        {{"plan", "finetune", "--model", "base", "--gpu", "a100-80gb", "--method", "lora", "--tokens", "2e8"},
         {"plan", "training_memory", "unfreezing_stages", "learning_rate_tiers"}}};
    for (Call call : calls) {
        INFO(call.args.front() << " " << call.args[2]);
        call.args.insert(call.args.end(), {"-o", "csv"});
        const auto run = run_cli(call.args);
        REQUIRE(run.status == 0);
        const auto records = csv_records(run.out);
        REQUIRE(records.size() > 5);
        CHECK(records.front() == std::vector<std::string>{"table", "row", "column", "value"});
        std::set<std::string> tables;
        std::set<std::vector<std::string>> keys;
        for (std::size_t i = 1; i < records.size(); ++i) {
            INFO(i);
            REQUIRE(records[i].size() == 4);
            tables.insert(records[i][0]);
            // Every cell is found by its table, row and column: none is named twice.
            CHECK(keys.insert({records[i][0], records[i][1], records[i][2]}).second);
        }
        CHECK(tables == call.tables);
    }
    // A cell found by table, row and column holds the JSON's figure.
    const auto csv = run_cli({"estimate", "--model", "base", "--gpu", "a40", "-o", "csv"});
    const auto json_run = run_cli({"estimate", "--model", "base", "--gpu", "a40", "-o", "json"});
    REQUIRE(csv.status == 0);
    REQUIRE(json_run.status == 0);
    std::string ttft;
    for (const auto& record : csv_records(csv.out)) {
        REQUIRE(record.size() == 4);
        if (record[0] == "performance" && record[1] == "time to first token (TTFT)" && record[2] == "value") {
            ttft = record[3];
        }
    }
    REQUIRE_FALSE(ttft.empty());
    const double ttft_ms = json::parse(json_run.out).at("performance").at("ttft_ms").get<double>();
    CHECK(std::stod(ttft) == Approx(ttft_ms).margin(0.005));  // printed with two decimals
    // The rows' names do not carry the inputs: the same keys at another batch and prompt, which move
    // the max-throughput batch B (its row keeps its name; B is in the unit column).
    const auto other = run_cli({"estimate", "--model", "base", "--gpu", "a40", "--batch", "4", "--prompt-tokens", "4096",
                                "-o", "csv"});
    REQUIRE(other.status == 0);
    std::set<std::string> rows_at_1;
    std::set<std::string> rows_at_4;
    for (const auto& record : csv_records(csv.out)) {
        rows_at_1.insert(record[0] + "/" + record[1]);
    }
    for (const auto& record : csv_records(other.out)) {
        rows_at_4.insert(record[0] + "/" + record[1]);
    }
    CHECK(rows_at_1 == rows_at_4);
    std::set<std::string> batch_units;
    for (const std::string& text : {csv.out, other.out}) {
        for (const auto& record : csv_records(text)) {
            if (record[0] == "performance" && record[1] == "max-throughput output tokens/s" && record[2] == "unit") {
                batch_units.insert(record[3]);
            }
        }
    }
    CHECK(batch_units.size() == 2);  // B differs, so the check above compared different B
    // Recommend and compare keep their candidate table alone, with its header, whatever else they show.
    for (const std::vector<std::string>& call :
         {std::vector<std::string>{"recommend", "--scenario", "customer-service", "--explain", "-o", "csv"},
          std::vector<std::string>{"recommend", "--scenario", "multi-task-support", "-o", "csv"},
          std::vector<std::string>{"compare", "--scenario", "finance-risk", "base:int8@h100-sxmx1", "ultra:int8@h100-sxmx8", "-o",
                                   "csv"}}) {
        INFO(call[2]);
        const auto run = run_cli(call);
        REQUIRE(run.status == 0);
        const auto records = csv_records(run.out);
        REQUIRE(records.size() >= 2);
        CHECK(records.front().front() != "table");
        for (const auto& record : records) {
            CHECK(record.size() == records.front().size());
        }
    }
}

TEST_CASE("interfaces: CSV carries plain numbers under machine headers, one value per field", "[cli][csv]") {
    const auto csv = run_cli({"recommend", "--scenario", "customer-service", "-o", "csv"});
    REQUIRE(csv.status == 0);
    std::istringstream lines(csv.out);
    std::string header;
    std::string row;
    std::getline(lines, header);
    std::getline(lines, row);
    CHECK(header == "rank,model,variant,hardware,gpus_per_replica,replicas,gpus_total,batch_per_replica,ttft_ms,"
                    "ttft_at_load_ms,queue_wait_ms,tpot_ms,latency_ms,qps_per_replica,memory_per_gpu_gib,quality,yearly_usd,weighted_index_usd,"
                    "warnings\r");
    CHECK(row.find('$') == std::string::npos);
    // The same figures as the JSON document, as plain numbers.
    const json document = json::parse(run_cli({"recommend", "--scenario", "customer-service", "-o", "json"}).out);
    const json& first = document.at("recommendations").at(0);
    std::vector<std::string> fields;
    std::istringstream cells(row.substr(0, row.size() - 1));
    for (std::string cell; std::getline(cells, cell, ',');) {
        fields.push_back(cell);
    }
    REQUIRE(fields.size() >= 17);
    CHECK(fields[3] == first.at("hardware").get<std::string>());
    CHECK(std::stoll(fields[4]) == first.at("gpus_per_replica").get<std::int64_t>());
    CHECK(std::stoll(fields[5]) == first.at("replicas").get<std::int64_t>());
    CHECK(std::stoll(fields[6]) == first.at("gpus_total").get<std::int64_t>());
    CHECK(first.at("gpus_total").get<std::int64_t>() ==
          first.at("replicas").get<std::int64_t>() * first.at("gpus_per_replica").get<std::int64_t>());
    CHECK(std::stoll(fields[7]) == first.at("batch_per_replica").get<std::int64_t>());
    CHECK(std::fabs(std::stod(fields[9]) - first.at("ttft_at_load_ms").get<double>()) < 0.001);
    CHECK(std::fabs(std::stod(fields[10]) - first.at("queue_wait_ms").get<double>()) < 0.001);
    CHECK(std::fabs(std::stod(fields[16]) - first.at("cost").at("yearly_usd").get<double>()) < 0.01);
}

TEST_CASE("interfaces: a piped table keeps its title as a # comment line", "[cli]") {
    // base@a10 misses customer-service's latency limit: tco exits 1 and writes the table all the same.
    const auto piped = run_cli({"tco", "--scenario", "customer-service", "base@a10"});
    REQUIRE((piped.status == 0 || piped.status == 1));
    CHECK(piped.out.rfind("# TCO of base", 0) == 0);
    const auto recommended = run_cli({"recommend", "--scenario", "customer-service"});
    CHECK(recommended.out.rfind("# Recommendation for 'customer-service'", 0) == 0);
    CHECK(recommended.out.find("\tGPUs\tbatch/replica\t") != std::string::npos);
}

TEST_CASE("interfaces: an unknown long option gets the nearest flag and exit 2", "[cli][messages]") {
    const auto prefix = run_cli({"recommend", "--scenario", "customer-service", "--max-latency", "100"});
    CHECK(prefix.status == 2);
    CHECK(test::first_line(prefix.err) ==
          "dsselect: error: unknown option '--max-latency' for 'recommend'; did you mean '--max-latency-ms'?");
    const auto typo = run_cli({"recommend", "--senario", "customer-service"});
    CHECK(typo.status == 2);
    CHECK(test::first_line(typo.err) == "dsselect: error: unknown option '--senario' for 'recommend'; did you mean '--scenario'?");
    CHECK(prefix.out.empty());
}

TEST_CASE("interfaces: an unknown id prefers prefix and case-insensitive matches", "[cli][messages]") {
    for (const std::string typed : {"h100", "H100"}) {
        INFO(typed);
        const auto result = run_cli({"recommend", "--scenario", "customer-service", "--gpu", typed});
        CHECK(result.status == 2);
        CHECK(result.err.find("did you mean 'h100-sxm' or 'h100-pcie'?") != std::string::npos);
    }
}

TEST_CASE("interfaces: --max-candidates counts what a search reports as evaluated", "[cli][messages]") {
    const json document = json::parse(run_cli({"recommend", "--scenario", "customer-service", "-o", "json"}).out);
    const auto evaluated = document.at("candidates_evaluated").get<std::int64_t>();
    const auto refused = run_cli({"recommend", "--scenario", "customer-service", "--max-candidates", "1"});
    CHECK(refused.status == 2);
    CHECK(refused.err.find(fmt::format("the search space has {} candidates", evaluated)) != std::string::npos);
}

TEST_CASE("interfaces: catalog scenarios shows every limit", "[cli][messages]") {
    const auto table = run_cli({"catalog", "scenarios"});
    REQUIRE(table.status == 0);
    std::istringstream lines(table.out);
    bool long_document = false;
    bool research = false;
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("long-document\t", 0) == 0) {
            long_document = line.find("\t60000\t") != std::string::npos;
        }
        if (line.rfind("research-reasoning\t", 0) == 0) {
            research = line.find("\t100\t") != std::string::npos;
        }
    }
    CHECK(long_document);
    CHECK(research);
}

TEST_CASE("interfaces: plurals and the memory note agree with their numbers", "[cli][messages]") {
    const auto estimate = run_cli({"estimate", "--model", "deepseek-r1-distill-llama-70b", "--variant", "fp8", "--gpu", "h100-sxm"});
    REQUIRE(estimate.status == 0);
    CHECK(estimate.out.find("up to 0 concurrent") == std::string::npos);
    CHECK(estimate.out.find("1 concurrent sequences") == std::string::npos);
    const auto tco = run_cli({"tco", "--scenario", "customer-service", "base@a10"});
    REQUIRE_FALSE(tco.out.empty());  // exit 1 when it misses a constraint, the table all the same
    CHECK(tco.out.find("1 replicas") == std::string::npos);
    CHECK(tco.out.find("x 1 GPUs") == std::string::npos);
}

TEST_CASE("interfaces: small dollar sums keep their cents, large ones stay whole", "[cli][messages]") {
    CHECK(dsselect::report::usd(0.72 * 1.8) == "$1.30");
    CHECK(dsselect::report::usd(6.2489) == "$6.25");
    CHECK(dsselect::report::usd(0.0) == "$0");
    CHECK(dsselect::report::usd(75653.12) == "$75,653");
    CHECK(dsselect::report::usd(-12.5) == "-$12.50");
    // Past a quadrillion, and for an infinite sum, never "$0" (whole digits would overflow).
    CHECK(dsselect::report::usd(999'999'999'999'999.0) == "$999,999,999,999,999");
    CHECK(dsselect::report::usd(9.0e19) == "$9e+19");
    CHECK(dsselect::report::usd(-3.6e302) == "-$3.6e+302");
    CHECK(dsselect::report::usd(std::numeric_limits<double>::infinity()) == "$inf");
    CHECK(dsselect::report::usd(std::numeric_limits<double>::quiet_NaN()) == "$nan");
}

TEST_CASE("interfaces: catalog engines lists the ids --engine takes", "[cli][messages]") {
    const auto table = run_cli({"catalog", "engines"});
    REQUIRE(table.status == 0);
    CHECK(table.out.rfind("# Serving engines", 0) == 0);
    CHECK(table.out.find("\nvllm\t") != std::string::npos);
    const json document = json::parse(run_cli({"catalog", "engines", "-o", "json"}).out);
    CHECK(document.at("kind").get<std::string>() == "EngineList");
    for (const json& engine : document.at("engines")) {
        const std::string id = engine.at("id").get<std::string>();
        INFO(id);
        // int4 (W4A16): a format every shipped engine serves (data/engines.json weight_formats).
        const auto used = run_cli({"estimate", "--model", "base", "--variant", "int4", "--gpu", "a40", "--engine", id});
        CHECK(used.status == 0);
    }
    const auto unknown = run_cli({"estimate", "--model", "base", "--variant", "int8", "--gpu", "a40", "--engine", "vlm"});
    CHECK(unknown.status == 2);
    CHECK(unknown.err.find("'dsselect catalog engines' lists them") != std::string::npos);
    // An engine overlay merges like any entry.
    test::TempFile file("engine.json", R"({"schema_version":"1.0","engines":[{"id":"vllm","usable_memory_fraction":0.8}]})");
    const json merged = json::parse(run_cli({"--data", file.path(), "catalog", "engines", "vllm", "-o", "json"}).out);
    CHECK(merged.at("engines").at(0).at("usable_memory_fraction").get<double>() == 0.8);
    CHECK(merged.at("engines").at(0).at("factors") == document.at("engines").at(0).at("factors"));
}

TEST_CASE("interfaces: the Recommendation JSON carries the memory breakdown the page draws", "[cli][json]") {
    const json document = json::parse(run_cli({"recommend", "--scenario", "customer-service", "-o", "json"}).out);
    for (const json& candidate : document.at("recommendations")) {
        const json& m = candidate.at("memory");
        const double gpus = candidate.at("gpus_per_replica").get<double>();
        const double parts = m.at("weights_bytes").get<double>() / gpus + m.at("kv_cache_bytes").get<double>() / gpus +
                             m.at("activations_bytes").get<double>() + m.at("overhead_bytes").get<double>();
        CHECK(std::fabs(parts - m.at("per_gpu_bytes").get<double>()) < 4.0);
        CHECK(m.at("usable_per_gpu_bytes").get<double>() <= m.at("capacity_per_gpu_bytes").get<double>());
    }
}
