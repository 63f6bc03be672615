// Catalog reads against in-process sim sites (root + folders, sorting, description hashes, dead ports, hung
// sites, cancellation), plus the socket-free parts: ArcGIS error bodies, listings, canonical hashes, contexts.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "gis/catalog.hpp"
#include "gis/catalog_json.hpp"
#include "gis/catalog_request.hpp"
#include "health/check_response.hpp"
#include "sim_sites.hpp"
#include "support/http_client.hpp"

namespace gisgate::gis {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::SimSite;

awaitable<void> run_fetch(CatalogRequest request, std::string* error, std::optional<Catalog>* out) {
    std::optional<Catalog> result = co_await fetch_catalog(std::move(request), *error);
    *out = std::move(result);
}

CatalogRequest request_for(int port, bool with_descriptions) {
    CatalogRequest request;
    request.endpoints.emplace_back(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    request.host = "127.0.0.1:" + std::to_string(port);
    request.with_descriptions = with_descriptions;
    request.timeout = 5s;
    return request;
}

// Runs one fetch on its own io_context.
std::optional<Catalog> fetch(CatalogRequest request, std::string& error) {
    asio::io_context io;
    std::optional<Catalog> result;
    asio::co_spawn(io, run_fetch(std::move(request), &error, &result), asio::detached);
    io.run();
    return result;
}

std::vector<std::pair<std::string, std::string>> names(const Catalog& catalog) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& e : catalog.services) out.emplace_back(e.name, e.type);
    return out;
}

const CatalogEntry* find(const Catalog& catalog, const std::string& name, const std::string& type) {
    for (const auto& e : catalog.services)
        if (e.name == name && e.type == type) return &e;
    return nullptr;
}

TEST(CatalogFetch, ReadsRootAndFoldersSortedByNameAndType) {
    SimSite site("cat-a", testing::kBaseCatalog);
    std::string error;
    const auto catalog = fetch(request_for(site.port(), false), error);
    ASSERT_TRUE(catalog) << error;
    EXPECT_EQ(error, "");
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"Geocode/World", "GeocodeServer"},
        {"Maps/Parcels", "FeatureServer"},
        {"Maps/Streets", "MapServer"},
        {"SampleWorldCities", "MapServer"},
    };
    EXPECT_EQ(names(*catalog), expected);
    for (const auto& e : catalog->services) EXPECT_EQ(e.description_hash, "") << e.name;
}

TEST(CatalogFetch, BuiltInCatalogListsEveryFolder) {
    // The sim's built-in catalog: a service with two types in one folder, and several folders.
    sim::SimOptions options;
    options.listen = "127.0.0.1:0";
    options.name = "cat-builtin";
    options.threads = 1;
    sim::SimServer server(options);
    std::string error;
    const auto catalog = fetch(request_for(server.port(), false), error);
    ASSERT_TRUE(catalog) << error;
    EXPECT_NE(find(*catalog, "Maps/Parcels", "FeatureServer"), nullptr);
    EXPECT_NE(find(*catalog, "Maps/Parcels", "MapServer"), nullptr);
    EXPECT_NE(find(*catalog, "Analysis/Buffer", "GPServer"), nullptr);
    EXPECT_NE(find(*catalog, "Utilities/PrintingTools", "GPServer"), nullptr);
    EXPECT_NE(find(*catalog, "SampleWorldCities", "MapServer"), nullptr);
}

TEST(CatalogFetch, DescriptionsAreHashedAndEqualForIdenticalSites) {
    SimSite a("cat-hash-a", testing::kBaseCatalog);
    SimSite b("cat-hash-b", testing::kBaseCatalog);
    std::string changed = testing::kBaseCatalog;
    changed.replace(changed.find("[Roads, Labels]"), 15, "[Roads, Labels, Rail]");
    SimSite c("cat-hash-c", changed);

    std::string error;
    const auto ca = fetch(request_for(a.port(), true), error);
    ASSERT_TRUE(ca) << error;
    const auto cb = fetch(request_for(b.port(), true), error);
    ASSERT_TRUE(cb) << error;
    const auto cc = fetch(request_for(c.port(), true), error);
    ASSERT_TRUE(cc) << error;

    ASSERT_EQ(ca->services.size(), 4u);
    for (const auto& e : ca->services) {
        EXPECT_EQ(e.description_hash.size(), 64u) << e.name;
        EXPECT_EQ(e.description_hash.find_first_not_of("0123456789abcdef"), std::string::npos) << e.name;
    }
    // Different services have different descriptions.
    EXPECT_NE(find(*ca, "Maps/Streets", "MapServer")->description_hash,
              find(*ca, "SampleWorldCities", "MapServer")->description_hash);
    // Identical sites (on other ports, with other names) hash identically.
    for (std::size_t i = 0; i < ca->services.size(); ++i)
        EXPECT_EQ(ca->services[i].description_hash, cb->services[i].description_hash) << ca->services[i].name;
    // One more layer changes that service's hash only.
    ASSERT_EQ(names(*ca), names(*cc));
    for (std::size_t i = 0; i < ca->services.size(); ++i) {
        if (ca->services[i].name == "Maps/Streets")
            EXPECT_NE(ca->services[i].description_hash, cc->services[i].description_hash);
        else
            EXPECT_EQ(ca->services[i].description_hash, cc->services[i].description_hash) << ca->services[i].name;
    }
}

