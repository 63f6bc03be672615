// Recording a response time into a worker's latency histogram, and a whole request into a worker's statistics
// (service and pool/server keys): done once per request on the hot path.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "metrics/histogram.hpp"
#include "metrics/stats_table.hpp"

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

// One request's statistics with 50 services already known (the steady state: two index lookups, no allocation).
void BM_WorkerStatsRecord(benchmark::State& state) {
    gisgate::metrics::ServiceRegistry registry(200);
    gisgate::metrics::WorkerStats stats(registry);
    std::vector<std::string> names;
    for (int i = 0; i < 50; ++i) names.push_back("Service" + std::to_string(i));
    gisgate::metrics::RequestRecord r;
    r.kind = gisgate::metrics::Kind::service;
    r.folder = "Maps";
    r.type = "MapServer";
    r.pool = "gis";
    r.server = "site-a";
    r.status = 200;
    r.bytes_in = 420;
    r.bytes_out = 35000;
    for (const auto& n : names) {
        r.service = n;
        stats.record(r);
    }
    std::size_t i = 0;
    for (auto _ : state) {
        r.service = names[i++ % names.size()];
        r.micros = 1000 + (i & 1023) * 37;
        stats.record(r);
    }
    benchmark::DoNotOptimize(&stats);
}
BENCHMARK(BM_WorkerStatsRecord);

}  // namespace
