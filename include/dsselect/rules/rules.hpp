#pragma once
// Policy rules: JSON Logic expressions over a candidate's context, with an effect (reject,
// warn, or score with a weight). Shipped in data/rules.json, added with --rules FILE.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dsselect/rules/jsonlogic.hpp"
#include "dsselect/catalog/loader.hpp"
#include "dsselect/catalog/types.hpp"
#include "dsselect/estimate/estimator.hpp"
#include "dsselect/tco/tco.hpp"

namespace dsselect {

enum class RuleEffect { reject, warn, score };

struct Rule {
    std::string id;
    std::string description;
    std::string source;
    RuleEffect effect = RuleEffect::warn;
    double weight = 0.0;    // score rules: added weight * value when `when` holds
    std::string message;    // template: {model} {variant} {hardware} {scenario} are replaced
    std::shared_ptr<const nlohmann::json> when;
    std::shared_ptr<const nlohmann::json> value;  // score rules: numeric expression, default 1
    std::string origin;     // file: /rules/N
};

// What a rule's result depends on, when it can be remembered: a rule that reads only the
// scenario, the model, the variant, the hardware and the parameter counts gives the same result
// for every candidate that shares those (docs/jsonlogic.md, "Speed").
struct RuleMemoPlan {
    bool memoize = false;        // false: evaluated for every candidate
    bool model = false;          // reads model.* identity fields (id, family, shape)
    bool variant = false;        // reads variant.*
    bool hardware = false;       // reads hardware.*
    bool parameters = false;     // reads model.parameters or model.active_parameters
    bool min_parameters = false; // reads candidates.min_parameters
};

struct RuleSet {
    std::vector<Rule> rules;
    // Indices of the context fields the reject rules (constraint phase) and the warn and
    // score rules (scoring phase) read; rebuilt by index_fields() after changes.
    std::vector<std::size_t> constraint_fields;
    std::vector<std::size_t> scoring_fields;
    // Per rule, in the order of `rules`: whether and by what its result is remembered.
    std::vector<RuleMemoPlan> memo_plans;
    void index_fields();
};

// Loads rules from the builtin data (rules.json) and each extra file; later ids replace
// earlier ones. Every problem names the file and JSON pointer (invalid_data).
RuleSet load_rules(const std::vector<DataSource>& extra_files, bool include_builtin = true);
// Every problem of one rules document: malformed JSON, unknown fields, unknown operators,
// wrong arity, and var paths that are not context fields.
std::vector<std::string> check_rules_document(const DataSource& source);
// The context fields a rule may read (documented in docs/ranking.md).
bool is_context_path(const std::string& path);

// Everything a rule can see about one candidate.
struct RuleCandidate {
    const Scenario* scenario = nullptr;
    const Model* model = nullptr;
    const Variant* variant = nullptr;
    const Hardware* hardware = nullptr;
    const Estimate* estimate = nullptr;
    const TcoResult* cost = nullptr;  // may be null before costing
    std::int64_t gpus_per_replica = 1;
    std::int64_t replicas = 1;
    std::int64_t batch = 1;
    double quality = 0.0;
    double capacity_qps = 0.0;
    double min_parameters_among_feasible = 0.0;
    bool output_dimensions_differ = false;
};

struct RuleOutcome {
    std::string rejected_by;  // rule id, empty when no reject rule fired
    std::string message;
    std::vector<std::string> warnings;  // rule ids
    std::vector<std::string> warning_messages;
    double score = 0.0;
};

// Phase 1 (constraints): reject rules, inside the search. Phase 2 (scoring): warn and score
// rules, once the feasible candidates are known.
enum class RulePhase { constraints, scoring };
// Whether RuleSession::apply words what fired: a search judges thousands of candidates and
// shows a few, so its verdicts skip the sentences (rule messages filled from the candidate).
enum class RuleMessages { format, skip };
// The JSON Logic work one search may spend on its rules, across all candidates and threads: a
// rule that is cheap once but runs for thousands of candidates cannot make a search hang.
// Each evaluation also keeps its own limits (jsonlogic::Limits).
class RuleBudget {
public:
    static constexpr std::int64_t k_search_operations = 50'000'000;
    explicit RuleBudget(std::int64_t operations = k_search_operations);
    std::int64_t total() const { return m_total; }
    std::int64_t left() const { return m_left.load(); }
    // The limits of the next evaluation: the usual ones, or less when the budget runs low.
    jsonlogic::Limits limits_for_next() const;
    void spend(std::int64_t operations);
    // Whether an evaluation that stopped after `operations` ran out of this budget rather than
    // its own limit.
    bool exhausted_by(std::int64_t operations, const jsonlogic::Limits& limits) const;

private:
    std::int64_t m_total;
    std::atomic<std::int64_t> m_left;
};

// A rule expression (when, value) may have at most this many nodes.
inline constexpr std::size_t k_max_rule_nodes = 10'000;

// The rules' working state for many candidates of one search, on one thread: the context
// objects, rebuilt only where a candidate differs from the one before (a new model, variant or
// hardware; the estimate, deployment and cost always), and the remembered results of the rules
// that RuleMemoPlan allows. Candidates are told apart by the addresses of their scenario,
// model, variant and hardware, so a session must not outlive the catalog and scenario it saw.
class RuleSession {
public:
    explicit RuleSession(const RuleSet& rules);
    ~RuleSession();
    RuleSession(const RuleSession&) = delete;
    RuleSession& operator=(const RuleSession&) = delete;
    // With RuleMessages::skip the outcome carries the verdict only: rejected_by and score, no
    // message and no warnings (a search words them for the candidates it shows).
    RuleOutcome apply(const RuleCandidate& candidate, RulePhase phase, RuleBudget* budget = nullptr,
                      RuleMessages messages = RuleMessages::format);

private:
    struct State;
    std::unique_ptr<State> m_state;
};

// One candidate with a session of its own.
RuleOutcome apply_rules(const RuleSet& rules, const RuleCandidate& candidate, RulePhase phase,
                        RuleBudget* budget = nullptr);

// jsonlogic over text, for `dsselect rules eval`: returns the result as JSON text.
std::string evaluate_expression_text(const std::string& rule_text, const std::string& input_text);

}  // namespace dsselect
