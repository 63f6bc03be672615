// UpstreamExchange::read_head() over a connected loopback pair, with no client connection and no session: the
// exchange is what HTTP/1.1 and (next) HTTP/2 client sides share.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "proxy/upstream_exchange.hpp"

namespace gisgate::proxy {
namespace {

using namespace std::chrono_literals;
using Kind = UpstreamExchange::HeadResult::Kind;

// An exchange whose connection is one end of a loopback TCP pair; `server` is the other end.
struct ExchangeRig {
    asio::io_context context{1};
    net::BufferPool buffers;
    net::DeadlineList deadlines;
    UpstreamExchange exchange;
    tcp::socket server{context};
    net::Deadline deadline{deadlines, &ExchangeRig::cancel, this};

    static void cancel(void* self) {
        error_code ec;
        static_cast<ExchangeRig*>(self)->exchange.connection->socket.cancel(ec);
    }

    ExchangeRig() {
        tcp::acceptor acceptor(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        exchange.connection = std::make_unique<UpstreamConnection>(context);
        exchange.connection->socket.socket().connect(acceptor.local_endpoint());
        acceptor.accept(server);
    }

    void send(const std::string& bytes) { asio::write(server, asio::buffer(bytes)); }

    // Runs read_head() to its end; the coarse deadlines are swept every 10 ms as a worker would.
    UpstreamExchange::HeadResult read(net::Clock::duration timeout = 5s) {
        std::optional<UpstreamExchange::HeadResult> result;
        asio::co_spawn(context, [&]() -> awaitable<void> {
            result = co_await exchange.read_head(buffers, deadline, timeout, 1, http::Method::get, {}, "pool", "s");
        }, asio::detached);
        asio::steady_timer sweeper(context);
        std::function<void()> tick = [&] {
            sweeper.expires_after(10ms);
            sweeper.async_wait([&](error_code ec) {
                if (ec || result) return;
                deadlines.update_now();
                deadlines.sweep();
                tick();
            });
        };
        tick();
        context.restart();
        context.run_for(10s);
        EXPECT_TRUE(result.has_value());
        return result.value_or(UpstreamExchange::HeadResult{});
    }
};

TEST(UpstreamExchange, AFinalHeadIsParsedAndTheBodyStaysBuffered) {
    ExchangeRig rig;
    rig.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    const auto r = rig.read();
    ASSERT_EQ(r.kind, Kind::responded);
    EXPECT_EQ(rig.exchange.response.status, 200);
    EXPECT_EQ(rig.exchange.response.content_length, 5u);
    EXPECT_EQ(rig.exchange.buffered().substr(rig.exchange.response.head_size), "hello");
}

TEST(UpstreamExchange, InterimHeadsAreSkippedBoundedly) {
    ExchangeRig ok;
    ok.send("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
    ASSERT_EQ(ok.read().kind, Kind::responded);
    EXPECT_EQ(ok.exchange.response.status, 204);

    ExchangeRig flood;
    std::string heads;
    for (std::size_t i = 0; i <= UpstreamExchange::kMaxInterim; ++i) heads += "HTTP/1.1 100 Continue\r\n\r\n";
    flood.send(heads);
    const auto r = flood.read();
    EXPECT_EQ(r.kind, Kind::failed);
    EXPECT_EQ(r.status, 502);
    EXPECT_STREQ(r.message, "too many interim (1xx) responses from server");
}

TEST(UpstreamExchange, SwitchingProtocolsAndMalformedHeadsFail) {
    ExchangeRig upgrade;
    upgrade.send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    const auto u = upgrade.read();
    EXPECT_EQ(u.kind, Kind::failed);
    EXPECT_EQ(u.status, 502);
    ExchangeRig bad;
    bad.send("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
    const auto b = bad.read();
    EXPECT_EQ(b.kind, Kind::failed);
    EXPECT_STREQ(b.message, "malformed response from server");
}

// A close before any byte may be retried (decide_retry() decides); after part of a head it may not.
TEST(UpstreamExchange, ClosesBeforeAndDuringTheHead) {
    ExchangeRig silent;
    silent.server.close();
    const auto s = silent.read();
    EXPECT_EQ(s.kind, Kind::server_failed);
    EXPECT_EQ(s.failure, Failure::closed_without_answer);

    ExchangeRig partial;
    partial.send("HTTP/1.1 200 OK\r\nContent-");
    partial.server.close();
    const auto p = partial.read();
    EXPECT_EQ(p.kind, Kind::failed);
    EXPECT_EQ(p.status, 502);
}

TEST(UpstreamExchange, NoAnswerWithinTheTimeoutIsATimedOutFailure) {
    ExchangeRig rig;
    const auto r = rig.read(50ms);
    EXPECT_EQ(r.kind, Kind::server_failed);
    EXPECT_EQ(r.failure, Failure::timed_out_without_answer);
    ExchangeRig partial;
    partial.send("HTTP/1.1 200");
    const auto p = partial.read(50ms);
    EXPECT_EQ(p.kind, Kind::failed);
    EXPECT_EQ(p.status, 504);
}

}  // namespace
}  // namespace gisgate::proxy
