#include "balance/outlier.hpp"

#include <mutex>

#include "balance/events.hpp"
#include "balance/pool.hpp"
#include "balance/server.hpp"

namespace gisgate::balance {

namespace {

// Resets a counter other workers may be incrementing; skipped when already 0 so a healthy server's cache line
// is only read, never written, by the request path.
void reset_outlier_counter(std::atomic<std::uint32_t>& counter) {
    if (counter.load(std::memory_order_relaxed) != 0) counter.store(0, std::memory_order_relaxed);
}

OutlierReason count_outlier(std::atomic<std::uint32_t>& counter, std::uint32_t threshold, OutlierReason reason) {
    if (threshold == 0) return OutlierReason::none;
    const std::uint32_t n = counter.fetch_add(1, std::memory_order_relaxed) + 1;
    return n >= threshold ? reason : OutlierReason::none;
}

}  // namespace

const char* to_string(OutlierReason reason) {
    switch (reason) {
        case OutlierReason::none: return "none";
        case OutlierReason::consecutive_5xx: return "consecutive_5xx";
        case OutlierReason::consecutive_timeouts: return "consecutive_timeouts";
    }
    return "?";
}

LiveOutcome outcome_of_status(int status, const config::OutlierConfig& config) {
    if (status == 502 || status == 503 || status == 504) return LiveOutcome::error_5xx;
    if (status == 500 && config.count_500) return LiveOutcome::error_5xx;
    return LiveOutcome::answered;
}

OutlierReason OutlierState::record(LiveOutcome outcome, const config::OutlierConfig& config) {
    switch (outcome) {
        case LiveOutcome::answered:
            reset_outlier_counter(consecutive_5xx);
            reset_outlier_counter(consecutive_timeouts);
            return OutlierReason::none;
        case LiveOutcome::error_5xx:
            reset_outlier_counter(consecutive_timeouts);  // it answers (or closes) at once: not hung
            return count_outlier(consecutive_5xx, config.consecutive_5xx, OutlierReason::consecutive_5xx);
        case LiveOutcome::timeout:
            // A timeout says nothing about 5xx answers either way: that counter keeps its run.
            return count_outlier(consecutive_timeouts, config.consecutive_timeouts, OutlierReason::consecutive_timeouts);
    }
    return OutlierReason::none;
}

std::uint64_t OutlierState::ejections(OutlierReason reason) const {
    switch (reason) {
        case OutlierReason::consecutive_5xx: return ejections_5xx.load(std::memory_order_relaxed);
        case OutlierReason::consecutive_timeouts: return ejections_timeouts.load(std::memory_order_relaxed);
        case OutlierReason::none: break;
    }
    return 0;
}

bool eject(std::span<const std::shared_ptr<ServerRuntime>> servers, ServerRuntime& server, OutlierReason reason) {
    // One lock for the whole process: ejections are rare (a server failing repeatedly), and a lock per pool would
    // have to live somewhere that survives reloads for nothing gained.
    static std::mutex ejecting;
    std::lock_guard lock(ejecting);
    if (reason == OutlierReason::none || !server.healthy.load()) return false;  // already out
    bool another = false;
    for (const auto& s : servers)
        if (s.get() != &server && may_serve(*s)) another = true;
    if (!another) return false;
    OutlierState& o = server.outlier;
    o.ejected.store(reason);
    (reason == OutlierReason::consecutive_5xx ? o.ejections_5xx : o.ejections_timeouts).fetch_add(1);
    o.generation.fetch_add(1);
    o.consecutive_5xx.store(0);
    o.consecutive_timeouts.store(0);
    server.healthy.store(false);  // the next request on every worker already avoids it
    return true;
}

void report_outcome(const PoolRuntime& pool, ServerRuntime& server, LiveOutcome outcome, ServerEvents* events) {
    const config::OutlierConfig& config = pool.config().outlier;
    if (!config.enabled()) return;
    const OutlierReason reached = server.outlier.record(outcome, config);
    if (reached == OutlierReason::none) return;
    // The loader refuses `outlier:` without health checks; a pool whose checks were turned off at runtime
    // keeps its servers in service, as HealthMonitor::watch() does.
    if (!pool.config().health.enabled) return;
    if (eject(pool.servers(), server, reached) && events) events->server_ejected(server, reached);
}

}  // namespace gisgate::balance
