# dsselect_validate: dsselect's estimates against the measured serving data in
# tests/validation/data/, rows tagged fit or hold-out by tests/validation/split.json
# (docs/validation.md). Included from bench/CMakeLists.txt; sources are named relative to this
# file. Run it from the repository root:
#   build/test/bench/dsselect_validate --engine-profiles [--format json] [--dump rows.csv]
# nlohmann_json is compiled into this program's translation units only (its JSON output).
set(_dsselect_validate_dir ${CMAKE_CURRENT_LIST_DIR}/validate)
add_executable(dsselect_validate
  ${_dsselect_validate_dir}/main.cpp
  ${_dsselect_validate_dir}/sample.cpp
  ${_dsselect_validate_dir}/predict.cpp
  ${_dsselect_validate_dir}/fit.cpp
  ${_dsselect_validate_dir}/stats.cpp
  ${_dsselect_validate_dir}/report.cpp)
target_link_libraries(dsselect_validate PRIVATE dsselect_core nlohmann_json::nlohmann_json dsselect_warnings
                      dsselect_sanitizers)
target_compile_features(dsselect_validate PRIVATE cxx_std_20)
