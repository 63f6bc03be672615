// Delivers alert events to `alerts.webhook.url`: an HTTP POST of one JSON object per event, on the control
// thread's io_context (never on a worker). Events go out one at a time, in order; a delivery that fails (no
// connection, timeout, or a status other than 2xx) is retried `retries` times after 1 s, 2 s, 4 s, ... (at most
// 30 s) before it is dropped with an error in the log.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "config/observability.hpp"
#include "net/asio.hpp"

namespace gisgate::metrics {

class WebhookSender {
public:
    WebhookSender(asio::io_context& control, config::WebhookConfig config);
    ~WebhookSender();

    // Control thread. Queues one JSON document for delivery.
    void send(std::string json);
    // Control thread: takes effect for the next attempt.
    void set_config(config::WebhookConfig config);
    // Control thread: stops delivering (what is queued is dropped) and cancels an attempt in flight.
    void stop();

    // Counters (control thread), for the log and /metrics.
    std::uint64_t delivered() const;
    std::uint64_t failed_attempts() const;
    std::uint64_t dropped() const;

    // The initial retry delay (doubles per retry); tests shorten it.
    void set_first_backoff(std::chrono::milliseconds delay);

private:
    struct State;
    static awaitable<void> deliver_loop(std::shared_ptr<State> state);
    // By reference: GCC 12 mishandles by-value arguments with destructors inside a co_await expression.
    static awaitable<bool> attempt(State& state, const std::string& body);

    std::shared_ptr<State> state_;
};

}  // namespace gisgate::metrics
