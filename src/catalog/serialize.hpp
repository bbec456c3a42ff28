#pragma once
// Catalog entries back to JSON with the same field names the loader reads, so what
// `catalog ... -o json` prints is valid input again. Private to src/.
#include <nlohmann/json.hpp>

#include "dsselect/catalog/types.hpp"

namespace dsselect::detail {
using ordered_json = nlohmann::ordered_json;
ordered_json to_json(const Architecture& architecture);
ordered_json to_json(const Model& model);
ordered_json to_json(const Variant& variant);
ordered_json to_json(const Hardware& hardware);
ordered_json to_json(const Scenario& scenario);
ordered_json to_json(const AdapterSpec& adapter);
ordered_json to_json(const Engine& engine);
}  // namespace dsselect::detail
