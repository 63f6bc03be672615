// TLS termination and re-encryption: https clients → gisgate → https sites (self-signed, as GIS servers ship),
// verification against a CA and a name, SNI choosing among several certificates, the certificate generated for a
// listener without one, certificate reload on SIGHUP without dropping connections, and health checks over TLS.
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <set>

#include "integration/proxy_fixture.hpp"
#include "sim/png.hpp"
#include "support/tls_client.hpp"
#include "tls/certificates.hpp"

namespace gisgate::test {
namespace {

struct CertFiles {
    std::string cert;  // paths
    std::string key;
    std::string pem;   // the certificate's text
};

CertFiles make_cert(const std::string& name, const std::string& host) {
    const tls::PemPair pair = tls::make_self_signed(host);
    return {write_temp_file("certs/" + name + ".pem", pair.cert), write_temp_file("certs/" + name + ".key", pair.key),
            pair.cert};
}

std::string listener_tls(const CertFiles& c) { return fmt::format("    tls: {{ cert: {}, key: {} }}\n", c.cert, c.key); }


TEST(Tls, HttpsClientToHttpsSitesThroughTheProxy) {
    Sim a = start_sim("a", {"--tls-self-signed"}), b = start_sim("b", {"--tls-self-signed"});
    ASSERT_NE(a.port, 0);
    ASSERT_NE(b.port, 0);
    const CertFiles proxy_cert = make_cert("proxy", "127.0.0.1");
    Proxy proxy = start_proxy(basic_config({&a, &b}, "    tls: { verify: false }\n", listener_tls(proxy_cert)));
    ASSERT_NE(proxy.port, 0);

    // The client verifies gisgate's certificate for 127.0.0.1. ALPN: h2 when offered (http2.md), else http/1.1.
    TlsClient h2(proxy.port, {.alpn = {"h2", "http/1.1"}, .ca_pem = proxy_cert.pem, .verify_name = "127.0.0.1"});
    ASSERT_TRUE(h2.connected()) << h2.error();
    EXPECT_EQ(h2.alpn(), "h2");
    TlsClient client(proxy.port, {.alpn = {"http/1.1"}, .ca_pem = proxy_cert.pem, .verify_name = "127.0.0.1"});
    ASSERT_TRUE(client.connected()) << client.error();
    EXPECT_EQ(client.alpn(), "http/1.1");
    EXPECT_EQ(client.peer_certificate_pem(), proxy_cert.pem);

    std::map<std::string, int> sites;
    for (int i = 0; i < 20; ++i) {
        const auto r = client.request("GET", "/arcgis/rest/info/healthcheck");
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_NE(r.body.find("success"), std::string::npos);
        sites[r.header("X-Gisgate-Sim-Site")]++;
    }
    EXPECT_EQ(sites["a"], 10);
    EXPECT_EQ(sites["b"], 10);

    // A streamed (chunked) 1.4 MB image through both TLS legs.
    const auto image = client.request("GET", "/arcgis/rest/services/SampleWorldCities/MapServer/export?"
                                             "bbox=-180,-90,180,90&size=800,600&f=image");
    EXPECT_EQ(image.status, 200);
    EXPECT_EQ(image.body.size(), gisgate::sim::stored_png_size(800, 600));

    // What the site saw: the client's scheme is https.
    const auto echo = client.request("GET", "/sim/echo");
    ASSERT_EQ(echo.status, 200);
    const auto seen = nlohmann::json::parse(echo.body);
    EXPECT_EQ(seen["headers"]["x-forwarded-proto"], "https");
    EXPECT_EQ(seen["headers"]["x-forwarded-for"], "127.0.0.1");

    // Server connections are pooled keep-alive TLS connections: ten requests to a site did not need ten.
    const auto stats = nlohmann::json::parse(https_get(a.port, "/sim/stats").body, nullptr, false);
    ASSERT_FALSE(stats.is_discarded());
    EXPECT_LE(stats["connections"].get<int>(), 5) << stats.dump();

    // Plain HTTP on the TLS port is refused (the handshake fails), not served.
    HttpClient plain(proxy.port);
    plain.send_raw("GET /arcgis/rest/info/healthcheck HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(plain.read_response(false, std::chrono::seconds(10)).status, 0);
}

// A connection refused at limits.max_connections on a TLS listener gets no plaintext 503 (a TLS client would
// read it as a broken handshake): it is closed without a byte. The connection already open keeps working.
TEST(Tls, AConnectionOverTheLimitOnATlsListenerIsClosedWithoutPlaintext) {
    Sim a = start_sim("a");
    const CertFiles proxy_cert = make_cert("limit", "127.0.0.1");
    Proxy proxy = start_proxy(basic_config({&a}, "", listener_tls(proxy_cert), "limits: { max_connections: 1 }\n"));
    ASSERT_NE(proxy.port, 0);
    TlsClient held(proxy.port, {.ca_pem = proxy_cert.pem, .verify_name = "127.0.0.1"});
    ASSERT_TRUE(held.connected()) << held.error();
    ASSERT_EQ(held.request("GET", "/arcgis/rest/info?f=json").status, 200);

    HttpClient refused(proxy.port);  // a raw TCP connection: whatever arrives on it is shown as it is
    ASSERT_TRUE(refused.connected());
    refused.send_raw(std::string("\x16\x03\x01\x00\x05hello", 10));  // the start of a ClientHello
    EXPECT_TRUE(refused.closed_by_peer(std::chrono::seconds(5)));
    const HttpResponse after = refused.read_response(false, std::chrono::milliseconds(200));
    EXPECT_EQ(after.status, 0) << "plaintext on a TLS listener: " << after.reason;
    EXPECT_TRUE(proxy.process->wait_for_output("too many connections", std::chrono::seconds(5)));
    EXPECT_EQ(held.request("GET", "/arcgis/rest/info?f=json").status, 200);
}

TEST(Tls, ServerCertificatesAreVerifiedAgainstTheCaAndName) {
    const CertFiles site_cert = make_cert("site", "127.0.0.1");
    const CertFiles other_ca = make_cert("other", "127.0.0.1");
    Sim a = start_sim("a", {"--tls-cert", site_cert.cert, "--tls-key", site_cert.key});
    ASSERT_NE(a.port, 0);
    const std::string server = fmt::format("{{ name: a, address: 127.0.0.1:{} }}", a.port);
    Proxy proxy = start_proxy(fmt::format(R"(workers: 1
listeners:
  - name: public
    bind: 127.0.0.1:0
    routes:
      - {{ prefix: /good, rewrite: /arcgis, pool: good }}
      - {{ prefix: /wrong-ca, rewrite: /arcgis, pool: wrong_ca }}
      - {{ prefix: /wrong-name, rewrite: /arcgis, pool: wrong_name }}
pools:
  - name: good
    tls: {{ verify: true, ca: {} }}
    servers: [{}]
  - name: wrong_ca
    retries: 0
    tls: {{ verify: true, ca: {} }}
    servers: [{}]
  - name: wrong_name
    retries: 0
    tls: {{ verify: true, ca: {}, sni: gis.internal }}
    servers: [{}]
)",
                                          site_cert.cert, server, other_ca.cert, server, site_cert.cert, server));
    ASSERT_NE(proxy.port, 0);
    EXPECT_EQ(http_get(proxy.port, "/good/rest/info/healthcheck").status, 200);
    const auto wrong_ca = http_get(proxy.port, "/wrong-ca/rest/info/healthcheck");
    EXPECT_EQ(wrong_ca.status, 502);
    EXPECT_NE(wrong_ca.body.find("certificate verify failed"), std::string::npos) << wrong_ca.body;
    const auto wrong_name = http_get(proxy.port, "/wrong-name/rest/info/healthcheck");
    EXPECT_EQ(wrong_name.status, 502);
    EXPECT_NE(wrong_name.body.find("certificate verify failed"), std::string::npos) << wrong_name.body;
}

TEST(Tls, SniPicksTheCertificate) {
    Sim a = start_sim("a");
    const CertFiles portal = make_cert("portal", "portal.example.org");
    const CertFiles fallback = make_cert("fallback", "gis.example.org");
    const CertFiles wildcard = make_cert("wildcard", "*.services.example.org");
    Proxy proxy = start_proxy(basic_config({&a}, "", fmt::format(R"(    tls:
      certs:
        - {{ cert: {}, key: {} }}
        - {{ cert: {}, key: {}, default: true }}
        - {{ cert: {}, key: {} }}
)",
                                                                 portal.cert, portal.key, fallback.cert, fallback.key,
                                                                 wildcard.cert, wildcard.key)));
    ASSERT_NE(proxy.port, 0);
    auto served = [&](const std::string& sni) {
        TlsClient c(proxy.port, {.sni = sni});
        EXPECT_TRUE(c.connected()) << c.error();
        EXPECT_EQ(c.request("GET", "/arcgis/rest/info/healthcheck").status, 200);
        return c.peer_certificate_pem();
    };
    EXPECT_EQ(served("portal.example.org"), portal.pem);
    EXPECT_EQ(served("PORTAL.example.org"), portal.pem);
    EXPECT_EQ(served("maps.services.example.org"), wildcard.pem);
    EXPECT_EQ(served("gis.example.org"), fallback.pem);
    EXPECT_EQ(served("unknown.example.org"), fallback.pem);
    EXPECT_EQ(served(""), fallback.pem);  // no SNI: the default

