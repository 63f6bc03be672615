#include "proxy/worker.hpp"

#include <spdlog/spdlog.h>

#include "net/client_allow.hpp"
#include "net/listener.hpp"
#include "proxy/parked_connection.hpp"
#include "proxy/session.hpp"
#include "proxy/tcp_session.hpp"

namespace gisgate::proxy {

namespace {
// Servers close idle keep-alive connections on their own timers (often 15–60 s); closing ours first avoids
// sending a request into a connection the server is closing.
constexpr auto kUpstreamIdleMax = std::chrono::seconds(10);
}  // namespace

Worker::Worker(unsigned index, int access_log_fd, std::shared_ptr<const Runtime> runtime,
               metrics::ServiceRegistry& services)
    : loop_(index),
      upstreams_(loop_.context()),
      access_log_(access_log_fd),
      stats_(services),
      runtime_(std::move(runtime)),
      caches_(runtime_->config.workers) {
    caches_.sync(*runtime_);
    access_log_.set_json(runtime_->config.access_log_format == config::AccessLogFormat::json);
    loop_.on_tick([this] {
        access_log_.flush();
        upstreams_.close_idle_older_than(loop_.deadlines().now(), kUpstreamIdleMax);
    });
}

Worker::~Worker() {
    loop_.stop();
    loop_.join();
    // I/O objects first, then the context: destroying it destroys suspended sessions, whose destructors
    // still use this worker (detach, upstream pool), so that must happen while the members are alive.
    acceptors_.clear();
    upstreams_.close_all();
    loop_.destroy();
}

void Worker::set_runtime(std::shared_ptr<const Runtime> runtime) {
    runtime_ = std::move(runtime);
    caches_.sync(*runtime_);
    access_log_.set_json(runtime_->config.access_log_format == config::AccessLogFormat::json);
}

void Worker::add_acceptor(tcp::acceptor acceptor, const std::string& listener) {
    auto a = std::make_shared<Acceptor>(Acceptor{std::move(acceptor), listener});
    acceptors_.push_back(a);
    asio::co_spawn(context(), accept_loop(std::move(a)), asio::detached);
}

void Worker::remove_acceptor(const std::string& listener) {
    for (auto it = acceptors_.begin(); it != acceptors_.end();) {
        if ((*it)->listener == listener) {
            error_code ec;
            (*it)->socket.close(ec);
            it = acceptors_.erase(it);
        } else {
            ++it;
        }
    }
    // Its connections go as in a drain: HTTP/2 ones get GOAWAY and finish their streams, idle HTTP/1.1 ones
    // close, busy ones close after the response. Clients reconnect to what the listener is now. Copy: an idle
    // session may detach while we iterate.
    for (Session* s : open_session_list())
        if (s->listener_name() == listener) s->retire();
    // close() only cancels the wait: the connection leaves the list later, from its completion.
    for (ParkedConnection* p = parked_; p; p = p->next)
        if (p->listener_name() == listener) p->close();
}

awaitable<void> Worker::accept_loop(std::shared_ptr<Acceptor> acceptor) {
    asio::steady_timer backoff(context());
    while (!draining_) {
        error_code ec;
        tcp::socket socket = co_await acceptor->socket.async_accept(asio::redirect_error(use_awaitable, ec));
        if (ec) {
            if (ec == asio::error::operation_aborted || draining_ || !acceptor->socket.is_open()) break;
            // Out of file descriptors or memory: back off briefly instead of spinning on the error.
            spdlog::warn("accept failed: {}", ec.message());
            backoff.expires_after(std::chrono::milliseconds(50));
            co_await backoff.async_wait(asio::redirect_error(use_awaitable, ec));
            continue;
        }
        ConnectionSlot slot;
        const ListenerRuntime* listener = runtime_->find_listener(acceptor->listener);
        const bool plain_http =
            listener && listener->config->mode == config::ListenerMode::http && !listener->config->tls;
        // A balancer sending PROXY headers carries many clients on its address: the per-address limit is applied
        // to the client it announces, once the header is read (proxy/client_origin.hpp).
        config::LimitsConfig limits = runtime_->config.limits;
        if (listener && !listener->config->proxy_protocol_from.empty()) {
            error_code peer_ec;
            const auto peer = socket.remote_endpoint(peer_ec);
            if (!peer_ec && net::client_allowed(listener->config->proxy_protocol_from, peer.address()))
                limits.max_connections_per_ip = 0;
        }
        if (!admit_or_refuse(*runtime_->connections, limits, socket, slot, plain_http)) continue;
        if (listener && listener->config->mode == config::ListenerMode::tcp) {
            auto session = std::make_unique<TcpSession>(*this, std::move(socket), acceptor->listener);
            session->hold(std::move(slot));
            asio::co_spawn(context(), TcpSession::run(std::move(session)), asio::detached);
            continue;
        }
        auto session = std::make_unique<Session>(*this, std::move(socket), acceptor->listener);
        session->hold(std::move(slot));
        asio::co_spawn(context(), Session::run(std::move(session)), asio::detached);
    }
}

void Worker::begin_drain() {
    draining_ = true;
    for (auto& a : acceptors_) {
        error_code ec;
        a->socket.close(ec);
    }
    // Copy: closing an idle session may detach it while we iterate.
    for (Session* s : open_session_list()) s->close_if_idle();
    for (ParkedConnection* p = parked_; p; p = p->next) p->close();
    upstreams_.close_all();
}

// A list rather than a set: every HTTP/2 stream has a session of its own, and linking one allocates nothing.
void Worker::attach(Session* session) {
    session->prev_in_worker_ = nullptr;
    session->next_in_worker_ = sessions_;
    if (sessions_) sessions_->prev_in_worker_ = session;
    sessions_ = session;
    session_count_.fetch_add(1, std::memory_order_relaxed);
}

void Worker::detach(Session* session) {
    if (session->prev_in_worker_) session->prev_in_worker_->next_in_worker_ = session->next_in_worker_;
    else if (sessions_ == session) sessions_ = session->next_in_worker_;
    else return;  // not attached
    if (session->next_in_worker_) session->next_in_worker_->prev_in_worker_ = session->prev_in_worker_;
    session->prev_in_worker_ = session->next_in_worker_ = nullptr;
    session_count_.fetch_sub(1, std::memory_order_relaxed);
}

void Worker::linger(Session* session) {
    session->prev_lingering_ = linger_tail_;
    session->next_lingering_ = nullptr;
    if (linger_tail_) linger_tail_->next_lingering_ = session;
    else linger_head_ = session;
    linger_tail_ = session;
    if (++lingering_ <= kMaxLingering) return;
    Session* oldest = linger_head_;
    stop_lingering(oldest);  // whether it parks now or waits for its own deadline, it leaves the list
    oldest->park_early();
}

void Worker::stop_lingering(Session* session) {
    if (session->prev_lingering_) session->prev_lingering_->next_lingering_ = session->next_lingering_;
    else if (linger_head_ == session) linger_head_ = session->next_lingering_;
    else return;  // not on the list
    if (session->next_lingering_) session->next_lingering_->prev_lingering_ = session->prev_lingering_;
    else linger_tail_ = session->prev_lingering_;
    session->prev_lingering_ = session->next_lingering_ = nullptr;
    --lingering_;
}

std::vector<Session*> Worker::open_session_list() const {
    std::vector<Session*> out;
    for (Session* s = sessions_; s; s = s->next_in_worker_) out.push_back(s);
    return out;
}

void Worker::park(ParkedConnection* connection) {
    connection->prev = nullptr;
    connection->next = parked_;
    if (parked_) parked_->prev = connection;
    parked_ = connection;
    parked_count_.fetch_add(1, std::memory_order_relaxed);
    session_count_.fetch_add(1, std::memory_order_relaxed);
}

void Worker::unpark(ParkedConnection* connection) {
    if (connection->prev) connection->prev->next = connection->next;
    else parked_ = connection->next;
    if (connection->next) connection->next->prev = connection->prev;
    connection->prev = connection->next = nullptr;
    parked_count_.fetch_sub(1, std::memory_order_relaxed);
    session_count_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace gisgate::proxy
