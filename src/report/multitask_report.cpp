// The multi-task plans of a Recommendation: JSON object and tables (docs/multitask.md).
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dsselect/report/format.hpp"
#include "dsselect/report/views.hpp"
#include "json_common.hpp"
#include "table_columns.hpp"

namespace dsselect::report {

using detail::L;
using detail::R;

using ordered_json = nlohmann::ordered_json;

namespace {
using detail::whole;

ordered_json deployment_json(const PlanDeployment& d) {
    const Candidate& c = d.candidate;
    const auto& p = c.estimate.performance;
    ordered_json out;
    out["tasks"] = d.task_ids;
    ordered_json floors = ordered_json::array();
    for (const TaskFloor& f : d.floors) {
        auto optional = [](const std::optional<double>& value) {
            return value ? ordered_json(round_to(*value, 4)) : ordered_json(nullptr);
        };
        floors.push_back({{"task", f.task_id}, {"min_quality", optional(f.min_quality)}, {"quality", optional(f.quality)},
                          {"meets_floor", f.met}});
    }
    out["task_floors"] = floors;
    out["model"] = c.model->id;
    out["variant"] = c.variant->id;
    out["hardware"] = c.hardware->id;
    out["gpus_per_replica"] = c.gpus_per_replica;
    out["replicas"] = c.replicas;
    out["batch_per_replica"] = c.batch;
    out["qps"] = round_to(d.qps, 4);
    out["ttft_ms"] = round_to(p.ttft_ms, 3);
    out["queue_wait_ms"] = round_to(c.queue_wait_ms, 3);
    out["ttft_at_load_ms"] = round_to(c.ttft_at_load_ms, 3);
    out["tpot_ms"] = round_to(p.tpot_ms, 3);
    out["latency_ms"] = round_to(p.latency_ms, 3);
    out["weights_bytes"] = whole(c.estimate.memory.weights_bytes);
    out["per_gpu_bytes"] = whole(c.estimate.memory.per_gpu_bytes);
    out["base_parameters"] = whole(d.base_parameters);
    out["adapters"] = d.adapters;
    out["adapter_parameters"] = whole(d.adapter_parameters);
    out["adapter_memory_bytes"] = whole(d.adapter_bytes);
    out["cost_per_year_usd"] = round_to(c.cost.yearly_usd, 2);
    out["adapter_upkeep_usd_per_year"] = round_to(d.adapter_upkeep_usd_per_year, 2);
    return out;
}

ordered_json plan_json(const MultiTaskPlan& plan) {
    ordered_json out;
    out["kind"] = to_string(plan.kind);
    out["accepted"] = plan.accepted();
    out["rejection"] = plan.accepted() ? ordered_json(nullptr)
                                       : ordered_json({{"reason", plan.rejection_reason}, {"detail", plan.rejection_detail}});
    ordered_json deployments = ordered_json::array();
    for (const PlanDeployment& d : plan.deployments) {
        deployments.push_back(deployment_json(d));
    }
    out["deployments"] = deployments;
    const bool ok = plan.accepted();
    auto number = [ok](double value, int decimals) { return ok ? ordered_json(round_to(value, decimals)) : ordered_json(nullptr); };
    out["memory_bytes"] = ok ? ordered_json(whole(plan.memory_bytes)) : ordered_json(nullptr);
    out["gpus"] = ok ? ordered_json(plan.gpus) : ordered_json(nullptr);
    out["latency_ms"] = number(plan.latency_ms, 3);
    out["cost_per_year_usd"] = number(plan.cost_per_year_usd, 2);
    out["total_usd"] = number(plan.total_usd, 2);
    out["weighted_index_usd"] = number(plan.weighted_index_usd, 2);
    out["adapter_upkeep_usd_per_year"] = number(plan.adapter_upkeep_usd_per_year, 2);
    out["parameter_reuse_rate"] = number(plan.parameter_reuse_rate, 6);
    out["adapter_parameters"] = ok ? ordered_json(whole(plan.adapter_parameters)) : ordered_json(nullptr);
    out["adapter_memory_bytes"] = ok ? ordered_json(whole(plan.adapter_bytes)) : ordered_json(nullptr);
    out["quality"] = number(plan.quality, 4);
    out["score"] = number(plan.score, 6);
    return out;
}
}  // namespace

namespace detail {
ordered_json multi_task_json(const Scenario& scenario, const MultiTaskResult& result) {
    ordered_json out;
    ordered_json tasks = ordered_json::array();
    for (const TaskSpec& task : scenario.tasks) {
        tasks.push_back({{"id", task.id},
                         {"share", task.share},
                         {"qps", round_to(scenario.workload.qps * task.share, 4)},
                         {"task_kind", task.task_kind.empty() ? scenario.task_kind : task.task_kind}});
    }
    out["tasks"] = tasks;
    ordered_json plans = ordered_json::array();
    for (const MultiTaskPlan& plan : result.plans) {
        plans.push_back(plan_json(plan));
    }
    out["plans"] = plans;
    out["best_plan"] = result.best ? ordered_json(to_string(result.plans[*result.best].kind)) : ordered_json(nullptr);
    const ReuseReference& r = result.reference;
    const bool computed = !r.model_id.empty();
    auto number = [computed](double value, int decimals) {
        return computed ? ordered_json(round_to(value, decimals)) : ordered_json(nullptr);
    };
    out["reference"] = {{"parameter_reuse_rate", r.quoted_rate},
                        {"tasks", r.tasks},
                        {"source", r.source},
                        {"model", computed ? ordered_json(r.model_id) : ordered_json(nullptr)},
                        {"default_adapter_parameters", computed ? ordered_json(whole(r.default_adapter_parameters)) : ordered_json(nullptr)},
                        {"computed_parameter_reuse_rate", number(r.computed_rate, 6)},
                        {"implied_adapter_parameters", computed ? ordered_json(whole(r.implied_adapter_parameters)) : ordered_json(nullptr)},
                        {"implied_lora_rank", number(r.implied_lora_rank, 1)}};
    out["notes"] = result.notes;
    return out;
}
}  // namespace detail

std::vector<Table> multi_task_tables(const Scenario& scenario, const MultiTaskResult& result) {
    Table plans;
    plans.title = fmt::format("Multi-task plans for '{}': {} tasks, {} QPS in all", scenario.id, scenario.tasks.size(),
                              scenario.workload.qps);
    plans.columns = {{"plan", L},         {"deployments", L}, {"GPUs", R},           {"memory (GiB)", R},
                     {"adapters (MiB)", R}, {"reuse", R},     {"latency (ms)", R},    {"quality", R},
                     {"$/year", R},       {"score", R},       {"verdict", L}};
    for (std::size_t i = 0; i < result.plans.size(); ++i) {
        const MultiTaskPlan& plan = result.plans[i];
        std::vector<std::string> labels;
        for (const PlanDeployment& d : plan.deployments) {
            labels.push_back(fmt::format("{} x{} [{}]", d.candidate.label(), d.candidate.replicas, fmt::join(d.task_ids, ",")));
        }
        const std::string deployments = labels.empty() ? std::string("-") : fmt::format("{}", fmt::join(labels, "; "));
        if (!plan.accepted()) {
            plans.rows.push_back({to_string(plan.kind), deployments, "-", "-", "-", "-", "-", "-", "-", "-",
                                  "REJECTED " + plan.rejection_reason + ": " + plan.rejection_detail});
            continue;
        }
        plans.rows.push_back({to_string(plan.kind), deployments, std::to_string(plan.gpus), gib(plan.memory_bytes),
                              fixed(plan.adapter_bytes / 1048576.0, 1), fixed(plan.parameter_reuse_rate * 100.0, 1) + "%",
                              fixed(plan.latency_ms, 1), fixed(plan.quality, 3), usd(plan.cost_per_year_usd),
                              fixed(plan.score, 4), result.best && *result.best == i ? "best" : "-"});
    }
    plans.notes.push_back("memory: one copy of every base and adapter; latency: the slowest deployment; $/year: "
                          "inference + maintenance + adapter upkeep");
    for (const std::string& note : result.notes) {
        plans.notes.push_back(note);
    }
    std::vector<Table> tables{plans};
    const ReuseReference& r = result.reference;
    if (!r.model_id.empty()) {
        Table reference;
        reference.title = fmt::format("Parameter reuse at {} tasks: the source document's figure beside dsselect's", r.tasks);
        reference.columns = {{"figure", L}, {"value", R}, {"basis", L}};
        reference.rows = {
            {"quoted reuse rate", fixed(r.quoted_rate * 100.0, 1) + "%", r.source + " (not computed)"},
            {"computed reuse rate", fixed(r.computed_rate * 100.0, 1) + "%",
             fmt::format("{} ({}) / ({} + {} x {} adapter parameters, the catalog's default adapter)", r.model_id,
                         count_short(r.base_parameters), count_short(r.base_parameters), r.tasks,
                         count_short(r.default_adapter_parameters))},
            {"adapter size the quote implies", count_short(r.implied_adapter_parameters),
             fmt::format("base x (1 / {:.2f} - 1) / {} per task; as a LoRA rank on the default targets: {:.0f}",
                         r.quoted_rate, r.tasks, r.implied_lora_rank)},
        };
        tables.push_back(reference);
    }
    return tables;
}

}  // namespace dsselect::report
