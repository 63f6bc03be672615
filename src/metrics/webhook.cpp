#include "metrics/webhook.hpp"

#include <spdlog/spdlog.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <algorithm>

namespace gisgate::metrics {

namespace beast = boost::beast;
namespace http = beast::http;

struct WebhookSender::State {
    explicit State(asio::io_context& c) : control(c), timer(c) {}
    asio::io_context& control;
    config::WebhookConfig config;
    std::deque<std::string> queue;
    bool running = false;  // deliver_loop active
    bool stopped = false;
    asio::steady_timer timer;             // backoff between attempts
    beast::tcp_stream* stream = nullptr;  // the attempt in flight, for stop()
    std::chrono::milliseconds first_backoff{1000};
    std::uint64_t delivered = 0;
    std::uint64_t failed_attempts = 0;
    std::uint64_t dropped = 0;
};

namespace {
}  // namespace

WebhookSender::WebhookSender(asio::io_context& control, config::WebhookConfig config)
    : state_(std::make_shared<State>(control)) {
    state_->config = std::move(config);
}

WebhookSender::~WebhookSender() { stop(); }

std::uint64_t WebhookSender::delivered() const { return state_->delivered; }
std::uint64_t WebhookSender::failed_attempts() const { return state_->failed_attempts; }
std::uint64_t WebhookSender::dropped() const { return state_->dropped; }
void WebhookSender::set_first_backoff(std::chrono::milliseconds delay) { state_->first_backoff = delay; }

void WebhookSender::set_config(config::WebhookConfig config) { state_->config = std::move(config); }

void WebhookSender::send(std::string json) {
    if (state_->stopped) return;
    state_->queue.push_back(std::move(json));
    if (!state_->running) {
        state_->running = true;
        asio::co_spawn(state_->control, deliver_loop(state_), asio::detached);
    }
}

void WebhookSender::stop() {
    if (state_->stopped) return;
    state_->stopped = true;
    state_->dropped += state_->queue.size();
    state_->queue.clear();
    state_->timer.cancel();
    if (state_->stream) state_->stream->cancel();
}

// One POST within the timeout; true when the receiver answered 2xx.
awaitable<bool> WebhookSender::attempt(State& s, const std::string& body) {
    State* state = &s;
    const config::WebhookConfig cfg = state->config;
    const auto executor = co_await asio::this_coro::executor;
    tcp::resolver resolver(executor);
    beast::tcp_stream stream(executor);
    state->stream = &stream;
    struct Clear {
        State* s;
        ~Clear() { s->stream = nullptr; }
    } clear{state};

    error_code ec;
    const std::string port = std::to_string(cfg.port);
    const tcp::resolver::results_type endpoints = co_await resolver.async_resolve(cfg.host, port, ec_token(ec));
    if (ec || state->stopped) {
        if (ec) spdlog::warn("alert webhook {}: cannot resolve {}: {}", cfg.url, cfg.host, ec.message());
        co_return false;
    }
    stream.expires_after(cfg.timeout);
    co_await stream.async_connect(endpoints, ec_token(ec));
    if (ec || state->stopped) {
        if (ec) spdlog::warn("alert webhook {}: connect: {}", cfg.url, ec.message());
        co_return false;
    }
    http::request<http::string_body> request{http::verb::post, cfg.target, 11};
    request.set(http::field::host, cfg.port == 80 ? cfg.host : cfg.host + ":" + port);
    request.set(http::field::user_agent, "gisgate");
    request.set(http::field::content_type, "application/json");
    request.set(http::field::connection, "close");
    request.body() = body;
    request.prepare_payload();
    co_await http::async_write(stream, request, ec_token(ec));
    if (ec || state->stopped) {
        if (ec) spdlog::warn("alert webhook {}: send: {}", cfg.url, ec.message());
        co_return false;
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024);
    co_await http::async_read(stream, buffer, parser, ec_token(ec));
    if (ec || state->stopped) {
        if (ec) spdlog::warn("alert webhook {}: no answer: {}", cfg.url, ec.message());
        co_return false;
    }
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    const unsigned status = parser.get().result_int();
    if (status < 200 || status > 299) {
        spdlog::warn("alert webhook {}: answered {}", cfg.url, status);
        co_return false;
    }
    co_return true;
}

awaitable<void> WebhookSender::deliver_loop(std::shared_ptr<State> state) {
    while (!state->stopped && !state->queue.empty()) {
        const std::string body = state->queue.front();
        bool ok = false;
        std::uint32_t tries = 0;
        for (;;) {
            ok = co_await attempt(*state, body);
            if (ok || state->stopped) break;
            ++state->failed_attempts;
            if (tries >= state->config.retries) break;
            const auto delay = std::min<std::chrono::milliseconds>(state->first_backoff * (1u << std::min(tries, 10u)),
                                                                  std::chrono::seconds(30));
            ++tries;
            state->timer.expires_after(delay);
            error_code ec;
            co_await state->timer.async_wait(ec_token(ec));
            if (state->stopped) break;
        }
        if (state->stopped) break;
        state->queue.pop_front();
        if (ok) {
            ++state->delivered;
        } else {
            ++state->dropped;
            spdlog::error("alert webhook {}: giving up on an event after {} attempt(s)", state->config.url, tries + 1);
        }
    }
    state->running = false;
}

}  // namespace gisgate::metrics
