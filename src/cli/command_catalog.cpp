// dsselect catalog models|variants|hardware|scenarios|engines [ID]
#include "context.hpp"
#include "dsselect/report/render.hpp"

namespace dsselect::cli {

namespace {
struct CatalogOptions {
    std::string what;
    std::string id;
};

report::CatalogKind kind_of(const std::string& what) {
    if (what == "models") {
        return report::CatalogKind::models;
    }
    if (what == "variants") {
        return report::CatalogKind::variants;
    }
    if (what == "hardware") {
        return report::CatalogKind::hardware;
    }
    if (what == "engines") {
        return report::CatalogKind::engines;
    }
    return report::CatalogKind::scenarios;
}

CommandOutput run_catalog(const CatalogOptions& options, const Context& context) {
    const Catalog catalog = context.load_catalog();
    const report::CatalogKind kind = kind_of(options.what);
    CommandOutput output;
    output.text = report::render(report::CatalogDocument{catalog, kind, options.id}, context.render_options());
    return output;
}
}  // namespace

void register_catalog(CLI::App& app, Context& context) {
    context.declare_formats("catalog", {.formats = k_text_and_json_formats, .hint = ""});
    auto options = std::make_shared<CatalogOptions>();
    CLI::App* command =
        app.add_subcommand("catalog", "List the models, variants, hardware, scenarios or serving engines in the catalog");
    command->add_option("what", options->what, "models|variants|hardware|scenarios|engines")
        ->required()
        ->check(CLI::IsMember({"models", "variants", "hardware", "scenarios", "engines"}));
    command->add_option("id", options->id, "Show only this entry");
    command->callback([options, &context] { context.action = [options, &context] { return run_catalog(*options, context); }; });
}

}  // namespace dsselect::cli
