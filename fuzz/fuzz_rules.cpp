// libFuzzer target: bytes split at the first newline into a JSON Logic rule and its input,
// evaluated as `dsselect rules eval` does; the whole buffer is also checked as a rules
// document (`dsselect rules check`). Only dsselect::Error may escape; anything else is a bug.
// The rule is also compiled (detail::CompiledRule) and run on two real candidates: wherever the
// compiled form answers, the interpreter must give the same value on the same context.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "dsselect/catalog/loader.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/rules/jsonlogic.hpp"
#include "dsselect/rules/rules.hpp"
#include "dsselect/select/search.hpp"
#include "rules/compiled_rule.hpp"

namespace {
struct Fixture {
    dsselect::Catalog catalog = dsselect::load_catalog({});
    dsselect::RuleSet rules = dsselect::load_rules({});
    dsselect::Candidate judged;
    dsselect::RuleCandidate costed;
    dsselect::RuleCandidate early;  // before the estimate and cost: those fields are null

    Fixture() {
        const dsselect::Scenario& s = catalog.scenario("customer-service");
        judged = dsselect::evaluate_candidate(catalog, s, rules, catalog.model("base"), catalog.variant("int8"),
                                              catalog.hardware_by_id("a40"), 2, dsselect::SearchOptions{});
        costed = {&s, judged.model, judged.variant, judged.hardware, &judged.estimate, &judged.cost,
                  judged.gpus_per_replica, judged.replicas, judged.batch, judged.quality, judged.capacity_qps, 3e9, false};
        early = costed;
        early.estimate = nullptr;
        early.cost = nullptr;
    }
};

// Compiled and interpreted evaluation of one expression must agree wherever the compiled one
// answers; abort() makes libFuzzer report the input.
void compare_paths(const nlohmann::json& expression) {
    static const Fixture fixture;
    const auto compiled = dsselect::detail::CompiledRule::compile(expression, dsselect::detail::context_field_reader);
    if (!compiled) {
        return;
    }
    for (const dsselect::RuleCandidate* c : {&fixture.costed, &fixture.early}) {
        std::int64_t operations = 0;
        const auto fast = compiled->evaluate(*c, operations);
        if (!fast) {
            continue;
        }
        nlohmann::json slow;
        try {
            slow = dsselect::jsonlogic::apply(expression, dsselect::detail::full_context(*c));
        } catch (const dsselect::Error&) {
            std::abort();  // the compiled form answered where the interpreter fails
        }
        const bool same = fast->is_number ? slow.is_number() && slow.get<double>() == fast->number
                                          : slow.is_boolean() && slow.get<bool>() == fast->boolean;
        if (!same || dsselect::jsonlogic::truthy(slow) != fast->truthy()) {
            std::abort();
        }
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const std::size_t newline = text.find('\n');
    const std::string rule = text.substr(0, newline);
    const std::string input = newline == std::string::npos ? std::string("{}") : text.substr(newline + 1);
    try {
        (void)dsselect::evaluate_expression_text(rule, input);
    } catch (const dsselect::Error&) {
    }
    try {
        (void)dsselect::check_rules_document(dsselect::DataSource{"fuzz-rules.json", text});
    } catch (const dsselect::Error&) {
    }
    const nlohmann::json expression = nlohmann::json::parse(rule, nullptr, false);
    if (!expression.is_discarded()) {
        compare_paths(expression);
    }
    return 0;
}
