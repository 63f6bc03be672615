// Exposition as JSON, for the admin API (shapes in admin/control_api.hpp): the status of pools and servers
// (/api/v1/status, and the replies to server changes), the per-service window figures (/api/v1/services) and
// the alerts (/api/v1/alerts). Built on the control thread from what the other jobs keep; nothing is kept here.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "balance/pool.hpp"
#include "gis/drift.hpp"
#include "gis/job_table.hpp"
#include "metrics/alerts.hpp"
#include "metrics/collector.hpp"
#include "proxy/stats_window.hpp"
#include "proxy/tunnels.hpp"

namespace gisgate::proxy {

nlohmann::json server_status_json(const balance::ServerRuntime& server, const config::PoolConfig& pool);
// `jobs`, `uploads`: the pool's job and upload item tables (null: none).
nlohmann::json pool_status_json(const balance::PoolRuntime& pool, const gis::DriftReport& drift,
                                const gis::JobTable* jobs, const gis::JobTable* uploads = nullptr);

// `totals` refreshed just before.
nlohmann::json services_json(const metrics::Collector& totals, const StatsWindow& window,
                             const config::MetricsConfig& config, std::int64_t now_second);

// WebSocket tunnels: {"open", "opened_total", "refused_total", "max", "bytes_to_client", "bytes_to_server"}.
nlohmann::json tunnels_json(const Tunnels& tunnels, std::uint32_t max);

nlohmann::json alert_event_json(const metrics::AlertEvent& event);
nlohmann::json alerts_json(const metrics::AlertEngine& engine);

}  // namespace gisgate::proxy
