// Tests for the JSON Logic evaluator: the official shared suite, then dsselect's pinned edge cases.
#include "dsselect/rules/jsonlogic.hpp"
#include "dsselect/rules/rules.hpp"
#include "rules/compiled_rule.hpp"
#include "dsselect/select/search.hpp"
#include "support/helpers.hpp"

#include "dsselect/core/error.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>


namespace {

using nlohmann::json;
namespace jl = dsselect::jsonlogic;

// The official suite, vendored with its licence (tests/data/jsonlogic/README.md).
std::string conformance_suite_path() {
    return std::string(DSSELECT_SOURCE_DIR) + "/tests/data/jsonlogic/jsonlogic-tests.json";
}

json run(const std::string& rule, const std::string& data = "null", const jl::Limits& limits = {}) {
    return jl::apply(json::parse(rule), json::parse(data), limits);
}

// Compares by value: numbers numerically (2.0 equals 2), recursively through arrays/objects.
bool same_value(const json& a, const json& b) {
    if (a.is_number() && b.is_number()) {
        return a.get<double>() == b.get<double>();
    }
    if (a.type() != b.type()) {
        return false;
    }
    if (a.is_array()) {
        if (a.size() != b.size()) {
            return false;
        }
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (!same_value(a[i], b[i])) {
                return false;
            }
        }
        return true;
    }
    if (a.is_object()) {
        if (a.size() != b.size()) {
            return false;
        }
        for (auto it = a.begin(); it != a.end(); ++it) {
            const auto other = b.find(it.key());
            if (other == b.end() || !same_value(it.value(), *other)) {
                return false;
            }
        }
        return true;
    }
    return a == b;
}

// The error an evaluation throws, or nullopt.
std::optional<dsselect::Error> error_of(const std::string& rule, const std::string& data = "null",
                                        const jl::Limits& limits = {}) {
    try {
        run(rule, data, limits);
    } catch (const dsselect::Error& e) {
        return e;
    }
    return std::nullopt;
}

std::string deep_rule(int depth) {
    std::string text;
    for (int i = 0; i < depth; ++i) {
        text += R"({"!":)";
    }
    text += "true";
    text.append(static_cast<std::size_t>(depth), '}');
    return text;
}

}  // namespace

TEST_CASE("jsonlogic: the official json-logic test suite passes completely", "[jsonlogic][conformance]") {
    std::ifstream file(conformance_suite_path());
    REQUIRE(file.good());
    const json suite = json::parse(file);
    REQUIRE(suite.is_array());

    int cases = 0;
    int passed = 0;
    for (const auto& entry : suite) {
        if (entry.is_string()) {
            continue;  // a section comment
        }
        REQUIRE(entry.is_array());
        REQUIRE(entry.size() == 3);
        ++cases;
        const json& rule = entry[0];
        const json& data = entry[1];
        const json& expected = entry[2];
        INFO("case " << cases << ": rule " << rule.dump() << " data " << data.dump() << " expected "
                     << expected.dump());
        json actual;
        try {
            actual = jl::apply(rule, data);
        } catch (const std::exception& e) {
            FAIL_CHECK("threw: " << e.what());
            continue;
        }
        INFO("actual " << actual.dump());
        const bool ok = same_value(actual, expected);
        CHECK(ok);
        passed += ok ? 1 : 0;
    }
    CHECK(passed == cases);
    REQUIRE(cases == 277);
}

TEST_CASE("jsonlogic: no rule of the official suite is reported as an unknown operator", "[jsonlogic][check]") {
    std::ifstream file(conformance_suite_path());
    REQUIRE(file.good());
    const json suite = json::parse(file);
    for (const auto& entry : suite) {
        if (entry.is_string()) {
            continue;
        }
        for (const auto& issue : jl::check(entry[0])) {
            INFO(entry[0].dump() << " " << issue.pointer << ": " << issue.message);
            CHECK(issue.message.find("unknown JSON Logic operator") == std::string::npos);
        }
    }
}

TEST_CASE("jsonlogic: 'and' returns the first falsy value and 'or' the first truthy one", "[jsonlogic]") {
    CHECK(run(R"({"and":[1,0,"x"]})") == json(0));
    CHECK(run(R"({"and":[1,"a",[]]})") == json::array());
    CHECK(run(R"({"and":[1,"last"]})") == json("last"));
    CHECK(run(R"({"or":[0,"",[],"x",1]})") == json("x"));
    CHECK(run(R"({"or":[0,""]})") == json(""));
    CHECK(run(R"({"and":[]})").is_null());
}

TEST_CASE("jsonlogic: 'and' and 'or' short-circuit past an erroneous branch", "[jsonlogic]") {
    CHECK(run(R"({"and":[false,{"/":[1,0]}]})") == json(false));
    CHECK(run(R"({"or":[true,{"/":[1,0]}]})") == json(true));
    CHECK(run(R"({"if":[true,1,{"/":[1,0]}]})") == json(1));
}

TEST_CASE("jsonlogic: the empty object {} is truthy, as in JavaScript", "[jsonlogic]") {
    CHECK(jl::truthy(json::object()));
    CHECK(run(R"({"!!":[{}]})") == json(true));
    CHECK(run(R"({"if":[{},"yes","no"]})") == json("yes"));
    CHECK(run(R"({"!!":["0"]})") == json(true));
    CHECK_FALSE(jl::truthy(json::array()));
    CHECK_FALSE(jl::truthy(json(0.0)));
    CHECK_FALSE(jl::truthy(json("")));
    CHECK_FALSE(jl::truthy(json(nullptr)));
}

