// DiscoveryMonitor: one loop on the control thread reads every pool's catalog in turn, then publishes a new
// immutable ServiceMap that workers pick up through a util::Snapshot (one atomic load while it is unchanged).
// What a pool last listed is remembered by pool name, so a reload (new PoolRuntimes) or a pool that cannot be
// read for a while keeps its services.
#include "gis/discovery.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <optional>

#include "gis/catalog.hpp"
#include "gis/catalog_loop.hpp"
#include "gis/catalog_request.hpp"
#include "util/snapshot.hpp"

namespace gisgate::gis {
namespace {

using Clock = std::chrono::steady_clock;

// Servers tried per pool and round when a read fails (the next one may answer; more would only delay the
// other pools behind a sick cluster).
constexpr std::size_t kMaxAttemptsPerPool = 2;

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// What discovery knows about one pool, by pool name.
struct PoolServices {
    std::map<std::string, std::string> services;  // lower-cased "folder/service" → the name as listed (logs)
    bool known = false;                            // read successfully at least once
    bool failing = false;                          // the last read failed (logged once per streak)
};

struct State {
    std::map<std::string, PoolServices> pools;  // control thread
    // Published by the control thread, read by workers (current()).
    util::Snapshot<ServiceMap> current;
    std::atomic<std::uint64_t> rounds{0};
};

// One running discovery loop; watch() replaces it, stop() ends it (whatever it is waiting on).
using Loop = CatalogLoop;

void publish(State& state, const std::vector<std::shared_ptr<balance::PoolRuntime>>& pools) {
    auto map = std::make_shared<ServiceMap>();
    for (const auto& pool : pools) {
        const auto it = state.pools.find(pool->name());
        if (it == state.pools.end()) continue;
        for (const auto& [key, name] : it->second.services) {
            std::vector<std::string>& hosts = map->pools_by_service[key];
            if (std::find(hosts.begin(), hosts.end(), pool->name()) == hosts.end()) hosts.push_back(pool->name());
        }
    }
    state.current.publish(std::move(map));
}

// Records what `pool` lists now and logs what changed.
void apply(State& state, const std::string& pool, const Catalog& catalog, const std::string& server) {
    std::map<std::string, std::string> services;
    for (const CatalogEntry& e : catalog.services) services.emplace(lower(e.name), e.name);  // types ignored

    PoolServices& known = state.pools[pool];
    if (known.failing) spdlog::info("discovery: catalog of pool {} readable again (server {})", pool, server);
    if (!known.known) {
        spdlog::info("discovery: pool {} lists {} services (server {})", pool, services.size(), server);
    } else {
        for (const auto& [key, name] : services)
            if (known.services.count(key) == 0) spdlog::info("discovery: {} now on pool {}", name, pool);
        for (const auto& [key, name] : known.services)
            if (services.count(key) == 0) spdlog::info("discovery: {} no longer on pool {}", name, pool);
    }
    known.services = std::move(services);
    known.known = true;
    known.failing = false;
}

// An up server, else a healthy one (a drained server still answers catalog reads), in config order.
std::vector<std::shared_ptr<balance::ServerRuntime>> candidates(const balance::PoolRuntime& pool) {
    std::vector<std::shared_ptr<balance::ServerRuntime>> out;
    for (const auto& s : pool.servers())
        if (balance::may_serve(*s)) out.push_back(s);
    for (const auto& s : pool.servers())
        if (!balance::may_serve(*s) && s->healthy.load(std::memory_order_relaxed)) out.push_back(s);
    return out;
}

awaitable<void> read_pool(State& state, Loop& loop, const balance::PoolRuntime& pool) {
    const auto servers = candidates(pool);
    if (servers.empty()) {
        spdlog::debug("discovery: pool {} has no server up; keeping its last known services", pool.name());
        co_return;
    }
    std::string errors;
    std::string error;
    for (std::size_t i = 0; i < servers.size() && i < kMaxAttemptsPerPool; ++i) {
        CatalogRequest request = catalog_request(*servers[i], pool.config(), /*with_descriptions=*/false);
        request.tls = pool.tls();
        request.cancel = loop.cancel;
        std::optional<Catalog> catalog = co_await fetch_catalog(std::move(request), error);
        if (loop.stopped) co_return;
        if (catalog) {
            apply(state, pool.name(), *catalog, servers[i]->name);
            co_return;
        }
        if (!errors.empty()) errors += "; ";
        errors += servers[i]->name + ": " + error;
    }
    PoolServices& known = state.pools[pool.name()];
    if (!known.failing)
        spdlog::warn("discovery: cannot read the catalog of pool {} ({}); keeping its last known services",
                     pool.name(), errors);
    known.failing = true;
}

awaitable<void> discovery_loop(std::shared_ptr<State> state, std::shared_ptr<Loop> loop,
                               std::vector<std::shared_ptr<balance::PoolRuntime>> pools,
                               std::chrono::milliseconds every) {
    try {
        while (!loop->stopped) {
            const Clock::time_point started = Clock::now();
            for (const auto& pool : pools) {
                co_await read_pool(*state, *loop, *pool);
                if (loop->stopped) co_return;
            }
            publish(*state, pools);
            state->rounds.fetch_add(1, std::memory_order_relaxed);

            // Every `every` from the start of a round; a round slower than that starts the next one at once.
            loop->timer.expires_at(std::max(started + every, Clock::now()));
            error_code ec;
            co_await loop->timer.async_wait(asio::redirect_error(use_awaitable, ec));
        }
    } catch (const std::exception& e) {
        spdlog::error("discovery loop ended: {}", e.what());
    }
}

}  // namespace

const std::vector<std::string>* ServiceMap::find(std::string_view folder, std::string_view service) const {
    const std::string key = folder.empty() ? lower(service) : lower(folder) + "/" + lower(service);
    const auto it = pools_by_service.find(key);
    return it == pools_by_service.end() ? nullptr : &it->second;
}

struct DiscoveryMonitor::Impl {
    explicit Impl(asio::io_context& c) : control(c), state(std::make_shared<State>()) {}

