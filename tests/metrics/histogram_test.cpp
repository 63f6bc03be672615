#include "metrics/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace gisgate::metrics {
namespace {

std::uint64_t exact_percentile(std::vector<std::uint64_t> values, double p) {
    std::sort(values.begin(), values.end());
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
    if (rank == 0) rank = 1;
    return values[rank - 1];
}

void expect_within_one_percent(std::uint64_t got, std::uint64_t exact, double p) {
    const double tolerance = std::max(1.0, static_cast<double>(exact) * 0.01);
    EXPECT_LE(std::abs(static_cast<double>(got) - static_cast<double>(exact)), tolerance)
        << "p" << p << ": histogram " << got << " µs, exact " << exact << " µs";
}

TEST(HistogramLayout, EveryValueLandsInTheBucketThatBoundsIt) {
    for (std::uint64_t v : std::initializer_list<std::uint64_t>{0ull, 1ull, 127ull, 128ull, 129ull, 255ull, 256ull, 1000ull, 4095ull, 4096ull,
                            123456ull, 999999ull, 60000000ull, HistogramLayout::kMaxValue}) {
        const auto i = HistogramLayout::index_of(v);
        ASSERT_LT(i, HistogramLayout::kBuckets);
        EXPECT_LE(HistogramLayout::lower_bound(i), v) << v;
        EXPECT_GE(HistogramLayout::upper_bound(i), v) << v;
    }
    EXPECT_EQ(HistogramLayout::index_of(HistogramLayout::kMaxValue * 4), HistogramLayout::kBuckets - 1);
}

TEST(HistogramLayout, BucketsAreContiguousAndNarrowerThanOneSixtyFourth) {
    for (std::size_t i = 0; i + 1 < HistogramLayout::kBuckets; ++i) {
        ASSERT_EQ(HistogramLayout::upper_bound(i) + 1, HistogramLayout::lower_bound(i + 1)) << i;
        const auto lo = HistogramLayout::lower_bound(i);
        const auto width = HistogramLayout::upper_bound(i) - lo + 1;
        if (lo >= 128) {
            ASSERT_LE(width * 64, lo) << i;
        }
    }
}

TEST(LatencyHistogram, PercentilesAreWithinOnePercentOfExactOnKnownData) {
    // Response times shaped like a GIS site: most answers in tens of ms, a long tail of slow exports.
    std::mt19937_64 rng(42);
    std::lognormal_distribution<double> shape(std::log(40000.0), 0.9);
    std::vector<std::uint64_t> values;
    LatencyHistogram h;
    for (int i = 0; i < 200000; ++i) {
        const auto v = static_cast<std::uint64_t>(shape(rng));
        values.push_back(v);
        h.record(v);
    }
    for (double p : {0.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0, 99.9, 100.0}) {
        expect_within_one_percent(h.percentile(p), exact_percentile(values, p), p);
    }
    std::uint64_t sum = 0;
    for (auto v : values) sum += v;
    EXPECT_EQ(h.sum_micros(), sum);
    EXPECT_EQ(h.count(), values.size());
}

TEST(LatencyHistogram, SmallValuesAreExact) {
    LatencyHistogram h;
    for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
    EXPECT_EQ(h.percentile(50), 50u);
    EXPECT_EQ(h.percentile(95), 95u);
    EXPECT_EQ(h.min_micros(), 1u);
    EXPECT_EQ(h.max_micros(), 100u);
    EXPECT_DOUBLE_EQ(h.mean_micros(), 50.5);
}

TEST(LatencyHistogram, EmptyHistogramReadsAsZero) {
    LatencyHistogram h;
    EXPECT_EQ(h.count(), 0u);
    EXPECT_EQ(h.percentile(95), 0u);
    EXPECT_EQ(h.mean_micros(), 0.0);
}

TEST(LatencyHistogram, MergingPerWorkerHistogramsEqualsOneHistogramOfEverything) {
    LatencyHistogram a, b, all;
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<std::uint64_t> d(1, 5000000);
    for (int i = 0; i < 10000; ++i) {
        const auto v = d(rng);
        (i % 3 ? a : b).record(v);
        all.record(v);
    }
    a.merge(b);
    EXPECT_EQ(a, all);
}

TEST(LatencyHistogram, SubtractingAnEarlierSnapshotGivesTheInterval) {
    LatencyHistogram cumulative, interval;
    for (std::uint64_t v = 100; v < 200; ++v) cumulative.record(v);
    const LatencyHistogram before = cumulative;
    for (std::uint64_t v = 5000; v < 5100; ++v) {
        cumulative.record(v);
        interval.record(v);
    }
    LatencyHistogram delta = cumulative;
    delta.subtract(before);
    EXPECT_EQ(delta, interval);
    EXPECT_GE(delta.min_micros(), 4900u);
}

TEST(LatencyHistogram, CountAtOrBelowNeverCountsValuesAboveTheBound) {
    LatencyHistogram h;
    h.record(1000);
    h.record(1010);
    h.record(250000);
    EXPECT_EQ(h.count_at_or_below(999), 0u);
    EXPECT_EQ(h.count_at_or_below(1024), 2u);
    EXPECT_EQ(h.count_at_or_below(250000 - 5000), 2u);
    EXPECT_EQ(h.count_at_or_below(300000), 3u);
    EXPECT_EQ(h.count_at_or_below(HistogramLayout::kMaxValue), 3u);
}

TEST(LatencyHistogram, EncodeDecodeRoundTripsAndIsCompact) {
    LatencyHistogram h;
    for (std::uint64_t v : std::initializer_list<std::uint64_t>{12ull, 12ull, 340ull, 41000ull, 41500ull, 2500000ull}) h.record(v);
    const std::string bytes = h.encode();
    EXPECT_LT(bytes.size(), 32u);
    const auto back = LatencyHistogram::decode(bytes);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, h);
    EXPECT_EQ(LatencyHistogram::decode(LatencyHistogram{}.encode()).value(), LatencyHistogram{});
}

TEST(LatencyHistogram, DecodeRejectsDamagedBytes) {
    LatencyHistogram h;
    h.record(77);
    h.record(900000);
    std::string bytes = h.encode();
    EXPECT_FALSE(LatencyHistogram::decode("").has_value());
    EXPECT_FALSE(LatencyHistogram::decode(std::string(1, '\x09')).has_value());  // unknown version
    EXPECT_FALSE(LatencyHistogram::decode(bytes.substr(0, bytes.size() - 1) + "\xff").has_value());
    std::string huge_gap = std::string(1, '\x01') + '\x00' + "\xff\xff\x03" + '\x01';
    EXPECT_FALSE(LatencyHistogram::decode(huge_gap).has_value());
}

TEST(WorkerHistogram, AddToGivesWhatWasRecorded) {
    WorkerHistogram w;
    LatencyHistogram expected;
    for (std::uint64_t v = 1; v < 100000; v += 37) {
        w.record(v);
        expected.record(v);
    }
    LatencyHistogram got;
    w.add_to(got);
    EXPECT_EQ(got, expected);
    w.add_to(got);  // merging twice doubles
    EXPECT_EQ(got.count(), 2 * expected.count());
}

}  // namespace
}  // namespace gisgate::metrics