TEST_CASE("jsonlogic: an unknown operator is an invalid_data error that suggests the closest operator",
          "[jsonlogic][errors]") {
    const auto error = error_of(R"({"and":[true,{"mapp":[[1],{"var":""}]}]})");
    REQUIRE(error.has_value());
    CHECK(error->kind() == dsselect::ErrorKind::invalid_data);
    CHECK(std::string(error->what()) == "unknown JSON Logic operator 'mapp'; did you mean 'map'?");

    const auto suggestion = [](const std::string& rule) { return std::string(error_of(rule)->what()); };
    CHECK(suggestion(R"({"AND":[true]})") == "unknown JSON Logic operator 'AND'; did you mean 'and'?");
    CHECK(suggestion(R"({"=":[1,1]})") == "unknown JSON Logic operator '='; did you mean '=='?");
    CHECK(suggestion(R"({"k":1})") == "unknown JSON Logic operator 'k'");
    CHECK(suggestion(R"({"missing_sum":[1,["a"]]})") ==
          "unknown JSON Logic operator 'missing_sum'; did you mean 'missing_some'?");

    const auto far = error_of(R"({"frobnicate_everything":1})");
    REQUIRE(far.has_value());
    CHECK(std::string(far->what()) == "unknown JSON Logic operator 'frobnicate_everything'");
}

TEST_CASE("jsonlogic: error messages stay on one line even for hostile operator names", "[jsonlogic][errors]") {
    const auto error = error_of(R"({"bad\nop":1})");
    REQUIRE(error.has_value());
    CHECK(std::string(error->what()).find('\n') == std::string::npos);
    CHECK_THAT(error->what(), Catch::Contains("bad\\u000aop"));
    // C1 controls are escaped too (the shared terminal-safe helper; JSON text holds no broken UTF-8),
    // and a long name is cut, never inside a character.
    const auto c1 = error_of("{\"x\\u009b2Jy\":1}");
    REQUIRE(c1.has_value());
    CHECK_THAT(c1->what(), Catch::Contains("x\\u009b2Jy"));
    const auto long_name = error_of("{\"" + std::string(100, 'q') + "\":1}");
    REQUIRE(long_name.has_value());
    CHECK_THAT(long_name->what(), Catch::Contains(std::string(64, 'q') + "..."));
    CHECK_THAT(long_name->what(), !Catch::Contains(std::string(65, 'q')));
    // 63 ASCII bytes, then a two-byte e-acute across the 64-byte cut: the cut falls before it.
    const auto accented = error_of("{\"" + std::string(63, 'q') + "\u00e9zzz\":1}");
    REQUIRE(accented.has_value());
    CHECK_THAT(accented->what(), Catch::Contains(std::string(63, 'q') + "..."));
    CHECK_THAT(accented->what(), !Catch::Contains("\\x"));
}

