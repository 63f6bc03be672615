// Cross-origin access as ArcGIS Server's REST API does it by default: a request with an Origin header from an
// allowed origin gets `Access-Control-Allow-Origin` echoing that origin (all origins are allowed unless
// --allowed-origins lists some), and a CORS preflight (OPTIONS with Access-Control-Request-Method) is answered
// with the methods and headers it asks for. A disallowed origin gets no CORS headers, so the browser refuses
// the answer. The token service (`/arcgis/tokens/...`) allows every origin, as ArcGIS's does.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/request.hpp"
#include "sim/responses.hpp"

namespace gisgate::sim {

// Headers a browser page may read from the sim's answers (which site answered, its colour, the tile tag).
inline constexpr const char* kCorsExposedHeaders = "X-Gisgate-Sim-Site, X-Gisgate-Sim-Tint, ETag";

// `allowed` empty (or containing "*") allows every origin; otherwise origins compare case-insensitively.
bool origin_allowed(const std::vector<std::string>& allowed, std::string_view origin, std::string_view path);

// A preflight: OPTIONS with Origin and Access-Control-Request-Method.
bool is_preflight(const SimRequest& req);
// The answer to a preflight: 200, no body (the CORS headers are added by add_cors_headers).
Reply preflight_reply(const SimRequest& req);

// Adds the CORS headers to `reply` when the request carries an allowed Origin.
void add_cors_headers(const std::vector<std::string>& allowed, const SimRequest& req, Reply& reply);

// Parses `--allowed-origins`: a comma-separated list of "scheme://host[:port]" or "*". Throws
// std::invalid_argument naming the bad entry.
std::vector<std::string> parse_allowed_origins(std::string_view list);

// The request header `name` (case-insensitive), or "".
std::string request_header(const SimRequest& req, std::string_view name);

}  // namespace gisgate::sim
