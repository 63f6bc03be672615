// Runtime state of one backend server, shared by all workers and kept across config reloads. Counters workers
// touch on every request sit on their own cache lines; health details are written only by the control thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "balance/adaptive_limit.hpp"
#include "balance/outlier.hpp"
#include "balance/slow_start.hpp"
#include "config/config.hpp"
#include "net/asio.hpp"

namespace gisgate::balance {

// What an administrator set (admin API): ready = in service subject to health; drain = no new requests,
// in-flight ones finish; maint = out of service now.
enum class AdminState : std::uint8_t { ready, drain, maint };

// What the status API shows: admin state first, then health.
enum class ServerState : std::uint8_t { up, down, drain, maint };
const char* to_string(ServerState state);
const char* to_string(AdminState state);

// Health bookkeeping. Control thread only (health checks and the admin API run there).
struct HealthInfo {
    std::uint32_t consecutive_successes = 0;
    std::uint32_t consecutive_failures = 0;
    std::chrono::system_clock::time_point last_check{};  // epoch = never checked
    std::chrono::milliseconds last_latency{0};
    std::string last_error;
    std::uint64_t checks = 0;
    std::uint64_t transitions = 0;  // up↔down changes
};

struct ServerRuntime {
    std::uint32_t id = 0;  // unique for the process lifetime; indexes per-worker tables (idle connections)
    std::string name;
    std::string pool_name;
    config::Endpoint address;
    std::vector<tcp::endpoint> endpoints;  // resolved once at load
    std::uint32_t weight = 1;
    bool backup = false;

    std::atomic<bool> healthy{true};
    std::atomic<AdminState> admin{AdminState::ready};
    HealthInfo health;  // control thread only

    // Requests in flight on this server across all workers (throttle and least_conn read it).
    alignas(64) std::atomic<std::uint32_t> active{0};
    alignas(64) std::atomic<std::uint64_t> requests_total{0};
    // ... of which per operation class (interactive, other, heavy): the pool's class_limits bound these.
    alignas(64) std::array<std::atomic<std::uint32_t>, config::kOperationClasses> class_active{};

    OutlierState outlier;       // passive ejection from live traffic (balance/outlier.hpp)
    SlowStartState slow_start;  // the ramp after it comes back (balance/slow_start.hpp)
    // max_active_per_server: auto — the limit the workers enforce and the latencies they record for it...
    AdaptiveLimitCounters adaptive_counters;
    // ... and the algorithm that turns those into the limit. Control thread only (proxy/limit_tuner.cpp); empty
    // until the server's pool is auto.
    std::optional<AdaptiveLimit> adaptive;

    ServerState state() const {
        const AdminState a = admin.load(std::memory_order_relaxed);
        if (a == AdminState::maint) return ServerState::maint;
        if (a == AdminState::drain) return ServerState::drain;
        return healthy.load(std::memory_order_relaxed) ? ServerState::up : ServerState::down;
    }
};

// The one answer to "may this server take a new request?" (capacity is checked separately, by the pool): it is
// in service (weight above 0, healthy) and ready, or draining while the request is one only it can serve
// (`pinned`: its own geoprocessing job, or the client's private NTLM/Negotiate connection to it).
inline bool may_serve(const ServerRuntime& server, bool pinned = false) {
    if (server.weight == 0 || !server.healthy.load(std::memory_order_relaxed)) return false;
    const AdminState admin = server.admin.load(std::memory_order_relaxed);
    return admin == AdminState::ready || (pinned && admin == AdminState::drain);
}

}  // namespace gisgate::balance
