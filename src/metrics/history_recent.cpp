#include "metrics/history_recent.hpp"

#include <sqlite3.h>

#include <stdexcept>

namespace gisgate::metrics {

std::vector<RecentInterval> read_recent_intervals(const std::string& path, std::int64_t since) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        const std::string message = db ? sqlite3_errmsg(db) : "cannot open";
        sqlite3_close(db);
        throw std::runtime_error("history: cannot read " + path + ": " + message);
    }
    // The control thread runs this: never wait long for a lock (WAL readers normally need none).
    sqlite3_busy_timeout(db, 100);
    sqlite3_stmt* stmt = nullptr;
    const char* sql =
        "SELECT start, seconds, requests, errors, histogram FROM service_interval WHERE start >= ? ORDER BY start";
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
        const std::string message = sqlite3_errmsg(db);
        sqlite3_close(db);
        throw std::runtime_error("history: " + path + " is not a gisgate history database: " + message);
    }
    sqlite3_bind_int64(stmt, 1, since);
    std::vector<RecentInterval> out;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const std::int64_t start = sqlite3_column_int64(stmt, 0);
        if (out.empty() || out.back().start != start) {
            out.emplace_back();
            out.back().start = start;
        }
        RecentInterval& interval = out.back();
        interval.seconds = std::max<std::int64_t>(interval.seconds, sqlite3_column_int64(stmt, 1));
        interval.requests += static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 2));
        interval.errors += static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 3));
        const auto* blob = static_cast<const char*>(sqlite3_column_blob(stmt, 4));
        const int size = sqlite3_column_bytes(stmt, 4);
        if (blob && size > 0)
            if (auto h = LatencyHistogram::decode(std::string_view(blob, static_cast<std::size_t>(size))))
                interval.histogram.merge(*h);
    }
    const std::string message = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    if (rc != SQLITE_DONE) throw std::runtime_error("history: reading " + path + ": " + message);
    return out;
}

}  // namespace gisgate::metrics
