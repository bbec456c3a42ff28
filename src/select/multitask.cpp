// Multi-task plans: one shared base with unmerged adapters, separate models, and a mixed plan.
// The method is documented in docs/multitask.md.
#include "dsselect/select/multitask.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "dsselect/estimate/estimator.hpp"
#include "select/rule_context.hpp"
#include "select/score.hpp"

namespace dsselect {

const char* to_string(PlanKind kind) {
    switch (kind) {
    case PlanKind::shared: return "shared";
    case PlanKind::separate: return "separate";
    case PlanKind::mixed: return "mixed";
    }
    return "shared";
}

double parameter_reuse_rate(const std::vector<PlanDeployment>& deployments) {
    double shared = 0.0;
    double total = 0.0;
    for (const PlanDeployment& d : deployments) {
        total += d.base_parameters + d.adapter_parameters;
        if (d.task_ids.size() >= 2) {
            shared += d.base_parameters;
        }
    }
    return total > 0.0 ? shared / total : 0.0;
}

namespace {

using TaskList = std::vector<const TaskSpec*>;

// How a deployment serves its tasks: one base with unmerged adapters, or one model per task
// with its adapter merged into the weights.
enum class Adapters { served, merged };

double share_of(const TaskList& tasks) {
    double share = 0.0;
    for (const TaskSpec* task : tasks) {
        share += task->share;
    }
    return share;
}

const std::string& kind_of(const TaskSpec& task, const Scenario& s) {
    return task.task_kind.empty() ? s.task_kind : task.task_kind;
}

std::optional<double> floor_of(const TaskSpec& task, const Scenario& s) {
    return task.min_quality ? task.min_quality : s.constraints.min_quality;
}

// The scenario one deployment is searched for: its tasks' share of the load; with
// Adapters::served, its tasks ride as unmerged adapters; with Adapters::merged the single task's adapter is
// merged into a separately deployed model (no adapter at serving time).
Scenario deployment_scenario(const Scenario& s, const TaskList& tasks, Adapters adapters) {
    Scenario out = s;
    out.workload.qps = s.workload.qps * share_of(tasks);
    out.tasks.clear();
    if (adapters == Adapters::served) {
        // Each task keeps its own floor and kind, the scenario's when it states none, so the
        // search applies them even where the scoped scenario drops its own floor (mixed).
        for (const TaskSpec* task : tasks) {
            TaskSpec scoped = *task;
            scoped.min_quality = floor_of(*task, s);
            scoped.task_kind = kind_of(*task, s);
            out.tasks.push_back(scoped);
        }
    } else {
        const TaskSpec& task = *tasks.front();
        out.id = s.id + "/" + task.id;
        out.task_kind = kind_of(task, s);
        out.constraints.min_quality = floor_of(task, s);
    }
    return out;
}

// Quality of one task on a candidate: the model's figure for the task kind times the
// variant's retention; nullopt without a figure.
std::optional<double> task_quality(const Candidate& c, const TaskSpec& task, const Scenario& s) {
    const auto base = c.model->quality_for(kind_of(task, s));
    if (!base) {
        return std::nullopt;
    }
    return *base * c.variant->quality_retention;
}

// The first task whose quality floor the candidate misses, as a sentence; empty when none.
std::string quality_miss(const Candidate& c, const TaskList& tasks, const Scenario& s) {
    for (const TaskSpec* task : tasks) {
        const auto floor = floor_of(*task, s);
        if (!floor) {
            continue;
        }
        const auto quality = task_quality(c, *task, s);
        if (!quality) {
            if (*floor <= 0.0) {
                continue;  // a floor of 0 asks for nothing; an unknown figure meets it (docs/quality.md)
            }
            return fmt::format("task '{}': '{}' has no published quality figure for task kind '{}'; add one with "
                               "--data (docs/quality.md)",
                               task->id, c.model->id, kind_of(*task, s));
        }
        if (*quality < *floor) {
            return fmt::format("task '{}': needs quality >= {:.6g}, {} has {:.6g}", task->id, *floor, c.label(), *quality);
        }
    }
    return {};
}

std::string nothing_satisfies(const SearchResult& r) {
    std::string top_reason;
    std::int64_t top_count = 0;
    for (const auto& [reason, count] : r.rejected_by_reason) {
        if (count > top_count) {
            top_reason = reason;
            top_count = count;
        }
    }
    return fmt::format("nothing satisfies '{}' ({} candidates; most rejected by {}: {})", r.scenario.id,
                       r.candidates_evaluated, top_reason.empty() ? "none" : top_reason, top_count);
}

PlanDeployment make_deployment(const Candidate& c, const TaskList& tasks, const Scenario& s, Adapters adapters,
                               const Catalog& catalog) {
    PlanDeployment d;
    for (const TaskSpec* task : tasks) {
        d.task_ids.push_back(task->id);
        const std::optional<double> floor = floor_of(*task, s);
        const std::optional<double> quality = task_quality(c, *task, s);
        d.floors.push_back({.task_id = task->id,
                            .min_quality = floor,
                            .quality = quality,
                            .met = !floor || (quality ? *quality >= *floor : *floor <= 0.0)});
    }
    d.candidate = c;
    d.qps = s.workload.qps * share_of(tasks);
    d.base_parameters = c.estimate.kept_parameters;
    if (adapters == Adapters::served) {
        d.adapters = static_cast<std::int64_t>(tasks.size());
        d.adapter_parameters = c.estimate.adapter_parameters;
        d.adapter_bytes = c.estimate.memory.adapter_bytes;
        d.adapter_upkeep_usd_per_year = static_cast<double>(d.adapters) *
                                        catalog.multi_task.adapter_engineering_hours_per_year *
                                        s.tco.engineering_usd_per_hour;
    }
    // Every task's adapter (or fine-tuned model) is trained once; the search costed one.
    d.extra_training_usd = static_cast<double>(tasks.size() - 1) * c.cost.training_usd;
    return d;
}

// A shared deployment of `tasks`: the best candidate of the search that meets every task's floor.
std::optional<PlanDeployment> shared_deployment(const Catalog& catalog, const Scenario& s, const RuleSet& rules,
                                                const SearchOptions& options, const TaskList& tasks,
                                                const SearchResult* searched, std::string& why) {
    SearchResult own;
    if (searched == nullptr) {
        // All tasks: the scenario itself (its candidates carry every adapter), as recommend sees it.
        own = search(catalog, tasks.size() == s.tasks.size() ? s : deployment_scenario(s, tasks, Adapters::served), rules, options);
        searched = &own;
    }
    if (searched->ranked.empty()) {
        why = nothing_satisfies(*searched);
        return std::nullopt;
    }
    std::string first_miss;
    for (;;) {
        for (const Candidate& c : searched->ranked) {
            const std::string miss = quality_miss(c, tasks, s);
            if (miss.empty()) {
                return make_deployment(c, tasks, s, Adapters::served, catalog);
            }
            if (first_miss.empty()) {
                first_miss = miss;
            }
        }
        if (static_cast<std::int64_t>(searched->ranked.size()) + searched->candidates_folded >=
            searched->candidates_accepted) {
            break;
        }
        // The search kept only its best few (SearchOptions::keep_ranked) and none of them meets
        // every floor: the same search again, keeping its whole ranking.
        SearchOptions whole = searched->options;
        whole.keep_ranked = 0;
        own = search(catalog, searched->scenario, rules, whole);
        searched = &own;
    }
    why = "no accepted candidate meets every task's quality floor; the best one: " + first_miss;
    return std::nullopt;
}

const PlanDeployment* deployment_of(const MultiTaskPlan& plan, const std::string& task_id) {
    for (const PlanDeployment& d : plan.deployments) {
        if (std::find(d.task_ids.begin(), d.task_ids.end(), task_id) != d.task_ids.end()) {
            return &d;
        }
    }
    return nullptr;
}

std::int64_t output_dimension(const TaskSpec& task, const PlanDeployment& d) {
    return task.output_dimension ? *task.output_dimension : d.candidate.model->architecture.vocab_size;
}

TaskList tasks_of(const Scenario& s, const std::vector<std::string>& ids) {
    TaskList out;
    for (const std::string& id : ids) {
        for (const TaskSpec& task : s.tasks) {
            if (task.id == id) {
                out.push_back(&task);
            }
        }
    }
    return out;
}

// Seed §5.2 version mixing: fused tasks must share an output dimension. The policy rule decides
// (data/rules.json "version-mixing" reads deployment.output_dimensions_differ).
void check_fused_outputs(MultiTaskPlan& plan, const Scenario& s, const RuleSet& rules) {
    for (const TaskSpec& task : s.tasks) {
        for (const std::string& other_id : task.fused_with) {
            const auto other = std::find_if(s.tasks.begin(), s.tasks.end(), [&](const TaskSpec& t) { return t.id == other_id; });
            const PlanDeployment* mine = deployment_of(plan, task.id);
            const PlanDeployment* theirs = other != s.tasks.end() ? deployment_of(plan, other_id) : nullptr;
            if (mine == nullptr || theirs == nullptr) {
                continue;
            }
            const std::int64_t a = output_dimension(task, *mine);
            const std::int64_t b = output_dimension(*other, *theirs);
            if (a == b) {
                continue;
            }
            const Candidate& c = mine->candidate;
            const Scenario scoped = deployment_scenario(s, tasks_of(s, mine->task_ids), mine->adapters > 0 ? Adapters::served : Adapters::merged);
            const RuleCandidate context =
                select::rule_context(c, scoped, static_cast<double>(c.estimate.parameters.total), true);
            const RuleOutcome outcome = apply_rules(rules, context, RulePhase::constraints);
            if (!outcome.rejected_by.empty()) {
                plan.rejection_reason = outcome.rejected_by;
                plan.rejection_detail = fmt::format("{}: tasks '{}' and '{}' are fused but their output dimensions "
                                                    "differ ({} on {}, {} on {})",
                                                    outcome.message, task.id, other_id, a, mine->candidate.label(), b,
                                                    theirs->candidate.label());
                return;
            }
        }
    }
}

void total_up(MultiTaskPlan& plan, const Scenario& s, const SearchOptions& options) {
    const TcoWeights& w = options.tco_weights;
    for (const PlanDeployment& d : plan.deployments) {
        const Candidate& c = d.candidate;
        plan.memory_bytes += c.estimate.memory.weights_bytes + d.adapter_bytes;
        plan.gpus += c.replicas * c.gpus_per_replica;
        plan.latency_ms = std::max(plan.latency_ms, c.estimate.performance.latency_ms);
        plan.adapter_upkeep_usd_per_year += d.adapter_upkeep_usd_per_year;
        plan.cost_per_year_usd += c.cost.yearly_usd + d.adapter_upkeep_usd_per_year;
        const double upkeep = d.adapter_upkeep_usd_per_year * s.tco.years;
        plan.total_usd += c.cost.total_usd + d.extra_training_usd + upkeep;
        plan.weighted_index_usd += c.cost.weighted_index_usd + w.alpha * d.extra_training_usd + w.gamma * upkeep;
        plan.adapter_parameters += d.adapter_parameters;
        plan.adapter_bytes += d.adapter_bytes;
        for (const TaskSpec* task : tasks_of(s, d.task_ids)) {
            plan.quality += task->share * task_quality(c, *task, s).value_or(0.0);
        }
    }
    plan.parameter_reuse_rate = parameter_reuse_rate(plan.deployments);
}

MultiTaskPlan shared_plan(const Catalog& catalog, const Scenario& s, const RuleSet& rules, const SearchOptions& options,
                          const SearchResult* search) {
    MultiTaskPlan plan;
    plan.kind = PlanKind::shared;
    TaskList all;
    for (const TaskSpec& task : s.tasks) {
        all.push_back(&task);
    }
    std::string why;
    if (auto d = shared_deployment(catalog, s, rules, options, all, search, why)) {
        plan.deployments.push_back(*d);
    } else {
        plan.rejection_reason = "unsatisfiable";
        plan.rejection_detail = "one base with " + std::to_string(all.size()) + " adapters: " + why;
    }
    return plan;
}

MultiTaskPlan separate_plan(const Catalog& catalog, const Scenario& s, const RuleSet& rules, const SearchOptions& options) {
    MultiTaskPlan plan;
    plan.kind = PlanKind::separate;
    SearchOptions winner_only = options;
    winner_only.keep_ranked = 1;  // a task's deployment is its search's winner
    for (const TaskSpec& task : s.tasks) {
        const TaskList one{&task};
        const SearchResult r = search(catalog, deployment_scenario(s, one, Adapters::merged), rules, winner_only);
        if (r.ranked.empty()) {
            if (plan.rejection_reason.empty()) {
                plan.rejection_reason = "unsatisfiable";
                plan.rejection_detail = fmt::format("task '{}': {}", task.id, nothing_satisfies(r));
            }
            continue;
        }
        plan.deployments.push_back(make_deployment(r.ranked.front(), one, s, Adapters::merged, catalog));
    }
    return plan;
}

std::string base_label(const Candidate& c) { return c.model->id + ":" + c.variant->id; }

// Mixed (a heuristic): tasks whose separate winners use the same model and variant share one base
// with adapters; the others stay separate. Nullopt when that grouping is the separate plan or the
// shared plan again (a note says which).
std::optional<MultiTaskPlan> mixed_plan(const Catalog& catalog, const Scenario& s, const RuleSet& rules,
                                        const SearchOptions& options, const MultiTaskPlan& separate,
                                        const MultiTaskPlan& shared, std::vector<std::string>& notes) {
    if (!separate.accepted() || separate.deployments.size() != s.tasks.size()) {
        notes.push_back("no mixed plan: it groups the separate plan's winners, and the separate plan has none");
        return std::nullopt;
    }
    std::vector<std::pair<std::string, std::vector<std::size_t>>> groups;  // base label -> deployments
    for (std::size_t i = 0; i < separate.deployments.size(); ++i) {
        const std::string label = base_label(separate.deployments[i].candidate);
        auto found = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == label; });
        if (found == groups.end()) {
            groups.push_back({label, {i}});
        } else {
            found->second.push_back(i);
        }
    }
    const bool any_shared = std::any_of(groups.begin(), groups.end(), [](const auto& g) { return g.second.size() >= 2; });
    if (!any_shared) {
        notes.push_back("no mixed plan: every task's separate winner is a different base, so grouping them is the "
                        "separate plan");
        return std::nullopt;
    }
    if (groups.size() == 1 && shared.accepted() && base_label(shared.deployments.front().candidate) == groups.front().first) {
        notes.push_back(fmt::format("no mixed plan: every task's separate winner is {}, the shared plan's base",
                                    groups.front().first));
        return std::nullopt;
    }
    MultiTaskPlan plan;
    plan.kind = PlanKind::mixed;
    for (const auto& [label, members] : groups) {
        if (members.size() == 1) {
            plan.deployments.push_back(separate.deployments[members.front()]);
            continue;
        }
        TaskList tasks;
        for (std::size_t i : members) {
            tasks.push_back(tasks_of(s, separate.deployments[i].task_ids).front());
        }
        const Candidate& winner = separate.deployments[members.front()].candidate;
        Scenario scoped = deployment_scenario(s, tasks, Adapters::served);
        scoped.constraints.allowed_models = {winner.model->id};
        scoped.constraints.allowed_variants = {winner.variant->id};
        // The group's own floors decide (checked per task below), not the scenario's task kind.
        scoped.constraints.min_quality.reset();
        const SearchResult r = search(catalog, scoped, rules, options);
        std::string why;
        if (auto d = shared_deployment(catalog, s, rules, options, tasks, &r, why)) {
            plan.deployments.push_back(*d);
        } else {
            plan.rejection_reason = "unsatisfiable";
            plan.rejection_detail = fmt::format("{} with {} adapters: {}", label, tasks.size(), why);
            break;
        }
    }
    return plan;
}

