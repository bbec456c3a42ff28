#include "dsselect/rules/rules.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "catalog/json_reader.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/rules/jsonlogic.hpp"

namespace dsselect {

using detail::json;
using detail::NumberRule;
using detail::ObjectReader;
using detail::Presence;
using detail::Problems;

namespace {
// The candidate context's fields: what rule authors may reference with "var".
const std::set<std::string> k_context_paths = {
    "scenario", "scenario.id", "scenario.task_kind", "scenario.numerically_sensitive", "scenario.qps",
    "scenario.prompt_tokens", "scenario.output_tokens", "scenario.context_tokens", "scenario.headroom",
    "model", "model.id", "model.family", "model.parameters", "model.active_parameters", "model.hidden_size",
    "model.vocab_size", "model.max_position_embeddings",
    "variant", "variant.id", "variant.weight_bits", "variant.quality_retention", "variant.risk_flags",
    "variant.compute_precision", "variant.parameter_fraction", "variant.active_fraction",
    "hardware", "hardware.id", "hardware.kind", "hardware.memory_gb", "hardware.tdp_w", "hardware.price_usd_per_hour",
    "estimate", "estimate.ttft_ms", "estimate.tpot_ms", "estimate.latency_ms", "estimate.qps", "estimate.power_w",
    "estimate.per_gpu_bytes", "estimate.weights_bytes",
    "deployment", "deployment.gpus_per_replica", "deployment.replicas", "deployment.batch", "deployment.quality",
    "deployment.capacity_qps", "deployment.output_dimensions_differ",
    "cost", "cost.total_usd", "cost.yearly_usd", "cost.weighted_index_usd",
    "candidates", "candidates.min_parameters"};

std::vector<Rule> read_rules_document(const DataSource& source, Problems& problems, bool check_expressions) {
    std::vector<Rule> rules;
    auto root = detail::parse_document(source.text, problems);
    if (!root) {
        return rules;
    }
    ObjectReader top(*root, "", problems);
    auto version = top.text("schema_version", Presence::required);
    if (version && *version != "1.0") {
        problems.add("/schema_version", fmt::format("unsupported schema_version \"{}\"; this dsselect reads \"1.0\"", *version));
    }
    top.ignore({"models", "variants", "hardware", "scenarios", "engines"});
    const json* list = top.member("rules");
    top.finish();
    if (list == nullptr) {
        return rules;
    }
    if (!list->is_array()) {
        problems.add("/rules", "expected an array, got " + detail::describe(*list));
        return rules;
    }
    std::set<std::string> seen;
    for (std::size_t index = 0; index < list->size(); ++index) {
        const std::string pointer = fmt::format("/rules/{}", index);
        ObjectReader reader((*list)[index], pointer, problems);
        Rule rule;
        rule.origin = source.name + ": " + pointer;
        rule.id = reader.text("id", Presence::required).value_or("");
        rule.description = reader.text("description").value_or("");
        rule.source = reader.text("source").value_or("");
        rule.message = reader.text("message").value_or(rule.description);
        if (auto effect = reader.text("effect", Presence::required)) {
            if (*effect == "reject") {
                rule.effect = RuleEffect::reject;
            } else if (*effect == "warn") {
                rule.effect = RuleEffect::warn;
            } else if (*effect == "score") {
                rule.effect = RuleEffect::score;
            } else {
                problems.add(reader.child("effect"), fmt::format("expected \"reject\", \"warn\" or \"score\", got \"{}\"", *effect));
            }
        }
        rule.weight = reader.number("weight", NumberRule::any_finite).value_or(rule.effect == RuleEffect::score ? 1.0 : 0.0);
        for (const char* key : {"when", "value"}) {
            const json* expression = reader.member(key, std::string(key) == "when" ? Presence::required : Presence::optional);
            if (expression == nullptr) {
                continue;
            }
            if (check_expressions) {
                for (const auto& issue : jsonlogic::check(*expression, [](const std::string& path) { return is_context_path(path); })) {
                    problems.add(reader.child(key) + issue.pointer, issue.message);
                }
            }
            auto shared = std::make_shared<const json>(*expression);
            (std::string(key) == "when" ? rule.when : rule.value) = shared;
        }
        reader.finish();
        if (!rule.id.empty() && !seen.insert(rule.id).second) {
            problems.add(pointer + "/id", fmt::format("duplicate rule id '{}'", rule.id));
            continue;
        }
        rules.push_back(std::move(rule));
    }
    return rules;
}

json context_json(const RuleCandidate& c) {
    const ParameterCounts parameters = model_parameters(*c.model);
    json context;
    const Scenario& s = *c.scenario;
    context["scenario"] = {{"id", s.id}, {"task_kind", s.task_kind}, {"numerically_sensitive", s.numerically_sensitive},
                           {"qps", s.workload.qps}, {"prompt_tokens", s.workload.prompt_tokens},
                           {"output_tokens", s.workload.output_tokens}, {"context_tokens", s.workload.context_tokens},
                           {"headroom", s.constraints.headroom}};
    const Architecture& a = c.model->architecture;
    context["model"] = {{"id", c.model->id}, {"family", c.model->family}, {"parameters", parameters.total},
                        {"active_parameters", parameters.active}, {"hidden_size", a.hidden_size},
                        {"vocab_size", a.vocab_size}, {"max_position_embeddings", a.max_position_embeddings}};
    const Variant& v = *c.variant;
    context["variant"] = {{"id", v.id}, {"weight_bits", v.weight_bits}, {"quality_retention", v.quality_retention},
                          {"risk_flags", v.risk_flags}, {"compute_precision", to_string(v.compute_precision)},
                          {"parameter_fraction", v.parameter_fraction}, {"active_fraction", v.active_fraction}};
    const Hardware& h = *c.hardware;
    context["hardware"] = {{"id", h.id}, {"kind", h.kind == HardwareKind::gpu ? "gpu" : "edge"}, {"memory_gb", h.memory_gb},
                           {"tdp_w", h.tdp_w}, {"price_usd_per_hour", h.price_usd_per_hour}};
    if (c.estimate != nullptr) {
        const Estimate& e = *c.estimate;
        context["estimate"] = {{"ttft_ms", e.performance.ttft_ms}, {"tpot_ms", e.performance.tpot_ms},
                               {"latency_ms", e.performance.latency_ms}, {"qps", e.performance.qps},
                               {"power_w", e.power_w}, {"per_gpu_bytes", e.memory.per_gpu_bytes},
                               {"weights_bytes", e.memory.weights_bytes}};
    }
    context["deployment"] = {{"gpus_per_replica", c.gpus_per_replica}, {"replicas", c.replicas}, {"batch", c.batch},
                             {"quality", c.quality}, {"capacity_qps", c.capacity_qps},
                             {"output_dimensions_differ", c.output_dimensions_differ}};
    if (c.cost != nullptr) {
        context["cost"] = {{"total_usd", c.cost->total_usd}, {"yearly_usd", c.cost->yearly_usd},
                           {"weighted_index_usd", c.cost->weighted_index_usd}};
    }
    context["candidates"] = {{"min_parameters", c.min_parameters_among_feasible}};
    return context;
}

std::string fill_template(std::string text, const RuleCandidate& c) {
    auto replace = [&text](const std::string& key, const std::string& value) {
        for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size())) {
            text.replace(at, key.size(), value);
        }
    };
    replace("{model}", c.model->id);
    replace("{variant}", c.variant->id);
    replace("{hardware}", c.hardware->id);
    replace("{scenario}", c.scenario->id);
    return text;
}
}  // namespace

