// Rolling changes of a pool: POST /api/v1/rollouts, GET /api/v1/rollout, POST /api/v1/rollout/continue and
// /api/v1/rollout/abort. The options are checked by the rollout engine, which owns their meaning.
#include <nlohmann/json.hpp>

#include "admin/api_handlers.hpp"

namespace gisgate::admin {

namespace {

// The body as JSON: an object, or {} for an empty body when `empty_ok`; nullopt (and the 400) otherwise.
std::optional<nlohmann::json> rollout_body(std::string_view body, bool empty_ok, Reply& error) {
    if (empty_ok && body.find_first_not_of(" \t\r\n") == std::string_view::npos) return nlohmann::json::object();
    auto parsed = nlohmann::json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || !parsed.is_object()) {
        error = error_reply(400, "request body must be a JSON object");
        return std::nullopt;
    }
    return parsed;
}

}  // namespace

Reply post_rollout(ControlApi& api, const RouteRequest& r) {
    Reply error;
    const auto body = rollout_body(r.body, false, error);
    return body ? from_result(api.start_rollout(*body)) : error;
}

Reply get_rollout(ControlApi& api, const RouteRequest&) { return from_result(api.rollout()); }

Reply post_rollout_continue(ControlApi& api, const RouteRequest& r) {
    Reply error;
    const auto body = rollout_body(r.body, true, error);
    return body ? from_result(api.continue_rollout(*body)) : error;
}

Reply post_rollout_abort(ControlApi& api, const RouteRequest&) { return from_result(api.abort_rollout()); }

}  // namespace gisgate::admin