// Scores accepted plans against each other as docs/ranking.md scores candidates.
void score_plans(std::vector<MultiTaskPlan>& plans, const Scenario& s, const SearchOptions& options) {
    double cheapest = std::numeric_limits<double>::infinity();
    for (const MultiTaskPlan& plan : plans) {
        if (plan.accepted()) {
            cheapest = std::min(cheapest, plan.cost_per_year_usd);
        }
    }
    for (MultiTaskPlan& plan : plans) {
        if (!plan.accepted()) {
            continue;
        }
        select::ScoreInputs inputs{.yearly_usd = plan.cost_per_year_usd,
                                   .cheapest_yearly_usd = cheapest,
                                   .quality = plan.quality,
                                   .latency_ms = plan.latency_ms,
                                   .tpot_ms = 0.0,
                                   .ttft_ms = 0.0,
                                   .rules = 0.0};
        for (const PlanDeployment& d : plan.deployments) {
            inputs.tpot_ms = std::max(inputs.tpot_ms, d.candidate.estimate.performance.tpot_ms);
            inputs.ttft_ms = std::max(inputs.ttft_ms, d.candidate.ttft_at_load_ms);
            inputs.rules += share_of(tasks_of(s, d.task_ids)) * d.candidate.score.rules;
        }
        plan.score = select::score_parts(inputs, options.score_weights, s.constraints).total;
    }
}