TEST(CatalogFetch, DeadPortFailsWithConnectError) {
    int port = 0;
    {
        SimSite site("cat-dead", testing::kBaseCatalog);
        port = site.port();
    }  // stopped: nothing listens there any more
    std::string error;
    const auto catalog = fetch(request_for(port, true), error);
    EXPECT_FALSE(catalog);
    EXPECT_NE(error.find("connect"), std::string::npos) << error;
    EXPECT_NE(error.find("/arcgis/rest/services?f=json"), std::string::npos) << error;
}

TEST(CatalogFetch, WrongContextFailsWithHttpStatus) {
    SimSite site("cat-context", testing::kBaseCatalog);
    CatalogRequest request = request_for(site.port(), false);
    request.context = "/server";
    std::string error;
    const auto catalog = fetch(std::move(request), error);
    EXPECT_FALSE(catalog);
    EXPECT_NE(error.find("HTTP 404"), std::string::npos) << error;
}

TEST(CatalogFetch, HungSiteTimesOut) {
    SimSite site("cat-hang", testing::kBaseCatalog);
    test::HttpClient client(site.port());
    ASSERT_EQ(client.request("POST", "/sim/fault?mode=hang").status, 200);
    CatalogRequest request = request_for(site.port(), false);
    request.timeout = 300ms;
    std::string error;
    const auto started = std::chrono::steady_clock::now();
    const auto catalog = fetch(std::move(request), error);
    EXPECT_FALSE(catalog);
    EXPECT_NE(error.find("timeout after 300 ms"), std::string::npos) << error;
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

TEST(CatalogFetch, CancelEndsAFetchInFlight) {
    SimSite site("cat-cancel", testing::kBaseCatalog);
    test::HttpClient client(site.port());
    ASSERT_EQ(client.request("POST", "/sim/fault?mode=hang").status, 200);
    CatalogRequest request = request_for(site.port(), true);
    request.timeout = 60s;
    request.cancel = std::make_shared<CatalogCancel>();
    const std::shared_ptr<CatalogCancel> cancel = request.cancel;

    asio::io_context io;
    std::string error;
    std::optional<Catalog> result;
    asio::co_spawn(io, run_fetch(std::move(request), &error, &result), asio::detached);
    asio::steady_timer timer(io);
    timer.expires_after(200ms);
    timer.async_wait([&](const error_code&) { cancel->cancel(); });
    const auto started = std::chrono::steady_clock::now();
    io.run();
    EXPECT_FALSE(result);
    EXPECT_EQ(error, "cancelled");
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);

    // A cancelled token fails later fetches at once.
    CatalogRequest again = request_for(site.port(), false);
    again.cancel = cancel;
    EXPECT_FALSE(fetch(std::move(again), error));
    EXPECT_EQ(error, "cancelled");
}

TEST(CatalogJson, ArcgisErrorBodiesAreErrors) {
    json doc;
    std::string error;
    EXPECT_FALSE(parse_arcgis_json(R"({"error":{"code":499,"message":"Token Required","details":[]}})", doc, error));
    EXPECT_EQ(error, "ArcGIS error 499: Token Required");
    EXPECT_FALSE(parse_arcgis_json(R"({"error":"weird"})", doc, error));
    EXPECT_EQ(error, "ArcGIS error: unknown error");
    EXPECT_FALSE(parse_arcgis_json("<html>not json</html>", doc, error));
    EXPECT_EQ(error, "bad JSON");
    EXPECT_FALSE(parse_arcgis_json("[1,2]", doc, error));
    EXPECT_EQ(error, "bad JSON: not an object");
    EXPECT_TRUE(parse_arcgis_json(R"({"services":[]})", doc, error));
}

