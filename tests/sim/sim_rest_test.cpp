// The sim's REST surface: info, health, Services Directory, service resources, query, geocode, admin, and
// HTTP behaviour (HEAD, keep-alive, pipelining, gzip).
#include <zlib.h>

#include "sim_fixture.hpp"

namespace gisgate::sim::testing {
namespace {

TEST_F(SimTest, HealthcheckSucceedsAndNamesTheSite) {
    HttpResponse r = http_get(port(), "/arcgis/rest/info/healthcheck?f=json");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("X-Gisgate-Sim-Site"), "site-a");
    EXPECT_EQ(parse_json(r), json({{"success", true}}));
}

// As ArcGIS: the health check, rest/info and the Services Directory pages answer HTML unless f=json|pjson.
TEST_F(SimTest, DirectoryPagesAreHtmlUnlessFJson) {
    for (const char* path : {"/arcgis/rest/info/healthcheck", "/arcgis/rest/info", "/arcgis/rest/services",
                             "/arcgis/rest/services/Maps"}) {
        for (const char* query : {"", "?f=html", "?F=HTML"}) {
            const HttpResponse r = http_get(port(), std::string(path) + query);
            EXPECT_EQ(r.status, 200) << path << query;
            EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8") << path << query;
            EXPECT_NE(r.body.find("<html>"), std::string::npos) << path << query;
        }
        for (const char* query : {"?f=json", "?f=pjson", "?f=JSON"}) {
            const HttpResponse r = http_get(port(), std::string(path) + query);
            EXPECT_EQ(r.status, 200) << path << query;
            EXPECT_TRUE(parse_json(r).is_object()) << path << query;
        }
    }
    // Service resources default to JSON, as they do in ArcGIS clients' eyes (they always send f=json anyway).
    EXPECT_TRUE(parse_json(http_get(port(), "/arcgis/rest/services/Maps/Parcels/FeatureServer/0/query")).is_object());
}

TEST_F(SimTest, EveryResponseCarriesTheSiteHeader) {
    for (const char* target :
         {"/arcgis/rest/info?f=json", "/nope", "/arcgis/rest/services/Nope?f=json", "/sim/stats", "/arcgis/manager/"}) {
        HttpResponse r = http_get(port(), target);
        EXPECT_NE(r.status, 0) << target;
        EXPECT_EQ(r.header("X-Gisgate-Sim-Site"), "site-a") << target;
    }
}

TEST_F(SimTest, InfoDescribesTheSite) {
    json info = get_json("/arcgis/rest/info?f=json");
    EXPECT_TRUE(info["currentVersion"].is_number());
    EXPECT_TRUE(info["fullVersion"].is_string());
    EXPECT_EQ(info["authInfo"]["isTokenBasedSecurity"], false);
}

TEST_F(SimTest, RootListsFoldersAndRootServices) {
    json root = get_json("/arcgis/rest/services?f=json");
    EXPECT_TRUE(root["currentVersion"].is_number());
    EXPECT_EQ(root["folders"], json({"Maps", "Geocode", "Utilities", "Analysis", "Streams"}));
    EXPECT_EQ(root["services"], json::parse(R"([{"name":"SampleWorldCities","type":"MapServer"}])"));
    EXPECT_EQ(get_json("/arcgis/rest/services/?f=json"), root);
}

TEST_F(SimTest, FolderListsItsServicesWithFolderNames) {
    json maps = get_json("/arcgis/rest/services/Maps?f=json");
    EXPECT_EQ(maps["folders"], json::array());
    EXPECT_EQ(maps["services"], json::parse(R"([{"name":"Maps/Streets","type":"MapServer"},
        {"name":"Maps/Parcels","type":"FeatureServer"},{"name":"Maps/Parcels","type":"MapServer"}])"));
    json analysis = get_json("/arcgis/rest/services/Analysis?f=json");
    EXPECT_EQ(analysis["services"], json::parse(R"([{"name":"Analysis/Buffer","type":"GPServer"}])"));
}

TEST_F(SimTest, UnknownFolderAndServiceAreArcgisErrors) {
    HttpResponse r = http_get(port(), "/arcgis/rest/services/NoSuchFolder?f=json");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(parse_json(r), json::parse(R"({"error":{"code":404,"message":"Folder not found","details":[]}})"));

    r = http_get(port(), "/arcgis/rest/services/Maps/Nope/MapServer?f=json");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(parse_json(r)["error"]["code"], 404);
    // Right name, wrong type.
    EXPECT_EQ(http_get(port(), "/arcgis/rest/services/Maps/Streets/FeatureServer?f=json").status, 404);
    // Unknown operation under a real service.
    r = http_get(port(), "/arcgis/rest/services/Maps/Streets/MapServer/bogus?f=json");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(parse_json(r)["error"]["code"], 404);
    EXPECT_EQ(parse_json(http_get(port(), "/arcgis/rest/whatever"))["error"]["code"], 404);
}

TEST_F(SimTest, OtherPathsArePlain404) {
    for (const char* target : {"/", "/favicon.ico", "/server/rest/services", "/arcgis/other"}) {
        HttpResponse r = http_get(port(), target);
        EXPECT_EQ(r.status, 404) << target;
        EXPECT_EQ(r.header("Content-Type").rfind("text/plain", 0), 0u) << target;
    }
}

TEST_F(SimTest, MapServiceDescription) {
    json d = get_json("/arcgis/rest/services/SampleWorldCities/MapServer?f=json");
    EXPECT_EQ(d["layers"].size(), 3u);
    EXPECT_EQ(d["layers"][0]["name"], "Cities");
    EXPECT_EQ(d["spatialReference"]["wkid"], 4326);
    EXPECT_TRUE(d.contains("tileInfo"));
    EXPECT_TRUE(d.contains("fullExtent"));
    // Names and types match case-insensitively, as on ArcGIS.
    EXPECT_EQ(get_json("/arcgis/rest/services/maps/streets/mapserver?f=json")["layers"][0]["name"], "Roads");
    json layer = get_json("/arcgis/rest/services/Maps/Parcels/FeatureServer/0?f=json");
    EXPECT_EQ(layer["name"], "Parcels");
    EXPECT_EQ(layer["objectIdField"], "OBJECTID");
    EXPECT_EQ(http_get(port(), "/arcgis/rest/services/Maps/Parcels/FeatureServer/7?f=json").status, 404);
}

TEST_F(SimTest, PjsonAndHtmlFormats) {
    HttpResponse r = http_get(port(), "/arcgis/rest/info?f=pjson");
    EXPECT_NE(r.body.find("\n"), std::string::npos);
    EXPECT_TRUE(parse_json(r).contains("currentVersion"));
    r = http_get(port(), "/arcgis/rest/services?f=html");
    EXPECT_EQ(r.header("Content-Type").rfind("text/html", 0), 0u);
}

TEST_F(SimTest, QueryGetReturnsDeterministicFeatures) {
    const std::string q = "/arcgis/rest/services/Maps/Parcels/FeatureServer/0/query?where=1%3D1&outFields=*&f=json";
    json a = get_json(q);
    EXPECT_EQ(a["objectIdFieldName"], "OBJECTID");
    EXPECT_EQ(a["geometryType"], "esriGeometryPoint");
    EXPECT_EQ(a["spatialReference"]["wkid"], 4326);
    EXPECT_EQ(a["fields"].size(), 4u);
    // Without resultRecordCount: up to maxRecordCount (2000), as ArcGIS, and the rest is announced.
    ASSERT_EQ(a["features"].size(), 2000u);
    EXPECT_EQ(a["exceededTransferLimit"], true);
    EXPECT_EQ(a["features"][0]["attributes"]["OBJECTID"], 1);
    EXPECT_TRUE(a["features"][0]["geometry"]["x"].is_number());
    EXPECT_EQ(get_json(q), a);

    EXPECT_EQ(get_json(q + "&resultRecordCount=25")["features"].size(), 25u);
    EXPECT_EQ(get_json(q + "&resultRecordCount=5000")["features"].size(), 2000u);
    json names = get_json(
        "/arcgis/rest/services/Maps/Parcels/FeatureServer/0/"
        "query?outFields=NAME&resultRecordCount=2&returnGeometry=false&f=json");
    ASSERT_EQ(names["features"].size(), 2u);
    EXPECT_EQ(names["features"][1]["attributes"], json({{"NAME", "Parcels 2"}}));
    EXPECT_FALSE(names["features"][1].contains("geometry"));
    EXPECT_EQ(get_json("/arcgis/rest/services/Maps/Parcels/FeatureServer/0/query?where=1=0&f=json")["features"].size(),
              0u);
    EXPECT_EQ(get_json("/arcgis/rest/services/Maps/Parcels/FeatureServer/0/query?returnCountOnly=true&f=json")["count"],
              10000);
    // The MapServer's layers answer queries too.
    EXPECT_EQ(get_json("/arcgis/rest/services/SampleWorldCities/MapServer/0/query?f=json")["features"].size(), 2000u);
}

TEST_F(SimTest, QueryPostForm) {
    HttpResponse r = post_form(port(), "/arcgis/rest/services/Maps/Parcels/FeatureServer/0/query",
                               "where=1%3D1&outFields=OBJECTID%2CNAME&resultRecordCount=3&f=json");
    ASSERT_EQ(r.status, 200);
    json j = parse_json(r);
    ASSERT_EQ(j["features"].size(), 3u);
    EXPECT_EQ(j["features"][2]["attributes"]["OBJECTID"], 3);
    EXPECT_EQ(j["features"][2]["attributes"]["NAME"], "Parcels 3");
    EXPECT_FALSE(j["features"][2]["attributes"].contains("POPULATION"));
    EXPECT_EQ(j["fields"].size(), 2u);
    // Unknown field: an ArcGIS 400 error (with HTTP 200).
    r = post_form(port(), "/arcgis/rest/services/Maps/Parcels/FeatureServer/0/query", "outFields=NOPE&f=json");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(parse_json(r)["error"]["code"], 400);
}

TEST_F(SimTest, GeocodeFindsCandidates) {
    json c = get_json(
        "/arcgis/rest/services/Geocode/World/GeocodeServer/"
        "findAddressCandidates?SingleLine=380+New+York+St&f=json&outFields=*");
    ASSERT_GE(c["candidates"].size(), 1u);
    EXPECT_EQ(c["candidates"][0]["address"], "380 New York St");
    EXPECT_EQ(c["candidates"][0]["score"], 100);
    EXPECT_TRUE(c["candidates"][0]["location"]["x"].is_number());
    EXPECT_EQ(c["spatialReference"]["wkid"], 4326);
    EXPECT_EQ(get_json("/arcgis/rest/services/Geocode/World/GeocodeServer/"
                       "findAddressCandidates?SingleLine=380+New+York+St&f=json&outFields=*"),
              c);
    EXPECT_EQ(get_json("/arcgis/rest/services/Geocode/World/GeocodeServer/"
                       "findAddressCandidates?SingleLine=x&maxLocations=1&f=json")["candidates"]
                  .size(),
              1u);
    EXPECT_TRUE(
        get_json("/arcgis/rest/services/Geocode/World/GeocodeServer?f=json").contains("singleLineAddressField"));
}

TEST_F(SimTest, AdminAndManagerSurfaces) {
    json admin = get_json("/arcgis/admin/?f=json");
    EXPECT_EQ(admin["resources"], json({"machines", "clusters", "services"}));
    EXPECT_EQ(get_json("/arcgis/admin/machines?f=json")["machines"][0]["machineName"], "site-a-machine");
    HttpResponse r = http_get(port(), "/arcgis/manager/");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Type").rfind("text/html", 0), 0u);
    EXPECT_NE(r.body.find("site-a"), std::string::npos);
}

TEST_F(SimTest, HeadAnswersLikeGetWithoutBody) {
    HttpResponse get = http_get(port(), "/arcgis/rest/services?f=json");
    HttpClient c(port());
    HttpResponse head = c.request("HEAD", "/arcgis/rest/services?f=json");
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.body, "");
    EXPECT_EQ(head.header("Content-Length"), std::to_string(get.body.size()));
    // The connection is still usable: HEAD left no stray body bytes.
    EXPECT_EQ(c.request("GET", "/arcgis/rest/info/healthcheck").status, 200);
}

