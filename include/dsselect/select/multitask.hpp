#pragma once
// Multi-task planning (docs/multitask.md): for a scenario with `tasks`, compare
// (a) one shared base serving every task through unmerged adapters, (b) one separately deployed
// model per task (its adapter merged), and (c) a mixed plan, on memory, latency, cost and
// quality. Built on the public search API (search); the physics of adapters is in the
// estimator, the costs in src/tco.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dsselect/catalog/types.hpp"
#include "dsselect/rules/rules.hpp"
#include "dsselect/select/search.hpp"

namespace dsselect {

enum class PlanKind { shared, separate, mixed };
const char* to_string(PlanKind kind);

// A task's quality floor on the deployment that serves it: the model's figure for the task's
// kind times the variant's retention, against the task's min_quality (or the scenario's).
struct TaskFloor {
    std::string task_id;
    std::optional<double> min_quality;  // absent: the task has no floor
    std::optional<double> quality;      // absent: no published figure for the task kind
    bool met = true;
};

// One deployment of a plan: a base (judged by the search) and the tasks it serves.
struct PlanDeployment {
    std::vector<std::string> task_ids;
    std::vector<TaskFloor> floors;  // one per task, in task_ids' order
    Candidate candidate;            // judged with its unmerged adapters when `adapters` > 0
    double qps = 0;                 // the tasks' share of the scenario's QPS
    std::int64_t adapters = 0;      // unmerged adapters held (0: a separate model, adapter merged)
    double base_parameters = 0;     // kept parameters of the base
    double adapter_parameters = 0;  // all its unmerged adapters
    double adapter_bytes = 0;
    double adapter_upkeep_usd_per_year = 0;  // adapters * hours * engineering rate
    double extra_training_usd = 0;           // each further task's adapter trained too
};

struct MultiTaskPlan {
    PlanKind kind = PlanKind::shared;
    std::vector<PlanDeployment> deployments;
    // Why the plan cannot serve the tasks: a constraint ("unsatisfiable", "quality") or the id
    // of the reject rule that fired (version-mixing); empty when accepted.
    std::string rejection_reason;
    std::string rejection_detail;
    // Totals (meaningful when accepted).
    double memory_bytes = 0;        // one copy of every base and adapter: weights + adapters
    std::int64_t gpus = 0;          // replicas x GPUs per replica, all deployments
    double latency_ms = 0;          // the slowest deployment's end-to-end latency
    double cost_per_year_usd = 0;   // inference + maintenance + adapter upkeep, per year
    double total_usd = 0;           // over the horizon, training included
    double weighted_index_usd = 0;  // seed §3.2 weighting of the same terms
    double adapter_upkeep_usd_per_year = 0;
    double adapter_parameters = 0;
    double adapter_bytes = 0;
    double parameter_reuse_rate = 0;  // shared parameters / all parameters (docs/multitask.md)
    double quality = 0;               // share-weighted mean of the tasks' quality
    double score = 0;                 // as docs/ranking.md, across plans
    bool accepted() const { return rejection_reason.empty(); }
};

// The seed's quoted reuse rate beside the one computed for the catalog's default adapter.
struct ReuseReference {
    double quoted_rate = 0;  // seed §3.3: 0.78
    std::int64_t tasks = 0;  // seed §3.3: 16
    std::string source;
    std::string model_id;  // the base it is computed for; empty when no plan has one
    double base_parameters = 0;
    double default_adapter_parameters = 0;
    double computed_rate = 0;  // base / (base + tasks * default adapter)
    double implied_adapter_parameters = 0;  // per task, for the quoted rate: base (1/rate - 1) / tasks
    double implied_lora_rank = 0;           // that size as a LoRA rank on the default targets
};

struct MultiTaskResult {
    std::vector<MultiTaskPlan> plans;  // shared, separate, then mixed when it differs from both
    std::optional<std::size_t> best;   // index into plans: the highest score among accepted ones
    ReuseReference reference;
    std::vector<std::string> notes;
};

// Plans the scenario's tasks. `shared_search` may pass search()'s result for the scenario
// itself (whose candidates already carry every task's adapter) so it is not searched again.
MultiTaskResult plan_multi_task(const Catalog& catalog, const Scenario& scenario, const RuleSet& rules,
                                const SearchOptions& options, const SearchResult* shared_search = nullptr);

// Parameter reuse rate: parameters of bases that serve two tasks or more / all parameters
// (bases + adapters). Zero when nothing is shared.
double parameter_reuse_rate(const std::vector<PlanDeployment>& deployments);

}  // namespace dsselect
