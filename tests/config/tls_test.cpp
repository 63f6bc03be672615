// `tls:` on listeners and pools, `mode: tcp` listeners and `health: { type: tcp }`: what loads, and every bad input
// as a located error (certificates are read and checked at load, so `gisgate check` catches them too).
#include <gtest/gtest.h>
#include <fmt/format.h>

#include <filesystem>

#include "config/loader.hpp"
#include "config/tls.hpp"
#include "config_test_util.hpp"
#include "support/process.hpp"
#include "tls/certificates.hpp"

namespace gisgate::config {
namespace {

using testing::fails_at;
using testing::load;

struct Files {
    std::string cert, key;          // 127.0.0.1
    std::string b_cert, b_key;      // b.test
    std::string wild_cert, wild_key;  // *.example.com
    std::string not_pem;
};

const Files& files() {
    static const Files f = [] {
        Files out;
        const auto a = tls::make_self_signed("127.0.0.1");
        const auto b = tls::make_self_signed("b.test");
        const auto w = tls::make_self_signed("*.example.com");
        out.cert = test::write_temp_file("tls/a.pem", a.cert);
        out.key = test::write_temp_file("tls/a.key", a.key);
        out.b_cert = test::write_temp_file("tls/b.pem", b.cert);
        out.b_key = test::write_temp_file("tls/b.key", b.key);
        out.wild_cert = test::write_temp_file("tls/w.pem", w.cert);
        out.wild_key = test::write_temp_file("tls/w.key", w.key);
        out.not_pem = test::write_temp_file("tls/hello.txt", "hello\n");
        return out;
    }();
    return f;
}

// A listener with `tls:` lines 4-6 (`cert:` value at 5:13, `key:` value at 6:12).
std::string listener_tls(const std::string& cert, const std::string& key) {
    return fmt::format(R"(
listeners:
  - name: public
    bind: 127.0.0.1:8443
    tls:
      cert: {}
      key: {}
    routes: [{{ prefix: /, pool: gis }}]
pools:
  - name: gis
    servers: [{{ name: a, address: 127.0.0.1:6081 }}]
)",
                       cert, key);
}

TEST(ConfigTls, ListenerCertificateIsReadAndChecked) {
    const Config c = load(listener_tls(files().cert, files().key));
    ASSERT_TRUE(c.listeners[0].tls);
    const auto& tls = *c.listeners[0].tls;
    ASSERT_EQ(tls.certs.size(), 1u);
    EXPECT_EQ(tls.certs[0].cert_file, files().cert);
    EXPECT_EQ(tls.certs[0].names, std::vector<std::string>{"127.0.0.1"});
    EXPECT_TRUE(tls.certs[0].is_default);
    EXPECT_NE(tls.certs[0].cert_pem.find("BEGIN CERTIFICATE"), std::string::npos);
    EXPECT_NE(tls.certs[0].key_pem.find("PRIVATE KEY"), std::string::npos);
    EXPECT_EQ(tls.min_version, TlsVersion::v1_2);
    EXPECT_EQ(tls.ciphers, tls::kDefaultCiphers);
    EXPECT_EQ(tls.ciphersuites, tls::kDefaultCiphersuites);
    EXPECT_FALSE(c.pools[0].tls.enabled);
    EXPECT_FALSE(c.listeners.empty());
}

TEST(ConfigTls, BadCertificateFilesAreLocatedErrors) {
    EXPECT_TRUE(fails_at(listener_tls("/nonexistent/site.pem", files().key), 5, 13,
                         "cannot read certificate file '/nonexistent/site.pem': No such file or directory"));
    EXPECT_TRUE(fails_at(listener_tls(files().not_pem, files().key), 5, 13,
                         fmt::format("certificate file '{}' contains no PEM certificate", files().not_pem)));
    EXPECT_TRUE(fails_at(listener_tls(files().cert, "/nonexistent/site.key"), 6, 12, "cannot read key file"));
    EXPECT_TRUE(fails_at(listener_tls(files().cert, files().b_key), 6, 12,
                         "the private key does not match the certificate"));
    EXPECT_TRUE(fails_at(listener_tls(files().cert, files().cert), 6, 12, "not a valid PEM private key"));
}

TEST(ConfigTls, ListenerTlsShapeErrors) {
    EXPECT_TRUE(fails_at(fmt::format(R"(
listeners:
  - name: public
    bind: 127.0.0.1:8443
    tls: {{ cert: {} }}
    routes: [{{ prefix: /, pool: gis }}]
pools: [{{ name: gis, servers: [{{ name: a, address: 127.0.0.1:6081 }}] }}]
)",
                                     files().cert),
                         4, 10, "listener tls is missing required key 'key'"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:8443
    tls: { cert: a.pem, key: a.key, certs: [] }
    routes: [{ prefix: /, pool: gis }]
pools: [{ name: gis, servers: [{ name: a, address: 127.0.0.1:6081 }] }]
)",
                         4, 37, "use either 'cert' and 'key' (one certificate) or a 'certs' list, not both"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:8443
    tls: { certs: [] }
    routes: [{ prefix: /, pool: gis }]
pools: [{ name: gis, servers: [{ name: a, address: 127.0.0.1:6081 }] }]
)",
                         4, 19, "'certs' needs at least one certificate"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:8443
    tls: { min_version: "1.1" }
    routes: [{ prefix: /, pool: gis }]
pools: [{ name: gis, servers: [{ name: a, address: 127.0.0.1:6081 }] }]
)",
                         4, 25, "'min_version' must be \"1.2\" or \"1.3\""));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:8443
    tls: { ciphers: "NOT-A-CIPHER" }
    routes: [{ prefix: /, pool: gis }]
