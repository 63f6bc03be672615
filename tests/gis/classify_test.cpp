// classify(): tables of ArcGIS REST paths and the fields read from them; service globs and service keys.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "gis/classify.hpp"

namespace gisgate::gis {
namespace {

constexpr auto S = TrafficKind::service;
constexpr auto P = TrafficKind::portal;
constexpr auto A = TrafficKind::admin;
constexpr auto O = TrafficKind::other;

const char* kind_name(TrafficKind k) {
    switch (k) {
        case TrafficKind::service: return "service";
        case TrafficKind::portal: return "portal";
        case TrafficKind::admin: return "admin";
        case TrafficKind::other: return "other";
    }
    return "?";
}

// The expected fields in Classification's order; the trailing ones default to empty / false.
struct Case {
    Case(std::string path_, TrafficKind kind_, std::string context_, std::string folder_ = {},
         std::string service_ = {}, std::string type_ = {}, std::string operation_ = {}, std::string task_ = {},
         std::string job_id_ = {}, bool submit_job_ = false)
        : path(std::move(path_)), kind(kind_), context(std::move(context_)), folder(std::move(folder_)),
          service(std::move(service_)), type(std::move(type_)), operation(std::move(operation_)),
          task(std::move(task_)), job_id(std::move(job_id_)), submit_job(submit_job_) {}

