// The adaptive concurrency limit against a model server: C cores, a request takes `base` alone and
// base × in_flight / C once the cores are all busy (ArcGIS Server is CPU-bound). A closed loop of `clients` keeps
// min(clients, limit) requests in flight. Time is simulated in 50 ms steps, so every run is exact.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "balance/adaptive_limit.hpp"

namespace gisgate::balance {
namespace {

using namespace std::chrono_literals;

struct Model {
    double cores = 2;
    std::chrono::milliseconds base{50};
    std::uint32_t clients = 16;
    double noise = 0;  // each step's latency scaled by 1 ± noise (deterministic)
};

class Harness {
public:
    explicit Harness(AdaptiveLimitSettings settings = {}, std::uint32_t seed = 0)
        : now_(LimitClock::time_point{} + 1000s), limit_(settings, now_, seed) {}

    // One 50 ms step of the model.
    void step(const Model& m) {
        const std::uint32_t enforced = limit_.limit();
        const std::uint32_t in_flight = std::min(m.clients, enforced);
        double latency_ns =
            std::chrono::duration<double, std::nano>(m.base).count() * std::max(1.0, in_flight / m.cores);
        if (m.noise > 0) {
            lcg_ = lcg_ * 6364136223846793005ull + 1442695040888963407ull;
            const double unit = static_cast<double>(lcg_ >> 11) / static_cast<double>(1ull << 53);  // [0, 1)
            latency_ns *= 1 + m.noise * (2 * unit - 1);
        }
        // Little's law: in_flight / latency answers per unit of time.
        carry_ += in_flight * std::chrono::duration<double, std::nano>(kStep).count() / latency_ns;
        const auto answers = static_cast<std::uint64_t>(carry_);
        carry_ -= static_cast<double>(answers);
        now_ += kStep;
        limit_.update(now_, {answers, static_cast<std::uint64_t>(answers * latency_ns), m.clients >= enforced,
                             in_flight});
    }

    // Runs the model for `duration`; returns the lowest and highest limit seen outside baseline measurements.
    std::pair<std::uint32_t, std::uint32_t> run(const Model& m, std::chrono::milliseconds duration) {
        std::uint32_t lo = UINT32_MAX, hi = 0;
        for (auto t = 0ms; t < duration; t += kStep) {
            step(m);
            if (!limit_.measuring()) {
                lo = std::min(lo, limit_.limit());
                hi = std::max(hi, limit_.limit());
            }
        }
        return {lo, hi};
    }

