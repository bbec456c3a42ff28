// The measured-accuracy table (data/accuracy.json) and the entry that speaks for an estimate.
// Small hand-written tables, so that a regenerated data file never breaks a selection test; the
// built-in table is checked for shape only (its figures are checked by accuracy_table_current).
#include <string>

#include <catch2/catch.hpp>

#include "dsselect/core/error.hpp"
#include "dsselect/estimate/accuracy.hpp"
#include "support/helpers.hpp"

using namespace dsselect;

namespace {

std::string entry_json(const std::string& engine, const std::string& kind, const std::string& set,
                       const std::string& family, const std::string& hardware_kind, const std::string& hardware,
                       double tpot_median) {
    return R"({"engine": ")" + engine + R"(", "model_kind": ")" + kind + R"(", "set": ")" + set +
           R"(", "hardware_family": )" + (family.empty() ? "null" : "\"" + family + "\"") +
           R"(, "hardware_kind": )" + (hardware_kind.empty() ? "null" : "\"" + hardware_kind + "\"") +
           R"(, "vendors": [")" + (family.empty() ? std::string("nvidia") : family) +
           R"("], "models": ["m"], "hardware": [)" + (hardware.empty() ? "" : "\"" + hardware + "\"") +
           R"(], "devices": ["dev"], "precisions": ["bf16", "fp8"],
              "ttft": {"rows": 4, "median_abs_error_pct": 20.0, "mean_signed_error_pct": -5.0},
              "tpot": {"rows": 4, "median_abs_error_pct": )" +
           std::to_string(tpot_median) + R"(, "mean_signed_error_pct": -1.5},
              "capacity": {"rows": 4, "median_abs_error_pct": 8.0, "mean_signed_error_pct": 3.0}, "source": "test"})";
}

std::vector<AccuracyEntry> table_of(const std::vector<std::string>& entries) {
    std::string text = R"({"schema_version": "1.0", "source": "test", "entries": [)";
    for (std::size_t i = 0; i < entries.size(); ++i) {
        text += (i > 0 ? "," : "") + entries[i];
    }
    return parse_accuracy_table(text + "]}", "t.json");
}

std::string parse_error(const std::string& text) {
    try {
        parse_accuracy_table(text, "t.json");
    } catch (const Error& error) {
        CHECK(error.kind() == ErrorKind::invalid_data);
        return error.what();
    }
    return "no error";
}

Hardware named_gpu(const std::string& id, const std::string& vendor, HardwareKind kind = HardwareKind::gpu) {
    Hardware hardware = test::gpu();
    hardware.id = id;
    hardware.vendor = vendor;
    hardware.kind = kind;
    return hardware;
}

}  // namespace

TEST_CASE("accuracy: the fit rows speak for a fit system and the hold-out rows for any other", "[accuracy]") {
    const auto table = table_of({entry_json("vllm", "dense", "fit", "", "", "h100-sxm", 9.0),
                                 entry_json("vllm", "dense", "hold-out", "", "", "h200", 11.0),
                                 entry_json("vllm", "moe", "hold-out", "", "", "h200", 33.0)});
    const Model dense = test::llama2_7b();
    const Variant fp8 = test::variant_bits(8, Precision::fp8);

    const AccuracyClaim on_fit = accuracy_claim(table, "vllm", dense, fp8, named_gpu("h100-sxm", "nvidia"));
    REQUIRE(on_fit.entry != nullptr);
    CHECK(on_fit.entry->set == "fit");
    CHECK(on_fit.hardware_measured);
    CHECK(on_fit.precision_measured);
    CHECK(on_fit.note.rfind("in sample", 0) == 0);

    const AccuracyClaim on_hold_out = accuracy_claim(table, "vllm", dense, fp8, named_gpu("h200", "nvidia"));
    REQUIRE(on_hold_out.entry != nullptr);
    CHECK(on_hold_out.entry->set == "hold-out");
    CHECK(on_hold_out.entry->tpot->median_abs_error_pct == 11.0);
    CHECK(on_hold_out.hardware_measured);
    CHECK(on_hold_out.note.rfind("out of sample", 0) == 0);

    const AccuracyClaim elsewhere = accuracy_claim(table, "vllm", dense, fp8, named_gpu("a40", "nvidia"));
    REQUIRE(elsewhere.entry != nullptr);
    CHECK(elsewhere.entry->set == "hold-out");
    CHECK_FALSE(elsewhere.hardware_measured);
    CHECK(elsewhere.note.find("a40 itself was not measured") != std::string::npos);

    const AccuracyClaim moe = accuracy_claim(table, "vllm", test::deepseek_v3(), fp8, named_gpu("h200", "nvidia"));
    REQUIRE(moe.entry != nullptr);
    CHECK(moe.entry->model_kind == "moe");
    CHECK(moe.note.find("MoE models") != std::string::npos);
}

