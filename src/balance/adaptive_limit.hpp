// `max_active_per_server: auto`: each server's concurrency limit found from the latency it shows, a gradient limit
// of the TCP Vegas / Envoy adaptive concurrency / Netflix gradient2 family. ArcGIS Server is CPU-bound: up to
// about one request per core its answers take their normal time, beyond that each extra request waits for a core
// and the latency grows in proportion. So
//
//   gradient  = baseline / sample          (≤ 1: the baseline is the lowest latency seen)
//   new limit = limit × gradient + 1       (the 1 is the queue allowance)
//
// settles at the server's cores + 1: with C cores and L > C requests in flight the sample is baseline × L / C, so
// the new limit is C + 1 whatever L was. The allowance is 1 rather than gradient2's √limit so the limit lands
// within one of the cores (√limit would keep a queue of 2 to 8 requests on a server that works on one per core).
//
// - sample: the mean server response time (request sent → response head) over an interval of at least
//   `interval` and `min_samples` answers.
// - baseline: the lowest interval mean since the last measurement. A mean that keeps going up with the limit
//   would otherwise never be seen as a queue, so the baseline is measured again every `probe_every` (Envoy's
//   minRTT window): the limit is pinned at half for one interval, once the requests above it have finished, and
//   that interval's mean becomes the baseline. Also after 5 intervals at `min` (as Envoy does), so a server
//   whose normal latency went up for good does not stay at the minimum until the next scheduled measurement.
// - a server that gets faster (an interval 20 % below the baseline) has its baseline measured again at once: the
//   fast interval had a queue in it, so its mean is not the new baseline.
// - a server that slows down (another tenant, a GC pause, a failing disk) shows a gradient below 0.5: the limit
//   halves every interval, without smoothing. Smaller decreases are smoothed (half the step per interval) so
//   the noise of one interval does not move the limit by a slot.
// - the limit grows only when it was reached during the interval (gradient2's "app-limited" rule): a server
//   that is never full says nothing about more concurrency.
//
// Pure: time comes in as arguments; control thread only (proxy/limit_tuner.cpp feeds it).
#pragma once

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>

namespace gisgate::balance {

using LimitClock = std::chrono::steady_clock;

struct AdaptiveLimitSettings {
    std::uint32_t min = 1;
    std::uint32_t max = 64;
    std::chrono::milliseconds interval{500};       // shortest sampling interval
    std::uint32_t min_samples = 5;                 // answers an interval needs before it counts
    std::chrono::milliseconds probe_every{30000};  // baseline re-measurement (plus up to 10 % jitter per server)
    std::uint32_t intervals_at_min_before_probe = 5;
    bool operator==(const AdaptiveLimitSettings&) const = default;
};

// What the workers gathered since the previous update (AdaptiveLimitCounters::take()).
struct LatencySample {
    std::uint64_t count = 0;     // answers
    std::uint64_t total_ns = 0;  // their summed server response times
    bool saturated = false;      // the limit was reached at least once
    std::uint32_t in_flight = 0; // requests on the server now
};

class AdaptiveLimit {
public:
    // `seed` spreads the servers' baseline measurements (no two servers of a pool halve at the same moment).
    AdaptiveLimit(const AdaptiveLimitSettings& settings, LimitClock::time_point now, std::uint32_t seed = 0);

    // New bounds (a reload): keeps what was learnt, clamped to them.
    void reconfigure(const AdaptiveLimitSettings& settings);
    // Feeds what was gathered since the previous call; returns the limit to enforce from now on.
    std::uint32_t update(LimitClock::time_point now, const LatencySample& sample);

    std::uint32_t limit() const;              // what the throttle enforces now
    double estimate() const { return limit_; }  // the learnt limit (kept while a measurement pins it lower)
    std::chrono::nanoseconds baseline() const { return std::chrono::nanoseconds(std::llround(baseline_ns_)); }
    bool measuring() const { return phase_ != Phase::tracking; }
    const AdaptiveLimitSettings& settings() const { return settings_; }

private:
    enum class Phase : std::uint8_t { draining, measuring, tracking };

    void begin_measurement(LimitClock::time_point now);
    void schedule_probe(LimitClock::time_point now);
    double clamp(double limit) const;

    AdaptiveLimitSettings settings_;
    std::uint32_t seed_;
    Phase phase_ = Phase::draining;
    double limit_;                   // the learnt limit, fractional (smoothing works below one slot)
    std::uint32_t pinned_ = 0;       // the limit while the baseline is measured
    double baseline_ns_ = 0;         // 0: not measured yet
    LimitClock::time_point interval_start_;
    LimitClock::time_point next_probe_;
    std::uint64_t count_ = 0;        // answers of the current interval
    double total_ns_ = 0;
    bool saturated_ = false;
    std::uint32_t intervals_at_min_ = 0;
};

// The workers' side, in ServerRuntime: the limit they enforce and the samples they record. Two relaxed additions
// per answer; the `saturated` flag is written only when it changes.
struct AdaptiveLimitCounters {
    alignas(64) std::atomic<std::uint32_t> limit{0};  // 0: not tuned yet (the pool's start value applies)
    alignas(64) std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> total_ns{0};
    std::atomic<bool> saturated{false};

    void record(std::chrono::nanoseconds server_time) {
        total_ns.fetch_add(static_cast<std::uint64_t>(server_time.count()), std::memory_order_relaxed);
        count.fetch_add(1, std::memory_order_relaxed);
    }
    void mark_saturated() {
        if (!saturated.load(std::memory_order_relaxed)) saturated.store(true, std::memory_order_relaxed);
    }
    // Control thread: what was gathered since the previous take. A record racing with it may have its time in
    // this take and its count in the next: one answer in an interval of several, which the mean absorbs.
    LatencySample take(std::uint32_t in_flight) {
        LatencySample s;
        s.count = count.exchange(0, std::memory_order_relaxed);
        s.total_ns = total_ns.exchange(0, std::memory_order_relaxed);
        s.saturated = saturated.exchange(false, std::memory_order_relaxed);
        s.in_flight = in_flight;
        return s;
    }
};

}  // namespace gisgate::balance
