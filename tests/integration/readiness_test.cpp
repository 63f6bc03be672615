// GET /api/v1/ready and `gisgate ctl health` against a real proxy and sims: what keepalived's vrrp_script sees
// (examples/keepalived/). Ready = every pool of a public route has a server up; pools behind listeners open
// only to some networks do not count.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>

#include "integration/proxy_fixture.hpp"

namespace gisgate::test {
namespace {

constexpr const char* kQuickHealth = "    health: { interval: 200ms, timeout: 300ms, fall: 2, rise: 2 }\n";

struct HealthRun {
    int code = -1;
    std::string output;
};

HealthRun ctl_health(int admin, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"ctl", "--admin", "127.0.0.1:" + std::to_string(admin), "health"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto child = ChildProcess::start(args);
    const auto code = child->wait_exit(std::chrono::seconds(20));
    return {code.value_or(-1), child->output()};
}

TEST(Readiness, ReadyWhileAServerIsUpNotReadyWhenThePoolHasNone) {
    Sim a = start_sim("a");
    Proxy proxy = start_proxy(basic_config({&a}, kQuickHealth, "", kAdmin));
    ASSERT_NE(proxy.port, 0);
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);

    const auto ready = http_get(admin, "/api/v1/ready");
    EXPECT_EQ(ready.status, 200) << ready.body;
    const auto body = nlohmann::json::parse(ready.body);
    EXPECT_EQ(body["ready"], true);
    EXPECT_EQ(body["pools_checked"], nlohmann::json::array({"gis"}));
    HealthRun run = ctl_health(admin);
    EXPECT_EQ(run.code, 0) << run.output;

    a.process->signal(SIGKILL);
    ASSERT_TRUE(a.process->wait_exit().has_value());
    ASSERT_TRUE(eventually([&] { return http_get(admin, "/api/v1/ready").status == 503; }));
    run = ctl_health(admin);
    EXPECT_EQ(run.code, 1) << run.output;
    EXPECT_NE(run.output.find("not ready: pool gis: no server up (a down)"), std::string::npos) << run.output;
    run = ctl_health(admin, {"-q"});
    EXPECT_EQ(run.code, 1) << run.output;
    EXPECT_EQ(run.output, "");
}

TEST(Readiness, ADrainedOnlyServerIsNotReadyABackupCounts) {
    Sim a = start_sim("a"), b = start_sim("b");
    Proxy proxy = start_proxy(basic_config({&a, &b}, kQuickHealth, "", kAdmin, {{"b", "backup: true"}}));
    ASSERT_NE(proxy.port, 0);
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);
    const auto set_state = [&](const std::string& server, const std::string& state) {
        HttpClient c(admin);
        return c.request("PUT", "/api/v1/pools/gis/servers/" + server + "/state",
                         {{"Authorization", "Bearer secret"}, {"Content-Type", "application/json"}},
                         nlohmann::json{{"state", state}}.dump())
            .status;
    };
    ASSERT_EQ(set_state("a", "drain"), 200);
    EXPECT_EQ(ctl_health(admin).code, 0) << "the backup serves while no primary may";
    ASSERT_EQ(set_state("b", "maint"), 200);
    const HealthRun run = ctl_health(admin);
    EXPECT_EQ(run.code, 1) << run.output;
    EXPECT_NE(run.output.find("pool gis: no server up (a drain, b maint)"), std::string::npos) << run.output;
    ASSERT_EQ(set_state("a", "ready"), 200);
    EXPECT_EQ(ctl_health(admin).code, 0);
}

TEST(Readiness, PoolsOnlyARestrictedListenerUsesDoNotCount) {
    Sim a = start_sim("a");
    const int dead = unused_port();
    const std::string yaml = fmt::format(R"(workers: 1
access_log: off
{}listeners:
  - name: public
    bind: 127.0.0.1:0
    routes: [{{ prefix: /arcgis, pool: gis }}]
  - name: site-admin
    bind: 127.0.0.1:0
    allow: [10.20.0.0/24]
    routes: [{{ prefix: /arcgis, pool: hosting }}]
pools:
  - name: gis
{}    servers: [{{ name: a, address: 127.0.0.1:{} }}]
  - name: hosting
{}    servers: [{{ name: h, address: 127.0.0.1:{} }}]
)",
                                         kAdmin, kQuickHealth, a.port, kQuickHealth, dead);
    Proxy proxy = start_proxy(yaml);
    ASSERT_NE(proxy.port, 0);
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);
    ASSERT_TRUE(eventually([&] { return server_state(admin, "hosting", "h") == "down"; }));
    const auto ready = http_get(admin, "/api/v1/ready");
    EXPECT_EQ(ready.status, 200) << ready.body;
    EXPECT_EQ(nlohmann::json::parse(ready.body)["pools_checked"], nlohmann::json::array({"gis"}));
}

}  // namespace
}  // namespace gisgate::test
