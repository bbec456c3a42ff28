#pragma once
// One line of a batch: a scenario object plus the batch keys. The lines themselves are read
// by the one input seam (catalog/input.hpp: InputLines).
#include <cstdint>
#include <string>
#include <vector>

#include "dsselect/catalog/types.hpp"

namespace dsselect {

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