TEST_F(SimTest, KeepAliveAndPipelining) {
    HttpClient c(port());
    int local = c.local_port();
    EXPECT_EQ(c.request("GET", "/arcgis/rest/info?f=json").status, 200);
    EXPECT_EQ(c.request("GET", "/arcgis/rest/services?f=json").status, 200);
    EXPECT_EQ(c.local_port(), local);
    std::string two =
        "GET /arcgis/rest/info/healthcheck?f=json HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /arcgis/rest/services/Maps?f=json HTTP/1.1\r\nHost: x\r\n\r\n";
    c.send_raw(two);
    HttpResponse first = c.read_response();
    HttpResponse second = c.read_response();
    EXPECT_EQ(parse_json(first)["success"], true);
    EXPECT_EQ(parse_json(second)["services"].size(), 3u);
    // Connection: close is honoured.
    HttpResponse last = c.request("GET", "/arcgis/rest/info?f=json", {{"Connection", "close"}});
    EXPECT_EQ(last.status, 200);
    EXPECT_TRUE(c.closed_by_peer(2s));
}

TEST_F(SimTest, ExpectContinueGetsInterimResponse) {
    HttpClient c(port());
    std::string body = "where=1%3D1&resultRecordCount=2&f=json";
    c.send_raw(
        "POST /arcgis/rest/services/Maps/Parcels/FeatureServer/0/query HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nExpect: 100-continue\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n");
    HttpResponse interim = c.read_response();
    EXPECT_EQ(interim.status, 100);
    c.send_raw(body);
    HttpResponse final_response = c.read_response();
    EXPECT_EQ(final_response.status, 200);
    EXPECT_EQ(parse_json(final_response)["features"].size(), 2u);
}

