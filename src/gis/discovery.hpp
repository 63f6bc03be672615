// Service discovery for clusters (the vendor's guide to multiple-machine deployments with GIS server clusters:
// "the request is forwarded to the cluster containing the service"): periodically reads each pool's catalog and
// publishes which pools host which service, so a service moved between clusters needs no config change. Control
// thread; workers read the published map.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "balance/pool.hpp"
#include "net/asio.hpp"

namespace gisgate::gis {

// Lower-cased "folder/service" (or "service") → names of the pools whose catalog lists it, in config order.
struct ServiceMap {
    std::map<std::string, std::vector<std::string>> pools_by_service;
    const std::vector<std::string>* find(std::string_view folder, std::string_view service) const;
};

class DiscoveryMonitor {
public:
    explicit DiscoveryMonitor(asio::io_context& control);
    ~DiscoveryMonitor();

    // Control thread. Reads the catalogs of `pools` every `every` (one up server per pool, the context taken
    // from the pool's health path, "/arcgis" by default); starts at once. An empty `pools` or zero `every`
    // stops discovery. A pool whose catalog cannot be read keeps its last known services.
    void watch(const std::vector<std::shared_ptr<balance::PoolRuntime>>& pools, std::chrono::milliseconds every);
    void stop();

    // Any thread. The latest map (never null; empty before the first round).
    std::shared_ptr<const ServiceMap> current() const;
    // Control thread: completed discovery rounds (tests wait on it).
    std::uint64_t rounds() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gisgate::gis
