#include "proxy/client_origin.hpp"

#include <spdlog/spdlog.h>

#include "net/client_allow.hpp"
#include "net/proxy_header_reader.hpp"

namespace gisgate::proxy {

awaitable<std::optional<ClientOrigin>> read_client_origin(tcp::socket& socket, const config::ListenerConfig& listener,
                                                          net::Deadline& deadline, net::Clock::duration timeout,
                                                          std::uint8_t kind) {
    ClientOrigin origin;
    error_code ec;
    origin.peer = socket.remote_endpoint(ec);
    if (ec) co_return std::nullopt;
    origin.local = socket.local_endpoint(ec);
    if (ec) co_return std::nullopt;
    origin.client = origin.peer;
    if (listener.proxy_protocol_from.empty()) co_return origin;

    deadline.arm(timeout, kind);
    if (net::client_allowed(listener.proxy_protocol_from, origin.peer.address())) {
        const net::ProxyParseResult r = co_await net::read_proxy_header(socket);
        deadline.disarm();
        if (r.status != net::ProxyParse::complete) {
            spdlog::debug("listener {}: connection from {} closed: {}", listener.name,
                          origin.peer.address().to_string(), r.error ? r.error : "no PROXY header in time");
            co_return std::nullopt;
        }
        // LOCAL and UNKNOWN headers (the balancer's own connections, health checks) keep the real endpoints.
        if (r.header.has_addresses && r.header.command == net::ProxyHeader::Command::proxy) {
            origin.client = tcp::endpoint(net::proxied_address(r.header, origin.peer.address()), r.header.source.port());
            origin.local = r.header.destination;
            origin.proxied = true;
        }
        co_return origin;
    }
    // Anyone else must not send one: a header from an address not listed would let it choose its own address.
    co_await socket.async_wait(tcp::socket::wait_read, ec_token(ec));
    deadline.disarm();
    if (ec) co_return std::nullopt;
    if (net::looks_like_proxy_header(socket)) {
        spdlog::debug("listener {}: PROXY header from {}, which is not in proxy_protocol.from: closed", listener.name,
                      origin.peer.address().to_string());
        co_return std::nullopt;
    }
    co_return origin;
}

bool admit_proxied_client(ConnectionLimiter& limiter, const config::LimitsConfig& limits,
                          const asio::ip::address& client, tcp::socket& socket, ConnectionSlot& slot,
                          bool plain_http) {
    if (limits.max_connections_per_ip == 0) return true;
    slot.release();
    return admit_as_or_refuse(limiter, limits, client, socket, slot, plain_http);
}

std::string proxy_header_for(config::SendProxy version, const ClientOrigin& origin) {
    std::string header;
    if (version == config::SendProxy::v1) net::write_proxy_v1(origin.client, origin.local, header);
    else if (version == config::SendProxy::v2) net::write_proxy_v2(origin.client, origin.local, header);
    return header;
}

}  // namespace gisgate::proxy
