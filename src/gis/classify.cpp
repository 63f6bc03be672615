// ArcGIS REST path classification. One pass over the path's segments with string_views into it: no allocation,
// no exceptions, since it runs for every proxied request.
//
// Shapes recognised (segment numbers after the leading '/', empty segments skipped so "//" and a trailing '/'
// change nothing):
//   /<ctx>/rest/services[/...]                         kind service (the catalog, a folder or a service)
//   /<ctx>/rest/directories/...                        kind service, type "" (job and output files)
//   /<ctx>/admin/..., /<ctx>/manager/...               kind admin
//   /portal/..., /<ctx>/sharing/..., /<ctx>/home/...   kind portal
//   anything else                                      kind other (context still set)
#include "gis/classify.hpp"

#include <array>
#include <cstddef>

#include "gis/classify_text.hpp"

namespace gisgate::gis {
namespace {

// Walks the '/'-separated segments of a path, skipping empty ones.
class Segments {
public:
    explicit Segments(std::string_view path) : pos_(path.data()), end_(path.data() + path.size()) {}

    // The next non-empty segment, or an empty view at the end. A plain loop rather than find(): segments are
    // short, and a memchr call per segment costs more than scanning them.
    std::string_view next() {
        while (pos_ < end_ && *pos_ == '/') ++pos_;
        const char* start = pos_;
        while (pos_ < end_ && *pos_ != '/') ++pos_;
        return {start, static_cast<std::size_t>(pos_ - start)};
    }

private:
    const char* pos_;
    const char* end_;
};

// The ArcGIS service types that may follow a service name. Checked by length first, so most segments are
// rejected after one comparison of sizes.
constexpr std::array<std::string_view, 18> kServiceTypes = {
    "MapServer",     "FeatureServer",  "ImageServer",      "GPServer",     "GeocodeServer", "GeometryServer",
    "NAServer",      "SceneServer",    "VectorTileServer", "StreamServer", "GeoDataServer", "GlobeServer",
    "MobileServer",  "KmlServer",      "WMSServer",        "WFSServer",    "WCSServer",     "WMTS",
};

bool is_service_type(std::string_view seg) {
    if (seg.size() < 4 || seg.size() > 16) return false;
    for (const std::string_view type : kServiceTypes) {
        if (type.size() == seg.size() && iequals(type, seg)) return true;
    }
    return false;
}

// Layer, table and feature ids: sub-resources whose operation is the segment after them.
bool is_numeric_id(std::string_view seg) {
    if (seg.empty() || seg.size() > 10) return false;
    for (const char c : seg) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

// The operation of a non-GP service from the segments after its type: the first one, skipping a layer id
// and then a feature id (".../FeatureServer/0/query", ".../FeatureServer/0/12/attachments"). A bare layer or
// feature (".../MapServer/0") is a resource, not an operation: empty.
std::string_view service_operation(Segments& after_type) {
    std::string_view op = after_type.next();
    if (is_numeric_id(op)) op = after_type.next();
    if (is_numeric_id(op)) op = after_type.next();
    return op;
}

// After ".../<Type>/uploads" (the Uploads capability, on GPServer, MapServer, ImageServer, FeatureServer...):
// "upload" and "register" create an item; anything else is the id of an item this site stored
// (".../uploads/<itemID>", ".../uploads/<itemID>/uploadPart", ...). ArcGIS item ids start with 'i', so they
// never spell one of the operation names.
void classify_uploads(Segments& after_uploads, Classification& c) {
    const std::string_view next = after_uploads.next();
    if (iequals(next, "upload") || iequals(next, "register")) {
        c.upload_item = true;
    } else if (!iequals(next, "info")) {
        c.upload_id = next;
    }
}

// GPServer: ".../GPServer/jobs/<id>", ".../GPServer/<task>[/execute|submitJob|jobs/<id>[/...]]",
// ".../GPServer/uploads/...". A task named "jobs" or "uploads" would be misread; ArcGIS reserves both names.
void classify_gp(Segments& after_type, Classification& c) {
    const std::string_view first = after_type.next();
    if (first.empty()) return;
    if (iequals(first, "jobs")) {
        c.operation = first;
        c.job_id = after_type.next();
        return;
    }
    if (iequals(first, "uploads")) {
        c.operation = first;
        classify_uploads(after_type, c);
        return;
    }
    c.task = first;
    c.operation = after_type.next();
    if (iequals(c.operation, "jobs")) {
        c.job_id = after_type.next();
    } else if (iequals(c.operation, "submitJob")) {
        c.submit_job = true;
    }
}

// After /<ctx>/rest/services: [<folder>/]<service>/<Type>[/...]. A segment is the service when the one after it
// is a type, else the folder when the one after the next is a type; when neither holds (a folder listing, or
// a path naming no known type) only `folder` is set and type stays empty. Root service names that are
// themselves type names ("services/MapServer/MapServer") read as a root service, as ArcGIS reads them.
void classify_services(Segments& segs, Classification& c) {
    const std::string_view a = segs.next();
    if (a.empty()) return;  // the catalog root
    const std::string_view b = segs.next();
    if (is_service_type(b)) {
        c.service = a;
        c.type = b;
    } else {
        const std::string_view t = segs.next();
        c.folder = a;
        if (!is_service_type(t)) return;
        c.service = b;
        c.type = t;
    }
    if (iequals(c.type, "GPServer")) {
        classify_gp(segs, c);
    } else {
        c.operation = service_operation(segs);
        if (iequals(c.operation, "uploads")) classify_uploads(segs, c);
    }
}

// ArcGIS job ids: 'j' followed by 32 hex digits.
bool looks_like_job_id(std::string_view seg) {
    if (seg.size() != 33 || (seg[0] != 'j' && seg[0] != 'J')) return false;
    for (std::size_t i = 1; i < seg.size(); ++i) {
        const char ch = seg[i];
        const bool hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
        if (!hex) return false;
    }
    return true;
}

// After /<ctx>/rest/directories/arcgisjobs: [<folder>/]<service>_gpserver/<jobId>/... — the job's working
// directory as the server lays it out. The service (without "_gpserver", in the directory's lower-case
// spelling; service globs are case-insensitive) and folder are set too so service routes still apply; type
// stays empty because the path is a file, not a service resource. Without a *_gpserver segment the first
// segment shaped like a job id is taken.
void classify_job_directory(Segments& segs, Classification& c) {
    constexpr std::string_view kSuffix = "_gpserver";
    std::string_view previous;
    for (std::string_view seg = segs.next(); !seg.empty(); seg = segs.next()) {
        if (seg.size() > kSuffix.size() && iends_with(seg, kSuffix)) {
            c.folder = previous;
            c.service = seg.substr(0, seg.size() - kSuffix.size());
            c.job_id = segs.next();
            return;
        }
        if (looks_like_job_id(seg)) {
            c.job_id = seg;
            return;
        }
        previous = seg;
    }
}

}  // namespace

Classification classify(std::string_view path) {
    Classification c;
    Segments segs(path);
    c.context = segs.next();
    if (c.context.empty()) return c;

    const std::string_view second = segs.next();
    if (iequals(second, "rest")) {
        const std::string_view third = segs.next();
        if (iequals(third, "services")) {
            c.kind = TrafficKind::service;
            classify_services(segs, c);
            return c;
        }
        if (iequals(third, "directories")) {
            c.kind = TrafficKind::service;
            if (iequals(segs.next(), "arcgisjobs")) classify_job_directory(segs, c);
            return c;
        }
    } else if (iequals(second, "ws")) {
        // Stream services' WebSocket URLs: /<ctx>/ws/services/<name>/StreamServer/subscribe.
        if (iequals(segs.next(), "services")) {
            c.kind = TrafficKind::service;
            classify_services(segs, c);
            return c;
        }
    } else if (iequals(second, "admin") || iequals(second, "manager")) {
        c.kind = TrafficKind::admin;
        return c;
    }
    if (iequals(c.context, "portal") || iequals(second, "sharing") || iequals(second, "home")) {
        c.kind = TrafficKind::portal;
    }
    return c;
}

}  // namespace gisgate::gis
