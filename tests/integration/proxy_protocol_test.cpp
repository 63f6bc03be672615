// The PROXY protocol end to end: gisgate behind a balancer that sends a v1/v2 header (http, TLS and tcp
// listeners, IPv4 and IPv6 clients), only listed senders may name a client, the per-IP limit and
// trusted_proxies apply to the announced client, and gisgate's own send_proxy (requests and health checks)
// read by a second gisgate and by HAProxy.
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "integration/proxy_fixture.hpp"
#include "net/proxy_protocol.hpp"
#include "support/tls_client.hpp"
#include "tls/certificates.hpp"

namespace gisgate::test {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr const char* kAcceptFromLoopback = "    proxy_protocol: { accept: true, from: [127.0.0.1/32] }\n";

tcp::endpoint endpoint(const char* address, unsigned short port) { return {asio::ip::make_address(address), port}; }

std::string v1(const char* source, const char* destination) {
    std::string out;
    net::write_proxy_v1(endpoint(source, 50000), endpoint(destination, 443), out);
    return out;
}

std::string v2(const char* source, const char* destination) {
    std::string out;
    net::write_proxy_v2(endpoint(source, 50000), endpoint(destination, 443), out);
    return out;
}

std::string pp_echo_request(const std::string& extra = "") {
    return "GET /sim/echo HTTP/1.1\r\nHost: gis\r\n" + extra + "\r\n";
}

// X-Forwarded-For as the site received it from gisgate ("" when the answer is not the echo).
std::string pp_forwarded_for(const HttpResponse& r) {
    const auto doc = nlohmann::json::parse(r.body, nullptr, false);
    if (r.status != 200 || !doc.is_object() || !doc["headers"].contains("x-forwarded-for")) return "";
    return doc["headers"]["x-forwarded-for"].get<std::string>();
}

// One request on a new connection from `source` that starts with `preamble` (a PROXY header, or nothing).
HttpResponse pp_send_with(int port, const std::string& preamble, const std::string& source = "",
                       const std::string& extra = "") {
    HttpClient client(port, "127.0.0.1", source);
    client.send_raw(preamble + pp_echo_request(extra));
    return client.read_response(false, std::chrono::seconds(10));
}

TEST(ProxyProtocol, V1AndV2HeadersNameTheClientForIpv4AndIpv6) {
    Sim a = start_sim("a");
    ASSERT_NE(a.port, 0);
    Proxy proxy = start_proxy(basic_config({&a}, "", kAcceptFromLoopback));
    ASSERT_NE(proxy.port, 0);
    EXPECT_EQ(pp_forwarded_for(pp_send_with(proxy.port, v1("203.0.113.9", "192.0.2.1"))), "203.0.113.9");
    EXPECT_EQ(pp_forwarded_for(pp_send_with(proxy.port, v2("198.51.100.7", "192.0.2.1"))), "198.51.100.7");
    EXPECT_EQ(pp_forwarded_for(pp_send_with(proxy.port, v1("2001:db8::1", "2001:db8::2"))), "2001:db8::1");
    EXPECT_EQ(pp_forwarded_for(pp_send_with(proxy.port, v2("2001:db8::7", "2001:db8::2"))), "2001:db8::7");
    // The access log names the announced client, not the balancer.
    EXPECT_TRUE(proxy.process->wait_for_output("2001:db8::7 public"));
}

TEST(ProxyProtocol, OnlyListedBalancersMayNameAClientAndTheyMustAlwaysDoSo) {
    Sim a = start_sim("a");
    ASSERT_NE(a.port, 0);
    Proxy proxy = start_proxy(basic_config({&a}, "", "    proxy_protocol: { accept: true, from: [127.0.0.2/32] }\n"));
    ASSERT_NE(proxy.port, 0);
    // The listed balancer (127.0.0.2) with a header: served as the announced client.
    EXPECT_EQ(pp_forwarded_for(pp_send_with(proxy.port, v1("203.0.113.9", "192.0.2.1"), "127.0.0.2")), "203.0.113.9");
    // The listed balancer without one: closed without an answer (its connections always carry a header).
    EXPECT_EQ(pp_send_with(proxy.port, "", "127.0.0.2").status, 0);
    // With a malformed one (two spaces): closed.
    EXPECT_EQ(pp_send_with(proxy.port, "PROXY TCP4  203.0.113.9 192.0.2.1 1 2\r\n", "127.0.0.2").status, 0);
    // A truncated one (the balancer's connection ends inside it): closed.
    HttpClient truncated(proxy.port, "127.0.0.1", "127.0.0.2");
    truncated.send_raw(v2("203.0.113.9", "192.0.2.1").substr(0, 20));
    truncated.shutdown_write();
    EXPECT_TRUE(truncated.closed_by_peer());
    // Anyone else sending a header: closed, never believed.
    EXPECT_EQ(pp_send_with(proxy.port, v1("203.0.113.9", "192.0.2.1"), "127.0.0.1").status, 0);
    EXPECT_EQ(pp_send_with(proxy.port, v2("203.0.113.9", "192.0.2.1"), "127.0.0.1").status, 0);
    // Anyone else without one: an ordinary client, served as itself.
    EXPECT_EQ(pp_forwarded_for(pp_send_with(proxy.port, "", "127.0.0.1")), "127.0.0.1");
}

TEST(ProxyProtocol, AllowAppliesToTheAnnouncedClient) {
    Sim a = start_sim("a");
    ASSERT_NE(a.port, 0);
    Proxy proxy = start_proxy(
        basic_config({&a}, "", std::string(kAcceptFromLoopback) + "    allow: [203.0.113.0/24]\n"));
    ASSERT_NE(proxy.port, 0);
    EXPECT_EQ(pp_forwarded_for(pp_send_with(proxy.port, v1("203.0.113.9", "192.0.2.1"))), "203.0.113.9");
    EXPECT_EQ(pp_send_with(proxy.port, v2("192.0.2.50", "192.0.2.1")).status, 403);
}

TEST(ProxyProtocol, TlsListenersReadTheHeaderBeforeTheHandshake) {
    Sim a = start_sim("a");
    ASSERT_NE(a.port, 0);
    const tls::PemPair pair = tls::make_self_signed("127.0.0.1");
    const std::string cert = write_temp_file("pp/tls.pem", pair.cert), key = write_temp_file("pp/tls.key", pair.key);
    Proxy proxy = start_proxy(basic_config(
        {&a}, "", std::string(kAcceptFromLoopback) + fmt::format("    tls: {{ cert: {}, key: {} }}\n", cert, key)));
    ASSERT_NE(proxy.port, 0);
    for (const std::string& header : {v1("203.0.113.20", "192.0.2.1"), v2("2001:db8::20", "2001:db8::2")}) {
        TlsClient client(proxy.port, {.preamble = header});
        ASSERT_TRUE(client.connected()) << client.error();
        const auto r = client.request("GET", "/sim/echo");
        EXPECT_EQ(pp_forwarded_for(r), header[0] == 'P' ? "203.0.113.20" : "2001:db8::20");
        const auto doc = nlohmann::json::parse(r.body, nullptr, false);
        ASSERT_TRUE(doc.is_object());
        EXPECT_EQ(doc["headers"]["x-forwarded-proto"], "https");
    }
    // A TLS ClientHello where the header belongs: closed.
    TlsClient no_header(proxy.port);
    EXPECT_FALSE(no_header.connected());
}

TEST(ProxyProtocol, ThePerIpLimitCountsTheAnnouncedClientNotTheBalancer) {
    Sim a = start_sim("a");
    ASSERT_NE(a.port, 0);
    Proxy proxy = start_proxy(
        basic_config({&a}, "", kAcceptFromLoopback, "limits: { max_connections_per_ip: 1 }\n"));
    ASSERT_NE(proxy.port, 0);
    HttpClient first(proxy.port);
    first.send_raw(v1("203.0.113.9", "192.0.2.1") + pp_echo_request());
    ASSERT_EQ(pp_forwarded_for(first.read_response()), "203.0.113.9");  // and stays open (keep-alive)
    // The same client again through the same balancer: over its limit.
    const auto second = pp_send_with(proxy.port, v2("203.0.113.9", "192.0.2.1"));
    EXPECT_EQ(second.status, 503);
    // Another client through the same balancer: the balancer's own address is not what is counted.
    EXPECT_EQ(pp_forwarded_for(pp_send_with(proxy.port, v2("203.0.113.10", "192.0.2.1"))), "203.0.113.10");
    // The first client's connection still works.
    first.send_raw(pp_echo_request());
    EXPECT_EQ(pp_forwarded_for(first.read_response()), "203.0.113.9");
}

TEST(ProxyProtocol, TrustedProxiesAreJudgedByTheAnnouncedClient) {
    Sim a = start_sim("a");
    ASSERT_NE(a.port, 0);
    Proxy proxy = start_proxy(
        basic_config({&a}, "", std::string(kAcceptFromLoopback) + "    trusted_proxies: [198.51.100.0/24]\n"));
    ASSERT_NE(proxy.port, 0);
    const std::string xff = "X-Forwarded-For: 203.0.113.1\r\n";
    // An announced client that is a trusted proxy: its chain is kept and extended.
    EXPECT_EQ(pp_forwarded_for(pp_send_with(proxy.port, v1("198.51.100.7", "192.0.2.1"), "", xff)),
              "203.0.113.1, 198.51.100.7");
    // Any other announced client: its claim is replaced by what the header said.
    EXPECT_EQ(pp_forwarded_for(pp_send_with(proxy.port, v1("192.0.2.99", "192.0.2.1"), "", xff)), "192.0.2.99");
}

// A second gisgate in front of the first one: `front` sends a PROXY header on each server connection (http and
// tcp listeners, and its health checks when asked), `back` requires one from 127.0.0.1.
std::string pp_front_config(const std::string& mode_keys, int back_port, const std::string& pool_keys,
                         const std::string& listener_keys = "") {
    return fmt::format(R"(workers: 1
access_log: stdout
{}listeners:
  - name: public
    bind: 127.0.0.1:0
{}{}pools:
  - name: back
{}    servers: [{{ name: back, address: 127.0.0.1:{} }}]
)",
                       kAdmin, listener_keys, mode_keys, pool_keys, back_port);
}

