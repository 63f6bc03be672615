// `max_active_per_server: auto` in the pool: the throttle enforces each server's published limit, class shares
// follow it, a full server is reported as saturated, and tune_limits() turns recorded latencies into limits.
#include <gtest/gtest.h>

#include "balance/limit_tuner.hpp"
#include "balance/pool.hpp"

namespace gisgate::balance {
namespace {

using namespace std::chrono_literals;
using config::OperationClass;

std::shared_ptr<PoolRuntime> auto_pool(unsigned servers, std::uint32_t min = 1, std::uint32_t max = 64) {
    config::PoolConfig pc;
    pc.name = "gis";
    pc.auto_limit = {true, min, max};
    pc.queue.max = 100;
    std::vector<std::shared_ptr<ServerRuntime>> list;
    for (unsigned i = 0; i < servers; ++i) {
        auto s = std::make_shared<ServerRuntime>();
        s->id = 300 + i;
        s->name = "s" + std::to_string(i);
        list.push_back(s);
    }
    return std::make_shared<PoolRuntime>(pc, list, 1);
}

TEST(PoolAutoLimit, ServersStartAtTheMinimum) {
    auto pool = auto_pool(1, 2);
    ServerRuntime& s = *pool->servers()[0];
    EXPECT_EQ(s.adaptive_counters.limit.load(), 2u);
    const TriedSet none;
    EXPECT_EQ(pool->try_acquire(0, none).status, AcquireStatus::granted);
    EXPECT_FALSE(s.adaptive_counters.saturated.load());
    EXPECT_EQ(pool->try_acquire(0, none).status, AcquireStatus::granted);
    EXPECT_TRUE(s.adaptive_counters.saturated.load()) << "the slot that filled the limit says so";
    EXPECT_EQ(pool->try_acquire(0, none).status, AcquireStatus::queue_full);
}

TEST(PoolAutoLimit, EnforcesThePublishedLimitAndClassSharesFollowIt) {
    auto pool = auto_pool(1);
    ServerRuntime& s = *pool->servers()[0];
    s.adaptive_counters.limit.store(6);
    // Default class_limits: heavy 50 % → ceil(6 × 0.5) = 3 of the 6 slots.
    EXPECT_EQ(pool->class_limit(OperationClass::heavy, s), 3u);
    EXPECT_EQ(pool->class_limit(OperationClass::interactive, s), 0u);
    EXPECT_EQ(pool->class_limit(OperationClass::heavy), 0u) << "no fixed limit to take a share of";
    const TriedSet none;
    // Another class comes to the pool first: heavy's share binds (operation classes).
    EXPECT_EQ(pool->try_acquire(0, none, OperationClass::other).status, AcquireStatus::granted);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(pool->try_acquire(0, none, OperationClass::heavy).status, AcquireStatus::granted);
    EXPECT_EQ(pool->try_acquire(0, none, OperationClass::heavy).status, AcquireStatus::queue_full);
    for (int i = 0; i < 2; ++i) EXPECT_EQ(pool->try_acquire(0, none, OperationClass::other).status, AcquireStatus::granted);
    EXPECT_EQ(pool->try_acquire(0, none, OperationClass::other).status, AcquireStatus::queue_full);
    // The tuner lowers the limit to 3: no new slot until three have come back; the heavy share is now 2.
    s.adaptive_counters.limit.store(3);
    EXPECT_EQ(pool->class_limit(OperationClass::heavy, s), 2u);
    for (int i = 0; i < 3; ++i) pool->release(&s, OperationClass::other);
    EXPECT_EQ(pool->try_acquire(0, none, OperationClass::other).status, AcquireStatus::queue_full);
    pool->release(&s, OperationClass::heavy);
    pool->release(&s, OperationClass::heavy);
    EXPECT_EQ(pool->try_acquire(0, none, OperationClass::other).status, AcquireStatus::granted);
}

TEST(PoolAutoLimit, AReloadKeepsWhatWasLearntWithinTheNewBounds) {
    auto pool = auto_pool(1);
    auto server = pool->servers()[0];
    server->adaptive_counters.limit.store(12);
    config::PoolConfig pc = pool->config();
    pc.auto_limit.max = 8;
    PoolRuntime again(pc, {server}, 1);
    EXPECT_EQ(server->adaptive_counters.limit.load(), 8u);
}

// The tuner between the workers' counters and the algorithm: a server answering in 50 ms up to 2 in flight and
// proportionally slower beyond (2 cores) ends at a limit of 2 or 3. Simulated time, 100 ms rounds.
TEST(PoolAutoLimit, TuneLimitsPublishesWhatTheAlgorithmFinds) {
    auto pool = auto_pool(1);
    ServerRuntime& s = *pool->servers()[0];
    const std::vector<std::shared_ptr<PoolRuntime>> pools{pool};
    auto now = LimitClock::time_point{} + 1000s;
    tune_limits(pools, now);
    ASSERT_TRUE(s.adaptive.has_value());
    for (int round = 0; round < 200; ++round) {
        const std::uint32_t limit = s.adaptive_counters.limit.load();
        const double latency_ms = 50.0 * std::max(1.0, limit / 2.0);
        const int answers = static_cast<int>(limit * 100 / latency_ms);
        for (int i = 0; i < answers; ++i)
            s.adaptive_counters.record(std::chrono::microseconds(static_cast<long>(latency_ms * 1000)));
        s.adaptive_counters.mark_saturated();  // a closed loop of many clients keeps it full
        s.active.store(limit);
        now += 100ms;
        tune_limits(pools, now);
    }
    EXPECT_GE(s.adaptive_counters.limit.load(), 2u);
    EXPECT_LE(s.adaptive_counters.limit.load(), 3u);
    EXPECT_EQ(s.adaptive->baseline(), 50ms);
}

TEST(PoolAutoLimit, FixedPoolsAreLeftAlone) {
    config::PoolConfig pc;
    pc.name = "fixed";
    pc.max_active_per_server = 4;
    auto s = std::make_shared<ServerRuntime>();
    auto pool = std::make_shared<PoolRuntime>(pc, std::vector<std::shared_ptr<ServerRuntime>>{s}, 1);
    tune_limits({pool}, LimitClock::now());
    EXPECT_FALSE(s->adaptive.has_value());
    EXPECT_EQ(pool->server_limit(*s), 4u);
    EXPECT_EQ(pool->class_limit(OperationClass::heavy, *s), 2u);
}

}  // namespace
}  // namespace gisgate::balance
