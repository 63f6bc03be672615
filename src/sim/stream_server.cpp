// StreamServer: the service description (the shape of an ArcGIS GeoEvent stream service, with the WebSocket URL
// clients subscribe to), the subscribe URLs, and the feature messages a subscription sends. The WebSocket itself
// is served by stream_session.cpp; this file answers the plain HTTP requests.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>

#include "sim/handlers.hpp"
#include "sim/image_bytes.hpp"

namespace gisgate::sim {

using nlohmann::json;

namespace {

constexpr unsigned kStreamVehicles = 8;                   // tracks the feature messages cycle through
constexpr std::int64_t kStreamMaxIntervalMs = 3'600'000;  // interval_ms is clamped to [1 ms, 1 h]

bool site_is_https(const Site& site) {
    return site.options.tls_self_signed || !site.options.tls_cert_file.empty();
}

json stream_field(const char* name, const char* type, const char* alias) {
    json f = {{"name", name}, {"type", type}, {"alias", alias}, {"nullable", true}, {"editable", true}};
    if (std::string_view(type) == "esriFieldTypeString")
        f["length"] = 16;
    return f;
}

Reply stream_description(const Site& site, const Service& svc, const SimRequest& req) {
    const std::string host = req.host.empty() ? std::string("localhost") : req.host;
    const std::string ws_url =
        fmt::format("{}://{}/arcgis/ws/services/{}/StreamServer", site_is_https(site) ? "wss" : "ws", host,
                    svc.full_name());
    json fields = json::array({stream_field("TrackId", "esriFieldTypeString", "Track ID"),
                               stream_field("seq", "esriFieldTypeInteger", "Sequence"),
                               stream_field("subscriber", "esriFieldTypeInteger", "Subscriber"),
                               stream_field("Speed", "esriFieldTypeDouble", "Speed"),
                               stream_field("Heading", "esriFieldTypeDouble", "Heading"),
                               stream_field("Time", "esriFieldTypeDate", "Time")});
    json renderer = {{"type", "simple"},
                     {"symbol",
                      {{"type", "esriSMS"},
                       {"style", "esriSMSCircle"},
                       {"color", {0, 112, 255, 255}},
                       {"size", 6},
                       {"angle", 0},
                       {"xoffset", 0},
                       {"yoffset", 0},
                       {"outline", {{"color", {255, 255, 255, 255}}, {"width", 1}}}}}};
    json body = {{"currentVersion", kCurrentVersionNumber},
                 {"serviceDescription", ""},
                 {"description", "Simulated vehicle positions (gisgate sim " + site.options.name + ")"},
                 {"copyrightText", ""},
                 {"capabilities", "broadcast,subscribe"},
                 {"objectIdField", nullptr},
                 {"globalIdField", nullptr},
                 {"displayField", "TrackId"},
                 {"timeInfo", {{"trackIdField", "TrackId"}, {"startTimeField", "Time"}, {"endTimeField", nullptr}}},
                 {"geometryType", "esriGeometryPoint"},
                 {"geometryField", "Geometry"},
                 {"hasZ", false},
                 {"hasM", false},
                 {"spatialReference", spatial_reference_json()},
                 {"drawingInfo", {{"renderer", renderer}}},
                 {"fields", fields},
                 // Clients open <url>/subscribe. Only the ws transport; no token (the sim has no security).
                 {"streamUrls", json::array({{{"transport", "ws"}, {"urls", json::array({ws_url})}}})},
                 // No archive feature service behind the stream: clients then start with an empty layer.
                 {"keepLatestArchive", nullptr},
                 {"relatedFeatures", nullptr}};
    return json_reply(body, req.params);
}

Reply upgrade_required() {
    Reply r = arcgis_error(400, "Subscribe is a WebSocket endpoint: send a WebSocket upgrade request", 400);
    r.headers.emplace_back("Sec-WebSocket-Version", "13");
    return r;
}

}  // namespace

const Service* stream_subscribe_target(const Site& site, const std::vector<std::string>& seg) {
    // arcgis/{rest|ws}/services/<name, 1 or 2 segments>/StreamServer/subscribe
    if (seg.size() != 6 && seg.size() != 7)
        return nullptr;
    if (seg[0] != "arcgis" || (!iequals(seg[1], "rest") && !iequals(seg[1], "ws")) || !iequals(seg[2], "services") ||
        !iequals(seg[seg.size() - 2], "StreamServer") || !iequals(seg.back(), "subscribe"))
        return nullptr;
    std::string name = seg[3];
    if (seg.size() == 7)
        name += "/" + seg[4];
    return site.catalog().find(name, "StreamServer");
}

std::optional<std::chrono::milliseconds> stream_interval(const Site& site, const SimRequest& req) {
    const std::string v = param(req.params, "interval_ms");
    if (v.empty())
        return site.options.stream_interval.count() >= 1 ? site.options.stream_interval : std::chrono::milliseconds(1);
    std::int64_t ms = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
    if (ec == std::errc::result_out_of_range && ptr == v.data() + v.size() && v[0] != '-')
        ms = kStreamMaxIntervalMs;
    else if (ec != std::errc{} || ptr != v.data() + v.size())
        return std::nullopt;
    return std::chrono::milliseconds(std::clamp<std::int64_t>(ms, 1, kStreamMaxIntervalMs));
}

std::string stream_feature(const Service& svc, std::uint64_t subscriber, std::uint64_t seq) {
    // kStreamVehicles tracks driving circles of different radii around a point; each message is the next
    // track's next position. Deterministic in (service, seq) but for the time stamp.
    const unsigned vehicle = static_cast<unsigned>((seq - 1) % kStreamVehicles);
    const double step = static_cast<double>((seq - 1) / kStreamVehicles);
    const double radius = 0.01 * (vehicle + 1);
    const double angle = step * 0.05 + vehicle;
    const double cx = -117.1956 + static_cast<double>(hash64(svc.full_name()) % 1000) / 10000.0;
    const double cy = 34.0564;
    const auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    double heading = std::fmod(angle * 180.0 / 3.14159265358979 + 90.0, 360.0);
    json feature = {{"attributes",
                     {{"TrackId", fmt::format("V{}", vehicle + 1)},
                      {"seq", seq},
                      {"subscriber", subscriber},
                      {"Speed", 30.0 + 5.0 * vehicle},
                      {"Heading", std::round(heading * 10.0) / 10.0},
                      {"Time", now_ms}}},
                    {"geometry",
                     {{"x", cx + radius * std::cos(angle)},
                      {"y", cy + radius * std::sin(angle)},
                      {"spatialReference", {{"wkid", 4326}}}}}};
    return feature.dump();
}

Reply handle_stream_server(Site& site, const Service& svc, const SimRequest& req, Segments rest) {
    if (rest.empty())
        return stream_description(site, svc, req);
    if (rest.size() == 1 && iequals(rest[0], "subscribe"))
        return upgrade_required();  // a WebSocket upgrade never gets here (connection.cpp hands it over)
    return not_found();
}

Reply handle_ws(Site& site, const SimRequest& req, Segments) {
    if (stream_subscribe_target(site, req.segments))
        return upgrade_required();
    return not_found();
}

}  // namespace gisgate::sim
