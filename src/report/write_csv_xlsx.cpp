// The csv and xlsx writers: both are a straight walk over report_tables().
#include <xlsxwriter.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <tuple>

#include "report/tables.hpp"
#include "report/writers.hpp"

namespace gisgate::report {

std::optional<Format> parse_format(std::string_view text) {
    std::string t(text);
    for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (t == "xlsx") return Format::xlsx;
    if (t == "csv") return Format::csv;
    if (t == "html") return Format::html;
    return std::nullopt;
}

std::vector<std::string> write_report(const Report& report, Format format, const std::string& out) {
    switch (format) {
        case Format::csv:
            return write_csv(report, out);
        case Format::xlsx:
            write_xlsx(report, out);
            return {out};
        case Format::html:
            write_html(report, out);
            return {out};
    }
    return {};
}

// ---- csv -------------------------------------------------------------------------------------------------

std::string csv_field(std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

namespace {

void write_file(const std::string& path, const std::string& text) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (!file) throw WriteError(path + ": cannot create file");
    file << text;
    file.close();
    if (!file) throw WriteError(path + ": write failed");
}

}  // namespace

std::vector<std::string> write_csv(const Report& report, const std::string& out) {
    const std::filesystem::path main(out);
    auto stem = main.stem().string();
    const auto ext = main.extension().string().empty() ? std::string(".csv") : main.extension().string();
    std::vector<std::string> files;
    for (const auto& table : report_tables(report)) {
        std::string path = out;
        if (table.file_part != "services") path = (main.parent_path() / (stem + "-" + table.file_part + ext)).string();
        std::string text;
        auto line = [&](const auto& cells, auto&& to_text) {
            for (std::size_t i = 0; i < cells.size(); ++i) {
                if (i) text += ',';
                text += csv_field(to_text(cells[i]));
            }
            text += "\r\n";
        };
        line(table.header, [](const std::string& h) { return h; });
        for (const auto& row : table.rows)
            line(row, [](const Cell& c) {
                // A text cell that a spreadsheet would run as a formula (a service name from a request path
                // like "=HYPERLINK(...)") is written with a leading apostrophe, which shows it as text.
                auto text = c.plain();
                if (c.kind == Cell::Kind::text && !text.empty() && std::string_view("=+-@\t\r").find(text[0]) != std::string_view::npos)
                    text.insert(0, 1, '\'');
                return text;
            });
        write_file(path, text);
        files.push_back(path);
    }
    // The services file first: it is the one named on the command line.
    std::stable_partition(files.begin(), files.end(), [&](const std::string& f) { return f == out; });
    return files;
}

// ---- xlsx ------------------------------------------------------------------------------------------------

namespace {

// The highlight of a slow P95: Excel's own "Bad" cell style colours (light red fill, dark red bold text).
constexpr lxw_color_t kSlowFill = 0xFFC7CE;
constexpr lxw_color_t kSlowFont = 0x9C0006;
constexpr lxw_color_t kHeaderFill = 0xDDEBF7;

class Formats {
public:
    explicit Formats(lxw_workbook* wb) : wb_(wb) {}

    lxw_format* header() {
        if (!header_) {
            header_ = workbook_add_format(wb_);
            format_set_bold(header_);
            format_set_bg_color(header_, kHeaderFill);
            format_set_bottom(header_, LXW_BORDER_THIN);
            format_set_text_wrap(header_);
            format_set_align(header_, LXW_ALIGN_VERTICAL_TOP);
        }
        return header_;
    }
    lxw_format* bold() {
        if (!bold_) {
            bold_ = workbook_add_format(wb_);
            format_set_bold(bold_);
        }
        return bold_;
    }
    lxw_format* for_cell(const Cell& c) {
        if (c.kind == Cell::Kind::text && !c.highlight) return nullptr;
        const auto key = std::make_tuple(static_cast<int>(c.kind), c.decimals, c.highlight);
        auto& f = cache_[key];
        if (f) return f;
        f = workbook_add_format(wb_);
        std::string number;
        switch (c.kind) {
            case Cell::Kind::integer:
                number = "#,##0";
                break;
            case Cell::Kind::number:
                number = c.decimals > 0 ? "#,##0." + std::string(static_cast<std::size_t>(c.decimals), '0') : "#,##0";
                break;
            case Cell::Kind::percent:
                number = c.decimals > 0 ? "0." + std::string(static_cast<std::size_t>(c.decimals), '0') + "%" : "0%";
                break;
            case Cell::Kind::text:
                break;
        }
        if (!number.empty()) format_set_num_format(f, number.c_str());
        if (c.highlight) {
            format_set_bg_color(f, kSlowFill);
            format_set_font_color(f, kSlowFont);
            format_set_bold(f);
        }
        return f;
    }

private:
    lxw_workbook* wb_;
    lxw_format* header_ = nullptr;
    lxw_format* bold_ = nullptr;
    std::map<std::tuple<int, int, bool>, lxw_format*> cache_;
};

}  // namespace

void write_xlsx(const Report& report, const std::string& out) {
    lxw_workbook* wb = workbook_new(out.c_str());
    if (!wb) throw WriteError(out + ": cannot create workbook");
    Formats formats(wb);
    lxw_doc_properties props{};
    std::string title = "gisgate report";
    props.title = title.data();
    std::string creator = "gisgate";
    props.author = creator.data();
    workbook_set_properties(wb, &props);

    for (const auto& table : report_tables(report)) {
        lxw_worksheet* ws = workbook_add_worksheet(wb, table.name.c_str());
        if (!ws) {
            workbook_close(wb);
            throw WriteError(out + ": cannot add sheet " + table.name);
        }
        for (std::size_t col = 0; col < table.header.size(); ++col) {
            const double width = col < table.widths.size() ? table.widths[col] : 12;
            worksheet_set_column(ws, static_cast<lxw_col_t>(col), static_cast<lxw_col_t>(col), width, nullptr);
            worksheet_write_string(ws, 0, static_cast<lxw_col_t>(col), table.header[col].c_str(), formats.header());
        }
        // Beside the header, one column apart: outside the autofilter range and the data, and kept in view by
        // the frozen header row.
        if (!table.note.empty())
            worksheet_write_string(ws, 0, static_cast<lxw_col_t>(table.header.size() + 1), table.note.c_str(), nullptr);
        lxw_row_t row = 1;
        for (const auto& cells : table.rows) {
            for (std::size_t col = 0; col < cells.size(); ++col) {
                const Cell& c = cells[col];
                const auto lc = static_cast<lxw_col_t>(col);
                lxw_format* f = table.key_value && col == 0 ? formats.bold() : formats.for_cell(c);
                if (c.kind == Cell::Kind::text) {
                    if (!c.text.empty()) worksheet_write_string(ws, row, lc, c.text.c_str(), f);
                } else {
                    worksheet_write_number(ws, row, lc, c.value, f);
                }
            }
            ++row;
        }
        worksheet_freeze_panes(ws, 1, table.key_value ? 0 : 1);
        if (!table.key_value && !table.rows.empty())
            worksheet_autofilter(ws, 0, 0, static_cast<lxw_row_t>(table.rows.size()),
                                 static_cast<lxw_col_t>(table.header.size() - 1));
    }
    if (const lxw_error err = workbook_close(wb); err != LXW_NO_ERROR)
        throw WriteError(out + ": " + lxw_strerror(err));
}

}  // namespace gisgate::report
