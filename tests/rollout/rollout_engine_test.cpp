// The rollout state machine with fake dependencies: a pool of fake sites whose states, in-flight counts and
// catalogs the test controls, and a fake hook that "changes" a site or fails. No sockets, no processes.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "rollout/rollout.hpp"

namespace gisgate::rollout {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

gis::Catalog catalog_of(std::vector<std::pair<std::string, std::string>> services, const std::string& hash = "h1") {
    gis::Catalog c;
    for (auto& [name, type] : services) c.services.push_back({name, type, hash});
    std::sort(c.services.begin(), c.services.end(),
              [](const auto& a, const auto& b) { return std::tie(a.name, a.type) < std::tie(b.name, b.type); });
    return c;
}

const gis::Catalog kV1 = catalog_of({{"Maps/Streets", "MapServer"}, {"Parcels", "FeatureServer"}});
const gis::Catalog kV2 = catalog_of({{"Maps/Streets", "MapServer"}, {"Parcels", "FeatureServer"}, {"New", "MapServer"}});

struct FakeSite {
    std::string name;
    bool backup = false;
    std::string state = "ready";
    bool healthy = true;
    std::uint64_t in_flight = 0;
    gis::Catalog catalog = kV1;
    bool readable = true;
};

// A hook the test finishes: by `behaviour` at once (posted), or by hand through `pending`.
struct FakeHookRun final : HookRun {
    explicit FakeHookRun(bool* killed) : killed(killed) {}
    ~FakeHookRun() override { *killed = true; }
    bool* killed;
};

class FakePool {
public:
    FakePool() = default;
    explicit FakePool(std::vector<FakeSite> initial) : sites(std::move(initial)) {}
    asio::io_context io;
    std::vector<FakeSite> sites;
    std::vector<std::string> calls;        // "a drain", "a ready", ...
    std::size_t most_not_ready = 0;        // the most servers out of rotation at once
    std::vector<HookRequest> hooks;        // every hook started
    // What a hook does to the site it runs for; its exit code. Unset: the hook stays pending.
    std::function<int(FakeSite&, const HookRequest&)> behaviour = [](FakeSite& s, const HookRequest&) {
        s.catalog = kV2;
        return 0;
    };
    HookDone pending;
    bool hook_killed = false;

    FakeSite& site(const std::string& name) {
        for (auto& s : sites)
            if (s.name == name) return s;
        throw std::runtime_error("no site " + name);
    }

    Dependencies deps() {
        Dependencies d;
        d.servers = [this](const std::string& pool) -> std::optional<std::vector<ServerInfo>> {
            if (pool != "gis") return std::nullopt;
            std::vector<ServerInfo> out;
            for (const auto& s : sites)
                out.push_back({s.name, "127.0.0.1:1", s.backup, s.state, s.healthy, s.healthy && s.state == "ready"});
            return out;
        };
        d.set_state = [this](const std::string& pool, const std::string& server, const std::string& state) {
            EXPECT_EQ(pool, "gis");
            calls.push_back(server + " " + state);
            site(server).state = state;
            const auto out = std::count_if(sites.begin(), sites.end(), [](const FakeSite& s) { return s.state != "ready"; });
            most_not_ready = std::max<std::size_t>(most_not_ready, out);
            return std::string();
        };
        d.in_flight = [this](const std::string&, const std::string& server) { return site(server).in_flight; };
        d.fetch_catalog = [this](const std::string&, const std::string& server, CatalogDone done) {
            FakeSite& s = site(server);
            if (s.readable) asio::post(io, [done, c = s.catalog] { done(c, ""); });
            else asio::post(io, [done] { done(std::nullopt, "connection refused"); });
        };
        d.run_hook = [this](HookRequest request, HookDone done) -> std::unique_ptr<HookRun> {
            hooks.push_back(request);
            hook_killed = false;
            std::string server;
            for (const auto& [k, v] : request.env)
                if (k == "GISGATE_SERVER") server = v;
            if (behaviour) {
                const int code = behaviour(site(server), request);
                asio::post(io, [done, code] { done(HookResult{code, false, "", "output of " + std::to_string(code)}); });
            } else {
                pending = std::move(done);
            }
            return std::make_unique<FakeHookRun>(&hook_killed);
        };
        return d;
    }

    // Runs the io_context until `condition` (bounded).
    template <class F>
    bool run_until(F condition, std::chrono::milliseconds limit = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!condition()) {
            if (std::chrono::steady_clock::now() >= deadline) return false;
            io.restart();
            io.run_one_for(5ms);
        }
        return true;
    }
};