pools: [{ name: gis, servers: [{ name: a, address: 127.0.0.1:6081 }] }]
)",
                         4, 21, "'ciphers' OpenSSL accepts no cipher of this list"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:8443
    tls: { ciphersuites: "TLS_FAKE" }
    routes: [{ prefix: /, pool: gis }]
pools: [{ name: gis, servers: [{ name: a, address: 127.0.0.1:6081 }] }]
)",
                         4, 26, "'ciphersuites' OpenSSL does not know"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:8443
    tls: { sni: x }
    routes: [{ prefix: /, pool: gis }]
pools: [{ name: gis, servers: [{ name: a, address: 127.0.0.1:6081 }] }]
)",
                         4, 12, "unknown key 'sni' in listener tls"));
}

TEST(ConfigTls, NoCertificateMeansGeneratedAtStartAndCheckSaysSo) {
    const Config c = load(R"(
listeners:
  - name: public
    bind: 127.0.0.1:8443
    tls: { min_version: "1.3" }
    routes: [{ prefix: /, pool: gis }]
pools: [{ name: gis, servers: [{ name: a, address: 127.0.0.1:6081 }] }]
)");
    ASSERT_TRUE(c.listeners[0].tls);
    EXPECT_TRUE(c.listeners[0].tls->certs.empty());
    EXPECT_EQ(c.listeners[0].tls->min_version, TlsVersion::v1_3);
    const TlsAdvice advice = advise_tls(c);
    ASSERT_EQ(advice.warnings.size(), 1u);
    EXPECT_NE(advice.warnings[0].find("generates a self-signed one"), std::string::npos) << advice.warnings[0];
}

TEST(ConfigTls, SeveralCertificatesForSni) {
    const Config c = load(fmt::format(R"(
listeners:
  - name: public
    bind: 127.0.0.1:8443
    tls:
      certs:
        - {{ cert: {}, key: {} }}
        - {{ cert: {}, key: {}, default: true }}
        - {{ cert: {}, key: {} }}
    routes: [{{ prefix: /, pool: gis }}]
pools: [{{ name: gis, servers: [{{ name: a, address: 127.0.0.1:6081 }}] }}]
)",
                                      files().cert, files().key, files().b_cert, files().b_key, files().wild_cert,
                                      files().wild_key));
    const auto& certs = c.listeners[0].tls->certs;
    ASSERT_EQ(certs.size(), 3u);
    EXPECT_FALSE(certs[0].is_default);
    EXPECT_TRUE(certs[1].is_default);
    EXPECT_EQ(certs[1].names, std::vector<std::string>{"b.test"});
    EXPECT_EQ(certs[2].names, std::vector<std::string>{"*.example.com"});

    // Without `default`, the first one is.
    const Config d = load(fmt::format(R"(
listeners:
  - name: public
    bind: 127.0.0.1:8443
    tls: {{ certs: [{{ cert: {}, key: {} }}, {{ cert: {}, key: {} }}] }}
    routes: [{{ prefix: /, pool: gis }}]
pools: [{{ name: gis, servers: [{{ name: a, address: 127.0.0.1:6081 }}] }}]
)",
                                      files().cert, files().key, files().b_cert, files().b_key));
    EXPECT_TRUE(d.listeners[0].tls->certs[0].is_default);
    EXPECT_FALSE(d.listeners[0].tls->certs[1].is_default);

    EXPECT_TRUE(fails_at(fmt::format(R"(
listeners:
  - name: public
    bind: 127.0.0.1:8443
    tls:
      certs:
        - {{ default: true, cert: {}, key: {} }}
        - {{ default: true, cert: {}, key: {} }}
    routes: [{{ prefix: /, pool: gis }}]
pools: [{{ name: gis, servers: [{{ name: a, address: 127.0.0.1:6081 }}] }}]
)",
                                     files().cert, files().key, files().b_cert, files().b_key),
                         7, 22, "only one certificate can be the default (the first is at 6:22)"));
}

