// Feature layers of MapServer/FeatureServer services and their query operation. Every layer holds the same
// notional 10,000 points, generated from the OBJECTID so any page of any query is deterministic.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <mutex>

#include "sim/handlers.hpp"
#include "sim/image_bytes.hpp"

namespace gisgate::sim {

using nlohmann::json;

namespace {

constexpr std::int64_t kFeaturesPerLayer = 10000;
// Without resultRecordCount a query returns up to maxRecordCount features, as ArcGIS does.
constexpr std::int64_t kMaxRecordCount = 2000;

struct Field {
    const char* name;
    const char* type;
    int length;
};
constexpr Field kFields[] = {
    {"OBJECTID", "esriFieldTypeOID", 0},
    {"NAME", "esriFieldTypeString", 64},
    {"POPULATION", "esriFieldTypeInteger", 0},
    {"CATEGORY", "esriFieldTypeString", 16},
};

json field_json(const Field& f) {
    json j = {{"name", f.name}, {"type", f.type}, {"alias", f.name}, {"domain", nullptr}};
    if (f.length)
        j["length"] = f.length;
    return j;
}

json all_fields() {
    json arr = json::array();
    for (const auto& f : kFields) arr.push_back(field_json(f));
    return arr;
}

struct Point {
    double x, y;
};

Point point_of(std::uint64_t h) {
    return {-180.0 + static_cast<double>(h % 3600000) / 10000.0,
            -90.0 + static_cast<double>((h / 3600000) % 1800000) / 10000.0};
}

json attribute_value(const Service& svc, std::size_t layer, std::int64_t oid, const Field& f, std::uint64_t h) {
    std::string_view name = f.name;
    if (name == "OBJECTID")
        return oid;
    if (name == "NAME")
        return fmt::format("{} {}", svc.layers[layer], oid);
    if (name == "POPULATION")
        return static_cast<std::int64_t>(h % 1000000);
    static const char* const kCategories[] = {"A", "B", "C"};
    return kCategories[(h >> 20) % 3];
}

bool parse_int(const std::string& s, std::int64_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size();
}

bool parse_bool(const std::string& s) {
    return iequals(s, "true") || s == "1";
}

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        auto comma = s.find(',', start);
        std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        auto b = item.find_first_not_of(' '), e = item.find_last_not_of(' ');
        if (b != std::string::npos)
            out.push_back(item.substr(b, e - b + 1));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return out;
}

// Only the where clauses clients use to probe a layer are understood: anything else selects everything,
// except the classic "1=0" that selects nothing.
bool where_selects_nothing(const std::string& where) {
    std::string w;
    for (char c : where)
        if (c != ' ')
            w.push_back(c);
    return w == "1=0" || w == "0=1";
}

}  // namespace

std::uint64_t feature_hash(const Service& svc, std::size_t layer, std::int64_t oid) {
    return hash64(std::to_string(oid), hash64(svc.full_name() + "/" + std::to_string(layer)));
}

MapPoints layer_points(const Service& svc, std::size_t layer) {
    // Computed once per service and layer (10,000 hashes) and shared by every image drawn from it.
    static std::mutex mutex;
    static std::map<std::string, MapPoints> computed;
    const std::string key = svc.full_name() + "/" + std::to_string(layer);
    std::lock_guard lock(mutex);
    auto& slot = computed[key];
    if (!slot) {
        auto points = std::make_shared<std::vector<MapPoint>>();
        points->reserve(kFeaturesPerLayer);
        for (std::int64_t oid = 1; oid <= kFeaturesPerLayer; ++oid) {
            const std::uint64_t h = feature_hash(svc, layer, oid);
            const Point pt = point_of(h);
            points->push_back({pt.x, pt.y, static_cast<std::int64_t>(h % 1000000)});
        }
        slot = std::move(points);
    }
    return slot;
}

std::optional<std::size_t> parse_layer_id(const Service& svc, const std::string& segment) {
    std::int64_t id = 0;
    if (!parse_int(segment, id) || id < 0 || static_cast<std::size_t>(id) >= svc.layers.size())
        return std::nullopt;
    return static_cast<std::size_t>(id);
}