TEST_CASE("accuracy: 16-bit weights match the BF16 rows and other formats are flagged", "[accuracy]") {
    const auto table = table_of({entry_json("sglang", "dense", "hold-out", "", "", "h200", 5.0)});
    const Hardware h200 = named_gpu("h200", "nvidia");
    const AccuracyClaim fp16 = accuracy_claim(table, "sglang", test::llama2_7b(), test::variant_bits(16), h200);
    CHECK(fp16.precision_measured);
    CHECK(fp16.note.find("fp16 weights judged by the bf16 rows") != std::string::npos);
    const AccuracyClaim amd = accuracy_claim(table, "sglang", test::llama2_7b(), test::variant_bits(16),
                                             named_gpu("mi300x", "amd"));
    CHECK(amd.note.find("no amd hardware was measured (measured: nvidia)") != std::string::npos);
    const AccuracyClaim unnamed = accuracy_claim(table, "sglang", test::llama2_7b(), test::variant_bits(16),
                                                 named_gpu("my-gpu", ""));
    CHECK(unnamed.note.find("my-gpu names no vendor (measured: nvidia)") != std::string::npos);
    const AccuracyClaim int4 = accuracy_claim(table, "sglang", test::llama2_7b(), test::variant_bits(4), h200);
    CHECK_FALSE(int4.precision_measured);
    CHECK(int4.note.find("int4-w4a16 weights were not measured (measured: bf16, fp8)") != std::string::npos);
    Variant lite = test::variant_bits(16);
    lite.parameter_fraction = 0.5;
    CHECK(accuracy_claim(table, "sglang", test::llama2_7b(), lite, h200).note.find("which no measurement covers") !=
          std::string::npos);
}

TEST_CASE("accuracy: a family entry covers its vendor's hardware of its kind only", "[accuracy]") {
    const auto table = table_of({entry_json("llama.cpp", "dense", "hold-out", "nvidia", "gpu", "", 10.0),
                                 entry_json("llama.cpp", "dense", "hold-out", "apple", "", "", 12.0)});
    const Model dense = test::llama2_7b();
    const Variant int4 = test::variant_bits(4);
    const AccuracyClaim nvidia = accuracy_claim(table, "llama.cpp", dense, int4, named_gpu("a40", "nvidia"));
    REQUIRE(nvidia.entry != nullptr);
    CHECK(nvidia.entry->hardware_family == "nvidia");
    CHECK_FALSE(nvidia.hardware_measured);  // a family entry names devices, not catalog ids
    const AccuracyClaim apple = accuracy_claim(table, "llama.cpp", dense, int4,
                                               named_gpu("m5", "apple", HardwareKind::edge));
    REQUIRE(apple.entry != nullptr);
    CHECK(apple.entry->hardware_family == "apple");
    const AccuracyClaim jetson = accuracy_claim(table, "llama.cpp", dense, int4,
                                                named_gpu("jetson", "nvidia", HardwareKind::edge));
    CHECK(jetson.entry == nullptr);
    CHECK(jetson.note.find("on nvidia edge devices") != std::string::npos);
    CHECK(accuracy_claim(table, "llama.cpp", dense, int4, named_gpu("mi300x", "amd")).entry == nullptr);
}

TEST_CASE("accuracy: fit rows alone speak for other hardware as in-sample rows of other hardware", "[accuracy]") {
    const auto table = table_of({entry_json("trtllm", "dense", "fit", "", "", "h100-sxm", 9.0)});
    const AccuracyClaim claim = accuracy_claim(table, "trtllm", test::llama2_7b(), test::variant_bits(16),
                                               named_gpu("h200", "nvidia"));
    REQUIRE(claim.entry != nullptr);
    CHECK_FALSE(claim.hardware_measured);
    CHECK(claim.note.rfind("in sample on other hardware", 0) == 0);
}