    std::string path;
    TrafficKind kind;
    std::string context, folder, service, type, operation, task, job_id;
    bool submit_job;
};

constexpr const char* kJob = "j0123456789abcdef0123456789abcdef";

void expect_case(const Case& c) {
    SCOPED_TRACE(c.path);
    const Classification got = classify(c.path);
    EXPECT_STREQ(kind_name(got.kind), kind_name(c.kind));
    EXPECT_EQ(got.context, c.context);
    EXPECT_EQ(got.folder, c.folder);
    EXPECT_EQ(got.service, c.service);
    EXPECT_EQ(got.type, c.type);
    EXPECT_EQ(got.operation, c.operation);
    EXPECT_EQ(got.task, c.task);
    EXPECT_EQ(got.job_id, c.job_id);
    EXPECT_EQ(got.submit_job, c.submit_job);
}

void expect_all(const std::vector<Case>& cases) {
    for (const Case& c : cases) expect_case(c);
}

TEST(Classify, RootAndFolderedServices) {
    expect_all({
        {"/arcgis/rest/services/Streets/MapServer", S, "arcgis", "", "Streets", "MapServer", ""},
        {"/arcgis/rest/services/Streets/MapServer/export", S, "arcgis", "", "Streets", "MapServer", "export"},
        {"/arcgis/rest/services/Maps/Streets/MapServer", S, "arcgis", "Maps", "Streets", "MapServer", ""},
        {"/arcgis/rest/services/Maps/Streets/MapServer/export", S, "arcgis", "Maps", "Streets", "MapServer",
         "export"},
        {"/server/rest/services/Hosted/Parcels/FeatureServer/0/query", S, "server", "Hosted", "Parcels",
         "FeatureServer", "query"},
        {"/arcgis/rest/services/Elevation/ImageServer/exportImage", S, "arcgis", "", "Elevation", "ImageServer",
         "exportImage"},
        {"/arcgis/rest/services/Utilities/Geometry/GeometryServer/buffer", S, "arcgis", "Utilities", "Geometry",
         "GeometryServer", "buffer"},
        {"/arcgis/rest/services/Buildings/SceneServer/layers/0", S, "arcgis", "", "Buildings", "SceneServer",
         "layers"},
        {"/arcgis/rest/services/Basemap/VectorTileServer/tile/3/2/1.pbf", S, "arcgis", "", "Basemap",
         "VectorTileServer", "tile"},
        {"/arcgis/rest/services/Network/Routing/NAServer/Route/solve", S, "arcgis", "Network", "Routing",
         "NAServer", "Route"},
        {"/arcgis/rest/services/Live/Buses/StreamServer/subscribe", S, "arcgis", "Live", "Buses", "StreamServer",
         "subscribe"},
        {"/arcgis/rest/services/Ogc/Roads/WMSServer", S, "arcgis", "Ogc", "Roads", "WMSServer", ""},
        {"/arcgis/rest/services/Ogc/Roads/WMTS/1.0.0/WMTSCapabilities.xml", S, "arcgis", "Ogc", "Roads", "WMTS",
         "1.0.0"},
    });
}

TEST(Classify, MapServerOperations) {
    expect_all({
        {"/arcgis/rest/services/World/MapServer/tile/5/11/9", S, "arcgis", "", "World", "MapServer", "tile"},
        {"/arcgis/rest/services/Maps/World/MapServer/tile/5/11/9", S, "arcgis", "Maps", "World", "MapServer",
         "tile"},
        {"/arcgis/rest/services/Maps/World/MapServer/3/query", S, "arcgis", "Maps", "World", "MapServer",
         "query"},
        {"/arcgis/rest/services/Maps/World/MapServer/12", S, "arcgis", "Maps", "World", "MapServer", ""},
        {"/arcgis/rest/services/Maps/World/MapServer/identify", S, "arcgis", "Maps", "World", "MapServer",
         "identify"},
        {"/arcgis/rest/services/Maps/World/MapServer/legend", S, "arcgis", "Maps", "World", "MapServer", "legend"},
        {"/arcgis/rest/services/Maps/World/MapServer/layers", S, "arcgis", "Maps", "World", "MapServer", "layers"},
    });
}

TEST(Classify, FeatureServerLayerOperations) {
    expect_all({
        {"/arcgis/rest/services/Edit/Parcels/FeatureServer/0/applyEdits", S, "arcgis", "Edit", "Parcels",
         "FeatureServer", "applyEdits"},
        {"/arcgis/rest/services/Edit/Parcels/FeatureServer/applyEdits", S, "arcgis", "Edit", "Parcels",
         "FeatureServer", "applyEdits"},
        {"/arcgis/rest/services/Edit/Parcels/FeatureServer/2/addFeatures", S, "arcgis", "Edit", "Parcels",
         "FeatureServer", "addFeatures"},
        {"/arcgis/rest/services/Edit/Parcels/FeatureServer/0/17/attachments", S, "arcgis", "Edit", "Parcels",
         "FeatureServer", "attachments"},
        {"/arcgis/rest/services/Edit/Parcels/FeatureServer/0/17", S, "arcgis", "Edit", "Parcels", "FeatureServer",
         ""},
    });
}

TEST(Classify, Geocode) {
    expect_all({
        {"/arcgis/rest/services/World/GeocodeServer/findAddressCandidates", S, "arcgis", "", "World",
         "GeocodeServer", "findAddressCandidates"},
        {"/arcgis/rest/services/Locators/Composite/GeocodeServer/reverseGeocode", S, "arcgis", "Locators",
         "Composite", "GeocodeServer", "reverseGeocode"},
        {"/arcgis/rest/services/Locators/Composite/GeocodeServer/suggest", S, "arcgis", "Locators", "Composite",
         "GeocodeServer", "suggest"},
    });
}

TEST(Classify, StreamServicesOnTheRestAndWebSocketPaths) {
    expect_all({
        {"/arcgis/rest/services/Streams/Vehicles/StreamServer", S, "arcgis", "Streams", "Vehicles", "StreamServer",
         ""},
        {"/arcgis/ws/services/Streams/Vehicles/StreamServer/subscribe", S, "arcgis", "Streams", "Vehicles",
         "StreamServer", "subscribe"},
        {"/server/ws/services/Trucks/StreamServer/subscribe", S, "server", "", "Trucks", "StreamServer",
         "subscribe"},
    });
}

TEST(Classify, GeoprocessingTasksAndJobs) {
    const std::string job = kJob;
    expect_all({
        {"/arcgis/rest/services/Tools/Buffer/GPServer", S, "arcgis", "Tools", "Buffer", "GPServer", ""},
        {"/arcgis/rest/services/Tools/Buffer/GPServer/BufferPoints", S, "arcgis", "Tools", "Buffer", "GPServer", "",
         "BufferPoints"},
        {"/arcgis/rest/services/Tools/Buffer/GPServer/BufferPoints/execute", S, "arcgis", "Tools", "Buffer",
         "GPServer", "execute", "BufferPoints"},
        {"/arcgis/rest/services/Tools/Buffer/GPServer/BufferPoints/submitJob", S, "arcgis", "Tools", "Buffer",
         "GPServer", "submitJob", "BufferPoints", "", true},
        {"/arcgis/rest/services/Buffer/GPServer/BufferPoints/submitJob", S, "arcgis", "", "Buffer", "GPServer",
         "submitJob", "BufferPoints", "", true},
        {"/arcgis/rest/services/Tools/Buffer/GPServer/BufferPoints/jobs/" + job, S, "arcgis", "Tools", "Buffer",
         "GPServer", "jobs", "BufferPoints", job},
        {"/arcgis/rest/services/Tools/Buffer/GPServer/BufferPoints/jobs/" + job + "/results/Output", S, "arcgis",
         "Tools", "Buffer", "GPServer", "jobs", "BufferPoints", job},
        {"/arcgis/rest/services/Tools/Buffer/GPServer/BufferPoints/jobs/" + job + "/inputs/Input", S, "arcgis",
         "Tools", "Buffer", "GPServer", "jobs", "BufferPoints", job},
        {"/arcgis/rest/services/Tools/Buffer/GPServer/BufferPoints/jobs/" + job + "/cancel", S, "arcgis", "Tools",
         "Buffer", "GPServer", "jobs", "BufferPoints", job},
        {"/arcgis/rest/services/Tools/Buffer/GPServer/jobs/" + job, S, "arcgis", "Tools", "Buffer", "GPServer",
         "jobs", "", job},
        {"/arcgis/rest/services/Buffer/GPServer/jobs/" + job + "/results/Out", S, "arcgis", "", "Buffer",
         "GPServer", "jobs", "", job},
        // Any non-empty segment after "jobs" is a job id; none means none.
        {"/arcgis/rest/services/Buffer/GPServer/Task/jobs/abc-123", S, "arcgis", "", "Buffer", "GPServer", "jobs",
         "Task", "abc-123"},
        {"/arcgis/rest/services/Buffer/GPServer/Task/jobs", S, "arcgis", "", "Buffer", "GPServer", "jobs", "Task"},
        {"/arcgis/rest/services/Buffer/GPServer/jobs/", S, "arcgis", "", "Buffer", "GPServer", "jobs"},
        {"/arcgis/rest/services/Buffer/GPServer/uploads/upload", S, "arcgis", "", "Buffer", "GPServer", "uploads"},
    });
}

TEST(Classify, JobDirectories) {
    const std::string job = kJob;
    expect_all({
        {"/arcgis/rest/directories/arcgisjobs/analysis/buffer_gpserver/" + job + "/scratch/output.txt", S,
         "arcgis", "analysis", "buffer", "", "", "", job},
        {"/arcgis/rest/directories/arcgisjobs/buffer_gpserver/" + job + "/scratch/out.zip", S, "arcgis", "",
         "buffer", "", "", "", job},
        {"/arcgis/rest/directories/arcgisjobs/Tools/Buffer_GPServer/anyId/x", S, "arcgis", "Tools", "Buffer", "",
         "", "", "anyId"},
        // No *_gpserver directory: the first segment shaped like a job id.
        {"/arcgis/rest/directories/arcgisjobs/odd/" + job + "/out.txt", S, "arcgis", "", "", "", "", "", job},
        {"/arcgis/rest/directories/arcgisjobs/odd/notajob/out.txt", S, "arcgis"},
        {"/arcgis/rest/directories/arcgisoutput/Maps/_ags_map123.png", S, "arcgis"},
        {"/arcgis/rest/directories", S, "arcgis"},
    });
}

TEST(Classify, AdminPortalOther) {
    expect_all({
        {"/arcgis/admin/services/Maps/Streets.MapServer/start", A, "arcgis"},
        {"/arcgis/admin", A, "arcgis"},
        {"/arcgis/manager/index.html", A, "arcgis"},
        {"/portal/sharing/rest/portals/self", P, "portal"},
        {"/portal/home/index.html", P, "portal"},
        {"/portal", P, "portal"},
        {"/gis/sharing/rest/content/items/abc", P, "gis"},
        {"/gis/home/webmap/viewer.html", P, "gis"},
        {"/arcgis/rest/info", O, "arcgis"},
        {"/arcgis/tokens/generateToken", O, "arcgis"},
        {"/favicon.ico", O, "favicon.ico"},
    });
}

TEST(Classify, WeirdInputs) {
    expect_all({
        {"", O, ""},
        {"/", O, ""},
        {"//", O, ""},
        {"/arcgis", O, "arcgis"},
        {"/arcgis/", O, "arcgis"},
        {"/arcgis/rest", O, "arcgis"},
        {"/arcgis/rest/services", S, "arcgis"},
        {"/arcgis/rest/services/", S, "arcgis"},
        // A folder listing: only the folder.
        {"/arcgis/rest/services/Maps", S, "arcgis", "Maps"},
        {"/arcgis/rest/services/Maps/", S, "arcgis", "Maps"},
        // No known type where one would be: the first segment is read as the folder, nothing more.
        {"/arcgis/rest/services/Maps/Streets", S, "arcgis", "Maps"},
        {"/arcgis/rest/services/Maps/Streets/NotAServer/export", S, "arcgis", "Maps"},
        {"/arcgis/rest/services/Streets/MapServer/", S, "arcgis", "", "Streets", "MapServer", ""},
        {"/arcgis/rest/services/Maps/Streets/MapServer/export/", S, "arcgis", "Maps", "Streets", "MapServer",
         "export"},
        {"/arcgis//rest/services//Maps/Streets/MapServer//export", S, "arcgis", "Maps", "Streets", "MapServer",
         "export"},
        // A service whose name is a type name reads as a root service.
        {"/arcgis/rest/services/MapServer/MapServer/export", S, "arcgis", "", "MapServer", "MapServer", "export"},
    });
}

TEST(Classify, FixedWordsAreCaseInsensitiveAndViewsKeepSpelling) {
    const std::string job = kJob;
    expect_all({
        {"/ArcGIS/REST/Services/maps/streets/mapserver/EXPORT", S, "ArcGIS", "maps", "streets", "mapserver",
         "EXPORT"},
        {"/arcgis/Rest/SERVICES/Tools/Buffer/gpserver/Task/SUBMITJOB", S, "arcgis", "Tools", "Buffer", "gpserver",
         "SUBMITJOB", "Task", "", true},
        {"/arcgis/rest/services/Tools/Buffer/GpServer/Task/JOBS/" + job, S, "arcgis", "Tools", "Buffer",
         "GpServer", "JOBS", "Task", job},
        {"/arcgis/REST/Directories/ArcGISJobs/buffer_gpserver/" + job, S, "arcgis", "", "buffer", "", "", "",
         job},
        {"/arcgis/ADMIN/services", A, "arcgis"},
        {"/PORTAL/sharing/rest", P, "PORTAL"},
    });
}

TEST(Classify, ViewsPointIntoThePath) {
    const std::string path = "/arcgis/rest/services/Maps/Streets/MapServer/export";
    const Classification c = classify(path);
    EXPECT_EQ(c.service.data(), path.data() + path.find("Streets"));
    EXPECT_EQ(c.operation.data(), path.data() + path.find("export"));
}

TEST(Classify, ServiceKey) {
    EXPECT_EQ(classify("/arcgis/rest/services/Maps/Streets/MapServer").service_key(), "Maps/Streets");
    EXPECT_EQ(classify("/arcgis/rest/services/Streets/MapServer/export").service_key(), "Streets");
    EXPECT_EQ(classify("/arcgis/rest/services/Maps").service_key(), "");
    EXPECT_EQ(classify("/arcgis/admin").service_key(), "");
}

TEST(Glob, RootPatternsMatchOnlyRootServices) {
    EXPECT_TRUE(service_glob_match("*", "", "Streets"));
    EXPECT_FALSE(service_glob_match("*", "Maps", "Streets"));
    EXPECT_TRUE(service_glob_match("Streets", "", "streets"));
    EXPECT_TRUE(service_glob_match("STR*", "", "Streets"));
    EXPECT_FALSE(service_glob_match("Streets", "Maps", "Streets"));
    EXPECT_FALSE(service_glob_match("Street", "", "Streets"));
}

TEST(Glob, FolderPatterns) {
    EXPECT_TRUE(service_glob_match("*/*", "Maps", "Streets"));
    EXPECT_FALSE(service_glob_match("*/*", "", "Streets"));
    EXPECT_TRUE(service_glob_match("Geocode/*", "Geocode", "World"));
    EXPECT_TRUE(service_glob_match("geocode/*", "GEOCODE", "World"));
    EXPECT_FALSE(service_glob_match("Geocode/*", "Geocoders", "World"));
    EXPECT_FALSE(service_glob_match("Geocode/*", "", "World"));
    EXPECT_TRUE(service_glob_match("*/World", "Geocode", "World"));
    EXPECT_FALSE(service_glob_match("*/World", "Geocode", "WorldWide"));
    EXPECT_TRUE(service_glob_match("Utilities/PrintingTools", "Utilities", "PrintingTools"));
    EXPECT_TRUE(service_glob_match("utilities/printingtools", "Utilities", "PrintingTools"));
    EXPECT_FALSE(service_glob_match("Utilities/PrintingTools", "Utilities", "Printing"));
}

TEST(Glob, StarsInsideNames) {
    EXPECT_TRUE(service_glob_match("Geo*/*Streets*", "GeoData", "CityStreetsV2"));
    EXPECT_TRUE(service_glob_match("a*b*c", "", "aXXbYYbZZc"));
    EXPECT_FALSE(service_glob_match("a*b*c", "", "aXXbYYbZZ"));
    EXPECT_TRUE(service_glob_match("**", "", "x"));
    EXPECT_TRUE(service_glob_match("Maps*/*", "Maps", "x"));
}

TEST(Glob, NeverMatchesAcrossSlashesOrEmptyServices) {
    EXPECT_FALSE(service_glob_match("*/*/*", "Maps", "Streets"));
    EXPECT_FALSE(service_glob_match("*", "", ""));
    EXPECT_FALSE(service_glob_match("*/*", "Maps", ""));
    EXPECT_FALSE(service_glob_match("", "", "Streets"));
}

TEST(Glob, MatchesWhatClassifyReads) {
    const Classification c = classify("/arcgis/rest/services/Geocode/World/GeocodeServer/findAddressCandidates");
    EXPECT_TRUE(service_glob_match("Geocode/*", c.folder, c.service));
    EXPECT_FALSE(service_glob_match("*", c.folder, c.service));
    const Classification d = classify("/arcgis/rest/directories/arcgisjobs/utilities/printingtools_gpserver/jx/a");
    EXPECT_TRUE(service_glob_match("Utilities/PrintingTools", d.folder, d.service));
}

}  // namespace
}  // namespace gisgate::gis
