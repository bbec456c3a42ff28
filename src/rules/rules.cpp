#include "dsselect/rules/rules.hpp"

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <bit>
#include <string_view>
#include <unordered_map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/json_reader.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/core/schema_version.hpp"
#include "dsselect/rules/jsonlogic.hpp"
#include "rules/compiled_rule.hpp"

namespace dsselect {

using detail::json;
using detail::NumberRule;
using detail::ObjectReader;
using detail::Presence;
using detail::Problems;

namespace {
// The candidate context's fields: what rule authors may reference with "var", each with how
// it is read from a candidate. Only the fields the loaded rules reference are built per
// candidate (see RuleSet::fields), which keeps rule evaluation cheap inside the search.
struct ContextField {
    const char* path;
    json (*get)(const RuleCandidate& c);
};

const char* kind_name(const Hardware& h) { return h.kind == HardwareKind::gpu ? "gpu" : "edge"; }

const ContextField k_context_fields[] = {
    {"scenario.id", [](const RuleCandidate& c) { return json(c.scenario->id); }},
    {"scenario.task_kind", [](const RuleCandidate& c) { return json(c.scenario->task_kind); }},
    {"scenario.numerically_sensitive", [](const RuleCandidate& c) { return json(c.scenario->numerically_sensitive); }},
    {"scenario.qps", [](const RuleCandidate& c) { return json(c.scenario->workload.qps); }},
    {"scenario.prompt_tokens", [](const RuleCandidate& c) { return json(c.scenario->workload.prompt_tokens); }},
    {"scenario.output_tokens", [](const RuleCandidate& c) { return json(c.scenario->workload.output_tokens); }},
    {"scenario.context_tokens", [](const RuleCandidate& c) { return json(c.scenario->workload.context_tokens); }},
    {"scenario.headroom", [](const RuleCandidate& c) { return json(c.scenario->constraints.headroom); }},
    {"model.id", [](const RuleCandidate& c) { return json(c.model->id); }},
    {"model.family", [](const RuleCandidate& c) { return json(c.model->family); }},
    {"model.parameters", [](const RuleCandidate& c) { return json(c.estimate != nullptr ? c.estimate->parameters.total : model_parameters(*c.model).total); }},
    {"model.active_parameters", [](const RuleCandidate& c) { return json(c.estimate != nullptr ? c.estimate->parameters.active : model_parameters(*c.model).active); }},
    {"model.hidden_size", [](const RuleCandidate& c) { return json(c.model->architecture.hidden_size); }},
    {"model.vocab_size", [](const RuleCandidate& c) { return json(c.model->architecture.vocab_size); }},
    {"model.max_position_embeddings", [](const RuleCandidate& c) { return json(c.model->architecture.max_position_embeddings); }},
    {"variant.id", [](const RuleCandidate& c) { return json(c.variant->id); }},
    {"variant.weight_bits", [](const RuleCandidate& c) { return json(c.variant->weight_bits); }},
    {"variant.quality_retention", [](const RuleCandidate& c) { return json(c.variant->quality_retention); }},
    {"variant.risk_flags", [](const RuleCandidate& c) { return json(c.variant->risk_flags); }},
    {"variant.compute_precision", [](const RuleCandidate& c) { return json(to_string(c.variant->compute_precision)); }},
    {"variant.parameter_fraction", [](const RuleCandidate& c) { return json(c.variant->parameter_fraction); }},
    {"variant.active_fraction", [](const RuleCandidate& c) { return json(c.variant->active_fraction); }},
    {"hardware.id", [](const RuleCandidate& c) { return json(c.hardware->id); }},
    {"hardware.kind", [](const RuleCandidate& c) { return json(kind_name(*c.hardware)); }},
    {"hardware.memory_gb", [](const RuleCandidate& c) { return json(c.hardware->memory_gb); }},
    {"hardware.tdp_w", [](const RuleCandidate& c) { return json(c.hardware->tdp_w); }},
    {"hardware.price_usd_per_hour", [](const RuleCandidate& c) { return json(c.hardware->price_usd_per_hour); }},
    {"hardware.consumer", [](const RuleCandidate& c) { return json(c.hardware->consumer); }},
    {"estimate.ttft_ms", [](const RuleCandidate& c) { return c.estimate ? json(c.estimate->performance.ttft_ms) : json(); }},
    {"estimate.tpot_ms", [](const RuleCandidate& c) { return c.estimate ? json(c.estimate->performance.tpot_ms) : json(); }},
    {"estimate.latency_ms", [](const RuleCandidate& c) { return c.estimate ? json(c.estimate->performance.latency_ms) : json(); }},
    {"estimate.qps", [](const RuleCandidate& c) { return c.estimate ? json(c.estimate->performance.qps) : json(); }},
    {"estimate.power_w", [](const RuleCandidate& c) { return c.estimate ? json(c.estimate->power_w) : json(); }},
    {"estimate.per_gpu_bytes", [](const RuleCandidate& c) { return c.estimate ? json(c.estimate->memory.per_gpu_bytes) : json(); }},
    {"estimate.weights_bytes", [](const RuleCandidate& c) { return c.estimate ? json(c.estimate->memory.weights_bytes) : json(); }},
    {"deployment.gpus_per_replica", [](const RuleCandidate& c) { return json(c.gpus_per_replica); }},
    {"deployment.replicas", [](const RuleCandidate& c) { return json(c.replicas); }},
    {"deployment.batch", [](const RuleCandidate& c) { return json(c.batch); }},
    {"deployment.quality", [](const RuleCandidate& c) { return json(c.quality); }},
    {"deployment.capacity_qps", [](const RuleCandidate& c) { return json(c.capacity_qps); }},
    {"deployment.output_dimensions_differ", [](const RuleCandidate& c) { return json(c.output_dimensions_differ); }},
    {"cost.total_usd", [](const RuleCandidate& c) { return c.cost ? json(c.cost->total_usd) : json(); }},
    {"cost.yearly_usd", [](const RuleCandidate& c) { return c.cost ? json(c.cost->yearly_usd) : json(); }},
    {"cost.weighted_index_usd", [](const RuleCandidate& c) { return c.cost ? json(c.cost->weighted_index_usd) : json(); }},
    {"candidates.min_parameters", [](const RuleCandidate& c) { return json(c.min_parameters_among_feasible); }},
};
constexpr std::size_t k_context_field_count = sizeof(k_context_fields) / sizeof(k_context_fields[0]);

// Whether var path `path` reads field `field`: equal, a group of it ("model"), or inside it
// ("variant.risk_flags.0").
bool path_reads(const std::string& path, const std::string& field) {
    if (path.empty() || path == field) {
        return true;
    }
    auto starts_with = [](const std::string& text, const std::string& prefix) {
        return text.size() > prefix.size() && text.compare(0, prefix.size(), prefix) == 0 && text[prefix.size()] == '.';
    };
    return starts_with(field, path) || starts_with(path, field);
}

// Collects the literal var/missing paths of an expression; false when a path is computed or
// an operator rescopes the data (map, filter, ...), in which case every field is needed.
bool collect_paths(const json& expression, std::vector<std::string>& paths, int depth = 0) {
    if (depth > 200) {
        return false;
    }
    if (expression.is_array()) {
        for (const auto& item : expression) {
            if (!collect_paths(item, paths, depth + 1)) {
                return false;
            }
        }
        return true;
    }
    if (!expression.is_object() || expression.size() != 1) {
        return true;
    }
    const auto first = expression.begin();  // an iterator into the expression, not a temporary proxy
    const std::string& op = first.key();
    const json& args = first.value();
    static const std::set<std::string> k_rescoping = {"map", "filter", "reduce", "all", "none", "some"};
    if (k_rescoping.count(op) > 0) {
        return false;
    }
    if (op == "var" || op == "missing" || op == "missing_some") {
        const json list = args.is_array() ? args : json::array({args});
        for (std::size_t i = 0; i < list.size(); ++i) {
            const json& item = list[i];
            if (op == "var" && i > 0) {
                return collect_paths(item, paths, depth + 1);  // the default value
            }
            if (op == "missing_some" && i == 0) {
                // The count is evaluated too, and may read fields of its own.
                if (!collect_paths(item, paths, depth + 1)) {
                    return false;
                }
                continue;
            }
            if (item.is_string()) {
                paths.push_back(item.get<std::string>());
            } else if (item.is_number()) {
                paths.push_back(item.dump());
            } else if (item.is_null()) {
                paths.emplace_back();
            } else if (item.is_array() && op == "missing_some") {
                for (const auto& key : item) {
                    if (!key.is_string()) {
                        return false;
                    }
                    paths.push_back(key.get<std::string>());
                }
            } else {
                return false;
            }
        }
        return true;
    }
    return collect_paths(args, paths, depth + 1);
}

// "group.leaf" of each context field, split once.
const std::vector<std::pair<std::string, std::string>>& split_field_paths() {
    static const std::vector<std::pair<std::string, std::string>> k_split = [] {
        std::vector<std::pair<std::string, std::string>> split;
        for (const ContextField& field : k_context_fields) {
            const std::string path = field.path;
            const std::size_t dot = path.find('.');
            split.emplace_back(path.substr(0, dot), path.substr(dot + 1));
        }
        return split;
    }();
    return k_split;
}

// Which candidates share a context field's value within one search: those with the same
// scenario, model, variant or hardware; or none (estimate, deployment, cost, and the parameter
// counts, which come from the estimate).
enum class FieldOwner { scenario, model, variant, hardware, parameters, min_parameters, candidate };

FieldOwner owner_of(std::string_view path) {
    if (path == "model.parameters" || path == "model.active_parameters") {
        return FieldOwner::parameters;
    }
    if (path == "candidates.min_parameters") {
        return FieldOwner::min_parameters;
    }
    if (path.starts_with("scenario.")) {
        return FieldOwner::scenario;
    }
    if (path.starts_with("model.")) {
        return FieldOwner::model;
    }
    if (path.starts_with("variant.")) {
        return FieldOwner::variant;
    }
    if (path.starts_with("hardware.")) {
        return FieldOwner::hardware;
    }
    return FieldOwner::candidate;
}

// Values in an expression (operators, arguments, literals), counted without recursion.
std::size_t count_nodes(const json& root) {
    std::size_t nodes = 0;
    std::vector<const json*> pending{&root};
    while (!pending.empty()) {
        const json* node = pending.back();
        pending.pop_back();
        ++nodes;
        if (node->is_structured()) {
            for (const json& child : *node) {
                pending.push_back(&child);
            }
        }
    }
    return nodes;
}

std::vector<Rule> read_rules_document(const DataSource& source, Problems& problems, bool check_expressions) {
    std::vector<Rule> rules;
    auto root = detail::parse_document(source.text, problems);
    if (!root) {
        return rules;
    }
    ObjectReader top(*root, "", problems);
    auto version = top.text("schema_version", Presence::required);
    if (version && !readable_schema_version(*version)) {
        problems.add("/schema_version",
                     fmt::format("unsupported schema_version \"{}\"; this dsselect reads {}", *version, k_readable_schema_versions));
    }
    top.ignore({"models", "variants", "hardware", "scenarios", "engines", "multi_task"});
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
            if (const std::size_t nodes = count_nodes(*expression); nodes > k_max_rule_nodes) {
                problems.add(reader.child(key), fmt::format("the expression has {} nodes, more than {} (a rule runs for "
                                                            "every candidate: split it, or move data into the catalog)",
                                                            nodes, k_max_rule_nodes));
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

bool is_context_path(const std::string& path) {
    for (const ContextField& field : k_context_fields) {
        if (path_reads(path, field.path)) {
            return true;
        }
    }
    return false;
}

namespace {
bool writes_log(const Rule& rule) {
    return rule.when->dump().find("\"log\"") != std::string::npos ||
           (rule.value && rule.value->dump().find("\"log\"") != std::string::npos);
}

// The context fields one rule reads; every field when a path is computed or an operator
// rescopes the data.
std::vector<std::size_t> fields_of(const Rule& rule) {
    std::vector<std::string> paths;
    const bool literal = collect_paths(*rule.when, paths) && (!rule.value || collect_paths(*rule.value, paths));
    std::vector<std::size_t> needed;
    for (std::size_t i = 0; i < k_context_field_count; ++i) {
        if (!literal || std::any_of(paths.begin(), paths.end(), [&](const std::string& path) {
                return path_reads(path, k_context_fields[i].path);
            })) {
            needed.push_back(i);
        }
    }
    return needed;
}

RuleMemoPlan memo_plan(const Rule& rule, const std::vector<std::size_t>& fields) {
    RuleMemoPlan plan;
    if (writes_log(rule)) {
        return plan;  // each evaluation must log
    }
    for (std::size_t field : fields) {
        switch (owner_of(k_context_fields[field].path)) {
        case FieldOwner::scenario: break;
        case FieldOwner::model: plan.model = true; break;
        case FieldOwner::variant: plan.variant = true; break;
        case FieldOwner::hardware: plan.hardware = true; break;
        case FieldOwner::parameters: plan.parameters = true; break;
        case FieldOwner::min_parameters: plan.min_parameters = true; break;
        case FieldOwner::candidate: return RuleMemoPlan{};
        }
    }
    plan.memoize = true;
    return plan;
}
}  // namespace

void RuleSet::index_fields() {
    constraint_fields.clear();
    scoring_fields.clear();
    memo_plans.clear();
    for (const Rule& rule : rules) {
        const std::vector<std::size_t> fields = fields_of(rule);
        std::vector<std::size_t>& phase = rule.effect == RuleEffect::reject ? constraint_fields : scoring_fields;
        phase.insert(phase.end(), fields.begin(), fields.end());
        memo_plans.push_back(memo_plan(rule, fields));
    }
    for (std::vector<std::size_t>* phase : {&constraint_fields, &scoring_fields}) {
        std::sort(phase->begin(), phase->end());
        phase->erase(std::unique(phase->begin(), phase->end()), phase->end());
    }
}

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
    set.index_fields();
    return set;
}

std::vector<std::string> check_rules_document(const DataSource& source) {
    Problems problems(source.name);
    read_rules_document(source, problems, true);
    return problems.list();
}

RuleBudget::RuleBudget(std::int64_t operations) : m_total(operations), m_left(operations) {}

jsonlogic::Limits RuleBudget::limits_for_next() const {
    jsonlogic::Limits limits;
    limits.max_operations = std::min(limits.max_operations, std::max<std::int64_t>(m_left.load(), 0));
    return limits;
}

void RuleBudget::spend(std::int64_t operations) { m_left -= operations; }

bool RuleBudget::exhausted_by(std::int64_t operations, const jsonlogic::Limits& limits) const {
    return operations > limits.max_operations && limits.max_operations < jsonlogic::Limits{}.max_operations;
}

namespace {
// One evaluation, charged to the search's budget when there is one.
template <typename Evaluate>
auto evaluate_within(RuleBudget* budget, const Rule& rule, Evaluate evaluate) {
    if (budget == nullptr) {
        return evaluate(jsonlogic::Limits{});
    }
    std::int64_t used = 0;
    jsonlogic::Limits limits = budget->limits_for_next();
    limits.operations_used = &used;
    try {
        auto result = evaluate(limits);
        budget->spend(used);
        return result;
    } catch (const Error&) {
        budget->spend(used);
        if (budget->exhausted_by(used, limits)) {
            throw Error(ErrorKind::invalid_data,
                        fmt::format("the policy rules used up the search's budget of {} JSON Logic operations (rule '{}' "
                                    "was running); simplify the rules, or use fewer of them",
                                    budget->total(), rule.id));
        }
        throw;
    }
}
}  // namespace

namespace {
// What a rule gave for one context: fired, and a score rule's value.
struct RuleResult {
    bool fired = false;
    double value = 1.0;
};

RuleResult evaluate_rule(const Rule& rule, const json& context, RuleBudget* budget) {
    RuleResult result;
    try {
        result.fired = evaluate_within(budget, rule, [&](const jsonlogic::Limits& limits) {
            return jsonlogic::apply_truthy(*rule.when, context, limits);
        });
    } catch (const Error& error) {
        throw error.with_context(rule.origin + "/when");
    }
    if (result.fired && rule.effect == RuleEffect::score && rule.value) {
        try {
            json value = evaluate_within(budget, rule, [&](const jsonlogic::Limits& limits) {
                return jsonlogic::apply(*rule.value, context, limits);
            });
            if (!value.is_number()) {
                throw Error(ErrorKind::invalid_data, "expected a number from 'value', got " + detail::describe(value));
            }
            result.value = value.get<double>();
        } catch (const Error& error) {
            throw error.with_context(rule.origin + "/value");
        }
    }
    return result;
}

// A remembered result's key: what the rule's RuleMemoPlan says it depends on, the rest zero.
struct MemoKey {
    const void* scenario = nullptr;
    const void* model = nullptr;
    const void* variant = nullptr;
    const void* hardware = nullptr;
    double parameters = 0;
    double active_parameters = 0;
    double min_parameters = 0;
    bool operator==(const MemoKey&) const = default;
};

struct MemoKeyHash {
    std::size_t operator()(const MemoKey& key) const {
        std::size_t hash = 0;
        auto mix = [&hash](std::size_t value) { hash ^= value + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2); };
        mix(std::hash<const void*>{}(key.scenario));
        mix(std::hash<const void*>{}(key.model));
        mix(std::hash<const void*>{}(key.variant));
        mix(std::hash<const void*>{}(key.hardware));
        mix(std::bit_cast<std::uint64_t>(key.parameters));
        mix(std::bit_cast<std::uint64_t>(key.active_parameters));
        mix(std::bit_cast<std::uint64_t>(key.min_parameters));
        return hash;
    }
};

double parameters_field(const RuleCandidate& c, bool active) {
    const ParameterCounts counts = c.estimate != nullptr ? c.estimate->parameters : model_parameters(*c.model);
    return static_cast<double>(active ? counts.active : counts.total);
}
}  // namespace

struct RuleSession::State {
    // The context of one phase: a JSON object whose leaves are overwritten in place (std::map
    // nodes, so the leaf pointers stay valid); allocating it anew per candidate was most of the
    // rules' cost.
    struct Context {
        json object = json::object();
        std::vector<std::size_t> fields;
        std::vector<json*> leaves;  // in the order of `fields`
        std::vector<FieldOwner> owners;
        // The owners of the values in the leaves now; null before the first fill.
        const Scenario* scenario = nullptr;
        const Model* model = nullptr;
        const Variant* variant = nullptr;
        const Hardware* hardware = nullptr;

