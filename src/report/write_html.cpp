// The html report: one page with everything inline — CSS, the tables and two SVG line charts (requests/s and
// P95 over the kept time) drawn here — so it can be mailed or archived as one file and opened offline.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "report/tables.hpp"
#include "report/writers.hpp"
#include "util/html.hpp"

namespace gisgate::report {

using util::html_escape;

namespace {

// A "nice" axis maximum (1, 2, 2.5, 5 × 10^n) at or above `value`.
double nice_ceiling(double value) {
    if (value <= 0) return 1;
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
    for (const double step : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (step * magnitude >= value) return step * magnitude;
    return 10 * magnitude;
}

std::string number_label(double v) {
    if (v == 0) return "0";
    if (std::fabs(v) >= 100) return fmt::format("{:.0f}", v);
    if (std::fabs(v) >= 10) return fmt::format("{:.1f}", v);
    return fmt::format("{:.2f}", v);
}

// One line chart over the series points (ordinal x: only kept time takes room; gaps break the line).
// `limit` > 0 draws a dashed threshold line (the slow P95).
std::string svg_chart(const Report& r, const std::string& title, const std::string& unit, double SeriesPoint::*field,
                      const std::string& css_class, double limit = 0) {
    constexpr double W = 960, H = 260, left = 64, right = 16, top = 28, bottom = 40;
    const double pw = W - left - right, ph = H - top - bottom;
    const auto& pts = r.series;
    double max_value = limit > 0 ? limit * 1.1 : 0;
    for (const auto& p : pts) max_value = std::max(max_value, p.*field);
    const double ymax = nice_ceiling(max_value);
    const std::size_t n = pts.size();
    auto x = [&](std::size_t i) { return left + (n <= 1 ? pw / 2 : pw * static_cast<double>(i) / static_cast<double>(n - 1)); };
    auto y = [&](double v) { return top + ph - ph * std::min(v, ymax) / ymax; };

    std::string svg = fmt::format(
        "<svg class=\"chart {}\" viewBox=\"0 0 {} {}\" width=\"100%\" role=\"img\" aria-label=\"{}\">\n"
        "<text x=\"{}\" y=\"18\" class=\"title\">{}</text>\n",
        css_class, W, H, html_escape(title), left, html_escape(title + " (" + unit + ")"));
    // Horizontal grid and y labels.
    for (int k = 0; k <= 4; ++k) {
        const double v = ymax * k / 4.0;
        svg += fmt::format("<line class=\"grid\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/>"
                           "<text class=\"ylabel\" x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n",
                           left, W - right, y(v), y(v), left - 6, y(v) + 4, number_label(v));
    }
    // Day boundaries: a tick and the date, at most ~12 labels.
    std::vector<std::size_t> day_starts;
    for (std::size_t i = 0; i < n; ++i)
        if (i == 0 || r.filter.day_number(pts[i].start) != r.filter.day_number(pts[i - 1].start)) day_starts.push_back(i);
    const std::size_t label_every = std::max<std::size_t>(1, (day_starts.size() + 11) / 12);
    for (std::size_t k = 0; k < day_starts.size(); ++k) {
        const auto i = day_starts[k];
        svg += fmt::format("<line class=\"day\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\"/>", x(i), top,
                           top + ph);
        if (k % label_every == 0)
            svg += fmt::format("<text class=\"xlabel\" x=\"{:.1f}\" y=\"{:.1f}\">{}</text>", x(i), H - bottom + 16,
                               html_escape(r.filter.format_day(pts[i].start).substr(5)));
        svg += "\n";
    }
    if (n == 1 && !day_starts.empty())
        svg += fmt::format("<text class=\"xlabel\" x=\"{:.1f}\" y=\"{:.1f}\">{}</text>", x(0), H - bottom + 30,
                           html_escape(r.filter.format_minute(pts[0].start).substr(11)));
    if (limit > 0)
        svg += fmt::format("<line class=\"limit\" x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\"/>"
                           "<text class=\"limitlabel\" x=\"{1:.1f}\" y=\"{3:.1f}\">{4} {5}</text>\n",
                           left, W - right, y(limit), y(limit) - 4, number_label(limit), html_escape(unit));
    // The line, broken where time was skipped; a lone point between gaps is a dot.
    std::string segment;
    std::size_t segment_points = 0;
    auto flush = [&] {
        if (segment_points > 1)
            svg += "<polyline class=\"line\" points=\"" + segment + "\"/>\n";
        else if (segment_points == 1) {
            const auto comma = segment.find(',');
            svg += fmt::format("<circle class=\"dot\" cx=\"{}\" cy=\"{}\" r=\"2\"/>\n", segment.substr(0, comma),
                               segment.substr(comma + 1, segment.size() - comma - 2));
        }
        segment.clear();
        segment_points = 0;
    };
    for (std::size_t i = 0; i < n; ++i) {
        if (pts[i].gap_before) flush();
        segment += fmt::format("{:.1f},{:.1f} ", x(i), y(pts[i].*field));
        ++segment_points;
    }
    flush();
    if (n == 0)
        svg += fmt::format("<text class=\"empty\" x=\"{}\" y=\"{}\">no data in the period</text>\n", W / 2, H / 2);
    svg += fmt::format("<line class=\"axis\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/>"
                       "<line class=\"axis\" x1=\"{0}\" x2=\"{3}\" y1=\"{2}\" y2=\"{2}\"/>\n</svg>\n",
                       left, top, top + ph, W - right);
    return svg;
}

std::string html_table(const Table& t) {
    std::string html = "<div class=\"scroll\"><table class=\"" + t.file_part + "\">\n<thead><tr>";
    for (const auto& h : t.header) html += "<th>" + html_escape(h) + "</th>";
    html += "</tr></thead>\n<tbody>\n";
    if (t.rows.empty())
        html += fmt::format("<tr><td colspan=\"{}\" class=\"none\">none in the period</td></tr>\n", t.header.size());
    for (const auto& row : t.rows) {
        const bool slow_row = std::any_of(row.begin(), row.end(), [](const Cell& c) { return c.highlight; });
        html += slow_row ? "<tr class=\"slow\">" : "<tr>";
        for (const auto& c : row) {
            const bool numeric = c.kind != Cell::Kind::text;
            std::string cls = numeric ? "num" : "";
            if (c.highlight) cls += cls.empty() ? "hl" : " hl";
            html += cls.empty() ? "<td>" : "<td class=\"" + cls + "\">";
            html += html_escape(c.plain()) + "</td>";
        }
        html += "</tr>\n";
    }
    html += "</tbody></table></div>\n";
    return html;
}

constexpr const char* kStyle = R"css(
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2430;background:#fff}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d5dbe3;padding-bottom:4px}
.sub{color:#5b6675;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{border:1px solid #d5dbe3;border-radius:6px;padding:8px 14px;min-width:130px}
.card b{display:block;font-size:20px} .card span{color:#5b6675;font-size:12px}
.scroll{overflow-x:auto} table{border-collapse:collapse;font-size:13px;margin:4px 0 8px}
th,td{border:1px solid #d5dbe3;padding:3px 7px;text-align:left;white-space:nowrap}
th{background:#ddebf7;position:sticky;top:0} td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.slow td{background:#fff4f5} td.hl{background:#ffc7ce !important;color:#9c0006;font-weight:bold}
td.none{color:#5b6675;font-style:italic}
.summary td:first-child{font-weight:600}
svg.chart{max-width:960px;display:block;margin:8px 0 16px;font-size:11px}
svg .title{font-size:13px;font-weight:600;fill:#1d2430} svg .grid{stroke:#e6eaf0} svg .day{stroke:#c9d1dc;stroke-dasharray:2 3}
svg .axis{stroke:#7a8594} svg .ylabel{text-anchor:end;fill:#5b6675} svg .xlabel{text-anchor:middle;fill:#5b6675}
svg .line{fill:none;stroke-width:1.6} svg.rps .line{stroke:#2f6fb5} svg.p95 .line{stroke:#c0392b}
svg .dot{fill:#2f6fb5} svg.p95 .dot{fill:#c0392b}
svg .limit{stroke:#c0392b;stroke-dasharray:6 4;opacity:.7} svg .limitlabel{text-anchor:end;fill:#c0392b}
svg .empty{text-anchor:middle;fill:#5b6675}
footer{margin-top:24px;color:#5b6675;font-size:12px}
)css";

}  // namespace

std::string render_html(const Report& r) {
    const auto tables = report_tables(r);
    const auto& f = r.filter;
    std::uint64_t slow_count = 0;
    for (const auto& s : r.services) slow_count += s.stats.slow ? 1 : 0;
    // Without --from/--to the period is what the data covers.
    const std::string first = r.empty() ? std::string("first record") : f.format_day(r.first_start);
    const std::string last = r.empty() ? std::string("last record") : f.format_day(r.last_end - 1);
    const std::string period = (f.from_text().empty() ? first : f.from_text()) + " to " +
                               (f.to_text().empty() ? last : f.to_text());

    std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    html += "<title>gisgate report " + html_escape(period) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
    html += "<h1>gisgate report</h1>\n";
    html += "<p class=\"sub\">" + html_escape(period) + " &middot; " + html_escape(f.days_text()) + " &middot; " +
            html_escape(f.hours_text()) + " &middot; time zone " + html_escape(f.zone_text()) + "</p>\n";
    auto card = [&](const std::string& value, const std::string& label) {
        html += "<div class=\"card\"><b>" + html_escape(value) + "</b><span>" + html_escape(label) + "</span></div>";
    };
    html += "<div class=\"cards\">";
    card(fmt::format("{}", r.total.requests), "requests");
    card(fmt::format("{:.2f}", r.total.rps_avg), "requests/s average");
    card(fmt::format("{:.2f}", r.total.rps_peak), "requests/s peak");
    card(fmt::format("{:.0f} ms", r.total.latency.p95), "P95 response time");
    card(fmt::format("{}", slow_count), fmt::format("slow services (P95 > {:g} ms)", r.slow_ms));
    card(fmt::format("{}", r.total.errors), "errors (5xx)");
    card(fmt::format("{}", r.alerts_fired), "alerts fired");
    html += "</div>\n";

    html += "<h2>Over time</h2>\n";
    if (r.series_step_seconds > 0)
        html += "<p class=\"sub\">One point per " + html_escape(human_duration(static_cast<double>(r.series_step_seconds))) +
                " of kept time; breaks in a line are time left out by the filter or not recorded.</p>\n";
    html += svg_chart(r, "Requests per second", "req/s", &SeriesPoint::rps, "rps");
    html += svg_chart(r, "P95 response time", "ms", &SeriesPoint::p95_ms, "p95", r.slow_ms);

    for (const auto& t : tables) {
        html += "<h2>" + html_escape(t.name) + "</h2>\n";
        if (!t.note.empty()) html += "<p class=\"sub\">" + html_escape(t.note) + "</p>\n";
        html += html_table(t);
    }
    html += "<footer>Generated by gisgate from " + html_escape(r.db_path) + " at " +
            html_escape(f.format_minute(r.generated)) + " (" + html_escape(f.zone_text()) + ").</footer>\n";
    html += "</body>\n</html>\n";
    return html;
}

void write_html(const Report& report, const std::string& out) {
    std::ofstream file(out, std::ios::binary | std::ios::trunc);
    if (!file) throw WriteError(out + ": cannot create file");
    file << render_html(report);
    file.close();
    if (!file) throw WriteError(out + ": write failed");
}

}  // namespace gisgate::report