TEST(ConfigTls, RelativePathsAreRelativeToTheConfigFile) {
    const auto pair = tls::make_self_signed("127.0.0.1");
    test::write_temp_file("rel/conf/certs/site.pem", pair.cert);
    test::write_temp_file("rel/conf/certs/site.key", pair.key);
    const std::string path = test::write_temp_file("rel/conf/gisgate.yaml", R"(
listeners:
  - name: public
    bind: 127.0.0.1:8443
    tls: { cert: certs/site.pem, key: certs/site.key }
    routes: [{ prefix: /, pool: gis }]
pools: [{ name: gis, servers: [{ name: a, address: 127.0.0.1:6081 }] }]
)");
    const Config c = load_file(path);
    const std::string dir = std::filesystem::path(path).parent_path().string();
    EXPECT_EQ(c.listeners[0].tls->certs[0].cert_file, dir + "/certs/site.pem");
    EXPECT_EQ(c.listeners[0].tls->certs[0].key_file, dir + "/certs/site.key");
}

// A pool with `tls:` lines; line 8 holds `tls`.
std::string pool_tls(const std::string& tls_line) {
    return R"(
listeners:
  - name: public
    bind: 127.0.0.1:8443
    routes: [{ prefix: /, pool: gis }]
pools:
  - name: gis
)" + tls_line + "\n" + R"(    servers: [{ name: a, address: 127.0.0.1:6443 }]
)";
}

TEST(ConfigTls, PoolTls) {
    const Config c = load(pool_tls(fmt::format("    tls: {{ verify: true, ca: {}, sni: gis.internal }}", files().cert)));
    const auto& tls = c.pools[0].tls;
    EXPECT_TRUE(tls.enabled);
    EXPECT_TRUE(tls.verify);
    EXPECT_EQ(tls.ca_file, files().cert);
    EXPECT_NE(tls.ca_pem.find("BEGIN CERTIFICATE"), std::string::npos);
    EXPECT_EQ(tls.sni, "gis.internal");

    const Config off = load(pool_tls("    tls: { enabled: false }"));
    EXPECT_FALSE(off.pools[0].tls.enabled);
    const Config unverified = load(pool_tls("    tls: { verify: false }"));
    EXPECT_TRUE(unverified.pools[0].tls.enabled);
    EXPECT_FALSE(unverified.pools[0].tls.verify);
    const TlsAdvice advice = advise_tls(unverified);
    ASSERT_EQ(advice.warnings.size(), 1u);
    EXPECT_NE(advice.warnings[0].find("not verified"), std::string::npos);

    EXPECT_TRUE(fails_at(pool_tls("    tls: { ca: /nonexistent/ca.pem }"), 7, 16,
                         "cannot read CA file '/nonexistent/ca.pem'"));
    EXPECT_TRUE(fails_at(pool_tls(fmt::format("    tls: {{ ca: {} }}", files().not_pem)), 7, 16,
                         "contains no PEM certificate"));
    EXPECT_TRUE(fails_at(pool_tls("    tls: { sni: 'bad name' }"), 7, 17, "'sni' must be a host name"));
    EXPECT_TRUE(fails_at(pool_tls("    tls: { verify: maybe }"), 7, 20, "'verify' must be true or false"));
    EXPECT_TRUE(fails_at(pool_tls("    tls: { cert: x }"), 7, 12, "unknown key 'cert' in pool tls"));
}

// A tcp listener: lines 2-6; the pool `gis` on line 8.
std::string tcp_listener(const std::string& extra) {
    return R"(
listeners:
  - name: passthrough
    bind: 127.0.0.1:6443
    mode: tcp
)" + extra + R"(pools:
  - name: gis
    servers: [{ name: a, address: 127.0.0.1:7443 }]
)";
}

