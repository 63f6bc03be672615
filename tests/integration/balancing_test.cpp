// Balancing through the real proxy: round robin spread, weights, least_conn under a slow site.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>

#include "integration/proxy_fixture.hpp"

namespace gisgate::test {
namespace {

TEST(Balancing, RoundRobinSpreadsEvenlyOverThreeSites) {
    Sim a = start_sim("a"), b = start_sim("b"), c = start_sim("c");
    Proxy proxy = start_proxy(basic_config({&a, &b, &c}, "    balance: round_robin\n"));
    ASSERT_NE(proxy.port, 0);

    // Several client connections, so both workers take part.
    std::map<std::string, int> total;
    for (int conn = 0; conn < 6; ++conn)
        for (const auto& [site, n] : count_sites(proxy.port, "/arcgis/rest/info?f=json", 50)) total[site] += n;

    ASSERT_EQ(total.size(), 3u);
    for (const auto& [site, n] : total) {
        EXPECT_GE(n, 90) << site;   // 300 / 3 = 100, ±10 %
        EXPECT_LE(n, 110) << site;
    }
}

TEST(Balancing, WeightsAreHonouredByRoundRobin) {
    Sim a = start_sim("a"), b = start_sim("b");
    Proxy proxy = start_proxy(basic_config({&a, &b}, "    balance: round_robin\n", "", "", {{"a", "weight: 3"}}));
    ASSERT_NE(proxy.port, 0);
    const auto counts = count_sites(proxy.port, "/arcgis/rest/info?f=json", 400);
    EXPECT_NEAR(counts.at("a"), 300, 20);
    EXPECT_NEAR(counts.at("b"), 100, 20);
}

TEST(Balancing, WeightsAreHonouredByLeastConn) {
    // Both sites equally slow, 8 clients at once: least_conn keeps requests in flight in proportion to the
    // weights (6 on a, 2 on b), so a serves about three times as many.
    Sim a = start_sim("a", {"--instances", "16"}), b = start_sim("b", {"--instances", "16"});
    Proxy proxy = start_proxy(basic_config({&a, &b}, "    balance: least_conn\n", "", "", {{"a", "weight: 3"}}));
    ASSERT_NE(proxy.port, 0);
    set_fault(a, "slow", 300);
    set_fault(b, "slow", 300);
    std::atomic<int> to_a{0}, to_b{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 8; ++t) {
        clients.emplace_back([&] {
            HttpClient c(proxy.port);
            for (int i = 0; i < 4; ++i) {
                const auto r = c.request("GET", "/arcgis/rest/info?f=json");
                if (r.status == 200) (r.header("X-Gisgate-Sim-Site") == "a" ? to_a : to_b)++;
            }
        });
    }
    for (auto& t : clients) t.join();
    EXPECT_EQ(to_a + to_b, 32);
    EXPECT_GE(to_a.load(), 2 * to_b.load()) << "a=" << to_a << " b=" << to_b;
    EXPECT_GT(to_b.load(), 0);
}

TEST(Balancing, LeastConnPrefersTheIdleSiteWhenAnotherIsSlow) {
    Sim a = start_sim("a"), b = start_sim("b");
    Proxy proxy = start_proxy(basic_config({&a, &b}, "    balance: least_conn\n"));
    ASSERT_NE(proxy.port, 0);
    set_fault(a, "slow", 1000);

    std::atomic<int> to_a{0}, to_b{0}, failed{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
        clients.emplace_back([&] {
            HttpClient c(proxy.port);
            for (int i = 0; i < 8; ++i) {
                const auto r = c.request("GET", "/arcgis/rest/info?f=json");
                if (r.status != 200) {
                    ++failed;
                    continue;
                }
                (r.header("X-Gisgate-Sim-Site") == "a" ? to_a : to_b)++;
            }
        });
    }
    for (auto& t : clients) t.join();
    EXPECT_EQ(failed, 0);
    // Round robin would send half (16) to the slow site and pile up all 4 clients there. least_conn sends
    // it a request only when it is as idle as the fast site, so it never holds more than the 2 of the first
    // simultaneous burst (where both sites are idle and ties rotate).
    EXPECT_LE(to_a.load(), 10);
    const auto stats = nlohmann::json::parse(http_get(a.port, "/sim/stats").body);
    EXPECT_LE(stats["max_active"].get<int>(), 2);
}

}  // namespace
}  // namespace gisgate::test
