// The binary's commands: `check` (effective config, file:line errors), `run` refusing a bad config before
// starting, graceful SIGTERM, and `demo` serving a map export through the balancer.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <regex>
#include <set>
#include <thread>

#include "integration/proxy_fixture.hpp"

namespace gisgate::test {
namespace {

TEST(Cli, CheckPrintsTheEffectiveConfig) {
    Sim a = start_sim("a");
    const auto path = write_temp_file("good.yaml", basic_config({&a}));
    auto check = ChildProcess::start({"check", "-c", path});
    ASSERT_EQ(check->wait_exit(), 0) << check->output();
    const auto out = check->output();
    EXPECT_NE(out.find("max_active_per_server"), std::string::npos) << out;  // defaults are shown
    EXPECT_NE(out.find("timeouts"), std::string::npos) << out;
}

TEST(Cli, CheckReportsFileLineColumnAndExits2) {
    const auto path = write_temp_file("bad.yaml", "workers: 2\n"
                                                  "listeners:\n"
                                                  "  - name: public\n"
                                                  "    bind: 127.0.0.1:0\n"
                                                  "    routes:\n"
                                                  "      - { prefx: /arcgis, pool: gis }\n"
                                                  "pools:\n"
                                                  "  - name: gis\n"
                                                  "    servers: [{ name: a, address: 127.0.0.1:1 }]\n");
    auto check = ChildProcess::start({"check", "-c", path});
    EXPECT_EQ(check->wait_exit(), 2);
    const std::regex located(std::regex_replace(path, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                             R"(:6:\d+: .*prefx)");
    EXPECT_TRUE(std::regex_search(check->output(), located)) << check->output();
}

TEST(Cli, RunRefusesABadConfigBeforeStarting) {
    const auto path = write_temp_file("bad.yaml", "workers: 2\nlisteners: []\npools: []\n");
    auto run = ChildProcess::start({"run", "-c", path});
    EXPECT_EQ(run->wait_exit(), 2);
    EXPECT_EQ(run->output().find("listening:"), std::string::npos);
    EXPECT_NE(run->output().find(path + ":"), std::string::npos) << run->output();
}

TEST(Cli, SigtermLetsInFlightRequestsFinishThenExitsZero) {
    Sim a = start_sim("a");
    Proxy proxy = start_proxy(basic_config({&a}, "", "", "shutdown_grace: 10s\n"));
    ASSERT_NE(proxy.port, 0);
    set_fault(a, "slow", 1000);
    HttpResponse slow;
    std::thread client([&] { slow = http_get(proxy.port, "/arcgis/rest/info?f=json"); });
    // Wait until the request is being served by the site, then ask the proxy to stop.
    ASSERT_TRUE(eventually([&] {
        const auto stats = nlohmann::json::parse(http_get(a.port, "/sim/stats").body, nullptr, false);
        return !stats.is_discarded() && stats.value("active", 0) == 1;
    }));
    proxy.process->signal(SIGTERM);
    client.join();
    EXPECT_EQ(slow.status, 200) << "the in-flight request must complete";
    EXPECT_EQ(proxy.process->wait_exit(), 0);
}

TEST(Cli, DemoServesAMapExportThroughTheBalancer) {
    auto demo = ChildProcess::start({"demo"});
    ASSERT_NE(demo->wait_for_port("public"), 0) << demo->output();
    // The sites start in parallel with the balancer: wait until all three answer through it.
    std::set<std::string> sites;
    ASSERT_TRUE(eventually([&] {
        const auto r = http_get(8080, "/arcgis/rest/info/healthcheck");
        if (r.status == 200) sites.insert(r.header("X-Gisgate-Sim-Site"));
        return sites.size() == 3;
    })) << demo->output();
    HttpClient c(8080);
    c.set_max_body_in_memory(0);
    const auto r = c.request("GET", "/arcgis/rest/services/SampleWorldCities/MapServer/export"
                                    "?bbox=-180,-90,180,90&size=800,600&f=image");
    EXPECT_EQ(r.status, 200);
    EXPECT_GT(c.last_body_bytes(), 800u * 600u);
    EXPECT_EQ(http_get(8080, "/arcgis/admin/").status, 403);
    demo->signal(SIGINT);
    EXPECT_EQ(demo->wait_exit(), 0);
}

}  // namespace
}  // namespace gisgate::test
