// This gisgate's membership of a cluster (docs/cluster.md), on the control thread: the change log, one sync
// loop per peer, and the handler of the peers' sync requests.
//
// A runtime change made here (ProxyServer calls local_change() after a successful set_server_state, add_server,
// remove_server, purge_cache or reload) is logged and pushed to every peer at once; every sync_interval each
// peer is asked again (anti-entropy: a peer that was down catches up, reachability is measured). Changes from
// peers are applied through the same admin::ControlApi calls as an operator's, but not logged again as this
// node's: they keep their origin and sequence number, and are forwarded to third nodes from the log.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "admin/control_api.hpp"
#include "cluster/change_log.hpp"
#include "cluster/peers.hpp"
#include "config/config.hpp"
#include "net/asio.hpp"

namespace gisgate::health {
class Probe;
}

namespace gisgate::cluster {

// The most changes one sync message carries; the rest follow in the next exchange at once.
inline constexpr std::size_t kMaxChangesPerSync = 512;

class Node {
public:
    // `api` applies the peers' changes (the ProxyServer that owns this node). `config.cluster` must be set.
    Node(asio::io_context& control, admin::ControlApi& api, const config::Config& config);
    ~Node();

    void start();
    void stop();
    // The running config changed (reload, added or removed server): the config hash, the token and the peers.
    void configure(const config::Config& config);

    // A change made on this node; ignored while a peer's change is being applied (that one is logged already).
    void local_change(ChangeKind kind, std::string pool, std::string server, nlohmann::json payload);

    // POST /api/v1/cluster/sync: {"node", "config_hash", "seen", "changes"} → the same from this node, with the
    // changes the caller has not seen.
    admin::ApiResult sync(const nlohmann::json& request);

    // The `cluster` object of GET /api/v1/status.
    nlohmann::json status() const;
    // The gisgate_cluster_* metric families.
    void metrics(std::string& out, const LookupStats* lookups) const;

    const ChangeLog& log() const { return log_; }

    // Requests in flight on this node's servers, {"pool/server": n} for the non-zero ones: sent with every sync
    // message so a rollout on any node can wait for a drained server to be idle on every node.
    using InFlightSource = std::function<nlohmann::json()>;
    void set_in_flight_source(InFlightSource source) { in_flight_source_ = std::move(source); }
    // The requests in flight on `pool`/`server` at the reachable peers, as each last said. A reachable peer that
    // has not yet acknowledged every change made here (a drain just made) counts as 1: its report may predate
    // the change, and a caller waiting for 0 must wait for the next one. Unreachable peers are not counted
    // (they get the change when they come back).
    std::uint64_t peers_in_flight(const std::string& pool, const std::string& server) const;

private:
    struct Peer;
    awaitable<void> peer_loop(std::shared_ptr<Peer> peer);
    awaitable<void> exchange(std::shared_ptr<Peer> peer);
    void contacted(Peer& peer, const nlohmann::json& answer);
    void receive(const nlohmann::json& changes, Peer& from);
    void apply(const Change& change);
    void push(const Peer* except);  // every peer but `except` exchanges at once
    nlohmann::json message(const std::optional<Seen>& peer_seen, bool& more) const;
    std::shared_ptr<Peer> find_peer(std::string_view name) const;

    asio::io_context& control_;
    admin::ControlApi& api_;
    std::string node_;
    std::string token_;
    std::string config_hash_;
    config::ClusterConfig config_;
    ChangeLog log_;
    std::vector<std::shared_ptr<Peer>> peers_;
    std::map<std::string, std::uint64_t, std::less<>> applied_;  // per origin: changes applied here
    std::uint64_t rejected_ = 0;                                  // malformed changes received
    InFlightSource in_flight_source_;
    bool applying_ = false;
    bool started_ = false;
    bool stopped_ = false;
};

}  // namespace gisgate::cluster