TEST_CASE("jsonlogic: a 10,000-deep rule fails with invalid_data instead of overflowing the stack",
          "[jsonlogic][limits]") {
    const auto error = error_of(deep_rule(10'000));
    REQUIRE(error.has_value());
    CHECK(error->kind() == dsselect::ErrorKind::invalid_data);
    CHECK_THAT(error->what(), Catch::Contains("nested deeper than 200 levels"));

    std::string arrays(10'000, '[');
    arrays.append(10'000, ']');
    CHECK(error_of(arrays).has_value());

    // Within the limit the same shape evaluates.
    CHECK(run(deep_rule(150)) == json(true));
    jl::Limits shallow;
    shallow.max_depth = 10;
    CHECK(error_of(deep_rule(11), "null", shallow).has_value());
    CHECK(run(deep_rule(10), "null", shallow) == json(true));
}

TEST_CASE("jsonlogic: copying deeply nested data into a result is refused, not recursed", "[jsonlogic][limits]") {
    std::string text(10'000, '[');
    text.append(10'000, ']');
    const json data = json::parse(text);
    CHECK_THROWS_AS(jl::apply(json::parse(R"({"var":""})"), data), dsselect::Error);
    // Tests on the data do not copy it.
    CHECK(jl::apply_truthy(json::parse(R"({"var":""})"), data));
    CHECK(jl::apply(json::parse(R"({"!!":[{"var":"0.0.0"}]})"), data) == json(true));
}

TEST_CASE("jsonlogic: reduce over a million elements exhausts the operation budget", "[jsonlogic][limits]") {
    json data;
    data["xs"] = json::array();
    for (int i = 0; i < 1'000'000; ++i) {
        data["xs"].push_back(1);
    }
    const json rule = json::parse(R"({"reduce":[{"var":"xs"},{"+":[{"var":"current"},{"var":"accumulator"}]},0]})");
    try {
        jl::apply(rule, data);
        FAIL("expected the operation budget to be exceeded");
    } catch (const dsselect::Error& e) {
        CHECK(e.kind() == dsselect::ErrorKind::invalid_data);
        CHECK_THAT(e.what(), Catch::Contains("budget of 1000000 operations"));
    }
    jl::Limits generous;
    generous.max_operations = 10'000'000;
    CHECK(jl::apply(rule, data, generous) == json(1'000'000));
}

TEST_CASE("jsonlogic: exponential growth through reduce hits the budget", "[jsonlogic][limits]") {
    const std::string data = R"({"xs":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,
        31,32,33,34,35,36,37,38,39,40]})";
    // A string that doubles per element.
    CHECK(error_of(R"({"reduce":[{"var":"xs"},{"cat":[{"var":"accumulator"},{"var":"accumulator"}]},"xx"]})", data)
              .has_value());
    // An array that doubles per element.
    CHECK(error_of(R"({"reduce":[{"var":"xs"},{"merge":[{"var":"accumulator"},{"var":"accumulator"}]},[1]]})", data)
              .has_value());
    // A tree that doubles per element and deepens by one.
    CHECK(error_of(R"({"reduce":[{"var":"xs"},[{"var":"accumulator"},{"var":"accumulator"}],1]})", data)
              .has_value());
}

TEST_CASE("jsonlogic: a non-finite result such as division by zero is an error", "[jsonlogic][errors]") {
    const auto division = error_of(R"({"/":[1,0]})");
    REQUIRE(division.has_value());
    CHECK(division->kind() == dsselect::ErrorKind::invalid_data);
    CHECK_THAT(division->what(), Catch::StartsWith("non-finite result of '/'"));
    CHECK(error_of(R"({"%":[5,0]})").has_value());
    CHECK(error_of(R"({"+":["abc"]})").has_value());
    CHECK(error_of(R"({"*":[1e300,1e300]})").has_value());
    CHECK(error_of(R"({"-":["abc"]})").has_value());
    CHECK(error_of(R"({"max":[1,"x"]})").has_value());
    // 0/1 and finite arithmetic are fine.
    CHECK(run(R"({"/":[0,1]})") == json(0));
}

TEST_CASE("jsonlogic: max and min of nothing and '*' of nothing are errors", "[jsonlogic][errors]") {
    const auto max = error_of(R"({"max":[]})");
    REQUIRE(max.has_value());
    CHECK_THAT(max->what(), Catch::StartsWith("'max' needs at least one argument"));
    CHECK(error_of(R"({"min":[]})").has_value());
    CHECK(error_of(R"({"*":[]})").has_value());
    CHECK(run(R"({"max":[1,"3",2]})") == json(3));
    CHECK(run(R"({"min":[1,null,2]})") == json(0));
}

TEST_CASE("jsonlogic: comparisons with NaN are false and two strings compare lexicographically",
          "[jsonlogic][coercion]") {
    CHECK(run(R"({"<":["abc",1]})") == json(false));
    CHECK(run(R"({">":["abc",1]})") == json(false));
    CHECK(run(R"({"<=":["abc",1]})") == json(false));
    CHECK(run(R"({">=":["abc",1]})") == json(false));
    CHECK(run(R"({"==":["abc",1]})") == json(false));
    CHECK(run(R"({"<":["10","9"]})") == json(true));
    CHECK(run(R"({"<":["10",9]})") == json(false));
    CHECK(run(R"({"<":[null,1]})") == json(true));
    CHECK(run(R"({"<":[[2],10]})") == json(true));
    CHECK(run(R"({"<":["a","b","c"]})") == json(true));
    CHECK(run(R"({">":[" 12 ",3]})") == json(true));
    CHECK(run(R"({"<":["0x10",17]})") == json(true));
    CHECK(run(R"({"<":["é","z"]})") == json(false));
}

TEST_CASE("jsonlogic: '==' follows JavaScript loose equality", "[jsonlogic][coercion]") {
    CHECK(run(R"({"==":[1,"1"]})") == json(true));
    CHECK(run(R"({"==":[0,false]})") == json(true));
    CHECK(run(R"({"==":["",0]})") == json(true));
    CHECK(run(R"({"==":[null,0]})") == json(false));
    CHECK(run(R"({"==":[null,false]})") == json(false));
    CHECK(run(R"({"==":[[1,2],"1,2"]})") == json(true));
    CHECK(run(R"({"==":[[],false]})") == json(true));
    CHECK(run(R"({"==":[{"var":"o"},"[object Object]"]})", R"({"o":{"a":1}})") == json(true));
    CHECK(run(R"({"==":[1.0,1]})") == json(true));
    CHECK(run(R"({"==":[null]})") == json(true));  // null == undefined
    CHECK(run(R"({"===":[null]})") == json(false));
    CHECK(run(R"({"!=":["1",1]})") == json(false));
    CHECK(run(R"({"!==":["1",1]})") == json(true));
}

TEST_CASE("jsonlogic: arrays and objects are equal only to themselves", "[jsonlogic][coercion]") {
    const std::string data = R"({"a":{"x":1},"b":{"x":1},"list":[{"x":1},[2]]})";
    CHECK(run(R"({"===":[{"var":"a"},{"var":"a"}]})", data) == json(true));
    CHECK(run(R"({"==":[{"var":"a"},{"var":"b"}]})", data) == json(false));
    CHECK(run(R"({"===":[[1],[1]]})") == json(false));
    CHECK(run(R"({"in":[{"var":"list.0"},{"var":"list"}]})", data) == json(true));
    CHECK(run(R"({"in":[{"var":"a"},{"var":"list"}]})", data) == json(false));
}

TEST_CASE("jsonlogic: 'var' indexes strings and arrays and yields the default on scalars", "[jsonlogic][var]") {
    CHECK(run(R"({"var":"1"})", R"("abc")") == json("b"));
    CHECK(run(R"({"var":1})", R"("abc")") == json("b"));
    CHECK(run(R"({"var":"length"})", R"("héllo")") == json(5));
    CHECK(run(R"({"var":"name.0"})", R"({"name":"Zed"})") == json("Z"));
    CHECK(run(R"({"var":"xs.length"})", R"({"xs":[1,2,3]})") == json(3));
    CHECK(run(R"({"var":"01"})", R"(["a","b"])").is_null());
    CHECK(run(R"({"var":"5"})", R"("abc")").is_null());
    CHECK(run(R"({"var":"x"})", "5").is_null());
    CHECK(run(R"({"var":["x","fallback"]})", "5") == json("fallback"));
    CHECK(run(R"({"var":["x.y","fallback"]})", "true") == json("fallback"));
    CHECK(run(R"({"var":["a",7]})", R"({"a":null})").is_null());  // an explicit null is not replaced
    CHECK(run(R"({"var":["a.b",7]})", R"({"a":null})") == json(7));
    CHECK(run(R"({"var":1.5})", R"([0,[10,20,30,40,50,60]])") == json(60));
    CHECK(run(R"({"var":"toString"})", R"({"a":1})").is_null());  // own properties only
}

TEST_CASE("jsonlogic: arithmetic yields integers when the value is integral", "[jsonlogic][numbers]") {
    CHECK(run(R"({"+":[1,2]})").dump() == "3");
    CHECK(run(R"({"*":[1.5,2]})").dump() == "3");
    CHECK(run(R"({"/":[4,2]})").dump() == "2");
    CHECK(run(R"({"/":[1,2]})").dump() == "0.5");
    CHECK(run(R"({"-":[0.5,3]})").dump() == "-2.5");
    CHECK(run(R"({"%":[-7,2]})").dump() == "-1");
    CHECK(run(R"({"+":["3.14abc"," 2"]})") == json(5.140000000000001));
    CHECK(run(R"({"+":["1e3"]})").dump() == "1000");
    CHECK(run(R"({"-":["0x10",1]})").dump() == "15");
}

TEST_CASE("jsonlogic: '*' with one argument returns it unchanged, as json-logic-js does", "[jsonlogic][numbers]") {
    CHECK(run(R"({"*":["2"]})") == json("2"));
    CHECK(run(R"({"*":["2",3]})") == json(6));
}

TEST_CASE("jsonlogic: 'cat' writes numbers the way JavaScript's String() does", "[jsonlogic][strings]") {
    CHECK(run(R"({"cat":[2.5,"|",1,"|",1.0,"|",1e21,"|",1e20,"|",1e-7,"|",0.000001,"|",0.1]})") ==
          json("2.5|1|1|1e+21|100000000000000000000|1e-7|0.000001|0.1"));
    CHECK(run(R"({"cat":[true,null,false,[1,[2,null,3]],{"a":1,"b":2}]})") == json("truefalse1,2,,3[object Object]"));
    CHECK(run(R"({"cat":[-0.0,"|",123456789012,"|",-1.5e-10]})") == json("0|123456789012|-1.5e-10"));
}

TEST_CASE("jsonlogic: 'substr' counts UTF-16 code units and handles negative arguments", "[jsonlogic][strings]") {
    CHECK(run(R"({"substr":["héllo",1,3]})") == json("éll"));
    CHECK(run(R"({"substr":["jsonlogic",-5,-2]})") == json("log"));
    CHECK(run(R"({"substr":["jsonlogic",20]})") == json(""));
    CHECK(run(R"({"substr":["jsonlogic",-20,2]})") == json("js"));
    CHECK(run(R"({"substr":[12345,1,2]})") == json("23"));
    CHECK(run(R"({"substr":["a😀b",1,2]})") == json("😀"));
    CHECK(run(R"({"substr":["a😀b",1,1]})") == json("\xEF\xBF\xBD"));  // half a pair -> U+FFFD
    CHECK(run(R"({"substr":["jsonlogic",0,-2.5]})") == json("jsonlo"));  // length 9 - 2.5 -> 6
    CHECK(run(R"({"substr":["jsonlogic",0,"-2"]})") == json(""));  // JS concatenates "9" + "-2"
}

TEST_CASE("jsonlogic: 'in' tests substrings and strict array membership", "[jsonlogic]") {
    CHECK(run(R"({"in":["log","jsonlogic"]})") == json(true));
    CHECK(run(R"({"in":[1,["1",2]]})") == json(false));
    CHECK(run(R"({"in":[2,["1",2]]})") == json(true));
    CHECK(run(R"({"in":[1,"a1"]})") == json(true));
    CHECK(run(R"({"in":["",""]})") == json(false));
    CHECK(run(R"({"in":["a",5]})") == json(false));
}

TEST_CASE("jsonlogic: scoped operators see each element as the data", "[jsonlogic][arrays]") {
    const std::string data = R"({"items":[{"qty":1},{"qty":5},{"qty":9}],"min":4})";
    CHECK(run(R"({"filter":[{"var":"items"},{">":[{"var":"qty"},4]}]})", data) ==
          json::parse(R"([{"qty":5},{"qty":9}])"));
    CHECK(run(R"({"map":[{"var":"items"},{"var":"qty"}]})", data) == json::parse("[1,5,9]"));
    CHECK(run(R"({"all":[{"var":"items"},{"var":"qty"}]})", data) == json(true));
    CHECK(run(R"({"some":[{"var":"items"},{">":[{"var":"qty"},8]}]})", data) == json(true));
    CHECK(run(R"({"none":[{"var":"items"},{">":[{"var":"qty"},9]}]})", data) == json(true));
    CHECK(run(R"({"all":[[],true]})") == json(false));
    CHECK(run(R"({"all":["abc",true]})") == json(false));
    CHECK(run(R"({"some":["abc",true]})") == json(false));
    CHECK(run(R"({"none":["abc",true]})") == json(true));
    CHECK(run(R"({"reduce":[[1,2],{"var":["accumulator","undefined"]},{"and":[]}]})") == json("undefined"));
    CHECK(run(R"({"none":[[],true]})") == json(true));
    CHECK(run(R"({"map":[5,{"var":""}]})") == json::array());
    CHECK(run(R"({"reduce":[{"var":"items"},{"+":[{"var":"accumulator"},{"var":"current.qty"}]},0]})", data) ==
          json(15));
    CHECK(run(R"({"reduce":[[1,2],{"var":"accumulator"}]})").is_null());
    CHECK(run(R"({"reduce":[[1,2],{"var":"min"},0]})", data).is_null());  // outer data is not visible
    CHECK(run(R"({"reduce":[[1,2],{"var":""},0]})") ==
          json::parse(R"({"accumulator":{"accumulator":0,"current":1},"current":2})"));
}

TEST_CASE("jsonlogic: evaluation leaves the data unchanged", "[jsonlogic]") {
    const json data = json::parse(R"({"xs":[3,1,2],"s":"abc","o":{"k":[1,{"z":2}]}})");
    const json before = data;
    const json rule = json::parse(R"({"cat":[
        {"merge":[{"var":"xs"},{"var":"o.k"}]},
        {"filter":[{"var":"xs"},{">":[{"var":""},1]}]},
        {"map":[{"var":"o.k"},{"var":""}]},
        {"reduce":[{"var":"xs"},{"merge":[{"var":"accumulator"},[{"var":"current"}]]},[]]},
        {"missing":["xs","nope"]}
    ]})");
    CHECK(jl::apply(rule, data) == json("3,1,2,1,[object Object]3,21,[object Object]3,1,2nope"));
    CHECK(data == before);
}

TEST_CASE("jsonlogic: 'log' writes to the configured stream and is silent by default", "[jsonlogic]") {
    CHECK(run(R"({"log":"apple"})") == json("apple"));
    std::ostringstream out;
    jl::set_log_stream(&out);
    CHECK(run(R"({"log":{"var":"a"}})", R"({"a":[1,"x"]})") == json::parse(R"([1,"x"])"));
    jl::set_log_stream(nullptr);
    CHECK(out.str() == "[1,\"x\"]\n");
    CHECK(run(R"({"log":"quiet"})") == json("quiet"));
    CHECK(out.str() == "[1,\"x\"]\n");
}

TEST_CASE("jsonlogic: non-rules pass through unchanged", "[jsonlogic]") {
    CHECK(run(R"({"a":1,"b":2})") == json::parse(R"({"a":1,"b":2})"));
    CHECK(run(R"({})") == json::object());
    CHECK(run(R"([1,{"var":"x"},3])", R"({"x":2})") == json::parse("[1,2,3]"));
}

TEST_CASE("jsonlogic: check reports unknown operators with a JSON pointer and a suggestion", "[jsonlogic][check]") {
    const auto issues = jl::check(json::parse(R"({"and":[{"mapp":[[1],true]},{"a/b~c":1}]})"));
    REQUIRE(issues.size() == 2);
    CHECK(issues[0].pointer == "/and/0/mapp");
    CHECK(issues[0].message == "unknown JSON Logic operator 'mapp'; did you mean 'map'?");
    CHECK(issues[1].pointer == "/and/1/a~1b~0c");
    CHECK_THAT(issues[1].message, Catch::StartsWith("unknown JSON Logic operator 'a/b~c'"));
}

TEST_CASE("jsonlogic: check reports wrong arity and accepts variadic 'if'", "[jsonlogic][check]") {
    const auto issues_of = [](const std::string& rule) { return jl::check(json::parse(rule)); };
    auto issues = issues_of(R"({"!":[1,2]})");
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].pointer == "/!");
    CHECK(issues[0].message == "'!' takes exactly 1 argument, got 2");

    issues = issues_of(R"({"or":[true,{">":[1,2,3]}]})");
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].pointer == "/or/1/>");
    CHECK(issues[0].message == "'>' takes exactly 2 arguments, got 3");

    CHECK(issues_of(R"({"substr":[]})").size() == 1);
    CHECK(issues_of(R"({"substr":["a",1,2,3]})").size() == 1);
    CHECK(issues_of(R"({"substr":"abc"})").empty());
    CHECK(issues_of(R"({"reduce":[[1],{"var":"current"},0,1]})").size() == 1);
    CHECK(issues_of(R"({"map":[[1]]})")[0].message == "'map' takes exactly 2 arguments, got 1");
    CHECK(issues_of(R"({"<":[1,2,3]})").empty());
    CHECK(issues_of(R"({"if":[true,1,false,2,3]})").empty());
    CHECK(issues_of(R"({"if":[]})").empty());
    CHECK(issues_of(R"({"var":"a"})").empty());
}

