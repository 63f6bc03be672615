// Slow start: the linear ramp, the ramped weight and slot limit, the state that ends itself, and what smooth
// round robin, least connections and the throttle do with a ramping server. The ramps here are set relative to the
// real clock over long windows (1000 s): a pick a few milliseconds later sees the same thousandth, so the shares
// are exact.
#include <gtest/gtest.h>

#include "balance/current_weight.hpp"
#include "balance/least_conn.hpp"
#include "balance/pool.hpp"
#include "balance/round_robin.hpp"

namespace gisgate::balance {
namespace {

using namespace std::chrono_literals;

std::vector<std::shared_ptr<ServerRuntime>> ramp_servers(std::size_t n) {
    std::vector<std::shared_ptr<ServerRuntime>> out;
    for (std::size_t i = 0; i < n; ++i) {
        auto s = std::make_shared<ServerRuntime>();
        s->id = static_cast<std::uint32_t>(700 + i);
        s->name = std::string(1, static_cast<char>('a' + i));
        out.push_back(s);
    }
    return out;
}

// `server` came back `elapsed` ago into a 1000 s ramp.
void ramping_since(ServerRuntime& server, std::chrono::seconds elapsed) {
    server.slow_start.begin(SlowStartClock::now() - elapsed, 1000s);
}

TEST(SlowStart, RampIsLinearAndNeverZero) {
    EXPECT_EQ(ramp_permille(0s, 60s), 1u);
    EXPECT_EQ(ramp_permille(15s, 60s), 250u);
    EXPECT_EQ(ramp_permille(30s, 60s), 500u);
    EXPECT_EQ(ramp_permille(60s, 60s), 1000u);
    EXPECT_EQ(ramp_permille(90s, 60s), 1000u);
    EXPECT_EQ(ramp_permille(5s, 0s), 1000u) << "off";
    EXPECT_EQ(ramped_weight(1, 250), 250u);
    EXPECT_EQ(ramped_weight(3, 1000), 3000u);
    EXPECT_EQ(ramped_weight(1, 0), 1u) << "a ramping server keeps a sliver";
    EXPECT_EQ(ramped_limit(10, 250), 3u) << "rounded up";
    EXPECT_EQ(ramped_limit(10, 1), 1u) << "at least one slot";
    EXPECT_EQ(ramped_limit(10, 1000), 10u);
    EXPECT_EQ(ramped_limit(0, 250), 0u) << "unlimited stays unlimited";
}

TEST(SlowStart, StateRampsWithAnInjectedClockAndEndsItself) {
    SlowStartState s;
    const SlowStartClock::time_point t0{std::chrono::hours(5)};
    s.begin(t0, 0s);
    EXPECT_FALSE(s.ramping()) << "slow_start 0 = off";
    s.begin(t0, 10s);
    EXPECT_TRUE(s.ramping());
    EXPECT_EQ(s.permille(t0 + 2500ms), 250u);
    EXPECT_EQ(s.permille(t0 + 7500ms), 750u);
    EXPECT_TRUE(s.ramping());
    EXPECT_EQ(s.permille(t0 + 10s), 1000u);
    EXPECT_FALSE(s.ramping()) << "over: later picks read no clock";
    EXPECT_EQ(s.permille(t0 + 11s), 1000u);
}

TEST(SlowStart, CurrentWeightsScaleAndRamp) {
    auto servers = ramp_servers(2);
    servers[0]->weight = 2;
    servers[1]->weight = 2;
    const auto now = SlowStartClock::now();
    servers[1]->slow_start.begin(now - 400s, 1000s);
    CurrentWeights weights(now);
    EXPECT_EQ(weights.weight(*servers[0]), 2000u);
    EXPECT_EQ(weights.weight(*servers[1]), 800u);
    EXPECT_EQ(weights.limit(*servers[0], 10), 10u);
    EXPECT_EQ(weights.limit(*servers[1], 10), 4u);
}

// The rejoining server's share grows slice after slice instead of jumping to half.
TEST(SlowStart, RoundRobinShareGrowsOverTheRamp) {
    auto servers = ramp_servers(2);
    std::vector<ServerRuntime*> candidates{servers[0].get(), servers[1].get()};
    RoundRobin rr;
    std::vector<int> shares;
    for (auto elapsed : {100s, 300s, 600s, 900s, 1200s}) {
        ramping_since(*servers[1], elapsed);
        int b = 0;
        for (int i = 0; i < 1000; ++i) b += rr.pick(candidates) == 1;
        shares.push_back(b);
    }
    // weight b/(a+b) per slice: 100/1100, 300/1300, 600/1600, 900/1900, then the full 1/2.
    EXPECT_NEAR(shares[0], 91, 2);
    EXPECT_NEAR(shares[1], 231, 2);
    EXPECT_NEAR(shares[2], 375, 2);
    EXPECT_NEAR(shares[3], 474, 2);
    EXPECT_NEAR(shares[4], 500, 1);
    EXPECT_FALSE(servers[1]->slow_start.ramping());
}

TEST(SlowStart, LeastConnComparesLoadPerRampedWeight) {
    auto servers = ramp_servers(2);
    std::vector<ServerRuntime*> candidates{servers[0].get(), servers[1].get()};
    servers[0]->active.store(3);
    servers[1]->active.store(1);
    LeastConn lc;
    EXPECT_EQ(lc.pick(candidates), 1u) << "1 in flight beats 3 at full weight";
    ramping_since(*servers[1], 250s);  // a quarter of its weight: 1/0.25 = 4 per unit, more than 3
    for (int i = 0; i < 4; ++i) EXPECT_EQ(lc.pick(candidates), 0u);
    ramping_since(*servers[1], 500s);  // 1/0.5 = 2 per unit, fewer than 3
    EXPECT_EQ(lc.pick(candidates), 1u);
}

TEST(SlowStart, ThrottleGivesARampingServerItsShareOfTheSlots) {
    config::PoolConfig pc;
    pc.name = "gis";
    pc.max_active_per_server = 8;
    pc.queue.max = 0;
    auto servers = ramp_servers(2);
    PoolRuntime pool(pc, servers, 1);
    ramping_since(*servers[1], 250s);  // ceil(8 * 0.25) = 2 slots
    TriedSet none;
    int granted = 0;
    while (pool.try_acquire(0, none).status == AcquireStatus::granted) ASSERT_LT(++granted, 100);
    EXPECT_EQ(servers[0]->active.load(), 8u);
    EXPECT_EQ(servers[1]->active.load(), 2u);
    EXPECT_FALSE(pool.try_take(servers[1].get())) << "the pinned path sees the same limit";
}

}  // namespace
}  // namespace gisgate::balance
