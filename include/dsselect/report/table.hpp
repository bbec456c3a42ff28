#pragma once
// A table of already-formatted cells, and the renderers for people (aligned text), for
// spreadsheets (CSV) and for documents (Markdown). Renderers compute nothing.
#include <string>
#include <vector>

namespace dsselect::report {

enum class Align { left, right };

struct Column {
    std::string header;  // with the unit, e.g. "TPOT (ms)"
    Align align = Align::left;
};

struct Table {
    std::string title;  // printed above an aligned table, as a "# " line above a piped one
    // A stable machine name: the `table` field of CSV's long form (render_csv_long: estimate, tco
    // and plan finetune set it on every table); empty: the title.
    std::string id;
    std::vector<Column> columns;
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> notes;  // printed below an aligned table
    // For spreadsheets, when the cells above are formatted for people: machine headers (unit in
    // the name) and plain values, one per field. Empty: CSV writes the columns and rows above.
    std::vector<std::string> csv_header;
    std::vector<std::vector<std::string>> csv_rows;
};

enum class TextStyle { aligned, tab_separated };

enum class Color { off, on };
// Colour (bold titles and headers) only when the caller decided the output is a colour terminal.
std::string render_text(const std::vector<Table>& tables, TextStyle style, Color color = Color::off);
std::string render_csv(const Table& table);
// The tables of a document of several (each with its own columns) as one long CSV table,
// "table,row,column,value", a line per cell: the table's id (its title where it has none), the
// row's first cell (its number in a table of one column), the column's header and the cell.
std::string render_csv_long(const std::vector<Table>& tables);
std::string render_markdown(const std::vector<Table>& tables);

}  // namespace dsselect::report
