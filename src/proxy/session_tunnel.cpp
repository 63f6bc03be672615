// A WebSocket connection after the server's 101: the client connection and the server connection become a
// byte tunnel, one pump per direction, until either side closes or `timeouts.tunnel` passes without a byte
// either way. Stream services (StreamServer/subscribe), GeoEvent and Notebook Server use it.
//
// Client → server goes through splice(2) when both sides are plain TCP (the bytes never reach user space; see
// net/relay.hpp). Server → client is always read by gisgate, through a small buffer, so that it knows where
// the server's frames end (http/websocket_frames.hpp): that is what lets it send the client a close frame of
// its own, 1001 "going away", when it shuts down, without cutting one of the server's frames in half. Stream
// services send small messages, so the copy costs little; and a slow client only slows its own server
// connection (one read, then one write, then the next read): nothing is queued without bound.
#include <spdlog/spdlog.h>

#include "http/websocket_frames.hpp"
#include "net/relay.hpp"
#include "proxy/head_writer.hpp"
#include "proxy/session.hpp"
#include "proxy/worker.hpp"

namespace gisgate::proxy {

namespace {

constexpr std::size_t kTunnelBuffer = 16 * 1024;  // server → client, per tunnel (most messages are far smaller)

bool ended_cleanly(const error_code& ec) {
    return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
}

}  // namespace

awaitable<bool> Session::tunnel() {
    net::Stream& server = exchange_.connection->socket;
    Tunnels& tunnels = *runtime_->tunnels;
    tunnels.opened();
    tunnel_ = true;
    // A tunnel is not a request in progress: the server's slot (which throttles CPU-bound requests) is given
    // back now, so thousands of quiet subscribers do not lock out map requests.
    std::string server_name = server_->name;
    std::string pool_name = pool_->name();
    pool_->release(server_, op_class_);
    server_ = nullptr;
    log_server_ = server_name;
    log_pool_ = pool_name;

    // The 101 to the client with whatever the server already sent after it (its first frames).
    write_upgrade_response_head(exchange_.response, out_, request_id_field());
    exchange_.begin += exchange_.response.head_size;
    http::FrameBoundary frames;
    const std::string_view early = exchange_.buffered();
    frames.feed(early.data(), early.size());
    net::RelayProgress to_client, to_server;
    error_code ec;
    deadline_.arm(runtime_->config.timeouts.idle, kClientIo);
    const std::array<asio::const_buffer, 2> first{asio::buffer(out_), asio::buffer(early.data(), early.size())};
    bytes_sent_ += co_await asio::async_write(client_, first, ec_token(ec));
    deadline_.disarm();
    to_client.bytes = early.size();
    // The handshake: its latency is what the service's statistics see; the service counts the tunnel as open
    // until it ends (on this worker: the slot is this worker's).
    metrics::StatsSlot* service = log_request(101);
    service->counters.tunnel_opened();
    // Bytes the client sent after its handshake (it may not wait for the 101) go to the server first.
    const std::string_view pending = client_data().substr(head_.head_size);
    if (!ec && !pending.empty()) {
        deadline_.arm(runtime_->config.timeouts.tunnel, kTunnel);
        co_await asio::async_write(server, asio::buffer(pending.data(), pending.size()), ec_token(ec));
        deadline_.disarm();
        to_server.bytes = pending.size();
    }
    begin_ = end_ = 0;
    head_.headers.clear();  // views into buffers released below
    buf_.reset();
    exchange_.clear_buffer();
    const auto started = net::Clock::now();
    const char* end_reason = "closed";

    if (!ec) {
        for (net::RelayProgress* p : {&to_client, &to_server}) {
            p->idle = &deadline_;
            p->idle_timeout = runtime_->config.timeouts.tunnel;
            p->idle_kind = kTunnel;
        }
        to_client.total = &tunnels.bytes_to_client;
        to_server.total = &tunnels.bytes_to_server;
        deadline_.arm(runtime_->config.timeouts.tunnel, kTunnel);
        auto buffer = std::make_unique<char[]>(kTunnelBuffer);
        const auto executor = co_await asio::this_coro::executor;
        bool to_client_running = true;
        asio::steady_timer other_done(executor);
        asio::co_spawn(executor, pump_to_client(buffer.get(), frames, to_client),
                       [&](const std::exception_ptr&) {
                           to_client_running = false;
                           other_done.cancel();
                       });
        // Client → server, in this coroutine.
        net::Pipe pipe;
        std::unique_ptr<char[]> upload;
        const bool splice = client_.plain_socket() && !server.tls() && pipe.open();
        error_code up;
        if (splice) {
            up = co_await net::relay_splice(client_.socket(), server.socket(), pipe, to_server);
        } else {
            upload = std::make_unique<char[]>(kTunnelBuffer);
            up = co_await net::relay_copy(client_, server, upload.get(), kTunnelBuffer, to_server);
            // A TLS client that closed without close_notify ended too: pass the end on as relay_copy does for FIN.
            if (up == asio::ssl::error::stream_truncated) server.socket().shutdown(tcp::socket::shutdown_send, ec);
        }
        // An error ends both directions; on shutdown the other pump ends them after its close frame.
        if (!going_away_ && (!ended_cleanly(up) || deadline_.expired())) stop_tunnel();
        while (to_client_running) {
            other_done.expires_at(asio::steady_timer::time_point::max());
            co_await other_done.async_wait(ec_token(ec));
        }
        deadline_.disarm();
        if (deadline_.expired()) end_reason = "tunnel-timeout";
        else if (going_away_) end_reason = "shutdown";
    }
    AccessLog& log = worker_.access_log();
    if (log.enabled()) {
        const std::string_view listener_name = listener_ ? std::string_view(listener_->config->name) : "-";
        log.record_connection({client_ip_, listener_name, end_reason, pool_name, server_name, to_client.bytes,
                               to_server.bytes,
                               std::chrono::duration<double, std::milli>(net::Clock::now() - started).count(),
                               "WebSocket"});
    }
    service->counters.tunnel_closed();
    error_code ignored;
    server.close(ignored);
    exchange_.connection.reset();
    tunnel_slot_.release();
    tunnel_ = false;
    co_return false;  // the client connection ends with its tunnel
}

// Server → client, frame-aware: see the top of this file.
awaitable<void> Session::pump_to_client(char* buffer, http::FrameBoundary& frames, net::RelayProgress& progress) {
    net::Stream& server = exchange_.connection->socket;
    error_code ec;
    while (!going_away_) {
        const std::size_t n = co_await server.async_read_some(asio::buffer(buffer, kTunnelBuffer), ec_token(ec));
        if (ec || going_away_) break;
        co_await asio::async_write(client_, asio::buffer(buffer, n), ec_token(ec));
        if (ec) break;
        frames.feed(buffer, n);
        progress.moved(n);
    }
    if (going_away_ && frames.at_boundary()) {
        // Between two of the server's frames: the client hears why the connection ends (RFC 6455 §7.4.1), and
        // gets a moment to answer with its own close frame (which goes on to the server) before the end.
        static const std::string kGoingAway = http::websocket_close_frame(1001, "gisgate is shutting down");
        deadline_.arm(std::chrono::seconds(1), kTunnel);
        error_code write_ec;
        co_await asio::async_write(client_, asio::buffer(kGoingAway), ec_token(write_ec));
        if (!write_ec) {
            progress.bytes += kGoingAway.size();  // not moved(): the 1 s deadline above must stay
            error_code ignored;
            client_.shutdown(tcp::socket::shutdown_send, ignored);  // an HTTP/2 stream: END_STREAM
            co_return;  // the other pump ends when the client closes, or when the deadline fires
        }
    }
    // Whoever ended it, a WebSocket has no use for half a connection: the client hears the end at once.
    stop_tunnel();
}

// Ends both directions now: every pending operation on either socket completes with an error.
void Session::stop_tunnel() {
    error_code ignored;
    client_.shutdown(tcp::socket::shutdown_both, ignored);
    client_.cancel(ignored);
    if (exchange_.connection) {
        exchange_.connection->socket.socket().shutdown(tcp::socket::shutdown_both, ignored);
        exchange_.connection->socket.cancel(ignored);
    }
}

}  // namespace gisgate::proxy
