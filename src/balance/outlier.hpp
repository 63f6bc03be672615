// Passive outlier ejection (Envoy's outlier detection, HAProxy's `observe layer7`): a server that fails live
// traffic `consecutive_5xx` or `consecutive_timeouts` times in a row is taken out of the pool at once, instead
// of after `fall` health checks that may well keep passing (the health check page answers while the services
// fail). It comes back like any down server: after `rise` good health checks (health/monitor.cpp).
//
// Counting is one relaxed load per attempt while a server answers well (a store only to reset a counter that is
// not 0); the ejection itself, rare by nature, takes one process-wide mutex so two workers ejecting two servers
// at once cannot take out the last usable one between them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>

#include "config/config.hpp"

namespace gisgate::balance {

struct ServerRuntime;
class PoolRuntime;
class ServerEvents;

enum class OutlierReason : std::uint8_t { none, consecutive_5xx, consecutive_timeouts };
const char* to_string(OutlierReason reason);

// What one attempt on a server showed about the server (not about the request).
enum class LiveOutcome : std::uint8_t {
    answered,  // a response head that says nothing against the server: 1xx-4xx, 500 (unless count_500), 501, 505...
    error_5xx, // 502, 503, 504 (500 with count_500), or the connection lost before any answer
    timeout,   // no response head within timeouts.server, or no connection within timeouts.connect
};

// 502 (its own upstream failed), 503 (overloaded, or a stopped service) and 504 say the server cannot serve now.
LiveOutcome outcome_of_status(int status, const config::OutlierConfig& config);

// Per server, shared by all workers. Counters on their own cache line: every worker reads them per attempt.
struct OutlierState {
    alignas(64) std::atomic<std::uint32_t> consecutive_5xx{0};
    std::atomic<std::uint32_t> consecutive_timeouts{0};
    // While ejected: why (cleared when health checks bring the server back). Read by the status API.
    std::atomic<OutlierReason> ejected{OutlierReason::none};
    // Incremented at each ejection: a health check that started before it does not count towards `rise`.
    std::atomic<std::uint64_t> generation{0};
    std::atomic<std::uint64_t> ejections_5xx{0};
    std::atomic<std::uint64_t> ejections_timeouts{0};

    // Counts `outcome`; returns the reason when a threshold is reached (or still exceeded: the previous
    // ejection attempt was refused to keep the pool's last server), none otherwise.
    OutlierReason record(LiveOutcome outcome, const config::OutlierConfig& config);
    std::uint64_t ejections(OutlierReason reason) const;
};

// Takes `server` out (healthy = false, `ejected` = reason) unless it is already out or no other server of
// `servers` may serve (the last usable server keeps serving: a failing answer beats "no server available").
// True when it ejected.
bool eject(std::span<const std::shared_ptr<ServerRuntime>> servers, ServerRuntime& server, OutlierReason reason);

// What a worker calls after each attempt on a server: counts the outcome when the pool has `outlier:`, ejects
// when a threshold is reached, and tells `events` (the health monitor's bookkeeping and log; may be null).
void report_outcome(const PoolRuntime& pool, ServerRuntime& server, LiveOutcome outcome, ServerEvents* events);

}  // namespace gisgate::balance
