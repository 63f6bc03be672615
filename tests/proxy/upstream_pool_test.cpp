// How many idle server connections a worker keeps (`keepalive_per_server` for good, the surplus of a burst
// only while it is in use), and which it hands out again: one the server kept quiet, never one it closed or
// sent a late answer on.
#include <gtest/gtest.h>

#include <poll.h>

#include <memory>

#include "balance/server.hpp"
#include "proxy/upstream.hpp"

namespace gisgate::proxy {
namespace {

std::unique_ptr<UpstreamConnection> connection_to(asio::io_context& context, std::uint32_t server_id) {
    auto c = std::make_unique<UpstreamConnection>(context);
    c->server_id = server_id;
    return c;
}

TEST(UpstreamPool, KeepsABurstsConnectionsWhileTheyAreInUse) {
    asio::io_context context;
    UpstreamPool pool(context);
    const net::Clock::time_point t0{};
    // 80 connections come back together (a wave of 80 answers): all are kept although max_idle is 4.
    for (int i = 0; i < 80; ++i) pool.put_idle(connection_to(context, 1), 4, t0);
    EXPECT_EQ(pool.idle_count(), 80u);
    // Within the linger they are still the working set: another one returning trims nothing.
    pool.put_idle(connection_to(context, 1), 4, t0 + UpstreamPool::kSurplusLinger);
    EXPECT_EQ(pool.idle_count(), 81u);
}

TEST(UpstreamPool, TrimsTheSurplusUnusedForLongerThanTheLinger) {
    asio::io_context context;
    UpstreamPool pool(context);
    const net::Clock::time_point t0{};
    for (int i = 0; i < 80; ++i) pool.put_idle(connection_to(context, 1), 4, t0);
    for (int i = 0; i < 3; ++i) pool.put_idle(connection_to(context, 2), 4, t0);  // another server: untouched
    // Later, one returns: the surplus that sat unused is closed, down to max_idle, and the returning one kept.
    pool.put_idle(connection_to(context, 1), 4, t0 + UpstreamPool::kSurplusLinger + std::chrono::milliseconds(1));
    EXPECT_EQ(pool.idle_count(), 5u + 3u);
}

TEST(UpstreamPool, NeverKeepsMoreThanTheHardCap) {
    asio::io_context context;
    UpstreamPool pool(context);
    const net::Clock::time_point t0{};
    for (std::size_t i = 0; i < UpstreamPool::kMaxIdlePerServer + 10; ++i) pool.put_idle(connection_to(context, 1), 4, t0);
    EXPECT_EQ(pool.idle_count(), UpstreamPool::kMaxIdlePerServer);
    // A larger keepalive_per_server is its own cap.
    UpstreamPool large(context);
    for (std::size_t i = 0; i < 2000; ++i) large.put_idle(connection_to(context, 1), 1500, t0);
    EXPECT_EQ(large.idle_count(), 1500u);
}

TEST(UpstreamPool, ZeroTurnsKeepAliveOff) {
    asio::io_context context;
    UpstreamPool pool(context);
    pool.put_idle(connection_to(context, 1), 0, net::Clock::time_point{});
    EXPECT_EQ(pool.idle_count(), 0u);
}


// A connected pair: the pooled connection's socket and the "server" end.
struct Connected {
    std::unique_ptr<UpstreamConnection> connection;
    tcp::socket server;
};

Connected connected(asio::io_context& context, std::uint32_t server_id) {
    tcp::acceptor acceptor(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    auto c = connection_to(context, server_id);
    c->socket.socket().connect(acceptor.local_endpoint());
    return {std::move(c), acceptor.accept()};
}

std::unique_ptr<balance::ServerRuntime> server_named(std::uint32_t id) {
    auto s = std::make_unique<balance::ServerRuntime>();
    s->id = id;
    s->name = "s" + std::to_string(id);
    return s;
}

TEST(UpstreamPool, AQuietConnectionIsTakenAgainAndItsWatchNoLongerReads) {
    asio::io_context context;
    UpstreamPool pool(context);
    auto [c, server] = connected(context, 1);
    auto* raw = c.get();
    pool.put_idle(std::move(c), 4, net::Clock::time_point{});
    const auto s1 = server_named(1);
    auto taken = pool.take_idle(*s1, std::chrono::seconds(10), net::Clock::time_point{});
    ASSERT_EQ(taken.get(), raw);
    // The next answer reaches whoever reads the connection now, whole.
    asio::write(server, asio::buffer(std::string("HTTP/1.1 200 OK\r\n")));
    char got[17] = {};
    asio::read(taken->socket.socket(), asio::buffer(got, sizeof got));
    EXPECT_EQ(std::string(got, sizeof got), "HTTP/1.1 200 OK\r\n");
    // Pooled again, taken again.
    pool.put_idle(std::move(taken), 4, net::Clock::time_point{});
    EXPECT_NE(pool.take_idle(*s1, std::chrono::seconds(10), net::Clock::time_point{}), nullptr);
}

TEST(UpstreamPool, ALateAnswerOrACloseWhileIdleMeansTheConnectionIsNotReused) {
    asio::io_context context;
    UpstreamPool pool(context);
    auto late = connected(context, 1);
    auto closed = connected(context, 1);
    const UpstreamConnection* late_raw = late.connection.get();
    const UpstreamConnection* closed_raw = closed.connection.get();
    pool.put_idle(std::move(late.connection), 4, net::Clock::time_point{});
    pool.put_idle(std::move(closed.connection), 4, net::Clock::time_point{});
    asio::write(late.server, asio::buffer(std::string("HTTP/1.1 200 OK\r\n\r\n")));
    closed.server.close();
    EXPECT_EQ(pool.idle_count(), 2u);
    // Both have arrived at the pooled sockets (a condition: poll() for readability, bounded).
    for (const UpstreamConnection* c : {late_raw, closed_raw}) {
        pollfd p{const_cast<UpstreamConnection*>(c)->socket.socket().native_handle(), POLLIN, 0};
        ASSERT_EQ(::poll(&p, 1, 10000), 1);
    }
    EXPECT_EQ(pool.take_idle(*server_named(1), std::chrono::seconds(10), net::Clock::time_point{}), nullptr);
    EXPECT_EQ(pool.idle_count(), 0u);
}

}  // namespace
}  // namespace gisgate::proxy
