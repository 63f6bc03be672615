// The known history the report tests read: Sunday 2026-11-01 to Monday 2026-11-09 (UTC), one-minute
// intervals at 08:00, 09:00, 16:00 and 17:00 each day, so every filter (dates, days, hours, time zone) has
// rows on both sides of its edges.
//
//   Maps/Streets  MapServer      60 requests a minute (1 req/s): 54 at 100 ms, 6 at 300 ms; 5 s each at 08:00
//                                (outside 09-17: included only when the filter lets 08:00 in);
//                                600 requests (10 req/s) on Wed 11-04 16:00 — the peak
//   Hydro/Rivers  FeatureServer  20 requests a minute at 800 ms (slow: P95 > 500 ms), 2 of them errors
//   portal        (portal)       10 requests a minute at 50 ms
//   Weekend/Only  MapServer      30 requests at 2 s, Saturdays and Sundays only
//   classes of pool gis: interactive = Maps/Streets' requests, heavy = Hydro/Rivers', other = Weekend/Only's
//                                (so no "other" on working days); portal's requests have no class row
//   servers gis/a and gis/b split the requests; b is up 30 of 60 s on Tue 11-03 09:00 and down all of
//   Sat 11-07 09:00; health events and alerts on Mon/Tue (inside) and Saturday (outside a mon-fri filter).
#pragma once

#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "report/history_builder.hpp"

namespace gisgate::test {

inline std::int64_t utc(int day, int hour, int minute = 0, int second = 0) {
    std::tm tm{};
    tm.tm_year = 2026 - 1900;
    tm.tm_mon = 10;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    return static_cast<std::int64_t>(timegm(&tm));
}

struct SampleServiceRow {
    std::int64_t start = 0;
    std::string service, type, kind;
    metrics::LatencyHistogram histogram;
    std::uint64_t errors = 0;
};

struct SampleServerRow {
    std::int64_t start = 0;
    std::string server;
    std::uint64_t requests = 0;
    double up_seconds = 60;
};

struct SampleHistory {
    std::vector<SampleServiceRow> services;
    std::vector<SampleServerRow> servers;
    std::vector<std::int64_t> starts;

    // The merge of `service`'s histograms over the starts `keep` accepts ("" = every service).
    metrics::LatencyHistogram merged(const std::string& service, const std::function<bool(std::int64_t)>& keep) const {
        metrics::LatencyHistogram h;
        for (const auto& r : services)
            if ((service.empty() || r.service == service) && keep(r.start)) h.merge(r.histogram);
        return h;
    }
};

inline SampleHistory sample_history() {
    SampleHistory s;
    for (int day = 1; day <= 9; ++day) {
        const bool weekend = day == 1 || day == 7 || day == 8;
        for (int hour : {8, 9, 16, 17}) {
            const auto start = utc(day, hour);
            s.starts.push_back(start);
            std::uint64_t total = 0;
            auto add = [&](const std::string& service, const std::string& type, const std::string& kind,
                           std::vector<std::pair<std::uint64_t, std::uint64_t>> values, std::uint64_t errors) {
                SampleServiceRow row{start, service, type, kind, {}, errors};
                for (auto [micros, n] : values) row.histogram.record(micros, n);
                total += row.histogram.count();
                s.services.push_back(std::move(row));
            };
            if (hour == 8)
                add("Maps/Streets", "MapServer", "service", {{5'000'000, 60}}, 0);
            else if (day == 4 && hour == 16)
                add("Maps/Streets", "MapServer", "service", {{100'000, 540}, {300'000, 60}}, 0);
            else
                add("Maps/Streets", "MapServer", "service", {{100'000, 54}, {300'000, 6}}, 0);
            add("Hydro/Rivers", "FeatureServer", "service", {{800'000, 20}}, 2);
            add("portal", "", "portal", {{50'000, 10}}, 0);
            if (weekend) add("Weekend/Only", "MapServer", "service", {{2'000'000, 30}}, 0);
            double b_up = 60;
            if (day == 3 && hour == 9) b_up = 30;
            if (day == 7 && hour == 9) b_up = 0;
            s.servers.push_back({start, "a", total / 2, 60});
            s.servers.push_back({start, "b", total - total / 2, b_up});
        }
    }
    return s;
}

inline void write_sample_history(const std::string& path, const SampleHistory& s = sample_history()) {
    HistoryBuilder db(path);
    for (const auto& r : s.services) {
        db.service(r.start, 60, r.service, r.type, r.kind, r.histogram, r.errors);
        const char* op_class = r.service == "Maps/Streets"   ? "interactive"
                               : r.service == "Hydro/Rivers" ? "heavy"
                               : r.service == "Weekend/Only" ? "other"
                                                             : nullptr;
        if (op_class) db.op_class(r.start, 60, "gis", op_class, r.histogram, r.errors);
    }
    for (const auto& r : s.servers) {
        metrics::LatencyHistogram h;
        h.record(100'000, r.requests);
        db.server(r.start, 60, "gis", r.server, h, 0, r.up_seconds);
    }
    db.health(utc(3, 9, 0, 10) * 1000, "gis", "b", "down", "connect: connection refused");
    db.health(utc(3, 9, 0, 40) * 1000 + 500, "gis", "b", "up", "check ok");
    db.health(utc(7, 9, 0, 0) * 1000, "gis", "b", "down", "timeout");
    db.health(utc(7, 9, 59, 0) * 1000, "gis", "b", "up", "check ok");
    db.alert(utc(2, 9, 0, 30) * 1000, "slow_service", "Hydro/Rivers", "firing", 800, "P95 800 ms > 500 ms");
    db.alert(utc(2, 16, 0, 30) * 1000, "slow_service", "Hydro/Rivers", "resolved", 450, "P95 450 ms <= 500 ms");
    db.alert(utc(7, 9, 0, 5) * 1000, "server_down", "gis/b", "firing", 0, "gis/b is down");
}

}  // namespace gisgate::test
