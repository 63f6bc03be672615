// Connections to servers, pooled per worker and per server so keep-alive connections are reused without any
// sharing between threads.
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "balance/server.hpp"
#include "net/asio.hpp"
#include "net/buffer_pool.hpp"
#include "net/deadline.hpp"
#include "net/stream.hpp"

namespace gisgate::proxy {

struct UpstreamConnection {
    explicit UpstreamConnection(asio::io_context& context) : socket(context) {}
    net::Stream socket;                        // TLS when the pool's servers speak it
    std::uint32_t server_id = 0;               // key in the idle pool
    balance::ServerRuntime* server = nullptr;  // set while in use (the request's runtime keeps it alive)
    net::Clock::time_point idle_since{};
    std::uint32_t requests = 0;  // served on this connection
    // Kept for one client connection only: bound to its user (NTLM/Negotiate), or opened with a PROXY header
    // naming it (a pool's send_proxy). Only an identity-bound one pins the client to its server.
    bool identity_bound = false;
};

// The check every reuse of a kept connection pays (pooled or private): the server has sent nothing since its
// last response, neither a close nor a byte. Logs what it finds wrong with `server`'s name.
bool still_open(UpstreamConnection& connection, const balance::ServerRuntime& server);

class UpstreamPool {
public:
    explicit UpstreamPool(asio::io_context& context) : context_(context) {}

    // An idle connection to `server` that has been idle at most `max_idle` and on which the server has sent
    // nothing since its last response (no close, no byte: checked on every reuse), or nullptr.
    std::unique_ptr<UpstreamConnection> take_idle(const balance::ServerRuntime& server, net::Clock::duration max_idle,
                                                  net::Clock::time_point now);
    // Keeps `connection` for reuse. `max_idle` connections per server are kept for as long as they stay open
    // (up to the worker's idle limit); more only while they are in use, each within kSurplusLinger of its last
    // request, and never more than kMaxIdlePerServer.
    static constexpr net::Clock::duration kSurplusLinger = std::chrono::seconds(2);
    static constexpr std::size_t kMaxIdlePerServer = 1024;
    void put_idle(std::unique_ptr<UpstreamConnection> connection, std::uint32_t max_idle, net::Clock::time_point now);
    // Closes connections idle for longer than `max_age` (servers drop idle connections; better we do first).
    void close_idle_older_than(net::Clock::time_point now, net::Clock::duration max_age);
    void close_all();
    std::size_t idle_count() const;

    asio::io_context& context() { return context_; }

private:
    asio::io_context& context_;
    std::unordered_map<std::uint32_t, std::vector<std::unique_ptr<UpstreamConnection>>> idle_;
};

// Opens a connection to one of `connection.server`'s endpoints, with a TLS handshake when `tls` is set. The
// caller's deadline bounds the attempt (it cancels the socket when it fires). `tls` is a reference to an object
// that outlives the call (no default: a temporary in a co_await expression is destroyed twice by GCC 12).
// `proxy_header` (a pool's send_proxy) is written first, before the TLS handshake: it names the TCP connection.
awaitable<error_code> connect_upstream(UpstreamConnection& connection,
                                       const std::shared_ptr<const net::TlsClient>& tls,
                                       std::string_view proxy_header = {});

}  // namespace gisgate::proxy
