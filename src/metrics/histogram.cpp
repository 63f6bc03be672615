#include "metrics/histogram.hpp"

#include <cmath>

namespace gisgate::metrics {

std::uint64_t HistogramLayout::lower_bound(std::size_t index) noexcept {
    if (index < 2 * kSub) return index;
    const std::size_t rest = index - 2 * kSub;
    const unsigned msb = static_cast<unsigned>(rest / kSub) + kSubBits + 1;
    const std::uint64_t sub = rest % kSub + kSub;
    return sub << (msb - kSubBits);
}

std::uint64_t HistogramLayout::upper_bound(std::size_t index) noexcept {
    if (index + 1 >= kBuckets) return kMaxValue;
    return lower_bound(index + 1) - 1;
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
    sum_ += other.sum_;
}

void LatencyHistogram::subtract(const LatencyHistogram& earlier) noexcept {
    total_ = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        // Clamp rather than wrap: a reader racing a writer may see a bucket a moment before its sum.
        counts_[i] = counts_[i] >= earlier.counts_[i] ? counts_[i] - earlier.counts_[i] : 0;
        total_ += counts_[i];
    }
    sum_ = sum_ >= earlier.sum_ ? sum_ - earlier.sum_ : 0;
}

void LatencyHistogram::clear() noexcept { *this = LatencyHistogram{}; }

std::uint64_t LatencyHistogram::percentile(double p) const noexcept {
    if (total_ == 0) return 0;
    if (p < 0) p = 0;
    if (p > 100) p = 100;
    // Rank of the value at p, 1-based (nearest-rank definition).
    auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(total_)));
    if (rank == 0) rank = 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= rank) {
            const std::uint64_t lo = HistogramLayout::lower_bound(i);
            const std::uint64_t hi = HistogramLayout::upper_bound(i);
            return lo + (hi - lo) / 2;
        }
    }
    return HistogramLayout::kMaxValue;
}

std::uint64_t LatencyHistogram::count_at_or_below(std::uint64_t micros) const noexcept {
    if (micros >= HistogramLayout::kMaxValue) return total_;
    const std::size_t last = HistogramLayout::index_of(micros);
    std::uint64_t n = 0;
    // A bucket counts when its whole range is ≤ micros; the bucket holding `micros` counts only when micros is
    // its upper end, so `le` buckets never include values above their bound.
    for (std::size_t i = 0; i < last; ++i) n += counts_[i];
    if (HistogramLayout::upper_bound(last) <= micros) n += counts_[last];
    return n;
}

namespace {
void put_varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

bool get_varint(std::string_view& in, std::uint64_t& v) {
    v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (in.empty()) return false;
        const auto byte = static_cast<unsigned char>(in.front());
        in.remove_prefix(1);
        v |= std::uint64_t{byte & 0x7fu} << shift;
        if ((byte & 0x80) == 0) return true;
    }
    return false;
}

constexpr char kEncodingVersion = 1;
}  // namespace

std::string LatencyHistogram::encode() const {
    std::string out;
    out.push_back(kEncodingVersion);
    put_varint(out, sum_);
    std::size_t previous = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        if (counts_[i] == 0) continue;
        put_varint(out, i - previous);
        put_varint(out, counts_[i]);
        previous = i;
    }
    return out;
}

std::optional<LatencyHistogram> LatencyHistogram::decode(std::string_view bytes) {
    if (bytes.empty() || bytes.front() != kEncodingVersion) return std::nullopt;
    bytes.remove_prefix(1);
    LatencyHistogram h;
    if (!get_varint(bytes, h.sum_)) return std::nullopt;
    std::size_t index = 0;
    bool first = true;
    while (!bytes.empty()) {
        std::uint64_t gap = 0, count = 0;
        if (!get_varint(bytes, gap) || !get_varint(bytes, count)) return std::nullopt;
        if (!first && gap == 0) return std::nullopt;
        if (gap >= HistogramLayout::kBuckets - index) return std::nullopt;
        index += gap;
        first = false;
        h.counts_[index] += count;
        h.total_ += count;
    }
    return h;
}

void WorkerHistogram::add_to(LatencyHistogram& into) const noexcept {
    std::uint64_t sum = sum_.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        const std::uint64_t n = counts_[i].load(std::memory_order_relaxed);
        if (n != 0) {
            into.add_to_bucket(i, n, sum);
            sum = 0;
        }
    }
    if (sum != 0) into.add_to_bucket(0, 0, sum);
}

}  // namespace gisgate::metrics
