#include <fmt/format.h>

#include "sim/cors.hpp"
#include "sim/handlers.hpp"
#include "sim/tokens.hpp"

namespace gisgate::sim {

bool is_sim_control_path(const std::string& path) {
    return path == "/sim" || path.rfind("/sim/", 0) == 0;
}

bool is_portal_healthcheck_path(const std::string& path) {
    auto seg = split_path(path);
    return seg.size() == 3 && seg[0] == "arcgis" && iequals(seg[1], "portaladmin") && iequals(seg[2], "healthCheck");
}

bool is_healthcheck_path(const std::string& path) {
    auto seg = split_path(path);
    return (seg.size() == 4 && seg[0] == "arcgis" && iequals(seg[1], "rest") && iequals(seg[2], "info") &&
            iequals(seg[3], "healthcheck")) ||
           is_portal_healthcheck_path(path);
}

Reply route(Site& site, const SimRequest& req) {
    const auto& seg = req.segments;
    if (is_preflight(req))  // anywhere, /sim/* included (the demo dashboard's fault buttons)
        return preflight_reply(req);
    if (!seg.empty() && seg[0] == "sim")
        return handle_sim_control(site, req, Segments(seg).subspan(1));
    // ArcGIS REST is GET and POST only (HEAD answered as GET).
    if (req.method == "OPTIONS" || (req.method != "GET" && req.method != "HEAD" && req.method != "POST")) {
        Reply r =
            text_reply(req.method == "OPTIONS" ? 200 : 405, req.method == "OPTIONS" ? "" : "Method Not Allowed\n");
        r.headers.emplace_back("Allow", "GET, HEAD, POST, OPTIONS");
        return r;
    }
    // Only the default "arcgis" context (Web Adaptor name) exists; everything else is not ours.
    if (seg.empty() || seg[0] != "arcgis")
        return text_reply(404, "Not Found\n");
    Segments rest = Segments(seg).subspan(1);
    if (site.options.role == SimRole::portal)
        return handle_portal(site, req, rest);
    if (rest.empty())
        return html_reply("ArcGIS Server (gisgate sim " + site.options.name + ")",
                          "<a href=\"/arcgis/rest/services\">Services Directory</a>");
    if (iequals(rest[0], "tokens"))
        return handle_tokens(site, req, rest.subspan(1));
    if (iequals(rest[0], "rest")) {
        // With token security, the services and their output files need a token; rest/info, the health check
        // and the Services Directory listings stay open (clients read tokenServicesUrl there, and ArcGIS lists
        // folders to anonymous users). A token that is given is checked everywhere, as ArcGIS does.
        if (rest.size() >= 2 && (iequals(rest[1], "services") || iequals(rest[1], "directories"))) {
            const bool listing = iequals(rest[1], "services") &&
                                 (rest.size() == 2 || (rest.size() == 3 && site.catalog().find_folder(rest[2])));
            if (auto refused = token_gate(site, req, /*required=*/!listing))
                return std::move(*refused);
        }
        return handle_rest(site, req, rest.subspan(1));
    }
    if (iequals(rest[0], "admin"))
        return handle_admin(site, req, rest.subspan(1));
    if (iequals(rest[0], "manager"))
        return handle_manager(site, req, rest.subspan(1));
    if (iequals(rest[0], "ws"))  // StreamServer WebSocket URLs, as GeoEvent Server publishes them
        return handle_ws(site, req, rest.subspan(1));
    return text_reply(404, "Not Found\n");
}

nlohmann::json spatial_reference_json() {
    return {{"wkid", 4326}, {"latestWkid", 4326}};
}

nlohmann::json extent_json(double xmin, double ymin, double xmax, double ymax) {
    return {
        {"xmin", xmin}, {"ymin", ymin}, {"xmax", xmax}, {"ymax", ymax}, {"spatialReference", spatial_reference_json()}};
}

Reply not_found(const std::string& message) {
    return arcgis_error(404, message, 404);
}

Reply bad_request(const std::string& message, const std::vector<std::string>& details) {
    return arcgis_error(400, message, 200, details);
}

std::string service_dir_name(const Service& svc) {
    std::string name = svc.full_name();
    for (char& c : name)
        if (c == '/')
            c = '_';
    return name + "_" + svc.type;
}

std::string job_dir_name(const std::string& gp_service_full_name) {
    std::string name = to_lower(gp_service_full_name);
    for (char& c : name)
        if (c == '/')
            c = '_';
    return name + "_gpserver";
}

}  // namespace gisgate::sim
