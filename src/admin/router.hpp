// The admin API's routing table: a list of {method, pattern, handler}. Adding an endpoint (metrics, the
// dashboard) is one more entry; matching, path-parameter decoding, 404 and 405 (with Allow) live here once.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "admin/json_reply.hpp"

namespace gisgate::admin {

class ControlApi;

// What a handler sees: the matched path parameters (percent-decoded) and the raw body.
struct RouteRequest {
    std::string_view method;
    std::string_view body;
    std::string_view query;  // raw query string (after '?'), empty when none
    std::vector<std::pair<std::string, std::string>> params;  // in pattern order; few, so a vector
    const std::string& param(std::string_view name) const;     // "" when the pattern has no such parameter
    // The first `name=value` of the query string, percent-decoded ('+' as space); nullopt when absent or
    // malformed.
    std::optional<std::string> query_param(std::string_view name) const;
};

using Handler = std::function<Reply(const RouteRequest&)>;

struct Route {
    std::string method;   // "GET", "PUT", ...
    std::string pattern;  // "/api/v1/pools/{pool}/servers/{server}"; a {name} segment matches one segment
    Handler handler;
};

class Router {
public:
    explicit Router(std::vector<Route> routes);

    // Routes a request (`target` may carry a query string, which is ignored). Never throws: an exception
    // from a handler becomes a 500.
    Reply dispatch(std::string_view method, std::string_view target, std::string_view body) const;

private:
    struct Compiled {
        Route route;
        std::vector<std::string> segments;  // "{pool}" kept as written; is_param tells them apart
        std::vector<bool> is_param;
    };
    bool match(const Compiled& c, const std::vector<std::string>& path, RouteRequest& out) const;
    std::vector<Compiled> routes_;
};

// Splits "/a/b%2Fc/d?x" into decoded segments {"a", "b/c", "d"}; "/" is no segments. nullopt when the
// target is not origin-form or a percent escape is malformed.
std::optional<std::vector<std::string>> split_path(std::string_view target);

// Decodes %XX escapes ('+' stays '+': this is a path, not a form). nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text);

// The /api/v1 endpoints and /metrics over `api` (which must outlive the returned handlers): the table in
// api_routes.cpp, one handler per endpoint (api_handlers.hpp).
std::vector<Route> api_v1_routes(ControlApi& api);

}  // namespace gisgate::admin
