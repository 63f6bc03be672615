// MapServer: service description, export (dynamic map image, streamed), cached tiles, layers and query.
#include <fmt/format.h>

#include <charconv>
#include <cstdio>

#include "sim/handlers.hpp"
#include "sim/image_bytes.hpp"

namespace gisgate::sim {

using nlohmann::json;

namespace {

json web_mercator_reference() {
    return {{"wkid", 102100}, {"latestWkid", 3857}};
}

json tile_info(const Service& svc) {
    json lods = json::array();
    // WGS84: 360 degrees over two 256-pixel tiles at level 0. Web Mercator: ArcGIS Online's scheme.
    double resolution = svc.web_mercator ? kWebMercatorResolution0 : 0.703125;
    double scale = svc.web_mercator ? 591657527.591555 : 295497593.05875003;
    for (int level = 0; level <= 20; ++level) {
        lods.push_back({{"level", level}, {"resolution", resolution}, {"scale", scale}});
        resolution /= 2;
        scale /= 2;
    }
    json origin = svc.web_mercator ? json{{"x", -kWebMercatorOrigin}, {"y", kWebMercatorOrigin}}
                                   : json{{"x", -180}, {"y", 90}};
    return {{"rows", 256},
            {"cols", 256},
            {"dpi", 96},
            {"format", "PNG"},
            {"compressionQuality", 0},
            {"origin", origin},
            {"spatialReference", svc.web_mercator ? web_mercator_reference() : spatial_reference_json()},
            {"lods", lods}};
}

// The service's extent in its own spatial reference.
json service_extent(const Service& svc) {
    if (!svc.web_mercator)
        return extent_json(-180, -90, 180, 90);
    json e = extent_json(-kWebMercatorOrigin, -kWebMercatorOrigin, kWebMercatorOrigin, kWebMercatorOrigin);
    e["spatialReference"] = web_mercator_reference();
    return e;
}

Reply description(const Service& svc, const SimRequest& req) {
    json layers = json::array();
    for (std::size_t i = 0; i < svc.layers.size(); ++i)
        layers.push_back({{"id", i},
                          {"name", svc.layers[i]},
                          {"parentLayerId", -1},
                          {"defaultVisibility", true},
                          {"subLayerIds", nullptr},
                          {"minScale", 0},
                          {"maxScale", 0},
                          {"type", "Feature Layer"},
                          {"geometryType", "esriGeometryPoint"}});
    json body = {{"currentVersion", kCurrentVersionNumber},
                 {"serviceDescription", ""},
                 {"mapName", "Layers"},
                 {"description", ""},
                 {"copyrightText", "gisgate sim"},
                 {"supportsDynamicLayers", false},
                 {"layers", layers},
                 {"tables", json::array()},
                 {"spatialReference", svc.web_mercator ? web_mercator_reference() : spatial_reference_json()},
                 {"singleFusedMapCache", true},
                 {"tileInfo", tile_info(svc)},
                 {"initialExtent", service_extent(svc)},
                 {"fullExtent", service_extent(svc)},
                 {"minScale", 0},
                 {"maxScale", 0},
                 {"units", svc.web_mercator ? "esriMeters" : "esriDecimalDegrees"},
                 {"supportedImageFormatTypes", "PNG32,PNG24,PNG,JPG"},
                 {"capabilities", "Map,Query,Data"},
                 {"maxRecordCount", 2000},
                 {"maxImageHeight", kMaxImageSide},
                 {"maxImageWidth", kMaxImageSide}};
    return json_reply(body, req.params);
}

// 2 decimals at most, for the bbox stamp ("-180,-90,180,90", "12.35,-3.5,...").
std::string short_number(double v) {
    std::string s = fmt::format("{:.2f}", v);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s == "-0" ? "0" : s;
}

bool parse_doubles(const std::string& s, std::vector<double>& out) {
    out.clear();
    std::size_t start = 0;
    while (true) {
        auto comma = s.find(',', start);
        std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        char* end = nullptr;
        double v = std::strtod(item.c_str(), &end);
        if (item.empty() || end == item.c_str())
            return false;
        out.push_back(v);
        if (comma == std::string::npos)
            return true;
        start = comma + 1;
    }
}

// Web Mercator (what Leaflet and the ArcGIS JS API ask for) or geographic degrees; other references are drawn
// as degrees.
bool is_web_mercator(const std::string& sr) {
    for (const char* wkid : {"3857", "102100", "102113", "900913"})
        if (sr == wkid || sr.find(std::string("\"wkid\":") + wkid) != std::string::npos ||
            sr.find(std::string("\"wkid\" : ") + wkid) != std::string::npos)
            return true;
    return false;
}

Reply export_reply(const Service& svc, const SimRequest& req, const ImageSpec& spec,
                   const std::vector<double>& bbox, bool mercator, const std::string& f);

Reply export_map(Site& site, const Service& svc, const SimRequest& req) {
    const Params& p = req.params;
    std::vector<double> bbox{-180, -90, 180, 90};
    if (auto v = param(p, "bbox"); !v.empty() && (!parse_doubles(v, bbox) || bbox.size() != 4))
        return bad_request("Unable to complete operation.", {"Invalid bbox"});
    std::vector<double> size{400, 400};
    if (auto v = param(p, "size");
        !v.empty() && (!parse_doubles(v, size) || size.size() != 2 || size[0] < 1 || size[1] < 1))
        return bad_request("Unable to complete operation.", {"Invalid size"});
    ImageSpec spec;
    // Larger requests are rendered at the service's maximum, as ArcGIS does.
    spec.width = static_cast<unsigned>(std::min<double>(size[0], kMaxImageSide));
    spec.height = static_cast<unsigned>(std::min<double>(size[1], kMaxImageSide));
    std::string format = to_lower(param(p, "format", "png"));
    spec.format = (format == "jpg" || format == "jpeg") ? "jpg" : "png";
    spec.seed = hash64(
        fmt::format("{}|{}|{}|{}x{}|{}", svc.full_name(), bbox[0], bbox[1], spec.width, spec.height, spec.format),
        hash64(fmt::format("{},{}", bbox[2], bbox[3])));
    const std::string bbox_sr = param(p, "bboxSR", param(p, "imageSR"));
    const bool mercator = is_web_mercator(bbox_sr);
    spec.frame = {bbox[0], bbox[1], bbox[2], bbox[3], mercator, spec.width, spec.height};
    site_image_style(site, svc, spec);

    std::string f = to_lower(param(p, "f", "html"));
    Reply reply = export_reply(svc, req, spec, bbox, mercator, f);
    if (site.options.cpu_cores > 0 && reply.status == 200) {
        // The CPU model: drawing costs in proportion to the pixels (--export-cost-per-mpx).
        const double megapixels = static_cast<double>(spec.width) * spec.height / 1e6;
        reply.cpu_cost = site.options.request_cost +
                         std::chrono::microseconds(static_cast<std::int64_t>(
                             static_cast<double>(site.options.export_cost_per_mpx.count()) * megapixels));
    }
    return reply;
}

Reply export_reply(const Service& svc, const SimRequest& req, const ImageSpec& spec,
                   const std::vector<double>& bbox, bool mercator, const std::string& f) {
    if (f == "image")
        return image_reply(spec);
    if (f == "kmz")
        return bad_request("Unable to complete operation.", {"f=kmz is not supported"});
    // The output file's name carries the bbox, so the image it serves later shows the same area.
    std::string href = fmt::format(
        "{}/arcgis/rest/directories/arcgisoutput/{}/_ags_map{:016x}_b{},{},{},{},{}_{}x{}.{}", req.base_url(),
        service_dir_name(svc), spec.seed, mercator ? 3857 : 4326, bbox[0], bbox[1], bbox[2], bbox[3], spec.width,
        spec.height, spec.format);
    json body = {{"href", href},
                 {"width", spec.width},
                 {"height", spec.height},
                 {"extent", extent_json(bbox[0], bbox[1], bbox[2], bbox[3])},
                 {"scale", (bbox[2] - bbox[0]) / spec.width * 111319.49 * 96 / 0.0254}};
    if (mercator)
        body["extent"]["spatialReference"] = {{"wkid", 102100}, {"latestWkid", 3857}};
    return json_reply(body, req.params);
}

bool parse_uint(const std::string& s, unsigned& out) {
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && ptr == s.data() + s.size();
}

// If-None-Match may list several tags, weak or strong, or "*".
bool etag_matches(const std::string& if_none_match, const std::string& etag) {
    if (if_none_match.empty())
        return false;
    std::size_t start = 0;
    while (start < if_none_match.size()) {
        auto comma = if_none_match.find(',', start);
        std::string tag = if_none_match.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        auto b = tag.find_first_not_of(" \t"), e = tag.find_last_not_of(" \t");
        if (b != std::string::npos) {
            tag = tag.substr(b, e - b + 1);
            if (tag.rfind("W/", 0) == 0)
                tag = tag.substr(2);
            if (tag == "*" || tag == etag)
                return true;
        }
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return false;
}

Reply tile(Site& site, const Service& svc, const SimRequest& req, Segments zyx) {
    const std::chrono::milliseconds max_age = site.options.tile_max_age;
    unsigned z = 0, y = 0, x = 0;
    if (!parse_uint(zyx[0], z) || !parse_uint(zyx[1], y) || !parse_uint(zyx[2], x) || z > 30)
        return not_found("Tile not found");
    std::string etag = tile_etag(svc.full_name(), z, y, x);
    Reply r;
    r.headers.emplace_back("ETag", etag);
    r.headers.emplace_back(
        "Cache-Control", fmt::format("max-age={}", std::chrono::duration_cast<std::chrono::seconds>(max_age).count()));
    if (etag_matches(req.if_none_match, etag)) {
        r.status = 304;
        r.content_type.clear();
        return r;
    }
    r.content_type = "image/png";
    const std::string key = fmt::format("{}/{}/{}/{}", svc.full_name(), z, y, x);
    auto cached = site.tiles.find(key);
    if (!cached) {
        TileStyle style{site.options.name, site_tint(site.options.name),
                        svc.layers.empty() ? nullptr : layer_points(svc, 0), svc.web_mercator};
        cached = std::make_shared<const std::string>(tile_bytes(svc.full_name(), z, y, x, style));
        site.tiles.insert(key, cached);
    }
    r.body = *cached;
    return r;
}

}  // namespace

void site_image_style(const Site& site, const Service& svc, ImageSpec& spec) {
    spec.tint = site_tint(site.options.name);
    spec.points = svc.layers.empty() ? nullptr : layer_points(svc, 0);
    const MapFrame& f = spec.frame;
    spec.stamp = {site.options.name, fmt::format("bbox {},{},{},{}", short_number(f.xmin), short_number(f.ymin),
                                                 short_number(f.xmax), short_number(f.ymax))};
}

Reply handle_map_server(Site& site, const Service& svc, const SimRequest& req, Segments rest) {
    if (rest.empty())
        return description(svc, req);
    const std::string& op = rest[0];
    if (rest.size() == 1 && iequals(op, "export"))
        return export_map(site, svc, req);
    if (rest.size() == 4 && iequals(op, "tile"))
        return tile(site, svc, req, rest.subspan(1));
    if (rest.size() == 1 && iequals(op, "layers"))
        return json_reply(layers_json(svc), req.params);
    if (rest.size() == 1 && (iequals(op, "identify") || iequals(op, "find")))
        return json_reply(json{{"results", json::array()}}, req.params);
    if (rest.size() == 1 && iequals(op, "legend")) {
        json layers = json::array();
        for (std::size_t i = 0; i < svc.layers.size(); ++i)
            layers.push_back({{"layerId", i},
                              {"layerName", svc.layers[i]},
                              {"layerType", "Feature Layer"},
                              {"legend", json::array()}});
        return json_reply(json{{"layers", layers}}, req.params);
    }
    if (auto layer = parse_layer_id(svc, op)) {
        if (rest.size() == 1)
            return json_reply(layer_json(svc, *layer), req.params);
        if (rest.size() == 2 && iequals(rest[1], "query"))
            return layer_query(site, svc, *layer, req);
    }
    return not_found();
}

Reply handle_feature_server(Site& site, const Service& svc, const SimRequest& req, Segments rest) {
    if (rest.empty()) {
        json layers = json::array();
        for (std::size_t i = 0; i < svc.layers.size(); ++i)
            layers.push_back({{"id", i}, {"name", svc.layers[i]}, {"geometryType", "esriGeometryPoint"}});
        json body = {{"currentVersion", kCurrentVersionNumber},
                     {"serviceDescription", ""},
                     {"hasVersionedData", false},
                     {"supportsDisconnectedEditing", false},
                     {"maxRecordCount", 2000},
                     {"supportedQueryFormats", "JSON"},
                     {"capabilities", "Create,Delete,Query,Update,Editing"},
                     {"layers", layers},
                     {"tables", json::array()},
                     {"spatialReference", spatial_reference_json()},
                     {"initialExtent", extent_json(-180, -90, 180, 90)},
                     {"fullExtent", extent_json(-180, -90, 180, 90)},
                     {"units", "esriDecimalDegrees"}};
        return json_reply(body, req.params);
    }
    if (rest.size() == 1 && iequals(rest[0], "layers"))
        return json_reply(layers_json(svc), req.params);
    if (rest.size() == 1 && iequals(rest[0], "applyEdits"))
        return handle_service_apply_edits(site, svc, req);
    if (auto layer = parse_layer_id(svc, rest[0])) {
        if (rest.size() == 1)
            return json_reply(layer_json(svc, *layer), req.params);
        if (rest.size() == 2 && iequals(rest[1], "query"))
            return layer_query(site, svc, *layer, req);
        if (rest.size() == 2 && is_layer_edit_operation(rest[1]))
            return handle_layer_edit(site, svc, *layer, req, rest[1]);
    }
    return not_found();
}

}  // namespace gisgate::sim
