// dsselect catalog models|variants|hardware|scenarios [ID]
#include "context.hpp"
#include "dsselect/report/views.hpp"

namespace dsselect::cli {

namespace {
struct CatalogOptions {
    std::string what;
    std::string id;
};

report::CatalogKind kind_of(const std::string& what) {
    if (what == "models") return report::CatalogKind::models;
    if (what == "variants") return report::CatalogKind::variants;
    if (what == "hardware") return report::CatalogKind::hardware;
    return report::CatalogKind::scenarios;
}

CommandOutput run_catalog(const CatalogOptions& options, const Context& context) {
    const Catalog catalog = context.load_catalog();
    const report::CatalogKind kind = kind_of(options.what);
    CommandOutput output;
    switch (context.format()) {
    case report::OutputFormat::json:
        output.text = report::catalog_json(catalog, kind, options.id, report::JsonStyle::document);
        break;
    case report::OutputFormat::jsonl:
        output.text = report::catalog_json(catalog, kind, options.id, report::JsonStyle::lines);
        break;
    case report::OutputFormat::table:
    case report::OutputFormat::csv:
    case report::OutputFormat::markdown:
    case report::OutputFormat::html:  // refused by run() before any work
        output.text = context.render_tables(report::catalog_tables(catalog, kind, options.id));
        break;
    }
    return output;
}
}  // namespace

void register_catalog(CLI::App& app, Context& context) {
    auto options = std::make_shared<CatalogOptions>();
    CLI::App* command = app.add_subcommand("catalog", "List the models, variants, hardware or scenarios in the catalog");
    command->add_option("what", options->what, "models|variants|hardware|scenarios")
        ->required()
        ->check(CLI::IsMember({"models", "variants", "hardware", "scenarios"}));
    command->add_option("id", options->id, "Show only this entry");
    command->callback([options, &context] { context.action = [options, &context] { return run_catalog(*options, context); }; });
}

}  // namespace dsselect::cli
