// Balancer pick + slot accounting, the per-request cost of choosing a server.
#include <benchmark/benchmark.h>

#include "balance/pool.hpp"

namespace {

using namespace gisgate::balance;

std::shared_ptr<PoolRuntime> make_pool(gisgate::config::BalanceAlgorithm algorithm, std::uint32_t max_active) {
    gisgate::config::PoolConfig pc;
    pc.name = "gis";
    pc.balance = algorithm;
    pc.max_active_per_server = max_active;
    std::vector<std::shared_ptr<ServerRuntime>> servers;
    for (std::uint32_t i = 0; i < 3; ++i) {
        auto s = std::make_shared<ServerRuntime>();
        s->id = i + 1;
        s->name = "s" + std::to_string(i);
        s->weight = i + 1;
        servers.push_back(s);
    }
    return std::make_shared<PoolRuntime>(pc, servers, 1);
}

void BM_AcquireRelease(benchmark::State& state, gisgate::config::BalanceAlgorithm algorithm, std::uint32_t limit) {
    auto pool = make_pool(algorithm, limit);
    TriedSet none;
    for (auto _ : state) {
        auto r = pool->try_acquire(0, none);
        benchmark::DoNotOptimize(r.server);
        pool->release(r.server);
    }
}

BENCHMARK_CAPTURE(BM_AcquireRelease, round_robin, gisgate::config::BalanceAlgorithm::round_robin, 0);
BENCHMARK_CAPTURE(BM_AcquireRelease, round_robin_throttled, gisgate::config::BalanceAlgorithm::round_robin, 8);
BENCHMARK_CAPTURE(BM_AcquireRelease, least_conn, gisgate::config::BalanceAlgorithm::least_conn, 0);

}  // namespace
