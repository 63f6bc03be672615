// Rolling changes of a pool: POST /api/v1/rollouts, GET /api/v1/rollout, POST /api/v1/rollout/continue and
// /api/v1/rollout/abort. The options are checked by the rollout engine, which owns their meaning.
#include <nlohmann/json.hpp>

#include "admin/api_handlers.hpp"

namespace gisgate::admin {

Reply post_rollout(ControlApi& api, const RouteRequest& r) {
    Reply error;
    const auto body = parse_json_object(r.body, error);
    return body ? from_result(api.start_rollout(*body)) : error;
}

Reply get_rollout(ControlApi& api, const RouteRequest&) { return from_result(api.rollout()); }

Reply post_rollout_continue(ControlApi& api, const RouteRequest& r) {
    // No body is {}: `curl -X POST .../continue` is enough.
    if (r.body.find_first_not_of(" \t\r\n") == std::string_view::npos)
        return from_result(api.continue_rollout(nlohmann::json::object()));
    Reply error;
    const auto body = parse_json_object(r.body, error);
    return body ? from_result(api.continue_rollout(*body)) : error;
}

Reply post_rollout_abort(ControlApi& api, const RouteRequest&) { return from_result(api.abort_rollout()); }

}  // namespace gisgate::admin