constexpr const char* kFrontRoutes = "    routes:\n      - { prefix: /, pool: back }\n";
constexpr const char* kProxiedHealth = "    health: { interval: 200ms, timeout: 2s, fall: 1, rise: 1, send_proxy: true }\n";

int pp_admin_port(const Proxy& proxy) { return proxy.process->wait_for_port("admin"); }

TEST(ProxyProtocol, SendProxyOnHttpPoolsAndHealthChecksIsReadByAnotherGisgate) {
    Sim a = start_sim("a");
    ASSERT_NE(a.port, 0);
    Proxy back = start_proxy(basic_config({&a}, "", kAcceptFromLoopback));
    ASSERT_NE(back.port, 0);
    for (const char* version : {"v1", "v2"}) {
        Proxy front = start_proxy(
            pp_front_config(kFrontRoutes, back.port, fmt::format("    send_proxy: {}\n{}", version, kProxiedHealth)));
        ASSERT_NE(front.port, 0);
        // The health checks carry a header too, or `back` would close them and the server would stay down.
        const int admin = pp_admin_port(front);
        ASSERT_TRUE(eventually([&] { return server_state(admin, "back", "back") == "up"; })) << version;
        // The client connects to `front` from 127.0.0.3; `back` sees 127.0.0.3, not `front`'s 127.0.0.1.
        HttpClient client(front.port, "127.0.0.1", "127.0.0.3");
        for (int i = 0; i < 3; ++i) {  // several requests on the client's own server connection
            client.send_raw(pp_echo_request());
            EXPECT_EQ(pp_forwarded_for(client.read_response()), "127.0.0.3") << version << " request " << i;
        }
    }
    // Health checks without a header are closed by `back`: the server never comes up.
    Proxy plain = start_proxy(pp_front_config(
        kFrontRoutes, back.port, "    send_proxy: v2\n    health: { interval: 200ms, timeout: 2s, fall: 1, rise: 1 }\n"));
    ASSERT_NE(plain.port, 0);
    const int admin = pp_admin_port(plain);
    ASSERT_TRUE(eventually([&] { return server_state(admin, "back", "back") == "down"; }));
}