json layer_json(const Service& svc, std::size_t layer) {
    return {{"currentVersion", kCurrentVersionNumber},
            {"id", layer},
            {"name", svc.layers[layer]},
            {"type", "Feature Layer"},
            {"description", ""},
            {"geometryType", "esriGeometryPoint"},
            {"sourceSpatialReference", spatial_reference_json()},
            {"parentLayer", nullptr},
            {"subLayers", json::array()},
            {"minScale", 0},
            {"maxScale", 0},
            {"defaultVisibility", true},
            {"extent", extent_json(-180, -90, 180, 90)},
            {"hasAttachments", false},
            {"displayField", "NAME"},
            {"objectIdField", "OBJECTID"},
            {"fields", all_fields()},
            {"maxRecordCount", kMaxRecordCount},
            {"supportedQueryFormats", "JSON, geoJSON, PBF"},
            {"capabilities", svc.type == "FeatureServer" ? "Create,Delete,Query,Update,Editing" : "Map,Query,Data"}};
}

json layers_json(const Service& svc) {
    json layers = json::array();
    for (std::size_t i = 0; i < svc.layers.size(); ++i) layers.push_back(layer_json(svc, i));
    return {{"layers", layers}, {"tables", json::array()}};
}

std::string layer_key(const Service& svc, std::size_t layer) {
    return svc.full_name() + "/" + std::to_string(layer);
}

std::int64_t layer_feature_count() {
    return kFeaturesPerLayer;
}

