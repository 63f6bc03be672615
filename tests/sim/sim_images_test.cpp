// Map export (streamed, sized by W×H) and cache tiles (deterministic, ETag, 304).
#include "sim_fixture.hpp"

namespace gisgate::sim::testing {
namespace {

const std::string kExport = "/arcgis/rest/services/SampleWorldCities/MapServer/export?bbox=-180,-90,180,90";

TEST_F(SimTest, ExportSizeGrowsWithPixelsAndIsChunked) {
    HttpResponse small = http_get(port(), kExport + "&size=100,100&f=image");
    ASSERT_EQ(small.status, 200);
    EXPECT_TRUE(small.chunked);
    EXPECT_EQ(small.header("Content-Type"), "image/png");
    EXPECT_EQ(small.body.size(), 100u * 100 * 3);
    EXPECT_EQ(small.body.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    EXPECT_EQ(small.body.substr(12, 4), "IHDR");

    HttpResponse wide = http_get(port(), kExport + "&size=400,200&f=image");
    EXPECT_EQ(wide.body.size(), 400u * 200 * 3);
    // Default size 400x400.
    EXPECT_EQ(http_get(port(), kExport + "&f=image").body.size(), 400u * 400 * 3);
    HttpResponse jpg = http_get(port(), kExport + "&size=100,100&format=jpg&f=image");
    EXPECT_EQ(jpg.header("Content-Type"), "image/jpeg");
    EXPECT_EQ(jpg.body.substr(0, 3), std::string("\xFF\xD8\xFF", 3));
}

TEST_F(SimTest, LargeExportIsStreamed) {
    HttpClient c(port());
    c.set_max_body_in_memory(1024);  // count the bytes, keep only the start
    HttpResponse r = c.request("GET", kExport + "&size=2000,2000&f=image");
    ASSERT_EQ(r.status, 200);
    EXPECT_TRUE(r.chunked);
    EXPECT_EQ(r.header("Content-Length"), "");
    EXPECT_EQ(c.last_body_bytes(), 2000ull * 2000 * 3);
    EXPECT_EQ(r.body.size(), 1024u);
    // The connection stays usable after a chunked body.
    EXPECT_EQ(c.request("GET", "/arcgis/rest/info/healthcheck").status, 200);
}

TEST_F(SimTest, ExportIsCappedAt4096) {
    HttpClient c(port());
    c.set_max_body_in_memory(0);
    HttpResponse r = c.request("GET", kExport + "&size=8192,100&f=image");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(c.last_body_bytes(), 4096ull * 100 * 3);
}

TEST_F(SimTest, ExportJsonPointsToAnImage) {
    json j = get_json(kExport + "&size=300,200&f=json");
    EXPECT_EQ(j["width"], 300);
    EXPECT_EQ(j["height"], 200);
    EXPECT_EQ(j["extent"]["xmin"], -180);
    std::string href = j["href"];
    std::string prefix = "http://127.0.0.1:" + std::to_string(port());
    ASSERT_EQ(href.rfind(prefix, 0), 0u) << href;
    HttpResponse img = http_get(port(), href.substr(prefix.size()));
    EXPECT_EQ(img.status, 200);
    EXPECT_EQ(img.header("Content-Type"), "image/png");
    EXPECT_EQ(img.body.size(), 300u * 200 * 3);
    EXPECT_EQ(http_get(port(), "/arcgis/rest/directories/arcgisoutput/x/nothing.png").status, 404);
    // Bad parameters are ArcGIS errors.
    EXPECT_EQ(get_json(kExport + "&size=abc&f=json")["error"]["code"], 400);
}

TEST_F(SimTest, HeadOfExportSendsNoBody) {
    HttpClient c(port());
    HttpResponse r = c.request("HEAD", kExport + "&size=500,500&f=image");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "");
    EXPECT_EQ(c.request("GET", "/arcgis/rest/info/healthcheck").status, 200);
}

TEST_F(SimTest, TilesAreDeterministicAndCacheable) {
    const std::string t = "/arcgis/rest/services/Maps/Streets/MapServer/tile/5/10/12";
    HttpResponse a = http_get(port(), t);
    ASSERT_EQ(a.status, 200);
    EXPECT_EQ(a.header("Content-Type"), "image/png");
    EXPECT_GE(a.body.size(), 5u * 1024);
    EXPECT_LE(a.body.size(), 20u * 1024);
    EXPECT_EQ(a.body.substr(0, 4), "\x89PNG");
    EXPECT_EQ(a.header("Cache-Control"), "max-age=86400");
    std::string etag = a.header("ETag");
    ASSERT_FALSE(etag.empty());
    EXPECT_EQ(etag.front(), '"');

    HttpResponse b = http_get(port(), t);
    EXPECT_EQ(b.body, a.body);
    EXPECT_EQ(b.header("ETag"), etag);
    HttpResponse other = http_get(port(), "/arcgis/rest/services/Maps/Streets/MapServer/tile/5/10/13");
    EXPECT_NE(other.body, a.body);
    EXPECT_NE(other.header("ETag"), etag);

    HttpClient c(port());
    HttpResponse not_modified = c.request("GET", t, {{"If-None-Match", etag}});
    EXPECT_EQ(not_modified.status, 304);
    EXPECT_EQ(not_modified.body, "");
    EXPECT_EQ(not_modified.header("ETag"), etag);
    EXPECT_EQ(c.request("GET", t, {{"If-None-Match", "\"other\", W/" + etag}}).status, 304);
    EXPECT_EQ(c.request("GET", t, {{"If-None-Match", "\"other\""}}).status, 200);
    EXPECT_EQ(http_get(port(), "/arcgis/rest/services/Maps/Streets/MapServer/tile/x/1/1").status, 404);
}

TEST(SimTiles, MaxAgeFollowsOptions) {
    SimOptions o = local_options();
    o.tile_max_age = std::chrono::seconds(60);
    SimServer server(o);
    EXPECT_EQ(
        http_get(server.port(), "/arcgis/rest/services/SampleWorldCities/MapServer/tile/0/0/0").header("Cache-Control"),
        "max-age=60");
}

}  // namespace
}  // namespace gisgate::sim::testing
