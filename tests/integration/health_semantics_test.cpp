// Health checks as Esri documents them, against sims that answer like ArcGIS Server and Portal: the default
// check judges the (HTML) health page by its status; a portal pool checked with f=json and a body match takes an
// unavailable portal (HTML 503 even for f=json) out and back; a body match without f=json never sees JSON.
#include <gtest/gtest.h>
#include <fmt/format.h>

#include "integration/proxy_fixture.hpp"

namespace gisgate::test {
namespace {

using namespace std::chrono_literals;

std::string config_for(const Sim& server, const Sim& portal1, const Sim& portal2, const std::string& server_health) {
    return fmt::format(R"(workers: 1
access_log: off
{}listeners:
  - name: public
    bind: 127.0.0.1:0
    routes:
      - {{ prefix: /portal, rewrite: /arcgis, pool: portal }}
      - {{ prefix: /arcgis, pool: gis }}
pools:
  - name: gis
    health: {{ {}interval: 200ms, timeout: 1s, fall: 2, rise: 1 }}
    servers: [{{ name: a, address: 127.0.0.1:{} }}]
  - name: portal
    health: {{ path: "/arcgis/portaladmin/healthCheck?f=json", expect_body: '"success"', interval: 200ms, timeout: 1s, fall: 2, rise: 1 }}
    servers: [{{ name: portal1, address: 127.0.0.1:{} }}, {{ name: portal2, address: 127.0.0.1:{} }}]
)",
                       kAdmin, server_health, server.port, portal1.port, portal2.port);
}

// One ArcGIS Server site and two portal machines behind gisgate, with the admin API to read server states.
struct Front {
    Sim a = start_sim("a");
    Sim portal1 = start_sim("portal1", {"--role", "portal"});
    Sim portal2 = start_sim("portal2", {"--role", "portal"});
    Proxy proxy;
    int admin = 0;
    explicit Front(const std::string& server_health) {
        proxy = start_proxy(config_for(a, portal1, portal2, server_health));
        if (proxy.port != 0) admin = proxy.process->wait_for_port("admin");
    }
    std::string state(const std::string& pool, const std::string& server) const {
        return server_state(admin, pool, server);
    }
};

TEST(HealthSemantics, DefaultCheckJudgesTheHtmlHealthPageByStatusAndPortalsByFJson) {
    Front f("");
    ASSERT_NE(f.admin, 0);
    // The sim's default health page is HTML (no f): judged by status, the server is up.
    ASSERT_TRUE(eventually([&] { return f.state("gis", "a") == "up"; }, 10s));
    const auto html = http_get(f.proxy.port, "/arcgis/rest/info/healthcheck");
    EXPECT_EQ(html.status, 200);
    EXPECT_EQ(html.header("Content-Type"), "text/html; charset=utf-8");
    ASSERT_TRUE(eventually([&] { return f.state("portal", "portal1") == "up" && f.state("portal", "portal2") == "up"; },
                           10s));

    // portal1 becomes unavailable: HTML 503 even for f=json; it is taken out and the portal keeps answering.
    set_fault(f.portal1, "error");
    ASSERT_TRUE(eventually([&] { return f.state("portal", "portal1") == "down"; }, 10s));
    for (int i = 0; i < 10; ++i) {
        const auto r = http_get(f.proxy.port, "/portal/sharing/rest/portals/self?f=json");
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.header("X-Gisgate-Sim-Site"), "portal2");
    }
    set_fault(f.portal1, "ok");
    EXPECT_TRUE(eventually([&] { return f.state("portal", "portal1") == "up"; }, 10s));
}

// The mistake `gisgate check` warns about: a body match on the HTML health page never succeeds.
TEST(HealthSemantics, ExpectBodyWithoutFJsonKeepsAServerDown) {
    Front f("expect_body: '\"success\"', ");
    ASSERT_NE(f.admin, 0);
    ASSERT_TRUE(eventually([&] { return f.state("portal", "portal1") == "up"; }, 10s));
    EXPECT_TRUE(eventually([&] { return f.state("gis", "a") == "down"; }, 10s)) << f.state("gis", "a");
}

}  // namespace
}  // namespace gisgate::test
