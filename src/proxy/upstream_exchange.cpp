#include "proxy/upstream_exchange.hpp"

#include <spdlog/spdlog.h>

#include <cstring>

#include "http/upgrade.hpp"

namespace gisgate::proxy {

awaitable<UpstreamExchange::HeadResult> UpstreamExchange::read_head(net::BufferPool& buffers, net::Deadline& deadline,
                                                                    net::Clock::duration timeout, std::uint8_t kind,
                                                                    http::Method method, HeadLimits limits,
                                                                    std::string_view pool, std::string_view server) {
    using Kind = HeadResult::Kind;
    constexpr std::size_t kBlock = net::BufferPool::kBlockSize;
    if (!buf) buf = buffers.acquire();
    begin = end = 0;
    error_code ec;
    // Interim (1xx) heads are skipped, but boundedly: a server streaming "100 Continue" forever must get a 502,
    // not hold the session (and a worker, were the buffer ever left full) forever.
    std::size_t interim = 0, interim_bytes = 0;
    bool received = false;  // any byte from the server for this request (then it may have acted on it)
    for (;;) {
        if (begin < end) {
            const auto r = http::parse_response_head(buffered(), method, static_cast<std::uint32_t>(kBlock),
                                                     limits.max_headers, response);
            if (r.status == http::ParseStatus::error) {
                spdlog::warn("pool {}: server {} sent a malformed response: {}", pool, server, r.error ? r.error : "?");
                co_return HeadResult{Kind::failed, {}, 502, "malformed response from server"};
            }
            if (r.status == http::ParseStatus::complete) {
                if (response.status < 100 || response.status >= 200) co_return HeadResult{Kind::responded};
                if (response.status == 101) {
                    // Only the upgrade the client asked for and gisgate relays (WebSocket) is a final answer.
                    if (websocket && http::accepts_websocket(response)) co_return HeadResult{Kind::responded};
                    co_return HeadResult{Kind::failed, {}, 502,
                                         websocket ? "server answered the WebSocket handshake with a malformed 101"
                                                   : "server switched protocols without being asked to"};
                }
                begin += response.head_size;  // interim response: the client got 100 Continue from us already
                interim_bytes += response.head_size;
                if (++interim > kMaxInterim || interim_bytes > limits.max_interim_bytes) {
                    spdlog::warn("pool {}: server {} sent more than {} interim (1xx) responses or {} bytes of them",
                                 pool, server, kMaxInterim, limits.max_interim_bytes);
                    co_return HeadResult{Kind::failed, {}, 502, "too many interim (1xx) responses from server"};
                }
                continue;
            }
        }
        // Room to read into, always: a read into a full buffer returns 0 bytes at once and would spin.
        if (begin == end) {
            begin = end = 0;
        } else if (end == kBlock) {
            if (begin == 0) co_return HeadResult{Kind::failed, {}, 502, "response head from server too large"};
            std::memmove(buf.get(), buf.get() + begin, end - begin);
            end -= begin;
            begin = 0;
        }
        deadline.arm(timeout, kind);
        const std::size_t n =
            co_await connection->socket.async_read_some(asio::buffer(buf.get() + end, kBlock - end), ec_token(ec));
        const bool timed_out = deadline.expired();
        deadline.disarm();
        if (ec) {
            // Once any byte of a response arrived the server may have acted: never again (and no retry).
            if (timed_out && received) co_return HeadResult{Kind::failed, {}, 504, "server did not answer in time"};
            if (received)
                co_return HeadResult{Kind::failed, {}, 502,
                                     "server closed the connection in the middle of its response head"};
            co_return HeadResult{Kind::server_failed,
                                 timed_out ? Failure::timed_out_without_answer : Failure::closed_without_answer};
        }
        end += n;
        received = received || n > 0;
    }
}

}  // namespace gisgate::proxy
