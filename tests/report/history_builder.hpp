// Builds a history database for tests with the writer's own schema (metrics/history_schema.hpp) and
// LatencyHistogram::encode() BLOBs, so the report is tested against exactly what gisgate writes.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "metrics/histogram.hpp"
#include "metrics/history_schema.hpp"

namespace gisgate::test {

class HistoryBuilder {
public:
    explicit HistoryBuilder(const std::string& path) {
        if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("open " + path);
        exec(metrics::history::kCreateSchema);
        exec("INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', '1')");
        exec("BEGIN");
    }
    ~HistoryBuilder() { close(); }
    void close() {
        if (!db_) return;
        exec("COMMIT");
        sqlite3_close(db_);
        db_ = nullptr;
    }

    void exec(const std::string& sql) {
        char* error = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
            std::string message = error ? error : "?";
            sqlite3_free(error);
            throw std::runtime_error(sql + ": " + message);
        }
    }

    void service(std::int64_t start, std::int64_t seconds, const std::string& service, const std::string& type,
                 const std::string& kind, const metrics::LatencyHistogram& h, std::uint64_t errors) {
        Stmt s(db_, "INSERT INTO service_interval VALUES(?,?,?,?,?,?,?,?,?,?)");
        s.i(1, start).i(2, seconds).t(3, service).t(4, type).t(5, kind).i(6, static_cast<std::int64_t>(h.count()));
        s.i(7, static_cast<std::int64_t>(errors)).i(8, 100).i(9, 1000).b(10, h.encode()).run();
    }
    void server(std::int64_t start, std::int64_t seconds, const std::string& pool, const std::string& server,
                const metrics::LatencyHistogram& h, std::uint64_t errors, double up_seconds) {
        Stmt s(db_, "INSERT INTO server_interval VALUES(?,?,?,?,?,?,?,?,?,?)");
        s.i(1, start).i(2, seconds).t(3, pool).t(4, server).i(5, static_cast<std::int64_t>(h.count()));
        s.i(6, static_cast<std::int64_t>(errors)).i(7, 100).i(8, 1000).d(9, up_seconds).b(10, h.encode()).run();
    }
    void op_class(std::int64_t start, std::int64_t seconds, const std::string& pool, const std::string& op_class,
                  const metrics::LatencyHistogram& h, std::uint64_t errors) {
        Stmt s(db_, "INSERT INTO class_interval VALUES(?,?,?,?,?,?,?,?,?)");
        s.i(1, start).i(2, seconds).t(3, pool).t(4, op_class).i(5, static_cast<std::int64_t>(h.count()));
        s.i(6, static_cast<std::int64_t>(errors)).i(7, 100).i(8, 1000).b(9, h.encode()).run();
    }
    void health(std::int64_t time_ms, const std::string& pool, const std::string& server, const std::string& state,
                const std::string& reason) {
        Stmt s(db_, "INSERT INTO health_event VALUES(?,?,?,?,?)");
        s.i(1, time_ms).t(2, pool).t(3, server).t(4, state).t(5, reason).run();
    }
    void alert(std::int64_t time_ms, const std::string& rule, const std::string& target, const std::string& state,
               double value, const std::string& message) {
        Stmt s(db_, "INSERT INTO alert_event VALUES(?,?,?,?,?,?)");
        s.i(1, time_ms).t(2, rule).t(3, target).t(4, state).d(5, value).t(6, message).run();
    }

private:
    struct Stmt {
        Stmt(sqlite3* db, const char* sql) {
            if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db));
        }
        ~Stmt() { sqlite3_finalize(st); }
        Stmt& i(int n, std::int64_t v) { sqlite3_bind_int64(st, n, v); return *this; }
        Stmt& d(int n, double v) { sqlite3_bind_double(st, n, v); return *this; }
        Stmt& t(int n, const std::string& v) { sqlite3_bind_text(st, n, v.c_str(), -1, SQLITE_TRANSIENT); return *this; }
        Stmt& b(int n, const std::string& v) {
            sqlite3_bind_blob(st, n, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
            return *this;
        }
        void run() {
            if (sqlite3_step(st) != SQLITE_DONE) throw std::runtime_error("insert failed");
        }
        sqlite3_stmt* st = nullptr;
    };
    sqlite3* db_ = nullptr;
};

}  // namespace gisgate::test
