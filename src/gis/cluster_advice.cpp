#include "gis/cluster_advice.hpp"

#include <fmt/format.h>

#include <set>

namespace gisgate::gis {

std::vector<std::string> cluster_warnings(const config::Config& config) {
    std::set<std::string> clusters;
    bool discovery = false;
    for (const auto& pool : config.pools)
        if (pool.discover_every.count() > 0) discovery = true;
    for (const auto& listener : config.listeners) {
        for (const auto& route : listener.routes) {
            if (!route.services.empty()) clusters.insert(route.pool);
            if (route.discover_every) discovery = true;
        }
    }
    if (discovery)  // discovery may send a service to any pool whose catalog lists it
        for (const auto& pool : config.pools) clusters.insert(pool.name);
    std::vector<std::string> warnings;
    for (const auto& pool : config.pools) {
        if (clusters.count(pool.name) && pool.servers.size() == 1) {
            warnings.push_back(fmt::format(
                "pool {} is used as a cluster but has a single server ({}): it is a single point of failure for "
                "the services it hosts; give it at least two",
                pool.name, pool.servers.front().name));
        }
    }
    return warnings;
}

}  // namespace gisgate::gis
