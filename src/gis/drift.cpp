// DriftMonitor: one loop per `expect_identical` pool reads each candidate server's catalog with description
// hashes, compares them (drift_compare), logs changes and, with `on_drift: drain`, drains the odd servers out.
//
// Drain rules, so the monitor never makes things worse than the drift it reacts to:
// - only a decisive difference (against a real majority, not a tie) drains;
// - never the last usable server of the pool, and if the pool has no usable server left (the others went down
//   since), one server drained for drift is put back, checked every second rather than every round;
// - only servers this monitor drained are ever undone, and a server an administrator changed since is
//   theirs again.
// State is kept by pool name + server name, so reloads (new PoolRuntimes, same servers) keep it.
#include "gis/drift.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <optional>
#include <set>

#include "gis/catalog.hpp"
#include "gis/catalog_loop.hpp"
#include "gis/catalog_request.hpp"
#include "gis/drift_compare.hpp"
#include "gis/token_drift.hpp"

namespace gisgate::gis {
namespace {

using Clock = std::chrono::steady_clock;
using balance::AdminState;
using balance::ServerRuntime;

// How often, between comparison rounds, the loop makes sure its drains have not left the pool without a
// usable server.
constexpr std::chrono::milliseconds kGuardEvery{1000};
// Differences quoted in one log line.
constexpr std::size_t kLoggedDifferences = 5;

struct ServerStatus {
    bool drifting = false;
    ServerDrift drift;            // the last comparison that found it differing
    bool drained_by_us = false;   // we set admin=drain; we set it back
    bool admin_override = false;  // an administrator changed a server we had drained: not ours until it matches
    bool last_server_warned = false;
};

struct PoolStatus {
    std::map<std::string, ServerStatus> servers;  // by server name
};

struct DriftState {
    std::map<std::string, PoolStatus> pools;  // by pool name
    DriftReport report;
    std::uint64_t rounds = 0;
};

using Loop = CatalogLoop;

std::string summary(const ServerDrift& drift) {
    std::string out;
    for (std::size_t i = 0; i < drift.differences.size() && i < kLoggedDifferences; ++i) {
        if (i > 0) out += "; ";
        out += drift.differences[i];
    }
    if (drift.count > kLoggedDifferences) out += fmt::format("; ... {} differences in all", drift.count);
    return out;
}

// Sets a server we drained back to ready, unless an administrator changed it meanwhile.
void undrain(const std::string& pool, ServerRuntime& server, ServerStatus& status, const char* why) {
    if (!status.drained_by_us) return;
    status.drained_by_us = false;
    AdminState expected = AdminState::drain;
    if (server.admin.compare_exchange_strong(expected, AdminState::ready))
        spdlog::info("drift: pool {}: server {} back in service ({})", pool, server.name, why);
}

// An administrator who set a server we drained to ready or maint takes it over.
void notice_admin_changes(const balance::PoolRuntime& pool, PoolStatus& ps) {
    for (const auto& server : pool.servers()) {
        ServerStatus& status = ps.servers[server->name];
        if (status.drained_by_us && server->admin.load() != AdminState::drain) {
            status.drained_by_us = false;
            status.admin_override = true;
            spdlog::info("drift: pool {}: server {} was changed by an administrator; drift will not drain it again "
                         "until it matches",
                         pool.name(), server->name);
        }
    }
}

std::size_t usable_count(const balance::PoolRuntime& pool, const ServerRuntime* except = nullptr) {
    std::size_t n = 0;
    for (const auto& s : pool.servers())
        if (s.get() != except && balance::may_serve(*s)) ++n;
    return n;
}

// If our drains left the pool with no usable server, a drifting server is better than none: puts the first
// healthy one back.
void keep_one_usable(const balance::PoolRuntime& pool, PoolStatus& ps) {
    notice_admin_changes(pool, ps);
    if (usable_count(pool) > 0) return;
    for (const auto& server : pool.servers()) {
        ServerStatus& status = ps.servers[server->name];
        if (!status.drained_by_us || !server->healthy.load() || server->weight == 0) continue;
        spdlog::warn("drift: pool {}: no other server can serve, so drifting server {} serves again", pool.name(),
                     server->name);
        undrain(pool.name(), *server, status, "last usable server");
        return;
    }
}

void apply_policy(const balance::PoolRuntime& pool, PoolStatus& ps) {
    const config::PoolConfig& config = pool.config();
    if (config.on_drift != config::OnDrift::drain) {
        for (const auto& server : pool.servers())
            undrain(pool.name(), *server, ps.servers[server->name], "on_drift: warn");
        return;
    }
    notice_admin_changes(pool, ps);
    for (const auto& server : pool.servers()) {
        ServerStatus& status = ps.servers[server->name];
        const bool should_drain = status.drifting && status.drift.decisive;
        if (!status.drifting) {
            status.admin_override = false;
            status.last_server_warned = false;
        }
        if (!should_drain) {
            undrain(pool.name(), *server, status, status.drifting ? "no majority to differ from" : "matches again");
            continue;
        }
        if (status.drained_by_us || status.admin_override || server->admin.load() != AdminState::ready) continue;
        if (usable_count(pool, server.get()) == 0) {
            if (!status.last_server_warned)
                spdlog::warn("drift: pool {}: server {} differs but is the last usable server; not draining it",
                             pool.name(), server->name);
            status.last_server_warned = true;
            continue;
        }
        status.last_server_warned = false;
        AdminState expected = AdminState::ready;
        if (server->admin.compare_exchange_strong(expected, AdminState::drain)) {
            status.drained_by_us = true;
            spdlog::warn("drift: pool {}: draining server {} until it matches the others (on_drift: drain)",
                         pool.name(), server->name);
        }
    }
    keep_one_usable(pool, ps);
}

void rebuild_report(DriftState& state) {
    state.report.clear();
    for (const auto& [pool, ps] : state.pools)
        for (const auto& [server, status] : ps.servers)
            if (status.drifting) state.report[pool][server] = status.drift.differences;
}

// Servers compared: up ones, and those we drained for drift (they must be able to match again).
std::vector<std::shared_ptr<ServerRuntime>> drift_candidates(const balance::PoolRuntime& pool, PoolStatus& ps) {
    std::vector<std::shared_ptr<ServerRuntime>> out;
    for (const auto& s : pool.servers()) {
        if (!s->healthy.load()) continue;
        const AdminState admin = s->admin.load();
        if (admin == AdminState::ready || (admin == AdminState::drain && ps.servers[s->name].drained_by_us))
            out.push_back(s);
    }
    return out;
}

awaitable<void> check_pool(DriftState& state, Loop& loop, const balance::PoolRuntime& pool) {
    const auto servers = drift_candidates(pool, state.pools[pool.name()]);
    std::vector<std::pair<std::string, Catalog>> readable;
    std::string error;
    for (const auto& server : servers) {
        CatalogRequest request = catalog_request(*server, pool.config(), /*with_descriptions=*/true);
        request.tls = pool.tls();
        request.cancel = loop.cancel;
        std::optional<Catalog> catalog = co_await fetch_catalog(std::move(request), error);
        if (loop.stopped) co_return;
        if (catalog) readable.emplace_back(server->name, std::move(*catalog));
        else
            spdlog::debug("drift: pool {}: cannot read the catalog of server {}: {}", pool.name(), server->name,
                          error);
    }

    // With `drift_token`, the servers must also accept each other's tokens (one shared token key).
    std::map<std::string, TokenDrift> token_drifts;
    std::set<std::string> token_checked;
    if (!pool.config().drift_token_username.empty() && servers.size() >= 2) {
        std::vector<TokenCheckServer> checked;
        for (const auto& server : servers) {
            TokenCheckServer t{server->name, catalog_request(*server, pool.config(), /*with_descriptions=*/false)};
            t.request.tls = pool.tls();
            t.request.cancel = loop.cancel;
            checked.push_back(std::move(t));
            token_checked.insert(server->name);
        }
        token_drifts = co_await check_token_keys(std::move(checked), pool.config().drift_token_username,
                                                 pool.config().drift_token_password);
        if (loop.stopped) co_return;
    }

    PoolStatus& ps = state.pools[pool.name()];  // looked up again: watch() may have changed the map meanwhile
    if (readable.size() >= 2 || !token_drifts.empty()) {
        std::vector<std::pair<std::string, const Catalog*>> compared;
        for (const auto& [name, catalog] : readable) compared.emplace_back(name, &catalog);
        std::map<std::string, ServerDrift> drifts =
            readable.size() >= 2 ? compare_catalogs(compared) : std::map<std::string, ServerDrift>{};
        for (auto& [name, token] : token_drifts) {
            ServerDrift& d = drifts[name];
            d.differences.push_back(std::move(token.difference));
            ++d.count;
            d.decisive = d.decisive || token.decisive;
        }
        // Every server compared this round: the readable ones, and those the token check reached.
        std::set<std::string> names(token_checked);
        for (const auto& [name, catalog] : readable) names.insert(name);
        if (readable.size() < 2)  // no catalog comparison: only the token check speaks
            names = token_checked;
        for (const auto& name : names) {
            ServerStatus& status = ps.servers[name];
            const auto it = drifts.find(name);
            if (it == drifts.end()) {
                if (status.drifting)
                    spdlog::info("drift: pool {}: server {} matches the others again", pool.name(), name);
                status.drifting = false;
                status.drift = {};
                continue;
            }
            if (!status.drifting)
                spdlog::warn("drift: pool {}: server {} differs from the others: {}", pool.name(), name,
                             summary(it->second));
            else if (status.drift.differences != it->second.differences)
                spdlog::warn("drift: pool {}: server {} now differs: {}", pool.name(), name, summary(it->second));
            status.drifting = true;
            status.drift = std::move(it->second);
        }
    } else {
        spdlog::debug("drift: pool {}: {} readable server(s), nothing to compare", pool.name(), readable.size());
    }
    apply_policy(pool, ps);
    rebuild_report(state);
}

awaitable<void> drift_loop(std::shared_ptr<DriftState> state, std::shared_ptr<Loop> loop,
                           std::shared_ptr<balance::PoolRuntime> pool) {
    try {
        const std::chrono::milliseconds every =
            std::max(pool->config().drift_check_every, std::chrono::milliseconds(1));
        while (!loop->stopped) {
            const Clock::time_point started = Clock::now();
            co_await check_pool(*state, *loop, *pool);
            if (loop->stopped) break;
            ++state->rounds;

            const Clock::time_point next = std::max(started + every, Clock::now());
            while (!loop->stopped && Clock::now() < next) {
                loop->timer.expires_at(std::min(next, Clock::now() + kGuardEvery));
                error_code ec;
                co_await loop->timer.async_wait(asio::redirect_error(use_awaitable, ec));
                if (loop->stopped) break;
                if (pool->config().on_drift == config::OnDrift::drain)
                    keep_one_usable(*pool, state->pools[pool->name()]);
            }
        }
    } catch (const std::exception& e) {
        spdlog::error("drift check loop for pool {} ended: {}", pool->name(), e.what());
    }
}

}  // namespace

struct DriftMonitor::Impl {
    explicit Impl(asio::io_context& c) : control(c), state(std::make_shared<DriftState>()) {}
    asio::io_context& control;
    std::shared_ptr<DriftState> state;
    std::map<std::string, std::shared_ptr<Loop>> loops;  // by pool name
};

DriftMonitor::DriftMonitor(asio::io_context& control) : impl_(std::make_unique<Impl>(control)) {}

DriftMonitor::~DriftMonitor() { stop(); }

void DriftMonitor::watch(const std::vector<std::shared_ptr<balance::PoolRuntime>>& pools) {
    DriftState& state = *impl_->state;
    for (auto& [name, loop] : impl_->loops) loop->stop();
    impl_->loops.clear();

    std::set<std::string> watched;
    for (const auto& pool : pools) {
        const bool identical = pool->config().expect_identical;
        const auto known = state.pools.find(pool->name());
        if (known != state.pools.end()) {
            PoolStatus& ps = known->second;
            // Servers gone from the pool are forgotten; with the policy off, our drains are undone now.
            std::erase_if(ps.servers, [&](const auto& entry) { return pool->find_server(entry.first) == nullptr; });
            if (!identical || pool->config().on_drift != config::OnDrift::drain)
                for (const auto& server : pool->servers())
                    undrain(pool->name(), *server, ps.servers[server->name],
                            identical ? "on_drift: warn" : "expect_identical off");
        }
        if (!identical || !watched.insert(pool->name()).second) continue;
        auto loop = std::make_shared<Loop>(impl_->control.get_executor());
        impl_->loops[pool->name()] = loop;
        asio::co_spawn(impl_->control, drift_loop(impl_->state, loop, pool), asio::detached);
    }
    std::erase_if(state.pools, [&](const auto& entry) { return watched.count(entry.first) == 0; });
    rebuild_report(state);
}

void DriftMonitor::stop() {
    for (auto& [name, loop] : impl_->loops) loop->stop();
    impl_->loops.clear();
}

const DriftReport& DriftMonitor::report() const { return impl_->state->report; }

std::uint64_t DriftMonitor::rounds() const { return impl_->state->rounds; }

}  // namespace gisgate::gis
