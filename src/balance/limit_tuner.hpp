// The control thread's side of `max_active_per_server: auto`: every 100 ms it takes what the workers recorded for
// each server of an auto pool (AdaptiveLimitCounters), feeds it to the server's AdaptiveLimit and publishes the
// limit back with one relaxed store, which the workers' next slot reads. Nothing here touches the request path.
#pragma once

#include <memory>
#include <vector>

#include "balance/pool.hpp"
#include "net/asio.hpp"

namespace gisgate::balance {

// The algorithm's settings for a pool's `auto` bounds.
AdaptiveLimitSettings adaptive_settings(const config::AutoLimitConfig& config);

// One round over `pools` at `now` (tests call it with their own clock; LimitTuner with the steady clock).
void tune_limits(const std::vector<std::shared_ptr<PoolRuntime>>& pools, LimitClock::time_point now);

class LimitTuner {
public:
    explicit LimitTuner(asio::io_context& control) : timer_(control) {}
    // The pools of the runtime now serving (after every reload); starts the rounds the first time.
    void watch(std::vector<std::shared_ptr<PoolRuntime>> pools);
    void stop();

private:
    void schedule();

    asio::steady_timer timer_;
    std::vector<std::shared_ptr<PoolRuntime>> pools_;
    bool running_ = false;
    bool stopped_ = false;
};

}  // namespace gisgate::balance
