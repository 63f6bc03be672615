// `cluster:`: node name, peers' admin addresses, the timing knobs, and the errors a typo must produce.
#include <gtest/gtest.h>

#include "config/loader.hpp"
#include "config_test_util.hpp"

namespace gisgate::config {
namespace {

using testing::fails_at;
using testing::load;

// kOnePool's 7 lines + an admin section: `cluster:` starts on line 9.
std::string with_cluster(std::string_view cluster) {
    return std::string(testing::kOnePool) + "admin: { bind: 127.0.0.1:9900, token: t0ken }\n" + std::string(cluster);
}

TEST(ClusterConfig, ReadsNodePeersAndTimings) {
    const Config c = load(with_cluster(R"(cluster:
  node: lb1
  sync_interval: 500ms
  peer_timeout: 2s
  job_lookup_timeout: 200ms
  peers:
    - { name: lb2, admin: 10.0.0.22:9900 }
    - { name: lb3, admin: "[::1]:9901" }
)"));
    ASSERT_TRUE(c.cluster);
    EXPECT_EQ(c.cluster->node, "lb1");
    EXPECT_EQ(c.cluster->sync_interval, std::chrono::milliseconds(500));
    EXPECT_EQ(c.cluster->peer_timeout, std::chrono::seconds(2));
    EXPECT_EQ(c.cluster->job_lookup_timeout, std::chrono::milliseconds(200));
    ASSERT_EQ(c.cluster->peers.size(), 2u);
    EXPECT_EQ(c.cluster->peers[0].name, "lb2");
    EXPECT_EQ(c.cluster->peers[0].admin.to_string(), "10.0.0.22:9900");
    EXPECT_EQ(c.cluster->peers[1].admin.to_string(), "[::1]:9901");
}

TEST(ClusterConfig, DefaultsAndNoPeers) {
    const Config c = load(with_cluster("cluster: { node: lb1 }\n"));
    ASSERT_TRUE(c.cluster);
    EXPECT_TRUE(c.cluster->peers.empty());
    EXPECT_EQ(c.cluster->sync_interval, std::chrono::seconds(1));
    EXPECT_EQ(c.cluster->peer_timeout, std::chrono::seconds(1));
    EXPECT_EQ(c.cluster->job_lookup_timeout, std::chrono::milliseconds(300));
    EXPECT_FALSE(load(testing::kOnePool).cluster);
}

TEST(ClusterConfig, RejectsMistakesWithTheirLocation) {
    EXPECT_TRUE(fails_at(with_cluster("cluster: { node: lb1, peer: [] }\n"), 9, 23, "unknown key 'peer' in cluster"));
    EXPECT_TRUE(fails_at(with_cluster("cluster: { peers: [] }\n"), 9, 10, "missing"));
    EXPECT_TRUE(fails_at(with_cluster("cluster: { node: \"lb 1\" }\n"), 9, 18, "cluster 'node' must be a name"));
    EXPECT_TRUE(fails_at(with_cluster(R"(cluster:
  node: lb1
  peers:
    - { name: lb2, admin: 10.0.0.22:9900 }
    - { name: lb2, admin: 10.0.0.23:9900 }
)"),
                         13, 15, "duplicate cluster peer 'lb2' (first at 12:"));
    EXPECT_TRUE(fails_at(with_cluster("cluster: { node: lb1, peers: [{ name: lb1, admin: 10.0.0.1:9900 }] }\n"), 9,
                         39, "cluster peer 'lb1' is this node"));
    EXPECT_TRUE(fails_at(with_cluster("cluster: { node: lb1, peers: [{ name: lb2, admin: nowhere }] }\n"), 9, 51,
                         "'admin' is not a valid address: 'nowhere'"));
    EXPECT_TRUE(fails_at(with_cluster("cluster: { node: lb1, peers: [{ name: lb2, admin: 10.0.0.2:0 }] }\n"), 9, 51,
                         "'admin' needs a port other than 0"));
    EXPECT_TRUE(fails_at(with_cluster("cluster: { node: lb1, peers: [{ name: lb2 }] }\n"), 9, 31, "missing"));
    EXPECT_TRUE(fails_at(with_cluster("cluster: { node: lb1, sync_interval: 0s }\n"), 9, 38, "sync_interval"));
}

TEST(ClusterConfig, NeedsAnAdminSection) {
    EXPECT_TRUE(fails_at(std::string(testing::kOnePool) + "cluster: { node: lb1 }\n", 8, 10,
                         "'cluster' needs an 'admin' section with a token"));
}

TEST(ClusterConfig, RoundTripsThroughToYaml) {
    const Config c = load(with_cluster(
        "cluster: { node: lb1, sync_interval: 250ms, peers: [{ name: lb2, admin: 10.0.0.22:9900 }] }\n"));
    const std::string text = to_yaml(c);
    const Config again = load_string(text, "again.yaml");
    ASSERT_TRUE(again.cluster) << text;
    EXPECT_EQ(again.cluster->node, "lb1");
    EXPECT_EQ(again.cluster->sync_interval, std::chrono::milliseconds(250));
    ASSERT_EQ(again.cluster->peers.size(), 1u);
    EXPECT_EQ(again.cluster->peers[0].name, "lb2");
    EXPECT_EQ(again.cluster->peers[0].admin.to_string(), "10.0.0.22:9900");
    EXPECT_EQ(to_yaml(again), text);
}

}  // namespace
}  // namespace gisgate::config
