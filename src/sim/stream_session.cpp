#include "sim/stream_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <exception>
#include <memory>
#include <utility>

#include "sim/handlers.hpp"

namespace gisgate::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using namespace std::chrono_literals;

namespace {

constexpr auto kStreamHandshakeTimeout = 10s;  // the 101 and the close handshake
constexpr auto kStreamIdleTimeout = 60s;       // nothing from the subscriber (pings are sent at half of it)
constexpr auto kStreamCloseGrace = 1s;         // the site stopping: time for the close handshake
constexpr std::size_t kStreamReadLimit = 64 * 1024;

auto stream_redirect(beast::error_code& ec) {
    return asio::redirect_error(asio::use_awaitable, ec);
}

// Keeps a read pending for the session's life: Beast answers pings and close frames only while reading.
// Messages from the subscriber (ArcGIS clients may send filters) are read and dropped.
template <class Ws>
asio::awaitable<void> read_subscriber_frames(Ws& ws) {
    beast::flat_buffer buffer;
    beast::error_code ec;
    for (;;) {
        co_await ws.async_read(buffer, stream_redirect(ec));
        if (ec)
            co_return;
        buffer.consume(buffer.size());
    }
}

// Undoes what a session registered, however it ends.
struct StreamSessionGuard {
    Site& site;
    Connection& conn;
    std::shared_ptr<bool> alive;
    ~StreamSessionGuard() {
        conn.on_close = nullptr;
        *alive = false;
        site.subscribers.fetch_sub(1);
    }
};

template <class Io>
asio::awaitable<void> stream_on(Site& site, Connection& conn, Io& io, const UpgradeRequest& upgrade,
                                const StreamSubscription& sub) {
    websocket::stream<Io&> ws(io);
    // The WebSocket keeps its own time limits; those of the HTTP connection would cut a quiet subscription.
    conn.stream.expires_never();
    websocket::stream_base::timeout limits{};
    limits.handshake_timeout = kStreamHandshakeTimeout;
    limits.idle_timeout = kStreamIdleTimeout;
    limits.keep_alive_pings = true;
    ws.set_option(limits);
    ws.set_option(websocket::stream_base::decorator(
        [name = site.options.name, user = sub.user](websocket::response_type& res) {
            res.set(http::field::server, "gisgate-sim");
            res.set("X-Gisgate-Sim-Site", name);
            if (!user.empty())
                res.set("X-Gisgate-Sim-User", user);
        }));
    ws.read_message_max(kStreamReadLimit);
    beast::error_code ec;
    co_await ws.async_accept(upgrade, stream_redirect(ec));
    if (ec) {
        spdlog::debug("sim {}: WebSocket handshake failed: {}", site.options.name, ec.message());
        co_return;
    }
    const std::uint64_t subscriber = site.subscriptions.fetch_add(1) + 1;
    site.subscribers.fetch_add(1);

    // Everything below runs on the connection's strand: the reader, this writer and conn.on_close.
    asio::any_io_executor executor = co_await asio::this_coro::executor;
    asio::steady_timer tick(executor);
    asio::steady_timer reader_done(executor, asio::steady_timer::time_point::max());
    bool reading = true;
    bool stopping = false;
    StreamSessionGuard guard{site, conn, std::make_shared<bool>(true)};
    conn.on_close = [&conn, &tick, &stopping, alive = guard.alive] {
        // The site is stopping: the writer wakes and sends a close frame; a subscriber that does not take it
        // within the grace period (it stopped reading, a write is stuck) has its socket closed.
        stopping = true;
        tick.cancel();
        conn.timer.expires_after(kStreamCloseGrace);
        conn.timer.async_wait([&conn, alive](const beast::error_code& e) {
            if (!e && *alive)
                conn.abort();
        });
    };
    asio::co_spawn(executor, read_subscriber_frames(ws), [&reading, &reader_done, &tick](std::exception_ptr) {
        reading = false;
        reader_done.cancel();
        tick.cancel();
    });

    std::uint64_t seq = 0;
    bool write_failed = false;
    auto next = std::chrono::steady_clock::now();  // the first message at once
    try {
        while (reading && !stopping) {
            tick.expires_at(next);
            co_await tick.async_wait(stream_redirect(ec));
            if (!reading || stopping)
                break;
            const std::string message = stream_feature(*sub.service, subscriber, seq + 1);
            const asio::const_buffer data(message.data(), message.size());
            co_await ws.async_write(data, stream_redirect(ec));
            if (ec) {
                write_failed = true;
                break;
            }
            ++seq;
            next += sub.interval;
            const auto now = std::chrono::steady_clock::now();
            if (next < now)
                next = now;  // late (a slow subscriber): the next one at once, but no burst to catch up
        }
        if (stopping && reading && !write_failed) {
            const websocket::close_reason reason(websocket::close_code::going_away);
            co_await ws.async_close(reason, stream_redirect(ec));
        }
    } catch (const std::exception& e) {
        spdlog::debug("sim {}: stream subscriber {}: {}", site.options.name, subscriber, e.what());
    }
    if (reading) {
        // The close handshake is over or the writer failed: end the read too, and wait for it (it uses `ws`).
        conn.abort();
        co_await reader_done.async_wait(stream_redirect(ec));
    }
    spdlog::debug("sim {}: stream subscriber {} of {} ended after {} messages", site.options.name, subscriber,
                  sub.service->full_name(), seq);
}

}  // namespace

asio::awaitable<void> serve_stream(Site& site, Connection& conn, beast::tcp_stream& io, const UpgradeRequest& upgrade,
                                   const StreamSubscription& sub) {
    co_await stream_on(site, conn, io, upgrade, sub);
}

asio::awaitable<void> serve_stream(Site& site, Connection& conn, asio::ssl::stream<beast::tcp_stream&>& io,
                                   const UpgradeRequest& upgrade, const StreamSubscription& sub) {
    co_await stream_on(site, conn, io, upgrade, sub);
}

}  // namespace gisgate::sim
