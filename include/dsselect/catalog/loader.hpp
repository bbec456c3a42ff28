#pragma once
// Reads catalog JSON documents (embedded defaults and user --data files) into validated
// plain structs. Every problem names the file, the JSON pointer and what was expected.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "dsselect/catalog/input.hpp"
#include "dsselect/catalog/types.hpp"

namespace dsselect {

// DataSource and read_data_file: dsselect/catalog/input.hpp.

// The data files compiled into the binary.
std::vector<DataSource> builtin_data_sources();
// The JSON Schemas compiled into the binary: kind ("estimate", "model-list", ...) -> text.
std::vector<std::pair<std::string, std::string>> embedded_schemas();

// Loads builtin data, then each overlay in order (later entries replace earlier ones by id),
// and checks cross references. Throws invalid_data with the first problem.
Catalog load_catalog(const std::vector<DataSource>& overlays, bool include_builtin = true);

// Checks one document on top of `base` and returns every problem found (empty when valid),
// each formatted as "file: /pointer: message".
std::vector<std::string> validate_document(const DataSource& source, const Catalog& base);

// Reads one scenario object (the shape of an entry of "scenarios", as `catalog scenarios
// -o json` prints it) and checks its references against `catalog`. Throws invalid_data.
Scenario read_scenario_document(const DataSource& source, const Catalog& catalog);


}  // namespace dsselect