TEST(ProxyProtocol, ATcpListenerPassesTheAnnouncedClientOnThroughSendProxy) {
    Sim a = start_sim("a");
    ASSERT_NE(a.port, 0);
    Proxy back = start_proxy(basic_config({&a}, "", kAcceptFromLoopback));
    ASSERT_NE(back.port, 0);
    // Layer 4 in front: it reads the balancer's v1 header and writes a v2 one naming the same client.
    Proxy front = start_proxy(pp_front_config("    mode: tcp\n    pool: back\n", back.port,
                                           std::string("    send_proxy: v2\n") + kProxiedHealth, kAcceptFromLoopback));
    ASSERT_NE(front.port, 0);
    const int admin = pp_admin_port(front);
    ASSERT_TRUE(eventually([&] { return server_state(admin, "back", "back") == "up"; }));
    EXPECT_EQ(pp_forwarded_for(pp_send_with(front.port, v1("203.0.113.77", "192.0.2.1"))), "203.0.113.77");
    EXPECT_EQ(pp_forwarded_for(pp_send_with(front.port, v1("2001:db8::77", "2001:db8::2"))), "2001:db8::77");
    // Its connection log names the announced client.
    EXPECT_TRUE(front.process->wait_for_output("203.0.113.77 public \"TCP\""));
}