std::string state_of(const Rollouts& r) { return r.to_json().value("state", "none"); }

std::string step_of(const Rollouts& r, const std::string& server) {
    const json j = r.to_json();
    for (const auto& s : j["servers"])
        if (s["name"] == server) return s["step"];
    return "missing";
}

std::vector<FakeSite> three_sites() {
    std::vector<FakeSite> sites = {{"a"}, {"b"}, {"c"}};
    sites[2].backup = true;  // the standby: changed first
    return sites;
}

TEST(RolloutEngine, ChangesEveryServerInTurnStandbyFirst) {
    FakePool pool(three_sites());
    Rollouts rollouts(pool.io, pool.deps());
    const auto started = rollouts.start(json{{"pool", "gis"}, {"hook", "upgrade.sh"}});
    ASSERT_EQ(started.status, 201) << started.body.dump();
    EXPECT_EQ(started.body["pool"], "gis");
    ASSERT_TRUE(pool.run_until([&] { return state_of(rollouts) != "running"; }));
    EXPECT_EQ(state_of(rollouts), "done") << rollouts.to_json().dump(2);

    EXPECT_EQ(pool.calls, (std::vector<std::string>{"c drain", "c ready", "a drain", "a ready", "b drain", "b ready"}));
    EXPECT_EQ(pool.most_not_ready, 1u);
    for (const auto& s : pool.sites) {
        EXPECT_EQ(s.state, "ready");
        EXPECT_EQ(s.catalog.services.size(), 3u) << s.name << " was not changed";
    }
    ASSERT_EQ(pool.hooks.size(), 3u);
    const std::map<std::string, std::string> env(pool.hooks[1].env.begin(), pool.hooks[1].env.end());
    EXPECT_EQ(env.at("GISGATE_POOL"), "gis");
    EXPECT_EQ(env.at("GISGATE_SERVER"), "a");
    EXPECT_EQ(env.at("GISGATE_ADDRESS"), "127.0.0.1:1");
    EXPECT_EQ(env.at("GISGATE_STEP"), "2");
    EXPECT_EQ(pool.hooks[1].command, "upgrade.sh");

    const json j = rollouts.to_json();
    EXPECT_EQ(j["reference"], "c");
    EXPECT_TRUE(j["current"].is_null());
    EXPECT_FALSE(j["finished"].is_null());
    for (const auto& s : j["servers"]) {
        EXPECT_EQ(s["step"], "done");
        EXPECT_EQ(s["state_before"], "ready");
        EXPECT_EQ(s["hook_exit"], 0);
        EXPECT_FALSE(s["started"].is_null());
    }
    EXPECT_GE(j["log"].size(), 10u);
    EXPECT_EQ(rollouts.get().status, 200);
}

TEST(RolloutEngine, OrderOptionGoesFirstAndTheRestFollow) {
    FakePool pool(three_sites());
    Rollouts rollouts(pool.io, pool.deps());
    ASSERT_EQ(rollouts.start(json{{"pool", "gis"}, {"hook", "x"}, {"order", "b"}}).status, 201);
    ASSERT_TRUE(pool.run_until([&] { return state_of(rollouts) == "done"; }));
    EXPECT_EQ(pool.calls, (std::vector<std::string>{"b drain", "b ready", "c drain", "c ready", "a drain", "a ready"}));
}

TEST(RolloutEngine, WaitsForInFlightRequestsAndPausesAtTheDrainTimeout) {
    FakePool pool(three_sites());
    pool.site("c").in_flight = 2;
    Rollouts rollouts(pool.io, pool.deps());
    ASSERT_EQ(rollouts.start(json{{"pool", "gis"}, {"hook", "x"}, {"drain_timeout", "300ms"}}).status, 201);
    EXPECT_EQ(step_of(rollouts, "c"), "draining");
    // Still in flight: no hook yet; then one finishes, the other never does.
    ASSERT_TRUE(pool.run_until([&] { return pool.calls.size() == 1; }));
    pool.site("c").in_flight = 1;
    const auto drained_at = std::chrono::steady_clock::now();
    ASSERT_TRUE(pool.run_until([&] { return state_of(rollouts) == "drain_timeout"; }));
    EXPECT_GE(std::chrono::steady_clock::now() - drained_at, 200ms);
    EXPECT_TRUE(pool.hooks.empty());
    EXPECT_EQ(pool.site("c").state, "drain");
    EXPECT_NE(rollouts.to_json()["message"].get<std::string>().find("1 request(s) still in flight"), std::string::npos);

    // `continue` goes on although a request is in flight.
    ASSERT_EQ(rollouts.resume(json::object()).status, 200);
    ASSERT_TRUE(pool.run_until([&] { return state_of(rollouts) != "running"; }));
    EXPECT_EQ(state_of(rollouts), "done");
    EXPECT_EQ(pool.hooks.size(), 3u);
}

