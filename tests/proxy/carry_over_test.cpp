// CarryOver: what a reload keeps from the runtime it replaces, by pool and server name.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "config/loader.hpp"
#include "proxy/carry_over.hpp"

namespace gisgate::proxy {
namespace {

config::Config carry_config(const std::string& server_b, unsigned workers = 2, const std::string& pool_keys = "") {
    return config::load_string(fmt::format(R"(workers: {}
listeners: [{{ name: l, bind: 127.0.0.1:1, routes: [{{ prefix: /, pool: gis }}] }}]
pools:
  - name: gis
{}    cache: {{ memory: 64MB, paths: ["*/MapServer/tile/*"] }}
    servers:
      - {{ name: a, address: 127.0.0.1:6081 }}
      - {{ name: b, {} }}
)",
                                           workers, pool_keys, server_b),
                               "carry.yaml");
}

TEST(CarryOver, UnchangedServersAreTheSameObjectsAndChangedOnesKeepTheirStates) {
    const auto first = build_runtime(carry_config("address: 127.0.0.1:6082"));
    const auto& a1 = first->pools[0]->servers()[0];
    const auto& b1 = first->pools[0]->servers()[1];
    b1->admin = balance::AdminState::drain;
    b1->healthy = false;
    const auto second = build_runtime(carry_config("address: 127.0.0.1:6083"), first.get());
    EXPECT_EQ(second->generation, first->generation + 1);
    EXPECT_EQ(second->pools[0]->servers()[0], a1) << "unchanged: the same object";
    const auto& b2 = second->pools[0]->servers()[1];
    EXPECT_NE(b2, b1) << "a new address: a new object";
    EXPECT_NE(b2->id, b1->id);
    EXPECT_EQ(b2->admin.load(), balance::AdminState::drain);
    EXPECT_FALSE(b2->healthy.load());
    EXPECT_EQ(second->connections, first->connections);
}

TEST(CarryOver, QueuesAndJobTablesAreShared) {
    const auto first = build_runtime(carry_config("address: 127.0.0.1:6082"));
    first->job_tables.at("gis")->record("j1", "a");
    const auto second = build_runtime(carry_config("address: 127.0.0.1:6082"), first.get());
    EXPECT_EQ(second->pools[0]->wait_queue(), first->pools[0]->wait_queue());
    EXPECT_EQ(second->job_tables.at("gis"), first->job_tables.at("gis"));
    EXPECT_EQ(second->job_tables.at("gis")->owner("j1"), std::optional<std::string>("a"));
}

// Slow start and outlier state: servers of the first runtime take their full share; a server added to a running
// pool ramps; a changed server keeps its ramp, its ejection and its ejection counts.
TEST(CarryOver, AddedServersSlowStartAndChangedOnesKeepRampAndEjection) {
    config::Config one = carry_config("address: 127.0.0.1:6082", 2, "    slow_start: 60s\n    outlier: {}\n");
    one.pools[0].servers.pop_back();
    const auto first = build_runtime(one);
    EXPECT_FALSE(first->pools[0]->servers()[0]->slow_start.ramping()) << "gisgate starting: no ramp";
    const auto second =
        build_runtime(carry_config("address: 127.0.0.1:6082", 2, "    slow_start: 60s\n    outlier: {}\n"), first.get());
    EXPECT_FALSE(second->pools[0]->servers()[0]->slow_start.ramping());
    const auto& b2 = second->pools[0]->servers()[1];
    EXPECT_TRUE(b2->slow_start.ramping()) << "added to a running pool";
    b2->outlier.ejected = balance::OutlierReason::consecutive_5xx;
    b2->outlier.ejections_5xx = 2;
    const auto third =
        build_runtime(carry_config("address: 127.0.0.1:6083", 2, "    slow_start: 60s\n    outlier: {}\n"), second.get());
    const auto& b3 = third->pools[0]->servers()[1];
    ASSERT_NE(b3, b2);
    EXPECT_TRUE(b3->slow_start.ramping());
    EXPECT_EQ(b3->slow_start.since_ns.load(), b2->slow_start.since_ns.load());
    EXPECT_EQ(b3->outlier.ejected.load(), balance::OutlierReason::consecutive_5xx);
    EXPECT_EQ(b3->outlier.ejections(balance::OutlierReason::consecutive_5xx), 2u);
    // Without slow_start nothing ramps, added or not.
    const auto plain = build_runtime(carry_config("address: 127.0.0.1:6084"), first.get());
    EXPECT_FALSE(plain->pools[0]->servers()[1]->slow_start.ramping());
}

TEST(CarryOver, WithoutAPreviousRuntimeEverythingIsNew) {
    const CarryOver none(nullptr);
    EXPECT_EQ(none.generation(), 0u);
    EXPECT_NE(none.connections(), nullptr);
    EXPECT_EQ(none.queue("gis"), nullptr);
}

}  // namespace
}  // namespace gisgate::proxy
