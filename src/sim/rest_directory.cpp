// The REST root: site info, health check, the Services Directory (folders and service listings) and the
// dispatch from a service URL to its type's handler.
#include <fmt/format.h>

#include "sim/handlers.hpp"

namespace gisgate::sim {

using nlohmann::json;

namespace {

Reply info(const Site& site, const SimRequest& req) {
    json body = {{"currentVersion", kCurrentVersionNumber},
                 {"fullVersion", kFullVersion},
                 {"soapUrl", req.base_url() + "/arcgis/services"},
                 {"secureSoapUrl", nullptr},
                 {"authInfo", site.options.token_key.empty()
                                  ? json{{"isTokenBasedSecurity", false}}
                                  : json{{"isTokenBasedSecurity", true},
                                         {"tokenServicesUrl", req.base_url() + "/arcgis/tokens/"},
                                         {"shortLivedTokenValidity", 60}}}};
    return page_reply(body, req.params, "Server Info");
}

json service_list(const std::vector<const Service*>& services) {
    json list = json::array();
    for (const Service* s : services) list.push_back({{"name", s->full_name()}, {"type", s->type}});
    return list;
}

Reply listing(const Site& site, const SimRequest& req, const std::string& folder) {
    json folders = json::array();
    if (folder.empty())
        for (const auto& f : site.catalog().folders) folders.push_back(f);
    json body = {{"currentVersion", kCurrentVersionNumber},
                 {"folders", folders},
                 {"services", service_list(site.catalog().in_folder(folder))}};
    return page_reply(body, req.params, folder.empty() ? "Folder: /" : "Folder: " + folder);
}

// Services of types the sim does not model in depth still have a description resource.
Reply generic_service(const Service& svc, const SimRequest& req, Segments rest) {
    if (!rest.empty())
        return not_found();
    json body = {{"currentVersion", kCurrentVersionNumber},
                 {"serviceDescription", ""},
                 {"name", svc.full_name()},
                 {"type", svc.type},
                 {"spatialReference", spatial_reference_json()},
                 {"fullExtent", extent_json(-180, -90, 180, 90)}};
    return json_reply(body, req.params);
}

Reply services(Site& site, const SimRequest& req, Segments rest) {
    if (rest.empty())
        return listing(site, req, "");
    // A service URL is <name segments>/<Type>/...; the name is one segment at the root, two in a folder.
    for (std::size_t i = 1; i < rest.size() && i <= 2; ++i) {
        std::string type = canonical_service_type(rest[i]);
        if (type.empty())
            continue;
        std::string name = rest[0];
        for (std::size_t k = 1; k < i; ++k) name += "/" + rest[k];
        const Service* svc = site.catalog().find(name, type);
        if (!svc)
            return not_found(fmt::format("Service {}/{} not found", name, type));
        Segments sub = rest.subspan(i + 1);
        if (!sub.empty() && iequals(sub[0], "uploads"))  // every service type has the Uploads capability here
            return handle_uploads(site, *svc, req, sub.subspan(1));
        if (type == "MapServer")
            return handle_map_server(site, *svc, req, sub);
        if (type == "FeatureServer")
            return handle_feature_server(site, *svc, req, sub);
        if (type == "GeocodeServer")
            return handle_geocode_server(site, *svc, req, sub);
        if (type == "GPServer")
            return handle_gp_server(site, *svc, req, sub);
        if (type == "StreamServer")
            return handle_stream_server(site, *svc, req, sub);
        return generic_service(*svc, req, sub);
    }
    if (rest.size() == 1) {
        if (const std::string* folder = site.catalog().find_folder(rest[0]))
            return listing(site, req, *folder);
        return not_found("Folder not found");
    }
    if (!site.catalog().find_folder(rest[0]) && !site.catalog().has_service_named(rest[0]))
        return not_found("Folder not found");
    return not_found();
}

}  // namespace

Reply handle_rest(Site& site, const SimRequest& req, Segments rest) {
    if (rest.empty())
        return listing(site, req, "");
    if (iequals(rest[0], "info")) {
        if (rest.size() == 1)
            return info(site, req);
        if (rest.size() == 2 && iequals(rest[1], "healthcheck"))  // HTML unless f=json: judge it by the status
            return page_reply(json{{"success", true}}, req.params, "Health Check");
        return not_found();
    }
    if (iequals(rest[0], "services"))
        return services(site, req, rest.subspan(1));
    if (iequals(rest[0], "directories"))
        return handle_directories(site, req, rest.subspan(1));
    return not_found();
}

}  // namespace gisgate::sim
