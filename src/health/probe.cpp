#include "health/probe.hpp"

#include <fmt/format.h>

#include "health/check_response.hpp"
#include "net/proxy_protocol.hpp"

namespace gisgate::health {

bool means_dead(const error_code& ec) {
    return ec == asio::error::connection_refused || ec == asio::error::connection_reset ||
           ec == asio::error::host_unreachable || ec == asio::error::network_unreachable;
}

Probe::Probe(const asio::any_io_executor& executor) : socket_(executor), deadline_(executor) {}

std::string Probe::request_text(const config::HealthConfig& health, const balance::ServerRuntime& server) {
    return fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: gisgate-health\r\nAccept: */*\r\n"
                       "Connection: close\r\n\r\n",
                       health.path, server.address.to_string());
}

void Probe::cancel() {
    cancelled_ = true;
    error_code ignored;
    socket_.close(ignored);
    deadline_.cancel();
}

// Boost 1.74 has no per-operation cancellation: the timeout closes the socket, which aborts whatever the check
// is waiting for. The handler owns the probe, so it may run after the check (and its loop) are gone.
void Probe::arm_deadline(std::chrono::milliseconds timeout) {
    deadline_.expires_after(timeout);
    deadline_.async_wait([self = shared_from_this(), attempt = attempt_](const error_code& ec) {
        if (ec || self->attempt_ != attempt) return;
        self->timed_out_ = true;
        error_code ignored;
        self->socket_.close(ignored);
    });
}

void Probe::finish(Outcome outcome, std::string error) {
    result_.outcome = outcome;
    result_.error = std::move(error);
    result_.latency =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_);
}

std::string Probe::network_error(const char* step, const error_code& ec) const {
    if (timed_out_) return fmt::format("timeout after {} ms", timeout_.count());
    return fmt::format("{}: {}", step, ec.message());
}

awaitable<bool> Probe::connect(const std::vector<tcp::endpoint>& endpoints) {
    if (endpoints.empty()) {
        finish(Outcome::failure, "connect: no resolved address");
        co_return false;
    }
    error_code ec;
    for (const tcp::endpoint& endpoint : endpoints) {  // in order, like the proxy
        if (timed_out_ || cancelled_) break;
        error_code ignored;
        socket_.close(ignored);
        co_await socket_.socket().async_connect(endpoint, asio::redirect_error(use_awaitable, ec));
        if (!ec && send_proxy_ != config::SendProxy::off) {
            // The check's own connection, as HAProxy's check-send-proxy announces it.
            std::string header;
            const tcp::endpoint local = socket_.socket().local_endpoint(ec);
            if (!ec) {
                if (send_proxy_ == config::SendProxy::v2) net::write_proxy_v2(local, endpoint, header);
                else net::write_proxy_v1(local, endpoint, header);
                co_await asio::async_write(socket_.socket(), asio::buffer(header),
                                           asio::redirect_error(use_awaitable, ec));
            }
        }
        if (!ec) co_return true;
    }
    const Outcome outcome = !timed_out_ && means_dead(ec) ? Outcome::dead : Outcome::failure;
    finish(outcome, network_error("connect", ec));
    co_return false;
}

// TLS to a server that speaks it. A failed handshake is a failure, not "dead": something listens there.
awaitable<bool> Probe::handshake() {
    if (!socket_.start_tls(tls_, tls_host_)) {
        finish(Outcome::failure, "TLS: bad server name " + tls_host_);
        co_return false;
    }
    error_code ec;
    co_await socket_.async_handshake(net::ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
    if (!ec) co_return true;
    finish(Outcome::failure, network_error("TLS handshake", ec));
    co_return false;
}

awaitable<bool> Probe::exchange(const std::vector<tcp::endpoint>& endpoints, std::chrono::milliseconds timeout,
                                std::size_t max_body) {
    ++attempt_;
    timed_out_ = false;
    timeout_ = timeout;
    result_.error.clear();
    response_ = ResponseCollector(max_body);
    started_ = std::chrono::steady_clock::now();
    if (cancelled_) {
        finish(Outcome::failure, "cancelled");
        co_return false;
    }
    arm_deadline(timeout);
    socket_.reset_tls();  // no operation is pending between checks

    bool complete = false;
    bool connected = co_await connect(endpoints);
    if (connected && connect_only_) {
        complete = true;
    } else if (connected && tls_) {
        connected = co_await handshake();
    }
    if (connected && !complete) {
        error_code ec;
        co_await asio::async_write(socket_, asio::buffer(request_), asio::redirect_error(use_awaitable, ec));
        if (ec) {
            // Nothing received yet: a reset here is as dead as a refused connect.
            finish(!timed_out_ && means_dead(ec) ? Outcome::dead : Outcome::failure, network_error("send", ec));
        } else {
            ResponseCollector::Status status = ResponseCollector::Status::need_more;
            while (status == ResponseCollector::Status::need_more) {
                const std::size_t n =
                    co_await socket_.async_read_some(asio::buffer(buffer_), asio::redirect_error(use_awaitable, ec));
                if (n > 0) status = response_.append(std::string_view(buffer_.data(), n));
                if (status != ResponseCollector::Status::need_more) break;
                if (ec == asio::error::eof) {
                    status = response_.end_of_stream();
                } else if (ec) {
                    // EOF before any byte is a failure (a server closing on us may be overloaded, not dead);
                    // a reset before any byte is dead.
                    const bool dead = !timed_out_ && means_dead(ec) && !response_.received_anything();
                    finish(dead ? Outcome::dead : Outcome::failure, network_error("receive", ec));
                    break;
                }
            }
            if (status == ResponseCollector::Status::complete) {
                complete = true;
            } else if (status == ResponseCollector::Status::malformed) {
                finish(Outcome::failure, response_.received_anything() ? "bad response: " + response_.error()
                                                                       : response_.error());
            }
        }
    }

    ++attempt_;  // disarms a deadline that expired just as the exchange finished
    deadline_.cancel();
    error_code ignored;
    socket_.close(ignored);
    co_return complete;
}

awaitable<void> Probe::run(const balance::ServerRuntime& server, const config::HealthConfig& health) {
    request_ = request_text(health, server);
    tls_host_ = server.address.host;
    connect_only_ = health.type == config::HealthCheckType::tcp;
    send_proxy_ = health.proxy_version;
    const bool complete = co_await exchange(server.endpoints, health.timeout, ResponseCollector::kMaxBody);
    if (complete && connect_only_) {
        finish(Outcome::success, std::string());
    } else if (complete) {
        std::string problem = judge(response_, health);
        const Outcome outcome = problem.empty() ? Outcome::success : Outcome::failure;
        finish(outcome, std::move(problem));  // not in one call: argument order is unspecified
    }
}

awaitable<void> Probe::post_form(const std::vector<tcp::endpoint>& endpoints, const std::string& host,
                                 const std::string& target, const std::string& form, std::chrono::milliseconds timeout,
                                 std::size_t max_body) {
    co_await get(endpoints, host, target, timeout, max_body, &form);
}

awaitable<void> Probe::get(const std::vector<tcp::endpoint>& endpoints, const std::string& host,
                           const std::string& target, std::chrono::milliseconds timeout, std::size_t max_body,
                           const std::string* form) {
    // No Accept-Encoding: the body comes back as is (the caller parses it).
    if (form)
        request_ = fmt::format("POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: gisgate\r\nAccept: application/json\r\n"
                               "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n"
                               "Connection: close\r\n\r\n{}",
                               target, host, form->size(), *form);
    else
        request_ = fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: gisgate\r\nAccept: application/json\r\n"
                               "Connection: close\r\n\r\n",
                               target, host);
    co_await send_request(endpoints, host, timeout, max_body);
}

awaitable<void> Probe::post_json(const std::vector<tcp::endpoint>& endpoints, const std::string& host,
                                 const std::string& target, const std::string& body, const std::string& token,
                                 std::chrono::milliseconds timeout, std::size_t max_body) {
    request_ = fmt::format("POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: gisgate\r\nAccept: application/json\r\n"
                           "Content-Type: application/json\r\nContent-Length: {}\r\n{}Connection: close\r\n\r\n{}",
                           target, host, body.size(),
                           token.empty() ? std::string() : "Authorization: Bearer " + token + "\r\n", body);
    co_await send_request(endpoints, host, timeout, max_body);
}

awaitable<void> Probe::send_request(const std::vector<tcp::endpoint>& endpoints, const std::string& host,
                                    std::chrono::milliseconds timeout, std::size_t max_body) {
    // The host without its port, for SNI: "gis.internal:6443" → "gis.internal", "[::1]:6443" → "::1".
    std::string_view name = host;
    if (!name.empty() && name.front() == '[') name = name.substr(1, name.find(']') - 1);
    else if (name.find(':') != std::string_view::npos) name = name.substr(0, name.rfind(':'));
    tls_host_.assign(name);
    connect_only_ = false;
    // Awaited into a local, not inside the `if`: GCC 12 generated an illegal instruction for that form here.
    const bool complete = co_await exchange(endpoints, timeout, max_body);
    if (complete) finish(Outcome::success, std::string());
}

}  // namespace gisgate::health
