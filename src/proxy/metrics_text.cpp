// GET /metrics: the proxy's live state in Prometheus text format (exposition format 0.0.4). Built on the
// control thread from the same sources as /api/v1/status; the per-request families (requests by pool, server
// and status class, bytes, retries, per-service latency histograms) come from the Observer.
#include <fmt/format.h>

#include "metrics/prometheus.hpp"
#include "proxy/server.hpp"

namespace gisgate::proxy {

namespace {

using metrics::prometheus::family;
using metrics::prometheus::label;

}  // namespace

std::string ProxyServer::metrics() {
    std::string out;
    const auto& report = drift_.report();

    family(out, "gisgate_server_up", "gauge", "1 when the server passes its health checks");
    for (const auto& pool : runtime_->pools)
        for (const auto& s : pool->servers())
            fmt::format_to(std::back_inserter(out), "gisgate_server_up{{pool=\"{}\",server=\"{}\"}} {}\n",
                           label(pool->name()), label(s->name), s->healthy.load() ? 1 : 0);

    family(out, "gisgate_server_state", "gauge", "1 for the server's current state (up, down, drain, maint)");
    for (const auto& pool : runtime_->pools)
        for (const auto& s : pool->servers())
            for (auto state : {balance::ServerState::up, balance::ServerState::down, balance::ServerState::drain,
                               balance::ServerState::maint})
                fmt::format_to(std::back_inserter(out),
                               "gisgate_server_state{{pool=\"{}\",server=\"{}\",state=\"{}\"}} {}\n",
                               label(pool->name()), label(s->name), balance::to_string(state),
                               s->state() == state ? 1 : 0);

    family(out, "gisgate_outlier_ejections_total", "counter",
           "servers taken out by live traffic (outlier: consecutive_5xx or consecutive_timeouts), by reason");
    for (const auto& pool : runtime_->pools)
        for (const auto& s : pool->servers())
            for (auto reason : {balance::OutlierReason::consecutive_5xx, balance::OutlierReason::consecutive_timeouts})
                fmt::format_to(std::back_inserter(out),
                               "gisgate_outlier_ejections_total{{pool=\"{}\",server=\"{}\",reason=\"{}\"}} {}\n",
                               label(pool->name()), label(s->name), balance::to_string(reason),
                               s->outlier.ejections(reason));

    family(out, "gisgate_server_in_flight", "gauge", "requests in flight on the server");
    for (const auto& pool : runtime_->pools)
        for (const auto& s : pool->servers())
            fmt::format_to(std::back_inserter(out), "gisgate_server_in_flight{{pool=\"{}\",server=\"{}\"}} {}\n",
                           label(pool->name()), label(s->name), s->active.load());

    family(out, "gisgate_server_requests_total", "counter", "requests sent to the server");
    for (const auto& pool : runtime_->pools)
        for (const auto& s : pool->servers())
            fmt::format_to(std::back_inserter(out),
                           "gisgate_server_requests_total{{pool=\"{}\",server=\"{}\"}} {}\n", label(pool->name()),
                           label(s->name), s->requests_total.load());

    family(out, "gisgate_server_check_latency_seconds", "gauge", "latency of the last health check");
    for (const auto& pool : runtime_->pools)
        for (const auto& s : pool->servers())
            fmt::format_to(std::back_inserter(out),
                           "gisgate_server_check_latency_seconds{{pool=\"{}\",server=\"{}\"}} {:.3f}\n",
                           label(pool->name()), label(s->name), s->health.last_latency.count() / 1000.0);

    family(out, "gisgate_server_drift", "gauge",
           "1 when the server's catalog differs from the majority of its pool (expect_identical)");
    for (const auto& pool : runtime_->pools) {
        if (!pool->config().expect_identical) continue;
        const auto it = report.find(pool->name());
        for (const auto& s : pool->servers()) {
            const bool drifting = it != report.end() && it->second.count(s->name);
            fmt::format_to(std::back_inserter(out), "gisgate_server_drift{{pool=\"{}\",server=\"{}\"}} {}\n",
                           label(pool->name()), label(s->name), drifting ? 1 : 0);
        }
    }

    family(out, "gisgate_pool_queued", "gauge", "requests waiting in the pool's queue");
    for (const auto& pool : runtime_->pools)
        fmt::format_to(std::back_inserter(out), "gisgate_pool_queued{{pool=\"{}\"}} {}\n", label(pool->name()),
                       pool->queued());

    family(out, "gisgate_pool_queue_rejections_total", "counter", "requests refused with 503 by the queue");
    for (const auto& pool : runtime_->pools)
        fmt::format_to(std::back_inserter(out), "gisgate_pool_queue_rejections_total{{pool=\"{}\"}} {}\n",
                       label(pool->name()), pool->queue_rejections());

    family(out, "gisgate_job_affinity_table_size", "gauge", "geoprocessing jobs whose server is known");
    for (const auto& pool : runtime_->pools) {
        const gis::JobTable* jobs = runtime_->job_table(pool->name());
        fmt::format_to(std::back_inserter(out), "gisgate_job_affinity_table_size{{pool=\"{}\"}} {}\n",
                       label(pool->name()), jobs ? jobs->size() : 0);
    }
    family(out, "gisgate_upload_affinity_table_size", "gauge", "uploaded items whose server is known");
    for (const auto& pool : runtime_->pools) {
        const gis::JobTable* items = runtime_->upload_table(pool->name());
        fmt::format_to(std::back_inserter(out), "gisgate_upload_affinity_table_size{{pool=\"{}\"}} {}\n",
                       label(pool->name()), items ? items->size() : 0);
    }

    std::size_t connections = 0;
    for (const auto& w : workers_) connections += w->open_sessions();
    family(out, "gisgate_client_connections", "gauge", "open client connections");
    fmt::format_to(std::back_inserter(out), "gisgate_client_connections {}\n", connections);
    std::size_t parked = 0;
    for (const auto& w : workers_) parked += w->parked_connections();
    family(out, "gisgate_client_connections_parked", "gauge",
           "open client connections idle between requests, parked without a session (HTTP/1.1)");
    fmt::format_to(std::back_inserter(out), "gisgate_client_connections_parked {}\n", parked);
    const Tunnels& tunnels = *runtime_->tunnels;
    family(out, "gisgate_tunnels_open", "gauge", "WebSocket tunnels open (and handshakes under way)");
    fmt::format_to(std::back_inserter(out), "gisgate_tunnels_open {}\n", tunnels.open());
    family(out, "gisgate_tunnels_opened_total", "counter", "WebSocket handshakes a server accepted");
    fmt::format_to(std::back_inserter(out), "gisgate_tunnels_opened_total {}\n", tunnels.opened_total());
    family(out, "gisgate_tunnels_refused_total", "counter", "WebSocket handshakes refused by limits.max_tunnels");
    fmt::format_to(std::back_inserter(out), "gisgate_tunnels_refused_total {}\n", tunnels.refused());
    family(out, "gisgate_tunnel_bytes_total", "counter", "bytes relayed through WebSocket tunnels");
    fmt::format_to(std::back_inserter(out), "gisgate_tunnel_bytes_total{{direction=\"to_client\"}} {}\n",
                   tunnels.bytes_to_client.load(std::memory_order_relaxed));
    fmt::format_to(std::back_inserter(out), "gisgate_tunnel_bytes_total{{direction=\"to_server\"}} {}\n",
                   tunnels.bytes_to_server.load(std::memory_order_relaxed));
    family(out, "gisgate_config_reloads_total", "counter", "successful config reloads");
    fmt::format_to(std::back_inserter(out), "gisgate_config_reloads_total {}\n", reloads_);
    cache_metrics(out);
    observer_->append_metrics(out);
    if (cluster_) cluster_->metrics(out, runtime_->peers ? runtime_->peers->stats.get() : nullptr);
    return out;
}

}  // namespace gisgate::proxy
