// ProxyServer as admin::ControlApi, the reads: GET /api/v1/status, /api/v1/services and /api/v1/alerts (GET
// /metrics is metrics_text.cpp). The Observer answers the statistics; the JSON shapes are in observer_json.cpp.
#include "proxy/observer_json.hpp"
#include "proxy/server.hpp"

namespace gisgate::proxy {

nlohmann::json ProxyServer::status() {
    nlohmann::json pools = nlohmann::json::array();
    for (const auto& pool : runtime_->pools)
        pools.push_back(pool_status_json(*pool, drift_.report(), runtime_->job_table(pool->name()),
                                          runtime_->upload_table(pool->name())));
    std::size_t connections = 0;
    for (const auto& w : workers_) connections += w->open_sessions();
    return {{"pools", pools},
            {"workers", workers_.size()},
            {"connections", connections},
            {"tunnels", tunnels_json(*runtime_->tunnels, runtime_->config.limits.max_tunnels)},
            {"config_file", config_path_},
            {"reloads", reloads_},
            {"generation", runtime_->generation}};
}

nlohmann::json ProxyServer::services() { return observer_->services_json(); }

nlohmann::json ProxyServer::alerts() { return observer_->alerts_json(); }

}  // namespace gisgate::proxy
