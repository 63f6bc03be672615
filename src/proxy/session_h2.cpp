// HTTP/2 client connections (after ALPN h2, or an h2c preface on a plaintext listener): the connection is
// h2::Connection's, and each of its request streams is served by a Session of its own over an h2::StreamChannel,
// through the same phases as an HTTP/1.1 request (see h2/translation.hpp for why).
#include <sys/socket.h>

#include <cstring>
#include <string_view>

#include "h2/connection.hpp"
#include "proxy/session.hpp"
#include "proxy/worker.hpp"

namespace gisgate::proxy {

namespace {

constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

}  // namespace

// Whether a plaintext connection starts with the HTTP/2 client preface (prior knowledge, RFC 9113 §3.3). Only
// peeks: an HTTP/1.1 request stays in the socket for the usual path. Within the header timeout.
awaitable<bool> Session::h2c_preface_follows(net::Clock::duration timeout) {
    deadline_.arm(timeout, kHeader);
    error_code ec;
    char seen[24];
    bool h2 = false;
    for (;;) {
        co_await client_.socket().async_wait(tcp::socket::wait_read, ec_token(ec));
        if (ec) break;
        const ssize_t n = ::recv(client_.native_handle(), seen, sizeof seen, MSG_PEEK);
        if (n <= 0) break;
        const std::string_view got(seen, static_cast<std::size_t>(n));
        if (got != kH2Preface.substr(0, got.size())) break;  // not HTTP/2: the HTTP/1.1 path reads it
        if (got.size() == kH2Preface.size()) {
            h2 = true;
            break;
        }
        // A preface cut by the network: the socket stays readable with these same bytes, so look again shortly
        // rather than spin on it.
        asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(5));
        co_await pause.async_wait(ec_token(ec));
    }
    deadline_.disarm();
    co_return h2;
}

awaitable<void> Session::serve_h2() {
    const std::shared_ptr<const Runtime> runtime = worker_.runtime();
    const ListenerRuntime* listener = runtime->find_listener(listener_name_);
    if (!listener) co_return;
    h2::Settings settings;
    settings.max_concurrent_streams = runtime->config.limits.max_concurrent_streams;
    settings.max_requests_per_connection = runtime->config.limits.max_requests_per_connection;
    settings.max_header_list_size = runtime->config.limits.max_header_size;
    settings.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(runtime->config.timeouts.idle);
    settings.secure = client_.tls();
    settings.unique_field = h2::lower(runtime->config.tracing.request_id_header);
    h2::Connection connection(client_, settings, [this](std::shared_ptr<h2::StreamChannel> stream) {
        auto session = std::make_unique<Session>(std::move(stream), *this);
        asio::co_spawn(worker_.context(), Session::run(std::move(session)), asio::detached);
    }, worker_.loop().deadlines());
    h2_ = &connection;
    if (worker_.draining() || retired_) connection.shutdown();
    co_await connection.run();
    h2_ = nullptr;
    client_closed_ = true;  // the connection ended its TLS session itself (or the peer left)
}

}  // namespace gisgate::proxy
