#pragma once
// Result -> table / JSON. One function per result kind and format; renderers compute nothing
// beyond unit conversion for display.
#include <string>
#include <vector>

#include "dsselect/catalog/types.hpp"
#include "dsselect/estimate/estimator.hpp"
#include "dsselect/report/table.hpp"

namespace dsselect::report {

inline constexpr const char* k_schema_version = "1.0";

enum class CatalogKind { models, variants, hardware, scenarios };
enum class JsonStyle { document, lines };

// Entries of one kind (all, or the one with `id`; unknown ids throw usage with did-you-mean).
std::vector<Table> catalog_tables(const Catalog& catalog, CatalogKind kind, const std::string& id);
std::string catalog_json(const Catalog& catalog, CatalogKind kind, const std::string& id, JsonStyle style);

// A computed estimate with what it was computed for.
struct EstimateView {
    const EstimateRequest* request = nullptr;
    const Estimate* estimate = nullptr;
    const Trace* trace = nullptr;  // --explain
};
std::vector<Table> estimate_tables(const EstimateView& view);
std::string estimate_json(const EstimateView& view, JsonStyle style);

}  // namespace dsselect::report
