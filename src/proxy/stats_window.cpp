#include "proxy/stats_window.hpp"

#include <algorithm>

#include "proxy/observer_time.hpp"

namespace gisgate::proxy {

std::int64_t StatsWindow::covered(std::int64_t now_second, std::int64_t seconds) const {
    return std::min(seconds, std::clamp<std::int64_t>(now_second - started_second_, 1, window_.span()));
}

// The services window and every windowed rule.
std::int64_t StatsWindow::span_for(const config::Config& config) {
    std::int64_t span = whole_seconds(config.metrics.window);
    for (const auto& rule : config.alerts.rules) span = std::max(span, whole_seconds(rule.window));
    return span;
}

}  // namespace gisgate::proxy
