#include "balance/limit_tuner.hpp"

#include <spdlog/spdlog.h>

namespace gisgate::balance {

namespace {
constexpr std::chrono::milliseconds kRound{100};
}

AdaptiveLimitSettings adaptive_settings(const config::AutoLimitConfig& config) {
    AdaptiveLimitSettings settings;
    settings.min = config.min;
    settings.max = config.max;
    return settings;
}

void tune_limits(const std::vector<std::shared_ptr<PoolRuntime>>& pools, LimitClock::time_point now) {
    for (const auto& pool : pools) {
        const config::PoolConfig& config = pool->config();
        if (!config.auto_limit.enabled) continue;
        const AdaptiveLimitSettings settings = adaptive_settings(config.auto_limit);
        for (const auto& server : pool->servers()) {
            auto& counters = server->adaptive_counters;
            if (!server->adaptive) {
                server->adaptive.emplace(settings, now, server->id);
            } else if (server->adaptive->settings() != settings) {
                server->adaptive->reconfigure(settings);  // a reload changed the bounds
            }
            const std::uint32_t before = counters.limit.load(std::memory_order_relaxed);
            const std::uint32_t limit =
                server->adaptive->update(now, counters.take(server->active.load(std::memory_order_relaxed)));
            if (limit == before) continue;
            counters.limit.store(limit, std::memory_order_relaxed);
            spdlog::debug("pool {}: server {} concurrency limit {} → {} (baseline {:.1f} ms{})", pool->name(),
                          server->name, before, limit,
                          std::chrono::duration<double, std::milli>(server->adaptive->baseline()).count(),
                          server->adaptive->measuring() ? ", measuring" : "");
        }
    }
}

void LimitTuner::watch(std::vector<std::shared_ptr<PoolRuntime>> pools) {
    pools_ = std::move(pools);
    if (running_ || stopped_) return;
    running_ = true;
    schedule();
}

void LimitTuner::stop() {
    stopped_ = true;
    timer_.cancel();
}

void LimitTuner::schedule() {
    timer_.expires_after(kRound);
    timer_.async_wait([this](const error_code& ec) {
        if (ec || stopped_) return;
        tune_limits(pools_, LimitClock::now());
        schedule();
    });
}

}  // namespace gisgate::balance
