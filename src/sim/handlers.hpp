// Request handlers of the simulated site, one file per area. All take the parsed request and return a Reply;
// none blocks (the waiting a real site does is modelled in the connection: instance limit and faults).
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>

#include "sim/catalog.hpp"
#include "sim/request.hpp"
#include "sim/responses.hpp"
#include "sim/site.hpp"

namespace gisgate::sim {

using Segments = std::span<const std::string>;

// router.cpp: the whole URL space.
Reply route(Site& site, const SimRequest& req);
// Paths exempt from faults, counting and the instance limit (the test/ops control surface).
bool is_sim_control_path(const std::string& path);
// Health checks skip the instance limit (a busy site still answers them), but not faults.
bool is_healthcheck_path(const std::string& path);

// sim_control.cpp: /sim/fault, /sim/stats.
Reply handle_sim_control(Site& site, const SimRequest& req, Segments rest);
// rest_directory.cpp: /arcgis/rest/{info,services}; `rest` is what follows /arcgis/rest.
Reply handle_rest(Site& site, const SimRequest& req, Segments rest);
// admin.cpp: /arcgis/admin/..., /arcgis/manager/...
Reply handle_admin(Site& site, const SimRequest& req, Segments rest);
Reply handle_manager(Site& site, const SimRequest& req, Segments rest);
// portal.cpp: a Portal for ArcGIS machine (--role portal); `rest` is what follows /arcgis.
Reply handle_portal(Site& site, const SimRequest& req, Segments rest);
// The portal's health check while the machine is unavailable (fault mode error): HTML and 503 even for f=json.
Reply portal_unavailable();
bool is_portal_healthcheck_path(const std::string& path);

// directories.cpp: /arcgis/rest/directories/... (export images, job output files).
Reply handle_directories(Site& site, const SimRequest& req, Segments rest);

// map_server.cpp: fills the site's colour, the stamp (site name, bbox of spec.frame) and the service's points.
void site_image_style(const Site& site, const Service& svc, ImageSpec& spec);

// Per service type; `rest` is what follows ".../<Name>/<Type>".
Reply handle_map_server(Site& site, const Service& svc, const SimRequest& req, Segments rest);
Reply handle_feature_server(Site& site, const Service& svc, const SimRequest& req, Segments rest);
Reply handle_geocode_server(Site& site, const Service& svc, const SimRequest& req, Segments rest);
Reply handle_gp_server(Site& site, const Service& svc, const SimRequest& req, Segments rest);
// upload_server.cpp: any service's ".../uploads/..." (`rest` is what follows "uploads"); and the ArcGIS error
// for a request whose JSON parameters name an uploaded item ({"itemID":"..."}) this site does not have.
Reply handle_uploads(Site& site, const Service& svc, const SimRequest& req, Segments rest);
std::optional<Reply> refuse_unknown_items(const Site& site, const SimRequest& req);
// stream_server.cpp: StreamServer description; `subscribe` without a WebSocket upgrade is a 400 (an upgrade is
// taken over by the connection, stream_session.hpp).
Reply handle_stream_server(Site& site, const Service& svc, const SimRequest& req, Segments rest);
// /arcgis/ws/...: `rest` is what follows /arcgis/ws; only subscribe URLs exist there (400 without an upgrade).
Reply handle_ws(Site& site, const SimRequest& req, Segments rest);
// The StreamServer whose subscribe URL the path is (/arcgis/rest/services/<name>/StreamServer/subscribe or
// /arcgis/ws/services/<name>/StreamServer/subscribe), or nullptr.
const Service* stream_subscribe_target(const Site& site, const std::vector<std::string>& segments);
// A subscription's pace: `interval_ms` clamped to [1 ms, 1 h], or the site's stream_interval; nullopt when
// interval_ms is not a number.
std::optional<std::chrono::milliseconds> stream_interval(const Site& site, const SimRequest& req);
// Message `seq` (1, 2, ...) of subscriber `subscriber`: an Esri point feature as JSON text.
std::string stream_feature(const Service& svc, std::uint64_t subscriber, std::uint64_t seq);

// feature_layers.cpp: layers shared by MapServer and FeatureServer.
nlohmann::json layer_json(const Service& svc, std::size_t layer);
nlohmann::json layers_json(const Service& svc);  // {"layers":[...],"tables":[]}
// query, with the site's edits of the layer applied (feature_edits.hpp).
Reply layer_query(Site& site, const Service& svc, std::size_t layer, const SimRequest& req);
// "Maps/Parcels/0": the key of a layer's edits; and how many features every layer generates (ids 1..N).
std::string layer_key(const Service& svc, std::size_t layer);
std::int64_t layer_feature_count();
// feature_server_edits.cpp: addFeatures, updateFeatures, deleteFeatures, applyEdits of a layer (`op`), and
// the service's applyEdits.
Reply handle_layer_edit(Site& site, const Service& svc, std::size_t layer, const SimRequest& req, const std::string& op);
Reply handle_service_apply_edits(Site& site, const Service& svc, const SimRequest& req);
bool is_layer_edit_operation(const std::string& op);
// The points of a layer (every feature's geometry and POPULATION), as the map images draw them.
MapPoints layer_points(const Service& svc, std::size_t layer);
// The hash an object id's attributes and geometry derive from.
std::uint64_t feature_hash(const Service& svc, std::size_t layer, std::int64_t oid);
// "0" -> 0 when the service has that layer.
std::optional<std::size_t> parse_layer_id(const Service& svc, const std::string& segment);

// Common JSON pieces.
nlohmann::json spatial_reference_json();
nlohmann::json extent_json(double xmin, double ymin, double xmax, double ymax);
Reply not_found(const std::string& message = "Requested resource not found");  // code 404, HTTP 404
// An ArcGIS parameter error: code 400 with HTTP 200, as ArcGIS answers them.
Reply bad_request(const std::string& message, const std::vector<std::string>& details = {});
// "Maps/Streets" + "MapServer" -> "Maps_Streets_MapServer" (ArcGIS output directory naming).
std::string service_dir_name(const Service& svc);
// "Analysis/Buffer" -> "analysis_buffer_gpserver" (ArcGIS job directory naming, lower case).
std::string job_dir_name(const std::string& gp_service_full_name);

}  // namespace gisgate::sim
