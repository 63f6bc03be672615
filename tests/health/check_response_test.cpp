// ResponseCollector and judge(): framing of health-check answers, fed in arbitrary pieces.
#include <gtest/gtest.h>

#include "balance/server.hpp"
#include "health/check_response.hpp"
#include "health/probe.hpp"

namespace gisgate::health {
namespace {

using Status = ResponseCollector::Status;

// Feeds `text` in pieces of `step` bytes; returns the status after the last piece.
Status feed(ResponseCollector& r, std::string_view text, std::size_t step) {
    Status s = Status::need_more;
    for (std::size_t i = 0; i < text.size(); i += step) s = r.append(text.substr(i, step));
    return s;
}

config::HealthConfig expecting(int status, std::string body) {
    config::HealthConfig h;
    h.expect_status = status;
    h.expect_body = std::move(body);
    return h;
}

TEST(CheckResponse, ContentLengthInAnyPieces) {
    const std::string text = "HTTP/1.1 200 OK\r\nContent-Length: 19\r\n\r\n{\"success\": true}\r\n";
    for (std::size_t step : {1u, 3u, 7u, 1000u}) {
        ResponseCollector r;
        EXPECT_EQ(feed(r, text, step), Status::complete) << step;
        EXPECT_EQ(r.http_status(), 200);
        EXPECT_EQ(r.body(), "{\"success\": true}\r\n");
        EXPECT_EQ(judge(r, expecting(200, "\"success\"")), "");
    }
}

TEST(CheckResponse, CompleteBeforeCloseWhenLengthIsKnown) {
    ResponseCollector r;
    EXPECT_EQ(r.append("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), Status::complete);
    EXPECT_EQ(r.append("garbage after the response"), Status::complete);
    EXPECT_EQ(r.body(), "ok");
}

TEST(CheckResponse, ChunkedBodyIsDecodedBeforeMatching) {
    // "success" is split across chunks: a search in the raw bytes would miss it.
    const std::string text =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"suc\r\n6;ext=1\r\ncess\":\r\n6\r\n true}\r\n"
        "0\r\n\r\n";
    for (std::size_t step : {1u, 5u, 1000u}) {
        ResponseCollector r;
        EXPECT_EQ(feed(r, text, step), Status::complete) << step;
        EXPECT_EQ(r.body(), "{\"success\": true}");
        EXPECT_EQ(judge(r, expecting(200, "\"success\"")), "");
    }
}

TEST(CheckResponse, BadChunkedFramingIsMalformed) {
    ResponseCollector r;
    EXPECT_EQ(r.append("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), Status::malformed);
    EXPECT_NE(r.error().find("chunked"), std::string::npos) << r.error();
}

TEST(CheckResponse, BodyUntilCloseCompletesAtEndOfStream) {
    ResponseCollector r;
    EXPECT_EQ(r.append("HTTP/1.0 200 OK\r\n\r\nhealthy"), Status::need_more);
    EXPECT_EQ(r.end_of_stream(), Status::complete);
    EXPECT_EQ(r.body(), "healthy");
}

TEST(CheckResponse, NoBodyCompletesAtTheHead) {
    ResponseCollector r;
    EXPECT_EQ(r.append("HTTP/1.1 204 No Content\r\n\r\n"), Status::complete);
    EXPECT_EQ(r.http_status(), 204);
    EXPECT_EQ(r.body(), "");
}

TEST(CheckResponse, InterimResponsesAreSkipped) {
    ResponseCollector r;
    EXPECT_EQ(r.append("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
              Status::complete);
    EXPECT_EQ(r.http_status(), 200);
    EXPECT_EQ(r.body(), "ok");
}

TEST(CheckResponse, TruncatedBodyIsMalformed) {
    ResponseCollector r;
    EXPECT_EQ(r.append("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), Status::need_more);
    EXPECT_EQ(r.end_of_stream(), Status::malformed);
    EXPECT_TRUE(r.received_anything());
}

TEST(CheckResponse, CloseBeforeAnyByte) {
    ResponseCollector r;
    EXPECT_FALSE(r.received_anything());
    EXPECT_EQ(r.end_of_stream(), Status::malformed);
    EXPECT_EQ(r.error(), "connection closed before any response");
}

TEST(CheckResponse, GarbageIsMalformed) {
    ResponseCollector r;
    EXPECT_EQ(r.append("SSH-2.0-OpenSSH_9.0\r\n\r\n"), Status::malformed);
    EXPECT_FALSE(r.error().empty());
}

TEST(CheckResponse, LargeBodyIsCappedAndCompletesWithoutTheRest) {
    const std::string body(200 * 1024, 'x');
    ResponseCollector r;
    const std::string text = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    EXPECT_EQ(feed(r, text.substr(0, 100 * 1024), 8192), Status::complete);
    EXPECT_EQ(r.body().size(), ResponseCollector::kMaxBody);

    ResponseCollector until_close;
    until_close.append("HTTP/1.0 200 OK\r\n\r\n");
    EXPECT_EQ(feed(until_close, body, 8192), Status::complete);
    EXPECT_EQ(until_close.body().size(), ResponseCollector::kMaxBody);
}

TEST(CheckResponse, JudgeReasons) {
    ResponseCollector r;
    ASSERT_EQ(r.append("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\nerror"), Status::complete);
    EXPECT_EQ(judge(r, expecting(200, "")), "status 500, expected 200");
    EXPECT_EQ(judge(r, expecting(500, "")), "");
    EXPECT_EQ(judge(r, expecting(500, "\"success\"")), "body does not contain '\"success\"'");
}

TEST(Probe, RequestText) {
    config::HealthConfig h;
    balance::ServerRuntime s;
    s.address = config::Endpoint{"10.0.0.5", 6080};
    EXPECT_EQ(Probe::request_text(h, s),
              "GET /arcgis/rest/info/healthcheck HTTP/1.1\r\nHost: 10.0.0.5:6080\r\nUser-Agent: gisgate-health\r\n"
              "Accept: */*\r\nConnection: close\r\n\r\n");
}

}  // namespace
}  // namespace gisgate::health
