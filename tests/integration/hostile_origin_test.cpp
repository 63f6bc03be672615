// A misbehaving origin behind gisgate (support/hostile_origin.hpp): no answer ever reaches the wrong client,
// a flood of interim responses is a 502, not a spinning worker, and redirects follow the public URL. After each case the proxy must be idle and
// back to its file descriptors of before (support/process_quiet.hpp).
#include <gtest/gtest.h>
#include <fmt/format.h>

#include "integration/proxy_fixture.hpp"
#include "support/hostile_origin.hpp"
#include "support/process_quiet.hpp"

namespace gisgate::test {
namespace {

using namespace std::chrono_literals;

// One worker, so every request reuses the same worker's pooled connections: the most chances for a stray
// answer to be handed on.
Proxy proxy_for(const HostileOrigin& origin, const std::string& server_timeout = "5s") {
    return start_proxy(single_origin_config(origin.port(), fmt::format("    timeouts: {{ server: {} }}\n", server_timeout)));
}

// Clients A, B, C, each on a new connection, `rounds` times; every answer must be the client's own.
// `between` runs before each request (to let a late extra answer arrive while the server connection is idle).
std::size_t misdelivered(int port, int rounds, const std::function<void()>& between, std::string& example) {
    std::size_t wrong = 0;
    for (int round = 0; round < rounds; ++round) {
        for (const char* client : {"A", "B", "C"}) {
            between();
            const std::string target = fmt::format("/{}/{}", client, round);
            const auto r = http_get(port, target);
            if (r.status != 200 || r.body != target) {
                ++wrong;
                if (example.empty()) example = fmt::format("{} got {} '{}'", target, r.status, r.body);
            }
        }
    }
    return wrong;
}

TEST(HostileOrigin, AnExtraResponseInTheSameWriteNeverReachesAnotherClient) {
    HostileOrigin origin({.extra_response = true});
    Proxy proxy = proxy_for(origin);
    ASSERT_NE(proxy.port, 0);
    const int baseline = open_fds(proxy.process->pid());
    std::string example;
    EXPECT_EQ(misdelivered(proxy.port, 1000, [] {}, example), 0u) << example;
    EXPECT_EQ(quiet_and_back_to_baseline(proxy.process->pid(), baseline), "");
}

// A body sent after a HEAD answer (which has none): those bytes must not be read as the next response.
TEST(HostileOrigin, BytesAfterABodylessAnswerAreNeverTheNextResponse) {
    HostileOrigin origin({});  // answers HEAD like GET, body included
    Proxy proxy = proxy_for(origin);
    ASSERT_NE(proxy.port, 0);
    const int baseline = open_fds(proxy.process->pid());
    for (int round = 0; round < 50; ++round) {
        HttpClient head(proxy.port);
        const auto h = head.request("HEAD", fmt::format("/head/{}", round));
        EXPECT_EQ(h.status, 200);
        EXPECT_TRUE(h.body.empty());
        const std::string target = fmt::format("/get/{}", round);
        const auto r = http_get(proxy.port, target);
        ASSERT_EQ(r.body, target) << "round " << round;
    }
    EXPECT_EQ(quiet_and_back_to_baseline(proxy.process->pid(), baseline), "");
}

// A late answer that arrived while the server connection sat idle in the pool: the next client must not get
// it. Each request waits until the previous request's extra has been written (a condition, not a sleep).
void late_extra_case(std::chrono::milliseconds delay, int rounds) {
    HostileOrigin origin({.extra_response = true, .extra_delay = delay});
    Proxy proxy = proxy_for(origin);
    ASSERT_NE(proxy.port, 0);
    const int baseline = open_fds(proxy.process->pid());
    std::string example;
    const auto all_extras_sent = [&] {
        ASSERT_TRUE(eventually([&] { return origin.extras_sent() >= origin.requests(); }, 10s));
    };
    EXPECT_EQ(misdelivered(proxy.port, rounds, all_extras_sent, example), 0u) << example;
    // The last server connection may still sit in the pool (its late extra is found when it is next taken).
    EXPECT_EQ(quiet_and_back_to_baseline(proxy.process->pid(), baseline + 1), "");
}

TEST(HostileOrigin, AnExtraResponse50msLateNeverReachesTheNextClient) { late_extra_case(50ms, 30); }

TEST(HostileOrigin, AnExtraResponse500msLateNeverReachesTheNextClient) { late_extra_case(500ms, 4); }

// A server's redirect to its own host and context reaches the client as the public URL (rewrite_location:
// auto, the default), and unchanged with rewrite_location: off.
TEST(HostileOrigin, RedirectsToTheServersOwnUrlFollowThePublicUrl) {
    HostileOrigin origin({.redirect_location = "http://{self}/arcgis/rest/services?f=json"});
    Proxy proxy = start_proxy(fmt::format(R"(workers: 1
listeners:
  - name: public
    bind: 127.0.0.1:0
    routes:
      - {{ prefix: /server, rewrite: /arcgis, pool: origin }}
      - {{ prefix: /raw, rewrite: /arcgis, pool: origin, rewrite_location: off }}
pools:
  - name: origin
    health: {{ enabled: false }}
    servers: [{{ name: o, address: 127.0.0.1:{} }}]
)",
                                          origin.port()));
    ASSERT_NE(proxy.port, 0);
    const auto r = http_get(proxy.port, "/server/rest", {{"Host", "gis.example.com"}});
    EXPECT_EQ(r.status, 302);
    EXPECT_EQ(r.header("Location"), "http://gis.example.com/server/rest/services?f=json");
    EXPECT_EQ(r.header("Content-Location"), "http://gis.example.com/server/rest/services?f=json");
    EXPECT_EQ(r.header("Refresh"), "0; url=http://gis.example.com/server/rest/services?f=json");
    const auto raw = http_get(proxy.port, "/raw/rest", {{"Host", "gis.example.com"}});
    EXPECT_EQ(raw.header("Location"), fmt::format("http://127.0.0.1:{}/arcgis/rest/services?f=json", origin.port()));
}

// RFC 9112 §6.1: an HTTP/1.0 client never gets the chunked coding; it gets the data, delimited by the close.
TEST(HostileOrigin, AChunkedAnswerReachesAnHttp10ClientDechunked) {
    HostileOrigin origin({.chunked_answer = true});
    Proxy proxy = proxy_for(origin);
    ASSERT_NE(proxy.port, 0);
    const std::string target = "/arcgis/rest/services/Maps/Streets/MapServer/export?f=json&size=400,300";
    HttpClient one_zero(proxy.port);
    one_zero.send_raw("GET " + target + " HTTP/1.0\r\nHost: gis\r\n\r\n");
    const HttpResponse r = one_zero.read_response();
    EXPECT_EQ(r.status, 200);
    EXPECT_FALSE(r.chunked);
    EXPECT_EQ(r.header("Transfer-Encoding"), "");
    EXPECT_EQ(r.header("Connection"), "close");
    EXPECT_EQ(r.body, target) << "the chunk data, without chunk sizes";
    EXPECT_TRUE(one_zero.closed_by_peer());
    // An HTTP/1.1 client gets the chunked answer as it is.
    HttpClient one_one(proxy.port);
    const HttpResponse chunked = one_one.request("GET", target);
    EXPECT_TRUE(chunked.chunked);
    EXPECT_EQ(chunked.body, target);
}

TEST(HostileOrigin, A64KiBFloodOfInterimResponsesIsA502AndNoSpin) {
    HostileOrigin origin({.interim_flood_bytes = 64 * 1024});
    Proxy proxy = proxy_for(origin, "3s");
    ASSERT_NE(proxy.port, 0);
    const int baseline = open_fds(proxy.process->pid());
    const auto started = std::chrono::steady_clock::now();
    const auto r = http_get(proxy.port, "/arcgis/rest/services?f=json");
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(r.status, 502) << r.body;
    EXPECT_NE(r.body.find("interim"), std::string::npos) << r.body;
    EXPECT_LT(took, 3s) << "the 502 comes from the interim limit, not from the server timeout";
    EXPECT_EQ(quiet_and_back_to_baseline(proxy.process->pid(), baseline), "");
}

// The flood's partial form: fewer interim heads than the limit and then silence ends with the server timeout,
// not a spin.
TEST(HostileOrigin, InterimResponsesThenSilenceEndAt504WithinTheServerTimeout) {
    HostileOrigin origin({.interim_flood_bytes = 20 * 25});  // 20 "100 Continue" heads
    Proxy proxy = proxy_for(origin, "1s");
    ASSERT_NE(proxy.port, 0);
    const int baseline = open_fds(proxy.process->pid());
    const auto r = http_get(proxy.port, "/arcgis/rest/services?f=json");
    EXPECT_EQ(r.status, 504) << r.body;
    EXPECT_EQ(quiet_and_back_to_baseline(proxy.process->pid(), baseline), "");
}

}  // namespace
}  // namespace gisgate::test
