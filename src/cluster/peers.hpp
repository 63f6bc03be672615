// What workers know of the cluster's peers (through the Runtime snapshot): their resolved admin addresses, and
// the job-affinity question asked of them on a job-table miss before the sites are probed (docs/cluster.md).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "net/asio.hpp"

namespace gisgate::cluster {

struct PeerAddress {
    std::string name;
    std::string host;  // "host:port" as configured: the Host header
    std::vector<tcp::endpoint> endpoints;  // empty when the name did not resolve (the peer is then skipped)
};

// Resolves every peer's admin address now (numeric addresses without DNS); a name that does not resolve is
// logged and left without endpoints.
std::vector<PeerAddress> resolve_peers(const config::ClusterConfig& cluster);

// Counters of the peer lookups, shared by every worker and kept across reloads.
struct LookupStats {
    std::atomic<std::uint64_t> found{0};      // a peer named the server
    std::atomic<std::uint64_t> not_found{0};  // no peer knew the id (the sites are probed next)
};

struct PeerDirectory {
    std::vector<PeerAddress> peers;
    std::chrono::milliseconds timeout{300};
    std::shared_ptr<LookupStats> stats;
};

// What is looked up: a geoprocessing job's id or an uploaded item's id.
enum class OwnerKind { job, upload };

// The admin API path that answers for `id` of pool `pool`: /api/v1/cluster/jobs/POOL/ID or .../uploads/POOL/ID.
std::string owner_path(OwnerKind kind, std::string_view pool, std::string_view id);

// Asks every peer at once (one round trip, bounded by directory.timeout) which server of `pool` owns `id`; the
// first peer that names one wins. nullopt when none does. Runs on the calling (worker) loop, never blocks it.
awaitable<std::optional<std::string>> ask_peers(std::shared_ptr<const PeerDirectory> directory, OwnerKind kind,
                                                std::string pool, std::string id);

}  // namespace gisgate::cluster