// Ties go to the simpler plan: separate, then shared, then mixed.
int tie_rank(PlanKind kind) {
    switch (kind) {
    case PlanKind::separate: return 0;
    case PlanKind::shared: return 1;
    case PlanKind::mixed: return 2;
    }
    return 2;
}

ReuseReference reference_for(const Catalog& catalog, const MultiTaskResult& result) {
    ReuseReference ref;
    const MultiTaskDefaults& defaults = catalog.multi_task;
    ref.quoted_rate = defaults.reference_reuse_rate;
    ref.tasks = defaults.reference_tasks;
    ref.source = defaults.reference_source;
    const PlanDeployment* base = nullptr;
    if (!result.plans.empty() && result.plans.front().accepted()) {
        base = &result.plans.front().deployments.front();  // the shared plan's base
    } else if (result.best) {
        base = &result.plans[*result.best].deployments.front();
    }
    if (base == nullptr || ref.tasks <= 0) {
        return ref;
    }
    const Architecture& arch = base->candidate.model->architecture;
    ref.model_id = base->candidate.model->id;
    ref.base_parameters = base->base_parameters;
    ref.default_adapter_parameters = static_cast<double>(adapter_parameters(arch, defaults.default_adapter));
    const double tasks = static_cast<double>(ref.tasks);
    ref.computed_rate = ref.base_parameters / (ref.base_parameters + tasks * ref.default_adapter_parameters);
    if (ref.quoted_rate > 0.0) {
        ref.implied_adapter_parameters = ref.base_parameters * (1.0 / ref.quoted_rate - 1.0) / tasks;
        if (defaults.default_adapter.kind == AdapterKind::lora) {
            AdapterSpec unit = defaults.default_adapter;
            unit.rank = 1;
            const double per_rank = static_cast<double>(adapter_parameters(arch, unit));
            ref.implied_lora_rank = per_rank > 0.0 ? ref.implied_adapter_parameters / per_rank : 0.0;
        }
    }
    return ref;
}

}  // namespace

