// Drift detection for active-active sites (`expect_identical: true`): every `drift_check_every`, read each up
// server's catalog with a hash of every service description, find the majority view, and report servers that
// differ (log, status API, metric). With `on_drift: drain` the odd server is drained until it matches again —
// never the last serving server of the pool. Control thread only.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "balance/pool.hpp"
#include "net/asio.hpp"

namespace gisgate::gis {

// pool name → server name → what differs from the majority ("missing Maps/Streets (MapServer)",
// "extra Test/Foo (FeatureServer)", "Maps/Parcels (FeatureServer) description differs").
using DriftReport = std::map<std::string, std::map<std::string, std::vector<std::string>>>;

class DriftMonitor {
public:
    explicit DriftMonitor(asio::io_context& control);
    ~DriftMonitor();
    // Control thread. Watches the pools whose config has expect_identical (others are ignored).
    void watch(const std::vector<std::shared_ptr<balance::PoolRuntime>>& pools);
    void stop();
    const DriftReport& report() const;  // control thread
    std::uint64_t rounds() const;       // completed comparison rounds (tests wait on it)

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gisgate::gis
