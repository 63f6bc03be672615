#include "proxy/upstream.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <string>

#include "net/listener.hpp"

namespace gisgate::proxy {

// A pooled connection is reused only if the server has sent nothing since its last complete response: not a
// close (EOF), and not a byte. A byte here is an answer to no request in flight (a buggy server's second
// response, or a desynchronised one); handing the connection on would deliver it to the next client as that
// client's answer (response-queue poisoning). So every reuse pays one non-blocking recv(MSG_PEEK) — checked
// always, however briefly the connection was idle, because a late answer can arrive at any moment.
// Why not a read kept pending on each idle connection, as HAProxy keeps them in its poller: with Asio 1.74 that
// costs the same syscall and more. Starting a read after a completed one always tries a speculative recv()
// first (1.74 marks a socket exhausted only at EOF, so the recv finds EAGAIN), and async_wait() re-arms with an
// epoll_ctl(MOD); ending the watch at reuse then adds a cancelled completion. Tried on 2026-12-07: 3.03 recv()
// per proxied request both ways (strace -c, wrk -c64), so the peek stayed.
bool still_open(UpstreamConnection& c, const balance::ServerRuntime& server) {
    char bytes[64];
    const ssize_t n = ::recv(c.socket.native_handle(), bytes, sizeof bytes, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0 || c.socket.tls_pending()) {
        spdlog::warn("server {} sent {}{} bytes on an idle keep-alive connection, answering no request: connection "
                     "closed, nothing forwarded",
                     server.name, n > 0 ? std::to_string(n) : std::string("some"), n == sizeof bytes ? "+" : "");
        return false;
    }
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

std::unique_ptr<UpstreamConnection> UpstreamPool::take_idle(const balance::ServerRuntime& server,
                                                            net::Clock::duration max_idle, net::Clock::time_point now) {
    auto it = idle_.find(server.id);
    if (it == idle_.end()) return nullptr;
    auto& stack = it->second;
    // The most recently used connection is at the back: the warmest and the least likely to be closed.
    if (!stack.empty() && now - stack.back()->idle_since > max_idle) return nullptr;
    while (!stack.empty()) {
        auto c = std::move(stack.back());
        stack.pop_back();
        if (still_open(*c, server)) return c;
    }
    return nullptr;
}

void UpstreamPool::put_idle(std::unique_ptr<UpstreamConnection> connection, std::uint32_t max_idle,
                            net::Clock::time_point now) {
    connection->server = nullptr;  // may be gone after a reload; set again when taken
    if (max_idle == 0) return;  // keep-alive to servers turned off: the destructor closes it
    auto& stack = idle_[connection->server_id];
    if (stack.size() >= max_idle) {
        // Beyond `max_idle`, connections are the working set of a burst (160 HTTP/2 streams in flight need 160
        // server connections, and they come back in waves): closing them as each wave ends and opening them
        // again for the next cost a TCP handshake per few dozen requests (a third of the CPU per request under
        // h2load -c16 -m10). So the surplus is kept while it is in use, and trimmed oldest first once it has
        // sat unused for kSurplusLinger.
        std::size_t stale = 0;
        while (stale < stack.size() - max_idle && now - stack[stale]->idle_since > kSurplusLinger) ++stale;
        stack.erase(stack.begin(), stack.begin() + static_cast<std::ptrdiff_t>(stale));
        if (stack.size() >= std::max<std::size_t>(max_idle, kMaxIdlePerServer)) return;  // destructor closes it
    }
    connection->idle_since = now;
    stack.push_back(std::move(connection));
}

void UpstreamPool::close_idle_older_than(net::Clock::time_point now, net::Clock::duration max_age) {
    for (auto it = idle_.begin(); it != idle_.end();) {
        auto& stack = it->second;
        // Oldest first in the stack (pushed earlier), so trim from the front.
        std::size_t keep_from = 0;
        while (keep_from < stack.size() && now - stack[keep_from]->idle_since > max_age) ++keep_from;
        stack.erase(stack.begin(), stack.begin() + static_cast<std::ptrdiff_t>(keep_from));
        it = stack.empty() ? idle_.erase(it) : std::next(it);
    }
}

void UpstreamPool::close_all() { idle_.clear(); }

std::size_t UpstreamPool::idle_count() const {
    std::size_t n = 0;
    for (const auto& [id, stack] : idle_) n += stack.size();
    return n;
}

awaitable<error_code> connect_upstream(UpstreamConnection& connection,
                                       const std::shared_ptr<const net::TlsClient>& tls, std::string_view proxy_header) {
    error_code ec = asio::error::host_not_found;
    for (const auto& endpoint : connection.server->endpoints) {
        if (connection.socket.is_open()) connection.socket.close(ec);
        co_await connection.socket.socket().async_connect(endpoint, asio::redirect_error(use_awaitable, ec));
        if (!ec) {
            net::tune_socket(connection.socket.socket());
            if (!proxy_header.empty()) {  // before anything else, TLS included (it names the TCP connection)
                co_await asio::async_write(connection.socket.socket(), asio::buffer(proxy_header),
                                           asio::redirect_error(use_awaitable, ec));
                if (ec) co_return ec;
            }
            if (tls) {
                if (!connection.socket.start_tls(tls, connection.server->address.host)) {
                    co_return asio::error::invalid_argument;
                }
                co_await connection.socket.async_handshake(net::ssl::stream_base::client,
                                                           asio::redirect_error(use_awaitable, ec));
            }
            co_return ec;
        }
        if (ec == asio::error::operation_aborted) break;  // the deadline fired
    }
    co_return ec;
}

}  // namespace gisgate::proxy
