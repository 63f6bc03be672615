// One HTTP health check of one server: connect, GET the health path, read and judge the answer, all within
// the pool's health timeout. Network errors are results, not exceptions (a check fails often by design).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "balance/server.hpp"
#include "config/config.hpp"
#include "health/check_response.hpp"
#include "health/tracker.hpp"
#include "net/asio.hpp"
#include "net/stream.hpp"

namespace gisgate::health {

struct ProbeResult {
    Outcome outcome = Outcome::failure;
    std::string error;  // empty on success, else e.g. "connect: Connection refused", "timeout after 5000 ms"
    std::chrono::milliseconds latency{0};
};

// Owns the socket and deadline timer so that HealthMonitor can cancel a check in flight. Reused for every check
// of one server; one check at a time. Held by shared_ptr: the deadline's handler keeps it alive.
class Probe : public std::enable_shared_from_this<Probe> {
public:
    explicit Probe(const asio::any_io_executor& executor);

    // Runs one check; the outcome is in result() afterwards. (Not returned: the result holds a std::string, and
    // GCC 12 mishandles non-trivial objects around co_await.) `server` and `health` must outlive the check.
    awaitable<void> run(const balance::ServerRuntime& server, const config::HealthConfig& health);
    const ProbeResult& result() const { return result_; }

    // A plain `GET target` with the same connect/timeout/framing handling, for other control-thread readers
    // (GIS catalogs). Afterwards result() is success when a complete response arrived — whatever its status —
    // and response() holds it; else result() says what went wrong. The arguments must outlive the call.
    awaitable<void> get(const std::vector<tcp::endpoint>& endpoints, const std::string& host,
                        const std::string& target, std::chrono::milliseconds timeout, std::size_t max_body,
                        const std::string* form = nullptr);
    // The same with `POST target` and a form body (application/x-www-form-urlencoded): ArcGIS's generateToken
    // takes its credentials only in a POST body.
    awaitable<void> post_form(const std::vector<tcp::endpoint>& endpoints, const std::string& host,
                              const std::string& target, const std::string& form, std::chrono::milliseconds timeout,
                              std::size_t max_body);
    // The same with `POST target` and a JSON body, with `Authorization: Bearer <token>` when `token` is not
    // empty (cluster sync between gisgate admin APIs).
    awaitable<void> post_json(const std::vector<tcp::endpoint>& endpoints, const std::string& host,
                              const std::string& target, const std::string& body, const std::string& token,
                              std::chrono::milliseconds timeout, std::size_t max_body);
    const ResponseCollector& response() const { return response_; }

    // Ends a running check promptly (its result is then meaningless) and any later one at once.
    void cancel();

    // The servers speak TLS: later checks and GETs go over TLS (null: plain TCP). Between checks only.
    void set_tls(std::shared_ptr<const net::TlsClient> tls) { tls_ = std::move(tls); }

    // What `GET path` sends: Connection: close keeps the exchange to one response.
    static std::string request_text(const config::HealthConfig& health, const balance::ServerRuntime& server);

private:
    // Connects, sends request_ and collects the answer into response_ within `timeout`. True when a complete
    // response arrived (the caller judges it); otherwise result_ already holds the failure.
    awaitable<bool> exchange(const std::vector<tcp::endpoint>& endpoints, std::chrono::milliseconds timeout,
                             std::size_t max_body);
    awaitable<bool> connect(const std::vector<tcp::endpoint>& endpoints);
    // Sends request_ (already built) to `host` and keeps the response: get(), post_form(), post_json().
    awaitable<void> send_request(const std::vector<tcp::endpoint>& endpoints, const std::string& host,
                                 std::chrono::milliseconds timeout, std::size_t max_body);
    awaitable<bool> handshake();
    void arm_deadline(std::chrono::milliseconds timeout);
    void finish(Outcome outcome, std::string error);
    std::string network_error(const char* step, const error_code& ec) const;

    net::Stream socket_;
    asio::steady_timer deadline_;
    std::shared_ptr<const net::TlsClient> tls_;
    std::string tls_host_;      // the server's configured host: SNI and the name verified
    bool connect_only_ = false;  // `type: tcp` check: connecting is the whole check
    config::SendProxy send_proxy_ = config::SendProxy::off;  // a PROXY header first (health.send_proxy)
    std::uint64_t attempt_ = 0;  // a deadline handler acts only on the check it was armed for
    bool timed_out_ = false;
    bool cancelled_ = false;
    std::chrono::steady_clock::time_point started_{};
    std::chrono::milliseconds timeout_{0};  // of the exchange in progress, for the error message
    ProbeResult result_;
    ResponseCollector response_;
    std::string request_;
    std::array<char, 16 * 1024> buffer_{};
};

// Refused, reset or unreachable: nothing is listening ("truly dead", not merely slow, in the vendor's
// high-availability load-balancing guide, health-check settings).
bool means_dead(const error_code& ec);

}  // namespace gisgate::health
