// Unit tests of the pieces behind the slow-client and connection limits: ConnectionLimiter/ConnectionSlot and
// BodyPace (the integration side is slow_clients_test.cpp).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "proxy/body_pace.hpp"
#include "proxy/connection_limits.hpp"

namespace gisgate::proxy {
namespace {

using Verdict = ConnectionLimiter::Verdict;
using std::chrono::milliseconds;
using std::chrono::seconds;

const auto kA = asio::ip::make_address("192.0.2.1");
const auto kB = asio::ip::make_address("2001:db8::1");
const auto kAv6Mapped = asio::ip::make_address("::ffff:192.0.2.1");

TEST(ConnectionLimiter, TotalLimit) {
    auto limiter = std::make_shared<ConnectionLimiter>();
    std::vector<ConnectionSlot> slots(3);
    for (auto& slot : slots) EXPECT_EQ(limiter->admit(kA, 3, 0, slot), Verdict::admitted);
    ConnectionSlot extra;
    EXPECT_EQ(limiter->admit(kB, 3, 0, extra), Verdict::total_limit);
    EXPECT_FALSE(extra);
    EXPECT_EQ(limiter->total(), 3u);
    EXPECT_EQ(limiter->refused(), 1u);
    slots.pop_back();  // a connection ends
    EXPECT_EQ(limiter->total(), 2u);
    EXPECT_EQ(limiter->admit(kB, 3, 0, extra), Verdict::admitted);
    EXPECT_TRUE(extra);
}

TEST(ConnectionLimiter, PerAddressLimitCountsEachAddressAndV4MappedIsTheSameClient) {
    auto limiter = std::make_shared<ConnectionLimiter>();
    ConnectionSlot a1, a2, a3, b1;
    EXPECT_EQ(limiter->admit(kA, 0, 2, a1), Verdict::admitted);
    EXPECT_EQ(limiter->admit(kAv6Mapped, 0, 2, a2), Verdict::admitted);  // same client over an IPv6 socket
    EXPECT_EQ(limiter->admit(kA, 0, 2, a3), Verdict::address_limit);
    EXPECT_EQ(limiter->admit(kB, 0, 2, b1), Verdict::admitted);
    EXPECT_EQ(limiter->count_for(kA), 2u);
    EXPECT_EQ(limiter->count_for(kB), 1u);
    EXPECT_EQ(limiter->total(), 3u);
    a1.release();
    EXPECT_EQ(limiter->count_for(kA), 1u);
    EXPECT_EQ(limiter->admit(kA, 0, 2, a3), Verdict::admitted);
}

TEST(ConnectionLimiter, SlotMovesAndReleasesOnce) {
    auto limiter = std::make_shared<ConnectionLimiter>();
    {
        ConnectionSlot slot;
        ASSERT_EQ(limiter->admit(kA, 10, 10, slot), Verdict::admitted);
        ConnectionSlot moved(std::move(slot));
        EXPECT_FALSE(slot);  // NOLINT(bugprone-use-after-move): the moved-from state is what is tested
        EXPECT_TRUE(moved);
        ConnectionSlot assigned;
        assigned = std::move(moved);
        EXPECT_EQ(limiter->total(), 1u);
        EXPECT_EQ(limiter->count_for(kA), 1u);
    }
    EXPECT_EQ(limiter->total(), 0u);
    EXPECT_EQ(limiter->count_for(kA), 0u);
}

TEST(ConnectionLimiter, SlotKeepsTheLimiterAlive) {
    ConnectionSlot slot;
    {
        auto limiter = std::make_shared<ConnectionLimiter>();
        ASSERT_EQ(limiter->admit(kA, 0, 5, slot), Verdict::admitted);
    }  // the runtime that owned the limiter is gone; the connection still gives its count back safely
    slot.release();
    EXPECT_FALSE(slot);
}

TEST(ConnectionLimiter, ConcurrentAdmitsNeverExceedTheLimit) {
    auto limiter = std::make_shared<ConnectionLimiter>();
    constexpr int kThreads = 4, kEach = 2000;
    std::atomic<int> over{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kEach; ++i) {
                ConnectionSlot slot;
                if (limiter->admit(kA, 0, 3, slot) == Verdict::admitted && limiter->count_for(kA) > 3) ++over;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(over.load(), 0);
    EXPECT_EQ(limiter->total(), 0u);
    EXPECT_EQ(limiter->count_for(kA), 0u);
}

TEST(BodyPace, InactivityOnlyWithoutARate) {
    BodyPace pace;
    pace.start(seconds(5), 0);
    EXPECT_EQ(pace.next_wait(), seconds(5));
    pace.on_read(seconds(4), 1);
    EXPECT_EQ(pace.next_wait(), seconds(5));  // each wait gets the full limit again
}

TEST(BodyPace, RateEarnsTimeAndTricklingRunsOut) {
    BodyPace pace;
    pace.start(seconds(2), 100);  // 2 s grace, then 100 bytes per second of waiting
    EXPECT_EQ(pace.next_wait(), seconds(2));
    pace.on_read(milliseconds(1500), 1);  // 1.5 s for one byte
    EXPECT_EQ(pace.next_wait(), milliseconds(510));  // 2 s + 10 ms earned - 1.5 s waited
    pace.on_read(milliseconds(520), 1);
    EXPECT_EQ(pace.next_wait(), std::chrono::steady_clock::duration::zero());
    // A fast client never runs out, and never gets more than `body` for one wait.
    BodyPace fast;
    fast.start(seconds(2), 100);
    for (int i = 0; i < 100; ++i) fast.on_read(milliseconds(100), 64 * 1024);
    EXPECT_EQ(fast.next_wait(), seconds(2));
}

}  // namespace
}  // namespace gisgate::proxy
