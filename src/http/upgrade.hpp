// Protocol upgrades (RFC 9110 §7.8) as a proxy sees them: which protocol a request asks for, whether it is a
// well-formed WebSocket opening handshake (RFC 6455 §4.1), and whether a server's 101 accepts it. Only WebSocket
// is ever tunnelled; anything else is answered or ignored, never relayed blindly as bytes.
#pragma once

#include <cstdint>
#include <string_view>

#include "http/request_head.hpp"
#include "http/response_head.hpp"

namespace gisgate::http {

// Does the comma-separated token list `list` contain `token` (case-insensitive, optional whitespace around)?
bool list_contains(std::string_view list, std::string_view token);

enum class Upgrade : std::uint8_t {
    none,       // no Upgrade header, or one the Connection header does not name (not an upgrade request)
    websocket,  // a valid WebSocket opening handshake
    h2c,        // HTTP/2 over cleartext (deprecated by RFC 9113 §3.1): ignored, answered over HTTP/1.1
    invalid,    // `Upgrade: websocket` without what RFC 6455 requires (GET, HTTP/1.1, key, version 13, no body)
    other,      // any other protocol: refused
};

struct UpgradeRequest {
    Upgrade kind = Upgrade::none;
    std::string_view protocol;  // the Upgrade header's value, for the error message
};

UpgradeRequest upgrade_requested(const RequestHead& head);

// A server's 101 to a WebSocket handshake: it names websocket in Upgrade and upgrade in Connection.
bool accepts_websocket(const ResponseHead& head);

}  // namespace gisgate::http
