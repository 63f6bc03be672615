// Finding the server that owns a geoprocessing job or an uploaded item when its table does not know it (gisgate
// restarted, or another gisgate node saw the submitJob or the upload): ask every serving server of the pool in
// parallel for the job's status or the item's info; the one that answers with it (not an ArcGIS error) owns it.
#pragma once

#include <chrono>
#include <string>

#include "balance/pool.hpp"
#include "cluster/peers.hpp"
#include "gis/job_table.hpp"
#include "gis/classify.hpp"
#include "net/asio.hpp"

namespace gisgate::proxy {

// The URL that asks a site about the job named by `gis` (a jobs/ or arcgisjobs/ path), e.g.
// "/arcgis/rest/services/Analysis/Buffer/GPServer/BufferPoints/jobs/j123?f=json". `path` is the request path.
std::string job_probe_path(const gis::Classification& gis, std::string_view path);

// The URL that asks a site about uploaded item `item_id` of the service the request is for (items belong to
// the service whose Uploads took them), e.g. "/arcgis/rest/services/Tools/Buffer/GPServer/uploads/i12?f=json".
// `path` is the request path (as forwarded); empty when it names no service type to ask.
std::string upload_probe_path(const gis::Classification& gis, std::string_view path, std::string_view item_id);

// What a probe answer must contain to show the site has the job or the item. A job status answer names its
// status; an item's info its "committed" state; an ArcGIS error ("does not exist or is inaccessible") neither.
inline constexpr std::string_view kJobProbeExpect = "\"jobStatus\"";
inline constexpr std::string_view kUploadProbeExpect = "\"committed\"";

// The owner, or nullptr when no server knows it (the request then goes to a normal server and the client gets
// that site's own error). `expect_body`: what a 200 answer must contain (empty: any 200, as for a job's output
// file). Runs on the calling worker's loop; bounded by `timeout`.
awaitable<balance::ServerRuntime*> find_owner(const balance::PoolRuntime& pool, std::string probe_path,
                                              std::string_view expect_body, std::chrono::milliseconds timeout);

// The owner according to the cluster's peers (one round trip, cluster::ask_peers), recorded in `table` when a
// peer names a server of `pool`; nullptr otherwise (the caller then probes the sites). Used for job and upload
// ids alike.
awaitable<balance::ServerRuntime*> owner_from_peers(std::shared_ptr<const cluster::PeerDirectory> peers,
                                                    balance::PoolRuntime& pool, gis::JobTable& table,
                                                    cluster::OwnerKind kind, std::string id);

}  // namespace gisgate::proxy
