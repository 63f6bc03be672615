// Catalog files (YAML and JSON, one shape) and option errors.
#include "sim/catalog.hpp"

#include "sim_fixture.hpp"

namespace gisgate::sim::testing {
namespace {

using gisgate::test::write_temp_file;

const char* kYaml = R"(# a small site
services:
  - {name: Basemap, type: MapServer, layers: [Land, Water]}
folders:
  Transport:
    - {name: Rail, type: FeatureServer}
    - name: Transport/Roads
      type: mapserver
  Tools:
    - name: Jobs
      type: GPServer
      tasks:
        - {name: Crunch, execution: async, inputs: [Data]}
        - {name: Quick, execution: sync, output: Answer}
  Empty: []
)";

const char* kJson = R"({
  "services": [{"name": "Basemap", "type": "MapServer", "layers": ["Land", "Water"]}],
  "folders": {
    "Transport": [{"name": "Rail", "type": "FeatureServer"}, {"name": "Transport/Roads", "type": "mapserver"}],
    "Tools": [{"name": "Jobs", "type": "GPServer", "tasks": [
      {"name": "Crunch", "execution": "esriExecutionTypeAsynchronous", "inputs": ["Data"]},
      {"name": "Quick", "executionType": "esriExecutionTypeSynchronous", "output": "Answer"}]}],
    "Empty": []
  }
})";

void expect_custom_catalog(int port) {
    json root = parse_json(http_get(port, "/arcgis/rest/services?f=json"));
    EXPECT_EQ(root["folders"], json({"Transport", "Tools", "Empty"}));
    EXPECT_EQ(root["services"], json::parse(R"([{"name":"Basemap","type":"MapServer"}])"));
    json transport = parse_json(http_get(port, "/arcgis/rest/services/Transport?f=json"));
    EXPECT_EQ(transport["services"], json::parse(R"([{"name":"Transport/Rail","type":"FeatureServer"},
        {"name":"Transport/Roads","type":"MapServer"}])"));
    EXPECT_EQ(parse_json(http_get(port, "/arcgis/rest/services/Empty?f=json"))["services"], json::array());
    EXPECT_EQ(parse_json(http_get(port, "/arcgis/rest/services/Basemap/MapServer?f=json"))["layers"][1]["name"],
              "Water");
    EXPECT_EQ(parse_json(http_get(port, "/arcgis/rest/services/Tools/Jobs/GPServer?f=json"))["tasks"],
              json({"Crunch", "Quick"}));
    EXPECT_EQ(parse_json(http_get(port, "/arcgis/rest/services/Tools/Jobs/GPServer/Quick?f=json"))["executionType"],
              "esriExecutionTypeSynchronous");
    json quick = parse_json(http_get(port, "/arcgis/rest/services/Tools/Jobs/GPServer/Quick/execute?f=json"));
    EXPECT_EQ(quick["results"][0]["paramName"], "Answer");
    json crunch = parse_json(http_get(port, "/arcgis/rest/services/Tools/Jobs/GPServer/Crunch?f=json"));
    EXPECT_EQ(crunch["parameters"][0]["name"], "Data");
    // The built-in services are gone.
    EXPECT_EQ(http_get(port, "/arcgis/rest/services/Maps?f=json").status, 404);
}

TEST(SimCatalog, CustomCatalogFromYaml) {
    SimOptions o = local_options();
    o.catalog_file = write_temp_file("catalog.yaml", kYaml);
    SimServer server(o);
    expect_custom_catalog(server.port());
}

TEST(SimCatalog, CustomCatalogFromJson) {
    SimOptions o = local_options();
    o.catalog_file = write_temp_file("catalog.json", kJson);
    SimServer server(o);
    expect_custom_catalog(server.port());
}

