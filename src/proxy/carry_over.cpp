#include "proxy/carry_over.hpp"

#include <atomic>

#include "net/listener.hpp"

namespace gisgate::proxy {

namespace {
std::atomic<std::uint32_t> next_server_id{1};
}  // namespace

std::shared_ptr<ConnectionLimiter> CarryOver::connections() const {
    return previous_ ? previous_->connections : std::make_shared<ConnectionLimiter>();
}

std::shared_ptr<Tunnels> CarryOver::tunnels() const {
    return previous_ ? previous_->tunnels : std::make_shared<Tunnels>();
}

std::shared_ptr<balance::ServerRuntime> CarryOver::previous_server(std::string_view pool, std::string_view name) const {
    const balance::PoolRuntime* p = previous_ ? previous_->find_pool(pool) : nullptr;
    if (!p) return nullptr;
    for (const auto& s : p->servers())
        if (s->name == name) return s;
    return nullptr;
}

std::shared_ptr<balance::ServerRuntime> CarryOver::server(const config::PoolConfig& pool,
                                                          const config::ServerConfig& sc) const {
    auto old = previous_server(pool.name, sc.name);
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
        // An ejection and a ramp in progress stay too, and so do the ejection counts (/metrics counters).
        s->outlier.ejected.store(old->outlier.ejected.load());
        s->outlier.generation.store(old->outlier.generation.load());
        s->outlier.ejections_5xx.store(old->outlier.ejections_5xx.load());
        s->outlier.ejections_timeouts.store(old->outlier.ejections_timeouts.load());
        s->slow_start.window_ns.store(old->slow_start.window_ns.load());
        s->slow_start.since_ns.store(old->slow_start.since_ns.load());
        // What the auto limit learnt, if it is still the same machine (a weight or backup change).
        if (old->address.host == sc.address.host && old->address.port == sc.address.port) {
            s->adaptive = old->adaptive;
            s->adaptive_counters.limit.store(old->adaptive_counters.limit.load());
        }
    } else if (previous_ && previous_->find_pool(pool.name)) {
        // Added to a running pool (admin API or reload): it starts cold, so it slow-starts. Servers of the first
        // runtime (gisgate starting) and of a new pool take their full share at once.
        s->slow_start.begin(balance::SlowStartClock::now(), pool.slow_start);
    }
    return s;
}

std::shared_ptr<balance::WaitQueue> CarryOver::queue(std::string_view pool) const {
    const balance::PoolRuntime* p = previous_ ? previous_->find_pool(pool) : nullptr;
    return p ? p->wait_queue() : nullptr;
}

std::shared_ptr<gis::JobTable> CarryOver::table(const Tables Runtime::*tables, std::string_view pool,
                                                const config::JobAffinityConfig& limits) const {
    if (previous_) {
        const Tables& previous = previous_->*tables;
        const auto it = previous.find(pool);
        if (it != previous.end()) {
            it->second->set_limits(limits);
            return it->second;
        }
    }
    return std::make_shared<gis::JobTable>(limits);
}

std::shared_ptr<gis::JobTable> CarryOver::job_table(const config::PoolConfig& pool) const {
    return table(&Runtime::job_tables, pool.name, pool.job_affinity);
}

std::shared_ptr<gis::JobTable> CarryOver::upload_table(const config::PoolConfig& pool) const {
    return table(&Runtime::upload_tables, pool.name, pool.upload_affinity);
}

}  // namespace gisgate::proxy
