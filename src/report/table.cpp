#include "dsselect/report/table.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "dsselect/core/text.hpp"

namespace dsselect::report {

namespace {
// Display width in terminal columns: count UTF-8 lead bytes, not continuation bytes.
std::size_t display_width(const std::string& text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

std::string pad(const std::string& text, std::size_t width, Align align) {
    const std::size_t current = display_width(text);
    if (current >= width) {
        return text;
    }
    std::string padding(width - current, ' ');
    return align == Align::left ? text + padding : padding + text;
}

constexpr const char* k_bold = "\x1b[1m";
constexpr const char* k_reset = "\x1b[0m";

std::string render_one(const Table& raw, TextStyle style, Color color) {
    // Ids and names come from data files: a tab or newline would break a piped row, an escape
    // sequence would drive the terminal. printable() shows them escaped, as error messages do.
    Table table = raw;
    table.title = printable(table.title);
    for (Column& column : table.columns) {
        column.header = printable(column.header);
    }
    for (auto& row : table.rows) {
        for (auto& cell : row) {
            cell = printable(cell);
        }
    }
    for (auto& note : table.notes) {
        note = printable(note);
    }
    auto emphasize = [color](const std::string& text) {
        return color == Color::on ? k_bold + text + k_reset : text;
    };
    std::string out;
    if (style == TextStyle::tab_separated) {
        // Piped: tab-separated, untruncated; the title and the notes as "# " comment lines, so
        // that a log still says what the table is.
        if (!table.title.empty()) {
            out += "# " + table.title + "\n";
        }
        std::vector<std::string> headers;
        for (const Column& column : table.columns) {
            headers.push_back(column.header);
        }
        out += emphasize(fmt::format("{}", fmt::join(headers, "\t"))) + "\n";
        for (const auto& row : table.rows) {
            out += fmt::format("{}\n", fmt::join(row, "\t"));
        }
        for (const auto& note : table.notes) {
            out += "# " + note + "\n";
        }
        return out;
    }
    std::vector<std::size_t> widths(table.columns.size(), 0);
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
        widths[c] = display_width(table.columns[c].header);
        for (const auto& row : table.rows) {
            if (c < row.size()) {
                widths[c] = std::max(widths[c], display_width(row[c]));
            }
        }
    }
    if (!table.title.empty()) {
        out += emphasize(table.title) + "\n";
    }
    auto line = [&](const std::vector<std::string>& cells, bool header) {
        std::string text;
        for (std::size_t c = 0; c < table.columns.size(); ++c) {
            const std::string& cell = c < cells.size() ? cells[c] : std::string{};
            if (c > 0) {
                text += "  ";
            }
            text += pad(cell, widths[c], header ? Align::left : table.columns[c].align);
        }
        while (!text.empty() && text.back() == ' ') {
            text.pop_back();
        }
        return text + "\n";
    };
    std::vector<std::string> headers;
    for (const Column& column : table.columns) {
        headers.push_back(column.header);
    }
    if (!table.columns.empty()) {
        std::string header_line = line(headers, true);
        header_line.pop_back();
        out += emphasize(header_line) + "\n";
        std::vector<std::string> rules;
        for (std::size_t width : widths) {
            rules.emplace_back(width, '-');
        }
        out += line(rules, true);
        for (const auto& row : table.rows) {
            out += line(row, false);
        }
    }
    for (const auto& note : table.notes) {
        out += note + "\n";
    }
    return out;
}

std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\n\r") == std::string::npos) {
        return text;
    }
    std::string quoted = "\"";
    for (char c : text) {
        quoted += c;
        if (c == '"') {
            quoted += '"';
        }
    }
    return quoted + "\"";
}

std::string markdown_cell(const std::string& text) {
    std::string escaped;
    for (char c : text) {
        if (c == '|') {
            escaped += "\\|";
        } else if (c == '\n') {
            escaped += ' ';
        } else {
            escaped += c;
        }
    }
    return escaped;
}
}  // namespace

std::string render_text(const std::vector<Table>& tables, TextStyle style, Color color) {
    std::string out;
    for (std::size_t index = 0; index < tables.size(); ++index) {
        if (index > 0) {
            out += "\n";
        }
        out += render_one(tables[index], style, color);
    }
    return out;
}

namespace {
// A table as CSV sees it: its machine header and rows where it has them (csv_header, csv_rows),
// else the header and cells people read.
struct CsvView {
    std::vector<std::string> header;
    const std::vector<std::vector<std::string>>* rows = nullptr;
};
CsvView csv_view(const Table& table) {
    if (!table.csv_header.empty()) {
        return {table.csv_header, &table.csv_rows};
    }
    CsvView view{{}, &table.rows};
    for (const Column& column : table.columns) {
        view.header.push_back(column.header);
    }
    return view;
}
std::string csv_line(const std::vector<std::string>& cells) {
    std::vector<std::string> fields;
    fields.reserve(cells.size());
    for (const std::string& cell : cells) {
        fields.push_back(csv_field(cell));
    }
    return fmt::format("{}\r\n", fmt::join(fields, ","));
}
}  // namespace

std::string render_csv(const Table& table) {
    const CsvView view = csv_view(table);
    std::string out = csv_line(view.header);
    for (const auto& row : *view.rows) {
        out += csv_line(row);
    }
    return out;
}

std::string render_csv_long(const std::vector<Table>& tables) {
    // Several tables, each with its own columns: one long table that any CSV reader takes, a
    // line per cell. `row` is the row's first cell (its name: a quantity, a part, a rank), or its
    // number in a table of one column.
    std::string out = csv_line({"table", "row", "column", "value"});
    for (std::size_t index = 0; index < tables.size(); ++index) {
        const Table& table = tables[index];
        const std::string name = !table.id.empty()      ? table.id
                                 : !table.title.empty() ? table.title
                                                        : fmt::format("table {}", index + 1);
        const CsvView view = csv_view(table);
        for (std::size_t r = 0; r < view.rows->size(); ++r) {
            const std::vector<std::string>& row = (*view.rows)[r];
            if (row.size() == 1) {
                out += csv_line({name, std::to_string(r + 1), view.header.empty() ? "" : view.header.front(), row.front()});
                continue;
            }
            for (std::size_t c = 1; c < row.size(); ++c) {
                out += csv_line({name, row.front(), c < view.header.size() ? view.header[c] : "", row[c]});
            }
        }
    }
    return out;
}

std::string render_markdown(const std::vector<Table>& tables) {
    std::string out;
    for (std::size_t index = 0; index < tables.size(); ++index) {
        const Table& table = tables[index];
        if (index > 0) {
            out += "\n";
        }
        if (!table.title.empty()) {
            out += "### " + markdown_cell(table.title) + "\n\n";
        }
        std::vector<std::string> headers;
        std::vector<std::string> rules;
        for (const Column& column : table.columns) {
            headers.push_back(markdown_cell(column.header));
            rules.push_back(column.align == Align::right ? "---:" : "---");
        }
        out += fmt::format("| {} |\n| {} |\n", fmt::join(headers, " | "), fmt::join(rules, " | "));
        for (const auto& row : table.rows) {
            std::vector<std::string> cells;
            for (const auto& cell : row) {
                cells.push_back(markdown_cell(cell));
            }
            out += fmt::format("| {} |\n", fmt::join(cells, " | "));
        }
        if (!table.notes.empty()) {
            out += "\n";
            for (const auto& note : table.notes) {
                out += "- " + markdown_cell(note) + "\n";
            }
        }
    }
    return out;
}

}  // namespace dsselect::report
