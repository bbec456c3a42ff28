// libFuzzer target: bytes split at the first newline into a JSON Logic rule and its input,
// evaluated as `dsselect rules eval` does; the whole buffer is also checked as a rules
// document (`dsselect rules check`). Only dsselect::Error may escape; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dsselect/catalog/loader.hpp"
#include "dsselect/core/error.hpp"
#include "dsselect/rules/rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const std::size_t newline = text.find('\n');
    const std::string rule = text.substr(0, newline);
    const std::string input = newline == std::string::npos ? std::string("{}") : text.substr(newline + 1);
    try {
        (void)dsselect::evaluate_expression_text(rule, input);
    } catch (const dsselect::Error&) {
    }
    try {
        (void)dsselect::check_rules_document(dsselect::DataSource{"fuzz-rules.json", text});
    } catch (const dsselect::Error&) {
    }
    return 0;
}
