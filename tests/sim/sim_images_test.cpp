// Map export (streamed, sized by W×H) and cache tiles (deterministic, ETag, 304): real PNGs of one world.
#include "jpeg_decode.hpp"
#include "png_decode.hpp"
#include "sim/catalog.hpp"
#include "sim/map_render.hpp"
#include "sim/png.hpp"
#include "sim/tile_cache.hpp"
#include "sim_fixture.hpp"

#include <fmt/format.h>

#include <cmath>
#include <set>

namespace gisgate::sim::testing {
namespace {

const std::string kExport = "/arcgis/rest/services/SampleWorldCities/MapServer/export?bbox=-180,-90,180,90";

TEST_F(SimTest, ExportSizeGrowsWithPixelsAndIsChunked) {
    HttpResponse small = http_get(port(), kExport + "&size=100,100&f=image");
    ASSERT_EQ(small.status, 200);
    EXPECT_TRUE(small.chunked);
    EXPECT_EQ(small.header("Content-Type"), "image/png");
    // Stored (uncompressed) PNG: about W×H×3 bytes, as the sim's exports always were.
    EXPECT_EQ(small.body.size(), stored_png_size(100, 100));
    EXPECT_GT(small.body.size(), 100u * 100 * 3);
    EXPECT_LT(small.body.size(), 100u * 100 * 3 + 100 * 20 + 64);
    EXPECT_EQ(small.body.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    EXPECT_EQ(small.body.substr(12, 4), "IHDR");

    HttpResponse wide = http_get(port(), kExport + "&size=400,200&f=image");
    EXPECT_EQ(wide.body.size(), stored_png_size(400, 200));
    // Default size 400x400.
    EXPECT_EQ(http_get(port(), kExport + "&f=image").body.size(), stored_png_size(400, 400));
    HttpResponse jpg = http_get(port(), kExport + "&size=100,80&format=jpg&f=image");
    EXPECT_EQ(jpg.header("Content-Type"), "image/jpeg");
    EXPECT_EQ(jpg.body.substr(0, 3), std::string("\xFF\xD8\xFF", 3));
    // A real JPEG: it decodes to the asked size, framed in the site's colour (within JPEG's loss).
    DecodedJpeg decoded = decode_jpeg(jpg.body);
    ASSERT_TRUE(decoded.ok) << decoded.error;
    EXPECT_EQ(decoded.width, 100u);
    EXPECT_EQ(decoded.height, 80u);
    const std::uint32_t tint = site_tint("site-a");
    const auto corner = decoded.pixel(0, 40);
    EXPECT_NEAR(corner[0], static_cast<int>(tint >> 16), 48);
    EXPECT_NEAR(corner[1], static_cast<int>((tint >> 8) & 0xff), 48);
    EXPECT_NEAR(corner[2], static_cast<int>(tint & 0xff), 48);
}

TEST_F(SimTest, LargeExportIsStreamed) {
    HttpClient c(port());
    c.set_max_body_in_memory(1024);  // count the bytes, keep only the start
    HttpResponse r = c.request("GET", kExport + "&size=2000,2000&f=image");
    ASSERT_EQ(r.status, 200);
    EXPECT_TRUE(r.chunked);
    EXPECT_EQ(r.header("Content-Length"), "");
    EXPECT_EQ(c.last_body_bytes(), stored_png_size(2000, 2000));
    EXPECT_EQ(r.body.size(), 1024u);
    // The connection stays usable after a chunked body.
    EXPECT_EQ(c.request("GET", "/arcgis/rest/info/healthcheck").status, 200);
}

TEST_F(SimTest, ExportIsCappedAt4096) {
    HttpClient c(port());
    c.set_max_body_in_memory(0);
    HttpResponse r = c.request("GET", kExport + "&size=8192,100&f=image");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(c.last_body_bytes(), stored_png_size(4096, 100));
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
    EXPECT_EQ(img.body.size(), stored_png_size(300, 200));
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

std::array<std::uint8_t, 3> rgb_of(std::uint32_t tint) {
    return {static_cast<std::uint8_t>(tint >> 16), static_cast<std::uint8_t>(tint >> 8), static_cast<std::uint8_t>(tint)};
}

TEST_F(SimTest, TilesAndExportsDecodeWithTheSiteTintAndStamp) {
    HttpResponse tile = http_get(port(), "/arcgis/rest/services/SampleWorldCities/MapServer/tile/2/1/3");
    ASSERT_EQ(tile.status, 200);
    DecodedPng png = decode_png(tile.body);
    ASSERT_TRUE(png.ok) << png.error;
    EXPECT_EQ(png.width, 256u);
    EXPECT_EQ(png.height, 256u);
    // The frame is the site's colour, announced in X-Gisgate-Sim-Tint.
    const std::uint32_t tint = site_tint("site-a");
    EXPECT_EQ(tile.header("X-Gisgate-Sim-Tint"), tint_css(tint));
    EXPECT_EQ(png.pixel(0, 0), rgb_of(tint));
    EXPECT_EQ(png.pixel(255, 128), rgb_of(tint));
    // The stamp: white glyph pixels in the top-left corner.
    int white = 0;
    for (unsigned y = 0; y < 40; ++y)
        for (unsigned x = 0; x < 120; ++x) white += png.pixel(x, y) == std::array<std::uint8_t, 3>{255, 255, 255};
    EXPECT_GT(white, 50);

    HttpClient c(port());
    c.set_max_body_in_memory(64u << 20);
    HttpResponse exported = c.request("GET", kExport + "&size=640,320&f=image");
    DecodedPng big = decode_png(exported.body);
    ASSERT_TRUE(big.ok) << big.error;
    EXPECT_EQ(big.width, 640u);
    EXPECT_EQ(big.height, 320u);
    EXPECT_EQ(big.pixel(639, 319), rgb_of(tint));
    // Sea and land both appear on the world map (it is a map, not one colour).
    std::set<std::array<std::uint8_t, 3>> colours;
    for (unsigned y = 40; y < 320; y += 7)
        for (unsigned x = 3; x < 637; x += 7) colours.insert(big.pixel(x, y));
    EXPECT_GE(colours.size(), 5u);
}

TEST(SimTiles, EachSiteTintsItsImages) {
    SimServer a(local_options("site-a")), b(local_options("site-b"));
    EXPECT_NE(site_tint("site-a"), site_tint("site-b"));
    EXPECT_NE(site_tint("site-b"), site_tint("site-c"));
    const std::string t = "/arcgis/rest/services/SampleWorldCities/MapServer/tile/1/0/1";
    DecodedPng pa = decode_png(http_get(a.port(), t).body), pb = decode_png(http_get(b.port(), t).body);
    ASSERT_TRUE(pa.ok && pb.ok);
    EXPECT_EQ(pa.pixel(1, 1), rgb_of(site_tint("site-a")));
    EXPECT_EQ(pb.pixel(1, 1), rgb_of(site_tint("site-b")));
    // Same place, same world underneath: the pixels differ only by the tint, never in land against sea.
    EXPECT_NE(pa.rgb, pb.rgb);
}

// The FeatureServer's points are the cities the map draws: a big city's location is a city dot in a tile and
// in an export, wherever the image is cut.
TEST_F(SimTest, MapImagesDrawTheLayersPoints) {
    json q = get_json("/arcgis/rest/services/SampleWorldCities/MapServer/0/query?outFields=POPULATION&f=json");
    double x = 0, y = 0;
    bool found = false;
    for (const auto& f : q["features"]) {
        const double fx = f["geometry"]["x"], fy = f["geometry"]["y"];
        // A big city (drawn at every scale), away from the frame and the stamp of the images below.
        const double r4 = 0.703125 / 16;
        const int tx = static_cast<int>((fx + 180) / r4) % 256, ty = static_cast<int>((90 - fy) / r4) % 256;
        if (f["attributes"]["POPULATION"].get<int>() > 950000 && tx > 130 && tx < 250 && ty > 60 && ty < 250) {
            x = fx, y = fy, found = true;
            break;
        }
    }
    ASSERT_TRUE(found);
    const std::array<std::uint8_t, 3> dot{70, 34, 34};
    // An export centred on the city: the centre pixel is the dot.
    const std::string bbox = fmt::format("{},{},{},{}", x - 2, y - 2, x + 2, y + 2);
    DecodedPng e = decode_png(
        http_get(port(), "/arcgis/rest/services/SampleWorldCities/MapServer/export?bbox=" + bbox + "&size=200,200&f=image")
            .body);
    ASSERT_TRUE(e.ok) << e.error;
    EXPECT_EQ(e.pixel(100, 100), dot);
    // The level-4 tile holding it, at the city's pixel.
    const double res = 0.703125 / 16;
    const unsigned col = static_cast<unsigned>((x + 180) / res), row = static_cast<unsigned>((90 - y) / res);
    DecodedPng t = decode_png(http_get(port(), fmt::format("/arcgis/rest/services/SampleWorldCities/MapServer/tile/4/{}/{}",
                                                           row / 256, col / 256))
                                  .body);
    ASSERT_TRUE(t.ok) << t.error;
    EXPECT_EQ(t.pixel(col % 256, row % 256), dot);
}

// Maps/Streets is cached in the Web Mercator scheme (what Leaflet and ArcGIS Online use): its tileInfo says so,
// and its tiles draw the same cities at their Web Mercator positions.
TEST_F(SimTest, WebMercatorTilesForLeaflet) {
    json d = get_json("/arcgis/rest/services/Maps/Streets/MapServer?f=json");
    EXPECT_EQ(d["spatialReference"]["latestWkid"], 3857);
    EXPECT_EQ(d["tileInfo"]["spatialReference"]["wkid"], 102100);
    EXPECT_DOUBLE_EQ(d["tileInfo"]["origin"]["x"].get<double>(), -20037508.342787);
    EXPECT_DOUBLE_EQ(d["tileInfo"]["lods"][0]["resolution"].get<double>(), 156543.03392800014);
    EXPECT_EQ(d["units"], "esriMeters");
    EXPECT_EQ(get_json("/arcgis/rest/services/SampleWorldCities/MapServer?f=json")["tileInfo"]["spatialReference"]["wkid"],
              4326);

    constexpr double kR = 6378137.0, kPi = 3.14159265358979323846, kO = 20037508.342787;
    const double res = 156543.03392800014 / 8;  // level 3
    json q = get_json("/arcgis/rest/services/Maps/Streets/MapServer/0/query?outFields=POPULATION&f=json");
    for (const auto& f : q["features"]) {
        const double lon = f["geometry"]["x"], lat = f["geometry"]["y"];
        if (f["attributes"]["POPULATION"].get<int>() < 950000 || std::abs(lat) > 70) continue;
        const double col = (lon * kR * kPi / 180 + kO) / res;
        const double row = (kO - kR * std::log(std::tan(kPi / 4 + lat * kPi / 360))) / res;
        const int px = static_cast<int>(col) % 256, py = static_cast<int>(row) % 256;
        if (px < 130 || px > 250 || py < 60 || py > 250) continue;  // clear of the stamp and the frame
        DecodedPng t = decode_png(http_get(port(), fmt::format("/arcgis/rest/services/Maps/Streets/MapServer/tile/3/{}/{}",
                                                               static_cast<int>(row) / 256, static_cast<int>(col) / 256))
                                      .body);
        ASSERT_TRUE(t.ok) << t.error;
        EXPECT_EQ(t.pixel(px, py), (std::array<std::uint8_t, 3>{70, 34, 34})) << lon << "," << lat;
        return;
    }
    FAIL() << "no big city to look for";
}

TEST(SimCatalog, TilingMustBeKnownAndOnAMapServer) {
    EXPECT_TRUE(Catalog::parse("services:\n  - {name: A, type: MapServer, tiling: web_mercator}\n", "c.yaml")
                    .services[0]
                    .web_mercator);
    for (const char* bad : {"services:\n  - {name: A, type: MapServer, tiling: utm}\n",
                            "services:\n  - {name: A, type: FeatureServer, tiling: wgs84}\n"}) {
        try {
            Catalog::parse(bad, "c.yaml");
            ADD_FAILURE() << "accepted: " << bad;
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find("tiling"), std::string::npos) << e.what();
        }
    }
}

TEST(SimTiles, CacheIsBoundedInBytes) {
    TileCache cache(1000);
    for (int i = 0; i < 10; ++i) cache.insert("t" + std::to_string(i), std::make_shared<const std::string>(300, 'x'));
    EXPECT_LE(cache.bytes(), 1000u);
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_EQ(cache.find("t0"), nullptr);  // the oldest went first
    ASSERT_NE(cache.find("t9"), nullptr);
    cache.insert("big", std::make_shared<const std::string>(2000, 'x'));  // larger than the whole cache
    EXPECT_EQ(cache.find("big"), nullptr);
    EXPECT_EQ(cache.size(), 3u);
}

}  // namespace
}  // namespace gisgate::sim::testing
