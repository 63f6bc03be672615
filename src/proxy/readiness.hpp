// Is this node ready to serve? The answer of GET /api/v1/ready and so of `gisgate ctl health`, which
// keepalived's vrrp_script runs (examples/keepalived/): a node that is not ready gives up the virtual IP.
//
// Ready = the listeners are bound, the proxy is not stopping, and every pool a public route uses has at least one
// server that may take a request now (healthy, weight above 0, not drained or in maintenance; a backup counts,
// since it serves while no primary can). A listener is public when its `allow` admits every address (the
// default); pools reached only through listeners restricted to some networks (an ArcGIS Server's admin port
// for the site's own machines) do not decide readiness. When no listener is public, every listener counts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace gisgate::proxy {

struct Runtime;

// The pools public routes use (route pools, a tcp listener's pool), each once, in config order.
std::vector<std::string> public_pools(const config::Config& config);

struct Readiness {
    bool ready = false;
    std::vector<std::string> reasons;  // one line each: why not ready (empty when ready)
    nlohmann::json to_json() const;    // {"ready", "reasons": [...]} plus what was checked
    std::vector<std::string> pools;    // the pools that were checked
};

// `listeners_bound`: listeners bound now, against the config's count; `stopping`: SIGTERM/drain under way.
Readiness readiness(const Runtime& runtime, std::size_t listeners_bound, bool stopping);

}  // namespace gisgate::proxy
