// The live dashboard: GET / on the admin listener serves one self-contained page (src/admin/dashboard/
// index.html, embedded at build time) that polls the admin API's JSON endpoints. It is an ordinary route, so
// the admin `allow` list applies to it exactly as to the other reads.
//
// Two things come from the admin config: the Map view's service (`admin.map`), whose origin the page's
// Content-Security-Policy lets it load tiles from, and in `gisgate demo` the simulated sites' fault APIs
// (buttons that fail and heal a site), whose origins it may POST to. GET /api/v1/dashboard tells the page both.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "admin/router.hpp"
#include "config/config.hpp"

namespace gisgate::admin {

// The page's HTML.
std::string_view dashboard_page();

// "http://127.0.0.1:8080/arcgis/rest/..." -> "http://127.0.0.1:8080".
std::string url_origin(const std::string& url);

// The page's Content-Security-Policy: nothing but this listener, plus the map's and the demo sites' origins.
std::string dashboard_csp(const config::AdminConfig& config);

// GET / (the page), GET /api/v1/dashboard ({"map": URL|null, "demo_sites": [{"server", "control"}]}) and
// GET /favicon.ico (204).
std::vector<Route> dashboard_routes(const config::AdminConfig& config);

// `routes` with the dashboard's routes appended (how admin_server.cpp builds its table).
std::vector<Route> with_dashboard(std::vector<Route> routes, const config::AdminConfig& config);

}  // namespace gisgate::admin
