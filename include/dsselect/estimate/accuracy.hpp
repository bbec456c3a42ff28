#pragma once
// How far the estimator's TTFT, TPOT and capacity have been from measurements, for the engine, model kind
// and hardware of an estimate: data/accuracy.json, written by scripts/accuracy_table.py from the
// measurements in tests/validation/ (compiled in by cmake/embed_text.cmake; not a catalog document).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dsselect/catalog/types.hpp"

namespace dsselect {

// Errors of a set of measured rows, in percent of the measured value: (predicted - measured) / measured.
struct ErrorFigures {
    std::int64_t rows = 0;
    double median_abs_error_pct = 0.0;
    double mean_signed_error_pct = 0.0;  // negative: the estimates run fast
};

// One row of data/accuracy.json: an engine's rows of one model kind and one set (fit: the
// factors were fitted on them, so the error is in-sample; hold-out: out of sample).
struct AccuracyEntry {
    std::string engine;            // engines.json id
    std::string model_kind;        // "dense" or "moe"
    std::string set;               // "fit" or "hold-out"
    std::string hardware_family;   // a hardware vendor; empty: the entry names its hardware
    std::optional<HardwareKind> hardware_kind;  // a family entry's kind of hardware; absent: any
    std::vector<std::string> vendors;     // the measured hardware's vendors
    std::vector<std::string> models;      // the models measured, as the measurements name them
    std::vector<std::string> hardware;    // catalog hardware ids measured
    std::vector<std::string> devices;     // the devices as the measurements name them
    std::vector<std::string> precisions;  // serving formats measured
    std::optional<ErrorFigures> ttft;     // absent: TTFT not checked
    std::optional<ErrorFigures> tpot;
    // Requests/s per replica at the measured concurrency (the estimate's qps against the rows'
    // closed loop, docs/validation.md 'Capacity'); absent: not checked. A negative mean: low.
    std::optional<ErrorFigures> capacity;
    std::string source;
};

// An entry's figures in their fixed order, each with its JSON key ("ttft", "tpot", "capacity"), its
// name in prose ("TTFT", "TPOT", "capacity") and its heading with the unit where it has one: every
// renderer, and the note's "not checked" caveat, walks this one list.
struct NamedFigures {
    const char* key;
    const char* name;
    const char* heading;
    const std::optional<ErrorFigures>* figures;
};
std::array<NamedFigures, 3> named_figures(const AccuracyEntry& entry);

// Parses the table; any problem throws ErrorKind::invalid_data naming `file` and the JSON pointer.
std::vector<AccuracyEntry> parse_accuracy_table(const std::string& text, const std::string& file);
// Where the entry's rows were measured: its hardware ids, or for a family entry the devices as named.
const std::vector<std::string>& measured_on(const AccuracyEntry& entry);
// The compiled-in table (parsed once).
const std::vector<AccuracyEntry>& builtin_accuracy_table();

// What the product says about one estimate's accuracy.
struct AccuracyClaim {
    std::string engine_id;                 // the engine asked about; empty: no engine profile
    const AccuracyEntry* entry = nullptr;  // null: nothing measured for this engine and model kind
    bool hardware_measured = false;        // this hardware id is among the entry's measured hardware
    bool precision_measured = false;       // this serving format was measured
    std::string note;                      // one line: what the figures are and where they fall short
};

// The entry for an estimate: the engine's rows of the model's kind that apply to the hardware (an
// entry with a hardware_family applies to that vendor's hardware of its kind only); on hardware
// the factors were fitted on, the fit rows (in-sample, said so), elsewhere the hold-out rows.
AccuracyClaim accuracy_claim(const std::vector<AccuracyEntry>& table, const std::string& engine_id, const Model& model,
                             const Variant& variant, const Hardware& hardware);

}  // namespace dsselect
