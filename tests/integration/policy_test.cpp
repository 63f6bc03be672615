// Listener policy: deny_paths on the normalised path, CIDR allow, routing and rewrite, X-Forwarded-*.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "integration/proxy_fixture.hpp"

namespace gisgate::test {
namespace {

class Policy : public ::testing::Test {
protected:
    void SetUp() override {
        a = start_sim("a");
        proxy = start_proxy(basic_config({&a}, "", "    deny_paths: [/arcgis/admin, /arcgis/manager]\n"));
        ASSERT_NE(proxy.port, 0);
    }
    Sim a;
    Proxy proxy;
};

TEST_F(Policy, DeniedPathsAreRefusedInEveryEncoding) {
    for (const char* target : {"/arcgis/admin", "/arcgis/admin/?f=json", "/arcgis/%61dmin", "/arcgis/%61%64min/",
                               "//arcgis/admin", "/arcgis/./admin", "/ARCGIS/Admin", "/arcgis/rest/../admin",
                               "/arcgis%2Fadmin", "/arcgis/%2e/admin", "/arcgis/manager/", "/server/../arcgis/admin"}) {
        const auto r = http_get(proxy.port, target);
        EXPECT_EQ(r.status, 403) << target;
        EXPECT_TRUE(r.header("X-Gisgate-Sim-Site").empty()) << target << " reached a site";
        const auto body = nlohmann::json::parse(r.body, nullptr, false);
        ASSERT_FALSE(body.is_discarded()) << target << ": " << r.body;
        EXPECT_EQ(body["error"]["code"], 403) << target;
    }
    // The same site is reachable on the allowed paths.
    EXPECT_EQ(http_get(proxy.port, "/arcgis/rest/info?f=json").status, 200);
    EXPECT_EQ(http_get(a.port, "/arcgis/admin/?f=json").status, 200) << "the sim itself serves admin";
}

TEST_F(Policy, PrefixRewriteMapsContextName) {
    const auto r = http_get(proxy.port, "/server/rest/info/healthcheck?f=json");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("X-Gisgate-Sim-Site"), "a");
    EXPECT_NE(r.body.find("success"), std::string::npos) << r.body;
    // Segment boundary: /serverx is not the /server context.
    EXPECT_EQ(http_get(proxy.port, "/serverx/rest/info").status, 404);
}

TEST_F(Policy, UnroutedPathIs404WithJsonBody) {
    const auto r = http_get(proxy.port, "/portal/home");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    EXPECT_NE(r.body.find("\"code\":404"), std::string::npos);
}

TEST_F(Policy, ForwardedHeadersAreAdded) {
    const auto r = http_get(proxy.port, "/sim/echo", {{"Host", "gis.example.com"}, {"X-Forwarded-For", "10.1.2.3"},
                                                      {"X-Forwarded-Proto", "spoofed"}, {"Connection", "keep-alive, X-Drop"},
                                                      {"X-Drop", "hop"}});
    ASSERT_EQ(r.status, 200);
    const auto echo = nlohmann::json::parse(r.body);
    const auto& h = echo["headers"];
    EXPECT_EQ(h["x-forwarded-for"], "10.1.2.3, 127.0.0.1");
    EXPECT_EQ(h["x-forwarded-proto"], "http");
    EXPECT_EQ(h["x-forwarded-host"], "gis.example.com");
    EXPECT_EQ(h["host"], "gis.example.com") << "Host is kept";
    EXPECT_FALSE(h.contains("x-drop")) << "fields named in Connection are hop-by-hop";
}

TEST(PolicyAllow, ClientsOutsideAllowGet403) {
    Sim a = start_sim("a");
    Proxy denied = start_proxy(basic_config({&a}, "", "    allow: [10.0.0.0/8, \"::1/128\"]\n"));
    ASSERT_NE(denied.port, 0);
    const auto r = http_get(denied.port, "/arcgis/rest/info?f=json");
    EXPECT_EQ(r.status, 403);
    EXPECT_NE(r.body.find("not allowed"), std::string::npos);

    Proxy allowed = start_proxy(basic_config({&a}, "", "    allow: [10.0.0.0/8, 127.0.0.0/8]\n"));
    ASSERT_NE(allowed.port, 0);
    EXPECT_EQ(http_get(allowed.port, "/arcgis/rest/info?f=json").status, 200);
}

}  // namespace
}  // namespace gisgate::test
