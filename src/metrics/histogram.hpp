// Latency histograms in the HdrHistogram style: log-linear buckets (64 linear sub-buckets per power of two), so
// any recorded value is known to within 1/64 of itself and a percentile read from the buckets is within 1 % of
// the exact one. Fixed size, no allocation when recording, and two histograms merge by adding their buckets —
// which is how per-worker histograms become one view without anything shared on the request path.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gisgate::metrics {

// Bucket layout shared by both histogram kinds. Values are microseconds; values beyond kMaxValue are counted in
// the last bucket (kMaxValue is over an hour, longer than any request timeout).
struct HistogramLayout {
    static constexpr unsigned kSubBits = 6;                 // 64 sub-buckets per power of two
    static constexpr std::uint64_t kSub = 1u << kSubBits;
    static constexpr unsigned kMaxBits = 32;                // values below 2^32 µs (71 min) are exact to 1/64
    static constexpr std::uint64_t kMaxValue = (std::uint64_t{1} << kMaxBits) - 1;
    // [0, 2·kSub) are exact (one bucket per µs), then kSub buckets for each further power of two.
    static constexpr std::size_t kBuckets = 2 * kSub + (kMaxBits - kSubBits - 1) * kSub;

    static std::size_t index_of(std::uint64_t value) noexcept {
        if (value > kMaxValue) value = kMaxValue;
        if (value < 2 * kSub) return static_cast<std::size_t>(value);
        const unsigned msb = 63u - static_cast<unsigned>(__builtin_clzll(value));  // ≥ kSubBits + 1
        const unsigned shift = msb - kSubBits;
        return static_cast<std::size_t>(2 * kSub + (msb - kSubBits - 1) * kSub + ((value >> shift) - kSub));
    }
    // Smallest and largest value that land in bucket `index`.
    static std::uint64_t lower_bound(std::size_t index) noexcept;
    static std::uint64_t upper_bound(std::size_t index) noexcept;
};

// A plain histogram: what readers work with (merged views, per-minute deltas, decoded history rows).
class LatencyHistogram {
public:
    void record(std::uint64_t micros, std::uint64_t count = 1) noexcept {
        counts_[HistogramLayout::index_of(micros)] += count;
        total_ += count;
        sum_ += micros * count;
    }
    void merge(const LatencyHistogram& other) noexcept;
    // This minus `earlier`, bucket by bucket: `earlier` must be an older snapshot of the same cumulative
    // histogram (how per-interval histograms come from cumulative counters without ever resetting them).
    void subtract(const LatencyHistogram& earlier) noexcept;
    void clear() noexcept;

    std::uint64_t count() const noexcept { return total_; }
    std::uint64_t sum_micros() const noexcept { return sum_; }
    double mean_micros() const noexcept { return total_ ? static_cast<double>(sum_) / total_ : 0.0; }
    // The value at percentile `p` (0..100): the midpoint of the bucket holding that rank (0 when empty).
    // p = 0 and p = 100 give the smallest and largest recorded value to bucket precision.
    std::uint64_t percentile(double p) const noexcept;
    std::uint64_t min_micros() const noexcept { return percentile(0); }
    std::uint64_t max_micros() const noexcept { return percentile(100); }
    // Recorded values ≤ `micros` (to bucket precision): the cumulative count of a Prometheus `le` bucket.
    std::uint64_t count_at_or_below(std::uint64_t micros) const noexcept;

    std::uint64_t bucket(std::size_t index) const noexcept { return counts_[index]; }
    void add_to_bucket(std::size_t index, std::uint64_t count, std::uint64_t sum) noexcept {
        counts_[index] += count;
        total_ += count;
        sum_ += sum;
    }

    // Compact binary form for SQLite BLOBs: a version byte, varint sum, then (bucket gap, count) varint pairs
    // for the non-empty buckets only. A typical minute of one service is a few dozen bytes.
    std::string encode() const;
    static std::optional<LatencyHistogram> decode(std::string_view bytes);

    friend bool operator==(const LatencyHistogram&, const LatencyHistogram&) = default;

private:
    std::array<std::uint64_t, HistogramLayout::kBuckets> counts_{};
    std::uint64_t total_ = 0;
    std::uint64_t sum_ = 0;
};

// The request-path histogram: written by exactly one worker thread, read by the control thread at any time.
// Counters are relaxed atomics updated with a load and a store (no locked instruction: there is one writer),
// so recording costs the same as a plain increment and reads are race-free. Cumulative, never reset.
class WorkerHistogram {
public:
    void record(std::uint64_t micros) noexcept {
        bump(counts_[HistogramLayout::index_of(micros)], 1);
        bump(sum_, micros);
    }
    // Adds the current counts to `into` (any thread).
    void add_to(LatencyHistogram& into) const noexcept;

private:
    static void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by) noexcept {
        counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
    }
    std::array<std::atomic<std::uint64_t>, HistogramLayout::kBuckets> counts_{};
    std::atomic<std::uint64_t> sum_{0};
};

}  // namespace gisgate::metrics