bool is_context_path(const std::string& path) { return k_context_paths.count(path) > 0; }

RuleSet load_rules(const std::vector<DataSource>& extra_files, bool include_builtin) {
    std::vector<DataSource> sources;
    if (include_builtin) {
        for (auto& source : builtin_data_sources()) {
            if (source.name.find("rules.json") != std::string::npos) {
                sources.push_back(source);
            }
        }
    }
    sources.insert(sources.end(), extra_files.begin(), extra_files.end());
    RuleSet set;
    for (const DataSource& source : sources) {
        Problems problems(source.name);
        auto rules = read_rules_document(source, problems, true);
        if (!problems.empty()) {
            throw Error(ErrorKind::invalid_data, problems.list().front());
        }
        for (auto& rule : rules) {
            auto found = std::find_if(set.rules.begin(), set.rules.end(), [&](const Rule& r) { return r.id == rule.id; });
            if (found != set.rules.end()) {
                *found = std::move(rule);
            } else {
                set.rules.push_back(std::move(rule));
            }
        }
    }
    return set;
}

std::vector<std::string> check_rules_document(const DataSource& source) {
    Problems problems(source.name);
    read_rules_document(source, problems, true);
    return problems.list();
}

RuleOutcome apply_rules(const RuleSet& rules, const RuleCandidate& candidate, RulePhase phase) {
    RuleOutcome outcome;
    if (rules.rules.empty()) {
        return outcome;
    }
    const json context = context_json(candidate);
    for (const Rule& rule : rules.rules) {
        const bool scoring = rule.effect == RuleEffect::score;
        if (scoring != (phase == RulePhase::scoring)) {
            continue;
        }
        bool fired = false;
        try {
            fired = jsonlogic::apply_truthy(*rule.when, context);
        } catch (const Error& error) {
            throw error.with_context(rule.origin + "/when");
        }
        if (!fired) {
            continue;
        }
        switch (rule.effect) {
        case RuleEffect::reject:
            if (outcome.rejected_by.empty()) {
                outcome.rejected_by = rule.id;
                outcome.message = fill_template(rule.message, candidate);
            }
            break;
        case RuleEffect::warn:
            outcome.warnings.push_back(rule.id);
            outcome.warning_messages.push_back(fill_template(rule.message, candidate));
            break;
        case RuleEffect::score: {
            double value = 1.0;
            if (rule.value) {
                try {
                    json result = jsonlogic::apply(*rule.value, context);
                    if (!result.is_number()) {
                        throw Error(ErrorKind::invalid_data, "expected a number from 'value', got " + detail::describe(result));
                    }
                    value = result.get<double>();
                } catch (const Error& error) {
                    throw error.with_context(rule.origin + "/value");
                }
            }
            outcome.score += rule.weight * value;
            break;
        }
        }
    }
    return outcome;
}

std::string evaluate_expression_text(const std::string& rule_text, const std::string& input_text) {
    Problems rule_problems("--rule");
    auto rule = detail::parse_document(rule_text, rule_problems);
    if (!rule) {
        throw Error(ErrorKind::invalid_data, rule_problems.list().front());
    }
    Problems input_problems("--input");
    auto input = detail::parse_document(input_text, input_problems);
    if (!input) {
        throw Error(ErrorKind::invalid_data, input_problems.list().front());
    }
    return jsonlogic::apply(*rule, *input).dump() + "\n";
}

}  // namespace dsselect
