// The tile cache end to end: real sims and a real gisgate. What the sims count tells how many requests reached
// a server; X-Cache tells what gisgate did.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <future>
#include <thread>

#include "integration/proxy_fixture.hpp"

namespace gisgate::test {
namespace {

constexpr const char* kTile = "/arcgis/rest/services/SampleWorldCities/MapServer/tile/2/1/1";

const std::string kCachedPool =
    "    health: { enabled: false }\n"
    "    cache: { memory: 64MB, paths: [\"*/MapServer/tile/*\", \"*/ImageServer/tile/*\"] }\n";

long sim_requests(const Sim& sim) {
    const auto stats = nlohmann::json::parse(http_get(sim.port, "/sim/stats").body, nullptr, false);
    return stats.is_discarded() ? -1 : stats["requests"].get<long>();
}

long metric(int admin_port, const std::string& line_prefix) {
    const std::string text = http_get(admin_port, "/metrics").body;
    const auto at = text.find("\n" + line_prefix + " ");
    if (at == std::string::npos) return -1;
    return std::stol(text.substr(at + line_prefix.size() + 2));
}

std::string admin_top(const std::string& extra = "") { return "admin: { bind: 127.0.0.1:0, token: t }\n" + extra; }

TEST(TileCache, SecondRequestIsAHitThatNoServerSees) {
    Sim a = start_sim("a");
    Proxy proxy = start_proxy(basic_config({&a}, kCachedPool));
    ASSERT_NE(proxy.port, 0);
    HttpClient c(proxy.port);
    const auto first = c.request("GET", kTile);
    ASSERT_EQ(first.status, 200);
    EXPECT_EQ(first.header("X-Cache"), "MISS");
    EXPECT_FALSE(first.header("ETag").empty());
    const long after_first = sim_requests(a);
    EXPECT_EQ(after_first, 1);

    const auto second = c.request("GET", kTile);
    ASSERT_EQ(second.status, 200);
    EXPECT_EQ(second.header("X-Cache"), "HIT");
    EXPECT_EQ(second.body, first.body);
    EXPECT_EQ(second.header("ETag"), first.header("ETag"));
    EXPECT_EQ(second.header("Content-Type"), "image/png");
    EXPECT_FALSE(second.header("Age").empty());
    EXPECT_EQ(sim_requests(a), after_first) << "a hit must not reach the server";

    const auto head = c.request("HEAD", kTile);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("X-Cache"), "HIT");
    EXPECT_EQ(head.header("Content-Length"), std::to_string(first.body.size()));

    // The client's own validators are answered from the cache.
    const auto not_modified = c.request("GET", kTile, {{"If-None-Match", first.header("ETag")}});
    EXPECT_EQ(not_modified.status, 304);
    EXPECT_EQ(not_modified.header("X-Cache"), "HIT");
    EXPECT_TRUE(not_modified.body.empty());
    EXPECT_EQ(sim_requests(a), after_first);

