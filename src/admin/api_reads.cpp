// The read-only endpoints: JSON documents and the Prometheus text, built by the proxy on each request.
#include <charconv>

#include "admin/api_handlers.hpp"

namespace gisgate::admin {

Reply get_status(ControlApi& api, const RouteRequest&) { return json_reply(200, api.status()); }

Reply get_ready(ControlApi& api, const RouteRequest&) { return from_result(api.ready()); }

Reply get_services(ControlApi& api, const RouteRequest&) { return json_reply(200, api.services()); }

Reply get_alerts(ControlApi& api, const RouteRequest&) { return json_reply(200, api.alerts()); }

Reply get_history(ControlApi& api, const RouteRequest& r) {
    int minutes = 60;
    if (const auto given = r.query_param("minutes")) {
        const auto [end, ec] = std::from_chars(given->data(), given->data() + given->size(), minutes);
        if (ec != std::errc{} || end != given->data() + given->size() || minutes < 1 || minutes > 1440)
            return json_reply(400, error_body(400, "'minutes' must be a whole number from 1 to 1440"));
    }
    return from_result(api.history(minutes));
}

Reply get_metrics(ControlApi& api, const RouteRequest&) {
    Reply reply;
    reply.content_type = "text/plain; version=0.0.4; charset=utf-8";  // what Prometheus expects of format 0.0.4
    reply.body = api.metrics();
    return reply;
}

}  // namespace gisgate::admin