MultiTaskResult plan_multi_task(const Catalog& catalog, const Scenario& s, const RuleSet& rules,
                                const SearchOptions& options, const SearchResult* shared_search) {
    MultiTaskResult result;
    if (s.tasks.empty()) {
        return result;
    }
    result.plans.push_back(shared_plan(catalog, s, rules, options, shared_search));
    result.plans.push_back(separate_plan(catalog, s, rules, options));
    if (auto mixed = mixed_plan(catalog, s, rules, options, result.plans[1], result.plans[0], result.notes)) {
        result.plans.push_back(*mixed);
    }
    for (MultiTaskPlan& plan : result.plans) {
        if (plan.accepted()) {
            check_fused_outputs(plan, s, rules);
        }
        if (plan.accepted()) {
            total_up(plan, s, options);
        }
    }
    score_plans(result.plans, s, options);
    for (std::size_t i = 0; i < result.plans.size(); ++i) {
        const MultiTaskPlan& plan = result.plans[i];
        if (!plan.accepted()) {
            continue;
        }
        if (!result.best) {
            result.best = i;
            continue;
        }
        const MultiTaskPlan& best = result.plans[*result.best];
        if (plan.score > best.score || (plan.score == best.score && tie_rank(plan.kind) < tie_rank(best.kind))) {
            result.best = i;
        }
    }
    // The ranking is the shared plan's search (every task's floor applies), so its first row is
    // the shared plan's base; when another plan scores higher, the answer is that plan.
    if (result.best && result.plans[*result.best].kind != PlanKind::shared) {
        result.notes.push_back(fmt::format("the best plan is '{}', not the shared base the ranking lists first: deploy "
                                           "the {} plan (multi_task.best_plan)",
                                           to_string(result.plans[*result.best].kind),
                                           to_string(result.plans[*result.best].kind)));
    }
    result.reference = reference_for(catalog, result);
    return result;
}

}  // namespace dsselect
