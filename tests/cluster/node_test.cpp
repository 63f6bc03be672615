// cluster::Node without the network: the sync handler applies a peer's changes through ControlApi without
// logging them again, answers with what the caller lacks, refuses strangers and malformed requests, and shows the
// peer in its status.
#include <gtest/gtest.h>

#include "cluster/config_hash.hpp"
#include "cluster/node.hpp"
#include "config/loader.hpp"

namespace gisgate::cluster {
namespace {

using nlohmann::json;

// Records every call; like ProxyServer, reports each successful change back to the node (which must ignore the
// ones it is applying for a peer).
class RecordingApi final : public admin::ControlApi {
public:
    Node* node = nullptr;
    std::vector<std::string> calls;

    json status() override { return json::object(); }
    admin::ApiResult ready() override { return {200, json::object()}; }
    admin::ApiResult set_server_state(const std::string& pool, const std::string& server, const std::string& state) override {
        calls.push_back("state " + pool + "/" + server + " " + state);
        if (node) node->local_change(ChangeKind::state, pool, server, {{"state", state}});
        return {200, json::object()};
    }
    admin::ApiResult add_server(const std::string& pool, const json& body) override {
        calls.push_back("add " + pool + "/" + body.value("name", "?"));
        if (node) node->local_change(ChangeKind::add, pool, body.value("name", "?"), body);
        return {201, json::object()};
    }
    admin::ApiResult remove_server(const std::string& pool, const std::string& server) override {
        calls.push_back("remove " + pool + "/" + server);
        return {202, json::object()};
    }
    admin::ApiResult reload() override {
        calls.push_back("reload");
        return {200, json::object()};
    }
    admin::ApiResult purge_cache(const std::string& prefix, const std::string& pool) override {
        calls.push_back("purge " + prefix + " " + pool);
        return {200, json::object()};
    }
    std::string metrics() override { return {}; }
    json services() override { return json::object(); }
    json alerts() override { return json::object(); }
};

config::Config node_config(const std::string& balance = "round_robin") {
    return config::load_string(R"(
admin: { bind: 127.0.0.1:0, token: secret }
cluster: { node: lb2, peers: [{ name: lb1, admin: 127.0.0.1:1 }] }
listeners: [{ name: l, bind: 127.0.0.1:0, routes: [{ prefix: /, pool: gis }] }]
pools: [{ name: gis, balance: )" + balance + R"(, servers: [{ name: a, address: 127.0.0.1:6080 }] }]
)",
                               "node.yaml");
}

json change(std::uint64_t seq, std::uint64_t stamp, ChangeKind kind, const std::string& server, json payload) {
    Change c;
    c.origin = "lb1";
    c.seq = seq;
    c.stamp = stamp;
    c.kind = kind;
    c.pool = "gis";
    c.server = server;
    c.payload = std::move(payload);
    return to_json(c);
}

class NodeSync : public ::testing::Test {
protected:
    asio::io_context control;
    RecordingApi api;
    config::Config config = node_config();
    Node node{control, api, config};
    void SetUp() override { api.node = &node; }
    admin::ApiResult sync(json seen, json changes) {
        return node.sync({{"node", "lb1"}, {"config_hash", "x"}, {"seen", std::move(seen)}, {"changes", std::move(changes)}});
    }
};

TEST_F(NodeSync, AppliesAPeersChangesWithoutLoggingThemAsItsOwn) {
    // Stamped in the future: a one-shot event from after this node's start.
    const std::uint64_t later = node.log().start_ms() + 1000;
    const auto r = sync(json{{"lb1", 3}}, json::array({change(2, later, ChangeKind::state, "a", {{"state", "drain"}}),
                                                    change(3, later + 1, ChangeKind::purge, "", {{"prefix", "/arcgis"}, {"pool", ""}})}));
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(api.calls, (std::vector<std::string>{"state gis/a drain", "purge /arcgis "}));
    EXPECT_EQ(node.log().size(), 2u);
    EXPECT_EQ(node.log().seen().count("lb2"), 0u) << "the applied change was logged again as this node's";
    EXPECT_TRUE(r.body["changes"].empty());  // the caller has everything this node has
    EXPECT_EQ(r.body["node"], "lb2");
    EXPECT_EQ(r.body["seen"]["lb1"], 3);
    // The same message again: nothing is applied twice.
    sync(json{{"lb1", 3}}, json::array({change(2, later, ChangeKind::state, "a", {{"state", "drain"}})}));
    EXPECT_EQ(api.calls.size(), 2u);
}

TEST_F(NodeSync, AnswersWithWhatTheCallerLacks) {
    node.local_change(ChangeKind::state, "gis", "a", {{"state", "maint"}});
    const std::uint64_t mine = node.log().seen().at("lb2");
    auto r = sync(json::object(), json::array());
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(r.body["changes"].size(), 1u);
    EXPECT_EQ(r.body["changes"][0]["origin"], "lb2");
    EXPECT_EQ(r.body["changes"][0]["payload"]["state"], "maint");
    r = sync(json{{"lb2", mine}}, json::array());
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_TRUE(r.body["changes"].empty());
}

// A rollout waits for a drained server to be idle on every node: the peers' reports count only once they
// follow the drain.
TEST_F(NodeSync, PeersInFlightCountsReportsMadeAfterThisNodesLatestChange) {
    node.set_in_flight_source([] { return json{{"gis/a", 2}}; });
    EXPECT_EQ(node.peers_in_flight("gis", "a"), 0u) << "a peer never heard from is not counted";
    const auto report = [&](json seen, json in_flight) {
        return node.sync({{"node", "lb1"}, {"config_hash", "x"}, {"seen", std::move(seen)}, {"in_flight", std::move(in_flight)}});
    };
    auto r = report(json::object(), {{"gis/a", 3}});
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["in_flight"], (json{{"gis/a", 2}})) << "each message carries this node's own count";
    EXPECT_EQ(node.peers_in_flight("gis", "a"), 3u);
    EXPECT_EQ(node.peers_in_flight("gis", "b"), 0u);
    // A drain made here: a report from before the peer had it may predate it, so it counts as 1 (wait) even when
    // it says 0, and even after this node answered with the drain (the peer has not counted since).
    node.local_change(ChangeKind::state, "gis", "a", {{"state", "drain"}});
    const std::uint64_t drain = node.log().seen().at("lb2");
    report(json::object(), {{"gis/a", 0}});
    EXPECT_EQ(node.peers_in_flight("gis", "a"), 1u);
    report(json{{"lb2", drain}}, {{"gis/a", 1}});
    EXPECT_EQ(node.peers_in_flight("gis", "a"), 1u);
    report(json{{"lb2", drain}}, json::object());
    EXPECT_EQ(node.peers_in_flight("gis", "a"), 0u);
    EXPECT_EQ(node.status()["peers"][0]["in_flight"], json::object());
}

