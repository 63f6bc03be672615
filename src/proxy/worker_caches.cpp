#include "proxy/worker_caches.hpp"

namespace gisgate::proxy {

void WorkerCaches::sync(const Runtime& runtime) {
    std::map<std::string, std::shared_ptr<cache::Store>, std::less<>> kept;
    auto counters = std::make_shared<Counters>();
    for (const auto& pool : runtime.config.pools) {
        if (!pool.cache) continue;
        const std::uint64_t share = pool.cache->memory / workers_;
        std::shared_ptr<cache::Store> store;
        if (const auto it = stores_.find(pool.name); it != stores_.end()) {
            store = std::move(it->second);
            store->set_limits(share, pool.cache->max_object);
        } else {
            store = std::make_shared<cache::Store>(share, pool.cache->max_object);
        }
        counters->emplace_back(pool.name, store->shared_stats());
        kept.emplace(pool.name, std::move(store));
    }
    stores_ = std::move(kept);
    counters_.publish(std::move(counters));
}

std::shared_ptr<cache::Store> WorkerCaches::find(std::string_view pool) const {
    const auto it = stores_.find(pool);
    return it == stores_.end() ? nullptr : it->second;
}

std::size_t WorkerCaches::purge(std::string_view pool, std::string_view prefix) {
    std::size_t n = 0;
    for (auto& [name, store] : stores_)
        if (pool.empty() || name == pool) n += store->purge_prefix(prefix);
    return n;
}

}  // namespace gisgate::proxy
