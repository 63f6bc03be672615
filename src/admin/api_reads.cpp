// The read-only endpoints: JSON documents and the Prometheus text, built by the proxy on each request.
#include "admin/api_handlers.hpp"

namespace gisgate::admin {

Reply get_status(ControlApi& api, const RouteRequest&) { return json_reply(200, api.status()); }

Reply get_services(ControlApi& api, const RouteRequest&) { return json_reply(200, api.services()); }

Reply get_alerts(ControlApi& api, const RouteRequest&) { return json_reply(200, api.alerts()); }

Reply get_metrics(ControlApi& api, const RouteRequest&) {
    Reply reply;
    reply.content_type = "text/plain; version=0.0.4; charset=utf-8";  // what Prometheus expects of format 0.0.4
    reply.body = api.metrics();
    return reply;
}

}  // namespace gisgate::admin
