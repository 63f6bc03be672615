// Hot reload: SIGHUP and POST /api/v1/reload apply a valid file without dropping requests, refuse an invalid
// one with its file:line error while the running config stays, and keep drain/maint states.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>

#include "integration/load.hpp"
#include "integration/proxy_fixture.hpp"

namespace gisgate::test {
namespace {

using nlohmann::json;


void rewrite(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
}

HttpResponse post_reload(int admin) {
    HttpClient c(admin);
    return c.request("POST", "/api/v1/reload", {{"Authorization", "Bearer secret"}});
}

TEST(Reload, SighupAppliesANewRouteAndRefusesABrokenFile) {
    Sim a = start_sim("a");
    const std::string base = basic_config({&a}, "", "", kAdmin);
    Proxy proxy = start_proxy(base);
    ASSERT_NE(proxy.port, 0);
    EXPECT_EQ(http_get(proxy.port, "/portal/home").status, 404);

    // A new route: /portal → the same pool, rewritten to /arcgis/rest/info.
    std::string with_portal = base;
    with_portal.replace(with_portal.find("    routes:\n") + 12, 0,
                        "      - { prefix: /portal, rewrite: /arcgis/rest/info, pool: gis }\n");
    rewrite(proxy.config_path, with_portal);
    proxy.process->signal(SIGHUP);
    ASSERT_TRUE(eventually([&] { return http_get(proxy.port, "/portal/healthcheck").status == 200; }))
        << proxy.process->output();

    rewrite(proxy.config_path, with_portal + "bogus_key: 1\n");
    proxy.process->signal(SIGHUP);
    ASSERT_TRUE(proxy.process->wait_for_output("reload refused"));
    EXPECT_NE(proxy.process->output().find(proxy.config_path + ":"), std::string::npos);
    EXPECT_EQ(http_get(proxy.port, "/portal/healthcheck").status, 200) << "the running config stays";
}

TEST(Reload, ApiReloadReportsErrorsAndKeepsDrainState) {
    Sim a = start_sim("a"), b = start_sim("b");
    const std::string base = basic_config({&a, &b}, "", "", kAdmin);
    Proxy proxy = start_proxy(base);
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);

    HttpClient api(admin);
    ASSERT_EQ(api.request("PUT", "/api/v1/pools/gis/servers/a/state", {{"Authorization", "Bearer secret"}},
                          R"({"state":"drain"})").status, 200);

    rewrite(proxy.config_path, base + "workers: [oops]\n");
    auto r = post_reload(admin);
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(json::parse(r.body)["error"]["message"].get<std::string>().find(proxy.config_path + ":"),
              std::string::npos) << r.body;

    rewrite(proxy.config_path, base);
    r = post_reload(admin);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto status = json::parse(http_get(admin, "/api/v1/status").body);
    EXPECT_EQ(status["reloads"], 1);
    for (const auto& s : status["pools"][0]["servers"]) {
        if (s["name"] == "a") {
            EXPECT_EQ(s["state"], "drain") << "drain survives a reload";
        }
    }
    const auto counts = count_sites(proxy.port, "/arcgis/rest/info?f=json", 10);
    EXPECT_EQ(counts.count("a"), 0u);
}

TEST(Reload, TwentyReloadsUnderLoadLoseNoRequest) {
    Sim a = start_sim("a"), b = start_sim("b"), c = start_sim("c");
    const std::string base = basic_config({&a, &b, &c}, "", "", kAdmin);
    Proxy proxy = start_proxy(base);
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);

    Load load(proxy.port, "/arcgis/rest/info?f=json", 4, std::chrono::seconds(20));
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) {
        // Alternate between two valid configs (weights change, so servers are rebuilt each time).
        std::string text = base;
        if (i % 2 == 0) text.replace(text.find("name: a, address"), 0, "weight: 2, ");
        rewrite(proxy.config_path, text);
        ASSERT_EQ(post_reload(admin).status, 200);
        const auto next = started + std::chrono::milliseconds(500 * (i + 1));
        ASSERT_TRUE(eventually([&] { return std::chrono::steady_clock::now() >= next; }));
    }
    load.stop();
    EXPECT_TRUE(load.failures().empty()) << describe(load.failures());
    EXPECT_GT(load.ok(), 100u);
    EXPECT_EQ(load.sites().size(), 3u);
}

}  // namespace
}  // namespace gisgate::test
