// The control-plane half of observability. Once a second (on the control thread, never on a worker) it merges
// the workers' cumulative statistics, keeps a sliding window of per-second deltas, samples server states
// (health events, up time), writes the history interval when one ends, and evaluates the alert rules. It also
// answers /metrics (the per-request families), /api/v1/services and /api/v1/alerts.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metrics/alerts.hpp"
#include "metrics/collector.hpp"
#include "metrics/history_writer.hpp"
#include "metrics/stats_table.hpp"
#include "metrics/webhook.hpp"
#include "net/asio.hpp"
#include "proxy/runtime.hpp"

namespace gisgate::proxy {

class Observer {
public:
    // Opens the history database when the config asks for one (throws std::runtime_error if it cannot).
    // `workers` must outlive the observer's use of them (until finish()).
    Observer(asio::io_context& control, std::vector<const metrics::WorkerStats*> workers,
             metrics::ServiceRegistry& registry, std::shared_ptr<const Runtime> runtime);
    ~Observer();

    // Control thread. Starts the once-a-second tick.
    void start();
    // Control thread: the runtime now served (reload or runtime change).
    void update(std::shared_ptr<const Runtime> runtime);
    // Control thread, once the workers have stopped: counts the last requests, writes the partial history
    // interval and closes the database. Nothing is recorded afterwards.
    void finish();

    nlohmann::json services_json();
    nlohmann::json alerts_json() const;
    // Appends the per-request families to a Prometheus text exposition.
    void append_metrics(std::string& out);

private:
    using Clock = std::chrono::system_clock;
    struct ServerSeen {
        bool healthy = true;
        balance::AdminState admin = balance::AdminState::ready;
        std::uint64_t transitions = 0;
    };

    void schedule_tick();
    void tick();
    void sample_servers(Clock::time_point now, double elapsed_seconds);
    void write_interval(std::int64_t end_second, bool final);
    void evaluate_alerts(std::int64_t now_second, std::int64_t now_ms);
    void publish(const std::vector<metrics::AlertEvent>& events);
    void health_event(std::int64_t time_ms, const std::string& pool, const std::string& server, const char* state,
                      std::string reason);
    std::int64_t covered_seconds(std::int64_t now_second) const;

    asio::io_context& control_;
    std::vector<const metrics::WorkerStats*> workers_;
    metrics::ServiceRegistry& registry_;
    std::shared_ptr<const Runtime> runtime_;
    asio::steady_timer timer_;
    bool finished_ = false;

    metrics::Collector collector_;
    metrics::SlidingWindow window_;
    std::map<std::string, std::uint64_t> rejections_seen_;  // pool → cumulative queue rejections
    std::map<std::string, ServerSeen> servers_seen_;        // "pool/server" →
    std::map<std::string, double> up_seconds_;              // "pool/server" → up time in the current interval
    std::int64_t started_second_ = 0;
    Clock::time_point last_tick_{};

    // History.
    std::unique_ptr<metrics::HistoryWriter> history_;
    std::int64_t interval_ = 60;               // seconds
    std::int64_t interval_start_ = 0;          // aligned start of the current interval
    std::int64_t covered_from_ = 0;            // when this process started covering it
    std::vector<metrics::TrafficTotals> service_base_;  // cumulative totals at the last interval end, by id
    std::vector<metrics::TrafficTotals> server_base_;

    // Alerts.
    metrics::AlertEngine alerts_;
    std::vector<config::AlertRule> rules_;
    std::unique_ptr<metrics::WebhookSender> webhook_;
};

}  // namespace gisgate::proxy
