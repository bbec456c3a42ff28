#pragma once
// `dsselect plan finetune`: the plan as tables (people) and as a FinetunePlan JSON document.
// Renderers convert units for display and compute nothing.
#include <string>
#include <vector>

#include "dsselect/plan/finetune.hpp"
#include "dsselect/report/table.hpp"
#include "dsselect/report/views.hpp"

namespace dsselect::report {

std::vector<Table> finetune_tables(const FinetunePlan& plan);
std::string finetune_json(const FinetunePlan& plan, JsonStyle style);

}  // namespace dsselect::report
