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
                               "/arcgis/%2e/admin", "/arcgis/manager/", "/server/../arcgis/admin", "/arcgis/admin.",
                               "/arcgis./admin", "/arcgis/admin;jsessionid=1", "/ARCGIS/MANAGER/"}) {
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

// The example in docs/configuration.md and the demo's config: deny_paths name the server's paths (/arcgis/admin) and the route
// `{prefix: /server, rewrite: /arcgis}` maps /server/... onto them. The deny rule holds on the rewritten path.
TEST_F(Policy, DeniedPathsHoldThroughARewritingRoute) {
    for (const char* target : {"/server/admin", "/server/admin/machines", "/server/admin/?f=json", "/server/%61dmin/",
                               "/SERVER/Manager", "//server/./admin", "/Server/ADMIN/machines", "/server/rest/../admin",
                               "/server/manager/", "/server/%2e/admin"}) {
        const auto r = http_get(proxy.port, target);
        EXPECT_EQ(r.status, 403) << target;
        EXPECT_TRUE(r.header("X-Gisgate-Sim-Site").empty()) << target << " reached a site";
        EXPECT_NE(r.body.find("\"code\":403"), std::string::npos) << target << ": " << r.body;
    }
    // The same route still serves everything else, including names that merely start like a denied one
    // elsewhere in the path.
    EXPECT_EQ(http_get(proxy.port, "/server/rest/info?f=json").status, 200);
    EXPECT_EQ(http_get(proxy.port, "/server/rest/services/admin?f=json").header("X-Gisgate-Sim-Site"), "a");
}

// Spellings that Tomcat or IIS read differently from a plain RFC 3986 parser: 400, and the site sees nothing.
constexpr const char* kAmbiguous[] = {
    "/arcgis/manager/..;/rest",      "/arcgis/manager/..%3B/rest", "/arcgis/manager/%2e%2e;/rest",
    "/arcgis/x%2F..%2F..%2Farcgis/admin", "/arcgis/x%5C..%5Cadmin", "/arcgis/x\\..\\admin",
    "/arcgis%2Fadmin",               "/arcgis/%252e%252e/admin",   "/ARCGIS/Manager/%2E%2E;/Rest",
    "/server/manager/..;/rest",      "/server/x%2F..%2Fadmin",     "/arcgis/../../arcgis/admin",
};

TEST_F(Policy, AmbiguousPathSpellingsAre400AndNeverForwarded) {
    for (const char* target : kAmbiguous) {
        const auto r = http_get(proxy.port, target);
        EXPECT_EQ(r.status, 400) << target;
        EXPECT_TRUE(r.header("X-Gisgate-Sim-Site").empty()) << target << " reached a site";
        EXPECT_NE(r.body.find("\"code\":400"), std::string::npos) << target << ": " << r.body;
    }
    EXPECT_EQ(http_get(proxy.port, "/arcgis/rest/info?f=json").status, 200);
}

// `path_escapes: keep` forwards them as sent, and deny_paths still read them as the server would.
TEST(PolicyKeepEscapes, KeptEscapesStillMeetTheDenyRules) {
    Sim a = start_sim("a");
    Proxy proxy = start_proxy(
        basic_config({&a}, "", "    deny_paths: [/arcgis/admin, /arcgis/manager]\n    path_escapes: keep\n"));
    ASSERT_NE(proxy.port, 0);
    for (const char* target : {"/arcgis/manager/..;/rest", "/arcgis%2Fadmin", "/arcgis/x\\..\\admin",
                               "/server/manager/..;/rest", "/arcgis/x%5C..%5Cadmin"}) {
        const auto r = http_get(proxy.port, target);
        EXPECT_EQ(r.status, 403) << target;
        EXPECT_TRUE(r.header("X-Gisgate-Sim-Site").empty()) << target << " reached a site";
    }
    // An escaped separator elsewhere is forwarded as sent.
    EXPECT_EQ(http_get(proxy.port, "/arcgis/rest/services/a%2Fb?f=json").header("X-Gisgate-Sim-Site"), "a");
    auto check = ChildProcess::start({"check", "-c", proxy.config_path});
    ASSERT_EQ(check->wait_exit(), 0) << check->output();
    EXPECT_NE(check->output().find("'path_escapes: keep' forwards"), std::string::npos) << check->output();
}

// ArcGIS tokens travel in the query: forwarded as sent, never written to the access log or the metrics.
TEST(Redaction, TokensNeverReachTheAccessLogOrTheMetrics) {
    Sim a = start_sim("a");
    Proxy proxy = start_proxy(basic_config({&a}, "", "",
                                           "redact_params: [apikey]\n"
                                           "admin: { bind: 127.0.0.1:0, token: secret }\n"));
    ASSERT_NE(proxy.port, 0);
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);
    const auto r = http_get(proxy.port, "/arcgis/rest/info?token=SECRET123&apikey=KEY456&TOKEN=SECRET789&f=json");
    EXPECT_EQ(r.status, 200);
    ASSERT_TRUE(eventually([&] { return proxy.process->output().find("apikey=REDACTED") != std::string::npos; }))
        << proxy.process->output();
    const std::string log = proxy.process->output();
    EXPECT_NE(log.find("token=REDACTED&apikey=REDACTED&TOKEN=REDACTED&f=json"), std::string::npos) << log;
    const std::string metrics =
        HttpClient(admin).request("GET", "/metrics", {{"Authorization", "Bearer secret"}}).body;
    for (const char* secret : {"SECRET123", "KEY456", "SECRET789"}) {
        EXPECT_EQ(log.find(secret), std::string::npos) << secret << " in the log";
        EXPECT_EQ(metrics.find(secret), std::string::npos) << secret << " in /metrics";
    }
}

// `gisgate check` spells out which client prefixes the deny rules refuse, through each rewriting route.
TEST(PolicyCheck, CheckPrintsTheEffectiveBlockListOfTheDemoConfig) {
    auto check = ChildProcess::start({"check", "-c", std::string(GISGATE_SOURCE_DIR) + "/examples/demo.yaml"});
    ASSERT_EQ(check->wait_exit(), 0) << check->output();
    const std::string out = check->output();
    for (const char* line : {"# listener public: /arcgis/admin (as sent)",
                             "# listener public: /server/admin → /arcgis/admin (route /server rewrites to /arcgis)",
                             "# listener public: /server/manager → /arcgis/manager (route /server rewrites to /arcgis)"})
        EXPECT_NE(out.find(line), std::string::npos) << line << "\n" << out;
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
    // The client is not one of the listener's trusted_proxies: its own chain could say anything, so it is
    // replaced (a trusted proxy's chain is kept: ProxyProtocol.TrustedProxiesKeepTheForwardedChain).
    EXPECT_EQ(h["x-forwarded-for"], "127.0.0.1");
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
