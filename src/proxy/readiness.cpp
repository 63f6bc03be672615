#include "proxy/readiness.hpp"

#include <algorithm>

#include "balance/pool.hpp"
#include "proxy/runtime.hpp"

namespace gisgate::proxy {

namespace {

bool admits_everyone(const config::ListenerConfig& listener) {
    return std::any_of(listener.allow.begin(), listener.allow.end(),
                       [](const config::Cidr& c) { return c.to_string().ends_with("/0"); });
}

void add_once(std::vector<std::string>& pools, const std::string& name) {
    if (!name.empty() && std::find(pools.begin(), pools.end(), name) == pools.end()) pools.push_back(name);
}

}  // namespace

std::vector<std::string> public_pools(const config::Config& config) {
    const bool any_public = std::any_of(config.listeners.begin(), config.listeners.end(), admits_everyone);
    std::vector<std::string> pools;
    for (const auto& listener : config.listeners) {
        if (any_public && !admits_everyone(listener)) continue;
        if (listener.mode == config::ListenerMode::tcp) add_once(pools, listener.pool);
        for (const auto& route : listener.routes) add_once(pools, route.pool);
    }
    return pools;
}

nlohmann::json Readiness::to_json() const {
    return {{"ready", ready}, {"reasons", reasons}, {"pools_checked", pools}};
}

Readiness readiness(const Runtime& runtime, std::size_t listeners_bound, bool stopping) {
    Readiness r;
    if (stopping) r.reasons.push_back("stopping: draining connections before exit");
    const std::size_t listeners = runtime.config.listeners.size();
    if (listeners_bound < listeners)
        r.reasons.push_back("listeners: " + std::to_string(listeners_bound) + " of " + std::to_string(listeners) +
                            " bound");
    r.pools = public_pools(runtime.config);
    for (const auto& name : r.pools) {
        const balance::PoolRuntime* pool = runtime.find_pool(name);
        if (!pool) {
            r.reasons.push_back("pool " + name + ": not in the running config");
            continue;
        }
        const auto servers = pool->servers();
        const bool serving = std::any_of(servers.begin(), servers.end(),
                                         [](const auto& s) { return balance::may_serve(*s); });
        if (serving) continue;
        std::string states;
        for (const auto& s : servers) {
            if (!states.empty()) states += ", ";
            states += s->name + " " + balance::to_string(s->state());
            if (s->weight == 0) states += " (weight 0)";
        }
        r.reasons.push_back("pool " + name + ": no server up (" + (states.empty() ? "no servers" : states) + ")");
    }
    r.ready = r.reasons.empty();
    return r;
}

}  // namespace gisgate::proxy
