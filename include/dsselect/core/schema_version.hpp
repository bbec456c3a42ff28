#pragma once
// The one schema_version rule (README, "Using dsselect in CI"): a minor bump only adds fields, a major bump
// may break them. dsselect writes k_schema_version and reads every 1.x up to its own, so a file a
// previous release wrote, or one `catalog ... -o json` prints, loads as it is.
#include <string_view>

namespace dsselect {

inline constexpr const char* k_schema_version = "1.11";
inline constexpr const char* k_readable_schema_versions = "\"1.0\", \"1.1\", \"1.2\", \"1.3\", \"1.4\", \"1.5\", \"1.6\", \"1.7\", \"1.8\", \"1.9\", \"1.10\" or \"1.11\"";

inline bool readable_schema_version(std::string_view version) {
    return version == "1.0" || version == "1.1" || version == "1.2" || version == "1.3" || version == "1.4" ||
           version == "1.5" || version == "1.6" || version == "1.7" ||
           version == "1.8" || version == "1.9" || version == "1.10" || version == "1.11";
}

}  // namespace dsselect
