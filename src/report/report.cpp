#include "report/report.hpp"

#include <algorithm>
#include <ctime>
#include <map>
#include <memory>
#include <tuple>
#include <unordered_map>

#include "metrics/histogram.hpp"
#include "report/history_db.hpp"

namespace gisgate::report {

namespace {

using metrics::LatencyHistogram;

double ms(std::uint64_t micros) {
    return static_cast<double>(micros) / 1000.0;
}

Latency latency_of(const LatencyHistogram& h) {
    Latency l;
    if (h.count() == 0) return l;
    l.min = ms(h.min_micros());
    l.avg = h.mean_micros() / 1000.0;
    l.p5 = ms(h.percentile(5));
    l.p25 = ms(h.percentile(25));
    l.p50 = ms(h.percentile(50));
    l.p75 = ms(h.percentile(75));
    l.p95 = ms(h.percentile(95));
    l.p99 = ms(h.percentile(99));
    l.max = ms(h.max_micros());
    return l;
}

// Decodes a history BLOB and merges it into `into`; false (and nothing merged) when the BLOB is damaged.
bool merge_blob(LatencyHistogram& into, std::string_view blob) {
    const auto decoded = LatencyHistogram::decode(blob);
    if (!decoded) return false;
    into.merge(*decoded);
    return true;
}

// Classes in the order a reader thinks of them (docs/gis.md), not alphabetically; an unknown name goes last.
int class_rank(const std::string& name) {
    if (name == "interactive") return 0;
    if (name == "other") return 1;
    if (name == "heavy") return 2;
    return 3;
}

struct Interval {
    std::int64_t start = 0;
    std::int64_t seconds = 0;
    std::uint64_t requests = 0;
    std::size_t point = 0;  // index into the series
};

struct Accumulator {
    std::uint64_t requests = 0, errors = 0;
    double rps_peak = 0;
    std::int64_t peak_start = 0;
    std::unique_ptr<LatencyHistogram> histogram = std::make_unique<LatencyHistogram>();

