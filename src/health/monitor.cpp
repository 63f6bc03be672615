#include "health/monitor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <random>
#include <string>
#include <unordered_set>

#include "health/probe.hpp"
#include "health/tracker.hpp"

namespace gisgate::health {
namespace {

using Clock = std::chrono::steady_clock;

// The first check comes soon after start (or after the pool is enabled) so `gisgate run` knows quickly which
// servers are there, jittered within this so a large pool is not polled in lock-step.
constexpr std::chrono::milliseconds kFirstCheckSpread{1000};

// One server's check loop: its timer and probe, so stop() can cancel whatever the loop is waiting on.
struct CheckLoop {
    explicit CheckLoop(const asio::any_io_executor& executor)
        : timer(executor), probe(std::make_shared<Probe>(executor)) {}

    void stop() {
        stopped = true;
        timer.cancel();
        probe->cancel();
    }

    asio::steady_timer timer;
    std::shared_ptr<Probe> probe;
    bool stopped = false;
};

// What the monitor knows about one watched server. Fields are control-thread only, except `enabled`, which
// server_refused() reads from workers under the monitor's mutex.
struct Entry {
    std::shared_ptr<balance::ServerRuntime> server;
    std::string pool_name;
    config::HealthConfig health;  // the pool's latest; a running loop picks it up on its next check
    std::shared_ptr<const net::TlsClient> tls;  // the pool's TLS to its servers (null: plain), likewise
    bool enabled = false;
    bool removed = false;
    config::Duration slow_start{0};  // the pool's: a server brought back up ramps over this (balance/slow_start.hpp)
    std::uint64_t seen_ejections = 0;  // ServerRuntime::outlier.generation when the last check was recorded
    std::shared_ptr<CheckLoop> loop;  // while enabled
};

void log_change(Change change, const Entry& entry) {
    const balance::ServerRuntime& s = *entry.server;
    if (change == Change::went_down)
        spdlog::warn("pool {}: server {} is DOWN ({}; {} consecutive failures)", entry.pool_name, s.name,
                     s.health.last_error, s.health.consecutive_failures);
    else if (change == Change::went_up)
        spdlog::info("pool {}: server {} is UP again after {} successful checks", entry.pool_name, s.name,
                     s.health.consecutive_successes);
}

// Applies one check result to the server (control thread). `ejections`: the server's outlier generation when
// the check started.
void record_check(Entry& entry, const config::HealthConfig& health, const ProbeResult& result,
                  std::uint64_t ejections) {
    balance::ServerRuntime& s = *entry.server;
    ++s.health.checks;
    s.health.last_check = std::chrono::system_clock::now();
    s.health.last_latency = result.latency;
    s.health.last_error = result.error;
    // Live traffic ejected the server (balance/outlier.hpp): `rise` counts good checks from there, and a check
    // that was already under way when it happened does not count (it may have passed just before).
    const std::uint64_t now_ejections = s.outlier.generation.load();
    if (now_ejections != entry.seen_ejections) {
        entry.seen_ejections = now_ejections;
        s.health.consecutive_successes = 0;
    }
    if (ejections != now_ejections && result.outcome == Outcome::success) return;
    bool healthy = s.healthy.load();
    const Change change = HealthTracker(health.fall, health.rise).record(result.outcome, healthy, s.health);
    // Stored only on a change, so a worker's concurrent "refused" (healthy=false) is not overwritten by a
    // check that merely confirms the server was up.
    if (change != Change::none) s.healthy.store(healthy);
    if (change == Change::went_up) {
        s.outlier.ejected.store(balance::OutlierReason::none);
        s.slow_start.begin(balance::SlowStartClock::now(), entry.slow_start);
    }
    log_change(change, entry);
}

awaitable<void> check_loop(std::shared_ptr<Entry> entry, std::shared_ptr<CheckLoop> loop,
                           std::chrono::milliseconds first_delay) {
    try {
        Clock::time_point next = Clock::now() + first_delay;
        while (!loop->stopped) {
            loop->timer.expires_at(next);
            error_code ec;
            co_await loop->timer.async_wait(asio::redirect_error(use_awaitable, ec));
            if (loop->stopped) break;

            // Copies: watch() may replace the config or the server pointer while the check runs.
            const config::HealthConfig health = entry->health;
            const std::shared_ptr<balance::ServerRuntime> server = entry->server;
            loop->probe->set_tls(entry->tls);
            const Clock::time_point started = Clock::now();
            const std::uint64_t ejections = server->outlier.generation.load();
            co_await loop->probe->run(*server, health);
            if (loop->stopped) break;
            record_check(*entry, health, loop->probe->result(), ejections);

            // Every `interval` from the start of the last check; a check slower than the interval (timeout >
            // interval) delays the next one rather than overlapping it.
            next = std::max(started + health.interval, Clock::now());
        }
    } catch (const std::exception& e) {
        spdlog::error("health check loop for server {} ended: {}", entry->server->name, e.what());
    }
}

}  // namespace

struct HealthMonitor::Impl {
    explicit Impl(asio::io_context& c) : control(c), random(std::random_device{}()) {}

