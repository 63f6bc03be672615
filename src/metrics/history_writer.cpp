#include "metrics/history_writer.hpp"

#include <sqlite3.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <stdexcept>

#include "metrics/histogram.hpp"
#include "metrics/history_schema.hpp"

namespace gisgate::metrics {

namespace {

using Clock = std::chrono::system_clock;

// A prepared statement, finalized on scope exit. Errors throw std::runtime_error with SQLite's message.
class Statement {
public:
    Statement(sqlite3* db, const char* sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string("prepare: ") + sqlite3_errmsg(db));
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int i, std::int64_t v) { return check(sqlite3_bind_int64(stmt_, i, v)); }
    Statement& bind(int i, std::uint64_t v) { return bind(i, static_cast<std::int64_t>(v)); }
    Statement& bind(int i, double v) { return check(sqlite3_bind_double(stmt_, i, v)); }
    Statement& bind(int i, const std::string& v) {
        return check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    }
    Statement& blob(int i, const std::string& v) {
        return check(sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    }
    // SQLITE_ROW, SQLITE_DONE or SQLITE_CONSTRAINT; other results throw.
    int step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW || rc == SQLITE_DONE) return rc;
        if ((rc & 0xff) == SQLITE_CONSTRAINT) return SQLITE_CONSTRAINT;
        throw std::runtime_error(std::string("step: ") + sqlite3_errmsg(db_));
    }
    std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
    double real(int col) const { return sqlite3_column_double(stmt_, col); }
    std::string bytes(int col) const {
        const void* p = sqlite3_column_blob(stmt_, col);
        return p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
                 : std::string();
    }

private:
    Statement& check(int rc) {
        if (rc != SQLITE_OK) throw std::runtime_error(std::string("bind: ") + sqlite3_errmsg(db_));
        return *this;
    }
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

std::string merged_histogram(const std::string& a, const std::string& b) {
    auto x = LatencyHistogram::decode(a);
    auto y = LatencyHistogram::decode(b);
    if (!x) return b;
    if (y) x->merge(*y);
    return x->encode();
}

}  // namespace

HistoryWriter::HistoryWriter(const std::string& path, std::chrono::milliseconds retention)
    : path_(path), retention_(retention) {
    std::error_code ec;
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) throw std::runtime_error("history: cannot create directory " + parent.string() + ": " + ec.message());
    const int rc = sqlite3_open_v2(path.c_str(), &db_,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw std::runtime_error("history: cannot open " + path + ": " + message);
    }
    try {
        sqlite3_busy_timeout(db_, 5000);  // `gisgate report` may be reading
        exec("PRAGMA journal_mode=WAL");  // readers do not block the writer, nor it them
        exec("PRAGMA synchronous=NORMAL");
        exec(history::kCreateSchema);
        Statement version(db_, "SELECT value FROM meta WHERE key = 'schema_version'");
        if (version.step() == SQLITE_ROW) {
            const std::string found = version.bytes(0);
            if (found != std::to_string(history::kSchemaVersion))
                throw std::runtime_error("schema version " + found + ", this gisgate writes version " +
                                         std::to_string(history::kSchemaVersion));
        } else {
            Statement set(db_, "INSERT INTO meta(key, value) VALUES('schema_version', ?)");
            set.bind(1, std::to_string(history::kSchemaVersion)).step();
        }
        cleanup_if_due(true);
    } catch (const std::exception& e) {
        sqlite3_close(db_);
        db_ = nullptr;
        throw std::runtime_error("history: " + path + ": " + e.what());
    }
    thread_ = std::thread([this] { run(); });
}

HistoryWriter::~HistoryWriter() { close(); }

void HistoryWriter::exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        std::string message = error ? error : "unknown error";
        sqlite3_free(error);
        throw std::runtime_error(message);
    }
}

void HistoryWriter::enqueue(Job job) {
    {
        std::lock_guard lock(mutex_);
        if (closing_) return;
        jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
}

void HistoryWriter::run() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return closing_ || !jobs_.empty(); });
            if (jobs_.empty()) return;  // closing and drained
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        job();
    }
}