namespace {

// An attribute of an edited feature by field name (edits may spell names in any case); null when not given.
json edited_attribute(const json& feature, const char* field) {
    if (!feature.contains("attributes"))
        return nullptr;
    for (const auto& [key, value] : feature["attributes"].items())
        if (iequals(key, field))
            return value;
    return nullptr;
}

bool edited_has(const json& feature, const char* field) {
    if (!feature.contains("attributes"))
        return false;
    for (const auto& [key, value] : feature["attributes"].items())
        if (iequals(key, field))
            return true;
    return false;
}

// x/y of an edited feature's point geometry, when it has one.
std::optional<Point> edited_point(const json& feature) {
    if (!feature.contains("geometry") || !feature["geometry"].is_object())
        return std::nullopt;
    const json& g = feature["geometry"];
    if (!g.contains("x") || !g.contains("y") || !g["x"].is_number() || !g["y"].is_number())
        return std::nullopt;
    return Point{g["x"].get<double>(), g["y"].get<double>()};
}

Reply query_with_edits(const Service& svc, std::size_t layer, const SimRequest& req, const LayerEdits* edits) {
    const Params& p = req.params;
    std::int64_t count = kMaxRecordCount, offset = 0;
    if (auto v = param(p, "resultRecordCount"); !v.empty() && (!parse_int(v, count) || count < 0))
        return bad_request("Unable to complete operation.", {"Invalid resultRecordCount"});
    if (auto v = param(p, "resultOffset"); !v.empty() && (!parse_int(v, offset) || offset < 0))
        return bad_request("Unable to complete operation.", {"Invalid resultOffset"});
    count = std::min(count, kMaxRecordCount);

    auto exists = [&](std::int64_t oid) {
        if (edits && edits->deleted.count(oid))
            return false;
        return (oid >= 1 && oid <= kFeaturesPerLayer) || (edits && edits->added.count(oid));
    };
    const bool nothing = where_selects_nothing(param(p, "where", "1=1"));
    std::int64_t total = nothing ? 0
                                 : kFeaturesPerLayer + (edits ? static_cast<std::int64_t>(edits->added.size()) -
                                                                    static_cast<std::int64_t>(std::count_if(
                                                                        edits->deleted.begin(), edits->deleted.end(),
                                                                        [](std::int64_t o) { return o <= kFeaturesPerLayer; }))
                                                              : 0);

    // The object ids selected, in order.
    std::vector<std::int64_t> oids;
    bool exceeded = false;
    if (auto ids = param(p, "objectIds"); !ids.empty()) {
        for (const auto& s : split_list(ids)) {
            std::int64_t id = 0;
            if (!parse_int(s, id))
                return bad_request("Unable to complete operation.", {"Invalid objectIds"});
            if (!nothing && exists(id))
                oids.push_back(id);
        }
        total = static_cast<std::int64_t>(oids.size());
    }
    if (parse_bool(param(p, "returnCountOnly")))
        return json_reply(json{{"count", total}}, p);
    if (oids.empty() && total > 0) {
        // Generated features 1..N (less the deleted), then the added ones; skip `offset`, take `count`.
        std::int64_t skipped = 0;
        auto take = [&](std::int64_t oid) {
            if (skipped < offset) {
                ++skipped;
                return true;
            }
            if (static_cast<std::int64_t>(oids.size()) == count)
                return false;
            oids.push_back(oid);
            return true;
        };
        bool more = true;
        if (!edits && offset < kFeaturesPerLayer) {
            skipped = offset;  // no edits: jump straight to the page
            for (std::int64_t oid = offset + 1; oid <= kFeaturesPerLayer && more; ++oid) more = take(oid);
        } else {
            for (std::int64_t oid = 1; oid <= kFeaturesPerLayer && more; ++oid)
                if (exists(oid))
                    more = take(oid);
        }
        if (edits)
            for (auto it = edits->added.begin(); it != edits->added.end() && more; ++it) more = take(it->first);
        exceeded = offset + static_cast<std::int64_t>(oids.size()) < total;
    } else if (static_cast<std::int64_t>(oids.size()) > count) {
        oids.resize(static_cast<std::size_t>(count));
        exceeded = true;
    }
    if (parse_bool(param(p, "returnIdsOnly")))
        return json_reply(json{{"objectIdFieldName", "OBJECTID"}, {"objectIds", oids}}, p);

    // outFields: empty = just the object id (as ArcGIS), "*" = all, else the named fields in order.
    std::vector<const Field*> fields;
    std::string out_fields = param(p, "outFields");
    if (out_fields.find('*') != std::string::npos) {
        for (const auto& f : kFields) fields.push_back(&f);
    } else if (out_fields.empty()) {
        fields.push_back(&kFields[0]);
    } else {
        for (const auto& name : split_list(out_fields)) {
            auto it = std::find_if(std::begin(kFields), std::end(kFields),
                                   [&](const Field& f) { return iequals(f.name, name); });
            if (it == std::end(kFields))
                return bad_request("Cannot perform query. Invalid query parameters.",
                                   {"Unable to perform query. Please check your parameters."});
            fields.push_back(&*it);
        }
    }
    bool geometry = param(p, "returnGeometry").empty() || parse_bool(param(p, "returnGeometry"));
    bool geojson = iequals(param(p, "f"), "geojson");

    json features = json::array();
    for (std::int64_t oid : oids) {
        const json* edited = nullptr;
        if (edits) {
            if (auto a = edits->added.find(oid); a != edits->added.end())
                edited = &a->second;
            else if (auto u = edits->updated.find(oid); u != edits->updated.end())
                edited = &u->second;
        }
        const bool added = oid > kFeaturesPerLayer;
        std::uint64_t h = feature_hash(svc, layer, oid);
        json attributes = json::object();
        for (const Field* f : fields) {
            if (std::string_view(f->name) == "OBJECTID")
                attributes[f->name] = oid;
            else if (edited && (added || edited_has(*edited, f->name)))
                attributes[f->name] = edited_attribute(*edited, f->name);
            else
                attributes[f->name] = attribute_value(svc, layer, oid, *f, h);
        }
        std::optional<Point> pt = point_of(h);
        if (edited && (added || edited->contains("geometry")))
            pt = edited_point(*edited);
        json feature;
        if (geojson) {
            feature = {{"type", "Feature"}, {"id", oid}, {"properties", attributes}};
            feature["geometry"] =
                geometry && pt ? json{{"type", "Point"}, {"coordinates", {pt->x, pt->y}}} : json(nullptr);
        } else {
            feature = {{"attributes", attributes}};
            if (geometry && pt)
                feature["geometry"] = {{"x", pt->x}, {"y", pt->y}};
        }
        features.push_back(std::move(feature));
    }
    if (geojson) {
        json body = {{"type", "FeatureCollection"}, {"features", features}};
        if (exceeded)
            body["properties"] = {{"exceededTransferLimit", true}};
        Reply r = json_reply(body, Params{});
        r.content_type = "application/geo+json; charset=utf-8";
        return r;
    }
    json field_list = json::array();
    for (const Field* f : fields) field_list.push_back(field_json(*f));
    json body = {{"objectIdFieldName", "OBJECTID"},
                 {"uniqueIdField", {{"name", "OBJECTID"}, {"isSystemMaintained", true}}},
                 {"globalIdFieldName", ""},
                 {"geometryType", "esriGeometryPoint"},
                 {"spatialReference", spatial_reference_json()},
                 {"fields", field_list},
                 {"features", features}};
    if (exceeded)
        body["exceededTransferLimit"] = true;
    return json_reply(body, p);
}

}  // namespace

Reply layer_query(Site& site, const Service& svc, std::size_t layer, const SimRequest& req) {
    return site.edits.read(layer_key(svc, layer),
                           [&](const LayerEdits* edits) { return query_with_edits(svc, layer, req, edits); });
}

}  // namespace gisgate::sim