    // Paths outside `paths` are not cached and carry no X-Cache.
    const auto info = c.request("GET", "/arcgis/rest/info?f=json");
    EXPECT_EQ(info.status, 200);
    EXPECT_EQ(info.header("X-Cache"), "");
}

TEST(TileCache, CredentialsAndNoStoreAreNeverServedFromTheCache) {
    Sim a = start_sim("a");
    Proxy proxy = start_proxy(basic_config({&a}, kCachedPool));
    ASSERT_NE(proxy.port, 0);
    HttpClient c(proxy.port);
    ASSERT_EQ(c.request("GET", kTile).status, 200);  // cached now
    const long before = sim_requests(a);

    const auto with_auth = c.request("GET", kTile, {{"Authorization", "Bearer secret"}});
    EXPECT_EQ(with_auth.header("X-Cache"), "MISS");
    const auto with_token = c.request("GET", std::string(kTile) + "?token=abc");
    EXPECT_EQ(with_token.header("X-Cache"), "MISS");
    const auto no_store = c.request("GET", kTile, {{"Cache-Control", "no-store"}});
    EXPECT_EQ(no_store.header("X-Cache"), "MISS");
    EXPECT_EQ(sim_requests(a), before + 3);
    EXPECT_EQ(c.request("GET", std::string(kTile) + "?token=abc").header("X-Cache"), "MISS")
        << "a token request's answer is not stored either";
}

// A tile fetched with a credential in any form is never stored, so the next request without one never gets
// it; and a credentialed request never gets an entry stored by another request.
TEST(TileCache, NoCredentialFormLeaksATileToAnotherUser) {
    Sim a = start_sim("a");
    Proxy proxy = start_proxy(basic_config({&a}, kCachedPool));
    ASSERT_NE(proxy.port, 0);
    const std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> forms = {
        {"?f=image", {{"X-Esri-Authorization", "Bearer user1"}}},
        {"?f=image&x=1", {{"Authorization", "Bearer user1"}}},
        {"?TOKEN=user1", {}},
        {"?%74oken=user1", {}},
        {"?f=image&x=2", {{"Cookie", "theme=dark; agstoken=user1"}}},
        {"?f=image&x=3", {{"Cookie", "esri_auth=%7B%22token%22%3A%22user1%22%7D"}}},
    };
    int round = 0;
    for (const auto& [query, headers] : forms) {
        // A tile of its own per form (a different tile row), first fetched WITH the credential.
        const std::string tile = "/arcgis/rest/services/SampleWorldCities/MapServer/tile/3/" + std::to_string(round++) +
                                 "/1";
        HttpClient c(proxy.port);
        const auto with = c.request("GET", tile + query, headers);
        EXPECT_EQ(with.status, 200) << query;
        EXPECT_EQ(with.header("X-Cache"), "MISS") << query;
        // The same URL without the credential (for the query forms: the tile without the token) must reach the
        // site, not a stored copy.
        const bool token_in_query = headers.empty();
        const std::string plain_target = token_in_query ? tile : tile + query;
        const long before = sim_requests(a);
        const auto without = c.request("GET", plain_target);
        EXPECT_EQ(without.header("X-Cache"), "MISS") << query << ": a credentialed answer was stored";
        EXPECT_EQ(sim_requests(a), before + 1) << query;
        // Now the plain tile is cached; a credentialed request must still not be served from it.
        ASSERT_EQ(c.request("GET", plain_target).header("X-Cache"), "HIT") << query;
        const long before_cred = sim_requests(a);
        EXPECT_EQ(c.request("GET", tile + query, headers).header("X-Cache"), "MISS") << query;
        EXPECT_EQ(sim_requests(a), before_cred + 1) << query;
    }
}

TEST(TileCache, ConcurrentMissesOfOneTileAreCoalesced) {
    Sim a = start_sim("a");
    Proxy proxy = start_proxy(basic_config({&a}, kCachedPool, "", admin_top()));
    ASSERT_NE(proxy.port, 0);
    const int admin = proxy.process->wait_for_port("admin");
    set_fault(a, "slow", 1500);
    const std::string tile = "/arcgis/rest/services/Maps/Streets/MapServer/tile/5/10/12";
    std::vector<std::future<HttpResponse>> responses;
    for (int i = 0; i < 8; ++i)
        responses.push_back(std::async(std::launch::async, [&] { return http_get(proxy.port, tile); }));
    std::string body;
    for (auto& f : responses) {
        const auto r = f.get();
        EXPECT_EQ(r.status, 200);
        if (body.empty()) body = r.body;
        EXPECT_EQ(r.body, body);
    }
    // One fetch per worker at most (each worker coalesces its own requests; the config has 2 workers).
    EXPECT_GE(sim_requests(a), 1);
    EXPECT_LE(sim_requests(a), 2);
    EXPECT_GE(metric(admin, "gisgate_cache_coalesced_total{pool=\"gis\"}"), 6);
}

TEST(TileCache, StaleEntryIsRevalidatedWithTheServer) {
    Sim a = start_sim("a", {"--tile-max-age", "1s"});
    Proxy proxy = start_proxy(basic_config({&a}, kCachedPool, "", admin_top()));
    ASSERT_NE(proxy.port, 0);
    const int admin = proxy.process->wait_for_port("admin");
    HttpClient c(proxy.port);
    const auto first = c.request("GET", kTile);
    ASSERT_EQ(first.header("X-Cache"), "MISS");
    // Once the entry is older than max-age, the next request asks the server with If-None-Match; the sim
    // answers 304 and the client still gets the full tile from the cache.
    ASSERT_TRUE(eventually([&] {
        const auto r = c.request("GET", kTile);
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, first.body);
        return metric(admin, "gisgate_cache_revalidated_total{pool=\"gis\"}") >= 1;
    }));
    EXPECT_EQ(metric(admin, "gisgate_cache_stored_total{pool=\"gis\"}"), 1)
        << "a revalidated entry is refreshed, not stored again";
}

