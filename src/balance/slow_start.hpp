// Slow start (HAProxy's `slowstart`, NGINX Plus's `slow_start`): a server that comes back — health checks bring
// it up, an administrator sets it ready after drain/maint, it is added at runtime — gets its weight and its share
// of max_active_per_server ramped linearly from almost nothing to all of it over the pool's `slow_start`. An
// ArcGIS site that just started has cold service instances (the first requests of a service load its data and
// warm caches), so its full share at once would give its first clients the slowest answers of the pool.
//
// The ramp is two atomics per server, written by the control thread when it starts; workers read the clock only
// while a candidate is ramping, and the first worker to see the ramp over ends it (so later picks skip the clock).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "config/config.hpp"

namespace gisgate::balance {

using SlowStartClock = std::chrono::steady_clock;

// Weights are scaled so a ramping server of weight 1 can have a fraction of it (smooth round robin and least
// connections compare integers).
inline constexpr std::uint64_t kWeightScale = 1000;

// The part of the full share, in thousandths, `elapsed` into a ramp of `window`: linear, at least 1 (a ramping
// server is never skipped entirely), 1000 once the window is over or when it is 0.
inline std::uint32_t ramp_permille(std::chrono::nanoseconds elapsed, std::chrono::nanoseconds window) {
    if (window.count() <= 0 || elapsed >= window) return 1000;
    if (elapsed.count() <= 0) return 1;
    const auto p = static_cast<std::uint32_t>(elapsed.count() * 1000 / window.count());
    return std::clamp<std::uint32_t>(p, 1, 1000);
}

// A weight in kWeightScale units at `permille` of the ramp (at least 1 unit for a server with weight).
inline std::uint64_t ramped_weight(std::uint32_t weight, std::uint32_t permille) {
    const std::uint64_t w = std::uint64_t{weight} * kWeightScale * permille / 1000;
    return weight != 0 && w == 0 ? 1 : w;
}

// A max_active_per_server limit at `permille` of the ramp, rounded up: at least one slot (0 = unlimited stays so).
inline std::uint32_t ramped_limit(std::uint32_t limit, std::uint32_t permille) {
    if (limit == 0) return 0;
    const std::uint64_t l = (std::uint64_t{limit} * permille + 999) / 1000;
    return static_cast<std::uint32_t>(std::max<std::uint64_t>(l, 1));
}

struct SlowStartState {
    static std::int64_t ticks(SlowStartClock::time_point t) {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    }

    std::atomic<std::int64_t> since_ns{0};   // SlowStartClock ticks at the start of the ramp; 0 = not ramping
    std::atomic<std::int64_t> window_ns{0};

    // Control thread: the server came back at `now`. A window of 0 (slow start off) does nothing.
    void begin(SlowStartClock::time_point now, config::Duration window) {
        if (window.count() <= 0) return;
        window_ns.store(std::chrono::duration_cast<std::chrono::nanoseconds>(window).count(),
                        std::memory_order_relaxed);
        // Never 0 (that means "not ramping"): a steady clock at its epoch is only a test's injected value.
        since_ns.store(std::max<std::int64_t>(ticks(now), 1), std::memory_order_relaxed);
    }
    bool ramping() const { return since_ns.load(std::memory_order_relaxed) != 0; }
    void stop() { since_ns.store(0, std::memory_order_relaxed); }

    // The ramp at `now` in thousandths (1000 = full share); ends the ramp once its window is over.
    std::uint32_t permille(SlowStartClock::time_point now) {
        std::int64_t since = since_ns.load(std::memory_order_relaxed);
        if (since == 0) return 1000;
        const std::chrono::nanoseconds elapsed{ticks(now) - since};
        const std::uint32_t p = ramp_permille(elapsed, std::chrono::nanoseconds{window_ns.load(std::memory_order_relaxed)});
        // Only the ramp that is over: a new begin() meanwhile keeps its own.
        if (p == 1000) since_ns.compare_exchange_strong(since, 0, std::memory_order_relaxed);
        return p;
    }
};

}  // namespace gisgate::balance
