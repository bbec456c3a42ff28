#pragma once
// One batch item judged as `dsselect batch` does (src/cli/command_batch.cpp), exposed for the
// fuzz_batch_line target: whatever the line holds, the result is one JSON Lines record.
#include <cstdint>
#include <string>

#include "dsselect/catalog/types.hpp"
#include "dsselect/rules/rules.hpp"

namespace dsselect::cli {

struct PendingItem {
    std::int64_t line = 0;
    std::string text;
    std::string output;   // the record: one line of JSON and its '\n'
    std::string message;  // invalid: the one-line error; unsatisfiable: the scenario id
    enum class Status { ok, unsatisfiable, invalid } status = Status::ok;
};

// Fills item.output, item.status and item.message. `source` names the input in messages
// ("jobs.jsonl"); `default_top` is --top. Throws only what is not a dsselect::Error (a bug).
void judge(PendingItem& item, const std::string& source, const Catalog& catalog, const RuleSet& rules,
           std::int64_t default_top);

}  // namespace dsselect::cli
