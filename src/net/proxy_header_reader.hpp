// Reading a PROXY protocol header off a just-accepted connection without reading a byte past it: what follows
// (a TLS ClientHello, an HTTP request, layer-4 bytes) stays in the socket for whoever reads next, so TLS and
// the HTTP reader need no "bytes already read" path. Peeks, parses, and consumes exactly the header's bytes;
// while the header is incomplete every byte peeked is surely part of it, so consuming them never overreads.
#pragma once

#include "net/asio.hpp"
#include "net/proxy_protocol.hpp"

namespace gisgate::net {

// Reads one header (the caller's deadline bounds the wait by cancelling the socket). Status `error` when the
// connection ended or the bytes are not a valid header.
awaitable<ProxyParseResult> read_proxy_header(tcp::socket& socket);

// True when the bytes already waiting on `socket` begin like a PROXY header ("PROXY " or the v2 signature),
// for a listener that must refuse one from an address not allowed to send it. Does not wait.
bool looks_like_proxy_header(tcp::socket& socket);

// The address a PROXY header gives for its connection: the source it announces, or `peer` when it has none
// (LOCAL, UNKNOWN: the balancer's own connection, such as a health check).
inline asio::ip::address proxied_address(const ProxyHeader& header, const asio::ip::address& peer) {
    if (!header.has_addresses || header.command == ProxyHeader::Command::local) return peer;
    const asio::ip::address source = header.source.address();
    // An IPv4 client announced as IPv4-mapped IPv6 is an IPv4 client (allow lists, logs).
    if (source.is_v6() && source.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, source.to_v6());
    return source;
}

}  // namespace gisgate::net
