# dsselect_validate: compares dsselect::estimate() with the measured serving data in
# tests/validation/data/ and fits the efficiency profile (docs/validation-study.md).
# Include it once dsselect_core exists, from the top-level CMakeLists.txt
#   include(bench/validate.cmake)
# or from bench/CMakeLists.txt (include(validate.cmake)). Sources are named relative to this
# file, so either place works. Run it from the repository root:
#   build/<preset>/dsselect_validate [--fit-allreduce --fit-ttft-fixed --ttft-model sqrt-batch]
add_executable(dsselect_validate ${CMAKE_CURRENT_LIST_DIR}/validate.cpp)
target_link_libraries(dsselect_validate PRIVATE dsselect_core dsselect_warnings dsselect_sanitizers)
target_compile_features(dsselect_validate PRIVATE cxx_std_20)
