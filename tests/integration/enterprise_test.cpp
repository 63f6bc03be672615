// Several listeners with their own policy, as in an ArcGIS Enterprise front: a public HTTPS listener that blocks
// administration, an administrative listener open to an admin subnet only, and a private one for internal
// callers. Also checks that examples/enterprise.yaml (the worked example in docs/tls-and-l4.md) is a valid config.
#include <gtest/gtest.h>
#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "config/loader.hpp"
#include "integration/proxy_fixture.hpp"
#include "support/tls_client.hpp"
#include "tls/certificates.hpp"

namespace gisgate::test {
namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A self-signed certificate for 127.0.0.1 and its key, written under `dir`: {cert path, key path}.
std::pair<std::string, std::string> listener_certificate(const std::string& dir) {
    const auto pair = tls::make_self_signed("127.0.0.1");
    return {write_temp_file(dir + "/site.pem", pair.cert), write_temp_file(dir + "/site.key", pair.key)};
}

TEST(Enterprise, ListenersApplyTheirOwnPolicy) {
    Sim hosting = start_sim("hosting", {"--tls-self-signed"});
    ASSERT_NE(hosting.port, 0);
    const auto [cert, key] = listener_certificate("enterprise");
    Proxy proxy = start_proxy(fmt::format(R"(workers: 1
listeners:
  - name: public
    bind: 127.0.0.1:0
    tls: {{ cert: {0}, key: {1} }}
    deny_paths: [/server/admin, /server/manager]
    routes:
      - {{ prefix: /server, rewrite: /arcgis, pool: hosting }}
  - name: hosting-admin
    bind: 127.0.0.1:0
    tls: {{ cert: {0}, key: {1} }}
    allow: [127.0.0.1/32]
    routes:
      - {{ prefix: /arcgis, pool: hosting }}
  - name: private
    bind: 127.0.0.1:0
    tls: {{ cert: {0}, key: {1} }}
    allow: [10.0.0.0/8]
    routes:
      - {{ prefix: /arcgis, pool: hosting }}
pools:
  - name: hosting
    tls: {{ verify: false }}
    servers: [{{ name: h1, address: 127.0.0.1:{2} }}]
)",
                                          cert, key, hosting.port));
    ASSERT_NE(proxy.port, 0);
    const int admin_port = proxy.process->wait_for_port("hosting-admin");
    const int private_port = proxy.process->wait_for_port("private");
    ASSERT_NE(admin_port, 0);
    ASSERT_NE(private_port, 0);

    // Public: services yes, administration no (in any spelling).
    EXPECT_EQ(https_get(proxy.port, "/server/rest/info/healthcheck").status, 200);
    EXPECT_EQ(https_get(proxy.port, "/server/admin/").status, 403);
    EXPECT_EQ(https_get(proxy.port, "/server/%61dmin/").status, 403);
    EXPECT_EQ(https_get(proxy.port, "/SERVER/manager/").status, 403);
    // The administrative URL: open to the admin subnet (here: this machine).
    const auto admin = https_get(admin_port, "/arcgis/admin/");
    EXPECT_EQ(admin.status, 200);
    EXPECT_EQ(admin.header("X-Gisgate-Sim-Site"), "hosting");
    // The private listener admits only its subnet.
    EXPECT_EQ(https_get(private_port, "/arcgis/rest/info/healthcheck").status, 403);
}