TEST_F(NodeSync, NewestStateWinsAndAnAddTakesTheStateThatCameFirst) {
    const std::uint64_t t = node.log().start_ms();
    sync(json::object(), json::array({change(5, t + 50, ChangeKind::state, "c", {{"state", "maint"}}),
                                      change(6, t + 60, ChangeKind::add, "c", {{"name", "c"}, {"address", "127.0.0.1:6081"}})}));
    // The state of c arrived before c existed here: applied again after the add.
    EXPECT_EQ(api.calls, (std::vector<std::string>{"state gis/c maint", "add gis/c", "state gis/c maint"}));
    api.calls.clear();
    Change older;
    older.origin = "lb3";  // an older change forwarded by lb1 arrives late
    older.seq = 1;
    older.stamp = t + 10;
    older.pool = "gis";
    older.server = "c";
    older.payload = {{"state", "ready"}};
    sync(json::object(), json::array({to_json(older)}));
    EXPECT_TRUE(api.calls.empty());
    EXPECT_EQ(node.log().state_of("gis", "c")->payload["state"], "maint");
}

TEST_F(NodeSync, RefusesStrangersAndMalformedRequests) {
    auto r = node.sync({{"node", "lb9"}, {"seen", json::object()}, {"changes", json::array()}});
    EXPECT_EQ(r.status, 403);
    EXPECT_NE(r.body.dump().find("not a peer of lb2"), std::string::npos);
    EXPECT_EQ(node.sync({{"seen", json::object()}}).status, 400);
    EXPECT_EQ(node.sync({{"node", "lb1"}, {"seen", {{"lb1", "x"}}}}).status, 400);
    EXPECT_EQ(node.sync({{"node", "lb1"}, {"seen", json::object()}, {"changes", "x"}}).status, 400);
    // A malformed change is skipped, the rest applied.
    r = sync(json::object(), json::array({json{{"origin", "lb1"}}, change(1, 1, ChangeKind::state, "a", {{"state", "drain"}})}));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(api.calls, (std::vector<std::string>{"state gis/a drain"}));
    EXPECT_TRUE(api.calls.size() == 1);
}

