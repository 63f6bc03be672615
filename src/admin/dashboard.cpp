#include "admin/dashboard.hpp"

#include "admin/dashboard_page.hpp"  // generated from dashboard/index.html

namespace gisgate::admin {

std::string_view dashboard_page() {
    return {kDashboardHtml, sizeof(kDashboardHtml) - 1};
}

std::string url_origin(const std::string& url) {
    const auto scheme = url.find("://");
    if (scheme == std::string::npos) return {};
    return url.substr(0, url.find('/', scheme + 3));
}

std::string dashboard_csp(const config::AdminConfig& config) {
    // The page loads nothing from elsewhere and talks only to this listener, the map service it draws (tiles
    // and its description) and, in the demo, the sims' fault APIs; say so to the browser, and keep the
    // buttons that change server states out of other sites' frames.
    std::string map = config.map_url.empty() ? "" : " " + url_origin(config.map_url);
    std::string controls;
    for (const auto& site : config.demo_sites) controls += " " + site.control_origin;
    return "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'" + map +
           controls + "; img-src 'self' data: blob:" + map +
           "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
}

std::vector<Route> dashboard_routes(const config::AdminConfig& config) {
    const std::string csp = dashboard_csp(config);
    nlohmann::json settings = {{"map", config.map_url.empty() ? nlohmann::json(nullptr) : nlohmann::json(config.map_url)},
                               {"demo_sites", nlohmann::json::array()}};
    for (const auto& site : config.demo_sites)
        settings["demo_sites"].push_back({{"server", site.server}, {"control", site.control_origin + "/sim/fault"}});
    return {
        {"GET", "/",
         [csp](const RouteRequest&) {
             Reply reply;
             reply.content_type = "text/html; charset=utf-8";
             reply.body = std::string(dashboard_page());
             reply.headers.emplace_back("Content-Security-Policy", csp);
             reply.headers.emplace_back("X-Frame-Options", "DENY");
             reply.headers.emplace_back("X-Content-Type-Options", "nosniff");
             reply.headers.emplace_back("Referrer-Policy", "no-referrer");
             return reply;
         }},
        {"GET", "/api/v1/dashboard", [settings](const RouteRequest&) { return json_reply(200, settings); }},
        // Browsers ask for an icon with every page; an empty answer keeps a 404 out of their consoles.
        {"GET", "/favicon.ico",
         [](const RouteRequest&) {
             Reply reply;
             reply.status = 204;
             reply.content_type.clear();
             return reply;
         }},
    };
}

std::vector<Route> with_dashboard(std::vector<Route> routes, const config::AdminConfig& config) {
    for (auto& route : dashboard_routes(config)) routes.push_back(std::move(route));
    return routes;
}

}  // namespace gisgate::admin