    void start_loop(const std::shared_ptr<Entry>& entry) {
        entry->loop = std::make_shared<CheckLoop>(control.get_executor());
        // A server (re)joining the checks starts from a clean count; its up/down state carries over.
        entry->server->health.consecutive_failures = 0;
        entry->server->health.consecutive_successes = 0;
        const auto spread = std::min(entry->health.interval, kFirstCheckSpread);
        std::uniform_int_distribution<std::int64_t> jitter(0, std::max<std::int64_t>(spread.count() - 1, 0));
        const std::chrono::milliseconds first_delay{jitter(random)};
        asio::co_spawn(control, check_loop(entry, entry->loop, first_delay), asio::detached);
    }

    static void stop_loop(Entry& entry) {
        if (!entry.loop) return;
        entry.loop->stop();
        entry.loop.reset();
    }

    asio::io_context& control;
    std::minstd_rand random;  // control thread only

    // Taken by watch()/stop() on the control thread and by server_refused() on workers, which happens only when
    // a server refuses connections: never on the per-request path.
    std::mutex mutex;
    std::unordered_map<std::uint32_t, std::shared_ptr<Entry>> entries;
    bool stopped = false;
};

HealthMonitor::HealthMonitor(asio::io_context& control) : impl_(std::make_unique<Impl>(control)) {}

HealthMonitor::~HealthMonitor() { stop(); }

void HealthMonitor::watch(const std::vector<std::shared_ptr<balance::PoolRuntime>>& pools) {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopped) return;
    std::unordered_set<std::uint32_t> seen;
    for (const auto& pool : pools) {
        for (const auto& server : pool->servers()) {
            if (!seen.insert(server->id).second) continue;  // ids are unique; a repeat is the same server
            std::shared_ptr<Entry>& slot = impl_->entries[server->id];
            if (!slot) slot = std::make_shared<Entry>();
            Entry& entry = *slot;
            entry.server = server;
            entry.pool_name = pool->name();
            entry.health = pool->config().health;
            entry.tls = pool->tls();
            entry.enabled = entry.health.enabled;
            entry.slow_start = pool->config().slow_start;
            if (entry.enabled) {
                if (!entry.loop) impl_->start_loop(slot);
            } else {
                // Nothing would ever bring a down server back, so unchecked servers are in service.
                Impl::stop_loop(entry);
                server->healthy.store(true);
                server->outlier.ejected.store(balance::OutlierReason::none);
            }
        }
    }
    for (auto it = impl_->entries.begin(); it != impl_->entries.end();) {
        if (seen.count(it->first) != 0) {
            ++it;
            continue;
        }
        Impl::stop_loop(*it->second);
        it->second->removed = true;
        it = impl_->entries.erase(it);
    }
}

void HealthMonitor::stop() {
    std::lock_guard lock(impl_->mutex);
    impl_->stopped = true;
    for (auto& [id, entry] : impl_->entries) {
        Impl::stop_loop(*entry);
        entry->removed = true;
    }
    impl_->entries.clear();
}

void HealthMonitor::server_refused(balance::ServerRuntime& server, std::string_view reason) {
    std::shared_ptr<Entry> entry;
    bool was_up = false;
    {
        std::lock_guard lock(impl_->mutex);
        if (impl_->stopped) return;
        const auto it = impl_->entries.find(server.id);
        if (it == impl_->entries.end() || it->second->server.get() != &server || !it->second->enabled) return;
        entry = it->second;
        // Under the mutex so watch() disabling the pool (and marking it healthy) cannot interleave.
        was_up = server.healthy.exchange(false);
    }
    // The bookkeeping (control-thread-only HealthInfo) happens on the control thread.
    asio::post(impl_->control, [entry = std::move(entry), was_up, why = std::string(reason)] {
        if (entry->removed || !entry->enabled) return;  // disabled since: watch() put it back in service
        balance::ServerRuntime& s = *entry->server;
        s.health.last_error = "live traffic: " + why;
        // Down now if it was up at the refusal or a check brought it up since; the log says so exactly once.
        bool healthy = was_up || s.healthy.load();
        const Change change =
            HealthTracker(entry->health.fall, entry->health.rise).record(Outcome::dead, healthy, s.health);
        s.healthy.store(false);
        log_change(change, *entry);
    });
}

void HealthMonitor::server_ejected(balance::ServerRuntime& server, balance::OutlierReason reason) {
    std::shared_ptr<Entry> entry;
    {
        std::lock_guard lock(impl_->mutex);
        if (impl_->stopped) return;
        const auto it = impl_->entries.find(server.id);
        if (it == impl_->entries.end() || it->second->server.get() != &server) return;
        entry = it->second;
    }
    // The server is out already (the worker stored healthy = false); what is left is control-thread bookkeeping.
    asio::post(impl_->control, [entry = std::move(entry), reason] {
        if (entry->removed) return;
        balance::ServerRuntime& s = *entry->server;
        if (s.outlier.ejected.load() == balance::OutlierReason::none) return;  // already back (or checks turned off)
        s.health.last_error = std::string("live traffic: ejected after ") + balance::to_string(reason);
        ++s.health.transitions;
        spdlog::warn("pool {}: server {} EJECTED by live traffic ({}); back after {} good checks", entry->pool_name,
                     s.name, balance::to_string(reason), entry->health.rise);
    });
}

}  // namespace gisgate::health
