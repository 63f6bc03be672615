#include "report/tables.hpp"

#include <fmt/format.h>

#include <cmath>

namespace gisgate::report {

std::string Cell::plain() const {
    switch (kind) {
        case Kind::text:
            return text;
        case Kind::integer:
            return fmt::format("{:.0f}", value);
        case Kind::number:
            return fmt::format("{:.{}f}", value, decimals);
        case Kind::percent:
            return fmt::format("{:.{}f}", value * 100.0, decimals);
    }
    return text;
}

std::string human_duration(double seconds) {
    const auto s = static_cast<long long>(std::llround(std::max(0.0, seconds)));
    if (s < 60) return fmt::format("{} s", s);
    if (s < 3600) return fmt::format("{} min {:02} s", s / 60, s % 60);
    if (s < 86400) return fmt::format("{} h {:02} min", s / 3600, (s % 3600) / 60);
    return fmt::format("{} d {} h {:02} min", s / 86400, (s % 86400) / 3600, (s % 3600) / 60);
}

namespace {

std::string when(const Report& r, std::int64_t start) {
    return start ? r.filter.format_minute(start) : "";
}

std::string event_time(const Report& r, std::int64_t time_ms) {
    return r.filter.format_second(time_ms / 1000);
}

Table summary(const Report& r) {
    Table t;
    t.name = "Summary";
    t.file_part = "summary";
    t.header = {"Item", "Value"};
    t.widths = {34, 44};
    t.key_value = true;
    auto add = [&](std::string item, Cell value) { t.rows.push_back({Cell::str(std::move(item)), std::move(value)}); };
    const auto& f = r.filter;
    const auto slow = fmt::format("{:g}", r.slow_ms);
    add("Period from", Cell::str(f.from_text().empty() ? "(first record)" : f.from_text()));
    add("Period to", Cell::str(f.to_text().empty() ? "(last record)" : f.to_text()));
    add("Days", Cell::str(f.days_text()));
    add("Hours", Cell::str(f.hours_text()));
    add("Time zone", Cell::str(f.zone_text()));
    add("Data from", Cell::str(r.empty() ? "(no data in the period)" : f.format_minute(r.first_start)));
    add("Data to", Cell::str(r.empty() ? "" : f.format_minute(r.last_end)));
    add("Intervals", Cell::integer(r.intervals));
    add("Covered time (hours)", Cell::num(r.covered_seconds / 3600.0, 2));
    add("Requests", Cell::integer(r.total.requests));
    add("Errors (5xx)", Cell::integer(r.total.errors));
    add("Error rate %",
        Cell::pct(r.total.requests ? static_cast<double>(r.total.errors) / static_cast<double>(r.total.requests) : 0));
    add("Requests/s average", Cell::num(r.total.rps_avg, 3));
    add("Requests/s peak", Cell::num(r.total.rps_peak, 3));
    add("Peak at", Cell::str(when(r, r.total.peak_start)));
    add("Response time avg (ms)", Cell::num(r.total.latency.avg, 2));
    add("Response time P50 (ms)", Cell::num(r.total.latency.p50, 2));
    add("Response time P95 (ms)", Cell::num(r.total.latency.p95, 2));
    add("Response time P99 (ms)", Cell::num(r.total.latency.p99, 2));
    add("Services", Cell::integer(r.services.size()));
    std::uint64_t slow_count = 0;
    for (const auto& s : r.services) slow_count += s.stats.slow ? 1 : 0;
    add("Slow services (P95 > " + slow + " ms)", Cell::integer(slow_count));
    add("Servers", Cell::integer(r.servers.size()));
    add("Health transitions", Cell::integer(r.health_events.size()));
    add("Alerts fired", Cell::integer(r.alerts_fired));
    for (const auto& s : r.servers)
        add("Availability % " + s.pool + "/" + s.server, Cell::pct(s.availability));
    add("History database", Cell::str(r.db_path));
    add("Generated", Cell::str(f.format_minute(r.generated)));
    return t;
}

Table services(const Report& r) {
    Table t;
    t.name = "Services";
    t.file_part = "services";
    t.header = {"Service", "Type", "Kind", "Requests", "Errors", "Error %", "Req/s avg", "Req/s peak", "Peak at",
                "Min ms", "Avg ms", "P5 ms", "P25 ms", "P50 ms", "P75 ms", "P95 ms", "P99 ms", "Max ms",
                fmt::format("Slow (P95 > {:g} ms)", r.slow_ms)};
    t.widths = {34, 15, 9, 11, 9, 9, 10, 10, 17, 9, 9, 9, 9, 9, 9, 9, 9, 10, 10};
    for (const auto& s : r.services) {
        const auto& st = s.stats;
        const auto& l = st.latency;
        Cell p95 = Cell::num(l.p95, 2);
        p95.highlight = st.slow;
        t.rows.push_back({Cell::str(s.service), Cell::str(s.type), Cell::str(s.kind), Cell::integer(st.requests),
                          Cell::integer(st.errors),
                          Cell::pct(st.requests ? static_cast<double>(st.errors) / static_cast<double>(st.requests) : 0, 2),
                          Cell::num(st.rps_avg, 3), Cell::num(st.rps_peak, 3), Cell::str(when(r, st.peak_start)),
                          Cell::num(l.min, 2), Cell::num(l.avg, 2), Cell::num(l.p5, 2), Cell::num(l.p25, 2),
                          Cell::num(l.p50, 2), Cell::num(l.p75, 2), p95, Cell::num(l.p99, 2), Cell::num(l.max, 2),
                          Cell::str(st.slow ? "yes" : "")});
    }
    return t;
}

Table servers(const Report& r) {
    Table t;
    t.name = "Servers";
    t.file_part = "servers";
    t.header = {"Pool", "Server", "Requests", "Errors", "Availability %", "Time down (s)", "Time down",
                "Health transitions", "Went down", "Avg ms", "P95 ms"};
    t.widths = {14, 18, 11, 9, 14, 13, 16, 17, 10, 9, 9};
    for (const auto& s : r.servers) {
        t.rows.push_back({Cell::str(s.pool), Cell::str(s.server), Cell::integer(s.requests), Cell::integer(s.errors),
                          Cell::pct(s.availability), Cell::num(s.down_seconds, 0),
                          Cell::str(human_duration(s.down_seconds)), Cell::integer(s.transitions),
                          Cell::integer(s.went_down), Cell::num(s.avg_ms, 2), Cell::num(s.p95_ms, 2)});
    }
    return t;
}

Table classes(const Report& r) {
    Table t;
    t.name = "Classes";
    t.file_part = "classes";
    t.header = {"Pool", "Class", "Requests", "Errors", "Error %", "Req/s avg", "P50 ms", "P95 ms", "P99 ms"};
    t.widths = {14, 12, 11, 9, 9, 10, 9, 9, 9};
    t.note = "Requests per pool and operation class (interactive: tiles, queries, identify...; heavy: large "
             "exports, geoprocessing, batch geocoding; other: the rest), for the classes that had requests.";
    for (const auto& c : r.classes) {
        const auto& st = c.stats;
        t.rows.push_back({Cell::str(c.pool), Cell::str(c.op_class), Cell::integer(st.requests), Cell::integer(st.errors),
                          Cell::pct(st.requests ? static_cast<double>(st.errors) / static_cast<double>(st.requests) : 0, 2),
                          Cell::num(st.rps_avg, 3), Cell::num(st.latency.p50, 2), Cell::num(st.latency.p95, 2),
                          Cell::num(st.latency.p99, 2)});
    }
    return t;
}

Table alerts(const Report& r) {
    Table t;
    t.name = "Alerts";
    t.file_part = "alerts";
    t.header = {"Time", "Rule", "Target", "State", "Value", "Message"};
    t.widths = {20, 20, 28, 10, 12, 60};
    for (const auto& a : r.alert_events)
        t.rows.push_back({Cell::str(event_time(r, a.time_ms)), Cell::str(a.rule), Cell::str(a.target),
                          Cell::str(a.state), Cell::num(a.value, 3), Cell::str(a.message)});
    return t;
}

Table health(const Report& r) {
    Table t;
    t.name = "Health events";
    t.file_part = "health";
    t.header = {"Time", "Pool", "Server", "State", "Reason"};
    t.widths = {20, 14, 18, 8, 60};
    for (const auto& e : r.health_events)
        t.rows.push_back({Cell::str(event_time(r, e.time_ms)), Cell::str(e.pool), Cell::str(e.server),
                          Cell::str(e.state), Cell::str(e.reason)});
    return t;
}

}  // namespace

std::vector<Table> report_tables(const Report& report) {
    return {summary(report), services(report), servers(report), classes(report), alerts(report), health(report)};
}

}  // namespace gisgate::report
