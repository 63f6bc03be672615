// Read-only access to a `history:` SQLite file (schema: metrics/history_schema.hpp). Rows are streamed to a
// callback one at a time — a month of minute rows is millions of histograms, far too many to hold — and
// pre-selected in SQL by the filter's time bounds only; the day/hour rules are applied by the caller.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;

namespace gisgate::report {

struct HistoryError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct ServiceIntervalRow {
    std::int64_t start = 0;
    std::int64_t seconds = 0;
    std::string_view service, type, kind;
    std::uint64_t requests = 0, errors = 0;
    std::string_view histogram;  // LatencyHistogram::encode() bytes; valid during the callback only
};

struct ServerIntervalRow {
    std::int64_t start = 0;
    std::int64_t seconds = 0;
    std::string_view pool, server;
    std::uint64_t requests = 0, errors = 0;
    double up_seconds = 0;
    std::string_view histogram;
};

struct ClassIntervalRow {
    std::int64_t start = 0;
    std::int64_t seconds = 0;
    std::string_view pool, op_class;
    std::uint64_t requests = 0, errors = 0;
    std::string_view histogram;
};

struct HealthEventRow {
    std::int64_t time_ms = 0;
    std::string_view pool, server, state, reason;
};

struct AlertEventRow {
    std::int64_t time_ms = 0;
    std::string_view rule, target, state;
    double value = 0;
    std::string_view message;
};

class HistoryDb {
public:
    // Opens `path` read-only. Throws HistoryError when it is missing, not SQLite, not a gisgate history
    // (no service_interval table) or written by a newer schema than this binary reads.
    explicit HistoryDb(const std::string& path);
    ~HistoryDb();
    HistoryDb(const HistoryDb&) = delete;
    HistoryDb& operator=(const HistoryDb&) = delete;

    // The distinct interval starts (of service and server rows) with begin <= start < end, in time order, with
    // their length (the longer one should the two tables disagree).
    void interval_starts(std::int64_t begin, std::int64_t end,
                         const std::function<void(std::int64_t start, std::int64_t seconds)>& row) const;
    // Rows with begin <= start < end (seconds) or begin*1000 <= time_ms < end*1000, in time order.
    void service_intervals(std::int64_t begin, std::int64_t end,
                           const std::function<void(const ServiceIntervalRow&)>& row) const;
    void server_intervals(std::int64_t begin, std::int64_t end,
                          const std::function<void(const ServerIntervalRow&)>& row) const;
    // None from a history written before class_interval existed (it has no such table: opened read-only, the
    // report cannot add it, and an older file is still a valid history).
    void class_intervals(std::int64_t begin, std::int64_t end,
                         const std::function<void(const ClassIntervalRow&)>& row) const;
    void health_events(std::int64_t begin, std::int64_t end,
                       const std::function<void(const HealthEventRow&)>& row) const;
    void alert_events(std::int64_t begin, std::int64_t end,
                      const std::function<void(const AlertEventRow&)>& row) const;

private:
    sqlite3* db_ = nullptr;
    std::string path_;
    bool has_classes_ = false;  // the class_interval table exists
};

}  // namespace gisgate::report
