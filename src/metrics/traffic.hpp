// Traffic statistics of one key (a GIS service, or a pool/server pair): answers by status class, bytes, retries
// and a latency histogram. TrafficCounters is the request-path form (one writer, relaxed atomics, cumulative);
// TrafficTotals the plain form readers merge, subtract and publish; TrafficDelta the sparse form a sliding
// window keeps per second.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

#include "metrics/histogram.hpp"

namespace gisgate::metrics {

// 1xx..5xx → 0..4; anything outside 100..599 counts as 5xx (gisgate never sends one; a server might).
constexpr std::size_t kStatusClasses = 5;
constexpr std::size_t status_class(int status) noexcept {
    return status >= 100 && status <= 599 ? static_cast<std::size_t>(status / 100 - 1) : 4;
}
inline constexpr const char* kStatusClassNames[kStatusClasses] = {"1xx", "2xx", "3xx", "4xx", "5xx"};

struct TrafficTotals;

class TrafficCounters {
public:
    // Worker thread only (the single writer).
    void record(int status, std::uint64_t micros, std::uint64_t bytes_in, std::uint64_t bytes_out,
                std::uint32_t retries) noexcept {
        bump(by_class_[status_class(status)], 1);
        if (bytes_in) bump(bytes_in_, bytes_in);
        if (bytes_out) bump(bytes_out_, bytes_out);
        if (retries) bump(retries_, retries);
        latency_.record(micros);
    }
    // A WebSocket tunnel of this key opened (after its 101 was recorded) or closed: open = opened - closed,
    // both cumulative like everything else here, so merging and subtracting snapshots stay plain sums.
    void tunnel_opened() noexcept { bump(tunnels_opened_, 1); }
    void tunnel_closed() noexcept { bump(tunnels_closed_, 1); }
    // Any thread: adds the current values to `into`.
    void add_to(TrafficTotals& into) const noexcept;

private:
    static void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by) noexcept {
        counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
    }
    std::array<std::atomic<std::uint64_t>, kStatusClasses> by_class_{};
    std::atomic<std::uint64_t> bytes_in_{0};
    std::atomic<std::uint64_t> bytes_out_{0};
    std::atomic<std::uint64_t> retries_{0};
    std::atomic<std::uint64_t> tunnels_opened_{0};
    std::atomic<std::uint64_t> tunnels_closed_{0};
    WorkerHistogram latency_;
};

struct TrafficDelta;

struct TrafficTotals {
    std::array<std::uint64_t, kStatusClasses> by_class{};
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint64_t retries = 0;
    std::uint64_t tunnels_opened = 0;
    std::uint64_t tunnels_closed = 0;
    LatencyHistogram latency;
    // Open now (cumulative totals only; a subtracted snapshot's difference is not a count of tunnels).
    std::uint64_t tunnels_open() const noexcept { return tunnels_opened > tunnels_closed ? tunnels_opened - tunnels_closed : 0; }

    std::uint64_t requests() const noexcept {
        std::uint64_t n = 0;
        for (auto c : by_class) n += c;
        return n;
    }
    std::uint64_t errors() const noexcept { return by_class[4]; }  // status >= 500

    void merge(const TrafficTotals& other) noexcept;
    void add(const TrafficDelta& delta) noexcept;
    // This minus an older snapshot of the same cumulative counters (clamped at 0, see LatencyHistogram).
    void subtract(const TrafficTotals& earlier) noexcept;
    void clear() noexcept { *this = TrafficTotals{}; }
};

// `later - earlier` keeping only the non-empty histogram buckets: what a sliding window stores per second (and,
// merged, per minute for the older part of long windows).
struct TrafficDelta {
    std::array<std::uint64_t, kStatusClasses> by_class{};
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint64_t retries = 0;
    std::uint64_t latency_sum = 0;
    // (bucket index, count), by index. 32-bit counts: no bucket sees 4 billion requests in a minute.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> buckets;

    std::uint64_t requests() const noexcept {
        std::uint64_t n = 0;
        for (auto c : by_class) n += c;
        return n;
    }
    bool empty() const noexcept { return requests() == 0 && bytes_in == 0 && bytes_out == 0 && retries == 0; }
    static TrafficDelta between(const TrafficTotals& earlier, const TrafficTotals& later);
    // Adds `other` (a later or earlier delta of the same key) to this one.
    void merge(const TrafficDelta& other);
};

}  // namespace gisgate::metrics
