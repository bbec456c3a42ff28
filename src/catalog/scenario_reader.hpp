#pragma once
// One scenario object read and checked as the catalog reads its scenarios: private to
// src/catalog/ (the loader and the batch-line reader share it).
#include <string>

#include "core/json_reader.hpp"
#include "dsselect/catalog/types.hpp"

namespace dsselect {

// Reads the scenario object at `pointer` and checks its references against `catalog`; throws
// invalid_data with the first problem (file, JSON pointer, what was expected).
Scenario read_checked_scenario(const detail::json& object, const std::string& pointer, const Catalog& catalog,
                               detail::Problems& problems);

}  // namespace dsselect