TEST_CASE("accuracy: a family entry takes its fit rows on a fit device and names its devices", "[accuracy]") {
    const auto table = table_of({entry_json("llama.cpp", "dense", "fit", "nvidia", "gpu", "h100-sxm", 3.0),
                                 entry_json("llama.cpp", "dense", "hold-out", "nvidia", "gpu", "h200", 10.0)});
    const AccuracyClaim on_fit = accuracy_claim(table, "llama.cpp", test::llama2_7b(), test::variant_bits(4),
                                                named_gpu("h100-sxm", "nvidia"));
    REQUIRE(on_fit.entry != nullptr);
    CHECK(on_fit.entry->set == "fit");
    CHECK(on_fit.hardware_measured);
    const AccuracyClaim on_h200 = accuracy_claim(table, "llama.cpp", test::llama2_7b(), test::variant_bits(4),
                                                 named_gpu("h200", "nvidia"));
    REQUIRE(on_h200.entry != nullptr);
    CHECK(on_h200.entry->set == "hold-out");
    CHECK(on_h200.hardware_measured);
    CHECK(measured_on(*on_h200.entry) == std::vector<std::string>{"dev"});
}

TEST_CASE("accuracy: no entry without an engine profile or for an unmeasured engine and kind", "[accuracy]") {
    const auto table = table_of({entry_json("vllm", "dense", "hold-out", "", "", "h200", 9.0)});
    const Hardware h200 = named_gpu("h200", "nvidia");
    const AccuracyClaim none = accuracy_claim(table, "", test::llama2_7b(), test::variant_bits(16), h200);
    CHECK(none.entry == nullptr);
    CHECK(none.note.find("no engine profile") != std::string::npos);
    const AccuracyClaim moe = accuracy_claim(table, "vllm", test::deepseek_v3(), test::variant_bits(16), h200);
    CHECK(moe.entry == nullptr);
    CHECK(moe.engine_id == "vllm");  // the engine asked about, measured or not
    CHECK(moe.note.find("no measurement of MoE models under engine 'vllm'") != std::string::npos);
    CHECK(none.engine_id.empty());
}

TEST_CASE("accuracy: a malformed table names the file and the JSON pointer", "[accuracy]") {
    CHECK(parse_error("{").rfind("t.json: ", 0) == 0);
    CHECK(parse_error(R"({"schema_version": "1.0", "source": "s"})") ==
          "t.json: /: missing required field 'entries'");
    const std::string bad_kind = R"({"schema_version": "1.0", "source": "s", "entries": [)" +
                                 entry_json("vllm", "sparse", "fit", "", "", "h200", 1.0) + "]}";
    CHECK(parse_error(bad_kind).find("/entries/0/model_kind") != std::string::npos);
    std::string negative = entry_json("vllm", "dense", "fit", "", "", "h200", -1.0);
    CHECK(parse_error(R"({"schema_version": "1.0", "source": "s", "entries": [)" + negative + "]}")
              .find("/entries/0/tpot/median_abs_error_pct") != std::string::npos);
    std::string unknown = entry_json("vllm", "dense", "fit", "", "", "h200", 1.0);
    unknown.insert(1, R"("typo": 1, )");
    CHECK(parse_error(R"({"schema_version": "1.0", "source": "s", "entries": [)" + unknown + "]}")
              .find("/entries/0") != std::string::npos);
    const std::string twice = entry_json("vllm", "dense", "fit", "", "", "h200", 1.0);
    CHECK(parse_error(R"({"schema_version": "1.0", "source": "s", "entries": [)" + twice + "," + twice + "]}") ==
          "t.json: /entries/1: repeats an earlier entry's engine, model_kind, set and hardware_family");
    // Capacity is required (null: not checked) and its figures are read like TTFT's and TPOT's.
    std::string no_capacity = entry_json("vllm", "dense", "fit", "", "", "h200", 1.0);
    const std::string capacity_key = R"("capacity": )";
    const auto capacity_at = no_capacity.find(capacity_key);
    no_capacity.erase(capacity_at, no_capacity.find("}, ", capacity_at) + 3 - capacity_at);
    CHECK(parse_error(R"({"schema_version": "1.1", "source": "s", "entries": [)" + no_capacity + "]}") ==
          "t.json: /entries/0: missing required field 'capacity'");
    std::string zero_rows = entry_json("vllm", "dense", "fit", "", "", "h200", 1.0);
    zero_rows.replace(zero_rows.find(R"("capacity": {"rows": 4)"), 22, R"("capacity": {"rows": 0)");
    CHECK(parse_error(R"({"schema_version": "1.1", "source": "s", "entries": [)" + zero_rows + "]}")
              .find("/entries/0/capacity/rows") != std::string::npos);
    std::string no_precision = entry_json("vllm", "dense", "fit", "", "", "h200", 1.0);
    const std::string formats = R"("precisions": ["bf16", "fp8"])";
    no_precision.replace(no_precision.find(formats), formats.size(), R"("precisions": [])");
    CHECK(parse_error(R"({"schema_version": "1.0", "source": "s", "entries": [)" + no_precision + "]}") ==
          "t.json: /entries/0/precisions: expected a non-empty array of strings");
}

