// The immutable snapshot workers serve requests from: the config plus the objects built from it (pools with
// their shared server state, routes resolved to pools). Replaced as a whole, never edited in place.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "balance/events.hpp"
#include "balance/pool.hpp"
#include "cluster/peers.hpp"
#include "config/config.hpp"
#include "gis/classify.hpp"
#include "gis/discovery.hpp"
#include "gis/job_table.hpp"
#include "http/request_head.hpp"
#include "net/tls_context.hpp"
#include "proxy/connection_limits.hpp"
#include "proxy/tunnels.hpp"

namespace gisgate::proxy {

struct RouteRuntime {
    const config::RouteConfig* config = nullptr;
    balance::PoolRuntime* pool = nullptr;
};

struct ListenerRuntime {
    const config::ListenerConfig* config = nullptr;
    std::vector<RouteRuntime> routes;
    http::Limits limits;
    std::shared_ptr<const net::TlsServer> tls;  // TLS termination (http mode); null for plain listeners
    balance::PoolRuntime* pool = nullptr;       // mode tcp: the pool connections are relayed to
    // First route that matches: a prefix route on its (normalised) path prefix, a services route on the
    // request's ArcGIS service (and its prefix, if it has one). nullptr when none does.
    const RouteRuntime* route_for(std::string_view path, const gis::Classification& gis) const;
};

struct Runtime {
    config::Config config;
    std::vector<std::shared_ptr<balance::PoolRuntime>> pools;
    std::vector<ListenerRuntime> listeners;  // same order as config.listeners
    balance::ServerEvents* events = nullptr; // live-traffic failures go here (health monitor); may be null
    const gis::DiscoveryMonitor* discovery = nullptr;  // service → pools, for `discover` routes; may be null
    // Job id → server, per pool name; shared with the previous runtime so a reload forgets no job.
    std::map<std::string, std::shared_ptr<gis::JobTable>, std::less<>> job_tables;
    // Upload item id → server, per pool name; kept across reloads the same way.
    std::map<std::string, std::shared_ptr<gis::JobTable>, std::less<>> upload_tables;
    std::uint64_t generation = 0;            // 0 for the first runtime, +1 per reload or runtime change
    // Open client connections in total and per address (limits.max_connections*); shared across reloads.
    std::shared_ptr<ConnectionLimiter> connections;
    // WebSocket tunnels open (limits.max_tunnels) and their counters; shared across reloads.
    std::shared_ptr<Tunnels> tunnels;
    // `cluster:` peers, asked for a job's or upload's server on a table miss; null without peers.
    std::shared_ptr<const cluster::PeerDirectory> peers;

    balance::PoolRuntime* find_pool(std::string_view name) const;
    const ListenerRuntime* find_listener(std::string_view name) const;
    gis::JobTable* job_table(std::string_view pool) const;
    gis::JobTable* upload_table(std::string_view pool) const;
};

// Builds a runtime; resolves server addresses (throws std::runtime_error when one does not resolve).
// With `previous`, servers that are unchanged (same pool, name, address, weight, backup) keep their
// ServerRuntime object — and so their health, admin state (drain/maint) and in-flight count — and changed
// ones keep their health and admin state in a new object.
std::shared_ptr<const Runtime> build_runtime(config::Config config, const Runtime* previous = nullptr,
                                             balance::ServerEvents* events = nullptr,
                                             const gis::DiscoveryMonitor* discovery = nullptr);

}  // namespace gisgate::proxy