TEST_F(SimTest, GzipForClientsThatAcceptIt) {
    HttpResponse plain = http_get(port(), "/arcgis/rest/services/SampleWorldCities/MapServer?f=json");
    HttpResponse zipped = http_get(port(), "/arcgis/rest/services/SampleWorldCities/MapServer?f=json",
                                   {{"Accept-Encoding", "gzip, deflate"}});
    EXPECT_EQ(plain.header("Content-Encoding"), "");
    ASSERT_EQ(zipped.header("Content-Encoding"), "gzip");
    EXPECT_EQ(zipped.header("Vary"), "Accept-Encoding");
    ASSERT_GE(zipped.body.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(zipped.body[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(zipped.body[1]), 0x8b);
    // Inflate and compare.
    z_stream zs{};
    ASSERT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
    std::string out(plain.body.size() + 16, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(zipped.body.data());
    zs.avail_in = static_cast<uInt>(zipped.body.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    inflateEnd(&zs);
    EXPECT_EQ(out, plain.body);
}

TEST_F(SimTest, UnsupportedMethods) {
    HttpClient c(port());
    HttpResponse r = c.request("DELETE", "/arcgis/rest/services");
    EXPECT_EQ(r.status, 405);
    EXPECT_NE(r.header("Allow").find("GET"), std::string::npos);
}

TEST_F(SimTest, OversizedBodyIsRefused) {
    HttpClient c(port());
    c.send_raw("POST /arcgis/rest/services HTTP/1.1\r\nHost: x\r\nContent-Length: 20000000\r\n\r\n");
    HttpResponse r = c.read_response(false, 5s);
    EXPECT_EQ(r.status, 413);
}

}  // namespace
}  // namespace gisgate::sim::testing
