// What the balancing algorithms and the throttle use for a server during one pick: its weight (in kWeightScale
// units) and its max_active_per_server, both ramped while the server slow-starts (slow_start.hpp). The clock is
// read at most once per pick, and only when a candidate is ramping.
#pragma once

#include <optional>

#include "balance/server.hpp"
#include "balance/slow_start.hpp"

namespace gisgate::balance {

class CurrentWeights {
public:
    CurrentWeights() = default;
    // A fixed `now` (tests).
    explicit CurrentWeights(SlowStartClock::time_point now) : now_(now) {}

    std::uint64_t weight(ServerRuntime& server) {
        if (!server.slow_start.ramping()) return std::uint64_t{server.weight} * kWeightScale;
        return ramped_weight(server.weight, server.slow_start.permille(now()));
    }
    std::uint32_t limit(ServerRuntime& server, std::uint32_t max_active) {
        if (max_active == 0 || !server.slow_start.ramping()) return max_active;
        return ramped_limit(max_active, server.slow_start.permille(now()));
    }

private:
    SlowStartClock::time_point now() {
        if (!now_) now_ = SlowStartClock::now();
        return *now_;
    }
    std::optional<SlowStartClock::time_point> now_;
};

}  // namespace gisgate::balance