TEST(RolloutEngine, InFlightReachingZeroEndsTheDrain) {
    FakePool pool(three_sites());
    pool.site("c").in_flight = 1;
    Rollouts rollouts(pool.io, pool.deps());
    ASSERT_EQ(rollouts.start(json{{"pool", "gis"}, {"hook", "x"}, {"drain_timeout", 60}}).status, 201);
    ASSERT_TRUE(pool.run_until([&] { return !pool.calls.empty(); }));
    pool.io.restart();
    pool.io.run_for(150ms);
    EXPECT_TRUE(pool.hooks.empty()) << "the hook ran while a request was in flight";
    pool.site("c").in_flight = 0;
    ASSERT_TRUE(pool.run_until([&] { return state_of(rollouts) == "done"; }));
}

TEST(RolloutEngine, WithoutHookEachServerWaitsForContinue) {
    FakePool pool(three_sites());
    Rollouts rollouts(pool.io, pool.deps());
    ASSERT_EQ(rollouts.start(json{{"pool", "gis"}}).status, 201);
    for (const char* server : {"c", "a", "b"}) {
        ASSERT_TRUE(pool.run_until([&] { return state_of(rollouts) == "waiting"; })) << server;
        EXPECT_EQ(rollouts.to_json()["current"], server);
        EXPECT_EQ(pool.site(server).state, "drain");
        pool.site(server).catalog = kV2;  // the operator changes the site by hand
        ASSERT_EQ(rollouts.resume(json::object()).status, 200);
        ASSERT_TRUE(pool.run_until([&] { return pool.site(server).state == "ready"; })) << server;
    }
    ASSERT_TRUE(pool.run_until([&] { return state_of(rollouts) == "done"; }));
    EXPECT_TRUE(pool.hooks.empty());
    EXPECT_EQ(rollouts.resume(json::object()).status, 409);
}

TEST(RolloutEngine, DriftPausesAndContinueChecksAgain) {
    FakePool pool(three_sites());
    pool.behaviour = [](FakeSite& s, const HookRequest&) {
        // The second site changed gets a different catalog than the first.
        s.catalog = s.name == "a" ? catalog_of({{"Maps/Streets", "MapServer"}, {"Other", "MapServer"}}) : kV2;
        return 0;
    };
    Rollouts rollouts(pool.io, pool.deps());
    ASSERT_EQ(rollouts.start(json{{"pool", "gis"}, {"hook", "x"}}).status, 201);
    ASSERT_TRUE(pool.run_until([&] { return state_of(rollouts) == "drift"; }));
    const json j = rollouts.to_json();
    EXPECT_EQ(j["current"], "a");
    EXPECT_EQ(pool.site("a").state, "drain") << "a drifting site must stay out of rotation";
    EXPECT_EQ(pool.site("c").state, "ready");
    std::set<std::string> differences;
    for (const auto& s : j["servers"])
        if (s["name"] == "a") differences = s["differences"].get<std::set<std::string>>();
    EXPECT_EQ(differences, (std::set<std::string>{"extra Other (MapServer)", "missing New (MapServer)",
                                                   "missing Parcels (FeatureServer)"}));

    // Continue without fixing it: still drift. Fixed: goes on.
    ASSERT_EQ(rollouts.resume(json::object()).status, 200);
    ASSERT_TRUE(pool.run_until([&] { return state_of(rollouts) == "drift"; }));
    pool.site("a").catalog = kV2;
    ASSERT_EQ(rollouts.resume(json::object()).status, 200);
    ASSERT_TRUE(pool.run_until([&] { return state_of(rollouts) == "done"; }));
    EXPECT_EQ(pool.hooks.size(), 3u) << "continue after drift re-checks; it does not run the hook again";
}

TEST(RolloutEngine, DescriptionChangesAreDrift) {
    FakePool pool(three_sites());
    pool.behaviour = [](FakeSite& s, const HookRequest&) {
        s.catalog = catalog_of({{"Maps/Streets", "MapServer"}, {"Parcels", "FeatureServer"}}, s.name == "b" ? "h2" : "h1");
        return 0;
    };
    Rollouts rollouts(pool.io, pool.deps());
    ASSERT_EQ(rollouts.start(json{{"pool", "gis"}, {"hook", "x"}}).status, 201);
    ASSERT_TRUE(pool.run_until([&] { return state_of(rollouts) == "drift"; }));
    EXPECT_EQ(rollouts.to_json()["current"], "b");
    EXPECT_NE(rollouts.to_json()["message"].get<std::string>().find("description differs"), std::string::npos);
}

