// The control-plane half of observability, on the control thread (never on a worker). The Observer owns the
// once-a-second tick and hands each job to the object that does it:
//   StatsMerge      (stats_merge.hpp)     the workers' statistics merged, one slice per second
//   StatsWindow     (stats_window.hpp)    the sliding window of those slices
//   HistoryRecorder (observer_history.hpp) server samples and interval rows for the SQLite history
//   AlertMonitor    (observer_alerts.hpp) alert rules, events, webhook
//   exposition      (observer_json.hpp, observer_prometheus.hpp) /api/v1/services, /api/v1/alerts, /metrics
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metrics/stats_table.hpp"
#include "net/asio.hpp"
#include "proxy/observer_alerts.hpp"
#include "proxy/observer_history.hpp"
#include "proxy/observer_time.hpp"
#include "proxy/runtime.hpp"
#include "proxy/stats_merge.hpp"
#include "proxy/stats_window.hpp"

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
    void schedule_tick();
    void tick();
    void publish(const std::vector<metrics::AlertEvent>& events);

    metrics::ServiceRegistry& registry_;
    std::shared_ptr<const Runtime> runtime_;
    asio::steady_timer timer_;
    bool finished_ = false;
    WallClock::time_point last_tick_{};

    StatsMerge stats_;
    StatsWindow window_;
    std::unique_ptr<HistoryRecorder> history_;  // null without `history:`
    AlertMonitor alerts_;
};

}  // namespace gisgate::proxy