    void add(std::int64_t start, std::int64_t seconds, std::uint64_t n, std::uint64_t e) {
        requests += n;
        errors += e;
        if (seconds > 0) {
            const double rps = static_cast<double>(n) / static_cast<double>(seconds);
            if (rps > rps_peak) {
                rps_peak = rps;
                peak_start = start;
            }
        }
    }
    TrafficStats stats(double covered_seconds, double slow_ms) const {
        TrafficStats s;
        s.requests = requests;
        s.errors = errors;
        s.rps_avg = covered_seconds > 0 ? static_cast<double>(requests) / covered_seconds : 0;
        s.rps_peak = rps_peak;
        s.peak_start = peak_start;
        s.latency = latency_of(*histogram);
        s.slow = s.latency.p95 > slow_ms;
        return s;
    }
};

struct ServerAccumulator {
    std::uint64_t requests = 0, errors = 0;
    double seconds = 0, up_seconds = 0;
    std::uint64_t transitions = 0, went_down = 0;
    std::unique_ptr<LatencyHistogram> histogram = std::make_unique<LatencyHistogram>();
};

}  // namespace

Report build_report(const std::string& db_path, const Filter& filter, const ReportOptions& options) {
    const HistoryDb db(db_path);
    Report report;
    report.filter = filter;
    report.slow_ms = options.slow_ms;
    report.db_path = db_path;
    report.generated = static_cast<std::int64_t>(std::time(nullptr));

    // 1. Which intervals the filter keeps (the day/hour test runs once per distinct start, not per row), and
    //    how they are grouped into chart points: a point is at most `per_point` consecutive kept intervals and
    //    never spans a gap, so a night left out by --hours shows as a break in the line.
    std::vector<Interval> intervals;
    db.interval_starts(filter.begin(), filter.end(), [&](std::int64_t start, std::int64_t seconds) {
        if (filter.includes(start)) intervals.push_back({start, std::max<std::int64_t>(seconds, 0), 0, 0});
    });
    std::unordered_map<std::int64_t, std::size_t> index_of;
    index_of.reserve(intervals.size());
    const std::size_t per_point =
        std::max<std::size_t>(1, (intervals.size() + options.max_points - 1) / std::max<std::size_t>(1, options.max_points));
    std::vector<std::unique_ptr<LatencyHistogram>> point_histograms;
    std::size_t in_point = 0;
    for (std::size_t i = 0; i < intervals.size(); ++i) {
        auto& iv = intervals[i];
        index_of.emplace(iv.start, i);
        report.covered_seconds += static_cast<double>(iv.seconds);
        const bool gap = i > 0 && iv.start > intervals[i - 1].start + intervals[i - 1].seconds;
        if (report.series.empty() || gap || in_point == per_point) {
            SeriesPoint p;
            p.start = iv.start;
            p.gap_before = gap;
            report.series.push_back(p);
            point_histograms.push_back(std::make_unique<LatencyHistogram>());
            in_point = 0;
        }
        ++in_point;
        iv.point = report.series.size() - 1;
        report.series.back().seconds += static_cast<double>(iv.seconds);
    }
    report.intervals = intervals.size();
    if (!intervals.empty()) {
        report.first_start = intervals.front().start;
        report.last_end = intervals.back().start + intervals.back().seconds;
    }
    report.series_step_seconds = intervals.empty() ? 0 : intervals.front().seconds * static_cast<std::int64_t>(per_point);

    // 2. Services: per-service accumulators, the all-services total, and the chart points.
    Accumulator total;
    std::map<std::pair<std::string, std::string>, std::pair<std::string, Accumulator>> services;
    db.service_intervals(filter.begin(), filter.end(), [&](const ServiceIntervalRow& row) {
        const auto it = index_of.find(row.start);
        if (it == index_of.end()) return;
        auto& iv = intervals[it->second];
        auto& [kind, acc] = services[{std::string(row.service), std::string(row.type)}];
        if (kind.empty()) kind = row.kind;
        acc.add(row.start, row.seconds, row.requests, row.errors);
        total.requests += row.requests;
        total.errors += row.errors;
        iv.requests += row.requests;
        report.series[iv.point].requests += row.requests;
        const auto decoded = LatencyHistogram::decode(row.histogram);
        if (!decoded) {
            ++report.damaged_histograms;
            return;
        }
        acc.histogram->merge(*decoded);
        total.histogram->merge(*decoded);
        point_histograms[iv.point]->merge(*decoded);
    });
    for (const auto& iv : intervals) {
        if (iv.seconds <= 0) continue;
        const double rps = static_cast<double>(iv.requests) / static_cast<double>(iv.seconds);
        if (rps > total.rps_peak) {
            total.rps_peak = rps;
            total.peak_start = iv.start;
        }
    }
    report.total = total.stats(report.covered_seconds, options.slow_ms);
    for (auto& [key, value] : services) {
        ServiceStats s;
        s.service = key.first;
        s.type = key.second;
        s.kind = value.first;
        s.stats = value.second.stats(report.covered_seconds, options.slow_ms);
        report.services.push_back(std::move(s));
    }
    std::stable_sort(report.services.begin(), report.services.end(), [](const auto& a, const auto& b) {
        return a.stats.latency.p95 > b.stats.latency.p95;
    });
    for (std::size_t i = 0; i < report.series.size(); ++i) {
        auto& p = report.series[i];
        p.rps = p.seconds > 0 ? static_cast<double>(p.requests) / p.seconds : 0;
        p.p95_ms = ms(point_histograms[i]->percentile(95));
    }

    // 3. Servers: traffic and availability from their rows, transitions from health_event.
    std::map<std::pair<std::string, std::string>, ServerAccumulator> servers;
    db.server_intervals(filter.begin(), filter.end(), [&](const ServerIntervalRow& row) {
        if (!index_of.count(row.start)) return;
        auto& acc = servers[{std::string(row.pool), std::string(row.server)}];
        acc.requests += row.requests;
        acc.errors += row.errors;
        acc.seconds += static_cast<double>(row.seconds);
        acc.up_seconds += std::clamp(row.up_seconds, 0.0, static_cast<double>(row.seconds));
        if (!merge_blob(*acc.histogram, row.histogram)) ++report.damaged_histograms;
    });
    db.health_events(filter.begin(), filter.end(), [&](const HealthEventRow& row) {
        if (!filter.includes(row.time_ms / 1000)) return;
        auto& acc = servers[{std::string(row.pool), std::string(row.server)}];
        ++acc.transitions;
        if (row.state == "down") ++acc.went_down;
        report.health_events.push_back(
            {row.time_ms, std::string(row.pool), std::string(row.server), std::string(row.state), std::string(row.reason)});
    });
    for (auto& [key, acc] : servers) {
        ServerStats s;
        s.pool = key.first;
        s.server = key.second;
        s.requests = acc.requests;
        s.errors = acc.errors;
        s.seconds = acc.seconds;
        s.up_seconds = acc.up_seconds;
        s.availability = acc.seconds > 0 ? acc.up_seconds / acc.seconds : 1.0;
        s.down_seconds = acc.seconds - acc.up_seconds;
        s.transitions = acc.transitions;
        s.went_down = acc.went_down;
        s.avg_ms = acc.histogram->mean_micros() / 1000.0;
        s.p95_ms = ms(acc.histogram->percentile(95));
        report.servers.push_back(std::move(s));
    }

    // 4. Operation classes: like services, per pool and class.
    std::map<std::pair<std::string, std::string>, Accumulator> classes;
    db.class_intervals(filter.begin(), filter.end(), [&](const ClassIntervalRow& row) {
        if (row.requests == 0 || !index_of.count(row.start)) return;
        auto& acc = classes[{std::string(row.pool), std::string(row.op_class)}];
        acc.add(row.start, row.seconds, row.requests, row.errors);
        if (!merge_blob(*acc.histogram, row.histogram)) ++report.damaged_histograms;
    });
    for (auto& [key, acc] : classes)
        report.classes.push_back({key.first, key.second, acc.stats(report.covered_seconds, options.slow_ms)});
    std::stable_sort(report.classes.begin(), report.classes.end(), [](const auto& a, const auto& b) {
        return std::make_tuple(a.pool, class_rank(a.op_class)) < std::make_tuple(b.pool, class_rank(b.op_class));
    });

    // 5. Alerts.
    db.alert_events(filter.begin(), filter.end(), [&](const AlertEventRow& row) {
        if (!filter.includes(row.time_ms / 1000)) return;
        if (row.state == "firing") ++report.alerts_fired;
        report.alert_events.push_back({row.time_ms, std::string(row.rule), std::string(row.target),
                                       std::string(row.state), std::string(row.message), row.value});
    });
    return report;
}

}  // namespace gisgate::report
