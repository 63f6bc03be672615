// Writes the history database (schema in history_schema.hpp) on a thread of its own with its own SQLite
// connection, so a slow disk never holds up the control thread, let alone a request. The control thread
// builds the rows (off the request path: from merged cumulative statistics) and queues them; each queued batch
// is one transaction. Old rows are deleted (retention) at open and at most once an hour.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "metrics/alerts.hpp"

struct sqlite3;

namespace gisgate::metrics {

struct ServiceIntervalRow {
    std::int64_t start = 0;   // interval start, UTC Unix seconds (aligned to the interval)
    std::int64_t seconds = 0; // the part of the interval this process covered
    std::string service;
    std::string type;
    std::string kind;
    std::uint64_t requests = 0;
    std::uint64_t errors = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::string histogram;    // LatencyHistogram::encode()
};

struct ServerIntervalRow {
    std::int64_t start = 0;
    std::int64_t seconds = 0;
    std::string pool;
    std::string server;
    std::uint64_t requests = 0;
    std::uint64_t errors = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    double up_seconds = 0;
    std::string histogram;
};

// Requests of one operation class in one pool (keys: start, pool, op_class).
struct ClassIntervalRow {
    std::int64_t start = 0;
    std::int64_t seconds = 0;
    std::string pool;
    std::string op_class;  // interactive | other | heavy
    std::uint64_t requests = 0;
    std::uint64_t errors = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::string histogram;
};

struct HealthEventRow {
    std::int64_t time_ms = 0;
    std::string pool;
    std::string server;
    std::string state;   // up | down | drain | maint
    std::string reason;
};

class HistoryWriter {
public:
    // Creates the parent directory and the schema when missing. Throws std::runtime_error naming the path.
    HistoryWriter(const std::string& path, std::chrono::milliseconds retention);
    ~HistoryWriter();  // close()
    HistoryWriter(const HistoryWriter&) = delete;
    HistoryWriter& operator=(const HistoryWriter&) = delete;

    // Any thread; queued and written in order. A row whose (start, key) exists already (a restart within the
    // same interval) is merged into it: counts, bytes, seconds and up time add up, histograms merge.
    void write_interval(std::vector<ServiceIntervalRow> services, std::vector<ServerIntervalRow> servers,
                        std::vector<ClassIntervalRow> classes = {});
    void write_health(HealthEventRow event);
    void write_alert(const AlertEvent& event);
    void set_retention(std::chrono::milliseconds retention);

    // Writes everything queued, then stops the thread and closes the database. Idempotent.
    void close();

    const std::string& path() const { return path_; }
    std::uint64_t failures() const;  // transactions that failed (logged)

private:
    using Job = std::function<void()>;
    void enqueue(Job job);
    void run();
    void exec(const char* sql);
    void in_transaction(const char* what, const std::function<void()>& body);
    void write_service_row(const ServiceIntervalRow& row);
    void write_server_row(const ServerIntervalRow& row);
    void write_class_row(const ClassIntervalRow& row);
    void cleanup_if_due(bool force);

    std::string path_;
    sqlite3* db_ = nullptr;
    std::chrono::milliseconds retention_;  // writer thread only (set through the queue)
    std::chrono::steady_clock::time_point last_cleanup_{};

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> jobs_;
    bool closing_ = false;
    std::uint64_t failures_ = 0;
    std::thread thread_;
};

}  // namespace gisgate::metrics
