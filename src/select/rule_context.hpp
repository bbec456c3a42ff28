#pragma once
// What the policy rules see of a judged candidate (docs/jsonlogic.md lists the fields).
#include "dsselect/rules/rules.hpp"
#include "dsselect/select/candidate.hpp"

namespace dsselect::select {

// `min_parameters_among_feasible`: the smallest total parameter count among the candidates
// judged together (the candidate's own while the search is still judging).
inline RuleCandidate rule_context(const Candidate& c, const Scenario& s, double min_parameters_among_feasible,
                                  bool output_dimensions_differ = false) {
    return {.scenario = &s,
            .model = c.model,
            .variant = c.variant,
            .hardware = c.hardware,
            .estimate = &c.estimate,
            .cost = &c.cost,
            .gpus_per_replica = c.gpus_per_replica,
            .replicas = c.replicas,
            .batch = c.batch,
            .quality = c.quality,
            .capacity_qps = c.capacity_qps,
            .min_parameters_among_feasible = min_parameters_among_feasible,
            .output_dimensions_differ = output_dimensions_differ};
}

}  // namespace dsselect::select