    // A client verifying the name gets a certificate that passes.
    TlsClient verified(proxy.port, {.sni = "portal.example.org", .ca_pem = portal.pem,
                                    .verify_name = "portal.example.org"});
    EXPECT_TRUE(verified.connected()) << verified.error();
}

TEST(Tls, ListenerWithoutCertificateGetsASelfSignedOne) {
    Sim a = start_sim("a");
    Proxy proxy = start_proxy(basic_config({&a}, "", "    tls: {}\n"));
    ASSERT_NE(proxy.port, 0);
    EXPECT_TRUE(proxy.process->wait_for_output("generated a self-signed certificate for 127.0.0.1"));
    EXPECT_NE(proxy.process->output().find("configure a CA-signed certificate"), std::string::npos);

    TlsClient first(proxy.port);
    ASSERT_TRUE(first.connected()) << first.error();
    EXPECT_NE(first.peer_subject().find("CN=127.0.0.1"), std::string::npos) << first.peer_subject();
    EXPECT_EQ(first.request("GET", "/arcgis/rest/info/healthcheck").status, 200);

    // It is a proper self-signed certificate for the bind address: trusting it, a verifying client gets through.
    TlsClient verified(proxy.port, {.ca_pem = first.peer_certificate_pem(), .verify_name = "127.0.0.1"});
    ASSERT_TRUE(verified.connected()) << verified.error();
    EXPECT_EQ(verified.request("GET", "/arcgis/rest/info/healthcheck").status, 200);
}

TEST(Tls, MinimumVersionIsEnforced) {
    Sim a = start_sim("a");
    const CertFiles cert = make_cert("versions", "127.0.0.1");
    Proxy proxy = start_proxy(basic_config(
        {&a}, "", fmt::format("    tls: {{ cert: {}, key: {}, min_version: \"1.3\" }}\n", cert.cert, cert.key)));
    ASSERT_NE(proxy.port, 0);
    TlsClient modern(proxy.port);
    ASSERT_TRUE(modern.connected()) << modern.error();
    EXPECT_EQ(modern.version(), "TLSv1.3");
    TlsClient old(proxy.port, {.max_version = TLS1_2_VERSION});
    EXPECT_FALSE(old.connected());
    EXPECT_NE(old.error().find("protocol version"), std::string::npos) << old.error();

    // The default accepts TLS 1.2 with the default (ECDHE, AEAD) ciphers.
    Proxy defaults = start_proxy(basic_config({&a}, "", listener_tls(cert)));
    ASSERT_NE(defaults.port, 0);
    TlsClient tls12(defaults.port, {.max_version = TLS1_2_VERSION});
    ASSERT_TRUE(tls12.connected()) << tls12.error();
    EXPECT_EQ(tls12.version(), "TLSv1.2");
    EXPECT_EQ(tls12.request("GET", "/arcgis/rest/info/healthcheck").status, 200);
}

TEST(Tls, SighupReloadsCertificatesWithoutDroppingConnections) {
    Sim a = start_sim("a");
    const CertFiles first = make_cert("reload", "127.0.0.1");
    Proxy proxy = start_proxy(basic_config({&a}, "", listener_tls(first)));
    ASSERT_NE(proxy.port, 0);
    TlsClient old_connection(proxy.port);
    ASSERT_TRUE(old_connection.connected()) << old_connection.error();
    ASSERT_EQ(old_connection.request("GET", "/arcgis/rest/info/healthcheck").status, 200);
    EXPECT_EQ(old_connection.peer_certificate_pem(), first.pem);

    // Renewed certificate, same file names.
    const CertFiles renewed = make_cert("reload", "127.0.0.1");
    ASSERT_NE(renewed.pem, first.pem);
    proxy.process->signal(SIGHUP);
    ASSERT_TRUE(eventually([&] {
        TlsClient c(proxy.port);
        return c.connected() && c.peer_certificate_pem() == renewed.pem;
    })) << proxy.process->output();
    EXPECT_EQ(old_connection.request("GET", "/arcgis/rest/info/healthcheck").status, 200)
        << "the connection made before the reload keeps working";

    // A broken certificate file is refused with its file:line error; the running certificates stay.
    { std::ofstream(renewed.cert, std::ios::trunc) << "broken\n"; }
    proxy.process->signal(SIGHUP);
    ASSERT_TRUE(proxy.process->wait_for_output("reload refused"));
    EXPECT_NE(proxy.process->output().find(proxy.config_path + ":"), std::string::npos);
    EXPECT_NE(proxy.process->output().find("contains no PEM certificate"), std::string::npos);
    TlsClient after(proxy.port);
    ASSERT_TRUE(after.connected());
    EXPECT_EQ(after.peer_certificate_pem(), renewed.pem);
}

TEST(Tls, HealthChecksOfATlsPoolGoOverTls) {
    Sim secure = start_sim("secure", {"--tls-self-signed"});
    Sim plain = start_sim("plain");
    Proxy proxy = start_proxy(basic_config({&secure, &plain},
                                           "    tls: { verify: false }\n"
                                           "    health: { interval: 200ms, timeout: 1s, fall: 2, rise: 2 }\n",
                                           "", kAdmin));
    ASSERT_NE(proxy.port, 0);
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);
    // The plain site cannot complete a TLS handshake, so its checks fail; the TLS site passes them.
    ASSERT_TRUE(eventually([&] { return server_state(admin, "gis", "plain") == "down"; })) << proxy.process->output();
    EXPECT_EQ(server_state(admin, "gis", "secure"), "up");
    const auto status = nlohmann::json::parse(http_get(admin, "/api/v1/status").body);
    std::string plain_error;
    for (const auto& s : status["pools"][0]["servers"])
        if (s["name"] == "plain") plain_error = s["health"]["last_error"].get<std::string>();
    EXPECT_NE(plain_error.find("TLS handshake"), std::string::npos) << plain_error;
    for (int i = 0; i < 4; ++i) {
        const auto r = http_get(proxy.port, "/arcgis/rest/info/healthcheck");
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.header("X-Gisgate-Sim-Site"), "secure");
    }
}

