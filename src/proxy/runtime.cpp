#include "proxy/runtime.hpp"

#include <algorithm>

#include "http/path.hpp"
#include "net/buffer_pool.hpp"
#include "net/listener.hpp"
#include "proxy/carry_over.hpp"

namespace gisgate::proxy {

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

gis::JobTable* Runtime::upload_table(std::string_view pool) const {
    auto it = upload_tables.find(pool);
    return it == upload_tables.end() ? nullptr : it->second.get();
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


std::shared_ptr<const Runtime> build_runtime(config::Config config, const Runtime* previous,
                                             balance::ServerEvents* events, const gis::DiscoveryMonitor* discovery) {
    const CarryOver carried(previous);
    auto rt = std::make_shared<Runtime>();
    rt->config = std::move(config);
    rt->events = events;
    rt->discovery = discovery;
    rt->generation = carried.generation();
    rt->connections = carried.connections();
    rt->tunnels = carried.tunnels();
    if (rt->config.cluster && !rt->config.cluster->peers.empty()) {
        auto peers = std::make_shared<cluster::PeerDirectory>();
        const auto* before = previous && previous->peers ? previous->peers.get() : nullptr;
        const auto* old_cluster = previous && previous->config.cluster ? &*previous->config.cluster : nullptr;
        // Resolved again only when the peers changed (a reload or an added server keeps them).
        const auto& now_peers = rt->config.cluster->peers;
        const bool same = before && old_cluster && old_cluster->peers.size() == now_peers.size() &&
                          std::equal(now_peers.begin(), now_peers.end(), old_cluster->peers.begin(),
                                     [](const config::ClusterPeerConfig& a, const config::ClusterPeerConfig& b) {
                                         return a.name == b.name && a.admin.to_string() == b.admin.to_string();
                                     });
        peers->peers = same ? before->peers : cluster::resolve_peers(*rt->config.cluster);
        peers->timeout = rt->config.cluster->job_lookup_timeout;
        peers->stats = before ? before->stats : std::make_shared<cluster::LookupStats>();
        rt->peers = std::move(peers);
    }
    const unsigned workers = std::max(1u, rt->config.workers);

    for (const auto& pool_config : rt->config.pools) {
        std::vector<std::shared_ptr<balance::ServerRuntime>> servers;
        for (const auto& sc : pool_config.servers) servers.push_back(carried.server(pool_config, sc));
        rt->pools.push_back(std::make_shared<balance::PoolRuntime>(pool_config, std::move(servers), workers,
                                                                   carried.queue(pool_config.name)));
        if (pool_config.tls.enabled) rt->pools.back()->set_tls(net::TlsClient::build(pool_config.tls));
        rt->job_tables.emplace(pool_config.name, carried.job_table(pool_config));
        rt->upload_tables.emplace(pool_config.name, carried.upload_table(pool_config));
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
        if (lc.tls) lr.tls = net::TlsServer::build(*lc.tls, lc.bind, lc.name, lc.http2);
        if (lc.mode == config::ListenerMode::tcp) lr.pool = rt->find_pool(lc.pool);
        rt->listeners.push_back(std::move(lr));
    }
    return rt;
}

}  // namespace gisgate::proxy
