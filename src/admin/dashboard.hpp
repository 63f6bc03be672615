// The live dashboard: GET / on the admin listener serves one self-contained page (src/admin/dashboard/
// index.html, embedded at build time) that polls the admin API's JSON endpoints. It is an ordinary route, so
// the admin `allow` list applies to it exactly as to the other reads.
#pragma once

#include <string_view>
#include <vector>

#include "admin/router.hpp"

namespace gisgate::admin {

// The page's HTML.
std::string_view dashboard_page();

// GET / (the page).
std::vector<Route> dashboard_routes();

// `routes` with the dashboard's routes appended (how admin_server.cpp builds its table).
std::vector<Route> with_dashboard(std::vector<Route> routes);

}  // namespace gisgate::admin
