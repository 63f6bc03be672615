// The admin API's endpoints, one table: method, pattern, handler (api_handlers.hpp). The router does the
// matching, path parameters, 404 and 405; admin_server.cpp the access rules (allow list, bearer token for writes).
#include "admin/api_handlers.hpp"

namespace gisgate::admin {

namespace {

struct Endpoint {
    const char* method;
    const char* pattern;
    ApiHandler handler;
};

constexpr Endpoint kEndpoints[] = {
    {"GET", "/api/v1/status", get_status},
    {"GET", "/api/v1/ready", get_ready},
    {"GET", "/api/v1/services", get_services},
    {"GET", "/api/v1/alerts", get_alerts},
    {"GET", "/api/v1/history", get_history},
    {"GET", "/metrics", get_metrics},
    {"PUT", "/api/v1/pools/{pool}/servers/{server}/state", put_server_state},
    {"POST", "/api/v1/pools/{pool}/servers", post_server},
    {"DELETE", "/api/v1/pools/{pool}/servers/{server}", delete_server},
    {"POST", "/api/v1/reload", post_reload},
    {"DELETE", "/api/v1/cache", delete_cache},
    {"POST", "/api/v1/cluster/sync", post_cluster_sync},
    {"GET", "/api/v1/cluster/jobs/{pool}/{id}", get_cluster_job},
    {"GET", "/api/v1/cluster/uploads/{pool}/{id}", get_cluster_upload},
    {"POST", "/api/v1/rollouts", post_rollout},
    {"GET", "/api/v1/rollout", get_rollout},
    {"POST", "/api/v1/rollout/continue", post_rollout_continue},
    {"POST", "/api/v1/rollout/abort", post_rollout_abort},
};

}  // namespace

std::vector<Route> api_v1_routes(ControlApi& api) {
    std::vector<Route> routes;
    for (const Endpoint& e : kEndpoints)
        routes.push_back({e.method, e.pattern, [&api, h = e.handler](const RouteRequest& r) { return h(api, r); }});
    return routes;
}

}  // namespace gisgate::admin
