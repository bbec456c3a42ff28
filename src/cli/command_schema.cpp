// dsselect schema [KIND]: the JSON Schema (draft-07) of each document dsselect reads or writes.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "context.hpp"
#include "dsselect/catalog/loader.hpp"
#include "dsselect/core/error.hpp"

namespace dsselect::cli {

namespace {
// "ModelList" -> "model-list", "Estimate" -> "estimate"; file-style names pass through.
std::string normalize_kind(const std::string& kind) {
    std::string normalized;
    for (std::size_t i = 0; i < kind.size(); ++i) {
        const char c = kind[i];
        if (std::isupper(static_cast<unsigned char>(c)) != 0) {
            if (i > 0 && kind[i - 1] != '-') {
                normalized += '-';
            }
            normalized += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else {
            normalized += c;
        }
    }
    return normalized;
}

CommandOutput run_schema(const std::string& kind) {
    const auto schemas = embedded_schemas();
    std::vector<std::string> names;
    for (const auto& [name, text] : schemas) {
        names.push_back(name);
    }
    CommandOutput output;
    if (kind.empty()) {
        for (const auto& name : names) {
            output.text += name + "\n";
        }
        return output;
    }
    const std::string wanted = normalize_kind(kind);
    for (const auto& [name, text] : schemas) {
        if (name == wanted) {
            output.text = text;
            return output;
        }
    }
    throw Error(ErrorKind::usage, fmt::format("unknown schema kind '{}'{}", kind, did_you_mean(wanted, names)),
                "'dsselect schema' lists them");
}
}  // namespace

void register_schema(CLI::App& app, Context& context) {
    // One form of output (a JSON Schema); -o is accepted and has no effect.
    context.declare_formats("schema", {.formats = k_text_and_json_formats, .hint = ""});
    context.declare_without_catalog("schema");
    auto kind = std::make_shared<std::string>();
    CLI::App* command = app.add_subcommand("schema", "Print the JSON Schema of a document kind (no KIND: list them)");
    command->add_option("kind", *kind, "estimate, recommendation, comparison, tco, model-list, catalog, scenario, ...");
    command->callback([kind, &context] { context.action = [kind] { return run_schema(*kind); }; });
}

}  // namespace dsselect::cli
