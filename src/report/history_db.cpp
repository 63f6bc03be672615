#include "report/history_db.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <limits>

#include "metrics/history_schema.hpp"

namespace gisgate::report {

namespace {

class Statement {
public:
    Statement(sqlite3* db, const char* sql, const std::string& path) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
            throw HistoryError(fmt::format("{}: {}", path, sqlite3_errmsg(db)));
        path_ = &path;
        db_ = db;
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    void bind(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
    void bind(int index, const char* text) { sqlite3_bind_text(stmt_, index, text, -1, SQLITE_STATIC); }
    bool step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw HistoryError(fmt::format("{}: {}", *path_, sqlite3_errmsg(db_)));
    }
    std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
    double real(int col) const { return sqlite3_column_double(stmt_, col); }
    std::string_view text(int col) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
        return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string_view();
    }
    std::string_view blob(int col) const {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
        return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string_view();
    }

private:
    sqlite3_stmt* stmt_ = nullptr;
    sqlite3* db_ = nullptr;
    const std::string* path_ = nullptr;
};

std::uint64_t count(std::int64_t value) {
    return value < 0 ? 0 : static_cast<std::uint64_t>(value);
}

// Event times are milliseconds; the bounds are seconds (and may be the int64 extremes).
std::int64_t to_ms(std::int64_t seconds) {
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max() / 1000;
    return std::clamp(seconds, -kMax, kMax) * 1000;
}

}  // namespace

HistoryDb::HistoryDb(const std::string& path) : path_(path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw HistoryError(path + ": no such file");
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        const std::string message = db_ ? sqlite3_errmsg(db_) : "cannot open";
        sqlite3_close(db_);
        db_ = nullptr;
        throw HistoryError(path + ": " + message);
    }
    // The writer may be running: wait for its short write transactions instead of failing.
    sqlite3_busy_timeout(db_, 5000);
    try {
        Statement tables(db_,
                         "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                         "('service_interval', 'server_interval', 'health_event', 'alert_event')",
                         path_);
        if (!tables.step() || tables.integer(0) != 4)
            throw HistoryError(path + ": not a gisgate history database (tables service_interval, server_interval, "
                                      "health_event, alert_event missing)");
        Statement classes(db_, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'class_interval'",
                          path_);
        has_classes_ = classes.step() && classes.integer(0) == 1;
        Statement meta(db_, "SELECT key, value FROM meta", path_);
        while (meta.step()) {
            const auto key = meta.text(0), value = meta.text(1);
            if (key != "schema_version" && key != "schema") continue;
            int version = 0;
            std::from_chars(value.data(), value.data() + value.size(), version);
            if (version > metrics::history::kSchemaVersion)
                throw HistoryError(fmt::format("{}: history schema version {} is newer than this gisgate reads ({})",
                                               path, version, metrics::history::kSchemaVersion));
        }
    } catch (...) {
        sqlite3_close(db_);
        db_ = nullptr;
        throw;
    }
}

HistoryDb::~HistoryDb() {
    sqlite3_close(db_);
}

void HistoryDb::interval_starts(std::int64_t begin, std::int64_t end,
                                const std::function<void(std::int64_t, std::int64_t)>& row) const {
    Statement q(db_,
                "SELECT start, max(seconds) FROM (SELECT start, seconds FROM service_interval WHERE start >= ?1 "
                "AND start < ?2 UNION ALL SELECT start, seconds FROM server_interval WHERE start >= ?1 AND start < ?2) "
                "GROUP BY start ORDER BY start",
                path_);
    q.bind(1, begin);
    q.bind(2, end);
    while (q.step()) row(q.integer(0), q.integer(1));
}

void HistoryDb::service_intervals(std::int64_t begin, std::int64_t end,
                                  const std::function<void(const ServiceIntervalRow&)>& row) const {
    Statement q(db_,
                "SELECT start, seconds, service, type, kind, requests, errors, histogram FROM service_interval "
                "WHERE start >= ?1 AND start < ?2 ORDER BY start",
                path_);
    q.bind(1, begin);
    q.bind(2, end);
    while (q.step()) {
        ServiceIntervalRow r;
        r.start = q.integer(0);
        r.seconds = q.integer(1);
        r.service = q.text(2);
        r.type = q.text(3);
        r.kind = q.text(4);
        r.requests = count(q.integer(5));
        r.errors = count(q.integer(6));
        r.histogram = q.blob(7);
        row(r);
    }
}

void HistoryDb::server_intervals(std::int64_t begin, std::int64_t end,
                                 const std::function<void(const ServerIntervalRow&)>& row) const {
    Statement q(db_,
                "SELECT start, seconds, pool, server, requests, errors, up_seconds, histogram FROM server_interval "
                "WHERE start >= ?1 AND start < ?2 ORDER BY start",
                path_);
    q.bind(1, begin);
    q.bind(2, end);
    while (q.step()) {
        ServerIntervalRow r;
        r.start = q.integer(0);
        r.seconds = q.integer(1);
        r.pool = q.text(2);
        r.server = q.text(3);
        r.requests = count(q.integer(4));
        r.errors = count(q.integer(5));
        r.up_seconds = q.real(6);
        r.histogram = q.blob(7);
        row(r);
    }
}

void HistoryDb::class_intervals(std::int64_t begin, std::int64_t end,
                                const std::function<void(const ClassIntervalRow&)>& row) const {
    if (!has_classes_) return;
    Statement q(db_,
                "SELECT start, seconds, pool, class, requests, errors, histogram FROM class_interval "
                "WHERE start >= ?1 AND start < ?2 ORDER BY start",
                path_);
    q.bind(1, begin);
    q.bind(2, end);
    while (q.step()) {
        ClassIntervalRow r;
        r.start = q.integer(0);
        r.seconds = q.integer(1);
        r.pool = q.text(2);
        r.op_class = q.text(3);
        r.requests = count(q.integer(4));
        r.errors = count(q.integer(5));
        r.histogram = q.blob(6);
        row(r);
    }
}

void HistoryDb::health_events(std::int64_t begin, std::int64_t end,
                              const std::function<void(const HealthEventRow&)>& row) const {
    Statement q(db_,
                "SELECT time_ms, pool, server, state, reason FROM health_event "
                "WHERE time_ms >= ?1 AND time_ms < ?2 ORDER BY time_ms",
                path_);
    q.bind(1, to_ms(begin));
    q.bind(2, to_ms(end));
    while (q.step()) {
        HealthEventRow r;
        r.time_ms = q.integer(0);
        r.pool = q.text(1);
        r.server = q.text(2);
        r.state = q.text(3);
        r.reason = q.text(4);
        row(r);
    }
}

void HistoryDb::alert_events(std::int64_t begin, std::int64_t end,
                             const std::function<void(const AlertEventRow&)>& row) const {
    Statement q(db_,
                "SELECT time_ms, rule, target, state, value, message FROM alert_event "
                "WHERE time_ms >= ?1 AND time_ms < ?2 ORDER BY time_ms",
                path_);
    q.bind(1, to_ms(begin));
    q.bind(2, to_ms(end));
    while (q.step()) {
        AlertEventRow r;
        r.time_ms = q.integer(0);
        r.rule = q.text(1);
        r.target = q.text(2);
        r.state = q.text(3);
        r.value = q.real(4);
        r.message = q.text(5);
        row(r);
    }
}

}  // namespace gisgate::report
