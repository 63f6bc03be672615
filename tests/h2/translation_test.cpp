// HTTP/2 → HTTP/1.1 request heads for the pipeline, and which response fields may go back on HTTP/2.
#include "h2/translation.hpp"

#include <gtest/gtest.h>

#include "http/request_head.hpp"

namespace gisgate::h2 {
namespace {

RequestFields get(std::string path, std::vector<Field> fields = {}) {
    RequestFields r;
    r.method = "GET";
    r.scheme = "https";
    r.authority = "gis.example.com";
    r.path = std::move(path);
    r.fields = std::move(fields);
    return r;
}

TEST(H2Translation, ARequestBecomesAnHttp11HeadThePipelineParses) {
    std::string head;
    const auto r = write_http1_request(
        get("/arcgis/rest/services?f=json", {{"accept", "application/json"}, {"user-agent", "t"}}), false, head);
    ASSERT_TRUE(r.ok);
    EXPECT_FALSE(r.chunked);
    EXPECT_EQ(head, "GET /arcgis/rest/services?f=json HTTP/1.1\r\nHost: gis.example.com\r\naccept: application/json\r\n"
                    "user-agent: t\r\n\r\n");
    http::RequestHead parsed;
    ASSERT_EQ(http::parse_request_head(head, {}, parsed).status, http::ParseStatus::complete);
    EXPECT_EQ(parsed.host, "gis.example.com");
    EXPECT_EQ(parsed.framing, http::BodyFraming::none);
}

TEST(H2Translation, CookiesAreJoinedAndAuthorityWinsOverHost) {
    std::string head;
    ASSERT_TRUE(write_http1_request(get("/", {{"cookie", "a=1"}, {"host", "other"}, {"cookie", "b=2"}}), false, head).ok);
    EXPECT_NE(head.find("cookie: a=1; b=2\r\n"), std::string::npos);
    EXPECT_EQ(head.find("other"), std::string::npos);
    // Without :authority, host is the Host.
    RequestFields no_authority = get("/", {{"host", "h.example"}});
    no_authority.authority.clear();
    ASSERT_TRUE(write_http1_request(no_authority, false, head).ok);
    EXPECT_NE(head.find("host: h.example\r\n"), std::string::npos);
    no_authority.fields.clear();
    EXPECT_EQ(write_http1_request(no_authority, false, head).status, 400);
}

TEST(H2Translation, ABodyOfUnknownLengthIsChunkedAKnownOneKeepsItsLength) {
    RequestFields post = get("/upload");
    post.method = "POST";
    std::string head;
    auto r = write_http1_request(post, true, head);
    ASSERT_TRUE(r.ok);
    EXPECT_TRUE(r.chunked);
    EXPECT_NE(head.find("transfer-encoding: chunked\r\n"), std::string::npos);
    post.fields.push_back({"content-length", "12"});
    r = write_http1_request(post, true, head);
    EXPECT_FALSE(r.chunked);
    EXPECT_EQ(head.find("transfer-encoding"), std::string::npos);
    http::RequestHead parsed;
    ASSERT_EQ(http::parse_request_head(head, {}, parsed).status, http::ParseStatus::complete);
    EXPECT_EQ(parsed.content_length, 12u);
}

TEST(H2Translation, WhatHttp11CannotCarryIsRefused) {
    std::string head;
    RequestFields connect = get("/");
    connect.method = "CONNECT";
    EXPECT_EQ(write_http1_request(connect, false, head).status, 405);
    EXPECT_EQ(write_http1_request(get("relative"), false, head).status, 400);
    EXPECT_EQ(write_http1_request(get("/a b"), false, head).status, 400);
    EXPECT_EQ(write_http1_request(get("/", {{"x", "a\r\nInjected: 1"}}), false, head).status, 400);
    RequestFields no_scheme = get("/");
    no_scheme.scheme.clear();
    EXPECT_EQ(write_http1_request(no_scheme, false, head).status, 400);
    // te and connection-specific fields never reach the server.
    ASSERT_TRUE(write_http1_request(get("/", {{"te", "trailers"}, {"keep-alive", "1"}}), false, head).ok);
    EXPECT_EQ(head.find("te:"), std::string::npos);
    EXPECT_EQ(head.find("keep-alive"), std::string::npos);
}

TEST(H2Translation, AnExtendedConnectForAWebSocketBecomesTheHttp11Handshake) {
    RequestFields ws = get("/arcgis/ws/services/Streams/Vehicles/StreamServer/subscribe",
                           {{"sec-websocket-version", "13"}, {"sec-websocket-key", "ignored"}});
    ws.method = "CONNECT";
    ws.protocol = "websocket";
    std::string head;
    const auto r = write_http1_request(ws, true, head);
    ASSERT_TRUE(r.ok);
    EXPECT_TRUE(r.websocket);
    EXPECT_FALSE(r.chunked);
    http::RequestHead parsed;
    ASSERT_EQ(http::parse_request_head(head, {}, parsed).status, http::ParseStatus::complete);
    EXPECT_EQ(parsed.method, http::Method::get);
    EXPECT_EQ(parsed.framing, http::BodyFraming::none);
    EXPECT_NE(head.find("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "), std::string::npos);
    EXPECT_EQ(head.find("ignored"), std::string::npos);
    const auto key_at = head.find("Sec-WebSocket-Key: ") + 19;
    EXPECT_EQ(head.find("\r\n", key_at) - key_at, 24u) << "16 random bytes in base64";
    // Two handshakes never share a key.
    std::string other;
    ASSERT_TRUE(write_http1_request(ws, true, other).ok);
    EXPECT_NE(head, other);
    ws.protocol = "connect-udp";
    EXPECT_EQ(write_http1_request(ws, true, head).status, 405);
}

TEST(H2Translation, ConnectionSpecificResponseFieldsAreDropped) {
    for (const char* name : {"Connection", "keep-alive", "Proxy-Connection", "Transfer-Encoding", "upgrade"})
        EXPECT_FALSE(response_field_allowed(name)) << name;
    for (const char* name : {"Content-Type", "content-length", "ETag", "Set-Cookie", "X-Gisgate-Sim-Site"})
        EXPECT_TRUE(response_field_allowed(name)) << name;
    EXPECT_EQ(lower("X-Gisgate-Sim-Site"), "x-gisgate-sim-site");
}

TEST(H2Translation, RequestTrailersBecomeTrailerLinesWithoutFramingOrConnectionFields) {
    std::string block;
    EXPECT_TRUE(add_request_trailer(block, "x-checksum", "c0ffee", 1024));
    for (const char* name : {"content-length", "transfer-encoding", "host", "trailer", "te", "connection",
                             "keep-alive", ":path"})
        EXPECT_TRUE(add_request_trailer(block, name, "1", 1024)) << name;  // dropped, not an error
    EXPECT_TRUE(add_request_trailer(block, "x-bad", "a\r\nInjected: 1", 1024));  // never splits a line
    EXPECT_EQ(block, "x-checksum: c0ffee\r\n");
    EXPECT_FALSE(add_request_trailer(block, "x-big", std::string(2000, 'v'), 1024));
    EXPECT_EQ(block, "x-checksum: c0ffee\r\n");
}

TEST(H2Translation, ResponseTrailerLinesBecomeLowerCaseTrimmedFields) {
    const auto fields = response_trailers("X-Checksum: 3f2a\r\nServer-Timing:db;dur=53 \r\nKeep-Alive: 5\r\n"
                                          "Upgrade: h2c\r\nTE: trailers\r\n");
    ASSERT_EQ(fields.size(), 2u);
    EXPECT_EQ(fields[0].name, "x-checksum");
    EXPECT_EQ(fields[0].value, "3f2a");
    EXPECT_EQ(fields[1].name, "server-timing");
    EXPECT_EQ(fields[1].value, "db;dur=53");
    EXPECT_TRUE(response_trailers("").empty());
}

}  // namespace
}  // namespace gisgate::h2
