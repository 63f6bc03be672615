// GET / on the admin listener: the embedded dashboard page, its headers, and the same `allow` rule as every
// other read. (What the page does in a browser: tests/browser/.)
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "admin/admin_fixture.hpp"
#include "admin/dashboard.hpp"
#include "support/http_client.hpp"

namespace gisgate::admin::testing {
namespace {

using test::HttpClient;

TEST_F(AdminServerTest, DashboardPageIsServedAtTheRoot) {
    start();
    HttpClient c(port);
    const auto r = c.request("GET", "/");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(r.body, std::string(dashboard_page()));
    EXPECT_NE(r.body.find("<title>gisgate dashboard</title>"), std::string::npos);
    // Everything the browser may load comes from this listener: the policy says so, and the page asks for
    // nothing else (no script or style files, no absolute URLs in fetches).
    const auto csp = r.header("Content-Security-Policy");
    EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("connect-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
    EXPECT_EQ(r.header("X-Frame-Options"), "DENY");
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    for (const char* external : {"src=", "href=", "<link", "https://", "@import", "url("})
        EXPECT_EQ(r.body.find(external), std::string::npos) << external;
    for (const char* endpoint : {"\"api/v1/status\"", "\"api/v1/services\"", "\"api/v1/alerts\"", "/state\""})
        EXPECT_NE(r.body.find(endpoint), std::string::npos) << endpoint;
    EXPECT_NE(r.body.find("sessionStorage"), std::string::npos);
    EXPECT_NE(r.body.find("\"Authorization\": \"Bearer \" + token"), std::string::npos);
    // Serving the page asks the proxy nothing; the page's own polls do.
    EXPECT_TRUE(api.calls().empty());
    // HEAD and a query string work as for the other reads.
    c.send_raw("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto head = c.read_response(/*head_request=*/true);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("Content-Length"), std::to_string(dashboard_page().size()));
    EXPECT_EQ(c.request("GET", "/?refresh=1").status, 200);
}

TEST_F(AdminServerTest, DashboardObeysTheAllowList) {
    auto config = local_admin_config();
    config.allow = {*config::Cidr::parse("10.0.0.0/8")};
    start(config);
    HttpClient c(port);
    const auto r = c.request("GET", "/");
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.body.find("<html"), std::string::npos);
    c.send_raw("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(c.read_response(/*head_request=*/true).status, 403);
}

TEST_F(AdminServerTest, DashboardIsReadOnly) {
    start();
    HttpClient c(port);
    EXPECT_EQ(c.request("POST", "/", {}, "x").status, 401);  // writes need the token before anything else
    const auto r = c.request("POST", "/", auth(), "x");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.header("Allow"), "GET");
}

// With `admin.map` (and, in the demo, the sims' fault APIs) the policy lets the page reach exactly those
// origins, and GET /api/v1/dashboard tells the page where they are.
TEST_F(AdminServerTest, DashboardLetsInTheMapAndTheDemoSites) {
    auto config = local_admin_config();
    config.map_url = "http://127.0.0.1:8080/arcgis/rest/services/SampleWorldCities/MapServer";
    config.demo_sites = {{"site-a", "http://127.0.0.1:6081"}, {"site-b", "http://127.0.0.1:6082"}};
    start(config);
    HttpClient c(port);
    const auto csp = c.request("GET", "/").header("Content-Security-Policy");
    EXPECT_NE(csp.find("connect-src 'self' http://127.0.0.1:8080 http://127.0.0.1:6081 http://127.0.0.1:6082;"),
              std::string::npos)
        << csp;
    EXPECT_NE(csp.find("img-src 'self' data: blob: http://127.0.0.1:8080;"), std::string::npos) << csp;
    const auto settings = nlohmann::json::parse(c.request("GET", "/api/v1/dashboard").body);
    EXPECT_EQ(settings["map"], config.map_url);
    ASSERT_EQ(settings["demo_sites"].size(), 2u);
    EXPECT_EQ(settings["demo_sites"][1]["server"], "site-b");
    EXPECT_EQ(settings["demo_sites"][1]["control"], "http://127.0.0.1:6082/sim/fault");
}

TEST(DashboardCsp, WithoutAMapOnlyThisListener) {
    config::AdminConfig config;
    const auto csp = dashboard_csp(config);
    EXPECT_NE(csp.find("connect-src 'self';"), std::string::npos) << csp;
    EXPECT_NE(csp.find("img-src 'self' data: blob:;"), std::string::npos) << csp;
    EXPECT_EQ(url_origin("https://gis.example:8443/arcgis/rest/services/X/MapServer"), "https://gis.example:8443");
}

}  // namespace
}  // namespace gisgate::admin::testing
