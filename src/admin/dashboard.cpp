#include "admin/dashboard.hpp"

#include "admin/dashboard_page.hpp"  // generated from dashboard/index.html

namespace gisgate::admin {

std::string_view dashboard_page() {
    return {kDashboardHtml, sizeof(kDashboardHtml) - 1};
}

std::vector<Route> dashboard_routes() {
    return {
        {"GET", "/",
         [](const RouteRequest&) {
             Reply reply;
             reply.content_type = "text/html; charset=utf-8";
             reply.body = std::string(dashboard_page());
             // The page loads nothing from elsewhere and talks only to this listener; say so to the browser,
             // and keep the buttons that change server states out of other sites' frames.
             reply.headers.emplace_back("Content-Security-Policy",
                                        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                                        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
                                        "form-action 'none'; frame-ancestors 'none'");
             reply.headers.emplace_back("X-Frame-Options", "DENY");
             reply.headers.emplace_back("X-Content-Type-Options", "nosniff");
             reply.headers.emplace_back("Referrer-Policy", "no-referrer");
             return reply;
         }},
    };
}

std::vector<Route> with_dashboard(std::vector<Route> routes) {
    for (auto& route : dashboard_routes()) routes.push_back(std::move(route));
    return routes;
}

}  // namespace gisgate::admin