TEST_CASE("jsonlogic: check reports var paths that known_path rejects, outside scoped logic", "[jsonlogic][check]") {
    const auto known = [](const std::string& path) { return path == "model.params_b" || path == "gpu.memory_gb"; };
    const json rule = json::parse(R"({"and":[
        {">":[{"var":"model.params_b"},7]},
        {"var":"gpu.memroy_gb"},
        {"<":[{"var":["gpu.bogus",0]},1]},
        {"all":[{"var":"model.layers"},{"var":"anything.goes"}]},
        {"reduce":[{"var":"model.params_b"},{"+":[{"var":"accumulator"},{"var":"curent"}]},0]},
        {"missing":["model.params_b","model.nope"]},
        {"var":{"cat":["dyn","amic"]}},
        {"var":""}
    ]})");
    const auto issues = jl::check(rule, known);
    REQUIRE(issues.size() == 5);
    CHECK(issues[0].pointer == "/and/1/var");
    CHECK(issues[0].message == "unknown data path 'gpu.memroy_gb'");
    CHECK(issues[1].pointer == "/and/2/</0/var/0");
    CHECK(issues[2].pointer == "/and/3/all/0/var");
    CHECK(issues[3].pointer == "/and/4/reduce/1/+/1/var");
    CHECK_THAT(issues[3].message, Catch::Contains("'current' and 'accumulator'"));
    CHECK(issues[4].pointer == "/and/5/missing/1");

    // Without a predicate only the reduce-scope mistake remains.
    const auto unchecked = jl::check(rule);
    REQUIRE(unchecked.size() == 1);
    CHECK(unchecked[0].pointer == "/and/4/reduce/1/+/1/var");
}