TEST(RolloutEngine, UnreadableCatalogPausesInDrift) {
    FakePool pool(three_sites());
    pool.site("c").readable = false;
    Rollouts rollouts(pool.io, pool.deps());
    ASSERT_EQ(rollouts.start(json{{"pool", "gis"}, {"hook", "x"}}).status, 201);
    ASSERT_TRUE(pool.run_until([&] { return state_of(rollouts) == "drift"; }));
    EXPECT_NE(rollouts.to_json()["message"].get<std::string>().find("connection refused"), std::string::npos);
    pool.site("c").readable = true;
    ASSERT_EQ(rollouts.resume(json::object()).status, 200);
    ASSERT_TRUE(pool.run_until([&] { return state_of(rollouts) == "done"; }));
}

TEST(RolloutEngine, FailingHookPausesAndContinueRunsItAgainOrSkipsIt) {
    FakePool pool(three_sites());
    std::map<std::string, int> runs;
    pool.behaviour = [&](FakeSite& s, const HookRequest&) {
        ++runs[s.name];
        if ((s.name == "c" && runs[s.name] == 1) || s.name == "a") return s.name == "c" ? 3 : 1;  // c's first run, a always
        s.catalog = kV2;
        return 0;
    };
    Rollouts rollouts(pool.io, pool.deps());
    ASSERT_EQ(rollouts.start(json{{"pool", "gis"}, {"hook", "x"}}).status, 201);
    ASSERT_TRUE(pool.run_until([&] { return state_of(rollouts) == "hook_failed"; }));
    json j = rollouts.to_json();
    EXPECT_EQ(j["current"], "c");
    EXPECT_EQ(j["servers"][0]["hook_exit"], 3);
    EXPECT_EQ(j["servers"][0]["hook_output"], "output of 3");
    EXPECT_EQ(pool.site("c").state, "drain");
    ASSERT_EQ(rollouts.resume(json::object()).status, 200);  // runs it again: succeeds, and a's fails
    ASSERT_TRUE(pool.run_until([&] { return pool.site("c").state == "ready" && state_of(rollouts) == "hook_failed"; }));
    EXPECT_EQ(runs["c"], 2);
    EXPECT_EQ(rollouts.to_json()["current"], "a");

    // skip_hook: straight to the drift check (the operator changed the site by hand).
    pool.site("a").catalog = kV2;
    EXPECT_EQ(rollouts.resume(json{{"skip_hook", "yes"}}).status, 400);
    ASSERT_EQ(rollouts.resume(json{{"skip_hook", true}}).status, 200);
    ASSERT_TRUE(pool.run_until([&] { return state_of(rollouts) == "done"; }));
    EXPECT_EQ(runs["a"], 1);
    EXPECT_EQ(runs["b"], 1);
}

TEST(RolloutEngine, AbortKillsTheHookAndRestoresStates) {
    FakePool pool(three_sites());
    pool.behaviour = nullptr;  // hooks stay running
    pool.site("a").state = "maint";  // skipped, and never touched
    pool.sites.push_back({"d"});
    Rollouts rollouts(pool.io, pool.deps());
    ASSERT_EQ(rollouts.start(json{{"pool", "gis"}, {"hook", "x"}}).status, 201);
    ASSERT_TRUE(pool.run_until([&] { return pool.hooks.size() == 1; }));
    EXPECT_EQ(step_of(rollouts, "c"), "hook");
    EXPECT_EQ(step_of(rollouts, "a"), "skipped");
    EXPECT_EQ(pool.site("c").state, "drain");
    EXPECT_EQ(rollouts.start(json{{"pool", "gis"}}).status, 409) << "one rollout at a time";

    const auto aborted = rollouts.abort();
    ASSERT_EQ(aborted.status, 200);
    EXPECT_EQ(aborted.body["state"], "aborted");
    EXPECT_TRUE(pool.hook_killed);
    EXPECT_EQ(pool.site("c").state, "ready");
    EXPECT_EQ(pool.site("a").state, "maint");
    EXPECT_EQ(step_of(rollouts, "c"), "aborted");
    // The killed hook's late completion changes nothing.
    pool.pending(HookResult{0, false, "", ""});
    pool.io.restart();
    pool.io.poll();
    EXPECT_EQ(state_of(rollouts), "aborted");
    EXPECT_EQ(pool.calls, (std::vector<std::string>{"c drain", "c ready"}));
    EXPECT_EQ(rollouts.abort().status, 409);
    EXPECT_EQ(rollouts.start(json{{"pool", "gis"}, {"hook", "x"}}).status, 201) << "a new one may start";
}