// PUT /sim/catalog replaces what the running site publishes (a test's "upgrade" between rollout steps).
TEST(SimCatalog, PutReplacesTheCatalogWhileServing) {
    SimServer server(local_options());
    const int port = server.port();
    json before = parse_json(http_get(port, "/sim/catalog"));
    EXPECT_EQ(before["version"], 1);
    ASSERT_EQ(http_get(port, "/arcgis/rest/services/Maps/Streets/MapServer?f=json").status, 200);

    HttpClient c(port);
    HttpResponse put = c.request("PUT", "/sim/catalog", {{"Content-Type", "application/yaml"}}, kYaml);
    ASSERT_EQ(put.status, 200) << put.body;
    json after = parse_json(put);
    EXPECT_EQ(after["version"], 2);
    EXPECT_EQ(after["folders"], json({"Transport", "Tools", "Empty"}));
    EXPECT_EQ(after["services"][0], "Basemap (MapServer)");
    expect_custom_catalog(port);
    EXPECT_EQ(http_get(port, "/arcgis/rest/services/Maps/Streets/MapServer?f=json").status, 404);

    // JSON too; a bad catalog changes nothing and says why.
    HttpResponse again = c.request("PUT", "/sim/catalog", {{"Content-Type", "application/json"}}, kJson);
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(parse_json(again)["version"], 3);
    HttpResponse bad = c.request("PUT", "/sim/catalog", {}, "services: [{name: X, type: NoSuchServer}]");
    EXPECT_EQ(bad.status, 400);
    EXPECT_NE(bad.body.find("PUT /sim/catalog"), std::string::npos) << bad.body;
    EXPECT_EQ(parse_json(http_get(port, "/sim/catalog"))["version"], 3);
    expect_custom_catalog(port);
}

TEST(SimCatalog, BadCatalogsAreRejectedWithTheirName) {
    struct Case {
        const char* text;
        const char* message;
    } cases[] = {
        {"services: [{name: X, type: NoSuchServer}]", "unknown service type"},
        {"services: [{name: X}]", "needs name and type"},
        {"folders: [a, b]", "'folders' must map"},
        {"services: [{name: X, type: MapServer, tasks: [T]}]", "only a GPServer"},
        {"services: [{name: X, type: MapServer}, {name: x, type: MapServer}]", "duplicate service"},
        {"{\"services\": [", "invalid JSON"},
        {"bogus: 1", "unknown key"},
    };
    for (const auto& c : cases) {
        try {
            Catalog::parse(c.text, "test.yaml");
            ADD_FAILURE() << "accepted: " << c.text;
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("test.yaml"), std::string::npos) << e.what();
        }
    }
    SimOptions o = local_options();
    o.catalog_file = "/nonexistent/catalog.yaml";
    EXPECT_THROW(SimServer{o}, std::runtime_error);
}

TEST(SimOptionsErrors, BadListenAddressAndPortInUse) {
    SimOptions o = local_options();
    o.listen = "127.0.0.1:notaport";
    EXPECT_THROW(SimServer{o}, std::runtime_error);
    SimServer first(local_options());
    o.listen = first.address();
    EXPECT_THROW(SimServer{o}, std::runtime_error);
}

TEST(SimServerApi, ReportsItsAddress) {
    SimServer server(local_options("named"));
    EXPECT_GT(server.port(), 0);
    EXPECT_EQ(server.host(), "127.0.0.1");
    EXPECT_EQ(server.address(), "127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(server.name(), "named");
}

TEST(SimServerApi, ListensOnIpv6Loopback) {
    SimOptions o = local_options();
    o.listen = "[::1]:0";
    std::unique_ptr<SimServer> server;
    try {
        server = std::make_unique<SimServer>(o);
    } catch (const std::runtime_error& e) {
        GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
    }
    EXPECT_EQ(server->address(), "[::1]:" + std::to_string(server->port()));
    gisgate::test::HttpClient c(server->port(), "::1");
    EXPECT_EQ(c.request("GET", "/arcgis/rest/info/healthcheck").status, 200);
}

}  // namespace
}  // namespace gisgate::sim::testing
