// Sliding window, the second job of the Observer: the recent per-second slices behind every windowed figure
// (the rates and percentiles of /api/v1/services, the windowed alert rules), kept as long as the longest of
// them needs and no longer.
#pragma once

#include <cstdint>

#include "config/config.hpp"
#include "metrics/collector.hpp"

namespace gisgate::proxy {

class StatsWindow {
public:
    explicit StatsWindow(const config::Config& config) : window_(span_for(config)) {}

    // A reload may lengthen or shorten the services window or a rule's.
    void resize(const config::Config& config) { window_.set_span(span_for(config)); }
    void start(std::int64_t second) { started_second_ = second; }
    void push(metrics::SlidingWindow::Slice slice) { window_.push(std::move(slice)); }

    // How many of the last `seconds` seconds up to `now_second` the window holds: fewer just after the start,
    // so that a rate over them is not diluted by seconds the process did not run.
    std::int64_t covered(std::int64_t now_second, std::int64_t seconds) const;

    const metrics::SlidingWindow& slices() const { return window_; }

private:
    static std::int64_t span_for(const config::Config& config);

    metrics::SlidingWindow window_;
    std::int64_t started_second_ = 0;
};

}  // namespace gisgate::proxy