TEST(CatalogJson, ListingPrefixesFolderAndSkipsJunk) {
    std::vector<std::string> folders;
    std::vector<CatalogEntry> services;
    std::string error;
    const json root = json::parse(R"({"folders":["Maps","",3,"a/b"],"services":[{"name":"Top","type":"MapServer"},
                                      {"name":"NoType"},{"name":"","type":"MapServer"},"junk"]})");
    ASSERT_TRUE(parse_listing(root, "", folders, services, error)) << error;
    EXPECT_EQ(folders, std::vector<std::string>{"Maps"});
    ASSERT_EQ(services.size(), 1u);
    EXPECT_EQ(services[0].name, "Top");

    const json folder = json::parse(R"({"services":[{"name":"Maps/Streets","type":"MapServer"},
                                        {"name":"Bare","type":"FeatureServer"}]})");
    ASSERT_TRUE(parse_listing(folder, "Maps", folders, services, error)) << error;
    ASSERT_EQ(services.size(), 3u);
    EXPECT_EQ(services[1].name, "Maps/Streets");
    EXPECT_EQ(services[2].name, "Maps/Bare");
    EXPECT_EQ(folders.size(), 1u);  // folders of a folder are not followed

    EXPECT_FALSE(parse_listing(json::parse(R"({"folders":[]})"), "", folders, services, error));
    EXPECT_NE(error.find("services"), std::string::npos);
}

TEST(CatalogJson, HashIsCanonical) {
    const json a = json::parse(R"({"b": 1, "a": {"y": [1, 2], "x": "s"}})");
    const json b = json::parse("{\"a\":{\"x\":\"s\",\"y\":[1,2]},\n \"b\":1}");
    const json c = json::parse(R"({"b": 1, "a": {"y": [2, 1], "x": "s"}})");
    EXPECT_EQ(description_hash(a), description_hash(b));
    EXPECT_NE(description_hash(a), description_hash(c));
    // A stream service's WebSocket URLs name each site's own machine: not a difference between sites.
    const json stream_a = json::parse(R"({"geometryType":"esriGeometryPoint","streamUrls":[{"urls":["ws://a:1/x"]}]})");
    const json stream_b = json::parse(R"({"geometryType":"esriGeometryPoint","streamUrls":[{"urls":["ws://b:2/x"]}]})");
    EXPECT_EQ(description_hash(stream_a), description_hash(stream_b));
    // SHA-256 of "{}".
    EXPECT_EQ(description_hash(json::object()), "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
}

TEST(CatalogJson, PathsArePercentEncoded) {
    EXPECT_EQ(encode_path("Maps/Streets"), "Maps/Streets");
    EXPECT_EQ(encode_path("My Folder/Svc#1"), "My%20Folder/Svc%231");
}

TEST(CatalogBody, LargerCapsKeepWholeBodiesAndFlagTruncation) {
    // Catalog reads use health::ResponseCollector with a larger cap than health checks and must know when a
    // body was cut (a truncated catalog would parse as bad JSON at best).
    const std::string body(100 * 1024, 'x');
    health::ResponseCollector whole(kMaxCatalogBody);
    EXPECT_EQ(whole.append(fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{}", body.size(), body)),
              health::ResponseCollector::Status::complete);
    EXPECT_EQ(whole.body().size(), body.size());
    EXPECT_FALSE(whole.body_truncated());

    health::ResponseCollector capped(1000);
    EXPECT_EQ(capped.append(fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{}", body.size(), body)),
              health::ResponseCollector::Status::complete);
    EXPECT_EQ(capped.body().size(), 1000u);
    EXPECT_TRUE(capped.body_truncated());

    health::ResponseCollector chunked(1000);
    EXPECT_EQ(chunked.append("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
              health::ResponseCollector::Status::complete);
    EXPECT_EQ(chunked.body(), "hello");
    EXPECT_FALSE(chunked.body_truncated());

    health::ResponseCollector default_cap;  // health checks: unchanged
    default_cap.append(fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{}", body.size(), body));
    EXPECT_EQ(default_cap.body().size(), health::ResponseCollector::kMaxBody);
    EXPECT_TRUE(default_cap.body_truncated());
}

TEST(CatalogRequestTest, ContextComesFromTheHealthPath) {
    EXPECT_EQ(site_context("/arcgis/rest/info/healthcheck"), "/arcgis");
    EXPECT_EQ(site_context("/server/rest/info/healthcheck?f=json"), "/server");
    EXPECT_EQ(site_context("/rest/info/healthcheck"), "");
    EXPECT_EQ(site_context(""), "/arcgis");
    EXPECT_EQ(site_context("/"), "/arcgis");

    balance::ServerRuntime server;
    server.name = "a";
    server.address = config::Endpoint{"127.0.0.1", 6081};
    config::PoolConfig pool;
    pool.health.path = "/gis/rest/info/healthcheck";
    pool.health.timeout = 1s;
    const CatalogRequest request = catalog_request(server, pool, true);
    EXPECT_EQ(request.context, "/gis");
    EXPECT_EQ(request.host, "127.0.0.1:6081");
    EXPECT_TRUE(request.with_descriptions);
    EXPECT_GE(request.timeout, 5s);  // catalogs are heavier than health checks
}

}  // namespace
}  // namespace gisgate::gis