    AdaptiveLimit& limit() { return limit_; }
    LimitClock::time_point now() const { return now_; }

private:
    static constexpr std::chrono::milliseconds kStep{50};
    LimitClock::time_point now_;
    AdaptiveLimit limit_;
    double carry_ = 0;
    std::uint64_t lcg_ = 42;
};

TEST(AdaptiveLimit, StartsAtTheMinimumAndMeasuresTheBaselineThere) {
    Harness h;
    EXPECT_EQ(h.limit().limit(), 1u);
    EXPECT_TRUE(h.limit().measuring());
    h.run({.cores = 2}, 600ms);
    EXPECT_FALSE(h.limit().measuring());
    EXPECT_EQ(h.limit().baseline(), 50ms);
}

// The limit settles where the latency starts rising: within one of the cores, for several core counts.
TEST(AdaptiveLimit, ConvergesToTheConcurrencyWhereLatencyStartsRising) {
    for (const double cores : {1.0, 2.0, 4.0, 8.0}) {
        SCOPED_TRACE(cores);
        Harness h;
        h.run({.cores = cores, .clients = 32}, 20s);
        // From now on (including the baseline re-measurements every ~30 s) it stays there.
        const auto [lo, hi] = h.run({.cores = cores, .clients = 32}, 90s);
        EXPECT_GE(lo, static_cast<std::uint32_t>(cores));
        EXPECT_LE(hi, static_cast<std::uint32_t>(cores) + 1);
    }
}

TEST(AdaptiveLimit, ConvergesWithNoisyLatencies) {
    Harness h;
    const Model noisy{.cores = 4, .clients = 32, .noise = 0.05};
    h.run(noisy, 20s);
    const auto [lo, hi] = h.run(noisy, 60s);
    EXPECT_GE(lo, 3u);
    EXPECT_LE(hi, 5u);
}

TEST(AdaptiveLimit, DropsWithinSecondsWhenTheServerSlowsDown) {
    Harness h;
    h.run({.cores = 8, .clients = 32}, 20s);
    ASSERT_GE(h.limit().limit(), 8u);
    // Another tenant takes the CPU: every request now takes 4× as long.
    h.run({.cores = 8, .base = 200ms, .clients = 32}, 2s);
    EXPECT_LE(h.limit().limit(), 4u);
}

TEST(AdaptiveLimit, ProbesBackUpAfterRecovery) {
    Harness h;
    h.run({.cores = 4, .clients = 32}, 20s);
    h.run({.cores = 4, .base = 400ms, .clients = 32}, 20s);
    // The slow spell's latency became the baseline again by re-measurement (5 intervals at the minimum).
    EXPECT_GT(h.limit().baseline(), 100ms);
    h.run({.cores = 4, .clients = 32}, 10s);
    EXPECT_GE(h.limit().limit(), 4u);
    EXPECT_LE(h.limit().limit(), 5u);
    EXPECT_EQ(h.limit().baseline(), 50ms);  // a faster interval lowers the baseline at once
}

TEST(AdaptiveLimit, RespectsMinAndMax) {
    {
        Harness h({.min = 1, .max = 6});
        const auto [lo, hi] = h.run({.cores = 32, .clients = 64}, 60s);
        EXPECT_EQ(hi, 6u);
        EXPECT_EQ(h.limit().limit(), 6u);
    }
    {
        Harness h({.min = 3, .max = 64});
        EXPECT_EQ(h.limit().limit(), 3u);
        const auto [lo, hi] = h.run({.cores = 1, .base = 100ms, .clients = 64}, 60s);
        EXPECT_EQ(lo, 3u);
        // ... even when the server slows down a lot.
        h.run({.cores = 1, .base = 1000ms, .clients = 64}, 10s);
        EXPECT_EQ(h.limit().limit(), 3u);
    }
}

// A server that is never full says nothing about more concurrency (gradient2's app-limited rule).
TEST(AdaptiveLimit, DoesNotGrowWithoutDemand) {
    Harness h;
    h.run({.cores = 16, .clients = 3}, 30s);
    EXPECT_LE(h.limit().limit(), 4u);
    EXPECT_GE(h.limit().limit(), 3u);
}

TEST(AdaptiveLimit, WaitsForMoreAnswersBeforeAnUpdate) {
    auto t = LimitClock::time_point{} + 1000s;
    AdaptiveLimit limit({.min = 1, .max = 64, .interval = 500ms, .min_samples = 5}, t);
    limit.update(t, {0, 0, false, 0});  // nothing in flight: the measurement starts
    limit.update(t + 600ms, {5, 5 * 50'000'000ull, true, 1});
    ASSERT_FALSE(limit.measuring());
    ASSERT_EQ(limit.limit(), 1u);
    // Four answers over a long time: not an interval yet.
    limit.update(t + 2s, {4, 4 * 50'000'000ull, true, 1});
    EXPECT_EQ(limit.limit(), 1u);
    // The fifth: an interval without queueing, and the limit was reached: one more slot.
    limit.update(t + 2100ms, {1, 50'000'000ull, true, 1});
    EXPECT_EQ(limit.limit(), 2u);
    // Enough answers, but within `interval` of the last update.
    limit.update(t + 2200ms, {50, 50 * 50'000'000ull, true, 2});
    EXPECT_EQ(limit.limit(), 2u);
}

// The periodic measurement pins the limit at half, waits for the requests above it to finish, then restores.
TEST(AdaptiveLimit, RemeasuresTheBaselineAtHalfTheLimit) {
    Harness h({.min = 1, .max = 64, .probe_every = 30s});
    const Model m{.cores = 8, .clients = 32};
    h.run(m, 20s);
    const std::uint32_t learnt = h.limit().limit();
    ASSERT_GE(learnt, 8u);
    int steps = 0;
    while (!h.limit().measuring() && steps++ < 400) h.step(m);  // the next measurement within 20 s
    ASSERT_TRUE(h.limit().measuring());
    EXPECT_EQ(h.limit().limit(), learnt / 2);
    const std::uint32_t pinned = h.limit().limit();
    // Requests above the pinned limit are still running: their answers do not count.
    auto t = h.now() + 1s;
    h.limit().update(t, {100, 100 * 500'000'000ull, true, learnt});
    EXPECT_TRUE(h.limit().measuring());
    // They finished; one interval at the pinned limit gives the baseline, and the learnt limit is back.
    t += 50ms;
    h.limit().update(t, {0, 0, true, pinned});
    t += 600ms;
    h.limit().update(t, {10, 10 * 48'000'000ull, true, pinned});
    EXPECT_FALSE(h.limit().measuring());
    EXPECT_EQ(h.limit().baseline(), 48ms);
    EXPECT_EQ(h.limit().limit(), learnt);
}

TEST(AdaptiveLimit, ReconfigureClampsWhatWasLearnt) {
    Harness h;
    h.run({.cores = 8, .clients = 32}, 20s);
    ASSERT_GE(h.limit().limit(), 8u);
    h.limit().reconfigure({.min = 1, .max = 4});
    EXPECT_EQ(h.limit().limit(), 4u);
    h.limit().reconfigure({.min = 6, .max = 10});
    EXPECT_EQ(h.limit().limit(), 6u);
}

TEST(AdaptiveLimitCounters, TakeHandsOverAndResets) {
    AdaptiveLimitCounters c;
    c.record(10ms);
    c.record(30ms);
    c.mark_saturated();
    const LatencySample s = c.take(3);
    EXPECT_EQ(s.count, 2u);
    EXPECT_EQ(s.total_ns, 40'000'000u);
    EXPECT_TRUE(s.saturated);
    EXPECT_EQ(s.in_flight, 3u);
    const LatencySample empty = c.take(0);
    EXPECT_EQ(empty.count, 0u);
    EXPECT_FALSE(empty.saturated);
}

}  // namespace
}  // namespace gisgate::balance