        void build(const std::vector<std::size_t>& needed) {
            const auto& split = split_field_paths();
            fields = needed;
            for (std::size_t index : fields) {
                leaves.push_back(&object[split[index].first][split[index].second]);
                owners.push_back(owner_of(k_context_fields[index].path));
            }
        }
        void fill(const RuleCandidate& c) {
            for (std::size_t i = 0; i < fields.size(); ++i) {
                const FieldOwner owner = owners[i];
                const bool same = (owner == FieldOwner::scenario && c.scenario == scenario) ||
                                  (owner == FieldOwner::model && c.model == model) ||
                                  (owner == FieldOwner::variant && c.variant == variant) ||
                                  (owner == FieldOwner::hardware && c.hardware == hardware);
                if (!same) {
                    *leaves[i] = k_context_fields[fields[i]].get(c);
                }
            }
            scenario = c.scenario;
            model = c.model;
            variant = c.variant;
            hardware = c.hardware;
        }
    };

    // A rule's `when` and `value` compiled (detail::CompiledRule), when they can be.
    struct Compiled {
        std::optional<detail::CompiledRule> when;
        std::optional<detail::CompiledRule> value;
        bool usable = false;  // `when` compiled, and `value` too when the rule has one
    };

    const RuleSet& rules;
    Context contexts[2];  // constraints, scoring
    // A rule's remembered results. Candidates come in model, variant, hardware order, so one
    // mostly has the key of the one before: the last key is checked before the map.
    struct Memo {
        std::unordered_map<MemoKey, RuleResult, MemoKeyHash> results;
        bool has_last = false;
        MemoKey last_key;
        RuleResult last_result;
    };
    std::vector<Memo> memos;  // per rule
    std::vector<Compiled> compiled;  // per rule
    // The rules of each phase (constraints: reject; scoring: warn and score), in rule order.
    std::vector<std::size_t> in_phase[2];

