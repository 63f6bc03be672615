// The runtime admin API and `gisgate ctl` against a real proxy: status, drain/maint/ready, adding and
// removing servers, token and CIDR checks.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "integration/proxy_fixture.hpp"

namespace gisgate::test {
namespace {

using nlohmann::json;

class AdminApi : public ::testing::Test {
protected:
    void SetUp() override {
        a = start_sim("a");
        b = start_sim("b");
        proxy = start_proxy(basic_config({&a, &b}, "    health: { interval: 200ms, timeout: 300ms, fall: 3, rise: 2 }\n",
                                         "", "admin: { bind: 127.0.0.1:0, token: secret, allow: [127.0.0.1/32] }\n"));
        ASSERT_NE(proxy.port, 0);
        admin = proxy.process->wait_for_port("admin");
        ASSERT_NE(admin, 0);
    }
    HttpResponse put_state(const std::string& server, const std::string& state, const std::string& token = "secret") {
        HttpClient c(admin);
        return c.request("PUT", "/api/v1/pools/gis/servers/" + server + "/state",
                         {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                         json{{"state", state}}.dump());
    }
    json status() { return json::parse(http_get(admin, "/api/v1/status").body); }
    json server(const std::string& name) {
        const json st = status();  // a named copy: iterating a member of a temporary would dangle
        for (const auto& s : st["pools"][0]["servers"])
            if (s["name"] == name) return s;
        return nullptr;
    }
    Sim a, b;
    Proxy proxy;
    int admin = 0;
};

TEST_F(AdminApi, StatusListsPoolsServersAndHealth) {
    ASSERT_TRUE(eventually([&] { return server("a")["health"]["checks"].get<int>() > 0; }));
    const json s = status();
    ASSERT_EQ(s["pools"].size(), 1u);
    EXPECT_EQ(s["pools"][0]["name"], "gis");
    const json a_status = server("a");
    EXPECT_EQ(a_status["state"], "up");
    EXPECT_EQ(a_status["address"], "127.0.0.1:" + std::to_string(a.port));
    EXPECT_TRUE(a_status["health"]["last_check"].is_string());
    EXPECT_EQ(a_status["health"]["last_error"], "");
    EXPECT_TRUE(s.contains("workers"));
    const auto metrics = http_get(admin, "/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_NE(metrics.body.find("gisgate_server_up{pool=\"gis\",server=\"a\"} 1"), std::string::npos) << metrics.body;
    EXPECT_NE(metrics.body.find("gisgate_server_state{pool=\"gis\",server=\"a\",state=\"up\"} 1"),
              std::string::npos);
    EXPECT_NE(metrics.body.find("# TYPE gisgate_pool_queue_rejections_total counter"), std::string::npos);
}

TEST_F(AdminApi, DrainMaintAndReadySteerTraffic) {
    auto r = put_state("a", "drain");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body)["state"], "drain");
    auto counts = count_sites(proxy.port, "/arcgis/rest/info?f=json", 20);
    EXPECT_EQ(counts["b"], 20);

    ASSERT_EQ(put_state("a", "ready").status, 200);
    ASSERT_EQ(put_state("b", "maint").status, 200);
    EXPECT_EQ(server("b")["state"], "maint");
    counts = count_sites(proxy.port, "/arcgis/rest/info?f=json", 20);
    EXPECT_EQ(counts["a"], 20);
    ASSERT_EQ(put_state("b", "ready").status, 200);
    counts = count_sites(proxy.port, "/arcgis/rest/info?f=json", 20);
    EXPECT_EQ(counts["a"], 10);
    EXPECT_EQ(counts["b"], 10);
}

TEST_F(AdminApi, WritesNeedTheTokenAndBadInputIsRefused) {
    EXPECT_EQ(put_state("a", "drain", "wrong").status, 401);
    HttpClient c(admin);
    EXPECT_EQ(c.request("PUT", "/api/v1/pools/gis/servers/a/state", {}, R"({"state":"drain"})").status, 401);
    EXPECT_EQ(server("a")["state"], "up");
    EXPECT_EQ(put_state("a", "sleepy").status, 400);
    EXPECT_EQ(put_state("nobody", "drain").status, 404);
}

TEST_F(AdminApi, AddAndRemoveServers) {
    Sim c = start_sim("c");
    HttpClient api(admin);
    auto r = api.request("POST", "/api/v1/pools/gis/servers", {{"Authorization", "Bearer secret"}},
                         json{{"name", "c"}, {"address", "127.0.0.1:" + std::to_string(c.port)}}.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    auto counts = count_sites(proxy.port, "/arcgis/rest/info?f=json", 30);
    EXPECT_EQ(counts["c"], 10);

    r = api.request("POST", "/api/v1/pools/gis/servers", {{"Authorization", "Bearer secret"}},
                    json{{"name", "c"}, {"address", "127.0.0.1:1"}}.dump());
    EXPECT_EQ(r.status, 409);

    r = api.request("DELETE", "/api/v1/pools/gis/servers/a", {{"Authorization", "Bearer secret"}});
    ASSERT_EQ(r.status, 202) << r.body;
    ASSERT_TRUE(eventually([&] { return server("a").is_null(); }));
    counts = count_sites(proxy.port, "/arcgis/rest/info?f=json", 20);
    EXPECT_EQ(counts.count("a"), 0u);
    EXPECT_EQ(counts["b"] + counts["c"], 20);
}

TEST_F(AdminApi, CtlWrapsTheApi) {
    auto drain = ChildProcess::start({"ctl", "--admin", "127.0.0.1:" + std::to_string(admin), "--token", "secret",
                                      "drain", "gis/a"});
    ASSERT_EQ(drain->wait_exit(), 0) << drain->output();
    EXPECT_EQ(server("a")["state"], "drain");
    auto st = ChildProcess::start({"ctl", "--admin", "127.0.0.1:" + std::to_string(admin), "status"});
    ASSERT_EQ(st->wait_exit(), 0) << st->output();
    EXPECT_NE(st->output().find("gis/a"), std::string::npos) << st->output();
    EXPECT_NE(st->output().find("drain"), std::string::npos) << st->output();
    auto ready = ChildProcess::start({"ctl", "-c", proxy.config_path, "--admin",
                                      "127.0.0.1:" + std::to_string(admin), "ready", "gis/a"});
    ASSERT_EQ(ready->wait_exit(), 0) << ready->output();
    EXPECT_EQ(server("a")["state"], "up");
}

TEST(AdminApiAllow, ClientsOutsideAllowGet403) {
    Sim a = start_sim("a");
    Proxy proxy = start_proxy(basic_config({&a}, "", "", "admin: { bind: 127.0.0.1:0, token: t, allow: [10.0.0.0/8] }\n"));
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);
    EXPECT_EQ(http_get(admin, "/api/v1/status").status, 403);
}

}  // namespace
}  // namespace gisgate::test
