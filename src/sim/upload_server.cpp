// A service's Uploads capability (GPServer, MapServer, FeatureServer... all of them here): uploads/upload takes a
// multipart/form-data POST with a `file` part and answers {"success":true,"item":{...}}; uploads/<itemID> is the
// item's info. Items are this site's only (uploads.hpp): another site answers an unknown item with an ArcGIS
// error (HTTP 200, code 400), as it does for an unknown job. GP execute and submitJob refuse an input that names
// an item this site does not have ({"itemID":"..."}), which is how a client notices a balancer that sent it to
// the wrong site.
#include <fmt/format.h>

#include "sim/cors.hpp"  // request_header()
#include "sim/handlers.hpp"
#include "sim/multipart.hpp"

namespace gisgate::sim {

using nlohmann::json;

namespace {

json item_json(const UploadedItem& item) {
    return {{"itemID", item.id},
            {"itemName", item.name},
            {"description", item.description},
            {"date", item.date},
            {"committed", true}};
}

Reply upload(Site& site, const Service& svc, const SimRequest& req) {
    constexpr const char* kFailed = "Unable to upload item.";
    if (req.method != "POST") return bad_request(kFailed, {"The upload operation requires a POST request."});
    const auto boundary = multipart_boundary(request_header(req, "content-type"));
    if (!boundary) return bad_request(kFailed, {"The request must be multipart/form-data (RFC 1867)."});
    const auto parts = parse_multipart(req.body, *boundary);
    if (!parts) return bad_request(kFailed, {"The multipart request body is malformed."});
    Params params = req.params;  // f and description may come as query parameters or as parts
    const FormPart* file = nullptr;
    for (const auto& part : *parts) {
        if (part.is_file && (!file || iequals(part.name, "file"))) file = &part;
        else if (!part.is_file) params.emplace(part.name, std::string(part.data));
    }
    if (!file) return bad_request(kFailed, {"'file' must be specified."});
    if (file->filename.empty()) return bad_request(kFailed, {"The file part has no file name."});
    UploadedItem item =
        site.uploads.add(file->filename, param(params, "description"), svc.full_name(), file->data.size());
    return json_reply(json{{"success", true}, {"item", item_json(item)}}, params);
}

Reply unknown_item(const std::string& id) {
    return arcgis_error(400, fmt::format("Item '{}' does not exist or is inaccessible.", id), 200);
}

// Every string member named itemID (any case) in `j`, at any depth.
void item_ids_in(const json& j, std::vector<std::string>& out) {
    if (j.is_object()) {
        for (const auto& [key, value] : j.items()) {
            if (iequals(key, "itemID") && value.is_string()) out.push_back(value.get<std::string>());
            else item_ids_in(value, out);
        }
    } else if (j.is_array()) {
        for (const auto& value : j) item_ids_in(value, out);
    }
}

}  // namespace

Reply handle_uploads(Site& site, const Service& svc, const SimRequest& req, Segments rest) {
    if (rest.size() == 1 && iequals(rest[0], "upload")) return upload(site, svc, req);
    if (rest.size() == 1) {
        auto item = site.uploads.find(rest[0]);
        if (!item) return unknown_item(rest[0]);
        return json_reply(item_json(*item), req.params);
    }
    return not_found();
}

std::optional<Reply> refuse_unknown_items(const Site& site, const SimRequest& req) {
    std::vector<std::string> ids;
    for (const auto& [name, value] : req.params) {
        if (value.find('{') == std::string::npos) continue;  // not JSON: no item in it
        const json j = json::parse(value, nullptr, false);
        if (!j.is_discarded()) item_ids_in(j, ids);
    }
    for (const auto& id : ids)
        if (!site.uploads.find(id))
            return bad_request("Unable to complete operation.",
                               {fmt::format("Item '{}' does not exist or is inaccessible.", id)});
    return std::nullopt;
}

}  // namespace gisgate::sim
