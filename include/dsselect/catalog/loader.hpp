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

// One item of a batch: a scenario object (as `catalog scenarios -o json` prints it) plus the
// optional batch keys "candidates", "top" and "weights". Its "id" is echoed in the result.
struct BatchItem {
    Scenario scenario;
    std::vector<std::string> candidates;
    std::int64_t top = 0;  // 0: the command's --top
    std::string weights;   // "A,B,G"; empty: the command's
};
// `where` prefixes messages, e.g. "jobs.jsonl:3". Throws invalid_data.
BatchItem read_batch_item(const std::string& text, const std::string& where, const Catalog& catalog);
// The elements of a JSON array document, each as JSON text (a batch given as one array).
std::vector<std::string> split_json_array(const std::string& text, const std::string& source);

}  // namespace dsselect
