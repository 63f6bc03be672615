// What `gisgate report` computes from the history: the numbers of every sheet, independent of the output
// format (writers.hpp turns one Report into xlsx, csv or html).
//
// Definitions (all over the intervals and events the Filter keeps):
//   covered seconds  the sum of `seconds` over the distinct interval starts (service or server rows)
//   req/s avg        requests / covered seconds (for a service too: a minute without its requests counts)
//   req/s peak       the largest requests / seconds of one interval
//   percentiles      read from the merge of the kept intervals' histograms (LatencyHistogram, ±1 %)
//   availability     sum(up_seconds) / sum(seconds) of the server's rows; time down = sum(seconds - up_seconds)
//   transitions      health_event rows of the server
//   classes          class_interval rows (per pool and operation class), read like services
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "report/filter.hpp"

namespace gisgate::report {

// Response times in milliseconds.
struct Latency {
    double min = 0, avg = 0, p5 = 0, p25 = 0, p50 = 0, p75 = 0, p95 = 0, p99 = 0, max = 0;
};

struct TrafficStats {
    std::uint64_t requests = 0;
    std::uint64_t errors = 0;  // status >= 500
    double rps_avg = 0;
    double rps_peak = 0;
    std::int64_t peak_start = 0;  // start of the interval with the peak (Unix seconds); 0 = none
    Latency latency;
    bool slow = false;  // latency.p95 > the report's slow threshold
};

struct ServiceStats {
    std::string service, type, kind;
    TrafficStats stats;
};

struct ServerStats {
    std::string pool, server;
    std::uint64_t requests = 0, errors = 0;
    double seconds = 0;       // covered by this server's rows
    double up_seconds = 0;
    double availability = 0;  // 0..1 (1 when no rows)
    double down_seconds = 0;
    std::uint64_t transitions = 0;  // health_event rows
    std::uint64_t went_down = 0;    // of them, to "down"
    double avg_ms = 0, p95_ms = 0;
};

// Requests of one operation class (interactive, other, heavy) in one pool; rps_avg over the covered seconds
// like a service's, so the classes of a pool add up to its share of the total.
struct ClassStats {
    std::string pool, op_class;
    TrafficStats stats;
};

struct HealthEvent {
    std::int64_t time_ms = 0;
    std::string pool, server, state, reason;
};

struct AlertEvent {
    std::int64_t time_ms = 0;
    std::string rule, target, state, message;
    double value = 0;
};

// One point of the over-time charts: a run of consecutive kept intervals (at most ~kMaxPoints points).
struct SeriesPoint {
    std::int64_t start = 0;
    double seconds = 0;
    std::uint64_t requests = 0;
    double rps = 0;
    double p95_ms = 0;
    bool gap_before = false;  // time was skipped (filtered out or not recorded) before this point
};

struct ReportOptions {
    double slow_ms = 500;  // P95 above this is "slow" (highlighted)
    std::size_t max_points = 480;
};

struct Report {
    Filter filter;
    double slow_ms = 500;
    std::string db_path;
    std::int64_t generated = 0;  // Unix seconds
    std::int64_t first_start = 0, last_end = 0;  // data actually covered (0 when none)
    std::uint64_t intervals = 0;
    double covered_seconds = 0;
    TrafficStats total;
    std::vector<ServiceStats> services;  // by P95, slowest first
    std::vector<ServerStats> servers;    // by pool, server
    std::vector<ClassStats> classes;     // by pool, then interactive, other, heavy; only classes with requests
    std::vector<HealthEvent> health_events;
    std::vector<AlertEvent> alert_events;
    std::uint64_t alerts_fired = 0;
    std::vector<SeriesPoint> series;
    std::int64_t series_step_seconds = 0;  // nominal length of one point
    std::uint64_t damaged_histograms = 0;  // BLOBs that did not decode (their requests still count)

    bool empty() const { return intervals == 0; }
};

// Reads `db_path` (throws HistoryError) and computes the report for `filter`.
Report build_report(const std::string& db_path, const Filter& filter, const ReportOptions& options = {});

}  // namespace gisgate::report
