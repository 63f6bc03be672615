#include "proxy/runtime.hpp"

#include <algorithm>
#include <atomic>

#include "http/path.hpp"
#include "net/buffer_pool.hpp"
#include "net/listener.hpp"

namespace gisgate::proxy {

namespace {
std::atomic<std::uint32_t> next_server_id{1};
}

const RouteRuntime* ListenerRuntime::route_for(std::string_view path, const gis::Classification& gis) const {
    for (const auto& route : routes) {
        const auto& rc = *route.config;
        if (!rc.prefix.empty() && !http::has_segment_prefix(path, rc.prefix)) continue;
        if (rc.services.empty()) return &route;
        if (gis.kind != gis::TrafficKind::service || gis.service.empty()) continue;
        for (const auto& glob : rc.services)
            if (gis::service_glob_match(glob, gis.folder, gis.service)) return &route;
    }
    return nullptr;
}

gis::JobTable* Runtime::job_table(std::string_view pool) const {
    auto it = job_tables.find(pool);
    return it == job_tables.end() ? nullptr : it->second.get();
}

cache::Store* Runtime::cache_store(std::string_view pool, unsigned worker) const {
    auto it = caches.find(pool);
    if (it == caches.end() || worker >= it->second->per_worker.size()) return nullptr;
    return it->second->per_worker[worker].get();
}

balance::PoolRuntime* Runtime::find_pool(std::string_view name) const {
    for (const auto& p : pools)
        if (p->name() == name) return p.get();
    return nullptr;
}

const ListenerRuntime* Runtime::find_listener(std::string_view name) const {
    for (const auto& l : listeners)
        if (l.config->name == name) return &l;
    return nullptr;
}

namespace {

std::shared_ptr<balance::ServerRuntime> previous_server(const Runtime* previous, const std::string& pool,
                                                        const std::string& server) {
    if (!previous) return nullptr;
    const balance::PoolRuntime* p = previous->find_pool(pool);
    if (!p) return nullptr;
    for (const auto& s : p->servers())
        if (s->name == server) return s;
    return nullptr;
}

std::shared_ptr<balance::ServerRuntime> make_server(const config::PoolConfig& pool, const config::ServerConfig& sc,
                                                    const Runtime* previous) {
    auto old = previous_server(previous, pool.name, sc.name);
    if (old && old->address.host == sc.address.host && old->address.port == sc.address.port &&
        old->weight == sc.weight && old->backup == sc.backup)
        return old;  // unchanged: the same object, with its counters and states
    auto s = std::make_shared<balance::ServerRuntime>();
    s->id = next_server_id.fetch_add(1);
    s->name = sc.name;
    s->pool_name = pool.name;
    s->address = sc.address;
    s->endpoints = net::resolve(sc.address);
    s->weight = sc.weight;
    s->backup = sc.backup;
    if (old) {  // changed settings: a new object, but an administrator's drain/maint and health stay
        s->admin.store(old->admin.load());
        s->healthy.store(old->healthy.load());
        s->health = old->health;
    }
    return s;
}

}  // namespace

std::shared_ptr<const Runtime> build_runtime(config::Config config, const Runtime* previous,
                                             balance::ServerEvents* events, const gis::DiscoveryMonitor* discovery) {
    auto rt = std::make_shared<Runtime>();
    rt->config = std::move(config);
    rt->events = events;
    rt->discovery = discovery;
    rt->generation = previous ? previous->generation + 1 : 0;
    rt->connections = previous ? previous->connections : std::make_shared<ConnectionLimiter>();
    const unsigned workers = std::max(1u, rt->config.workers);

    for (const auto& pool_config : rt->config.pools) {
        std::vector<std::shared_ptr<balance::ServerRuntime>> servers;
        for (const auto& sc : pool_config.servers) servers.push_back(make_server(pool_config, sc, previous));
        const balance::PoolRuntime* old_pool = previous ? previous->find_pool(pool_config.name) : nullptr;
        rt->pools.push_back(std::make_shared<balance::PoolRuntime>(pool_config, std::move(servers), workers,
                                                                   old_pool ? old_pool->wait_queue() : nullptr));
        if (pool_config.tls.enabled) rt->pools.back()->set_tls(net::TlsClient::build(pool_config.tls));
        std::shared_ptr<gis::JobTable> table;
        if (previous) {
            auto it = previous->job_tables.find(pool_config.name);
            if (it != previous->job_tables.end()) table = it->second;
        }
        if (table) table->set_limits(pool_config.job_affinity);
        else table = std::make_shared<gis::JobTable>(pool_config.job_affinity);
        rt->job_tables.emplace(pool_config.name, std::move(table));

        if (pool_config.cache) {
            const std::uint64_t share = pool_config.cache->memory / workers;
            std::shared_ptr<PoolCache> cache;
            if (previous) {
                auto it = previous->caches.find(pool_config.name);
                if (it != previous->caches.end() && it->second->per_worker.size() == workers) cache = it->second;
            }
            if (cache) {
                for (auto& store : cache->per_worker) store->set_limits(share, pool_config.cache->max_object);
            } else {
                cache = std::make_shared<PoolCache>();
                for (unsigned w = 0; w < workers; ++w)
                    cache->per_worker.push_back(std::make_unique<cache::Store>(share, pool_config.cache->max_object));
            }
            rt->caches.emplace(pool_config.name, std::move(cache));
        }
    }

    for (const auto& lc : rt->config.listeners) {
        ListenerRuntime lr;
        lr.config = &lc;
        for (const auto& route : lc.routes) lr.routes.push_back({&route, rt->find_pool(route.pool)});
        // A head must fit one I/O block; the configured limits can only be lower.
        const auto block = static_cast<std::uint32_t>(net::BufferPool::kBlockSize);
        lr.limits.max_header_size = std::min(rt->config.limits.max_header_size, block);
        lr.limits.max_request_line = std::min(rt->config.limits.max_request_line, lr.limits.max_header_size);
        lr.limits.max_headers = rt->config.limits.max_headers;
        if (lc.tls) lr.tls = net::TlsServer::build(*lc.tls, lc.bind, lc.name);
        if (lc.mode == config::ListenerMode::tcp) lr.pool = rt->find_pool(lc.pool);
        rt->listeners.push_back(std::move(lr));
    }
    return rt;
}

}  // namespace gisgate::proxy
