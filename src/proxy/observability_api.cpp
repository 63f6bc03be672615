// ProxyServer as admin::ControlApi, the reads: GET /api/v1/status, /api/v1/ready (proxy/readiness.cpp),
// /api/v1/services, /api/v1/alerts and /api/v1/history (GET /metrics is metrics_text.cpp). The Observer answers
// the statistics; the JSON shapes are in observer_json.cpp.
#include <chrono>

#include "metrics/history_recent.hpp"
#include "proxy/observer_json.hpp"
#include "proxy/readiness.hpp"
#include "proxy/server.hpp"

namespace gisgate::proxy {

nlohmann::json ProxyServer::status() {
    nlohmann::json pools = nlohmann::json::array();
    for (const auto& pool : runtime_->pools)
        pools.push_back(pool_status_json(*pool, drift_.report(), runtime_->job_table(pool->name()),
                                          runtime_->upload_table(pool->name())));
    std::size_t connections = 0;
    for (const auto& w : workers_) connections += w->open_sessions();
    nlohmann::json status = {{"pools", pools},
                             {"workers", workers_.size()},
                             {"connections", connections},
                             {"tunnels", tunnels_json(*runtime_->tunnels, runtime_->config.limits.max_tunnels)},
                             {"config_file", config_path_},
                             {"reloads", reloads_},
                             {"generation", runtime_->generation},
                             {"rollout", rollouts_->to_json()}};
    if (cluster_) status["cluster"] = cluster_->status();
    return status;
}

admin::ApiResult ProxyServer::ready() {
    const Readiness r = readiness(*runtime_, bound_listeners_.size(), draining_);
    return {r.ready ? 200 : 503, r.to_json()};
}

nlohmann::json ProxyServer::services() { return observer_->services_json(); }

nlohmann::json ProxyServer::alerts() { return observer_->alerts_json(); }

admin::ApiResult ProxyServer::history(int minutes) {
    const auto& config = runtime_->config.history;
    if (!config)
        return {404, {{"error", {{"code", 404}, {"message", "no history database (configure `history:`)"}}}}};
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::vector<metrics::RecentInterval> intervals;
    try {
        intervals = metrics::read_recent_intervals(config->path, now - std::int64_t{minutes} * 60);
    } catch (const std::exception& e) {
        return {500, {{"error", {{"code", 500}, {"message", e.what()}}}}};
    }
    nlohmann::json points = nlohmann::json::array();
    for (const auto& i : intervals) {
        const double seconds = static_cast<double>(std::max<std::int64_t>(i.seconds, 1));
        points.push_back({{"t", i.start * 1000},
                          {"seconds", i.seconds},
                          {"requests", i.requests},
                          {"errors", i.errors},
                          {"rps", static_cast<double>(i.requests) / seconds},
                          {"p95_ms", static_cast<double>(i.histogram.percentile(95)) / 1000.0}});
    }
    return {200, {{"interval_seconds", std::chrono::duration_cast<std::chrono::seconds>(config->interval).count()},
                  {"points", points}}};
}

}  // namespace gisgate::proxy
