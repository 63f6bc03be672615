// The operation class of a request (config::OperationClass): what it costs a GIS server, decided once per request
// from its classification. ArcGIS Server is CPU-bound, about one request per core; a map view's tiles and
// queries take milliseconds, a large export or a geoprocessing execute takes seconds. The pool's class limits
// keep heavy work from taking every slot of a server, and its queue serves interactive requests first
// (balance/pool.hpp), so the requests a person waits for stay fast while a site is saturated.
#pragma once

#include <string_view>

#include "config/config.hpp"
#include "gis/classify.hpp"

namespace gisgate::gis {

// `query`: the request's query string (an export's `size=W,H` decides whether it is heavy); `body_unknown`: the
// request carries a body whose parameters are not read here (a POSTed export's size is unknown: `other`).
// The pool's rules first (first match wins), then the built-in ones:
//   interactive  tiles; layer/service metadata and the catalog; query, queryRelatedRecords, identify, find,
//                legend; findAddressCandidates, reverseGeocode, suggest; GP task metadata, job status and results;
//                export/exportImage up to `heavy_export_size` pixels wide and tall
//   heavy        export/exportImage beyond it; GP execute and submitJob; geocodeAddresses; generateRenderer,
//                generateKml, createReplica, synchronizeReplica, exportTiles, computeHistograms,
//                computeStatisticsHistograms
//   other        everything else (edits, uploads, job results, portal, admin, non-GIS paths)
config::OperationClass operation_class(const Classification& c, std::string_view query, bool body_unknown,
                                       const config::ClassesConfig& classes);

}  // namespace gisgate::gis
