#include "metrics/traffic.hpp"

#include <algorithm>
#include <cstdint>

namespace gisgate::metrics {

namespace {
std::uint64_t minus(std::uint64_t later, std::uint64_t earlier) { return later >= earlier ? later - earlier : 0; }
}  // namespace

void TrafficCounters::add_to(TrafficTotals& into) const noexcept {
    for (std::size_t i = 0; i < kStatusClasses; ++i) into.by_class[i] += by_class_[i].load(std::memory_order_relaxed);
    into.bytes_in += bytes_in_.load(std::memory_order_relaxed);
    into.bytes_out += bytes_out_.load(std::memory_order_relaxed);
    into.retries += retries_.load(std::memory_order_relaxed);
    // Closed first: read after `opened`, a tunnel opening meanwhile would show as closed but not opened.
    into.tunnels_closed += tunnels_closed_.load(std::memory_order_relaxed);
    into.tunnels_opened += tunnels_opened_.load(std::memory_order_relaxed);
    latency_.add_to(into.latency);
}

void TrafficTotals::merge(const TrafficTotals& other) noexcept {
    for (std::size_t i = 0; i < kStatusClasses; ++i) by_class[i] += other.by_class[i];
    bytes_in += other.bytes_in;
    bytes_out += other.bytes_out;
    retries += other.retries;
    tunnels_opened += other.tunnels_opened;
    tunnels_closed += other.tunnels_closed;
    latency.merge(other.latency);
}

void TrafficTotals::add(const TrafficDelta& delta) noexcept {
    for (std::size_t i = 0; i < kStatusClasses; ++i) by_class[i] += delta.by_class[i];
    bytes_in += delta.bytes_in;
    bytes_out += delta.bytes_out;
    retries += delta.retries;
    std::uint64_t sum = delta.latency_sum;
    for (const auto& [index, count] : delta.buckets) {
        latency.add_to_bucket(index, count, sum);
        sum = 0;
    }
    if (sum != 0) latency.add_to_bucket(0, 0, sum);
}

void TrafficTotals::subtract(const TrafficTotals& earlier) noexcept {
    for (std::size_t i = 0; i < kStatusClasses; ++i) by_class[i] = minus(by_class[i], earlier.by_class[i]);
    bytes_in = minus(bytes_in, earlier.bytes_in);
    bytes_out = minus(bytes_out, earlier.bytes_out);
    retries = minus(retries, earlier.retries);
    tunnels_opened = minus(tunnels_opened, earlier.tunnels_opened);
    tunnels_closed = minus(tunnels_closed, earlier.tunnels_closed);
    latency.subtract(earlier.latency);
}

TrafficDelta TrafficDelta::between(const TrafficTotals& earlier, const TrafficTotals& later) {
    TrafficDelta d;
    for (std::size_t i = 0; i < kStatusClasses; ++i) d.by_class[i] = minus(later.by_class[i], earlier.by_class[i]);
    d.bytes_in = minus(later.bytes_in, earlier.bytes_in);
    d.bytes_out = minus(later.bytes_out, earlier.bytes_out);
    d.retries = minus(later.retries, earlier.retries);
    d.latency_sum = minus(later.latency.sum_micros(), earlier.latency.sum_micros());
    if (later.latency.count() != earlier.latency.count()) {
        for (std::size_t i = 0; i < HistogramLayout::kBuckets; ++i) {
            const std::uint64_t n = minus(later.latency.bucket(i), earlier.latency.bucket(i));
            if (n) d.buckets.emplace_back(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(std::min<std::uint64_t>(n, UINT32_MAX)));
        }
    }
    return d;
}

void TrafficDelta::merge(const TrafficDelta& other) {
    for (std::size_t i = 0; i < kStatusClasses; ++i) by_class[i] += other.by_class[i];
    bytes_in += other.bytes_in;
    bytes_out += other.bytes_out;
    retries += other.retries;
    latency_sum += other.latency_sum;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> merged;
    merged.reserve(buckets.size() + other.buckets.size());
    auto a = buckets.begin();
    auto b = other.buckets.begin();
    while (a != buckets.end() || b != other.buckets.end()) {
        if (b == other.buckets.end() || (a != buckets.end() && a->first < b->first)) {
            merged.push_back(*a++);
        } else if (a == buckets.end() || b->first < a->first) {
            merged.push_back(*b++);
        } else {
            const std::uint64_t sum = std::uint64_t{a->second} + b->second;
            merged.emplace_back(a->first, static_cast<std::uint32_t>(std::min<std::uint64_t>(sum, UINT32_MAX)));
            ++a;
            ++b;
        }
    }
    buckets = std::move(merged);
}

}  // namespace gisgate::metrics
