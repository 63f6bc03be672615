// A small ArcGIS Server Administrator API and Manager surface: enough for tools that probe a site's admin
// endpoints (and for a load balancer's path rules on /arcgis/admin and /arcgis/manager) to see a site.
#include "sim/handlers.hpp"
#include "util/html.hpp"

namespace gisgate::sim {

using nlohmann::json;

namespace {

json admin_services(const Site& site, const std::string& folder) {
    json folders = json::array(), services = json::array();
    if (folder.empty())
        for (const auto& f : site.catalog().folders) folders.push_back(f);
    for (const Service* s : site.catalog().in_folder(folder))
        services.push_back({{"folderName", folder.empty() ? "/" : folder},
                            {"serviceName", s->name},
                            {"type", s->type},
                            {"description", ""}});
    return {{"folderName", folder.empty() ? "/" : folder},
            {"description", folder.empty() ? "Root folder" : ""},
            {"folders", folders},
            {"services", services}};
}

}  // namespace

Reply handle_admin(Site& site, const SimRequest& req, Segments rest) {
    const std::string machine = site.options.name + "-machine";
    if (rest.empty())
        return json_reply(
            json{{"resources", {"machines", "clusters", "services"}}, {"currentVersion", kCurrentVersionNumber}},
            req.params);
    if (rest.size() == 1 && iequals(rest[0], "machines"))
        return json_reply(
            json{{"machines",
                  json::array({{{"machineName", machine}, {"adminURL", req.base_url() + "/arcgis/admin"}}})}},
            req.params);
    if (rest.size() == 1 && iequals(rest[0], "clusters"))
        return json_reply(
            json{{"clusters", json::array({{{"clusterName", "default"}, {"machineNames", json::array({machine})}}})}},
            req.params);
    if (iequals(rest[0], "services")) {
        if (rest.size() == 1)
            return json_reply(admin_services(site, ""), req.params);
        if (rest.size() == 2) {
            if (const std::string* folder = site.catalog().find_folder(rest[1]))
                return json_reply(admin_services(site, *folder), req.params);
            return not_found("Folder not found");
        }
    }
    return not_found();
}

Reply handle_manager(Site& site, const SimRequest& req, Segments rest) {
    return html_reply("ArcGIS Server Manager",
                      "<p>Simulated site <b>" + util::html_escape(site.options.name) +
                          "</b> (gisgate sim).</p><p><a href=\"/arcgis/admin/?f=json\">Administrator "
                          "Directory</a></p>");
}

}  // namespace gisgate::sim
