// Hostile and ambiguous requests as raw bytes against a real `gisgate run` with a real simulated site behind
// it. Every case must get its exact status, the connection must be closed by gisgate, and nothing may reach
// the site (request smuggling needs the proxy and the server to disagree; here the server never sees it).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <memory>
#include <string>

#include "support/http_client.hpp"
#include "support/process.hpp"

namespace gisgate::test {
namespace {

using namespace std::string_literals;

// A site and a proxy shared by all cases of this process (gtest_discover_tests runs each case in its own
// process; run directly, the binary runs them all against one pair, so cases compare before and after).
class RawRequests : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        site_ = new Sim(start_sim("raw"));
        const std::string yaml = fmt::format(R"(workers: 1
access_log: off
timeouts: {{ header: 5s }}
limits: {{ max_request_line: 1KB, max_header_size: 4KB, max_headers: 20 }}
listeners:
  - name: public
    bind: 127.0.0.1:0
    routes:
      - {{ prefix: /arcgis, pool: gis }}
      - {{ prefix: /echo, rewrite: /sim/echo, pool: gis }}
pools:
  - name: gis
    health: {{ enabled: false }}
    servers:
      - {{ name: raw, address: 127.0.0.1:{} }}
)",
                                             site_->port);
        const std::string path = write_temp_file("raw-requests.yaml", yaml);
        proxy_ = ChildProcess::start({"run", "-c", path}).release();
        proxy_port_ = proxy_->wait_for_port("public");
    }
    static void TearDownTestSuite() {
        delete proxy_;
        proxy_ = nullptr;
        delete site_;
        site_ = nullptr;
    }
    void SetUp() override {
        ASSERT_NE(site_->port, 0);
        ASSERT_NE(proxy_port_, 0) << proxy_->output();
    }

    // What the site has seen: requests handled and connections accepted.
    static nlohmann::json site_stats() {
        const auto r = http_get(site_->port, "/sim/stats");
        return nlohmann::json::parse(r.body, nullptr, false);
    }

    static Sim* site_;
    static ChildProcess* proxy_;
    static int proxy_port_;
};

Sim* RawRequests::site_ = nullptr;
ChildProcess* RawRequests::proxy_ = nullptr;
int RawRequests::proxy_port_ = 0;

struct RawCase {
    const char* name;
    std::string bytes;
    int status;
};

void PrintTo(const RawCase& c, std::ostream* os) { *os << c.name; }

class RawRejected : public RawRequests, public ::testing::WithParamInterface<RawCase> {};

TEST_P(RawRejected, GetsStatusAndClose) {
    const RawCase& c = GetParam();
    const auto before = site_stats();
    ASSERT_FALSE(before.is_discarded());
    HttpClient client(proxy_port_);
    ASSERT_TRUE(client.connected());
    client.send_raw(c.bytes);
    const HttpResponse r = client.read_response(false, std::chrono::seconds(15));
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
    EXPECT_EQ(r.header("Connection"), "close") << c.name;
    EXPECT_EQ(r.header("Content-Type"), "application/json") << c.name;
    EXPECT_TRUE(client.closed_by_peer(std::chrono::seconds(10))) << c.name << ": connection left open";
    const auto after = site_stats();
    ASSERT_FALSE(after.is_discarded());
    EXPECT_EQ(after["requests"], before["requests"]) << c.name << ": a rejected request reached the site";
    // Connections accepted by the site: only the stats request's own.
    EXPECT_EQ(after["connections"].get<int>(), before["connections"].get<int>() + 1)
        << c.name << ": gisgate connected to the site";
}

const std::string kHost = "Host: gis\r\n";
const std::string kGet = "GET /arcgis/rest/info?f=json HTTP/1.1\r\n";
const std::string kPost = "POST /arcgis/rest/services/Maps/Parcels/FeatureServer/0/query HTTP/1.1\r\n";
const std::string kChunked = kPost + kHost + "Transfer-Encoding: chunked\r\n\r\n";

std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

std::string many_headers(int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += "X-" + std::to_string(i) + ": v\r\n";
    return out;
}

