// build_report() over a known history: the filters (dates inclusive, days, hours, local time zone), the
// numbers (requests, req/s average and peak, percentiles of the merged histograms, availability, time down,
// transitions, alerts) and the chart series.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "report/history_db.hpp"
#include "report/report.hpp"
#include "report/sample_history.hpp"
#include "support/process.hpp"

namespace gisgate::test {
namespace {

using report::Filter;

// Sets TZ for this process (and children started meanwhile) and restores it.
class ScopedTz {
public:
    explicit ScopedTz(const char* tz) {
        if (const char* old = std::getenv("TZ")) old_ = old;
        setenv("TZ", tz, 1);
        tzset();
    }
    ~ScopedTz() {
        if (old_) setenv("TZ", old_->c_str(), 1);
        else unsetenv("TZ");
        tzset();
    }

private:
    std::optional<std::string> old_;
};

const std::string& sample_db() {
    static const std::string path = [] {
        const auto p = temp_dir() + "/sample-history.db";
        write_sample_history(p);
        return p;
    }();
    return path;
}

Filter working_week() {  // --from 2026-11-02 --to 2026-11-06 --days mon-fri --hours 09-17
    Filter f;
    f.set_from(*report::parse_date("2026-11-02"));
    f.set_to(*report::parse_date("2026-11-06"));
    std::string error;
    f.set_days(*report::parse_days("mon-fri", error), "mon-fri");
    f.set_hours(*report::parse_hours("09-17", error), "09-17");
    return f;
}

bool in_working_week(std::int64_t start) {
    for (int day = 2; day <= 6; ++day)
        for (int hour : {9, 16})
            if (start == utc(day, hour)) return true;
    return false;
}

const report::ServiceStats* find_service(const report::Report& r, const std::string& name) {
    for (const auto& s : r.services)
        if (s.service == name) return &s;
    return nullptr;
}

const report::ServerStats* find_server(const report::Report& r, const std::string& name) {
    for (const auto& s : r.servers)
        if (s.server == name) return &s;
    return nullptr;
}

void expect_latency_from(const report::Latency& l, const metrics::LatencyHistogram& h) {
    ASSERT_GT(h.count(), 0u);
    EXPECT_DOUBLE_EQ(l.min, h.min_micros() / 1000.0);
    EXPECT_DOUBLE_EQ(l.avg, h.mean_micros() / 1000.0);
    EXPECT_DOUBLE_EQ(l.p5, h.percentile(5) / 1000.0);
    EXPECT_DOUBLE_EQ(l.p25, h.percentile(25) / 1000.0);
    EXPECT_DOUBLE_EQ(l.p50, h.percentile(50) / 1000.0);
    EXPECT_DOUBLE_EQ(l.p75, h.percentile(75) / 1000.0);
    EXPECT_DOUBLE_EQ(l.p95, h.percentile(95) / 1000.0);
    EXPECT_DOUBLE_EQ(l.p99, h.percentile(99) / 1000.0);
    EXPECT_DOUBLE_EQ(l.max, h.max_micros() / 1000.0);
}

TEST(ReportNumbers, WorkingWeekTotalsRatesAndPercentiles) {
    ScopedTz tz("UTC");
    const auto sample = sample_history();
    const auto r = report::build_report(sample_db(), working_week());

    EXPECT_EQ(r.intervals, 10u);  // 5 days × {09:00, 16:00}
    EXPECT_DOUBLE_EQ(r.covered_seconds, 600);
    EXPECT_EQ(r.first_start, utc(2, 9));
    EXPECT_EQ(r.last_end, utc(6, 16, 1));

    // 9 minutes of 60 + the 600 peak; 10 × 20; 10 × 10.
    EXPECT_EQ(r.total.requests, 1140u + 200u + 100u);
    EXPECT_EQ(r.total.errors, 20u);
    EXPECT_DOUBLE_EQ(r.total.rps_avg, 1440.0 / 600.0);
    EXPECT_DOUBLE_EQ(r.total.rps_peak, 630.0 / 60.0);
    EXPECT_EQ(r.total.peak_start, utc(4, 16));
    expect_latency_from(r.total.latency, sample.merged("", in_working_week));

    ASSERT_EQ(r.services.size(), 3u);  // Weekend/Only has no row on working days
    EXPECT_EQ(find_service(r, "Weekend/Only"), nullptr);
    // Sorted by P95, slowest first.
    EXPECT_EQ(r.services[0].service, "Hydro/Rivers");
    EXPECT_EQ(r.services[1].service, "Maps/Streets");
    EXPECT_EQ(r.services[2].service, "portal");

    const auto* streets = find_service(r, "Maps/Streets");
    ASSERT_NE(streets, nullptr);
    EXPECT_EQ(streets->type, "MapServer");
    EXPECT_EQ(streets->kind, "service");
    EXPECT_EQ(streets->stats.requests, 1140u);
    EXPECT_DOUBLE_EQ(streets->stats.rps_avg, 1140.0 / 600.0);
    EXPECT_DOUBLE_EQ(streets->stats.rps_peak, 10.0);
    EXPECT_EQ(streets->stats.peak_start, utc(4, 16));
    expect_latency_from(streets->stats.latency, sample.merged("Maps/Streets", in_working_week));
    // And against the recorded values themselves (1 % histogram precision): no 5 s 08:00 request got in.
    EXPECT_NEAR(streets->stats.latency.p50, 100, 1.0);
    EXPECT_NEAR(streets->stats.latency.p95, 300, 3.0);
    EXPECT_NEAR(streets->stats.latency.max, 300, 3.0);
    EXPECT_NEAR(streets->stats.latency.avg, (1026 * 100.0 + 114 * 300.0) / 1140, 0.01);
    EXPECT_FALSE(streets->stats.slow);

    const auto* rivers = find_service(r, "Hydro/Rivers");
    ASSERT_NE(rivers, nullptr);
    EXPECT_EQ(rivers->stats.requests, 200u);
    EXPECT_EQ(rivers->stats.errors, 20u);
    EXPECT_NEAR(rivers->stats.latency.p95, 800, 8.0);
    EXPECT_TRUE(rivers->stats.slow);

    const auto* portal = find_service(r, "portal");
    ASSERT_NE(portal, nullptr);
    EXPECT_EQ(portal->kind, "portal");
    EXPECT_EQ(portal->type, "");

    const auto* a = find_server(r, "a");
    const auto* b = find_server(r, "b");
    ASSERT_TRUE(a && b);
    EXPECT_DOUBLE_EQ(a->availability, 1.0);
    EXPECT_DOUBLE_EQ(a->down_seconds, 0);
    EXPECT_EQ(a->transitions, 0u);
    EXPECT_DOUBLE_EQ(b->availability, 570.0 / 600.0);
    EXPECT_DOUBLE_EQ(b->down_seconds, 30);
    EXPECT_EQ(b->transitions, 2u);  // Tuesday's down and up; Saturday's are outside
    EXPECT_EQ(b->went_down, 1u);
    EXPECT_EQ(a->requests + b->requests, 1440u);

    // Classes: only those with requests in the period (no "other": Weekend/Only's), interactive first.
    ASSERT_EQ(r.classes.size(), 2u);
    EXPECT_EQ(r.classes[0].pool, "gis");
    EXPECT_EQ(r.classes[0].op_class, "interactive");
    EXPECT_EQ(r.classes[1].op_class, "heavy");
    const auto& interactive = r.classes[0].stats;
    EXPECT_EQ(interactive.requests, 1140u);
    EXPECT_EQ(interactive.errors, 0u);
    EXPECT_DOUBLE_EQ(interactive.rps_avg, 1140.0 / 600.0);
    expect_latency_from(interactive.latency, sample.merged("Maps/Streets", in_working_week));
    const auto& heavy = r.classes[1].stats;
    EXPECT_EQ(heavy.requests, 200u);
    EXPECT_EQ(heavy.errors, 20u);
    EXPECT_NEAR(heavy.latency.p95, 800, 8.0);

    ASSERT_EQ(r.health_events.size(), 2u);
    EXPECT_EQ(r.health_events[0].state, "down");
    ASSERT_EQ(r.alert_events.size(), 2u);  // Monday's firing and resolved
    EXPECT_EQ(r.alerts_fired, 1u);
    EXPECT_EQ(r.alert_events[0].target, "Hydro/Rivers");
}

TEST(ReportNumbers, NoFilterTakesEverything) {
    ScopedTz tz("UTC");
    const auto r = report::build_report(sample_db(), Filter{});
    EXPECT_EQ(r.intervals, 36u);
    const auto* weekend = find_service(r, "Weekend/Only");
    ASSERT_NE(weekend, nullptr);
    EXPECT_EQ(weekend->stats.requests, 3u * 4u * 30u);
    EXPECT_DOUBLE_EQ(weekend->stats.rps_avg, 360.0 / (36 * 60));
    EXPECT_EQ(r.health_events.size(), 4u);
    EXPECT_EQ(r.alerts_fired, 2u);
    EXPECT_EQ(r.services.front().service, "Maps/Streets");  // its 5 s 08:00 minutes make it the slowest now
    ASSERT_EQ(r.classes.size(), 3u);
    EXPECT_EQ(r.classes[1].op_class, "other");
    EXPECT_EQ(r.classes[1].stats.requests, 360u);
}

// A history written before class_interval existed is still a history: the report has no class rows.
TEST(ReportNumbers, AHistoryWithoutTheClassTableHasNoClasses) {
    ScopedTz tz("UTC");
    const auto path = temp_dir() + "/no-classes.db";
    std::filesystem::remove(path);
    write_sample_history(path);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DROP TABLE class_interval", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    const auto r = report::build_report(path, working_week());
    EXPECT_TRUE(r.classes.empty());
    EXPECT_EQ(r.total.requests, 1440u);
}

std::uint64_t intervals_for(const char* from, const char* to, const char* days, const char* hours) {
    Filter f;
    std::string error;
    if (from) f.set_from(*report::parse_date(from));
    if (to) f.set_to(*report::parse_date(to));
    if (days) f.set_days(*report::parse_days(days, error), days);
    if (hours) f.set_hours(*report::parse_hours(hours, error), hours);
    return report::build_report(sample_db(), f).intervals;
}

TEST(ReportFilter, DatesAreInclusiveDaysAndHoursSelect) {
    ScopedTz tz("UTC");
    EXPECT_EQ(intervals_for("2026-11-03", "2026-11-03", nullptr, nullptr), 4u);  // one whole day
    EXPECT_EQ(intervals_for("2026-11-02", "2026-11-09", nullptr, nullptr), 32u);  // both ends included
    EXPECT_EQ(intervals_for(nullptr, "2026-11-01", nullptr, nullptr), 4u);
    EXPECT_EQ(intervals_for("2026-11-09", nullptr, nullptr, nullptr), 4u);
    EXPECT_EQ(intervals_for(nullptr, nullptr, "sat-sun", nullptr), 12u);  // 11-01, 11-07, 11-08
    EXPECT_EQ(intervals_for(nullptr, nullptr, "mon-fri", nullptr), 24u);
    EXPECT_EQ(intervals_for(nullptr, nullptr, "tue", nullptr), 4u);
    EXPECT_EQ(intervals_for(nullptr, nullptr, nullptr, "09-17"), 18u);  // 09:00 and 16:00; 17:00 is the end
    EXPECT_EQ(intervals_for(nullptr, nullptr, nullptr, "16-17"), 9u);
    EXPECT_EQ(intervals_for(nullptr, nullptr, nullptr, "17-24"), 9u);
    EXPECT_EQ(intervals_for(nullptr, nullptr, nullptr, "22-10"), 18u);  // past midnight: 08:00 and 09:00
    EXPECT_EQ(intervals_for(nullptr, nullptr, nullptr, "08:30-09:01,16-16:01"), 18u);
    EXPECT_EQ(intervals_for("2026-11-10", "2026-11-30", nullptr, nullptr), 0u);
}

TEST(ReportFilter, DaysHoursAndDatesAreLocalTime) {
    // UTC+9 without daylight saving (a POSIX TZ string, no tzdata needed): 09:00 UTC is 18:00 local, and
    // local Tuesday 11-03 runs from 11-02 15:00 UTC to 11-03 15:00 UTC.
    ScopedTz tz("JST-9");
    EXPECT_EQ(intervals_for("2026-11-03", "2026-11-03", nullptr, "18-19"), 1u);
    EXPECT_EQ(intervals_for("2026-11-03", "2026-11-03", nullptr, nullptr), 4u);  // 11-02 16:00, 17:00; 11-03 08:00, 09:00
    Filter f;
    f.set_from(*report::parse_date("2026-11-03"));
    EXPECT_EQ(f.begin(), utc(2, 15));
    EXPECT_EQ(f.format_minute(utc(3, 9)), "2026-11-03 18:00");
    EXPECT_EQ(f.zone_text(), "JST-9");
    // --utc ignores TZ.
    Filter u;
    u.set_utc(true);
    u.set_from(*report::parse_date("2026-11-03"));
    EXPECT_EQ(u.begin(), utc(3, 0));
    EXPECT_EQ(u.zone_text(), "UTC");
}

TEST(ReportFilter, MidnightFollowsDaylightSavingRules) {
    ScopedTz tz("CET-1CEST,M3.5.0,M10.5.0/3");  // Central Europe
    Filter f;
    f.set_from(*report::parse_date("2026-03-29"));  // the day summer time starts
    f.set_to(*report::parse_date("2026-03-29"));
    std::tm tm{};
    tm.tm_year = 126, tm.tm_mon = 2, tm.tm_mday = 28, tm.tm_hour = 23;
    EXPECT_EQ(f.begin(), timegm(&tm));      // 00:00 CET = 23:00 UTC the day before
    EXPECT_EQ(f.end() - f.begin(), 23 * 3600);  // a 23-hour day
}

TEST(ReportFilter, ParsersAcceptTheDocumentedFormsOnly) {
    std::string error;
    const auto mf = report::parse_days("mon-fri", error);
    ASSERT_TRUE(mf);
    EXPECT_EQ(*mf, (std::array<bool, 7>{false, true, true, true, true, true, false}));
    EXPECT_EQ(*report::parse_days("Saturday,SUN", error), (std::array<bool, 7>{true, false, false, false, false, false, true}));
    EXPECT_EQ(*report::parse_days("fri-mon", error), (std::array<bool, 7>{true, true, false, false, false, true, true}));
    EXPECT_EQ(*report::parse_days("all", error), (std::array<bool, 7>{true, true, true, true, true, true, true}));
    EXPECT_FALSE(report::parse_days("funday", error));
    EXPECT_NE(error.find("funday"), std::string::npos);
    EXPECT_FALSE(report::parse_days("mon-", error));

    const auto h = report::parse_hours("09-17", error);
    ASSERT_TRUE(h);
    ASSERT_EQ(h->size(), 1u);
    EXPECT_EQ((*h)[0].begin, 9 * 60);
    EXPECT_EQ((*h)[0].end, 17 * 60);
    EXPECT_EQ(report::parse_hours("08:30-12,13-17:45", error)->size(), 2u);
    EXPECT_EQ(report::parse_hours("22-06", error)->size(), 2u);
    EXPECT_EQ(report::parse_hours("00-24", error)->size(), 1u);
    for (const char* bad : {"9", "25-26", "09-09", "9:5-10", "09:60-10", "a-b", "", "24-02", "-5"})
        EXPECT_FALSE(report::parse_hours(bad, error)) << bad;

    EXPECT_TRUE(report::parse_date("2028-02-29"));
    for (const char* bad : {"2026-02-29", "2026-13-01", "2026-1-1", "20261101", "2026-11-31", "next week"})
        EXPECT_FALSE(report::parse_date(bad)) << bad;
}

TEST(ReportSeries, PointsMergeConsecutiveIntervalsAndBreakAtGaps) {
    ScopedTz tz("UTC");
    const auto path = temp_dir() + "/continuous.db";
    {
        HistoryBuilder db(path);
        // 120 consecutive minutes, then a gap of an hour, then 5 more.
        auto minute = [&](std::int64_t start, std::uint64_t n, std::uint64_t micros) {
            metrics::LatencyHistogram h;
            h.record(micros, n);
            db.service(start, 60, "S", "MapServer", "service", h, 0);
            db.server(start, 60, "p", "s1", h, 0, 60);
        };
        for (int m = 0; m < 120; ++m) minute(utc(2, 10) + m * 60, static_cast<std::uint64_t>(m < 60 ? 60 : 120), m < 60 ? 1000 : 9000);
        for (int m = 0; m < 5; ++m) minute(utc(2, 13) + m * 60, 30, 5000);
    }
    report::ReportOptions options;
    options.max_points = 10;
    const auto r = report::build_report(path, Filter{}, options);
    EXPECT_EQ(r.intervals, 125u);
    // 13 intervals per point; the gap starts a new point.
    ASSERT_EQ(r.series.size(), 10u + 1u);
    EXPECT_EQ(r.series[0].start, utc(2, 10));
    EXPECT_DOUBLE_EQ(r.series[0].seconds, 13 * 60);
    EXPECT_DOUBLE_EQ(r.series[0].rps, 1.0);
    EXPECT_NEAR(r.series[0].p95_ms, 1.0, 0.02);
    EXPECT_NEAR(r.series[9].p95_ms, 9.0, 0.1);
    EXPECT_DOUBLE_EQ(r.series[9].rps, 2.0);
    EXPECT_FALSE(r.series[9].gap_before);
    EXPECT_TRUE(r.series[10].gap_before);
    EXPECT_EQ(r.series[10].start, utc(2, 13));
    EXPECT_DOUBLE_EQ(r.series[10].rps, 0.5);
    EXPECT_DOUBLE_EQ(r.total.rps_peak, 2.0);
    EXPECT_DOUBLE_EQ(r.total.rps_avg, (60 * 60 + 60 * 120 + 5 * 30) / (125.0 * 60));
}

TEST(ReportDb, RefusesWhatIsNotAHistory) {
    EXPECT_THROW(report::HistoryDb(temp_dir() + "/missing.db"), report::HistoryError);
    const auto text = write_temp_file("not-sqlite.db", "hello, I am not a database\n");
    EXPECT_THROW(report::HistoryDb{text}, report::HistoryError);
    const auto other = temp_dir() + "/other.db";
    {
        sqlite3* db = nullptr;
        sqlite3_open(other.c_str(), &db);
        sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr);
        sqlite3_close(db);
    }
    try {
        report::HistoryDb db(other);
        ADD_FAILURE() << "opened a database without the history tables";
    } catch (const report::HistoryError& e) {
        EXPECT_NE(std::string(e.what()).find("not a gisgate history"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace gisgate::test