TEST(RolloutEngine, AbortWhilePausedRestoresTheDrainedServer) {
    FakePool pool(three_sites());
    Rollouts rollouts(pool.io, pool.deps());
    ASSERT_EQ(rollouts.start(json{{"pool", "gis"}}).status, 201);
    ASSERT_TRUE(pool.run_until([&] { return state_of(rollouts) == "waiting"; }));
    ASSERT_EQ(rollouts.abort().status, 200);
    for (const auto& s : pool.sites) EXPECT_EQ(s.state, "ready") << s.name;
}

TEST(RolloutEngine, RefusesWhatWouldLeaveThePoolWithoutServers) {
    FakePool pool(three_sites());
    Rollouts rollouts(pool.io, pool.deps());
    EXPECT_EQ(rollouts.get().status, 404);
    EXPECT_TRUE(rollouts.to_json().is_null());
    EXPECT_EQ(rollouts.start(json{{"pool", "nope"}}).status, 404);
    EXPECT_EQ(rollouts.start(json{{"pool", "gis"}, {"order", "a,zz"}}).status, 400);
    EXPECT_EQ(rollouts.start(json{{"pool", "gis"}, {"drain_timeout", "soon"}}).status, 400);
    EXPECT_EQ(rollouts.start(json{{"hook", "x"}}).status, 400);
    pool.site("a").healthy = false;
    pool.site("b").state = "drain";
    const auto refused = rollouts.start(json{{"pool", "gis"}});
    EXPECT_EQ(refused.status, 409);
    EXPECT_NE(refused.body.dump().find("needs at least 2"), std::string::npos);
    EXPECT_TRUE(pool.calls.empty());
}

TEST(RolloutEngine, BlocksWhileNoOtherServerCouldServe) {
    FakePool pool;
    pool.sites = {{"a"}, {"b"}};
    Rollouts rollouts(pool.io, pool.deps());
    ASSERT_EQ(rollouts.start(json{{"pool", "gis"}}).status, 201);
    ASSERT_TRUE(pool.run_until([&] { return state_of(rollouts) == "waiting"; }));
    // a was changed but is not up again yet (its health checks fail): b must not be drained now.
    pool.site("a").catalog = kV2;
    pool.site("a").healthy = false;
    ASSERT_EQ(rollouts.resume(json::object()).status, 200);
    ASSERT_TRUE(pool.run_until([&] { return state_of(rollouts) == "blocked"; }));
    EXPECT_EQ(rollouts.to_json()["current"], "b");
    EXPECT_EQ(pool.site("a").state, "ready");
    EXPECT_EQ(pool.site("b").state, "ready");
    EXPECT_EQ(rollouts.resume(json::object()).status, 200);
    EXPECT_EQ(state_of(rollouts), "blocked");
    pool.site("a").healthy = true;
    ASSERT_EQ(rollouts.resume(json::object()).status, 200);
    ASSERT_TRUE(pool.run_until([&] { return state_of(rollouts) == "waiting"; }));
    EXPECT_EQ(pool.site("b").state, "drain");
}

TEST(RolloutOptions, ParsesDurationsAndOrder) {
    std::string error;
    auto o = parse_options(json{{"pool", "gis"}, {"drain_timeout", 30}, {"hook_timeout", "2m"}, {"order", {"b", "a"}}},
                           error);
    ASSERT_TRUE(o) << error;
    EXPECT_EQ(o->drain_timeout, 30s);
    EXPECT_EQ(o->hook_timeout, 120s);
    EXPECT_EQ(o->order, (std::vector<std::string>{"b", "a"}));
    EXPECT_TRUE(o->hook.empty());
    o = parse_options(json{{"pool", "gis"}, {"order", "a,b"}, {"drain_timeout", "500ms"}}, error);
    ASSERT_TRUE(o) << error;
    EXPECT_EQ(o->order, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(o->drain_timeout, 500ms);
    EXPECT_FALSE(parse_options(json{{"pool", "gis"}, {"order", "a,a"}}, error));
    EXPECT_NE(error.find("twice"), std::string::npos);
    EXPECT_FALSE(parse_options(json{{"pool", "gis"}, {"hook_timeout", 0}}, error));
    EXPECT_FALSE(parse_options(json{{"pool", "gis"}, {"hook", 5}}, error));
    EXPECT_FALSE(parse_options(json::array(), error));
}

}  // namespace
}  // namespace gisgate::rollout
