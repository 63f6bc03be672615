// The FeatureServer's edit operations, as ArcGIS answers them (POST only):
//   <layer>/addFeatures     features=[...]              -> {"addResults":[...]}
//   <layer>/updateFeatures  features=[...]              -> {"updateResults":[...]}
//   <layer>/deleteFeatures  objectIds=1,2               -> {"deleteResults":[...]}
//   <layer>/applyEdits      adds, updates, deletes      -> {"addResults","updateResults","deleteResults"}
//   applyEdits              edits=[{"id":0,"adds":[..],"updates":[..],"deletes":[..]}]
//                                                       -> [{"id":0,"addResults",...}]
// Each result is {"objectId","globalId":null,"success"[,"error":{"code","description"}]}. The edits live in
// the site's FeatureEditStore (feature_edits.hpp); a bad parameter is an ArcGIS error (code 400, HTTP 200).
#include <fmt/format.h>

#include <charconv>

#include "sim/handlers.hpp"

namespace gisgate::sim {

using nlohmann::json;

namespace {

Reply edit_error(const std::string& detail) {
    return bad_request("Unable to complete operation.", {detail});
}

// A JSON array parameter (absent or empty = []); nullopt when it is not one.
std::optional<json> json_array_param(const Params& p, const char* name) {
    const std::string text = param(p, name);
    if (text.empty())
        return json::array();
    json value = json::parse(text, nullptr, false);
    if (value.is_discarded() || !value.is_array())
        return std::nullopt;
    return value;
}

// deletes / objectIds: "1,2,3" or a JSON array of integers.
std::optional<std::vector<std::int64_t>> id_list_param(const Params& p, const char* name) {
    std::string text = param(p, name);
    std::vector<std::int64_t> ids;
    if (!text.empty() && text.front() == '[') {
        json value = json::parse(text, nullptr, false);
        if (value.is_discarded() || !value.is_array())
            return std::nullopt;
        for (const auto& v : value) {
            if (!v.is_number_integer())
                return std::nullopt;
            ids.push_back(v.get<std::int64_t>());
        }
        return ids;
    }
    std::size_t start = 0;
    while (start < text.size()) {
        auto comma = text.find(',', start);
        std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        std::int64_t id = 0;
        auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), id);
        if (item.empty() || ec != std::errc{} || ptr != item.data() + item.size())
            return std::nullopt;
        ids.push_back(id);
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return ids;
}

std::vector<std::int64_t> ids_of(const json& array) {
    std::vector<std::int64_t> ids;
    for (const auto& v : array)
        if (v.is_number_integer())
            ids.push_back(v.get<std::int64_t>());
    return ids;
}

}  // namespace

bool is_layer_edit_operation(const std::string& op) {
    return iequals(op, "addFeatures") || iequals(op, "updateFeatures") || iequals(op, "deleteFeatures") ||
           iequals(op, "applyEdits");
}

Reply handle_layer_edit(Site& site, const Service& svc, std::size_t layer, const SimRequest& req, const std::string& op) {
    if (svc.type != "FeatureServer")
        return not_found();
    if (req.method != "POST")
        return edit_error(op + " is supported with POST only.");
    const Params& p = req.params;
    const std::string key = layer_key(svc, layer);
    const std::int64_t count = layer_feature_count();
    if (iequals(op, "addFeatures") || iequals(op, "updateFeatures")) {
        auto features = json_array_param(p, "features");
        if (!features)
            return edit_error("'features' must be a JSON array of features.");
        const bool add = iequals(op, "addFeatures");
        json results = add ? site.edits.add(key, count, *features) : site.edits.update(key, count, *features);
        return json_reply(json{{add ? "addResults" : "updateResults", results}}, p);
    }
    if (iequals(op, "deleteFeatures")) {
        auto ids = id_list_param(p, "objectIds");
        if (!ids)
            return edit_error("'objectIds' must be a comma-separated list of object ids.");
        if (ids->empty() && param(p, "where").empty())
            return edit_error("deleteFeatures needs 'objectIds' (deleting by 'where' is not simulated).");
        return json_reply(json{{"deleteResults", site.edits.remove(key, count, *ids)}}, p);
    }
    // applyEdits
    auto adds = json_array_param(p, "adds");
    auto updates = json_array_param(p, "updates");
    auto deletes = id_list_param(p, "deletes");
    if (!adds || !updates || !deletes)
        return edit_error(!adds      ? "'adds' must be a JSON array of features."
                          : !updates ? "'updates' must be a JSON array of features."
                                     : "'deletes' must be a comma-separated list or JSON array of object ids.");
    json body = {{"addResults", site.edits.add(key, count, *adds)},
                 {"updateResults", site.edits.update(key, count, *updates)},
                 {"deleteResults", site.edits.remove(key, count, *deletes)}};
    return json_reply(body, p);
}

Reply handle_service_apply_edits(Site& site, const Service& svc, const SimRequest& req) {
    if (svc.type != "FeatureServer")
        return not_found();
    if (req.method != "POST")
        return edit_error("applyEdits is supported with POST only.");
    auto edits = json_array_param(req.params, "edits");
    if (!edits || edits->empty())
        return edit_error("'edits' must be a non-empty JSON array of {\"id\", \"adds\", \"updates\", \"deletes\"}.");
    // Checked first, so a bad layer id applies nothing.
    for (const auto& e : *edits)
        if (!e.is_object() || !e.contains("id") || !e["id"].is_number_integer() ||
            !parse_layer_id(svc, std::to_string(e["id"].get<std::int64_t>())))
            return edit_error("Every edit needs the 'id' of one of the service's layers.");
    json results = json::array();
    const std::int64_t count = layer_feature_count();
    for (const auto& e : *edits) {
        const auto layer = static_cast<std::size_t>(e["id"].get<std::int64_t>());
        const std::string key = layer_key(svc, layer);
        const json none = json::array();
        const json& adds = e.contains("adds") && e["adds"].is_array() ? e["adds"] : none;
        const json& updates = e.contains("updates") && e["updates"].is_array() ? e["updates"] : none;
        const json& deletes = e.contains("deletes") && e["deletes"].is_array() ? e["deletes"] : none;
        results.push_back({{"id", layer},
                           {"addResults", site.edits.add(key, count, adds)},
                           {"updateResults", site.edits.update(key, count, updates)},
                           {"deleteResults", site.edits.remove(key, count, ids_of(deletes))}});
    }
    return json_reply(results, req.params);
}

}  // namespace gisgate::sim
