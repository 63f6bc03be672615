// Recording a response time into a worker's latency histogram: done once per request on the hot path.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "metrics/histogram.hpp"

namespace {

void BM_WorkerHistogramRecord(benchmark::State& state) {
    gisgate::metrics::WorkerHistogram histogram;
    std::mt19937_64 rng(1);
    std::lognormal_distribution<double> shape(10.5, 1.0);  // ~40 ms median, long tail
    std::vector<std::uint64_t> values(4096);
    for (auto& v : values) v = static_cast<std::uint64_t>(shape(rng));
    std::size_t i = 0;
    for (auto _ : state) {
        histogram.record(values[i++ & 4095]);
    }
    benchmark::DoNotOptimize(&histogram);
}
BENCHMARK(BM_WorkerHistogramRecord);

void BM_HistogramMergeAndP95(benchmark::State& state) {
    gisgate::metrics::WorkerHistogram a, b;
    for (std::uint64_t v = 1; v < 2000000; v += 97) {
        a.record(v);
        b.record(v / 2);
    }
    for (auto _ : state) {
        gisgate::metrics::LatencyHistogram merged;
        a.add_to(merged);
        b.add_to(merged);
        benchmark::DoNotOptimize(merged.percentile(95));
    }
}
BENCHMARK(BM_HistogramMergeAndP95);

}  // namespace
