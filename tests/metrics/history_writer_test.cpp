// The history database: schema and directory created, rows written as history_schema.hpp documents them, a
// restart within an interval merging into the same rows, an older file gaining the class table, events,
// retention, and a refused foreign schema.
#include "metrics/history_writer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "metrics/history_schema.hpp"
#include "support/history_db.hpp"
#include "support/process.hpp"

namespace gisgate::metrics {
namespace {

using namespace std::chrono_literals;

std::string fresh_path(const std::string& name) {
    const std::string dir = test::temp_dir() + "/" + name;
    std::filesystem::remove_all(dir);
    return dir + "/sub/history.db";  // the writer creates the directories
}

std::vector<std::vector<std::string>> query(const std::string& path, const std::string& sql) {
    return test::query_history(path, sql);
}

std::string histogram_of(std::initializer_list<std::uint64_t> micros) {
    LatencyHistogram h;
    for (auto m : micros) h.record(m);
    return h.encode();
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

TEST(HistoryWriter, WritesIntervalsAndEventsAsTheSchemaSays) {
    const std::string path = fresh_path("history-basic");
    const std::int64_t start = now_ms() / 1000 / 60 * 60;
    {
        HistoryWriter writer(path, 24h);
        writer.write_interval(
            {{start, 60, "Maps/Streets", "MapServer", "service", 3, 1, 300, 3000, histogram_of({1000, 2000, 900000})},
             {start, 60, "portal", "", "portal", 1, 0, 10, 20, histogram_of({5})}},
            {{start, 60, "gis", "a", 4, 1, 310, 3020, 59.5, histogram_of({1, 2, 3, 4})},
             {start, 60, "gis", "b", 0, 0, 0, 0, 0.0, histogram_of({})}},
            {{start, 60, "gis", "interactive", 3, 0, 30, 3000, histogram_of({1000, 2000, 3000})},
             {start, 60, "gis", "heavy", 1, 1, 280, 20, histogram_of({900000})}});
        writer.write_health({now_ms(), "gis", "b", "down", "connect: Connection refused"});
        writer.write_alert({now_ms(), "site-down", "gis/b", true, 1, "server gis/b is down"});
        writer.close();
        EXPECT_EQ(writer.failures(), 0u);
    }
    EXPECT_EQ(query(path, "SELECT value FROM meta WHERE key = 'schema_version'"),
              (std::vector<std::vector<std::string>>{{std::to_string(history::kSchemaVersion)}}));
    const auto services = query(path, "SELECT start, seconds, service, type, kind, requests, errors, bytes_in, "
                                      "bytes_out, histogram FROM service_interval ORDER BY service");
    ASSERT_EQ(services.size(), 2u);
    EXPECT_EQ(services[0], (std::vector<std::string>{std::to_string(start), "60", "Maps/Streets", "MapServer",
                                                     "service", "3", "1", "300", "3000", "h3"}));
    EXPECT_EQ(services[1][2], "portal");
    const auto servers = query(path, "SELECT server, requests, up_seconds, histogram FROM server_interval ORDER BY server");
    ASSERT_EQ(servers.size(), 2u);
    EXPECT_EQ(servers[0], (std::vector<std::string>{"a", "4", "59.5", "h4"}));
    EXPECT_EQ(servers[1], (std::vector<std::string>{"b", "0", "0.0", "h0"}));
    EXPECT_EQ(query(path, "SELECT start, seconds, pool, class, requests, errors, bytes_in, bytes_out, histogram "
                          "FROM class_interval ORDER BY class"),
              (std::vector<std::vector<std::string>>{
                  {std::to_string(start), "60", "gis", "heavy", "1", "1", "280", "20", "h1"},
                  {std::to_string(start), "60", "gis", "interactive", "3", "0", "30", "3000", "h3"}}));
    EXPECT_EQ(query(path, "SELECT pool, server, state, reason FROM health_event"),
              (std::vector<std::vector<std::string>>{{"gis", "b", "down", "connect: Connection refused"}}));
    EXPECT_EQ(query(path, "SELECT rule, target, state, value FROM alert_event"),
              (std::vector<std::vector<std::string>>{{"site-down", "gis/b", "firing", "1.0"}}));
}

TEST(HistoryWriter, ARestartWithinTheSameIntervalMergesIntoItsRows) {
    const std::string path = fresh_path("history-merge");
    const std::int64_t start = now_ms() / 1000 / 60 * 60;
    {
        HistoryWriter first(path, 24h);  // stopped after 20 s of the interval
        first.write_interval({{start, 20, "A", "MapServer", "service", 2, 0, 10, 100, histogram_of({1000, 2000})}},
                             {{start, 20, "gis", "a", 2, 0, 10, 100, 20.0, histogram_of({1000, 2000})}},
                             {{start, 20, "gis", "interactive", 2, 0, 10, 100, histogram_of({1000, 2000})}});
    }
    {
        HistoryWriter second(path, 24h);  // started again for the remaining 35 s
        second.write_interval({{start, 35, "A", "MapServer", "service", 1, 1, 5, 50, histogram_of({3000})}},
                              {{start, 35, "gis", "a", 1, 1, 5, 50, 30.0, histogram_of({3000})}},
                              {{start, 35, "gis", "interactive", 1, 1, 5, 50, histogram_of({3000})},
                               {start, 35, "gis", "heavy", 4, 0, 40, 400, histogram_of({1, 2, 3, 4})}});
    }
    EXPECT_EQ(query(path, "SELECT seconds, requests, errors, bytes_in, bytes_out, histogram FROM service_interval"),
              (std::vector<std::vector<std::string>>{{"55", "3", "1", "15", "150", "h3"}}));
    EXPECT_EQ(query(path, "SELECT seconds, requests, up_seconds, histogram FROM server_interval"),
              (std::vector<std::vector<std::string>>{{"55", "3", "50.0", "h3"}}));
    // The class seen in both runs merges; the one seen only after the restart is a row of its own.
    EXPECT_EQ(query(path, "SELECT class, seconds, requests, errors, bytes_in, bytes_out, histogram FROM class_interval "
                          "ORDER BY class"),
              (std::vector<std::vector<std::string>>{{"heavy", "35", "4", "0", "40", "400", "h4"},
                                                     {"interactive", "55", "3", "1", "15", "150", "h3"}}));
}

// A history.db written before class_interval existed: opening it adds the table (same schema version) and
// keeps its rows.
TEST(HistoryWriter, AnOlderDatabaseWithoutTheClassTableGetsIt) {
    const std::string path = fresh_path("history-upgrade");
    const std::int64_t start = now_ms() / 1000 / 60 * 60;
    {
        HistoryWriter writer(path, 24h);
        writer.write_interval({{start, 60, "A", "MapServer", "service", 1, 0, 1, 1, histogram_of({1})}}, {});
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DROP TABLE class_interval", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    ASSERT_TRUE(query(path, "SELECT name FROM sqlite_master WHERE name = 'class_interval'").empty());
    {
        HistoryWriter writer(path, 24h);
        writer.write_interval({}, {}, {{start, 60, "gis", "heavy", 2, 0, 5, 5, histogram_of({7, 8})}});
        writer.close();
        EXPECT_EQ(writer.failures(), 0u);
    }
    EXPECT_EQ(query(path, "SELECT class, requests, histogram FROM class_interval"),
              (std::vector<std::vector<std::string>>{{"heavy", "2", "h2"}}));
    EXPECT_EQ(query(path, "SELECT service FROM service_interval"), (std::vector<std::vector<std::string>>{{"A"}}));
    EXPECT_EQ(query(path, "SELECT value FROM meta WHERE key = 'schema_version'"),
              (std::vector<std::vector<std::string>>{{std::to_string(history::kSchemaVersion)}}));
}

TEST(HistoryWriter, RetentionDeletesOlderRowsAtOpen) {
    const std::string path = fresh_path("history-retention");
    const std::int64_t now_s = now_ms() / 1000;
    {
        HistoryWriter writer(path, 24h * 365);
        writer.write_interval({{now_s - 3 * 86400, 60, "Old", "MapServer", "service", 1, 0, 1, 1, histogram_of({1})},
                               {now_s - 60, 60, "New", "MapServer", "service", 1, 0, 1, 1, histogram_of({1})}},
                              {},
                              {{now_s - 3 * 86400, 60, "gis", "heavy", 1, 0, 1, 1, histogram_of({1})},
                               {now_s - 60, 60, "gis", "interactive", 1, 0, 1, 1, histogram_of({1})}});
        writer.write_health({now_ms() - 3 * 86400'000LL, "gis", "a", "down", "old"});
        writer.write_alert({now_ms() - 3 * 86400'000LL, "r", "t", true, 1, "old"});
        writer.write_alert({now_ms(), "r", "t", false, 0, "new"});
    }
    { HistoryWriter reopened(path, 48h); }
    EXPECT_EQ(query(path, "SELECT service FROM service_interval"), (std::vector<std::vector<std::string>>{{"New"}}));
    EXPECT_EQ(query(path, "SELECT class FROM class_interval"), (std::vector<std::vector<std::string>>{{"interactive"}}));
    EXPECT_TRUE(query(path, "SELECT * FROM health_event").empty());
    EXPECT_EQ(query(path, "SELECT message FROM alert_event"), (std::vector<std::vector<std::string>>{{"new"}}));
}

TEST(HistoryWriter, RefusesADatabaseOfAnotherSchemaVersionAndAnUnusablePath) {
    const std::string path = fresh_path("history-version");
    { HistoryWriter writer(path, 24h); }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value = '99' WHERE key = 'schema_version'", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    try {
        HistoryWriter writer(path, 24h);
        FAIL() << "opened a version 99 database";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("schema version 99"), std::string::npos) << e.what();
    }
    const std::string file = test::write_temp_file("history-not-a-dir", "x");
    EXPECT_THROW(HistoryWriter(file + "/history.db", 24h), std::runtime_error);
}

}  // namespace
}  // namespace gisgate::metrics