TEST(ConfigTcpMode, ListenerRelaysToAPool) {
    const Config c = load(tcp_listener("    pool: gis\n    idle_timeout: 15m\n    allow: [10.0.0.0/8]\n"));
    const auto& l = c.listeners[0];
    EXPECT_EQ(l.mode, ListenerMode::tcp);
    EXPECT_EQ(l.pool, "gis");
    EXPECT_EQ(l.idle_timeout, std::chrono::minutes(15));
    ASSERT_EQ(l.allow.size(), 1u);
    EXPECT_TRUE(l.routes.empty());
    EXPECT_EQ(load(tcp_listener("    pool: gis\n")).listeners[0].idle_timeout, std::chrono::hours(1));

    EXPECT_TRUE(fails_at(tcp_listener(""), 2, 5, "listener is missing required key 'pool'"));
    EXPECT_TRUE(fails_at(tcp_listener("    pool: nope\n"), 5, 11,
                         "tcp listener refers to undefined pool 'nope' (defined pools: gis)"));
    EXPECT_TRUE(fails_at(tcp_listener("    pool: gis\n    routes: [{ prefix: /, pool: gis }]\n"), 6, 5,
                         "a 'mode: tcp' listener relays every connection to its 'pool'; it has no routes"));
    EXPECT_TRUE(fails_at(tcp_listener("    pool: gis\n    deny_paths: [/arcgis/admin]\n"), 6, 5,
                         "'deny_paths' needs mode: http"));
    EXPECT_TRUE(fails_at(tcp_listener("    pool: gis\n    tls: {}\n"), 6, 5, "'tls' needs mode: http"));
    EXPECT_TRUE(fails_at(tcp_listener("    pool: gis\n    idle_timeout: 0s\n"), 6, 19, "must be greater than 0"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: passthrough
    bind: 127.0.0.1:6443
    mode: udp
)", 4, 11, "'mode' must be http or tcp, got 'udp'"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:8080
    pool: gis
    routes: [{ prefix: /, pool: gis }]
pools: [{ name: gis, servers: [{ name: a, address: 127.0.0.1:6081 }] }]
)", 4, 5, "'pool' is only for 'mode: tcp' listeners"));
}

TEST(ConfigTcpMode, HealthCheckType) {
    const Config c = load(tcp_listener("    pool: gis\n") + "    health: { type: tcp }\n");
    EXPECT_EQ(c.pools[0].health.type, HealthCheckType::tcp);
    EXPECT_EQ(load(tcp_listener("    pool: gis\n")).pools[0].health.type, HealthCheckType::http);
    EXPECT_TRUE(fails_at(tcp_listener("    pool: gis\n") + "    health: { type: icmp }\n", 9, 21,
                         "health 'type' must be http or tcp, got 'icmp'"));
}

TEST(ConfigTls, RoundTripsThroughToYaml) {
    const Config c = load(fmt::format(R"(
listeners:
  - name: public
    bind: 127.0.0.1:8443
    tls:
      certs: [{{ cert: {}, key: {} }}, {{ cert: {}, key: {}, default: true }}]
      min_version: "1.3"
      ciphers: "ECDHE-RSA-AES128-GCM-SHA256"
    routes: [{{ prefix: /, pool: gis }}]
  - name: passthrough
    bind: 127.0.0.1:6443
    mode: tcp
    pool: gis
    idle_timeout: 90s
pools:
  - name: gis
    tls: {{ verify: false, sni: gis.internal, ca: {} }}
    health: {{ type: tcp }}
    servers: [{{ name: a, address: 127.0.0.1:7443 }}]
)",
                                      files().cert, files().key, files().b_cert, files().b_key, files().cert));
    const std::string text = to_yaml(c);
    const Config again = load_string(text, "again.yaml");
    EXPECT_EQ(to_yaml(again), text);
    ASSERT_TRUE(again.listeners[0].tls);
    EXPECT_EQ(again.listeners[0].tls->certs.size(), 2u);
    EXPECT_TRUE(again.listeners[0].tls->certs[1].is_default);
    EXPECT_EQ(again.listeners[0].tls->min_version, TlsVersion::v1_3);
    EXPECT_EQ(again.listeners[0].tls->ciphers, "ECDHE-RSA-AES128-GCM-SHA256");
    EXPECT_EQ(again.listeners[1].mode, ListenerMode::tcp);
    EXPECT_EQ(again.listeners[1].idle_timeout, std::chrono::seconds(90));
    EXPECT_TRUE(again.pools[0].tls.enabled);
    EXPECT_FALSE(again.pools[0].tls.verify);
    EXPECT_EQ(again.pools[0].tls.sni, "gis.internal");
    EXPECT_EQ(again.pools[0].tls.ca_file, files().cert);
    EXPECT_EQ(again.pools[0].health.type, HealthCheckType::tcp);
    // No key material in the output: only the file names.
    EXPECT_EQ(text.find("PRIVATE KEY"), std::string::npos);
}

}  // namespace
}  // namespace gisgate::config