TEST_CASE("jsonlogic: check stops at the depth limit instead of recursing", "[jsonlogic][check]") {
    const auto issues = jl::check(json::parse(deep_rule(10'000)));
    REQUIRE(issues.size() == 1);
    CHECK_THAT(issues[0].message, Catch::Contains("nested deeper than 200 levels"));
}

TEST_CASE("jsonlogic: missing and missing_some report absent, null and empty keys", "[jsonlogic]") {
    const std::string data = R"({"a":1,"b":null,"c":"","d":{"e":0}})";
    CHECK(run(R"({"missing":["a","b","c","d.e","d.f","z"]})", data) == json::parse(R"(["b","c","d.f","z"])"));
    CHECK(run(R"({"missing_some":[1,["a","z"]]})", data) == json::array());
    CHECK(run(R"({"missing_some":[2,["a","z","y"]]})", data) == json::parse(R"(["z","y"])"));
    CHECK(run(R"({"reduce":[[1],{"missing":["current","accumulator","other"]},5]})") ==
          json::parse(R"(["other"])"));
}

namespace {
// The compiled form's fields in the differential test below: numbers and booleans a
// RuleCandidate holds, read as the rules' context would hold them.
dsselect::detail::FieldReader test_reader(std::string_view path) {
    using dsselect::RuleCandidate;
    if (path == "deployment.capacity_qps") {
        return [](const RuleCandidate& c) { return json(c.capacity_qps); };
    }
    if (path == "deployment.replicas") {
        return [](const RuleCandidate& c) { return json(c.replicas); };
    }
    if (path == "deployment.quality") {
        return [](const RuleCandidate& c) { return json(c.quality); };
    }
    if (path == "deployment.output_dimensions_differ") {
        return [](const RuleCandidate& c) { return json(c.output_dimensions_differ); };
    }
    if (path == "candidates.min_parameters") {
        return [](const RuleCandidate& c) { return json(c.min_parameters_among_feasible); };
    }
    return nullptr;
}

json random_expression(std::mt19937& random, int depth, const std::vector<std::string>& fields) {
    auto pick = [&random](std::size_t n) { return static_cast<std::size_t>(random() % n); };
    if (depth == 0 || pick(4) == 0) {
        switch (pick(4)) {
        case 0: {
            const double literals[] = {0, 1, -1, 2, 0.5, 1.2, -3.25, 1e300, 10};
            return json(literals[pick(std::size(literals))]);
        }
        case 1: return json(pick(2) == 0);
        default: return json{{"var", fields[pick(fields.size())]}};
        }
    }
    struct Op {
        const char* name;
        std::size_t min_args;
        std::size_t max_args;
    };
    const Op ops[] = {{"<", 2, 3}, {"<=", 2, 3}, {">", 2, 2},  {">=", 2, 2},  {"==", 2, 2}, {"!=", 2, 2},
                      {"===", 2, 2}, {"!==", 2, 2}, {"+", 0, 3}, {"*", 1, 3}, {"-", 1, 2}, {"/", 2, 2},
                      {"!", 1, 1}, {"!!", 1, 1}, {"and", 1, 3}, {"or", 1, 3}, {"if", 1, 5}, {"?:", 3, 3}};
    const Op& op = ops[pick(std::size(ops))];
    const std::size_t count = op.min_args + pick(op.max_args - op.min_args + 1);
    json args = json::array();
    for (std::size_t i = 0; i < count; ++i) {
        args.push_back(random_expression(random, depth - 1, fields));
    }
    if (count == 1 && pick(2) == 0) {
        return json{{op.name, args[0]}};  // a lone argument may be given bare: {"!": x}
    }
    return json{{op.name, args}};
}
}  // namespace

TEST_CASE("jsonlogic: compiled rules agree with the interpreter wherever they answer", "[jsonlogic][rules]") {
    // Random expressions over numbers and booleans; each candidate's fields also as a JSON
    // context for the interpreter. Where the compiled form answers, the interpreter must give
    // the same value; where the interpreter throws (a non-finite result), the compiled form must
    // hand over.
    std::mt19937 random(20261128);
    const dsselect::RuleCandidate candidates[] = {
        {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, 1, 3, 1, 0.8, 12.5, 1.3e9, false},
        {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, 1, 0, 1, 0.0, 0.0, 0.0, true},
        {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, 1, 1, 1, 1.0, -2.0, 6.7e9, true},
    };
    const std::vector<std::string> fields = {"deployment.capacity_qps", "deployment.replicas", "deployment.quality",
                                             "deployment.output_dimensions_differ", "candidates.min_parameters"};
    int answered = 0;
    int handed_over = 0;
    for (int trial = 0; trial < 4000; ++trial) {
        const json expression = random_expression(random, 4, fields);
        const auto compiled = dsselect::detail::CompiledRule::compile(expression, test_reader);
        REQUIRE(compiled.has_value());  // only compiled operators and fields are generated
        for (const dsselect::RuleCandidate& c : candidates) {
            const json context = {{"deployment",
                                   {{"capacity_qps", c.capacity_qps},
                                    {"replicas", c.replicas},
                                    {"quality", c.quality},
                                    {"output_dimensions_differ", c.output_dimensions_differ}}},
                                  {"candidates", {{"min_parameters", c.min_parameters_among_feasible}}}};
            std::int64_t operations = 0;
            const auto fast = compiled->evaluate(c, operations);
            std::optional<json> slow;
            std::int64_t interpreted_operations = 0;
            try {
                dsselect::jsonlogic::Limits limits;
                limits.operations_used = &interpreted_operations;
                slow = dsselect::jsonlogic::apply(expression, context, limits);
            } catch (const dsselect::Error&) {
            }
            INFO(expression.dump() << " on " << context.dump());
            if (!fast) {
                ++handed_over;
                continue;
            }
            ++answered;
            REQUIRE(slow.has_value());
            CHECK(operations == interpreted_operations);  // the rule budget sees the same cost
            if (fast->is_number) {
                REQUIRE(slow->is_number());
                CHECK(slow->get<double>() == fast->number);
            } else {
                REQUIRE(slow->is_boolean());
                CHECK(slow->get<bool>() == fast->boolean);
            }
            CHECK(dsselect::jsonlogic::truthy(*slow) == fast->truthy());
        }
    }
    // Both paths are exercised.
    CHECK(answered > 3000);
    CHECK(handed_over > 100);
}

TEST_CASE("jsonlogic: expressions outside the compiled subset are not compiled", "[jsonlogic][rules]") {
    for (const char* text : {R"({"var": "deployment.capacity_qps.x"})", R"({"var": ["deployment.replicas", 1]})",
                             R"({"==": [{"var": "scenario.task_kind"}, "classification"]})", R"({"in": ["a", "abc"]})",
                             R"({"max": [1, 2]})", R"({"<": [1]})", R"(null)", R"([1, 2])", R"({"log": 1})"}) {
        INFO(text);
        CHECK_FALSE(dsselect::detail::CompiledRule::compile(json::parse(text), test_reader).has_value());
    }
    CHECK(dsselect::detail::CompiledRule::compile(json::parse(R"({"<": [{"var": "deployment.capacity_qps"}, {"*": [1.2, 3]}]})"),
                                                  test_reader)
              .has_value());
}

TEST_CASE("jsonlogic: compiled rules read the context fields the interpreter reads", "[jsonlogic][rules]") {
    // The real field readers on real candidates (costed, and not yet costed), against the
    // context the rules module builds for the interpreter.
    using namespace dsselect;
    const Scenario& s = test::builtin().scenario("customer-service");
    const Candidate judged = evaluate_candidate(test::builtin(), s, test::builtin_rules(), test::builtin().model("base"),
                                                test::builtin().variant("int8"), test::builtin().hardware_by_id("a40"), 2,
                                                SearchOptions{});
    REQUIRE(judged.costed);
    const RuleCandidate costed{&s, judged.model, judged.variant, judged.hardware, &judged.estimate, &judged.cost,
                               judged.gpus_per_replica, judged.replicas, judged.batch, judged.quality, judged.capacity_qps,
                               3e9, false};
    const RuleCandidate early = [&] {
        RuleCandidate copy = costed;
        copy.estimate = nullptr;  // estimate and cost fields are null: the compiled form hands over
        copy.cost = nullptr;
        return copy;
    }();
    std::vector<std::string> fields;
    for (const RuleCandidate* c : {&costed, &early}) {
        const json context = detail::full_context(*c);  // items() refers into it
        for (const auto& [group, leaves] : context.items()) {
            for (const auto& [leaf, value] : leaves.items()) {
                if (value.is_number() || value.is_boolean() || value.is_null()) {
                    fields.push_back(group + "." + leaf);
                }
            }
        }
    }
    std::sort(fields.begin(), fields.end());
    fields.erase(std::unique(fields.begin(), fields.end()), fields.end());
    REQUIRE(fields.size() > 30);
    std::mt19937 random(7);
    int answered = 0;
    for (int trial = 0; trial < 2000; ++trial) {
        const json expression = random_expression(random, 3, fields);
        const auto compiled = detail::CompiledRule::compile(expression, detail::context_field_reader);
        REQUIRE(compiled.has_value());
        for (const RuleCandidate* c : {&costed, &early}) {
            std::int64_t operations = 0;
            const auto fast = compiled->evaluate(*c, operations);
            if (!fast) {
                continue;
            }
            ++answered;
            INFO(expression.dump());
            const json slow = jsonlogic::apply(expression, detail::full_context(*c));
            CHECK(jsonlogic::truthy(slow) == fast->truthy());
            if (fast->is_number) {
                REQUIRE(slow.is_number());
                CHECK(slow.get<double>() == fast->number);
            } else {
                REQUIRE(slow.is_boolean());
                CHECK(slow.get<bool>() == fast->boolean);
            }
        }
    }
    CHECK(answered > 1000);
}

TEST_CASE("rules: compiled rules hand over non-finite fields and charge the budget as the interpreter does", "[rules]") {
    using namespace dsselect;
    const RuleSet rules = load_rules({{"compiled.json", R"({"schema_version":"1.0","rules":[
        {"id":"nan","effect":"reject","when":{"!":{"var":"deployment.capacity_qps"}}},
        {"id":"cap","effect":"reject","when":{"<":[{"var":"deployment.capacity_qps"},{"*":[1.2,{"var":"deployment.replicas"}]}]}}]})"}},
                                     false);
    const Scenario& s = test::builtin().scenario("customer-service");
    RuleCandidate c{&s, &test::builtin().models.front(), &test::builtin().variants.front(), &test::builtin().hardware.front(),
                    nullptr, nullptr, 1, 2, 1, 0.8, 10.0, 1e9, false};
    // NaN is falsy in JS: "!" of it holds. A compiled form that took NaN for a number would say
    // the opposite.
    c.capacity_qps = std::numeric_limits<double>::quiet_NaN();
    RuleSession session(rules);
    CHECK(session.apply(c, RulePhase::constraints).rejected_by == "nan");
    // A finite capacity: the compiled form answers both rules, and charges what the interpreter
    // counts for them.
    c.capacity_qps = 2.0;
    RuleBudget budget(1000);
    CHECK(session.apply(c, RulePhase::constraints, &budget).rejected_by == "cap");
    std::int64_t interpreted = 0;
    for (const Rule& rule : rules.rules) {
        std::int64_t used = 0;
        jsonlogic::Limits limits;
        limits.operations_used = &used;
        (void)jsonlogic::apply(*rule.when, detail::full_context(c), limits);
        interpreted += used;
    }
    CHECK(interpreted > 0);
    CHECK(budget.total() - budget.left() == interpreted);
    // Too little budget left: the interpreter runs and reports it.
    RuleBudget tiny(3);
    CHECK_THROWS_WITH(session.apply(c, RulePhase::constraints, &tiny), Catch::Contains("budget"));
}

TEST_CASE("rules: the count of missing_some is a field the rule reads", "[rules]") {
    using namespace dsselect;
    const RuleSet rules = load_rules({{"count.json", R"({"schema_version":"1.0","rules":[
        {"id":"m","effect":"warn","when":{"missing_some":[{"var":"deployment.replicas"},["model.id","variant.id"]]}}]})"}},
                                     false);
    // It reads the deployment: its result must not be remembered per model and variant.
    CHECK_FALSE(rules.memo_plans.back().memoize);
}

TEST_CASE("jsonlogic: 'in' on strings and var into a string are charged by the bytes they walk", "[jsonlogic]") {
    using dsselect::jsonlogic::Limits;
    const json data = {{"n", std::string(1'000'000, 'a') + "b"}, {"h", std::string(2'000'000, 'a')}, {"s", std::string(8'000'000, 'x')}};
    std::int64_t used = 0;
    Limits limits;
    limits.operations_used = &used;
    // A needle of 1 MB in a haystack of 2 MB: linear (it took 26 s), charged about 3 MB / 16.
    CHECK(dsselect::jsonlogic::apply(json::parse(R"({"in":[{"var":"n"},{"var":"h"}]})"), data, limits) == json(false));
    CHECK(used >= 3'000'000 / 16);
    CHECK(dsselect::jsonlogic::apply(json::parse(R"({"in":["ab",{"var":"n"}]})"), data, limits) == json(true));
    // One index into 8 MB is charged 8 MB / 16; two exceed the default budget of 1,000,000.
    CHECK(dsselect::jsonlogic::apply(json::parse(R"({"var":"s.3999999"})"), data, limits) == json("x"));
    CHECK(used >= 8'000'000 / 16);
    CHECK_THROWS_WITH(dsselect::jsonlogic::apply(json::parse(R"({"cat":[{"var":"s.1"},{"var":"s.2"},{"var":"s.length"}]})"), data),
                      Catch::Contains("exceeded the budget of 1000000 operations"));
}
