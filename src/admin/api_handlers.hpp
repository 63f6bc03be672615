// One handler per admin API endpoint, registered in the table of api_routes.cpp. A handler checks the request's
// body and query (so ControlApi only ever sees well-formed input) and passes ControlApi's result through as it
// is. Grouped by resource: api_reads.cpp, api_servers.cpp, api_actions.cpp, api_rollouts.cpp.
#pragma once

#include <optional>
#include <string_view>

#include "admin/control_api.hpp"
#include "admin/router.hpp"

namespace gisgate::admin {

using ApiHandler = Reply (*)(ControlApi& api, const RouteRequest& request);

inline Reply from_result(const ApiResult& result) { return json_reply(result.status, result.body); }

// nullopt (and the 400 to send in `error`) unless `body` is a JSON object.
std::optional<nlohmann::json> parse_json_object(std::string_view body, Reply& error);

// Reads (api_reads.cpp).
Reply get_status(ControlApi& api, const RouteRequest& request);
Reply get_ready(ControlApi& api, const RouteRequest& request);
Reply get_services(ControlApi& api, const RouteRequest& request);
Reply get_alerts(ControlApi& api, const RouteRequest& request);
Reply get_metrics(ControlApi& api, const RouteRequest& request);
Reply get_history(ControlApi& api, const RouteRequest& request);

// A pool's servers (api_servers.cpp).
Reply put_server_state(ControlApi& api, const RouteRequest& request);
Reply post_server(ControlApi& api, const RouteRequest& request);
Reply delete_server(ControlApi& api, const RouteRequest& request);

// The whole proxy (api_actions.cpp).
Reply post_reload(ControlApi& api, const RouteRequest& request);
Reply delete_cache(ControlApi& api, const RouteRequest& request);

// Between cluster peers (api_cluster.cpp).
Reply post_cluster_sync(ControlApi& api, const RouteRequest& request);
Reply get_cluster_job(ControlApi& api, const RouteRequest& request);
Reply get_cluster_upload(ControlApi& api, const RouteRequest& request);
// Rolling changes of a pool (api_rollouts.cpp).
Reply post_rollout(ControlApi& api, const RouteRequest& request);
Reply get_rollout(ControlApi& api, const RouteRequest& request);
Reply post_rollout_continue(ControlApi& api, const RouteRequest& request);
Reply post_rollout_abort(ControlApi& api, const RouteRequest& request);

}  // namespace gisgate::admin
