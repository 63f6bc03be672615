// How many idle server connections a worker keeps: `keepalive_per_server` for good, the surplus of a burst
// only while it is in use.
#include <gtest/gtest.h>

#include <memory>

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

}  // namespace
}  // namespace gisgate::proxy
