// ArcGIS REST path classification, done once per request on the normalised path: which service, type and
// operation a request is for, whether it names an asynchronous geoprocessing job or an uploaded item, and glob
// matching of "folder/service" names for service routes. Views point into the path; nothing is allocated.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gisgate::gis {

enum class TrafficKind : std::uint8_t { service, portal, admin, other };

struct Classification {
    TrafficKind kind = TrafficKind::other;
    std::string_view context;    // first path segment: "arcgis", "server", "portal"...
    std::string_view folder;     // empty for a root service
    std::string_view service;    // e.g. "Streets"
    std::string_view type;       // "MapServer", "FeatureServer", "ImageServer", "GPServer", "GeocodeServer", ...
    std::string_view operation;  // "export", "query", "tile", "submitJob", "execute", "jobs", "findAddressCandidates", ...
    std::string_view task;       // GPServer task name when present
    std::string_view job_id;     // a job named by the path (GPServer .../jobs/<id>[/...] or
                                 // /<ctx>/rest/directories/arcgisjobs/.../<id>/...), else empty
    bool submit_job = false;     // .../GPServer/<task>/submitJob
    std::string_view upload_id;  // an uploaded item named by the path (.../<Type>/uploads/<itemID>[/...]), else empty
    bool upload_item = false;    // .../<Type>/uploads/upload or .../uploads/register: the answer names a new item

    // "folder/service" or "service" (what service globs match). Allocates: not for the hot path.
    std::string service_key() const;
};

// `path` is the normalised path (no query). Case-insensitive on the fixed words (rest, services, GPServer,
// jobs, submitJob, ...); the views keep the path's spelling.
Classification classify(std::string_view path);

// Case-insensitive glob where '*' matches any run of characters except '/'. A pattern without '/' matches
// root services only; "*/*" matches every foldered service; "Geocode/*" every service of folder Geocode.
bool service_glob_match(std::string_view pattern, std::string_view folder, std::string_view service);

}  // namespace gisgate::gis
