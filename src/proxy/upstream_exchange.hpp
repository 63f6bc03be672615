// One request's exchange with a server, apart from the client connection: the server connection (pooled,
// private or new), the buffer the response is read into, the parsed response head and where its body ends.
// The client side (an HTTP/1.1 connection today, HTTP/2 streams next) writes the request through `connection`
// and relays what read_head() and `body` find; the exchange knows nothing of the client.
#pragma once

#include <memory>
#include <string_view>

#include "http/response_head.hpp"
#include "net/buffer_pool.hpp"
#include "net/deadline.hpp"
#include "proxy/body_cursor.hpp"
#include "proxy/retry_policy.hpp"
#include "proxy/upstream.hpp"

namespace gisgate::proxy {

struct UpstreamExchange {
    std::unique_ptr<UpstreamConnection> connection;
    net::BufferPool::Block buf;  // response bytes: [begin, end) not yet relayed
    std::size_t begin = 0;
    std::size_t end = 0;
    http::ResponseHead response;
    BodyCursor body;
    bool websocket = false;  // the request is a WebSocket handshake: a 101 accepting it is its final answer

    // How waiting for the response head ended.
    struct HeadResult {
        enum class Kind : std::uint8_t {
            responded,      // a final response head is in `response` (its views point into `buf`)
            server_failed,  // nothing of a response arrived: `failure` says how (decide_retry() may send it again)
            failed,         // a broken or partial answer: `status` and `message` for the client, never retried
        };
        Kind kind = Kind::failed;
        Failure failure = Failure::closed_without_answer;
        int status = 502;
        const char* message = "";
    };

    struct HeadLimits {
        std::uint32_t max_headers = 100;
        std::uint32_t max_interim_bytes = 64 * 1024;  // all 1xx heads of one response together
    };

    // Reads until a final response head is parsed. Interim (1xx) heads are skipped, at most kMaxInterim of them
    // and `limits.max_interim_bytes` in all; a 101 is final when it accepts the WebSocket handshake `websocket`
    // says was sent, and refused otherwise. `deadline` (armed with `timeout` and `kind` around
    // each read) must cancel `connection`'s socket when it fires. `pool`/`server` name the server in logs.
    awaitable<HeadResult> read_head(net::BufferPool& buffers, net::Deadline& deadline, net::Clock::duration timeout,
                                    std::uint8_t kind, http::Method method, HeadLimits limits, std::string_view pool,
                                    std::string_view server);

    std::string_view buffered() const { return {buf.get() + begin, end - begin}; }
    // Drops the buffer (its views die with it); the connection stays with the caller.
    void clear_buffer() {
        buf.reset();
        begin = end = 0;
    }

    static constexpr std::size_t kMaxInterim = 100;
};

}  // namespace gisgate::proxy
