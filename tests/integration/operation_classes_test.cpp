// Operation classes end to end: a site saturated by heavy geoprocessing executes still answers a tile at once,
// because heavy work holds at most its share of the server's slots; the queue, /metrics and the status API
// show each class.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <future>
#include <thread>

#include "integration/proxy_fixture.hpp"

namespace gisgate::test {
namespace {

constexpr const char* kClassExecute = "/arcgis/rest/services/Utilities/PrintingTools/GPServer/ExportWebMap/execute?f=json";
constexpr const char* kClassTile = "/arcgis/rest/services/SampleWorldCities/MapServer/tile/2/1/1";

nlohmann::json class_status(int admin, const char* cls) {
    const auto st = nlohmann::json::parse(http_get(admin, "/api/v1/status").body, nullptr, false);
    if (st.is_discarded() || !st.contains("pools")) return nlohmann::json::object();
    return st["pools"][0]["classes"][cls];
}

TEST(OperationClasses, ATileIsServedAtOnceWhileHeavyWorkSaturatesTheSite) {
    // Each execute keeps one of the site's two instances busy for 3 s.
    Sim a = start_sim("a", {"--instances", "2", "--execute-time", "3s"});
    Proxy proxy = start_proxy(basic_config({&a}, "    max_active_per_server: 2\n"
                                                 "    queue: { max: 50, timeout: 60s }\n",
                                           "", kAdmin));
    ASSERT_NE(proxy.port, 0);
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);

    // A live site serves map requests too: the heavy share binds only for a pool that sees other classes.
    ASSERT_EQ(http_get(proxy.port, kClassTile).status, 200);
    // Three executes: heavy may hold 1 of the 2 slots, so one runs and two wait.
    std::vector<std::future<HttpResponse>> heavy;
    for (int i = 0; i < 3; ++i)
        heavy.push_back(std::async(std::launch::async, [&] { return http_get(proxy.port, kClassExecute); }));
    ASSERT_TRUE(eventually([&] {
        const auto h = class_status(admin, "heavy");
        return h.value("in_flight", 0) == 1 && h.value("queued", 0) == 2;
    })) << class_status(admin, "heavy").dump();
    EXPECT_EQ(class_status(admin, "heavy")["limit_per_server"], 1);

    // The free slot is the tile's: it is answered while the first execute still runs (it runs 3 s).
    const HttpResponse tile = http_get(proxy.port, kClassTile);
    EXPECT_EQ(tile.status, 200);
    const auto h = class_status(admin, "heavy");
    EXPECT_EQ(h.value("in_flight", 0), 1) << "answered while the first execute was still running";
    EXPECT_EQ(h.value("queued", 0), 2);

    for (auto& f : heavy) EXPECT_EQ(f.get().status, 200) << "the heavy requests are served in turn";
    const auto stats = nlohmann::json::parse(http_get(a.port, "/sim/stats").body);
    EXPECT_LE(stats["max_active"].get<int>(), 2);

    std::string metrics;
    // Counted after the answer is written: wait for the last execute's count.
    ASSERT_TRUE(eventually([&] {
        metrics = http_get(admin, "/metrics").body;
        return metrics.find("gisgate_class_requests_total{pool=\"gis\",op_class=\"heavy\",class=\"2xx\"} 3\n") !=
                   std::string::npos &&
               metrics.find("gisgate_class_request_duration_seconds_count{pool=\"gis\",op_class=\"heavy\"} 3\n") !=
                   std::string::npos;
    })) << metrics;
    EXPECT_NE(metrics.find("gisgate_class_requests_total{pool=\"gis\",op_class=\"heavy\",class=\"2xx\"} 3"),
              std::string::npos)
        << metrics;
    EXPECT_NE(metrics.find("gisgate_class_requests_total{pool=\"gis\",op_class=\"interactive\",class=\"2xx\"} 2"),
              std::string::npos);
    EXPECT_NE(metrics.find("gisgate_class_limit{pool=\"gis\",op_class=\"heavy\"} 1"), std::string::npos);
    EXPECT_NE(metrics.find("gisgate_class_request_duration_seconds_count{pool=\"gis\",op_class=\"heavy\"} 3"),
              std::string::npos);
}

TEST(OperationClasses, AClassTimesOutOnItsOwnQueueTimeoutWith503AndRetryAfter) {
    Sim a = start_sim("a", {"--instances", "1", "--execute-time", "3s"});
    Proxy proxy = start_proxy(basic_config({&a}, "    max_active_per_server: 1\n"
                                                 "    queue: { max: 50, timeout: 60s }\n"
                                                 "    class_queue: { heavy: { timeout: 200ms } }\n",
                                           "", kAdmin));
    ASSERT_NE(proxy.port, 0);
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_EQ(http_get(proxy.port, kClassTile).status, 200);  // other classes come: heavy's share binds
    // The tile's slot is given back after its answer is written: the execute must find it free (200 ms queue).
    ASSERT_TRUE(eventually([&] { return class_status(admin, "interactive").value("in_flight", -1) == 0; }));
    auto first = std::async(std::launch::async, [&] { return http_get(proxy.port, kClassExecute); });
    ASSERT_TRUE(eventually([&] { return class_status(admin, "heavy").value("in_flight", 0) == 1; }));
    const HttpResponse second = http_get(proxy.port, kClassExecute);
    EXPECT_EQ(second.status, 503);
    EXPECT_FALSE(second.header("Retry-After").empty());
    EXPECT_NE(second.body.find("busy for heavy requests"), std::string::npos) << second.body;
    EXPECT_EQ(class_status(admin, "heavy")["rejections"], 1);
    EXPECT_EQ(first.get().status, 200);
}

}  // namespace
}  // namespace gisgate::test