TEST(TileCache, PurgeByPrefixThroughTheAdminApi) {
    Sim a = start_sim("a");
    Proxy proxy = start_proxy(basic_config({&a}, kCachedPool, "", admin_top()));
    ASSERT_NE(proxy.port, 0);
    const int admin = proxy.process->wait_for_port("admin");
    HttpClient c(proxy.port);
    const std::string streets = "/arcgis/rest/services/Maps/Streets/MapServer/tile/1/0/0";
    ASSERT_EQ(c.request("GET", kTile).header("X-Cache"), "MISS");
    ASSERT_EQ(c.request("GET", streets).header("X-Cache"), "MISS");
    ASSERT_EQ(c.request("GET", streets).header("X-Cache"), "HIT");

    HttpClient admin_client(admin);
    const auto unauthorized = admin_client.request("DELETE", "/api/v1/cache?prefix=/arcgis/rest/services/Maps");
    EXPECT_EQ(unauthorized.status, 401);
    const auto purged = admin_client.request("DELETE", "/api/v1/cache?prefix=/arcgis/rest/services/maps/",
                                             {{"Authorization", "Bearer t"}});
    ASSERT_EQ(purged.status, 200) << purged.body;
    EXPECT_EQ(nlohmann::json::parse(purged.body)["purged"], 1);
    EXPECT_EQ(c.request("GET", streets).header("X-Cache"), "MISS");
    EXPECT_EQ(c.request("GET", kTile).header("X-Cache"), "HIT") << "other services stay cached";

    const auto bad = admin_client.request("DELETE", "/api/v1/cache?prefix=nope", {{"Authorization", "Bearer t"}});
    EXPECT_EQ(bad.status, 400);
    const auto no_pool =
        admin_client.request("DELETE", "/api/v1/cache?prefix=/&pool=other", {{"Authorization", "Bearer t"}});
    EXPECT_EQ(no_pool.status, 404);
}

TEST(TileCache, BadCacheConfigIsALocatedError) {
    const std::string path = write_temp_file("cache-bad.yaml", R"(listeners:
  - name: public
    bind: 127.0.0.1:0
    routes: [ { prefix: /arcgis, pool: gis } ]
pools:
  - name: gis
    cache: { memory: 1MB, max_object: 2MB, paths: ["*/MapServer/tile/*"] }
    servers: [ { name: a, address: 127.0.0.1:1 } ]
)");
    auto check = ChildProcess::start({"check", "-c", path});
    EXPECT_EQ(check->wait_exit(), 2);
    EXPECT_NE(check->output().find(path + ":7:"), std::string::npos) << check->output();
    EXPECT_NE(check->output().find("max_object"), std::string::npos) << check->output();
}

}  // namespace
}  // namespace gisgate::test
