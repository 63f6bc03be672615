#include "proxy/tcp_session.hpp"

#include <spdlog/spdlog.h>

#include "balance/outlier.hpp"
#include "balance/select.hpp"
#include "proxy/client_origin.hpp"
#include "net/client_allow.hpp"
#include "net/listener.hpp"
#include "proxy/retry_policy.hpp"
#include "proxy/worker.hpp"

namespace gisgate::proxy {

TcpSession::TcpSession(Worker& worker, tcp::socket socket, std::string listener)
    : worker_(worker),
      client_(std::move(socket)),
      upstream_(worker.context()),
      listener_name_(std::move(listener)),
      deadline_(worker.loop().deadlines(), &TcpSession::on_deadline, this),
      other_done_(worker.context()) {
    worker_.attach_connection();
}

TcpSession::~TcpSession() {
    release_server();
    worker_.detach_connection();
}

void TcpSession::on_deadline(void* self) {
    auto* s = static_cast<TcpSession*>(self);
    error_code ignored;
    if (s->deadline_.kind() == kConnect) s->upstream_.cancel(ignored);  // the next server is tried
    else s->stop_both("idle-timeout");
}

awaitable<void> TcpSession::run(std::unique_ptr<TcpSession> self) { co_await self->serve(); }

awaitable<void> TcpSession::serve() {
    started_ = net::Clock::now();
    runtime_ = worker_.runtime();
    listener_ = runtime_->find_listener(listener_name_);
    if (!listener_ || listener_->config->mode != config::ListenerMode::tcp || !listener_->pool) co_return;
    pool_ = listener_->pool;
    net::tune_socket(client_);
    // The client as a balancer in front announces it (PROXY protocol), else the peer; bounded like an HTTP
    // listener's first request head.
    const std::optional<ClientOrigin> origin = co_await read_client_origin(
        client_, *listener_->config, deadline_, runtime_->config.timeouts.header, kIdle);
    if (!origin) co_return;
    origin_ = *origin;
    client_ip_ = origin_.client.address().to_string();
    if (origin_.proxied &&
        !admit_proxied_client(*runtime_->connections, runtime_->config.limits, origin_.client.address(), client_,
                              slot_, false)) {
        end_ = "limit";
    } else if (!net::client_allowed(listener_->config->allow, origin_.client.address())) {
        end_ = "denied";
    } else {
        const bool connected = co_await connect_server();
        if (connected) co_await relay(*listener_->config);
    }
    release_server();
    error_code ignored;
    client_.close(ignored);
    upstream_.close(ignored);
    log_connection();
}

// A slot on a server of the pool (balance::select()), then a connection to it; other servers on failure, as
// decide_retry() says (the same policy as the HTTP path: nothing was sent, so up to `retries` more servers).
awaitable<bool> TcpSession::connect_server() {
    const auto& pool_config = pool_->config();
    balance::TriedSet tried;
    for (std::uint32_t attempt = 0;;) {
        const balance::Selection selected =
            co_await balance::select(*pool_, balance::Affinity{}, tried, worker_.index());
        switch (selected.status) {
            case balance::AcquireStatus::granted: break;
            case balance::AcquireStatus::no_server: end_ = tried.size() ? "unreachable" : "no-server"; co_return false;
            case balance::AcquireStatus::queue_full: end_ = "queue-full"; co_return false;
            case balance::AcquireStatus::queue_timeout: end_ = "queue-timeout"; co_return false;
        }
        server_ = selected.server;
        log_server_ = server_->name;
        error_code ec = asio::error::host_not_found;
        deadline_.arm(pool_config.timeouts.connect, kConnect);
        for (const auto& endpoint : server_->endpoints) {
            error_code ignored;
            if (upstream_.is_open()) upstream_.close(ignored);
            co_await upstream_.async_connect(endpoint, ec_token(ec));
            if (!ec || ec == asio::error::operation_aborted) break;
        }
        const bool timed_out = deadline_.expired();
        deadline_.disarm();
        if (!ec && pool_config.send_proxy != config::SendProxy::off) {
            // Before the client's first byte: it names this connection's client to the server.
            const std::string header = proxy_header_for(pool_config.send_proxy, origin_);
            deadline_.arm(pool_config.timeouts.connect, kConnect);
            co_await asio::async_write(upstream_, asio::buffer(header), ec_token(ec));
            deadline_.disarm();
        }
        if (!ec) {
            // Layer 4 sees no statuses: a connection made ends a run of connect timeouts (balance/outlier.hpp).
            balance::report_outcome(*pool_, *server_, balance::LiveOutcome::answered, runtime_->events);
            net::tune_socket(upstream_);
            end_ = "closed";
            co_return true;
        }
        const std::string detail = timed_out ? std::string("connect timeout") : ec.message();
        spdlog::warn("pool {}: server {} ({}) connect failed: {}", pool_->name(), server_->name,
                     server_->address.to_string(), detail);
        if (!timed_out && runtime_->events) runtime_->events->server_refused(*server_, ec.message());
        if (timed_out) balance::report_outcome(*pool_, *server_, balance::LiveOutcome::timeout, runtime_->events);
        RetryContext context;
        context.replay.failure = timed_out ? Failure::connect_timeout : Failure::connect_failed;
        context.attempt = attempt;
        context.retries = pool_config.retries;
        context.server = server_->name;
        context.detail = detail;
        const RetryDecision decision = decide_retry(context);
        tried.add(server_->id);
        release_server();
        if (decision.action != RetryDecision::Action::retry_other) break;
        ++attempt;
    }
    end_ = "unreachable";
    co_return false;
}

awaitable<void> TcpSession::relay(const config::ListenerConfig& listener) {
    for (net::RelayProgress* p : {&to_server_, &to_client_}) {
        p->idle = &deadline_;
        p->idle_timeout = listener.idle_timeout;
        p->idle_kind = kIdle;
    }
    if (!to_server_pipe_.open() || !to_client_pipe_.open()) {
        // Out of descriptors for pipes: relay through user-space buffers instead.
        to_server_buffer_ = worker_.loop().buffers().acquire();
        to_client_buffer_ = worker_.loop().buffers().acquire();
    }
    deadline_.arm(listener.idle_timeout, kIdle);
    const auto executor = co_await asio::this_coro::executor;
    server_to_client_running_ = true;
    asio::co_spawn(executor, pump(upstream_, client_, to_client_, to_client_pipe_, to_client_buffer_.get()),
                   [this](const std::exception_ptr&) {
                       server_to_client_running_ = false;
                       other_done_.cancel();
                   });
    co_await pump(client_, upstream_, to_server_, to_server_pipe_, to_server_buffer_.get());
    error_code ec;
    while (server_to_client_running_) {
        other_done_.expires_at(asio::steady_timer::time_point::max());
        co_await other_done_.async_wait(ec_token(ec));
    }
    deadline_.disarm();
}

awaitable<void> TcpSession::pump(tcp::socket& from, tcp::socket& to, net::RelayProgress& progress, net::Pipe& pipe,
                                 char* buffer) {
    error_code ec;
    if (buffer) ec = co_await net::relay_copy(from, to, buffer, net::BufferPool::kBlockSize, progress);
    else ec = co_await net::relay_splice(from, to, pipe, progress);
    if (ec == asio::error::eof) co_return;  // half-close: the other direction goes on
    if (ec != asio::error::operation_aborted) {
        spdlog::debug("listener {}: connection from {} via {}: {}", listener_name_, client_ip_,
                      server_ ? server_->name : std::string("-"), ec.message());
        stop_both("reset");
    }
}

void TcpSession::stop_both(const char* why) {
    if (std::string_view(end_) == "closed") end_ = why;
    error_code ignored;
    client_.shutdown(tcp::socket::shutdown_both, ignored);
    upstream_.shutdown(tcp::socket::shutdown_both, ignored);
    client_.cancel(ignored);
    upstream_.cancel(ignored);
}

void TcpSession::release_server() {
    if (server_) {
        pool_->release(server_);
        server_ = nullptr;
    }
}

void TcpSession::log_connection() {
    AccessLog& log = worker_.access_log();
    if (!log.enabled()) return;
    const double ms = std::chrono::duration<double, std::milli>(net::Clock::now() - started_).count();
    log.record_connection({client_ip_, listener_name_, end_, pool_ ? std::string_view(pool_->name()) : "",
                           log_server_, to_client_.bytes, to_server_.bytes, ms});
}

}  // namespace gisgate::proxy
