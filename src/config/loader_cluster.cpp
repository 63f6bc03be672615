// `cluster:`: this node's name and its peers' admin addresses (docs/cluster.md).
#include <algorithm>

#include "config/loader_impl.hpp"
#include "config/names.hpp"

namespace gisgate::config::detail {

void Loader::read_cluster(const Field& field) {
    const MapFields map(r_, field, "cluster", {"node", "peers", "sync_interval", "peer_timeout", "job_lookup_timeout"});
    ClusterConfig cluster;
    cluster.loc = map.loc();
    const Field& node = map.require("node");
    cluster.node = r_.string(node);
    if (!valid_name(cluster.node))
        r_.fail(r_.loc(node), fmt::format("cluster 'node' must be a name of letters, digits, '.', '_' or '-', got '{}'",
                                          cluster.node));
    if (const Field* f = map.find("sync_interval")) cluster.sync_interval = r_.positive_duration(*f);
    if (const Field* f = map.find("peer_timeout")) cluster.peer_timeout = r_.positive_duration(*f);
    if (const Field* f = map.find("job_lookup_timeout")) cluster.job_lookup_timeout = r_.positive_duration(*f);
    if (const Field* peers = map.find("peers")) {
        for (const auto& item : r_.list(*peers)) {
            const MapFields peer_map(r_, r_.item(item, "peers"), "cluster peer", {"name", "admin"});
            ClusterPeerConfig peer;
            peer.loc = peer_map.loc();
            const Field& name = peer_map.require("name");
            peer.name = r_.string(name);
            if (!valid_name(peer.name))
                r_.fail(r_.loc(name), fmt::format("cluster peer 'name' must be a name of letters, digits, '.', '_' "
                                                  "or '-', got '{}'",
                                                  peer.name));
            if (peer.name == cluster.node)
                r_.fail(r_.loc(name), fmt::format("cluster peer '{}' is this node ('node: {}')", peer.name, cluster.node));
            const auto same = std::find_if(cluster.peers.begin(), cluster.peers.end(),
                                           [&](const ClusterPeerConfig& p) { return p.name == peer.name; });
            if (same != cluster.peers.end())
                r_.fail(r_.loc(name), fmt::format("duplicate cluster peer '{}' (first at {})", peer.name, located(same->loc)));
            const Field& admin = peer_map.require("admin");
            peer.admin = r_.endpoint(admin);
            if (peer.admin.port == 0)
                r_.fail(r_.loc(admin), fmt::format("cluster peer '{}': 'admin' needs a port other than 0", peer.name));
            cluster.peers.push_back(std::move(peer));
        }
    }
    config_.cluster = std::move(cluster);
}

}  // namespace gisgate::config::detail
