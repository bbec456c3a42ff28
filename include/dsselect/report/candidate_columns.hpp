#pragma once
// The candidate column model (src/report/candidate.columns.json, embedded): one definition of
// every column a table, CSV, Markdown or HTML view of a candidate shows, read here by the
// renderers and by tests/schema/make_schemas.py for the schema.
#include <string>
#include <vector>

#include "dsselect/report/table.hpp"
#include "dsselect/select/candidate.hpp"

namespace dsselect::report {

// Which view of candidates: recommend's ranked table, compare's table, the HTML report's table.
enum class CandidateView { ranked, compared, page };

// How a cell is written.
enum class CellFormat { rank, model, variant, hardware_gpus, label, count, gpus_total, batch, fixed, gib, usd, training_usd, warnings, verdict };
// When a cell has a value; otherwise it is "-".
enum class CellRequires { nothing, timing, costed, quality };  // quality: a published quality figure

// One CSV field of a column: a machine header (unit in the name, "yearly_usd") and the plain
// value it holds (a name of candidate_columns.cpp's k_csv_values), with its decimals.
struct CsvField {
    std::string header;
    std::string value;
    int decimals = 0;
};

struct CandidateColumn {
    std::string header;    // with the unit, e.g. "TPOT (ms)"
    std::string json_key;  // the key of the candidate JSON object it shows ("memory.per_gpu_bytes"); empty: none
    std::string unit;
    Align align = Align::left;
    CellFormat format = CellFormat::fixed;
    int decimals = 0;
    CellRequires requires_value = CellRequires::nothing;
    std::vector<CandidateView> views;
    std::vector<CsvField> csv;  // what the column becomes in CSV: one or more plain fields
};

// Every column, in order (parsed once from the embedded file).
const std::vector<CandidateColumn>& candidate_columns();
// The columns of one view, in order.
std::vector<const CandidateColumn*> candidate_columns(CandidateView view);
// The table header of one view.
std::vector<Column> candidate_table_columns(CandidateView view);
// One cell: the candidate's value formatted as the column says, or "-" when it has none.
std::string candidate_cell(const CandidateColumn& column, const Candidate& c, const std::string& rank);
// The cells of one view's row.
std::vector<std::string> candidate_row(const Candidate& c, const std::string& rank, CandidateView view);
// The CSV header of one view: every column's CSV fields, in order.
std::vector<std::string> candidate_csv_header(CandidateView view);
// One view's CSV row: plain values (no separators or signs; empty where the table shows "-").
std::vector<std::string> candidate_csv_row(const Candidate& c, const std::string& rank, CandidateView view);

}  // namespace dsselect::report