TEST(Tls, CheckReportsBadCertificatesAsLocatedErrors) {
    const CertFiles good = make_cert("check", "127.0.0.1");
    const std::string missing = temp_dir() + "/certs/missing.pem";
    const std::string config = write_temp_file("check-tls.yaml", fmt::format(R"(listeners:
  - name: public
    bind: 127.0.0.1:8443
    tls:
      cert: {}
      key: {}
    routes: [{{ prefix: /, pool: gis }}]
pools: [{{ name: gis, servers: [{{ name: a, address: 127.0.0.1:6081 }}] }}]
)",
                                                                                 missing, good.key));
    auto check = ChildProcess::start({"check", "-c", config});
    EXPECT_EQ(check->wait_exit(), 2);
    EXPECT_NE(check->output().find(config + ":5:13: cannot read certificate file '" + missing + "'"), std::string::npos)
        << check->output();
    auto run = ChildProcess::start({"run", "-c", config});
    EXPECT_EQ(run->wait_exit(), 2);
    EXPECT_NE(run->output().find(config + ":5:13:"), std::string::npos) << run->output();

    const std::string ok = write_temp_file("check-tls-ok.yaml", fmt::format(R"(listeners:
  - name: public
    bind: 127.0.0.1:8443
    tls: {{ cert: {}, key: {} }}
    routes: [{{ prefix: /, pool: gis }}]
pools: [{{ name: gis, tls: {{ verify: false }}, servers: [{{ name: a, address: 127.0.0.1:6443 }}] }}]
)",
                                                                            good.cert, good.key));
    auto fine = ChildProcess::start({"check", "-c", ok});
    EXPECT_EQ(fine->wait_exit(), 0) << fine->output();
    EXPECT_NE(fine->output().find("# tls:"), std::string::npos);
    EXPECT_NE(fine->output().find("for [127.0.0.1], default, expires in"), std::string::npos) << fine->output();
    EXPECT_NE(fine->output().find("warning: pool gis: server certificates are not verified"), std::string::npos);
}

}  // namespace
}  // namespace gisgate::test
