// `gisgate ctl rollout` end to end: three `gisgate sim` sites with catalog v1 behind `gisgate run`, a hook that
// "upgrades" the drained site by replacing its catalog (PUT /sim/catalog with curl), traffic through the proxy
// all along, and the admin API watched for how many servers are out of rotation at once.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "integration/load.hpp"
#include "integration/proxy_fixture.hpp"

namespace gisgate::test {
namespace {

using nlohmann::json;

// kAdmin with hooks allowed.
constexpr const char* kAdminHooks = "admin: { bind: 127.0.0.1:0, token: secret, rollout_hooks: true }\n";

constexpr const char* kRolloutHealth = "    health: { interval: 200ms, timeout: 1s, fall: 3, rise: 1 }\n";

// Catalog v1 (the sim's YAML), with `extra` root services for v2 and v3.
std::string catalog_yaml(const std::string& extra = "") {
    return "services:\n  - {name: Basemap, type: MapServer}\n" + extra +
           "folders:\n  Maps:\n    - {name: Streets, type: MapServer}\n";
}
const std::string kCatalogV1 = catalog_yaml();
const std::string kCatalogV2 = catalog_yaml("  - {name: Parcels, type: FeatureServer}\n");
const std::string kCatalogV3 = catalog_yaml("  - {name: Other, type: GPServer}\n");

// A hook that installs `file` on the drained site through its control endpoint.
std::string put_catalog_hook(const std::string& file) {
    return "curl -sS -f -X PUT --data-binary @" + file + " http://$GISGATE_ADDRESS/sim/catalog";
}

struct Pool {
    Sim a, b, c;
    Proxy proxy;
    int admin = 0;
};

Pool start_pool(const char* admin = kAdminHooks) {
    const std::string v1 = write_temp_file("rollout/v1.yaml", kCatalogV1);
    Pool p{start_sim("a", {"--catalog", v1}), start_sim("b", {"--catalog", v1}), start_sim("c", {"--catalog", v1}), {}, 0};
    p.proxy = start_proxy(basic_config({&p.a, &p.b, &p.c}, kRolloutHealth, "", admin));
    if (p.proxy.port != 0) p.admin = p.proxy.process->wait_for_port("admin");
    return p;
}

ProgramResult ctl(int admin, std::vector<std::string> args) {
    std::vector<std::string> all = {"ctl", "--admin", "127.0.0.1:" + std::to_string(admin), "--token", "secret"};
    all.insert(all.end(), args.begin(), args.end());
    return run_program(GISGATE_BINARY, all, 60s);
}

json get_json(int port, const std::string& target) {
    return json::parse(http_get(port, target).body, nullptr, false);
}

json rollout_of(int admin) { return get_json(admin, "/api/v1/rollout"); }

// Every server of pool gis is "up" (healthy and ready).
bool all_up(int admin) {
    const json status = get_json(admin, "/api/v1/status");
    if (status.is_discarded()) return false;
    for (const auto& s : status["pools"][0]["servers"])
        if (s["state"] != "up") return false;
    return true;
}

std::string sim_catalog(const Sim& sim) {
    const json c = get_json(sim.port, "/sim/catalog");
    return c.is_discarded() ? "?" : c["services"].dump();
}

// Samples /api/v1/status until stopped: the most servers of pool gis out of rotation at once.
class NotReadyWatch {
public:
    explicit NotReadyWatch(int admin)
        : thread_([this, admin] {
              const auto deadline = std::chrono::steady_clock::now() + 120s;
              while (!stop_ && std::chrono::steady_clock::now() < deadline) {
                  const json status = get_json(admin, "/api/v1/status");
                  if (status.is_discarded()) continue;
                  int out = 0;
                  for (const auto& s : status["pools"][0]["servers"]) out += s["state"] != "up";
                  most_ = std::max(most_.load(), out);
                  if (out > 0) ++samples_with_one_out_;
                  std::this_thread::sleep_for(5ms);
              }
          }) {}
    ~NotReadyWatch() { stop(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    int most() const { return most_; }
    int samples_out() const { return samples_with_one_out_; }

private:
    std::atomic<bool> stop_{false};
    std::atomic<int> most_{0};
    std::atomic<int> samples_with_one_out_{0};
    std::thread thread_;
};

TEST(RolloutEndToEnd, HookChangesEverySiteOneAtATimeWithoutFailedRequests) {
    Pool p = start_pool();
    ASSERT_NE(p.admin, 0);
    ASSERT_TRUE(eventually([&] { return all_up(p.admin); }));
    const std::string v1_listing = sim_catalog(p.a);
    const std::string v2 = write_temp_file("rollout/v2.yaml", kCatalogV2);

    Load load(p.proxy.port, "/arcgis/rest/services/Maps/Streets/MapServer?f=json", 4, 60s);
    ASSERT_TRUE(eventually([&] { return load.sites().size() == 3; }));
    NotReadyWatch watch(p.admin);
    const ProgramResult r = ctl(p.admin, {"rollout", "--pool", "gis", "--hook", put_catalog_hook(v2), "--wait"});
    watch.stop();
    const std::uint64_t ok_during = load.ok();
    load.stop();

    EXPECT_EQ(r.exit, 0) << r.output;
    for (const char* server : {"a", "b", "c"}) EXPECT_NE(r.output.find(std::string(server) + ": draining"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("done: 3 server(s) changed"), std::string::npos) << r.output;
    EXPECT_EQ(watch.most(), 1) << "exactly one server out of rotation at a time";
    EXPECT_GT(watch.samples_out(), 0);
    EXPECT_TRUE(load.failures().empty()) << load.failures().size() << " failed requests:\n" << describe(load.failures());
    EXPECT_GT(ok_during, 20u);

    for (const Sim* sim : {&p.a, &p.b, &p.c}) {
        EXPECT_NE(sim_catalog(*sim), v1_listing) << sim->name << " was not changed";
        EXPECT_EQ(sim_catalog(*sim), sim_catalog(p.a));
    }
    const json rollout = rollout_of(p.admin);
    EXPECT_EQ(rollout["state"], "done");
    EXPECT_EQ(rollout["reference"], "a");
    for (const auto& s : rollout["servers"]) {
        EXPECT_EQ(s["step"], "done") << s.dump();
        EXPECT_EQ(s["hook_exit"], 0) << s.dump();
    }
    EXPECT_EQ(get_json(p.admin, "/api/v1/status")["rollout"]["id"], rollout["id"]);
    EXPECT_TRUE(eventually([&] { return all_up(p.admin); }));
}

TEST(RolloutEndToEnd, DriftingSitePausesTheRolloutAndAbortRestoresIt) {
    Pool p = start_pool();
    ASSERT_NE(p.admin, 0);
    ASSERT_TRUE(eventually([&] { return all_up(p.admin); }));
    const std::string v2 = write_temp_file("rollout/v2.yaml", kCatalogV2);
    const std::string v3 = write_temp_file("rollout/v3.yaml", kCatalogV3);
    // The second site gets another catalog than the first.
    const std::string hook =
        "if [ \"$GISGATE_STEP\" = 2 ]; then F=" + v3 + "; else F=" + v2 + "; fi; " + put_catalog_hook("$F");
    const ProgramResult started = ctl(p.admin, {"rollout", "--pool", "gis", "--hook", hook});
    ASSERT_EQ(started.exit, 0) << started.output;

    ASSERT_TRUE(eventually([&] { return rollout_of(p.admin)["state"] == "drift"; })) << rollout_of(p.admin).dump(2);
    const json paused = rollout_of(p.admin);
    EXPECT_EQ(paused["current"], "b");
    const json b = paused["servers"][1];
    EXPECT_EQ(b["step"], "drift");
    EXPECT_EQ(b["differences"], json({"extra Other (GPServer)", "missing Parcels (FeatureServer)"})) << b.dump();
    EXPECT_EQ(server_state(p.admin, "gis", "b"), "drain") << "the drifting site stays out of rotation";
    EXPECT_EQ(server_state(p.admin, "gis", "a"), "up");
    EXPECT_EQ(server_state(p.admin, "gis", "c"), "up");
    const ProgramResult shown = ctl(p.admin, {"rollout", "status"});
    EXPECT_NE(shown.output.find("b: extra Other (GPServer)"), std::string::npos) << shown.output;

    // continue checks again: still different, still paused.
    ASSERT_EQ(ctl(p.admin, {"rollout", "continue"}).exit, 0);
    ASSERT_TRUE(eventually([&] { return rollout_of(p.admin)["state"] == "drift"; }));

    const ProgramResult aborted = ctl(p.admin, {"rollout", "abort"});
    EXPECT_EQ(aborted.exit, 0) << aborted.output;
    EXPECT_EQ(rollout_of(p.admin)["state"], "aborted");
    EXPECT_EQ(server_state(p.admin, "gis", "b"), "up");
    EXPECT_TRUE(all_up(p.admin));
    EXPECT_EQ(ctl(p.admin, {"rollout", "abort"}).exit, 1) << "nothing left to abort";
}

TEST(RolloutEndToEnd, WithoutHookEachStepWaitsForContinue) {
    Pool p = start_pool(kAdmin);  // hooks off (the default): a rollout without one still runs
    ASSERT_NE(p.admin, 0);
    ASSERT_TRUE(eventually([&] { return all_up(p.admin); }));
    const ProgramResult refused = ctl(p.admin, {"rollout", "--pool", "gis", "--hook", "true"});
    EXPECT_EQ(refused.exit, 1);
    EXPECT_NE(refused.output.find("rollout_hooks"), std::string::npos) << refused.output;
    EXPECT_EQ(rollout_of(p.admin)["error"]["code"], 404) << "nothing started";
    const ProgramResult started = ctl(p.admin, {"rollout", "--pool", "gis", "--drain-timeout", "10s"});
    ASSERT_EQ(started.exit, 0) << started.output;
    EXPECT_EQ(ctl(p.admin, {"rollout", "--pool", "gis"}).exit, 1) << "a second rollout is refused (409)";

    for (Sim* sim : {&p.a, &p.b, &p.c}) {
        ASSERT_TRUE(eventually([&] {
            const json r = rollout_of(p.admin);
            return r["state"] == "waiting" && r["current"] == sim->name;
        })) << rollout_of(p.admin).dump(2);
        EXPECT_EQ(server_state(p.admin, "gis", sim->name), "drain");
        // The operator changes the site by hand, then continues.
        HttpClient client(sim->port);
        ASSERT_EQ(client.request("PUT", "/sim/catalog", {}, kCatalogV2).status, 200);
        const ProgramResult resumed = ctl(p.admin, {"rollout", "continue"});
        ASSERT_EQ(resumed.exit, 0) << resumed.output;
    }
    ASSERT_TRUE(eventually([&] { return rollout_of(p.admin)["state"] == "done"; })) << rollout_of(p.admin).dump(2);
    EXPECT_TRUE(eventually([&] { return all_up(p.admin); }));
}

}  // namespace
}  // namespace gisgate::test
