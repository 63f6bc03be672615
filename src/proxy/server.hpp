// The running proxy. Workers serve requests; this object is the control plane on the main thread's
// io_context: it binds listeners on every worker (SO_REUSEPORT), runs the health monitor and the admin API,
// applies config reloads (SIGHUP, POST /api/v1/reload) and runtime changes (server states, added and removed
// servers) by publishing a new immutable Runtime to the workers, and stops gracefully on SIGTERM/SIGINT.
#pragma once

#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <map>
#include <memory>
#include <vector>

#include "admin/admin_server.hpp"
#include "admin/control_api.hpp"
#include "balance/limit_tuner.hpp"
#include "cluster/node.hpp"
#include "config/config.hpp"
#include "gis/discovery.hpp"
#include "gis/drift.hpp"
#include "health/monitor.hpp"
#include "metrics/stats_table.hpp"
#include "proxy/observer.hpp"
#include "proxy/runtime.hpp"
#include "proxy/worker.hpp"
#include "rollout/rollout.hpp"

namespace gisgate::proxy {

class ProxyServer final : public admin::ControlApi {
public:
    // Throws std::runtime_error / std::system_error when a server address does not resolve or a listener
    // cannot bind — before anything is served. `config_path` is re-read on reload (empty: reload refused).
    explicit ProxyServer(config::Config config, std::string config_path = {});
    ~ProxyServer() override;

    // Serves until SIGTERM or SIGINT (or stop()), then drains. Returns the process exit code.
    int run();
    // Asks run() to stop gracefully; callable from any thread.
    void stop();

    // admin::ControlApi (control thread).
    nlohmann::json status() override;
    admin::ApiResult ready() override;  // proxy/readiness.hpp
    admin::ApiResult set_server_state(const std::string& pool, const std::string& server,
                                      const std::string& state) override;
    admin::ApiResult add_server(const std::string& pool, const nlohmann::json& body) override;
    admin::ApiResult remove_server(const std::string& pool, const std::string& server) override;
    admin::ApiResult reload() override;
    admin::ApiResult purge_cache(const std::string& prefix, const std::string& pool) override;
    admin::ApiResult history(int minutes) override;
    std::string metrics() override;
    nlohmann::json services() override;
    nlohmann::json alerts() override;
    admin::ApiResult cluster_sync(const nlohmann::json& request) override;  // cluster_control.cpp
    admin::ApiResult cluster_owner(const std::string& pool, const std::string& id, bool uploads) override;
    admin::ApiResult start_rollout(const nlohmann::json& body) override;  // rollout_control.cpp
    admin::ApiResult rollout() override;
    admin::ApiResult continue_rollout(const nlohmann::json& body) override;
    admin::ApiResult abort_rollout() override;

private:
    // Builds a runtime from `config` (keeping server states), binds new listeners, publishes it to the
    // workers and retires removed listeners. Throws on failure, leaving the running runtime untouched.
    void apply(config::Config config);
    void publish(std::shared_ptr<const Runtime> runtime);
    void finish_removal(std::string pool, std::string server, std::chrono::steady_clock::time_point deadline);
    void drain_and_stop();
    void wait_for_reload_signal();
    // SIGUSR1 (logrotate's postrotate): the access log file is opened again by its path and put in place of the
    // old one under the same descriptor number (dup2), so workers write to the new file without being told.
    void wait_for_reopen_signal();
    void poll_drain();
    balance::ServerRuntime* find_server(const std::string& pool, const std::string& server) const;
    void cache_metrics(std::string& out) const;  // the gisgate_cache_* families (cache_control.cpp)
    rollout::Dependencies rollout_dependencies();  // rollout_control.cpp

    std::string config_path_;
    int access_log_fd_ = -1;
    bool owns_access_log_fd_ = false;
    asio::io_context control_{1};
    // Registered before any listener is bound: a signal that arrives before run() waits for it is queued by
    // Asio instead of taking its default action (SIGHUP would terminate the process).
    asio::signal_set stop_signals_{control_, SIGTERM, SIGINT};
    asio::signal_set reload_signal_{control_, SIGHUP};
    asio::signal_set reopen_signal_{control_, SIGUSR1};
    std::string access_log_path_;  // the file the access log was opened from; empty for stdout/stderr/off
    health::HealthMonitor health_{control_};
    gis::DiscoveryMonitor discovery_{control_};
    gis::DriftMonitor drift_{control_};
    balance::LimitTuner limit_tuner_{control_};  // max_active_per_server: auto
    // `gisgate ctl rollout`: changes states only through set_server_state (created in the constructor).
    std::unique_ptr<rollout::Rollouts> rollouts_;
    std::shared_ptr<const Runtime> runtime_;
    metrics::ServiceRegistry service_registry_{config::MetricsConfig{}.max_services};  // outlives the workers
    std::vector<std::unique_ptr<Worker>> workers_;
    std::map<std::string, std::string> bound_listeners_;  // listener name → bind address, as bound now
    std::unique_ptr<admin::AdminServer> admin_;
    std::unique_ptr<Observer> observer_;  // statistics, history, alerts (control thread)
    // `cluster:`: the change log and the peers' sync (docs/cluster.md); null for a single node. Every successful
    // runtime change above calls note_change(), which logs it and pushes it to the peers.
    std::unique_ptr<cluster::Node> cluster_;
    void note_change(cluster::ChangeKind kind, std::string pool, std::string server, nlohmann::json payload) {
        if (cluster_) cluster_->local_change(kind, std::move(pool), std::move(server), std::move(payload));
    }
    std::uint64_t reloads_ = 0;
    asio::steady_timer drain_timer_{control_};
    std::chrono::steady_clock::time_point drain_deadline_{};
    bool draining_ = false;
};

}  // namespace gisgate::proxy
