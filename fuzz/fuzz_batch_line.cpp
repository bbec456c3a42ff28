// libFuzzer target: bytes as one line of a `dsselect batch` input, judged as the command judges
// it (cli::judge, src/cli/batch_line.hpp) on the built-in catalog and rules. Whatever the line
// holds (ill-formed UTF-8, control characters, a valid scenario), the result must be exactly
// one record: a single line of valid JSON ending in '\n'. Only dsselect::Error may be thrown
// inside; anything escaping judge() is a bug (a worker thread would have aborted the process).
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/batch_line.hpp"
#include "dsselect/catalog/loader.hpp"
#include "dsselect/rules/rules.hpp"

namespace {
struct Fixture {
    dsselect::Catalog catalog = dsselect::load_catalog({});
    dsselect::RuleSet rules = dsselect::load_rules({});
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Fixture fixture;  // built once, not per input
    std::string text(reinterpret_cast<const char*>(data), size);
    if (text.find('\n') != std::string::npos) {
        return 0;  // the command splits lines before judging them
    }
    dsselect::cli::PendingItem item;
    item.line = 1;
    item.text = std::move(text);
    dsselect::cli::judge(item, "fuzz.jsonl", fixture.catalog, fixture.rules, 1);
    const std::string& record = item.output;
    if (record.empty() || record.back() != '\n' || record.find('\n') != record.size() - 1 ||
        !nlohmann::json::accept(record.substr(0, record.size() - 1))) {
        __builtin_trap();
    }
    if (item.status == dsselect::cli::PendingItem::Status::invalid &&
        (item.message.empty() || item.message.find('\n') != std::string::npos)) {
        __builtin_trap();
    }
    return 0;
}
