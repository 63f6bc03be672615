// Request body framing and size through the proxy: malformed chunk extensions and sizes beyond 63 bits are a
// 400, a body above `limits.max_request_body` a 413 (from its Content-Length before anything is relayed, or
// from the running total of its chunks), and nothing of a refused request that can be refused up front reaches
// the server. After each case the proxy is idle with its descriptors back to baseline.
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "integration/proxy_fixture.hpp"
#include "support/hostile_origin.hpp"
#include "support/process_quiet.hpp"

namespace gisgate::test {
namespace {

constexpr const char* kQuery = "/arcgis/rest/services/Maps/Parcels/FeatureServer/0/query";

Proxy proxy_for_origin(int port, const std::string& limits = "") {
    return start_proxy(single_origin_config(port, "", limits.empty() ? "" : limits + "\n"));
}

void expect_refused(HttpClient& c, int status, const std::string& why) {
    const auto r = c.read_response(false, std::chrono::seconds(10));
    EXPECT_EQ(r.status, status) << why << ": " << r.body;
    const auto body = nlohmann::json::parse(r.body, nullptr, false);
    EXPECT_FALSE(body.is_discarded()) << why << ": " << r.body;
    if (!body.is_discarded()) {
        EXPECT_EQ(body["error"]["code"], status) << why;
    }
    EXPECT_TRUE(c.closed_by_peer()) << why;
}

std::string chunked_post(const std::string& chunks) {
    return fmt::format("POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n{}",
                       kQuery, chunks);
}

// Before the fix these were relayed to the server unchanged (an unterminated quoted string lets two parsers
// disagree on where the chunk data starts).
TEST(RequestBody, MalformedChunkExtensionsAre400AndNeverReachTheServer) {
    HostileOrigin origin({});
    Proxy proxy = proxy_for_origin(origin.port());
    ASSERT_NE(proxy.port, 0);
    const int baseline = open_fds(proxy.process->pid());
    for (const std::string chunks : {"5;name=\"\r\nhello\r\n0\r\n\r\n", "5;name=\"a\r\n\"\r\nhello\r\n0\r\n\r\n",
                                     "5;=x\r\nhello\r\n0\r\n\r\n", "5;a=b c\r\nhello\r\n0\r\n\r\n"}) {
        HttpClient c(proxy.port);
        c.send_raw(chunked_post(chunks));
        expect_refused(c, 400, chunks);
    }
    EXPECT_EQ(origin.requests(), 0u);
    EXPECT_EQ(quiet_and_back_to_baseline(proxy.process->pid(), baseline), "");
}

TEST(RequestBody, SizesBeyond63BitsAre400) {
    HostileOrigin origin({});
    Proxy proxy = proxy_for_origin(origin.port(), "limits: { max_request_body: 0 }");  // no limit: framing only
    ASSERT_NE(proxy.port, 0);
    const int baseline = open_fds(proxy.process->pid());
    {
        HttpClient c(proxy.port);
        c.send_raw(fmt::format("POST {} HTTP/1.1\r\nHost: x\r\nContent-Length: 9223372036854775808\r\n\r\nx", kQuery));
        expect_refused(c, 400, "Content-Length 2^63");
    }
    {
        HttpClient c(proxy.port);
        c.send_raw(chunked_post("8000000000000000\r\nx"));
        expect_refused(c, 400, "chunk size 2^63");
    }
    EXPECT_EQ(origin.requests(), 0u);
    EXPECT_EQ(quiet_and_back_to_baseline(proxy.process->pid(), baseline), "");
}

// A Content-Length above the limit is refused from the head: no byte of it is read or relayed.
TEST(RequestBody, ContentLengthAboveTheLimitIs413BeforeAnythingIsRelayed) {
    HostileOrigin origin({});
    Proxy proxy = proxy_for_origin(origin.port(), "limits: { max_request_body: 1KB }");
    ASSERT_NE(proxy.port, 0);
    const int baseline = open_fds(proxy.process->pid());
    HttpClient c(proxy.port);
    c.send_raw(fmt::format("POST {} HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n", kQuery));
    expect_refused(c, 413, "Content-Length 1025 over 1 KiB");
    // The default limit (4 GiB) refuses what is beyond it just the same.
    Proxy defaults = proxy_for_origin(origin.port());
    HttpClient d(defaults.port);
    d.send_raw(fmt::format("POST {} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n", kQuery, (4ull << 30) + 1));
    expect_refused(d, 413, "Content-Length 4 GiB + 1");
    EXPECT_EQ(origin.requests(), 0u);
    EXPECT_EQ(quiet_and_back_to_baseline(proxy.process->pid(), baseline), "");
}

// Chunked bodies: at the limit they reach the server; one chunk over it (sent after the head was relayed) is
// a 413 to the client and the server connection is dropped, not reused.
TEST(RequestBody, ChunkedTotalAboveTheLimitIs413AndWithinItReachesTheServer) {
    Sim sim = start_sim("a");
    Proxy proxy = start_proxy(basic_config({&sim}, "", "", "limits: { max_request_body: 64 }\n"));
    ASSERT_NE(proxy.port, 0);
    const int baseline = open_fds(proxy.process->pid());
    const std::string form = "where=1%3D1&resultRecordCount=2&f=json";  // 38 bytes
    {
        HttpClient c(proxy.port);
        c.send_raw(chunked_post(fmt::format("{:x}\r\n{}\r\n{:x}\r\n{}\r\n0\r\n\r\n", form.size(), form,
                                            64 - form.size(), std::string(64 - form.size(), '&'))));
        const auto r = c.read_response();
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(nlohmann::json::parse(r.body)["features"].size(), 2u);
    }
    {
        HttpClient c(proxy.port);
        c.send_raw(chunked_post(fmt::format("{:x}\r\n{}\r\n", form.size(), form)));
        // The first chunk may already be on its way to the server; the second takes the total to 65.
        c.send_raw(fmt::format("{:x}\r\n{}\r\n0\r\n\r\n", 27, std::string(27, '&')));
        expect_refused(c, 413, "chunks adding up to 65 over 64");
    }
    EXPECT_EQ(http_get(proxy.port, "/arcgis/rest/info?f=json").status, 200);
    EXPECT_EQ(quiet_and_back_to_baseline(proxy.process->pid(), baseline + 1), "");  // + the pooled connection
}

}  // namespace
}  // namespace gisgate::test