TEST_F(NodeSync, StatusShowsThePeerAndWarnsOfAnotherConfig) {
    json st = node.status();
    EXPECT_EQ(st["node"], "lb2");
    ASSERT_EQ(st["peers"].size(), 1u);
    EXPECT_EQ(st["peers"][0]["reachable"], false);
    EXPECT_TRUE(st["peers"][0]["last_contact"].is_null());
    EXPECT_TRUE(st["peers"][0]["config_matches"].is_null());
    EXPECT_TRUE(st["warnings"].empty());  // never tried yet: not "unreachable"

    sync(json::object(), json::array({change(4, 4, ChangeKind::state, "a", {{"state", "drain"}})}));
    st = node.status();
    const json& peer = st["peers"][0];
    EXPECT_EQ(peer["reachable"], true);
    EXPECT_TRUE(peer["last_contact"].is_string());
    EXPECT_EQ(peer["last_change_applied"]["seq"], 4);
    EXPECT_EQ(peer["config_matches"], false);  // its hash is "x"
    ASSERT_EQ(st["warnings"].size(), 1u);
    EXPECT_NE(st["warnings"][0].get<std::string>().find("peer lb1 runs a different config"), std::string::npos);

    // The same hash: no warning.
    node.sync({{"node", "lb1"}, {"config_hash", st["config_hash"]}, {"seen", json::object()}});
    EXPECT_TRUE(node.status()["warnings"].empty());
    std::string metrics;
    node.metrics(metrics, nullptr);
    EXPECT_NE(metrics.find("gisgate_cluster_peer_up{peer=\"lb1\"} 1"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("gisgate_cluster_config_match{peer=\"lb1\"} 1"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("gisgate_cluster_changes_total{origin=\"lb1\"} 1"), std::string::npos) << metrics;
}

TEST(ConfigHash, IgnoresWhatDiffersPerNode) {
    const config::Config a = node_config();
    config::Config b = node_config();
    b.cluster->node = "lb1";
    b.admin->token = "other";
    b.workers = a.workers + 3;
    b.listeners[0].bind.port = 8443;
    EXPECT_EQ(config_hash(a), config_hash(b));
    EXPECT_EQ(config_hash(a).size(), 16u);
    EXPECT_NE(config_hash(a), config_hash(node_config("least_conn")));
}

// The two node configs shipped beside the keepalived pair load, name each other, and have the same hash (so
// their dashboards show no config warning).
TEST(ConfigHash, TheShippedTwoNodeExampleIsOneConfig) {
    const std::string dir = std::string(GISGATE_SOURCE_DIR) + "/examples/keepalived/";
    const config::Config lb1 = config::load_file(dir + "gisgate-lb1.yaml");
    const config::Config lb2 = config::load_file(dir + "gisgate-lb2.yaml");
    ASSERT_TRUE(lb1.cluster && lb2.cluster);
    EXPECT_EQ(lb1.cluster->node, "lb1");
    ASSERT_EQ(lb1.cluster->peers.size(), 1u);
    EXPECT_EQ(lb1.cluster->peers[0].name, lb2.cluster->node);
    EXPECT_EQ(lb1.cluster->peers[0].admin.to_string(), lb2.admin->bind.to_string());
    ASSERT_EQ(lb2.cluster->peers.size(), 1u);
    EXPECT_EQ(lb2.cluster->peers[0].name, lb1.cluster->node);
    EXPECT_EQ(lb2.cluster->peers[0].admin.to_string(), lb1.admin->bind.to_string());
    EXPECT_EQ(lb1.admin->token, lb2.admin->token);
    EXPECT_EQ(config_hash(lb1), config_hash(lb2));
}

}  // namespace
}  // namespace gisgate::cluster
