// The report as format-neutral tables — one per sheet — so the xlsx, csv and html writers show the same
// columns with the same numbers and only decide how to draw them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "report/report.hpp"

namespace gisgate::report {

struct Cell {
    enum class Kind { text, integer, number, percent };
    Kind kind = Kind::text;
    std::string text;     // kind text
    double value = 0;     // integer, number; percent as a fraction (0.9995)
    int decimals = 0;     // number, percent
    bool highlight = false;  // slow: the P95 cell of a service above the threshold

    static Cell str(std::string s) { return {Kind::text, std::move(s), 0, 0, false}; }
    static Cell integer(std::uint64_t n) { return {Kind::integer, {}, static_cast<double>(n), 0, false}; }
    static Cell num(double v, int decimals) { return {Kind::number, {}, v, decimals, false}; }
    static Cell pct(double fraction, int decimals = 3) { return {Kind::percent, {}, fraction, decimals, false}; }

    // The cell as plain text (csv, html): numbers with their decimals, percents as 99.950 (no sign).
    std::string plain() const;
};

struct Table {
    std::string name;       // sheet name (≤ 31 characters), also the csv file suffix and the html heading
    std::string file_part;  // "summary", "services", ... (csv file names)
    std::vector<std::string> header;
    std::vector<double> widths;  // column widths in characters (xlsx)
    std::vector<std::vector<Cell>> rows;
    bool key_value = false;  // Summary: two columns, item and value, no autofilter
    std::string note;        // one line saying what the table shows ("" = none): html under the heading, xlsx
                             // right of the header row; csv files hold only the data
};

// Summary, Services, Servers, Classes, Alerts, Health events — in that order.
std::vector<Table> report_tables(const Report& report);

// "3 h 05 min", "42 s": a duration for people.
std::string human_duration(double seconds);

}  // namespace gisgate::report
