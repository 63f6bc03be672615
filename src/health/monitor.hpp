// Active health checks and the up/down state machine, on the control thread (never on a worker).
//
// Each watched server gets its own check loop: every `interval` (the first one jittered so servers are not
// polled in lock-step) an HTTP GET of `path` with `timeout`; success = `expect_status` and, when set,
// `expect_body` found in the body. A slow or failing answer counts towards `fall`; a refused or reset
// connection (nothing listening) takes the server down at once. A down server needs `rise` consecutive
// successes to rejoin. Results go to ServerRuntime::health (details) and ServerRuntime::healthy (what
// workers read).
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "balance/events.hpp"
#include "balance/pool.hpp"
#include "net/asio.hpp"

namespace gisgate::health {

class HealthMonitor final : public balance::ServerEvents {
public:
    explicit HealthMonitor(asio::io_context& control);
    ~HealthMonitor() override;

    // Control thread. Checks exactly the servers of `pools` from now on (matched by ServerRuntime::id):
    // new servers start checking, removed ones stop, kept ones keep their loop and state. A pool whose
    // health.enabled is false gets no checks and its servers are marked healthy.
    // The first check of a server comes within min(interval, 1s), jittered, then one every `interval`.
    void watch(const std::vector<std::shared_ptr<balance::PoolRuntime>>& pools);
    // Control thread (or once the control context has stopped running). Cancels every check in flight; the
    // loops end without touching their servers again. The monitor must be destroyed before the io_context.
    void stop();

    // Any thread (workers): see balance::ServerEvents. Marks the server down immediately when its pool has
    // health checks enabled (otherwise nothing would ever bring it back) and records the reason.
    void server_refused(balance::ServerRuntime& server, std::string_view reason) override;
    // Any thread (workers): see balance::ServerEvents. Logs the ejection and records it in the server's health
    // details; from now on only checks that start after it count towards `rise`.
    void server_ejected(balance::ServerRuntime& server, balance::OutlierReason reason) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gisgate::health