    void stop_loop() {
        if (!loop) return;
        loop->stop();
        loop.reset();
    }

    asio::io_context& control;
    std::shared_ptr<State> state;  // shared with the loop, which may outlive a stop() by one wake-up
    std::shared_ptr<Loop> loop;
};

DiscoveryMonitor::DiscoveryMonitor(asio::io_context& control) : impl_(std::make_unique<Impl>(control)) {}

DiscoveryMonitor::~DiscoveryMonitor() { stop(); }

void DiscoveryMonitor::watch(const std::vector<std::shared_ptr<balance::PoolRuntime>>& pools,
                             std::chrono::milliseconds every) {
    impl_->stop_loop();
    State& state = *impl_->state;
    if (pools.empty() || every <= std::chrono::milliseconds::zero()) {
        // Discovery off: routes fall back to their own pool rather than to stale knowledge.
        state.pools.clear();
        publish(state, {});
        return;
    }
    // Pools gone from the config leave the map now; the others keep what they listed until read again.
    std::erase_if(state.pools, [&](const auto& entry) {
        return std::none_of(pools.begin(), pools.end(), [&](const auto& p) { return p->name() == entry.first; });
    });
    publish(state, pools);
    impl_->loop = std::make_shared<Loop>(impl_->control.get_executor());
    asio::co_spawn(impl_->control, discovery_loop(impl_->state, impl_->loop, pools, every), asio::detached);
}

void DiscoveryMonitor::stop() { impl_->stop_loop(); }

std::shared_ptr<const ServiceMap> DiscoveryMonitor::current() const { return impl_->state->current.load(); }

std::uint64_t DiscoveryMonitor::rounds() const { return impl_->state->rounds.load(std::memory_order_relaxed); }

}  // namespace gisgate::gis
