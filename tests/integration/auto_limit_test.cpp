// `max_active_per_server: auto` end to end: a sim with two service instances under a closed loop of 16 clients
// (each request ~50 ms through the sim's `slow` fault) gets a limit of 2 or 3; when the site slows down the limit
// drops, and it grows again when the site recovers. Status API and /metrics show it.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "integration/load.hpp"
#include "integration/proxy_fixture.hpp"

namespace gisgate::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAutoLimitTile = "/arcgis/rest/services/SampleWorldCities/MapServer/tile/2/1/1";

struct LimitState {
    int limit = -1;
    bool measuring = true;
    double baseline_ms = 0;
};

LimitState server_limit(int admin) {
    const auto st = nlohmann::json::parse(http_get(admin, "/api/v1/status").body, nullptr, false);
    LimitState out;
    if (st.is_discarded() || !st.contains("pools")) return out;
    const auto& s = st["pools"][0]["servers"][0];
    out.limit = s.value("limit", -1);
    const auto& a = s["limit_auto"];
    if (a.is_object()) {
        out.measuring = a.value("measuring", true);
        if (a["baseline_ms"].is_number()) out.baseline_ms = a["baseline_ms"].get<double>();
    }
    return out;
}

TEST(AutoLimit, FindsTheSiteLimitDropsWhenItSlowsAndGrowsBack) {
    Sim a = start_sim("a", {"--instances", "2"});
    set_fault(a, "slow", 50);  // holds a service instance 50 ms per request
    Proxy proxy = start_proxy(basic_config({&a}, "    max_active_per_server: auto\n"
                                                 "    queue: { max: 100, timeout: 60s }\n",
                                           "", kAdmin));
    ASSERT_NE(proxy.port, 0);
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);
    EXPECT_EQ(server_limit(admin).limit, 1) << "starts at the minimum";

    Load load(proxy.port, kAutoLimitTile, 16, 120s);
    // Probing up from 1 and settling where the site's two instances start queueing: 2 or 3.
    LimitState settled;
    ASSERT_TRUE(eventually([&] {
        settled = server_limit(admin);
        return !settled.measuring && settled.limit >= 2 && settled.limit <= 3 && settled.baseline_ms >= 40;
    }, 60s)) << "limit " << settled.limit << ", baseline " << settled.baseline_ms << " ms";
    EXPECT_LT(settled.baseline_ms, 200) << "measured at a concurrency the site serves without a queue";
    // It stays there (outside the short baseline re-measurements, which pin it at half).
    for (int i = 0; i < 20; ++i) {
        const LimitState now = server_limit(admin);
        if (!now.measuring) {
            EXPECT_GE(now.limit, 1);
            EXPECT_LE(now.limit, 4);
        }
        std::this_thread::sleep_for(100ms);
    }
    const std::string metrics = http_get(admin, "/metrics").body;
    EXPECT_NE(metrics.find("gisgate_server_concurrency_limit{pool=\"gis\",server=\"a\"} "), std::string::npos)
        << metrics;
    const auto sim_stats = nlohmann::json::parse(http_get(a.port, "/sim/stats").body);
    EXPECT_LE(sim_stats["max_active"].get<int>(), 4) << "never more than the highest limit in flight";

    // Another tenant takes the site's CPU: each request now holds an instance for 400 ms. The limit halves.
    set_fault(a, "slow", 400);
    LimitState dropped;
    ASSERT_TRUE(eventually([&] {
        dropped = server_limit(admin);
        return dropped.limit == 1;
    }, 30s)) << "limit " << dropped.limit;

    // Healed: the limit probes back up to the site's instances.
    set_fault(a, "slow", 50);
    LimitState back;
    ASSERT_TRUE(eventually([&] {
        back = server_limit(admin);
        return !back.measuring && back.limit >= 2 && back.limit <= 3;
    }, 60s)) << "limit " << back.limit;
    load.stop();
    EXPECT_GT(load.ok(), 100u);
}

TEST(AutoLimit, StatusShowsTheBoundsAndFixedPoolsTheirNumber) {
    Sim a = start_sim("a", {"--instances", "2"});
    Proxy proxy = start_proxy(basic_config({&a}, "    max_active_per_server: { auto: { min: 2, max: 8 } }\n", "",
                                           kAdmin));
    ASSERT_NE(proxy.port, 0);
    const int admin = proxy.process->wait_for_port("admin");
    const auto st = nlohmann::json::parse(http_get(admin, "/api/v1/status").body);
    EXPECT_EQ(st["pools"][0]["auto_limit"]["min"], 2);
    EXPECT_EQ(st["pools"][0]["auto_limit"]["max"], 8);
    EXPECT_EQ(st["pools"][0]["servers"][0]["limit"], 2);
    EXPECT_EQ(st["pools"][0]["servers"][0]["limit_auto"]["max"], 8);
    EXPECT_EQ(http_get(proxy.port, kAutoLimitTile).status, 200);

    Proxy fixed = start_proxy(basic_config({&a}, "    max_active_per_server: 5\n", "", kAdmin));
    const int fixed_admin = fixed.process->wait_for_port("admin");
    const auto f = nlohmann::json::parse(http_get(fixed_admin, "/api/v1/status").body);
    EXPECT_EQ(f["pools"][0]["servers"][0]["limit"], 5);
    EXPECT_TRUE(f["pools"][0]["servers"][0]["limit_auto"].is_null());
    EXPECT_NE(http_get(fixed_admin, "/metrics").body.find("gisgate_server_concurrency_limit{pool=\"gis\",server=\"a\"} 5"),
              std::string::npos);
}

}  // namespace
}  // namespace gisgate::test
