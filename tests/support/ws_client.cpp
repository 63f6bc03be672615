#include "support/ws_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <nlohmann/json.hpp>

namespace gisgate::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

bool WsSubscription::in_order() const {
    for (std::size_t i = 0; i < seqs.size(); ++i)
        if (seqs[i] != static_cast<long>(i + 1)) return false;
    return true;
}

namespace {

// Subscriptions still opening (TCP, TLS, WebSocket handshake), at most `free` more at once. A fleet of clients
// ramps up; a thousand TLS handshakes in the same instant on a 2-core machine running a sanitized gisgate and
// two sims would outlast gisgate's header timeout (10 s), which is gisgate doing its job, not what the test
// is about. One thread: no locking.
class OpeningGate {
public:
    OpeningGate(asio::io_context& context, int free) : free_(free), wake_(context, asio::steady_timer::time_point::max()) {}
    asio::awaitable<void> enter() {
        while (free_ == 0) {
            beast::error_code ec;
            co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));  // cancel_one() wakes one
        }
        --free_;
    }
    void leave() {
        ++free_;
        wake_.cancel_one();
    }

private:
    int free_;
    asio::steady_timer wake_;
};

// Leaves the gate once, when the handshake ended either way.
struct GatePass {
    OpeningGate* gate;
    void leave() {
        if (gate) std::exchange(gate, nullptr)->leave();
    }
    ~GatePass() { leave(); }
};

template <class Ws>
asio::awaitable<void> read_messages(Ws& ws, const std::string& target, int messages, WsSubscription& out,
                                    GatePass& pass) {
    websocket::response_type answer;
    beast::error_code ec;
    co_await ws.async_handshake(answer, "127.0.0.1", target, asio::redirect_error(asio::use_awaitable, ec));
    pass.leave();
    out.status = static_cast<int>(answer.result_int());
    out.site = std::string(answer["X-Gisgate-Sim-Site"]);
    if (ec) {
        out.error = "handshake: " + ec.message();
        co_return;
    }
    beast::flat_buffer buffer;
    while (messages == 0 || static_cast<int>(out.seqs.size()) < messages) {
        buffer.clear();
        co_await ws.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            out.error = ec.message();
            out.close_code = ws.reason().code;  // set when a close frame arrived, whatever ended the read
            co_return;
        }
        const auto doc = nlohmann::json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
        const auto* seq = doc.is_object() && doc.contains("attributes") ? &doc["attributes"]["seq"] : nullptr;
        if (!seq || !seq->is_number_integer()) {
            out.intact = false;
            continue;
        }
        out.seqs.push_back(seq->get<long>());
    }
    co_await ws.async_close(websocket::close_code::normal, asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> connect_and_read(int port, std::string target, int messages, asio::ssl::context* tls,
                                       WsSubscription& out, OpeningGate& gate) {
    const auto executor = co_await asio::this_coro::executor;
    co_await gate.enter();
    GatePass pass{&gate};
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    beast::error_code ec;
    if (tls) {
        websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(executor, *tls);
        co_await beast::get_lowest_layer(ws).async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec)
            co_await ws.next_layer().async_handshake(asio::ssl::stream_base::client,
                                                     asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            out.error = "connect: " + ec.message();
            co_return;
        }
        co_await read_messages(ws, target, messages, out, pass);
    } else {
        websocket::stream<beast::tcp_stream> ws(executor);
        co_await beast::get_lowest_layer(ws).async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            out.error = "connect: " + ec.message();
            co_return;
        }
        co_await read_messages(ws, target, messages, out, pass);
    }
}

asio::awaitable<void> subscribe_one(int port, std::string target, int messages, asio::ssl::context* tls,
                                    WsSubscription& out, OpeningGate& gate,
                                    std::chrono::steady_clock::time_point started) {
    co_await connect_and_read(port, std::move(target), messages, tls, out, gate);
    out.ended_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
}

}  // namespace

std::vector<WsSubscription> subscribe_all(int port, const std::string& target, int count, const WsOptions& options) {
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.set_verify_mode(asio::ssl::verify_none);
    std::vector<WsSubscription> out(static_cast<std::size_t>(count));
    // Last, so it is destroyed first: coroutines still suspended at the timeout refer to `tls` and `out`.
    asio::io_context context(1);
    OpeningGate gate(context, options.max_opening);
    const auto started = std::chrono::steady_clock::now();
    for (auto& subscription : out)
        asio::co_spawn(context, subscribe_one(port, target, options.messages, options.tls ? &tls : nullptr,
                                              subscription, gate, started),
                       asio::detached);
    context.run_for(options.timeout);
    for (auto& subscription : out)
        if (subscription.error.empty() && options.messages > 0 &&
            static_cast<int>(subscription.seqs.size()) < options.messages)
            subscription.error = "timed out";
    return out;
}

}  // namespace gisgate::test
