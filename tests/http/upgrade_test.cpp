// Which upgrade a request asks for, and whether a 101 accepts a WebSocket handshake.
#include "http/upgrade.hpp"

#include <gtest/gtest.h>

#include "support/parsed_heads.hpp"

namespace gisgate::http {
namespace {

using testing::ParsedRequest;
using testing::ParsedResponse;

constexpr const char* kKey = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455's sample key (24 characters)

std::string handshake(const std::string& first_line, const std::string& extra = "",
                      const std::string& upgrade = "websocket", const std::string& connection = "Upgrade") {
    return first_line + "\r\nHost: gis\r\nUpgrade: " + upgrade + "\r\nConnection: " + connection +
           "\r\nSec-WebSocket-Key: " + kKey + "\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n";
}

TEST(Upgrade, AWebSocketHandshake) {
    const ParsedRequest r(handshake("GET /arcgis/ws/services/S/StreamServer/subscribe HTTP/1.1"));
    EXPECT_EQ(upgrade_requested(r.head).kind, Upgrade::websocket);
    const ParsedRequest keep_alive(handshake("GET / HTTP/1.1", "", "WebSocket", "keep-alive, Upgrade"));
    EXPECT_EQ(upgrade_requested(keep_alive.head).kind, Upgrade::websocket) << "token lists, any case";
}

TEST(Upgrade, AnUpgradeTheConnectionHeaderDoesNotNameIsNone) {
    const ParsedRequest r(handshake("GET / HTTP/1.1", "", "websocket", "keep-alive"));
    EXPECT_EQ(upgrade_requested(r.head).kind, Upgrade::none);
    const ParsedRequest plain("GET / HTTP/1.1\r\nHost: gis\r\n\r\n");
    EXPECT_EQ(upgrade_requested(plain.head).kind, Upgrade::none);
}

TEST(Upgrade, WhatRfc6455RequiresOrTheHandshakeIsInvalid) {
    const ParsedRequest post(handshake("POST / HTTP/1.1", "Content-Length: 0\r\n"));
    EXPECT_EQ(upgrade_requested(post.head).kind, Upgrade::invalid);
    const ParsedRequest http10(handshake("GET / HTTP/1.0"));
    EXPECT_EQ(upgrade_requested(http10.head).kind, Upgrade::invalid);
    const ParsedRequest no_key("GET / HTTP/1.1\r\nHost: g\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Version: 13\r\n\r\n");
    EXPECT_EQ(upgrade_requested(no_key.head).kind, Upgrade::invalid);
    const ParsedRequest version8("GET / HTTP/1.1\r\nHost: g\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                 "Sec-WebSocket-Key: " + std::string(kKey) + "\r\nSec-WebSocket-Version: 8\r\n\r\n");
    EXPECT_EQ(upgrade_requested(version8.head).kind, Upgrade::invalid);
    const ParsedRequest body(handshake("GET / HTTP/1.1", "Content-Length: 3\r\n"));
    EXPECT_EQ(upgrade_requested(body.head).kind, Upgrade::invalid) << "bytes of unknown meaning before frames";
}

TEST(Upgrade, H2cIsIgnoredAndOtherProtocolsAreRefused) {
    const ParsedRequest h2c("GET / HTTP/1.1\r\nHost: g\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                            "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n");
    EXPECT_EQ(upgrade_requested(h2c.head).kind, Upgrade::h2c);
    const ParsedRequest tls("GET / HTTP/1.1\r\nHost: g\r\nUpgrade: TLS/1.2\r\nConnection: Upgrade\r\n\r\n");
    const UpgradeRequest other = upgrade_requested(tls.head);
    EXPECT_EQ(other.kind, Upgrade::other);
    EXPECT_EQ(other.protocol, "TLS/1.2");
    const ParsedRequest two(handshake("GET / HTTP/1.1", "Upgrade: h2c\r\n"));
    EXPECT_EQ(upgrade_requested(two.head).kind, Upgrade::other) << "two Upgrade fields: never guess";
}

TEST(Upgrade, A101AcceptsTheHandshakeOnlyWithUpgradeAndConnection) {
    const ParsedResponse ok("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
    EXPECT_TRUE(accepts_websocket(ok.head));
    const ParsedResponse no_connection("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
    EXPECT_FALSE(accepts_websocket(no_connection.head));
    const ParsedResponse h2c("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n");
    EXPECT_FALSE(accepts_websocket(h2c.head));
    const ParsedResponse not_101("HTTP/1.1 200 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                 "Content-Length: 0\r\n\r\n");
    EXPECT_FALSE(accepts_websocket(not_101.head));
}

TEST(TokenList, ContainsIgnoresCaseAndWhitespace) {
    EXPECT_TRUE(list_contains("keep-alive, Upgrade", "upgrade"));
    EXPECT_TRUE(list_contains("  upgrade ", "UPGRADE"));
    EXPECT_FALSE(list_contains("upgraded", "upgrade"));
    EXPECT_FALSE(list_contains("", "upgrade"));
}

}  // namespace
}  // namespace gisgate::http
