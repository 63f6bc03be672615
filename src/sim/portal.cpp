// A Portal for ArcGIS machine (`gisgate sim --role portal`), enough for a balancer's portal pool: the
// sharing API root and info, portals/self, the home app, and the Portal Administrator health check, which
// answers HTML unless f=json|pjson and, when the machine is unavailable, HTML with a non-200 status even then
// (Esri: "If a machine is unavailable, even if format (f) is set as json or pjson, the response will return an
// HTML page"). So a check must judge a portal by its status, or use f=json with a body match.
#include "sim/handlers.hpp"

namespace gisgate::sim {

using nlohmann::json;

namespace {

constexpr const char* kPortalVersion = "2023.1";

Reply sharing_rest(Site& site, const SimRequest& req, Segments rest) {
    const std::string root = req.base_url() + "/arcgis";
    if (rest.empty()) return page_reply(json{{"currentVersion", kPortalVersion}}, req.params, "Portal Directory");
    if (iequals(rest[0], "info") && rest.size() == 1) {
        const json body = {{"owningSystemUrl", root},
                           {"fullVersion", kFullVersion},
                           {"authInfo",
                            {{"tokenServicesUrl", root + "/sharing/rest/generateToken"},
                             {"isTokenBasedSecurity", true}}}};
        return page_reply(body, req.params, "Portal Info");
    }
    if (rest.size() == 2 && iequals(rest[0], "portals") && iequals(rest[1], "self")) {
        const json body = {{"id", "0123456789ABCDEF"},
                           {"name", "gisgate sim portal " + site.options.name},
                           {"portalName", site.options.name},
                           {"isPortal", true},
                           {"currentVersion", kPortalVersion},
                           {"portalHostname", req.host}};
        return page_reply(body, req.params, "Portal Self");
    }
    return not_found();
}

Reply portal_admin(const SimRequest& req, Segments rest) {
    if (rest.size() == 1 && iequals(rest[0], "healthCheck"))
        return page_reply(json{{"status", "success"}}, req.params, "Portal Health Check");
    if (rest.empty())
        return html_reply("Portal Administrator Directory", "<a href=\"/arcgis/portaladmin/healthCheck\">healthCheck</a>");
    return not_found();
}

}  // namespace

Reply handle_portal(Site& site, const SimRequest& req, Segments rest) {
    if (rest.empty() || (rest.size() == 1 && iequals(rest[0], "home")))
        return html_reply("ArcGIS Enterprise (gisgate sim portal " + site.options.name + ")",
                          "<a href=\"/arcgis/sharing/rest\">Portal Directory</a>");
    if (rest.size() >= 2 && iequals(rest[0], "sharing") && iequals(rest[1], "rest"))
        return sharing_rest(site, req, rest.subspan(2));
    if (iequals(rest[0], "portaladmin")) return portal_admin(req, rest.subspan(1));
    return not_found();  // no /arcgis/rest here: a portal hosts no services
}

Reply portal_unavailable() {
    Reply r = html_reply("Portal for ArcGIS is unavailable", "<p>The portal machine cannot take requests.</p>");
    r.status = 503;
    return r;
}

}  // namespace gisgate::sim
