// `gisgate sim --role portal`: a Portal for ArcGIS machine, with Esri's health-check semantics (HTML unless
// f=json; HTML with a non-200 status when unavailable, even with f=json).
#include "sim_fixture.hpp"

namespace gisgate::sim::testing {
namespace {

class PortalTest : public ::testing::Test {
protected:
    void SetUp() override {
        SimOptions o = local_options("portal1");
        o.role = SimRole::portal;
        server = std::make_unique<SimServer>(o);
    }
    int port() const { return server->port(); }
    std::unique_ptr<SimServer> server;
};

TEST_F(PortalTest, HealthCheckIsHtmlUnlessFJson) {
    const HttpResponse html = http_get(port(), "/arcgis/portaladmin/healthCheck");
    EXPECT_EQ(html.status, 200);
    EXPECT_EQ(html.header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(html.header("X-Gisgate-Sim-Site"), "portal1");
    const HttpResponse j = http_get(port(), "/arcgis/portaladmin/healthCheck?f=json");
    EXPECT_EQ(j.status, 200);
    EXPECT_EQ(parse_json(j), json({{"status", "success"}}));
    EXPECT_EQ(parse_json(http_get(port(), "/arcgis/portaladmin/healthCheck?f=pjson"))["status"], "success");
}

TEST_F(PortalTest, AnUnavailablePortalAnswersHtmlWith503EvenForFJson) {
    ASSERT_EQ(post_json(port(), "/sim/fault", {{"mode", "error"}}).status, 200);
    for (const char* target : {"/arcgis/portaladmin/healthCheck?f=json", "/arcgis/portaladmin/healthCheck"}) {
        const HttpResponse r = http_get(port(), target);
        EXPECT_EQ(r.status, 503) << target;
        EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8") << target;
        EXPECT_EQ(r.body.find("\"success\""), std::string::npos) << target;
    }
    ASSERT_EQ(post_json(port(), "/sim/fault", {{"mode", "ok"}}).status, 200);
    EXPECT_EQ(http_get(port(), "/arcgis/portaladmin/healthCheck?f=json").status, 200);
}

TEST_F(PortalTest, SharingApiAndHome) {
    EXPECT_EQ(parse_json(http_get(port(), "/arcgis/sharing/rest?f=json"))["currentVersion"], "2023.1");
    const json info = parse_json(http_get(port(), "/arcgis/sharing/rest/info?f=json"));
    EXPECT_EQ(info["authInfo"]["isTokenBasedSecurity"], true);
    EXPECT_NE(info["authInfo"]["tokenServicesUrl"].get<std::string>().find("/arcgis/sharing/rest/generateToken"),
              std::string::npos);
    const json self = parse_json(http_get(port(), "/arcgis/sharing/rest/portals/self?f=json"));
    EXPECT_EQ(self["isPortal"], true);
    EXPECT_EQ(self["portalName"], "portal1");
    for (const char* page : {"/arcgis/home", "/arcgis", "/arcgis/portaladmin", "/arcgis/sharing/rest"}) {
        const HttpResponse r = http_get(port(), page);
        EXPECT_EQ(r.status, 200) << page;
        EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8") << page;
    }
}

TEST_F(PortalTest, APortalHostsNoServices) {
    EXPECT_EQ(http_get(port(), "/arcgis/rest/info?f=json").status, 404);
    EXPECT_EQ(http_get(port(), "/arcgis/rest/services?f=json").status, 404);
    EXPECT_EQ(http_get(port(), "/arcgis/sharing/rest/nope?f=json").status, 404);
}

}  // namespace
}  // namespace gisgate::sim::testing
