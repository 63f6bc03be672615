// The /api/v1 endpoints: request bodies are checked here (so ControlApi only ever sees well-formed input) and
// ControlApi's results are passed through as they are.
#include <nlohmann/json.hpp>

#include "admin/control_api.hpp"
#include "admin/router.hpp"

namespace gisgate::admin {

namespace {

Reply from_result(const ApiResult& result) {
    return json_reply(result.status, result.body);
}

// nullopt (and the 400 to send) unless `body` is a JSON object.
std::optional<nlohmann::json> parse_object(std::string_view body, Reply& error) {
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

}  // namespace

std::vector<Route> api_v1_routes(ControlApi& api) {
    ControlApi* a = &api;
    return {
        {"GET", "/api/v1/status", [a](const RouteRequest&) { return json_reply(200, a->status()); }},
        {"GET", "/api/v1/services", [a](const RouteRequest&) { return json_reply(200, a->services()); }},
        {"GET", "/api/v1/alerts", [a](const RouteRequest&) { return json_reply(200, a->alerts()); }},

        {"GET", "/metrics",
         [a](const RouteRequest&) {
             Reply reply;
             reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
             reply.body = a->metrics();
             return reply;
         }},

        {"PUT", "/api/v1/pools/{pool}/servers/{server}/state",
         [a](const RouteRequest& r) {
             Reply error;
             const auto body = parse_object(r.body, error);
             if (!body) return error;
             const auto state = body->find("state");
             if (state == body->end() || !state->is_string())
                 return error_reply(400, "body must be {\"state\": \"ready\"|\"drain\"|\"maint\"}");
             // The value itself is checked by the proxy, which owns the list of states.
             return from_result(a->set_server_state(r.param("pool"), r.param("server"), state->get<std::string>()));
         }},

        {"POST", "/api/v1/pools/{pool}/servers",
         [a](const RouteRequest& r) {
             Reply error;
             const auto body = parse_object(r.body, error);
             if (!body) return error;
             return from_result(a->add_server(r.param("pool"), *body));
         }},

        {"DELETE", "/api/v1/pools/{pool}/servers/{server}",
         [a](const RouteRequest& r) { return from_result(a->remove_server(r.param("pool"), r.param("server"))); }},

        {"POST", "/api/v1/reload", [a](const RouteRequest&) { return from_result(a->reload()); }},

        {"DELETE", "/api/v1/cache",
         [a](const RouteRequest& r) {
             const auto prefix = r.query_param("prefix");
             const auto pool = r.query_param("pool");
             if (!r.query.empty() && !prefix && !pool)
                 return error_reply(400, "use DELETE /api/v1/cache?prefix=/path/prefix[&pool=name]");
             if (prefix && !prefix->empty() && prefix->front() != '/')
                 return error_reply(400, "'prefix' must be a path starting with '/'");
             return from_result(a->purge_cache(prefix.value_or(""), pool.value_or("")));
         }},
    };
}

}  // namespace gisgate::admin
