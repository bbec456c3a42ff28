#pragma once
// Catalog entries of one kind: all of them, or the one with `id` (unknown ids are a usage
// error with did-you-mean). Private to src/report/.
#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "dsselect/core/error.hpp"
#include "dsselect/core/notices.hpp"

namespace dsselect::report::detail {

template <typename T>
std::vector<const T*> pick_entries(const std::vector<T>& items, const std::string& id, const char* what) {
    std::vector<const T*> picked;
    std::vector<std::string> ids;
    for (const T& item : items) {
        ids.push_back(item.id);
        if (id.empty() || item.id == id) {
            picked.push_back(&item);
        }
    }
    if constexpr (requires(const T& item) { item.deprecated_ids; }) {
        // A model's former id picks the model, with a warning (data-format.md, deprecated_ids).
        for (const T& item : items) {
            if (!id.empty() && picked.empty() &&
                std::find(item.deprecated_ids.begin(), item.deprecated_ids.end(), id) != item.deprecated_ids.end()) {
                add_notice(fmt::format("dsselect: warning: {} id '{}' is deprecated; it now reads as '{}'", what, id, item.id));
                picked.push_back(&item);
            }
        }
    }
    if (!id.empty() && picked.empty()) {
        throw unknown_id_error(what, id, ids);  // as every other command's unknown id
    }
    return picked;
}

}  // namespace dsselect::report::detail