TEST_CASE("accuracy: the built-in table parses and speaks for the shipped engines", "[accuracy]") {
    const auto& table = builtin_accuracy_table();
    REQUIRE_FALSE(table.empty());
    for (const AccuracyEntry& entry : table) {
        INFO(entry.engine << " " << entry.model_kind << " " << entry.set);
        CHECK((entry.ttft || entry.tpot));
        CHECK_FALSE(measured_on(entry).empty());
        CHECK_FALSE(entry.source.empty());
    }
    const Catalog& catalog = test::builtin();
    for (const AccuracyEntry& entry : table) {
        INFO(entry.engine);
        CHECK(catalog.find_engine(entry.engine) != nullptr);
    }
    const AccuracyClaim claim = accuracy_claim(table, "vllm", catalog.model("base"), catalog.variant("fp8"),
                                               catalog.hardware_by_id("h200"));
    REQUIRE(claim.entry != nullptr);
    CHECK(claim.entry->set == "hold-out");
    CHECK(claim.hardware_measured);
}

TEST_CASE("accuracy: capacity figures are read and an unchecked one is named in the note", "[accuracy]") {
    const auto table = table_of({entry_json("vllm", "dense", "hold-out", "", "", "h200", 11.0)});
    REQUIRE(table.size() == 1);
    REQUIRE(table[0].capacity);
    CHECK(table[0].capacity->rows == 4);
    CHECK(table[0].capacity->median_abs_error_pct == Approx(8.0));
    CHECK(table[0].capacity->mean_signed_error_pct == Approx(3.0));
    const Hardware h200 = named_gpu("h200", "nvidia");
    const AccuracyClaim checked = accuracy_claim(table, "vllm", test::llama2_7b(), test::variant_bits(16), h200);
    CHECK(checked.note.find("not checked") == std::string::npos);
    std::string unchecked = entry_json("vllm", "dense", "hold-out", "", "", "h200", 11.0);
    const auto at = unchecked.find(R"("capacity": {)");
    unchecked.replace(at, unchecked.find('}', at) + 1 - at, R"("capacity": null)");
    const auto without = table_of({unchecked});
    CHECK_FALSE(without[0].capacity);
    const AccuracyClaim claim = accuracy_claim(without, "vllm", test::llama2_7b(), test::variant_bits(16), h200);
    CHECK(claim.note.find("capacity not checked") != std::string::npos);
    CHECK(claim.note.find("TTFT") == std::string::npos);
}

TEST_CASE("accuracy: every figure left null is named once in one not-checked caveat", "[accuracy]") {
    const Hardware h200 = named_gpu("h200", "nvidia");
    const auto nulled = [](std::string entry, const std::vector<std::string>& keys) {
        for (const std::string& key : keys) {
            const auto at = entry.find("\"" + key + "\": {");
            REQUIRE(at != std::string::npos);
            entry.replace(at, entry.find('}', at) + 1 - at, "\"" + key + "\": null");
        }
        return entry;
    };
    const std::string base = entry_json("vllm", "dense", "hold-out", "", "", "h200", 11.0);
    const auto note_of = [&](const std::vector<std::string>& keys) {
        const auto table = table_of({nulled(base, keys)});
        return accuracy_claim(table, "vllm", test::llama2_7b(), test::variant_bits(16), h200).note;
    };
    CHECK(note_of({"tpot"}).find("; TPOT not checked") != std::string::npos);
    CHECK(note_of({"ttft", "tpot", "capacity"}).find("; TTFT, TPOT and capacity not checked") != std::string::npos);
    const std::string two = note_of({"ttft", "capacity"});
    CHECK(two.find("; TTFT and capacity not checked") != std::string::npos);
    CHECK(two.find("not checked") == two.rfind("not checked"));
    // The figures in their fixed order, with the JSON keys the Estimate's accuracy object uses.
    const auto table = table_of({base});
    const auto named = named_figures(table[0]);
    CHECK(std::string(named[0].key) == "ttft");
    CHECK(std::string(named[1].key) == "tpot");
    CHECK(std::string(named[2].key) == "capacity");
    CHECK(named[2].figures == &table[0].capacity);
}
