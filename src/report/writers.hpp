// The output formats of `gisgate report`.
//   xlsx  one workbook, a sheet per table (Summary, Services, Servers, Classes, Alerts, Health events); P95
//         cells above the slow threshold carry a red highlight style
//   csv   one RFC 4180 file per table: OUT holds the Services table, OUT's stem + "-summary.csv",
//         "-servers.csv", "-classes.csv", "-alerts.csv", "-health.csv" the others
//   html  one self-contained page (inline CSS and SVG charts, no script, no external URL)
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "report/report.hpp"

namespace gisgate::report {

enum class Format { xlsx, csv, html };

std::optional<Format> parse_format(std::string_view text);  // "xlsx", "csv", "html" (any case)

struct WriteError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Writes `report` as `format` to `out` (and its siblings for csv); returns the files written. Throws WriteError.
std::vector<std::string> write_report(const Report& report, Format format, const std::string& out);

std::vector<std::string> write_csv(const Report& report, const std::string& out);
void write_xlsx(const Report& report, const std::string& out);
void write_html(const Report& report, const std::string& out);
std::string render_html(const Report& report);

// RFC 4180 field: quoted when it holds a comma, quote, CR or LF (quotes doubled).
std::string csv_field(std::string_view text);

}  // namespace gisgate::report