    explicit State(const RuleSet& set) : rules(set), memos(set.rules.size()), compiled(set.rules.size()) {
        if (set.memo_plans.size() != set.rules.size()) {
            throw std::logic_error("RuleSession: the rule set was changed without RuleSet::index_fields()");
        }
        for (std::size_t i = 0; i < set.rules.size(); ++i) {
            in_phase[set.rules[i].effect == RuleEffect::reject ? 0 : 1].push_back(i);
        }
        contexts[0].build(set.constraint_fields);
        contexts[1].build(set.scoring_fields);
        for (std::size_t i = 0; i < set.rules.size(); ++i) {
            const Rule& rule = set.rules[i];
            Compiled& c = compiled[i];  // 'log' is not compiled: such rules always reach the interpreter
            c.when = detail::CompiledRule::compile(*rule.when, detail::context_field_reader);
            if (rule.value) {
                c.value = detail::CompiledRule::compile(*rule.value, detail::context_field_reader);
            }
            c.usable = c.when.has_value() && (!rule.value || c.value.has_value());
        }
    }

    // The rule's result from its compiled form; nullopt when the interpreter must decide (a
    // value the compiled form does not handle, or a budget too low to be sure of).
    std::optional<RuleResult> evaluate_compiled(std::size_t i, const RuleCandidate& candidate, RuleBudget* budget) const {
        const Compiled& c = compiled[i];
        if (!c.usable) {
            return std::nullopt;
        }
        const std::int64_t most = static_cast<std::int64_t>(c.when->size() + (c.value ? c.value->size() : 0));
        if (budget != nullptr && budget->left() < most) {
            return std::nullopt;  // the interpreter reports the exhausted budget
        }
        // Charged only when the compiled form answers; otherwise the interpreter charges.
        std::int64_t operations = 0;
        RuleResult result;
        const auto when = c.when->evaluate(candidate, operations);
        if (!when) {
            return std::nullopt;
        }
        result.fired = when->truthy();
        if (result.fired && rules.rules[i].effect == RuleEffect::score && c.value) {
            const auto value = c.value->evaluate(candidate, operations);
            if (!value || !value->is_number) {
                return std::nullopt;  // the interpreter says what 'value' gave instead of a number
            }
            result.value = value->number;
        }
        if (budget != nullptr) {
            budget->spend(operations);
        }
        return result;
    }
};

RuleSession::RuleSession(const RuleSet& rules) : m_state(std::make_unique<State>(rules)) {}
RuleSession::~RuleSession() = default;

RuleOutcome RuleSession::apply(const RuleCandidate& candidate, RulePhase phase, RuleBudget* budget,
                               RuleMessages messages) {
    RuleOutcome outcome;
    const RuleSet& rules = m_state->rules;
    const bool constraints = phase == RulePhase::constraints;
    // Reject rules decide feasibility during the search; warn and score rules run once the
    // feasible set is known (they may compare against it, e.g. candidates.min_parameters).
    const std::vector<std::size_t>& in_phase = m_state->in_phase[constraints ? 0 : 1];
    if (in_phase.empty()) {
        return outcome;
    }
    State::Context& context = m_state->contexts[constraints ? 0 : 1];
    bool filled = false;
    for (const std::size_t i : in_phase) {
        const Rule& rule = rules.rules[i];
        const RuleMemoPlan& plan = rules.memo_plans[i];
        RuleResult result;
        auto evaluate = [&] {
            if (auto fast = m_state->evaluate_compiled(i, candidate, budget)) {
                return *fast;
            }
            if (!filled) {
                context.fill(candidate);
                filled = true;
            }
            return evaluate_rule(rule, context.object, budget);
        };
        if (plan.memoize) {
            MemoKey key;
            key.scenario = candidate.scenario;
            key.model = plan.model ? candidate.model : nullptr;
            key.variant = plan.variant ? candidate.variant : nullptr;
            key.hardware = plan.hardware ? candidate.hardware : nullptr;
            key.parameters = plan.parameters ? parameters_field(candidate, false) : 0;
            key.active_parameters = plan.parameters ? parameters_field(candidate, true) : 0;
            key.min_parameters = plan.min_parameters ? candidate.min_parameters_among_feasible : 0;
            State::Memo& memo = m_state->memos[i];
            if (memo.has_last && memo.last_key == key) {
                result = memo.last_result;
            } else {
                const auto found = memo.results.find(key);
                if (found != memo.results.end()) {
                    result = found->second;
                } else {
                    result = evaluate();
                    memo.results.emplace(key, result);
                }
                memo.has_last = true;
                memo.last_key = key;
                memo.last_result = result;
            }
        } else {
            result = evaluate();
        }
        if (!result.fired) {
            continue;
        }
        switch (rule.effect) {
        case RuleEffect::reject:
            if (outcome.rejected_by.empty()) {
                outcome.rejected_by = rule.id;
                if (messages == RuleMessages::format) {
                    outcome.message = fill_template(rule.message, candidate);
                }
            }
            break;
        case RuleEffect::warn:
            if (messages == RuleMessages::format) {
                outcome.warnings.push_back(rule.id);
                outcome.warning_messages.push_back(fill_template(rule.message, candidate));
            }
            break;
        case RuleEffect::score:
            outcome.score += rule.weight * result.value;
            break;
        }
    }
    return outcome;
}

namespace detail {
FieldReader context_field_reader(std::string_view path) {
    for (const ContextField& field : k_context_fields) {
        if (path == field.path) {
            return field.get;
        }
    }
    return nullptr;
}

json full_context(const RuleCandidate& candidate) {
    json context = json::object();
    const auto& split = split_field_paths();
    for (std::size_t i = 0; i < k_context_field_count; ++i) {
        context[split[i].first][split[i].second] = k_context_fields[i].get(candidate);
    }
    return context;
}
}  // namespace detail

RuleOutcome apply_rules(const RuleSet& rules, const RuleCandidate& candidate, RulePhase phase, RuleBudget* budget) {
    RuleSession session(rules);
    return session.apply(candidate, phase, budget);
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
    try {
        return jsonlogic::apply(*rule, *input).dump() + "\n";
    } catch (const Error& error) {
        throw error.with_context("--rule");
    }
}

}  // namespace dsselect
