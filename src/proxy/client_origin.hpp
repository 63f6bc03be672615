// Who a client connection is from: the TCP peer, or — on a listener with `proxy_protocol` and a peer in its
// `from` list (the balancer in front) — the client the PROXY header announces. Everything that judges or
// records the client (allow, per-address limits, X-Forwarded-For, logs, statistics, send_proxy) uses this,
// for http, TLS and tcp listeners alike.
#pragma once

#include <optional>
#include <string>

#include "config/config.hpp"
#include "net/asio.hpp"
#include "net/deadline.hpp"
#include "proxy/connection_limits.hpp"

namespace gisgate::proxy {

struct ClientOrigin {
    tcp::endpoint client;  // the client: announced by the PROXY header, else the peer
    tcp::endpoint local;   // where it connected to: announced, else our end of the socket
    tcp::endpoint peer;    // the TCP peer itself (the balancer, when proxied)
    bool proxied = false;  // a PROXY header named the client
};

// Reads the PROXY header the listener expects from this peer (bounded by `deadline`, armed here with
// `timeout`), or checks that a peer not allowed to send one does not. nullopt: close the connection (the
// reason is logged at debug level).
awaitable<std::optional<ClientOrigin>> read_client_origin(tcp::socket& socket, const config::ListenerConfig& listener,
                                                          net::Deadline& deadline, net::Clock::duration timeout,
                                                          std::uint8_t kind);

// A proxied connection was admitted at accept under the balancer's address without the per-address limit;
// this counts it under the client's address instead. False: over `limits.max_connections_per_ip`, and the
// connection was refused as at accept (admit_or_refuse: a 503 on a plaintext HTTP listener, else closed).
bool admit_proxied_client(ConnectionLimiter& limiter, const config::LimitsConfig& limits,
                          const asio::ip::address& client, tcp::socket& socket, ConnectionSlot& slot,
                          bool plain_http);

// The PROXY header gisgate sends a server for this client (a pool's `send_proxy`); empty when off.
std::string proxy_header_for(config::SendProxy version, const ClientOrigin& origin);

}  // namespace gisgate::proxy
