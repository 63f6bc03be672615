// Two gisgate processes as cluster peers (docs/cluster.md): a drain, an added or removed server, a cache purge
// and a reload made on one node reach the other; a node that was down converges when it comes back; a config
// difference is shown; a job submitted through one node is found by the other through the peer lookup, without
// probing the sites; a peer that was unreachable gets the change from the periodic exchange. Elsewhere
// sync_interval is 5 s: the immediate push and a starting node's first exchange deliver the changes, the periodic
// round only makes up for a push lost on an overloaded machine.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <thread>

#include "integration/proxy_fixture.hpp"
#include "support/multipart.hpp"

namespace gisgate::test {
namespace {

using nlohmann::json;

constexpr const char* kClusterGp = "/arcgis/rest/services/Analysis/Buffer/GPServer/BufferPoints";
constexpr const char* kClusterPool =
    "    health: { enabled: false }\n"
    "    cache: { memory: 4MB, max_object: 1MB, paths: [\"*/MapServer/tile/*\"] }\n";

std::string node_keys(const std::string& node, int admin, const std::string& peer, int peer_admin,
                      const std::string& sync_interval = "5s") {
    // A short peer_timeout only where the test wants a peer seen unreachable quickly.
    const std::string timeout = sync_interval == "5s" ? "1s" : "300ms";
    return fmt::format("admin: {{ bind: 127.0.0.1:{}, token: secret }}\n"
                       "cluster: {{ node: {}, sync_interval: {}, peer_timeout: {}, "
                       "peers: [{{ name: {}, admin: 127.0.0.1:{} }}] }}\n",
                       admin, node, sync_interval, timeout, peer, peer_admin);
}

HttpResponse admin_call(int admin, const std::string& method, const std::string& target, const json& body = nullptr) {
    HttpClient c(admin);
    std::vector<std::pair<std::string, std::string>> headers{{"Authorization", "Bearer secret"}};
    if (!body.is_null()) headers.emplace_back("Content-Type", "application/json");
    return c.request(method, target, headers, body.is_null() ? std::string() : body.dump());
}

json cluster_status(int admin) {
    const auto r = http_get(admin, "/api/v1/status");
    const auto body = json::parse(r.body, nullptr, false);
    return body.is_object() && body.contains("cluster") ? body["cluster"] : json();
}

json first_peer(int admin) {
    const json cluster = cluster_status(admin);
    return cluster.is_object() && !cluster["peers"].empty() ? cluster["peers"][0] : json();
}

struct NodePair {
    Proxy n1, n2;
    int admin1 = 0, admin2 = 0;
    std::string yaml1, yaml2;
};

// Nodes lb1 and lb2, peers of each other, over `sims`. The admin ports must be known before either node starts
// (each names the other's). A port free when picked may still be taken by another ephemeral bind (a listener's
// port 0) before the node binds it: a node that did not get its admin port is started again with new ones.
bool start_pair(NodePair& pair, const std::vector<Sim*>& sims, const std::string& pool1, const std::string& pool2,
                const std::string& sync_interval = "5s") {
    for (int attempt = 0; attempt < 5; ++attempt) {
        pair.admin1 = unused_port();
        pair.admin2 = unused_port();
        if (pair.admin2 == pair.admin1) continue;
        pair.yaml1 = basic_config(sims, pool1, "", node_keys("lb1", pair.admin1, "lb2", pair.admin2, sync_interval));
        pair.yaml2 = basic_config(sims, pool2, "", node_keys("lb2", pair.admin2, "lb1", pair.admin1, sync_interval));
        pair.n1 = start_proxy(pair.yaml1, "public", "lb1.yaml");
        if (pair.n1.port == 0 || pair.n1.process->wait_for_port("admin") != pair.admin1) continue;
        pair.n2 = start_proxy(pair.yaml2, "public", "lb2.yaml");
        if (pair.n2.port == 0 || pair.n2.process->wait_for_port("admin") != pair.admin2) continue;
        return true;
    }
    return false;
}

std::uint64_t peer_test_sim_requests(const Sim& sim) {
    return json::parse(http_get(sim.port, "/sim/stats").body)["requests"].get<std::uint64_t>();
}

class ClusterPeers : public ::testing::Test {
protected:
    void SetUp() override {
        const std::vector<std::string> fast_jobs{"--job-duration", "300ms"};
        a = start_sim("a", fast_jobs);
        b = start_sim("b", fast_jobs);
        NodePair pair;
        ASSERT_TRUE(start_pair(pair, {&a, &b}, kClusterPool, kClusterPool)) << "the nodes did not start";
        n1 = std::move(pair.n1);
        n2 = std::move(pair.n2);
        admin1 = pair.admin1;
        admin2 = pair.admin2;
        yaml2 = pair.yaml2;
    }
    HttpResponse put_state(int admin, const std::string& server, const std::string& state) {
        return admin_call(admin, "PUT", "/api/v1/pools/gis/servers/" + server + "/state", json{{"state", state}});
    }
    Sim a, b;
    int admin1 = 0, admin2 = 0;
    std::string yaml2;
    Proxy n1, n2;
};

TEST_F(ClusterPeers, DrainOnOneNodeIsInEffectOnTheOther) {
    ASSERT_EQ(put_state(admin1, "a", "drain").status, 200);
    ASSERT_TRUE(eventually([&] { return server_state(admin2, "gis", "a") == "drain"; }))
        << n2.process->output();
    // Node 2 steers its own traffic accordingly.
    const auto counts = count_sites(n2.port, "/arcgis/rest/info?f=json", 10);
    EXPECT_EQ(counts.count("a"), 0u);
    EXPECT_EQ(counts.at("b"), 10);
    // Both show each other reachable with the same config and lb2 applied lb1's change.
    ASSERT_TRUE(eventually([&] { return first_peer(admin1)["reachable"] == true; }));
    const json peer_of_2 = first_peer(admin2);
    EXPECT_EQ(peer_of_2["name"], "lb1");
    EXPECT_EQ(peer_of_2["reachable"], true);
    EXPECT_TRUE(peer_of_2["last_contact"].is_string());
    EXPECT_EQ(peer_of_2["config_matches"], true);
    EXPECT_EQ(peer_of_2["last_change_applied"]["origin"], "lb1");
    EXPECT_EQ(peer_of_2["last_change_applied"]["kind"], "state");
    EXPECT_TRUE(cluster_status(admin2)["warnings"].empty());
    auto ctl = ChildProcess::start({"ctl", "--admin", "127.0.0.1:" + std::to_string(admin2), "status"});
    ASSERT_EQ(ctl->wait_exit(), 0) << ctl->output();
    EXPECT_NE(ctl->output().find("cluster node lb2"), std::string::npos) << ctl->output();
    EXPECT_NE(ctl->output().find("peer lb1 127.0.0.1:" + std::to_string(admin1) + ": reachable"), std::string::npos)
        << ctl->output();
    EXPECT_NE(ctl->output().find("last change applied state gis/a (lb1 #"), std::string::npos) << ctl->output();
    // And back: ready on node 2 reaches node 1.
    ASSERT_EQ(put_state(admin2, "a", "ready").status, 200);
    ASSERT_TRUE(eventually([&] { return server_state(admin1, "gis", "a") == "up"; }));
    const auto metrics = http_get(admin1, "/metrics").body;
    EXPECT_NE(metrics.find("gisgate_cluster_peer_up{peer=\"lb2\"} 1"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("gisgate_cluster_changes_total{origin=\"lb2\"} 1"), std::string::npos) << metrics;
}

TEST_F(ClusterPeers, RestartedNodeConvergesOnChangesMadeWhileItWasDown) {
    // A change node 2 made itself before it went down, overridden on node 1 while it was away.
    ASSERT_EQ(put_state(admin2, "b", "maint").status, 200);
    ASSERT_TRUE(eventually([&] { return server_state(admin1, "gis", "b") == "maint"; }));
    n2.process->signal(SIGTERM);
    ASSERT_EQ(n2.process->wait_exit(), 0);

    ASSERT_EQ(put_state(admin1, "a", "drain").status, 200);
    ASSERT_EQ(put_state(admin1, "b", "ready").status, 200);
    // The push failed: node 1 shows the peer unreachable, with why.
    ASSERT_TRUE(eventually([&] { return first_peer(admin1)["reachable"] == false; }));
    EXPECT_TRUE(first_peer(admin1)["last_error"].is_string());
    EXPECT_FALSE(cluster_status(admin1)["warnings"].empty());

    // Restarted from its file (a and b ready), it takes node 1's changes, newest per server.
    n2 = start_proxy(yaml2, "public", "lb2.yaml");
    ASSERT_NE(n2.port, 0);
    ASSERT_TRUE(eventually([&] { return server_state(admin2, "gis", "a") == "drain"; })) << n2.process->output();
    EXPECT_EQ(server_state(admin2, "gis", "b"), "up");
    EXPECT_EQ(server_state(admin1, "gis", "b"), "up");
}

TEST_F(ClusterPeers, AddRemovePurgeAndReloadReachThePeer) {
    const json c = {{"name", "c"}, {"address", "127.0.0.1:" + std::to_string(a.port)}, {"weight", 2}};
    ASSERT_EQ(admin_call(admin1, "POST", "/api/v1/pools/gis/servers", c).status, 201);
    ASSERT_TRUE(eventually([&] { return server_state(admin2, "gis", "c") == "up"; })) << n2.process->output();
    // Both run the same servers again: their config hashes agree.
    EXPECT_TRUE(eventually([&] { return first_peer(admin1)["config_matches"] == true; }));
    EXPECT_EQ(cluster_status(admin1)["config_hash"], cluster_status(admin2)["config_hash"]);

    ASSERT_EQ(admin_call(admin1, "DELETE", "/api/v1/pools/gis/servers/c").status, 202);
    ASSERT_TRUE(eventually([&] { return server_state(admin2, "gis", "c") == "missing"; }));

    ASSERT_EQ(admin_call(admin1, "DELETE", "/api/v1/cache?prefix=/arcgis").status, 200);
    EXPECT_TRUE(n2.process->wait_for_output("cluster: applied purge")) << n2.process->output();
    ASSERT_EQ(admin_call(admin1, "POST", "/api/v1/reload", json::object()).status, 200);
    EXPECT_TRUE(n2.process->wait_for_output("cluster: applied reload")) << n1.process->output();
    // Node 2 applied them and did not log them as its own (nothing echoed back as a change of lb2).
    const auto metrics = http_get(admin2, "/metrics").body;
    EXPECT_NE(metrics.find("gisgate_cluster_changes_total{origin=\"lb1\"} 4"), std::string::npos) << metrics;
    EXPECT_EQ(metrics.find("gisgate_cluster_changes_total{origin=\"lb2\"}"), std::string::npos) << metrics;
}

TEST_F(ClusterPeers, JobSubmittedThroughOneNodeIsFoundByThePeer) {
    HttpClient client(n1.port);
    const auto submitted = client.request("POST", std::string(kClusterGp) + "/submitJob",
                                          {{"Content-Type", "application/x-www-form-urlencoded"}}, "Input=1&f=json");
    ASSERT_EQ(submitted.status, 200) << submitted.body;
    const std::string job = json::parse(submitted.body)["jobId"].get<std::string>();
    // The submit's answer is read for the job id as it passes: recorded by the time it is complete, or just after.
    ASSERT_TRUE(eventually([&] { return http_get(admin1, "/api/v1/cluster/jobs/gis/" + job).status == 200; }));
    EXPECT_EQ(http_get(admin1, "/api/v1/cluster/jobs/gis/nosuchjob").status, 404);

    const std::uint64_t before = peer_test_sim_requests(a) + peer_test_sim_requests(b);
    const auto polled = http_get(n2.port, std::string(kClusterGp) + "/jobs/" + job + "?f=json");
    ASSERT_EQ(polled.status, 200) << polled.body;
    EXPECT_NE(polled.body.find("jobStatus"), std::string::npos) << polled.body;
    // The one forwarded poll, no probe of the sites: the peer named the job's server.
    EXPECT_EQ(peer_test_sim_requests(a) + peer_test_sim_requests(b) - before, 1u);
    const auto metrics = http_get(admin2, "/metrics").body;
    EXPECT_NE(metrics.find("gisgate_cluster_job_lookups_total{result=\"found\"} 1"), std::string::npos) << metrics;
}

TEST_F(ClusterPeers, UploadTakenThroughOneNodeIsFoundByThePeer) {
    const std::string print = "/arcgis/rest/services/Utilities/PrintingTools/GPServer";
    HttpClient client(n1.port);
    const auto uploaded = client.request("POST", print + "/uploads/upload", {{"Content-Type", upload_content_type()}},
                                         upload_body("layout.pagx", std::string(2000, 'L')));
    ASSERT_EQ(uploaded.status, 200) << uploaded.body;
    const std::string item = json::parse(uploaded.body)["item"].value("itemID", "");
    ASSERT_FALSE(item.empty()) << uploaded.body;
    ASSERT_TRUE(eventually([&] { return http_get(admin1, "/api/v1/cluster/uploads/gis/" + item).status == 200; }));

    const std::uint64_t before = peer_test_sim_requests(a) + peer_test_sim_requests(b);
    const auto info = http_get(n2.port, print + "/uploads/" + item + "?f=json");
    ASSERT_EQ(info.status, 200) << info.body;
    EXPECT_EQ(json::parse(info.body).value("itemID", ""), item) << info.body;
    EXPECT_EQ(peer_test_sim_requests(a) + peer_test_sim_requests(b) - before, 1u);
    const auto metrics = http_get(admin2, "/metrics").body;
    EXPECT_NE(metrics.find("gisgate_cluster_job_lookups_total{result=\"found\"} 1"), std::string::npos) << metrics;
}

// Not restarted but unreachable for a while (stopped): the periodic exchange delivers what it missed.
TEST(ClusterAntiEntropy, APeerThatWasUnreachableGetsTheChangeWhenItAnswersAgain) {
    Sim a = start_sim("a"), b = start_sim("b");
    NodePair pair;
    ASSERT_TRUE(start_pair(pair, {&a, &b}, kClusterPool, kClusterPool, "300ms"));
    ASSERT_TRUE(eventually([&] { return first_peer(pair.admin1)["reachable"] == true; }));
    pair.n2.process->signal(SIGSTOP);
    HttpClient c(pair.admin1);
    const auto r = c.request("PUT", "/api/v1/pools/gis/servers/a/state",
                             {{"Authorization", "Bearer secret"}, {"Content-Type", "application/json"}},
                             json{{"state", "maint"}}.dump());
    EXPECT_EQ(r.status, 200);
    // The push times out (peer_timeout): node 1 shows the peer unreachable; node 2 has not applied it.
    const bool seen_down = eventually([&] { return first_peer(pair.admin1)["reachable"] == false; });
    pair.n2.process->signal(SIGCONT);
    ASSERT_TRUE(seen_down) << pair.n1.process->output();
    ASSERT_TRUE(eventually([&] { return server_state(pair.admin2, "gis", "a") == "maint"; })) << pair.n2.process->output();
    EXPECT_TRUE(eventually([&] { return first_peer(pair.admin1)["reachable"] == true; }));
}

// `ctl rollout` on one node changes the servers on every node: the drain reaches the peer, and the step waits
// until the drained server is idle on the peer too (a slow request node 2 is still serving on it holds the step).
TEST(ClusterRollout, StepWaitsUntilTheDrainedServerIsIdleOnThePeer) {
    Sim a = start_sim("a"), b = start_sim("b");
    NodePair pair;
    ASSERT_TRUE(start_pair(pair, {&a, &b}, kClusterPool, kClusterPool, "1s"));
    ASSERT_TRUE(eventually([&] { return first_peer(pair.admin1)["reachable"] == true; }));
    set_fault(a, "slow", 6000);
    const auto active_on_a = [&](int admin) {
        const auto status = json::parse(http_get(admin, "/api/v1/status").body, nullptr, false);
        if (!status.is_object() || !status.contains("pools")) return -1;
        for (const auto& s : status["pools"][0]["servers"])
            if (s["name"] == "a") return s["active"].get<int>();
        return -1;
    };
    // Requests through node 2, one more at a time, until one is on a (where it takes 6 s): each worker balances
    // on its own, so which site the first one gets is not fixed. Those on b end at once.
    std::atomic<int> done{0};
    std::vector<std::thread> clients;
    const auto join = [&] {
        for (auto& t : clients) t.join();
    };
    bool slow_in_flight = false;
    for (int i = 0; i < 6 && !slow_in_flight; ++i) {
        clients.emplace_back([&] {
            http_get(pair.n2.port, "/arcgis/rest/info?f=json");
            ++done;
        });
        slow_in_flight = eventually([&] { return active_on_a(pair.admin2) >= 1; }, std::chrono::seconds(2));
    }
    if (!slow_in_flight) join();
    ASSERT_TRUE(slow_in_flight);
    const int sent = static_cast<int>(clients.size());
    EXPECT_EQ(active_on_a(pair.admin1), 0) << "node 1 serves nothing on a";
    const auto started = admin_call(pair.admin1, "POST", "/api/v1/rollouts",
                                    json{{"pool", "gis"}, {"order", json::array({"a"})}, {"drain_timeout", "30s"}});
    if (started.status != 201) join();
    ASSERT_EQ(started.status, 201) << started.body;
    const auto rollout = [&] { return json::parse(http_get(pair.admin1, "/api/v1/rollout").body, nullptr, false); };
    // The drain is in effect on node 2, and the rollout still waits for its request on a.
    const bool drained_there = eventually([&] { return server_state(pair.admin2, "gis", "a") == "drain"; });
    const json while_slow = rollout();
    const int done_then = done.load();
    // Once it ended (and node 2 said so), the step goes on: without a hook, to `waiting` for `continue`.
    const bool went_on = eventually([&] { return rollout()["state"] == "waiting"; }, std::chrono::seconds(20));
    const int done_when_waiting = done.load();
    join();
    EXPECT_TRUE(drained_there);
    ASSERT_LT(done_then, sent) << "the slow request ended before the check: no evidence either way";
    EXPECT_EQ(while_slow["state"], "running") << while_slow.dump(2);
    EXPECT_EQ(while_slow["current"], "a") << while_slow.dump(2);
    ASSERT_TRUE(went_on) << rollout().dump(2);
    EXPECT_EQ(done_when_waiting, sent) << "the step went on while node 2 still served a request on a";
    EXPECT_EQ(admin_call(pair.admin1, "POST", "/api/v1/rollout/abort").status, 200);
    EXPECT_TRUE(eventually([&] { return server_state(pair.admin2, "gis", "a") == "up"; }))
        << "abort's ready reaches the peer too";
}

TEST(ClusterConfigHash, ADifferentConfigIsShownOnBothNodes) {
    Sim a = start_sim("a");
    NodePair pair;
    ASSERT_TRUE(start_pair(pair, {&a}, kClusterPool, std::string(kClusterPool) + "    balance: least_conn\n"));
    const int admin1 = pair.admin1, admin2 = pair.admin2;
    const Proxy& n1 = pair.n1;
    const Proxy& n2 = pair.n2;
    // Node 2's first exchange reaches node 1 (started first) and both learn the other's hash.
    ASSERT_TRUE(eventually([&] { return first_peer(admin1)["config_matches"] == false; })) << n1.process->output();
    ASSERT_TRUE(eventually([&] { return first_peer(admin2)["config_matches"] == false; })) << n2.process->output();
    const json warnings = cluster_status(admin1)["warnings"];
    ASSERT_FALSE(warnings.empty());
    auto ctl = ChildProcess::start({"ctl", "--admin", "127.0.0.1:" + std::to_string(admin1), "status"});
    ASSERT_EQ(ctl->wait_exit(), 0) << ctl->output();
    EXPECT_NE(ctl->output().find("warning: peer lb2 runs a different config"), std::string::npos) << ctl->output();
    EXPECT_NE(warnings[0].get<std::string>().find("peer lb2 runs a different config"), std::string::npos) << warnings;
    EXPECT_NE(http_get(admin1, "/metrics").body.find("gisgate_cluster_config_match{peer=\"lb2\"} 0"), std::string::npos);
}

}  // namespace
}  // namespace gisgate::test