void HistoryWriter::close() {
    {
        std::lock_guard lock(mutex_);
        if (closing_ && !thread_.joinable()) return;
        closing_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
    if (db_) {
        sqlite3_close(db_);
        db_ = nullptr;
    }
}

std::uint64_t HistoryWriter::failures() const {
    std::lock_guard lock(mutex_);
    return failures_;
}

void HistoryWriter::in_transaction(const char* what, const std::function<void()>& body) {
    try {
        exec("BEGIN IMMEDIATE");
        try {
            body();
            exec("COMMIT");
        } catch (...) {
            char* ignored = nullptr;
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, &ignored);
            sqlite3_free(ignored);
            throw;
        }
    } catch (const std::exception& e) {
        spdlog::error("history {}: writing {} failed: {}", path_, what, e.what());
        std::lock_guard lock(mutex_);
        ++failures_;
    }
}

void HistoryWriter::write_service_row(const ServiceIntervalRow& row) {
    Statement insert(db_,
                     "INSERT INTO service_interval(start, seconds, service, type, kind, requests, errors, bytes_in, "
                     "bytes_out, histogram) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, row.start).bind(2, row.seconds).bind(3, row.service).bind(4, row.type).bind(5, row.kind);
    insert.bind(6, row.requests).bind(7, row.errors).bind(8, row.bytes_in).bind(9, row.bytes_out).blob(10, row.histogram);
    if (insert.step() != SQLITE_CONSTRAINT) return;
    // The same interval from an earlier run of this process (restarted within the interval): merge.
    Statement read(db_, "SELECT histogram FROM service_interval WHERE start = ? AND service = ? AND type = ?");
    read.bind(1, row.start).bind(2, row.service).bind(3, row.type);
    const std::string existing = read.step() == SQLITE_ROW ? read.bytes(0) : std::string();
    Statement update(db_,
                     "UPDATE service_interval SET seconds = seconds + ?, requests = requests + ?, errors = errors + ?, "
                     "bytes_in = bytes_in + ?, bytes_out = bytes_out + ?, histogram = ? "
                     "WHERE start = ? AND service = ? AND type = ?");
    update.bind(1, row.seconds).bind(2, row.requests).bind(3, row.errors).bind(4, row.bytes_in).bind(5, row.bytes_out);
    update.blob(6, merged_histogram(existing, row.histogram)).bind(7, row.start).bind(8, row.service).bind(9, row.type);
    update.step();
}

void HistoryWriter::write_server_row(const ServerIntervalRow& row) {
    Statement insert(db_,
                     "INSERT INTO server_interval(start, seconds, pool, server, requests, errors, bytes_in, bytes_out, "
                     "up_seconds, histogram) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, row.start).bind(2, row.seconds).bind(3, row.pool).bind(4, row.server).bind(5, row.requests);
    insert.bind(6, row.errors).bind(7, row.bytes_in).bind(8, row.bytes_out).bind(9, row.up_seconds).blob(10, row.histogram);
    if (insert.step() != SQLITE_CONSTRAINT) return;
    Statement read(db_, "SELECT histogram FROM server_interval WHERE start = ? AND pool = ? AND server = ?");
    read.bind(1, row.start).bind(2, row.pool).bind(3, row.server);
    const std::string existing = read.step() == SQLITE_ROW ? read.bytes(0) : std::string();
    Statement update(db_,
                     "UPDATE server_interval SET seconds = seconds + ?, requests = requests + ?, errors = errors + ?, "
                     "bytes_in = bytes_in + ?, bytes_out = bytes_out + ?, up_seconds = up_seconds + ?, histogram = ? "
                     "WHERE start = ? AND pool = ? AND server = ?");
    update.bind(1, row.seconds).bind(2, row.requests).bind(3, row.errors).bind(4, row.bytes_in).bind(5, row.bytes_out);
    update.bind(6, row.up_seconds).blob(7, merged_histogram(existing, row.histogram)).bind(8, row.start);
    update.bind(9, row.pool).bind(10, row.server);
    update.step();
}

void HistoryWriter::write_class_row(const ClassIntervalRow& row) {
    Statement insert(db_,
                     "INSERT INTO class_interval(start, seconds, pool, class, requests, errors, bytes_in, bytes_out, "
                     "histogram) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, row.start).bind(2, row.seconds).bind(3, row.pool).bind(4, row.op_class).bind(5, row.requests);
    insert.bind(6, row.errors).bind(7, row.bytes_in).bind(8, row.bytes_out).blob(9, row.histogram);
    if (insert.step() != SQLITE_CONSTRAINT) return;
    Statement read(db_, "SELECT histogram FROM class_interval WHERE start = ? AND pool = ? AND class = ?");
    read.bind(1, row.start).bind(2, row.pool).bind(3, row.op_class);
    const std::string existing = read.step() == SQLITE_ROW ? read.bytes(0) : std::string();
    Statement update(db_,
                     "UPDATE class_interval SET seconds = seconds + ?, requests = requests + ?, errors = errors + ?, "
                     "bytes_in = bytes_in + ?, bytes_out = bytes_out + ?, histogram = ? "
                     "WHERE start = ? AND pool = ? AND class = ?");
    update.bind(1, row.seconds).bind(2, row.requests).bind(3, row.errors).bind(4, row.bytes_in).bind(5, row.bytes_out);
    update.blob(6, merged_histogram(existing, row.histogram)).bind(7, row.start).bind(8, row.pool).bind(9, row.op_class);
    update.step();
}

void HistoryWriter::cleanup_if_due(bool force) {
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_cleanup_ < std::chrono::hours(1)) return;
    last_cleanup_ = now;
    const auto cutoff_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               (Clock::now() - retention_).time_since_epoch()).count();
    const std::int64_t cutoff_s = cutoff_ms / 1000;
    Statement services(db_, "DELETE FROM service_interval WHERE start < ?");
    services.bind(1, cutoff_s).step();
    Statement servers(db_, "DELETE FROM server_interval WHERE start < ?");
    servers.bind(1, cutoff_s).step();
    Statement classes(db_, "DELETE FROM class_interval WHERE start < ?");
    classes.bind(1, cutoff_s).step();
    Statement health(db_, "DELETE FROM health_event WHERE time_ms < ?");
    health.bind(1, cutoff_ms).step();
    Statement alerts(db_, "DELETE FROM alert_event WHERE time_ms < ?");
    alerts.bind(1, cutoff_ms).step();
}

void HistoryWriter::write_interval(std::vector<ServiceIntervalRow> services, std::vector<ServerIntervalRow> servers,
                                   std::vector<ClassIntervalRow> classes) {
    struct Batch {
        std::vector<ServiceIntervalRow> services;
        std::vector<ServerIntervalRow> servers;
        std::vector<ClassIntervalRow> classes;
    };
    // Shared, because std::function needs a copyable callable and the rows are not worth copying.
    auto batch = std::make_shared<Batch>(Batch{std::move(services), std::move(servers), std::move(classes)});
    enqueue([this, batch] {
        in_transaction("an interval", [&] {
            for (const auto& row : batch->services) write_service_row(row);
            for (const auto& row : batch->servers) write_server_row(row);
            for (const auto& row : batch->classes) write_class_row(row);
            cleanup_if_due(false);
        });
    });
}

void HistoryWriter::write_health(HealthEventRow event) {
    enqueue([this, event = std::move(event)] {
        in_transaction("a health event", [&] {
            Statement insert(db_, "INSERT INTO health_event(time_ms, pool, server, state, reason) VALUES(?, ?, ?, ?, ?)");
            insert.bind(1, event.time_ms).bind(2, event.pool).bind(3, event.server).bind(4, event.state);
            insert.bind(5, event.reason).step();
        });
    });
}

void HistoryWriter::write_alert(const AlertEvent& event) {
    enqueue([this, event] {
        in_transaction("an alert event", [&] {
            Statement insert(db_,
                             "INSERT INTO alert_event(time_ms, rule, target, state, value, message) "
                             "VALUES(?, ?, ?, ?, ?, ?)");
            insert.bind(1, event.time_ms).bind(2, event.rule).bind(3, event.target);
            insert.bind(4, std::string(event.firing ? "firing" : "resolved")).bind(5, event.value);
            insert.bind(6, event.message).step();
        });
    });
}

void HistoryWriter::set_retention(std::chrono::milliseconds retention) {
    enqueue([this, retention] { retention_ = retention; });
}

}  // namespace gisgate::metrics
