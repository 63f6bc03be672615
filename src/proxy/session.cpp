// One client connection: TLS, reading request heads (idle without an I/O block), the phases of each request
// (session_request.cpp, session_forward.cpp, session_relay.cpp, session_cache.cpp), closing cleanly.
#include "proxy/session.hpp"

#include "proxy/client_origin.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <cstring>

#include "h2/connection.hpp"
#include "net/client_allow.hpp"
#include "net/listener.hpp"
#include "proxy/parked_connection.hpp"
#include "proxy/worker.hpp"

namespace gisgate::proxy {

Session::Session(Worker& worker, tcp::socket socket, std::string listener)
    : worker_(worker),
      client_(std::move(socket)),
      listener_name_(std::move(listener)),
      deadline_(worker.loop().deadlines(), &Session::on_deadline, this) {
    worker_.attach(this);
}

Session::Session(std::shared_ptr<h2::StreamChannel> stream, const Session& connection)
    : worker_(connection.worker_),
      client_(std::move(stream)),
      listener_name_(connection.listener_name_),
      deadline_(worker_.loop().deadlines(), &Session::on_deadline, this),
      client_ip_(connection.client_ip_),
      origin_(connection.origin_) {
    allowed_ = connection.allowed_;
    trusted_forwarded_ = connection.trusted_forwarded_;
    worker_.attach(this);
}

Session::Session(ParkedConnection& parked)
    : worker_(parked.worker),
      client_(std::move(parked.socket)),
      listener_name_(*parked.listener),
      deadline_(parked.worker.loop().deadlines(), &Session::on_deadline, this),
      origin_(parked.origin),
      resumed_(true) {
    // As take_client() set them when the connection was accepted (not again: a reload since does not change
    // what this connection was allowed).
    client_ip_ = origin_.client.address().to_string();
    allowed_ = parked.allowed;
    trusted_forwarded_ = parked.trusted_forwarded;
    slot_ = std::move(parked.slot);
    client_.adopt_tls(std::move(parked.tls));
    worker_.attach(this);
}

Session::~Session() {
    error_code ec;
    worker_.stop_lingering(this);  // (a loop shut down with the read pending)
    // An HTTP/2 stream ends with its session: a response cut short is reset, never left open.
    if (client_.channel()) client_.close(ec);
    cache_.finish();
    release_upstream(false);
    worker_.detach(this);
}

void Session::on_deadline(void* self) {
    auto* s = static_cast<Session*>(self);
    error_code ec;
    s->client_.cancel(ec);
    if (s->exchange_.connection) s->exchange_.connection->socket.cancel(ec);
}

void Session::park_early() {
    // The park deadline is armed (linger() is called only for a session that may park); a partial TLS record
    // would close rather than park (read_request_head), so such a session waits for its own deadline.
    if (client_.tls_pending() || !deadline_.armed() || deadline_.kind() != kPark) return;
    deadline_.expire_now();
}

void Session::close_if_idle() {
    error_code ec;
    if (h2_) {
        h2_->shutdown();  // GOAWAY: the streams in flight finish (their own sessions), no new ones start
    } else if (idle_) {
        client_.cancel(ec);
    } else if (tunnel_ && !going_away_ && exchange_.connection) {
        // The server → client pump stops, tells the client (close frame 1001) and ends the tunnel.
        going_away_ = true;
        exchange_.connection->socket.cancel(ec);
    }
}

void Session::retire() {
    retired_ = true;
    close_if_idle();
}

awaitable<void> Session::run(std::unique_ptr<Session> self) {
    // An HTTP/2 stream goes straight to its request: serve_connection()'s frame (the accept-time work, a large
    // one) would be allocated and freed per stream for nothing.
    if (self->client_.channel()) {
        co_await self->serve_requests();
        co_return;
    }
    co_await self->serve_connection();
    if (self->parking_) self->park();
}

void Session::park() {
    const net::Clock::duration idle_left =
        worker_.runtime()->config.timeouts.idle - (worker_.loop().deadlines().now() - idle_since_);
    auto parked = std::make_unique<ParkedConnection>(worker_, std::move(client_.socket()),
                                                     worker_.intern_listener(listener_name_), origin_, std::move(slot_),
                                                     allowed_, trusted_forwarded_, client_.release_tls());
    ParkedConnection::wait(std::move(parked), idle_left);
}

void Session::resume(std::unique_ptr<ParkedConnection> parked) {
    Worker& worker = parked->worker;
    auto session = std::make_unique<Session>(*parked);
    parked.reset();
    asio::co_spawn(worker.context(), Session::run(std::move(session)), asio::detached);
}

awaitable<void> Session::serve_connection() {
    error_code ec;
    bool h2 = false;
    if (!resumed_) {  // a resumed session's connection was set up by its first session
        net::tune_socket(client_.socket());
        const std::shared_ptr<const Runtime> runtime = worker_.runtime();
        const ListenerRuntime* listener = runtime->find_listener(listener_name_);
        if (!listener) co_return;
        const config::ListenerConfig& lc = *listener->config;
        // The client as the balancer in front announces it (PROXY protocol), else the peer: within the first
        // request head's time, so a silent connection cannot hold a PROXY listener's slot longer than any other.
        const std::optional<ClientOrigin> origin = co_await read_client_origin(
            client_.socket(), lc, deadline_, runtime->config.timeouts.header, kHeader);
        if (!origin) co_return;
        origin_ = *origin;
        if (origin_.proxied &&
            !admit_proxied_client(*runtime->connections, runtime->config.limits, origin_.client.address(),
                                  client_.socket(), slot_, !listener->tls))
            co_return;
        take_client(lc);
        if (listener->tls) {
            const bool ready = co_await start_tls(*listener);
            if (!ready) co_return;
            h2 = lc.http2 && client_.alpn() == "h2";
        } else if (lc.h2c) {
            h2 = co_await h2c_preface_follows(runtime->config.timeouts.header);
        }
    }
    if (h2) co_await serve_h2();
    else co_await serve_requests();
    if (parking_) co_return;  // the socket goes on to a ParkedConnection (run())
    if (client_.tls() && !client_closed_) co_await close_notify();
    client_.shutdown(tcp::socket::shutdown_both, ec);
    client_.close(ec);
}

// The client's address as everything downstream sees it: allow, trusted X-Forwarded-*, logs.
void Session::take_client(const config::ListenerConfig& lc) {
    client_ip_ = origin_.client.address().to_string();
    allowed_ = net::client_allowed(lc.allow, origin_.client.address());
    trusted_forwarded_ = !lc.trusted_proxies.empty() && net::client_allowed(lc.trusted_proxies,
                                                                            origin_.client.address());
}

awaitable<void> Session::serve_requests() {
    // 0: the connection's first request; 1: its second; 2: any later one (a resumed session's first too).
    for (unsigned had = resumed_ ? 2 : 0;; had = had < 2 ? had + 1 : 2) {
        request_id_.clear();  // a head that fails to parse gets no id, not the previous request's
        if (!co_await read_request_head(had)) break;  // (or parking_)
        if (!co_await serve_request()) break;
        if (client_.channel()) break;  // an HTTP/2 stream carries one request: no read for the end of it
        if (worker_.draining() || retired_) break;
    }
}

// Reads until one complete request head is in the buffer. False: close the connection (EOF, timeout, or an
// error response was sent).
awaitable<bool> Session::read_request_head(unsigned had) {
    const bool first = had == 0;
    const auto& timeouts = worker_.runtime()->config.timeouts;
    error_code ec;
    // A new connection's first head must be complete within `header` of the accept (not of its first byte,
    // or a slowloris client would get the idle wait on top); later heads within `header` of their first byte.
    bool header_deadline_armed = false;
    if (begin_ == end_) {
        if (worker_.draining() || retired_) co_return false;
        // Idle between requests: hold no I/O block, only the small buffer inside the session. Reading (rather
        // than waiting for readability) matters on the hot path: Asio (1.74) re-arms a wait with an
        // epoll_ctl(MOD) every time, while a read tries recv() first, which finds a next request that is
        // already there (a busy client) with no epoll round at all, and otherwise costs what the epoll_ctl
        // would. TLS needs a read anyway (decrypted bytes may already be buffered).
        buf_.reset();
        begin_ = end_ = 0;
        // An HTTP/1.1 connection idle for kParkAfter is parked (parked_connection.hpp): the park deadline first,
        // the rest of the idle timeout in the ParkedConnection. Plain or TLS (not an HTTP/2 stream), not one that
        // holds private server connections (the session owns them), not a new one (its first head is due within
        // `header`).
        const bool may_park = !first && !client_.channel() && private_upstreams_.empty() &&
                              !exchange_.connection && timeouts.idle > kParkAfter;
        if (may_park) deadline_.arm(kParkAfter, kPark);
        else deadline_.arm(first ? timeouts.header : timeouts.idle, first ? kHeader : kIdle);
        idle_since_ = worker_.loop().deadlines().now();
        header_deadline_armed = first;
        idle_ = true;
        // An HTTP/2 stream's head is already whole in its channel (translation.hpp): read straight into a block,
        // in one read however long the head (a browser's cookies often pass the idle buffer's 1 KiB).
        if (client_.channel()) buf_ = worker_.loop().buffers().acquire();
        const asio::mutable_buffer into = buf_ ? asio::buffer(buf_.get(), kBlock) : asio::buffer(idle_bytes_);
        std::size_t got = client_.read_now(into);  // an HTTP/2 stream's head: no round through the scheduler
        if (got == 0) {
            // After a connection's first request only (Worker::kMaxLingering): that may park an older one early.
            const bool linger = may_park && had == 1;
            if (linger) worker_.linger(this);
            got = co_await client_.async_read_some(into, ec_token(ec));
            if (linger) worker_.stop_lingering(this);
        }
        idle_ = false;
        if (ec) {
            // The park deadline cancelled the read (nothing was read): park, unless a drain or retire came too,
            // or part of a TLS record arrived (it stays with OpenSSL: the socket's readability would not tell).
            parking_ = may_park && deadline_.expired() && deadline_.kind() == kPark &&
                       ec == asio::error::operation_aborted && !worker_.draining() && !retired_ &&
                       !client_.tls_pending();
            co_return false;
        }
        if (!buf_) {
            buf_ = worker_.loop().buffers().acquire();
            std::memcpy(buf_.get(), idle_bytes_.data(), got);
        }
        end_ = got;
        if (got == idle_bytes_.size() && client_.plain_socket()) {
            // More than the idle buffer holds: take what has already arrived in one go, as a first read into
            // a block did, so the first checks (framing errors in the first body bytes, before any server is
            // contacted) see all of it. available() > 0 means the read cannot block.
            const std::size_t waiting = client_.socket().available(ec);
            if (!ec && waiting > 0)
                end_ += client_.socket().read_some(asio::buffer(buf_.get() + end_, std::min(waiting, kBlock - end_)), ec);
            if (ec) co_return false;
        }
    }
    if (!buf_) buf_ = worker_.loop().buffers().acquire();
    if (!header_deadline_armed) deadline_.arm(timeouts.header, kHeader);
    const ListenerRuntime* listener = worker_.runtime()->find_listener(listener_name_);
    if (!listener) co_return false;  // removed by a reload
    const http::Limits limits = listener->limits;
    for (;;) {
        if (begin_ < end_) {
            const auto result = http::parse_request_head(client_data(), limits, head_);
            if (result.status == http::ParseStatus::complete) {
                deadline_.disarm();
                co_return true;
            }
            if (result.status == http::ParseStatus::error) {
                deadline_.disarm();
                log_method_ = "-";
                log_target_ = "-";
                started_ = net::Clock::now();
                request_bytes_ = end_ - begin_;
                head_.version_minor = 1;
                head_.method = http::Method::other;
                head_.keep_alive = false;  // a head gisgate could not read: nothing after it can be trusted
                set_error(result.error_status, result.error ? result.error : "bad request");
                co_await respond_error();
                co_return false;
            }
        }
        if (end_ == kBlock) {
            if (begin_ == 0) {  // cannot happen with limits below the block size; refuse rather than loop
                set_error(431, "request head too large");
                co_await respond_error();
                co_return false;
            }
            std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        const std::size_t n =
            co_await client_.async_read_some(asio::buffer(buf_.get() + end_, kBlock - end_), ec_token(ec));
        if (ec) {
            if (deadline_.expired() && begin_ < end_) {
                started_ = net::Clock::now();
                request_bytes_ = end_ - begin_;
                log_method_ = "-";
                log_target_ = "-";
                head_.method = http::Method::other;
                head_.version_minor = 1;
                set_error(408, "request head not received in time");
                co_await respond_error();
            }
            co_return false;
        }
        end_ += n;
    }
}

// Closing a socket with unread request bytes makes the kernel send RST, which can destroy the error response
// before the client reads it. Shut down our side, then read and discard for a short while.
awaitable<void> Session::lingering_close() {
    error_code ec;
    if (client_.channel()) {  // an HTTP/2 stream: the connection reads on; the stream just ends
        client_.close(ec);
        co_return;
    }
    if (client_.tls()) co_await close_notify();
    client_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) co_return;
    if (!buf_) buf_ = worker_.loop().buffers().acquire();
    deadline_.arm(std::chrono::seconds(2), kClientIo);
    std::size_t discarded = 0;
    while (discarded < 4 * kBlock) {
        // The raw socket: what is discarded need not be decrypted.
        const std::size_t n =
            co_await client_.socket().async_read_some(asio::buffer(buf_.get(), kBlock), ec_token(ec));
        if (ec) break;
        discarded += n;
    }
    deadline_.disarm();
    begin_ = end_ = 0;
}

// TLS handshake on a new client connection, within the header timeout. False: the connection is closed.
awaitable<bool> Session::start_tls(const ListenerRuntime& listener) {
    client_.start_tls(listener.tls);  // the session keeps these certificates even if a reload replaces them
    error_code ec;
    deadline_.arm(worker_.runtime()->config.timeouts.header, kHeader);
    co_await client_.async_handshake(net::ssl::stream_base::server, ec_token(ec));
    deadline_.disarm();
    if (ec) {
        // By name: a reload during the handshake may have replaced `listener`.
        spdlog::debug("listener {}: TLS handshake with {} failed: {}", listener_name_, client_ip_,
                      deadline_.expired() ? std::string("timeout") : ec.message());
        co_return false;
    }
    co_return true;
}

// Tells a TLS client the connection ends here (close_notify), so it can tell a complete close-delimited body
// from a cut one. Bounded: a client that stopped reading must not hold the session.
awaitable<void> Session::close_notify() {
    error_code ec;
    deadline_.arm(std::chrono::seconds(2), kClientIo);
    co_await client_.async_close_notify(ec_token(ec));
    deadline_.disarm();
}

}  // namespace gisgate::proxy