// deny_paths written as the server's paths hold through a rewriting route on a TLS listener as on plain ones.
TEST(Enterprise, DenyPathsNamingServerPathsHoldThroughTheRewriteOnTls) {
    Sim hosting = start_sim("hosting");
    ASSERT_NE(hosting.port, 0);
    const auto [cert, key] = listener_certificate("enterprise-deny");
    Proxy proxy = start_proxy(fmt::format(R"(workers: 1
listeners:
  - name: public
    bind: 127.0.0.1:0
    tls: {{ cert: {0}, key: {1} }}
    deny_paths: [/arcgis/admin, /arcgis/manager]
    routes:
      - {{ prefix: /server, rewrite: /arcgis, pool: hosting }}
pools:
  - name: hosting
    servers: [{{ name: h1, address: 127.0.0.1:{2} }}]
)",
                                          cert, key, hosting.port));
    ASSERT_NE(proxy.port, 0);
    EXPECT_EQ(https_get(proxy.port, "/server/rest/info/healthcheck").status, 200);
    for (const char* target : {"/server/admin/machines", "/server/%61dmin/", "/SERVER/Manager", "//server/./admin",
                               "/server/admin."}) {
        const auto r = https_get(proxy.port, target);
        EXPECT_EQ(r.status, 403) << target;
        EXPECT_TRUE(r.header("X-Gisgate-Sim-Site").empty()) << target << " reached the site";
    }
    // "server." is not the route's "server" segment: no route, and nothing reaches the site either.
    EXPECT_TRUE(https_get(proxy.port, "/server./admin").header("X-Gisgate-Sim-Site").empty());
    for (const char* target : {"/server/manager/..;/rest", "/server/x%2F..%2Fadmin", "/server/x\\..\\admin",
                               "/server/%252e%252e/admin", "/server/../../arcgis/admin"}) {
        const auto r = https_get(proxy.port, target);
        EXPECT_EQ(r.status, 400) << target;
        EXPECT_TRUE(r.header("X-Gisgate-Sim-Site").empty()) << target << " reached the site";
    }
}

TEST(Enterprise, ExampleConfigIsValid) {
    // The example's certificate files, relative to the config file, as an installation would have them.
    const std::string dir = "enterprise-example";
    for (const auto& [name, host] : std::vector<std::pair<std::string, std::string>>{
             {"gis.example.com", "gis.example.com"}, {"maps.example.com", "maps.example.com"},
             {"internal", "0.0.0.0"}}) {
        const auto pair = tls::make_self_signed(host);
        write_temp_file(dir + "/tls/" + name + "-fullchain.pem", pair.cert);
        write_temp_file(dir + "/tls/" + name + "-key.pem", pair.key);
    }
    write_temp_file(dir + "/tls/corporate-ca.pem", tls::make_self_signed("ca.example.com").cert);
    const std::string config =
        write_temp_file(dir + "/gisgate.yaml", read_text(std::string(GISGATE_SOURCE_DIR) + "/examples/enterprise.yaml"));

    auto check = ChildProcess::start({"check", "-c", config});
    ASSERT_EQ(check->wait_exit(), 0) << check->output();
    EXPECT_NE(check->output().find("# listener public: /server/admin (as sent)"), std::string::npos) << check->output();
    // Every expect_body of the example asks for JSON, so no health warning; without f=json there would be one.
    EXPECT_EQ(check->output().find("without f=json"), std::string::npos) << check->output();
    std::string html_checks = read_text(config);
    for (std::size_t at; (at = html_checks.find("healthcheck?f=json")) != std::string::npos;)
        html_checks.replace(at, 18, "healthcheck");
    const std::string bad = write_temp_file(dir + "/html-checks.yaml", html_checks);
    auto warned = ChildProcess::start({"check", "-c", bad});
    ASSERT_EQ(warned->wait_exit(), 0) << warned->output();
    EXPECT_NE(warned->output().find("warning: pool hosting: health expect_body '\"success\"' on GET "
                                    "/arcgis/rest/info/healthcheck without f=json"),
              std::string::npos)
        << warned->output();

    const config::Config c = config::load_file(config);
    ASSERT_EQ(c.listeners.size(), 4u);
    EXPECT_EQ(c.listeners[0].name, "public");
    ASSERT_TRUE(c.listeners[0].tls);
    EXPECT_EQ(c.listeners[0].tls->certs.size(), 2u);
    EXPECT_EQ(c.listeners[0].tls->certs[1].names, std::vector<std::string>{"maps.example.com"});
    EXPECT_EQ(c.listeners[1].name, "hosting-admin");
    EXPECT_EQ(c.listeners[1].bind.port, 6443);
    EXPECT_EQ(c.listeners[3].name, "private-portal");
    EXPECT_EQ(c.listeners[3].bind.port, 7443);
    for (const auto& pool : c.pools) EXPECT_TRUE(pool.tls.enabled) << pool.name;
}

}  // namespace
}  // namespace gisgate::test
