// A pool's servers: PUT .../servers/{server}/state, POST .../servers, DELETE .../servers/{server}.
#include <nlohmann/json.hpp>

#include "admin/api_handlers.hpp"

namespace gisgate::admin {

std::optional<nlohmann::json> parse_json_object(std::string_view body, Reply& error) {
    auto parsed = nlohmann::json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
        error = error_reply(400, "request body is not valid JSON");
        return std::nullopt;
    }
    if (!parsed.is_object()) {
        error = error_reply(400, "request body must be a JSON object");
        return std::nullopt;
    }
    return parsed;
}

Reply put_server_state(ControlApi& api, const RouteRequest& r) {
    Reply error;
    const auto body = parse_json_object(r.body, error);
    if (!body) return error;
    const auto state = body->find("state");
    if (state == body->end() || !state->is_string())
        return error_reply(400, "body must be {\"state\": \"ready\"|\"drain\"|\"maint\"}");
    // The value itself is checked by the proxy, which owns the list of states.
    return from_result(api.set_server_state(r.param("pool"), r.param("server"), state->get<std::string>()));
}

Reply post_server(ControlApi& api, const RouteRequest& r) {
    Reply error;
    const auto body = parse_json_object(r.body, error);
    if (!body) return error;
    return from_result(api.add_server(r.param("pool"), *body));
}

Reply delete_server(ControlApi& api, const RouteRequest& r) {
    return from_result(api.remove_server(r.param("pool"), r.param("server")));
}

}  // namespace gisgate::admin
