// A batch line: the batch keys, then a scenario read as the catalog reads one.
#include "dsselect/catalog/batch_item.hpp"

#include "catalog/scenario_reader.hpp"
#include "core/json_reader.hpp"
#include "dsselect/core/error.hpp"

namespace dsselect {

using detail::ObjectReader;
using detail::Problems;

BatchItem read_batch_item(const std::string& text, const std::string& where, const Catalog& catalog) {
    Problems problems(where);
    auto root = detail::parse_document(text, problems);
    if (!root) {
        throw Error(ErrorKind::invalid_data, problems.list().front());
    }
    BatchItem item;
    if (root->is_object()) {
        // The batch keys are read here; the rest must be a valid scenario.
        ObjectReader reader(*root, "", problems);
        item.candidates = reader.string_list("candidates");
        // Present but empty would silently run the whole search instead of judging a list.
        if (const auto* list = reader.member("candidates"); list != nullptr && list->is_array() && list->empty()) {
            problems.add(reader.child("candidates"), "expected at least one candidate (leave \"candidates\" out to search)");
        }
        item.top = reader.integer("top", 1).value_or(0);
        item.weights = reader.text("weights").value_or("");
        for (const char* key : {"candidates", "top", "weights"}) {
            root->erase(key);
        }
    }
    if (!problems.empty()) {
        throw Error(ErrorKind::invalid_data, problems.list().front());
    }
    item.scenario = read_checked_scenario(*root, "", catalog, problems);
    return item;
}

std::vector<std::string> split_json_array(const std::string& text, const std::string& source) {
    Problems problems(source);
    auto root = detail::parse_document(text, problems);
    if (!root) {
        throw Error(ErrorKind::invalid_data, problems.list().front());
    }
    if (!root->is_array()) {
        throw Error(ErrorKind::invalid_data, source + ": /: expected an array of scenario objects, got " + detail::describe(*root));
    }
    std::vector<std::string> items;
    for (const auto& element : *root) {
        items.push_back(element.dump());
    }
    return items;
}

}  // namespace dsselect
