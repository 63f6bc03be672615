// Finding the server that owns a geoprocessing job when the job table does not know it (gisgate restarted, or
// another gisgate node saw the submitJob): ask every serving server of the pool in parallel for the job's
// status; the one that answers with a job (not an ArcGIS error) owns it.
#pragma once

#include <chrono>
#include <string>

#include "balance/pool.hpp"
#include "gis/classify.hpp"
#include "net/asio.hpp"

namespace gisgate::proxy {

// The URL that asks a site about the job named by `gis` (a jobs/ or arcgisjobs/ path), e.g.
// "/arcgis/rest/services/Analysis/Buffer/GPServer/BufferPoints/jobs/j123?f=json". `path` is the request path.
std::string job_probe_path(const gis::Classification& gis, std::string_view path);

// The owner, or nullptr when no server knows the job (the request then goes to a normal server and the
// client gets that site's own error). Runs on the calling worker's loop; bounded by `timeout`.
awaitable<balance::ServerRuntime*> find_job_owner(const balance::PoolRuntime& pool, std::string probe_path,
                                                  bool directory_probe, std::chrono::milliseconds timeout);

}  // namespace gisgate::proxy
