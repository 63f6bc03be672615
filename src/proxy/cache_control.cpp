// The control plane's view of the response caches: purging (DELETE /api/v1/cache) and their /metrics
// families. A Store belongs to its worker's thread (proxy/worker_caches.hpp), so a purge runs there (posted)
// and the control thread waits for every worker's count; counters are atomics, published by each worker.
#include <fmt/format.h>

#include <future>

#include "proxy/server.hpp"

namespace gisgate::proxy {

admin::ApiResult ProxyServer::purge_cache(const std::string& prefix, const std::string& pool) {
    bool any = false;
    for (const auto& p : runtime_->config.pools) any = any || (p.cache && (pool.empty() || p.name == pool));
    if (!any) {
        const std::string message =
            pool.empty() ? "no pool has a cache" : fmt::format("pool '{}' has no cache", pool);
        return {404, {{"error", {{"code", 404}, {"message", message}}}}};
    }
    std::size_t purged = 0;
    for (std::size_t w = 0; w < workers_.size(); ++w) {
        auto done = std::make_shared<std::promise<std::size_t>>();
        auto result = done->get_future();
        // The lambda owns what it touches: if a worker were ever too slow, the control thread gives up
        // waiting but nothing dangles.
        asio::post(workers_[w]->context(), [worker = workers_[w].get(), pool, prefix, done] {
            done->set_value(worker->caches().purge(pool, prefix));
        });
        if (result.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
            return {503, {{"error", {{"code", 503}, {"message", "a worker did not answer the purge in time"}}}}};
        purged += result.get();
    }
    note_change(cluster::ChangeKind::purge, pool, "", {{"prefix", prefix}, {"pool", pool}});
    return {200, {{"purged", purged}, {"prefix", prefix}}};
}

void ProxyServer::cache_metrics(std::string& out) const {
    std::vector<std::shared_ptr<const WorkerCaches::Counters>> counters;
    for (const auto& w : workers_) counters.push_back(w->caches().counters());
    std::vector<std::string_view> pools;  // in configuration order
    for (const auto& p : runtime_->config.pools)
        if (p.cache) pools.push_back(p.name);
    if (pools.empty()) return;
    struct Family {
        const char* name;
        const char* type;
        const char* help;
        std::atomic<std::uint64_t> cache::StoreStats::*counter;
    };
    static const Family kFamilies[] = {
        {"gisgate_cache_hits_total", "counter", "requests answered from the cache", &cache::StoreStats::hits},
        {"gisgate_cache_misses_total", "counter", "cacheable requests sent to a server", &cache::StoreStats::misses},
        {"gisgate_cache_revalidated_total", "counter", "stale entries a server confirmed with 304",
         &cache::StoreStats::revalidated},
        {"gisgate_cache_coalesced_total", "counter", "misses that waited for another request's fetch",
         &cache::StoreStats::coalesced},
        {"gisgate_cache_stored_total", "counter", "responses stored", &cache::StoreStats::stored},
        {"gisgate_cache_evictions_total", "counter", "entries evicted to stay within memory",
         &cache::StoreStats::evictions},
        {"gisgate_cache_purged_total", "counter", "entries removed by the purge API", &cache::StoreStats::purged},
        {"gisgate_cache_entries", "gauge", "responses in the cache", &cache::StoreStats::entries},
        {"gisgate_cache_bytes", "gauge", "memory held by cached responses", &cache::StoreStats::bytes},
    };
    for (const auto& family : kFamilies) {
        fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", family.name, family.help,
                       family.name, family.type);
        for (const std::string_view pool : pools) {
            std::uint64_t total = 0;
            for (const auto& worker : counters)
                for (const auto& [name, stats] : *worker)
                    if (name == pool) total += ((*stats).*family.counter).load(std::memory_order_relaxed);
            fmt::format_to(std::back_inserter(out), "{}{{pool=\"{}\"}} {}\n", family.name, pool, total);
        }
    }
}

}  // namespace gisgate::proxy