INSTANTIATE_TEST_SUITE_P(
    Framing, RawRejected,
    ::testing::Values(
        RawCase{"ClAndTe", kPost + kHost + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG", 400},
        RawCase{"TeAndCl", kPost + kHost + "Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\nG", 400},
        RawCase{"TwoDifferentContentLengths", kPost + kHost + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400},
        RawCase{"ContentLengthListDiffers", kPost + kHost + "Content-Length: 5, 6\r\n\r\nhello!", 400},
        RawCase{"ContentLengthNotDigits", kPost + kHost + "Content-Length: 5x\r\n\r\nhello", 400},
        RawCase{"ContentLengthNegative", kPost + kHost + "Content-Length: -1\r\n\r\n", 400},
        RawCase{"ContentLengthPlusSign", kPost + kHost + "Content-Length: +5\r\n\r\nhello", 400},
        RawCase{"ContentLengthOverflow", kPost + kHost + "Content-Length: 18446744073709551616\r\n\r\n", 400},
        RawCase{"TeGzipOnly", kPost + kHost + "Transfer-Encoding: gzip\r\n\r\n", 400},
        RawCase{"TeChunkedNotFinal", kPost + kHost + "Transfer-Encoding: chunked, identity\r\n\r\n", 400},
        RawCase{"TeChunkedNotFinalOverTwoFields",
                kPost + kHost + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n", 400},
        RawCase{"TeChunkedTwice", kPost + kHost + "Transfer-Encoding: chunked, chunked\r\n\r\n", 400},
        RawCase{"TeLookalike", kPost + kHost + "Transfer-Encoding: xchunked\r\n\r\n", 400},
        RawCase{"TeChunkedWithParameter", kPost + kHost + "Transfer-Encoding: chunked;q=1\r\n\r\n", 400},
        RawCase{"TeUnsupportedCoding", kPost + kHost + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
        RawCase{"ChunkedInHttp10",
                "POST /arcgis/rest/info HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        RawCase{"ConnectionNamesContentLength",
                kPost + kHost + "Connection: Content-Length\r\nContent-Length: 5\r\n\r\nhello", 400},
        RawCase{"ConnectionNamesTransferEncoding",
                kPost + kHost + "Connection: transfer-encoding\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        RawCase{"UnderscoreContentLength", kPost + kHost + "Content_Length: 5\r\n\r\nhello", 400},
        RawCase{"UnderscoreTransferEncoding", kPost + kHost + "Transfer_Encoding: chunked\r\n\r\n0\r\n\r\n", 400}),
    [](const auto& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    ChunkedBody, RawRejected,
    ::testing::Values(
        RawCase{"ChunkSizeNotHex", kChunked + "zz\r\nhello\r\n0\r\n\r\n", 400},
        RawCase{"ChunkSizeHexPrefix", kChunked + "0x5\r\nhello\r\n0\r\n\r\n", 400},
        RawCase{"ChunkSizeSeventeenDigits", kChunked + "00000000000000005\r\nhello\r\n0\r\n\r\n", 400},
        RawCase{"ChunkSizeOverflow", kChunked + "fffffffffffffffff\r\n", 400},
        RawCase{"ChunkSizeAbove63Bits", kChunked + "8000000000000000\r\n", 400},
        RawCase{"ChunkExtensionUnterminatedQuote", kChunked + "5;a=\"\r\nhello\r\n0\r\n\r\n", 400},
        RawCase{"ChunkExtensionCrlfInQuotes", kChunked + "5;a=\"x\r\n\"\r\nhello\r\n0\r\n\r\n", 400},
        RawCase{"ChunkExtensionWithoutName", kChunked + "5;=x\r\nhello\r\n0\r\n\r\n", 400},
        RawCase{"ChunkSizeLeadingSpace", kChunked + " 5\r\nhello\r\n0\r\n\r\n", 400},
        RawCase{"ChunkSizeBareLf", kChunked + "5\nhello\r\n0\r\n\r\n", 400},
        RawCase{"ChunkDataLongerThanSize", kChunked + "3\r\nhello\r\n0\r\n\r\n", 400},
        RawCase{"ChunkExtensionControlChar", kChunked + "5;a=\x01\r\nhello\r\n0\r\n\r\n", 400},
        RawCase{"ChunkExtensionLineTooLong", kChunked + "5;" + std::string(5000, 'x') + "\r\nhello\r\n0\r\n\r\n", 400},
        RawCase{"ChunkExtensionsTooManyBytes",
                [] {
                    std::string body = kChunked;
                    for (int i = 0; i < 20; ++i) body += "1;" + std::string(1000, 'e') + "\r\nx\r\n";
                    return body + "0\r\n\r\n";
                }(),
                400},
        RawCase{"TrailerContentLength", kChunked + "5\r\nhello\r\n0\r\nContent-Length: 5\r\n\r\n", 400},
        RawCase{"TrailerObsFold", kChunked + "0\r\nX: a\r\n b\r\n\r\n", 400}),
    [](const auto& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    HeaderSyntax, RawRejected,
    ::testing::Values(
        RawCase{"ObsFoldSpace", kGet + kHost + "X-A: 1\r\n 2\r\n\r\n", 400},
        RawCase{"ObsFoldTab", kGet + kHost + "X-A: 1\r\n\t2\r\n\r\n", 400},
        RawCase{"ObsFoldFirstLine", kGet + " " + kHost + "\r\n", 400},
        RawCase{"SpaceBeforeColon", kGet + "Host : gis\r\n\r\n", 400},
        RawCase{"TabBeforeColonContentLength", kPost + kHost + "Content-Length\t: 5\r\n\r\nhello", 400},
        RawCase{"BareCrInValue", kGet + kHost + "X: a\rb\r\n\r\n", 400},
        RawCase{"BareLfLineEnd", kGet + "Host: gis\nX: y\r\n\r\n", 400},
        RawCase{"BareLfHeadEnd", kGet + kHost + "\n", 400},
        RawCase{"NulInValue", kGet + kHost + "X: a\0b\r\n\r\n"s, 400},
        RawCase{"NulInName", kGet + kHost + "X\0Y: a\r\n\r\n"s, 400},
        RawCase{"ControlCharInValue", kGet + kHost + "X: a\x01" "b\r\n\r\n", 400},
        RawCase{"DelInValue", kGet + kHost + "X: a\x7f\r\n\r\n", 400},
        RawCase{"NoColon", kGet + kHost + "NoColonHere\r\n\r\n", 400},
        RawCase{"EmptyName", kGet + kHost + ": v\r\n\r\n", 400},
        RawCase{"TwoHosts", kGet + kHost + "Host: other\r\n\r\n", 400},
        RawCase{"MissingHost", kGet + "Accept: */*\r\n\r\n", 400},
        RawCase{"HostWithSlash", kGet + "Host: gis/evil\r\n\r\n", 400}),
    [](const auto& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    RequestLine, RawRejected,
    ::testing::Values(
        RawCase{"MethodWithSeparator", "GE(T /arcgis/rest/info HTTP/1.1\r\n" + kHost + "\r\n", 400},
        RawCase{"MethodLowerCase", "get /arcgis/rest/info HTTP/1.1\r\n" + kHost + "\r\n", 400},
        RawCase{"MethodHeadMixedCase", "Head /arcgis/rest/info HTTP/1.1\r\n" + kHost + "\r\n", 400},
        RawCase{"EmptyMethod", " /arcgis/rest/info HTTP/1.1\r\n" + kHost + "\r\n", 400},
        RawCase{"NulInMethod", "G\0T /arcgis/rest/info HTTP/1.1\r\n"s + kHost + "\r\n", 400},
        RawCase{"AbsoluteFormTarget", "GET http://gis/arcgis/rest/info HTTP/1.1\r\n" + kHost + "\r\n", 400},
        RawCase{"RelativeTarget", "GET arcgis/rest/info HTTP/1.1\r\n" + kHost + "\r\n", 400},
        RawCase{"AsteriskForGet", "GET * HTTP/1.1\r\n" + kHost + "\r\n", 400},
        RawCase{"FragmentInTarget", "GET /arcgis/rest/info#x HTTP/1.1\r\n" + kHost + "\r\n", 400},
        RawCase{"ControlCharInTarget", "GET /arcgis/\x01 HTTP/1.1\r\n" + kHost + "\r\n", 400},
        RawCase{"TwoSpacesAfterMethod", "GET  /arcgis/rest/info HTTP/1.1\r\n" + kHost + "\r\n", 400},
        RawCase{"BareLfAfterRequestLine", "GET /arcgis/rest/info HTTP/1.1\n" + kHost + "\r\n", 400},
        RawCase{"Http09", "GET /arcgis/rest/info\r\n\r\n", 400},
        RawCase{"GarbageVersion", "GET /arcgis/rest/info HTTQ/1.1\r\n" + kHost + "\r\n", 400},
        RawCase{"Http20", "GET /arcgis/rest/info HTTP/2.0\r\n" + kHost + "\r\n", 505},
        RawCase{"Http12", "GET /arcgis/rest/info HTTP/1.2\r\n" + kHost + "\r\n", 505},
        RawCase{"Connect", "CONNECT gis:443 HTTP/1.1\r\nHost: gis:443\r\n\r\n", 405},
        RawCase{"TooManyEmptyLinesFirst", repeat("\r\n", 9) + kGet + kHost + "\r\n", 400},
        RawCase{"PercentNulInPath", "GET /arcgis/rest/%00/info HTTP/1.1\r\n" + kHost + "\r\n", 400},
        RawCase{"BadPercentEscape", "GET /arcgis/rest/%zz HTTP/1.1\r\n" + kHost + "\r\n", 400}),
    [](const auto& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Limits, RawRejected,
    ::testing::Values(
        RawCase{"RequestLineTooLong", "GET /arcgis/" + std::string(1100, 'a') + " HTTP/1.1\r\n" + kHost + "\r\n", 414},
        RawCase{"RequestLineTooLongUnfinished", "GET /arcgis/" + std::string(1100, 'a'), 414},
        RawCase{"HeadersTooLarge", kGet + kHost + "X-Big: " + std::string(5000, 'x') + "\r\n\r\n", 431},
        RawCase{"TooManyHeaders", kGet + kHost + many_headers(20) + "\r\n", 431}),
    [](const auto& info) { return std::string(info.param.name); });

// The control case: the same fixture answers a well-formed request and keeps the connection, so the
// rejections above are about the bytes, not about the set-up.
TEST_F(RawRequests, WellFormedRequestsAreServedAndKeptAlive) {
    HttpClient client(proxy_port_);
    client.send_raw(kGet + kHost + "\r\n");
    HttpResponse r = client.read_response();
    EXPECT_EQ(r.status, 200) << r.body;
    client.send_raw(kPost + kHost + "Content-Type: application/x-www-form-urlencoded\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n6\r\nf=json\r\n0\r\n\r\n");
    r = client.read_response();
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_FALSE(client.closed_by_peer(std::chrono::milliseconds(200)));
    EXPECT_GE(site_stats()["requests"].get<int>(), 2);
}

// What the site receives is one plain framing header, whatever equivalent form the client used, so no
// server behind gisgate can read the length differently (/sim/echo shows the request as the site got it;
// repeated fields would show joined with ", ").
TEST_F(RawRequests, FramingHeadersAreSentUpstreamInOnePlainForm) {
    HttpClient client(proxy_port_);
    client.send_raw("POST /echo HTTP/1.1\r\n" + kHost + "Content-Length: 006, 6\r\ncontent-length: 6\r\n\r\nf=json");
    HttpResponse r = client.read_response();
    ASSERT_EQ(r.status, 200) << r.body;
    auto echo = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_FALSE(echo.is_discarded()) << r.body;
    EXPECT_EQ(echo["headers"]["content-length"], "6");
    EXPECT_EQ(echo["body"], "f=json");

    client.send_raw("POST /echo HTTP/1.1\r\n" + kHost +
                    "Transfer-Encoding: ,\r\nTransfer-Encoding: , chunked\r\n\r\n6\r\nf=json\r\n0\r\n\r\n");
    r = client.read_response();
    ASSERT_EQ(r.status, 200) << r.body;
    echo = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_FALSE(echo.is_discarded()) << r.body;
    EXPECT_EQ(echo["headers"]["transfer-encoding"], "chunked");
    EXPECT_FALSE(echo["headers"].contains("content-length"));
    EXPECT_EQ(echo["body"], "f=json");
    EXPECT_FALSE(client.closed_by_peer(std::chrono::milliseconds(200)));
}

}  // namespace
}  // namespace gisgate::test