// HAProxy, the protocol's reference implementation, on both sides of gisgate.
TEST(ProxyProtocol, HaproxySendProxyInFrontAndAcceptProxyBehind) {
    const char* haproxy = "/usr/sbin/haproxy";
    ASSERT_TRUE(std::filesystem::exists(haproxy)) << "haproxy is installed by scripts/install-deps";
    Sim a = start_sim("a");
    ASSERT_NE(a.port, 0);
    Proxy gis = start_proxy(basic_config({&a}, "", "    proxy_protocol: { accept: true, from: [127.0.0.1/32] }\n"));
    ASSERT_NE(gis.port, 0);
    // HAProxy in front (send-proxy-v2), and behind gisgate (accept-proxy, its own echo of the source address
    // as a response header) for gisgate's send_proxy: v1.
    const int front_port = unused_port(), behind_port = unused_port();
    const std::string cfg = write_temp_file("pp/haproxy.cfg", fmt::format(R"(global
  maxconn 100
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend front
  bind 127.0.0.1:{}
  default_backend gis
backend gis
  server gis 127.0.0.1:{} send-proxy-v2
frontend behind
  bind 127.0.0.1:{} accept-proxy
  http-request return status 200 content-type text/plain lf-string "%[src]"
)",
                                                                         front_port, gis.port, behind_port));
    auto ha = ChildProcess::start_program(haproxy, {"-db", "-f", cfg});
    ASSERT_TRUE(eventually([&] { return http_get(front_port, "/sim/echo").status == 200; }))
        << ha->output();
    HttpClient client(front_port, "127.0.0.1", "127.0.0.4");
    client.send_raw(pp_echo_request());
    EXPECT_EQ(pp_forwarded_for(client.read_response()), "127.0.0.4");

    Proxy out = start_proxy(pp_front_config(kFrontRoutes, behind_port,
                                         "    send_proxy: v1\n    health: { enabled: false }\n"));
    ASSERT_NE(out.port, 0);
    HttpClient via(out.port, "127.0.0.1", "127.0.0.5");
    via.send_raw("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto r = via.read_response();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "127.0.0.5");
}

}  // namespace
}  // namespace gisgate::test
