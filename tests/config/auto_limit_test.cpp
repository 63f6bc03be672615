// `max_active_per_server: auto` and its bounded form `{ auto: { min, max } }`: values, defaults, class shares with
// it, located errors and the round trip through to_yaml.
#include <gtest/gtest.h>

#include "config/loader.hpp"
#include "config_test_util.hpp"

namespace gisgate::config {
namespace {

using testing::fails_at;
using testing::load;

constexpr const char* kPool = R"(
listeners:
  - name: public
    bind: 127.0.0.1:0
    routes: [{ prefix: /arcgis, pool: gis }]
pools:
  - name: gis
    servers: [{ name: a, address: 127.0.0.1:6081 }]
)";

std::string pool_with(const std::string& section) { return std::string(kPool) + section; }

TEST(ConfigAutoLimit, OffByDefault) {
    const Config c = load(kPool);
    EXPECT_FALSE(c.pools[0].auto_limit.enabled);
    EXPECT_FALSE(c.pools[0].limited());
}

TEST(ConfigAutoLimit, AutoTakesTheDefaultBounds) {
    const Config c = load(pool_with("    max_active_per_server: auto\n"));
    const PoolConfig& p = c.pools[0];
    EXPECT_TRUE(p.auto_limit.enabled);
    EXPECT_EQ(p.auto_limit.min, 1u);
    EXPECT_EQ(p.auto_limit.max, 64u);
    EXPECT_EQ(p.max_active_per_server, 0u);
    EXPECT_TRUE(p.limited());
}

TEST(ConfigAutoLimit, BoundedForm) {
    const Config c = load(pool_with("    max_active_per_server: { auto: { min: 2, max: 12 } }\n"));
    EXPECT_TRUE(c.pools[0].auto_limit.enabled);
    EXPECT_EQ(c.pools[0].auto_limit.min, 2u);
    EXPECT_EQ(c.pools[0].auto_limit.max, 12u);
    const Config only_max = load(pool_with("    max_active_per_server: { auto: { max: 8 } }\n"));
    EXPECT_EQ(only_max.pools[0].auto_limit.min, 1u);
    EXPECT_EQ(only_max.pools[0].auto_limit.max, 8u);
    const Config empty = load(pool_with("    max_active_per_server: { auto: }\n"));
    EXPECT_TRUE(empty.pools[0].auto_limit.enabled);
    EXPECT_EQ(empty.pools[0].auto_limit.max, 64u);
}

TEST(ConfigAutoLimit, ANumberStillWorks) {
    const Config c = load(pool_with("    max_active_per_server: 3\n"));
    EXPECT_FALSE(c.pools[0].auto_limit.enabled);
    EXPECT_EQ(c.pools[0].max_active_per_server, 3u);
}

TEST(ConfigAutoLimit, ClassLimitsAreSharesOfTheFoundLimit) {
    const Config c = load(pool_with("    max_active_per_server: auto\n    class_limits: { heavy: 25% }\n"));
    EXPECT_DOUBLE_EQ(c.pools[0].classes.limit_percent[2], 25);
}

TEST(ConfigAutoLimit, MistakesAreRefusedWithTheirLine) {
    EXPECT_TRUE(fails_at(pool_with("    max_active_per_server: automatic\n"), 8, 28, "an integer, 'auto' or { auto: { min: N, max: N } }, got 'automatic'"));
    EXPECT_TRUE(fails_at(pool_with("    max_active_per_server: { auto: { min: 8, max: 4 } }\n"), 8, 36,
                         "'min' (8) is above 'max' (4)"));
    EXPECT_TRUE(fails_at(pool_with("    max_active_per_server: { auto: { min: 0 } }\n"), 8, 43, "min"));
    EXPECT_TRUE(fails_at(pool_with("    max_active_per_server: { auto: { step: 2 } }\n"), 8, 38, "step"));
    EXPECT_TRUE(fails_at(pool_with("    max_active_per_server: { fixed: 2 }\n"), 8, 30, "fixed"));
    EXPECT_TRUE(fails_at(pool_with("    max_active_per_server: [auto]\n"), 8, 28, "'auto' or { auto"));
}

TEST(ConfigAutoLimit, CheckOutputLoadsBackTheSame) {
    const Config c = load(pool_with("    max_active_per_server: { auto: { min: 2, max: 12 } }\n"
                                    "    class_limits: { heavy: 25% }\n"));
    const Config again = load_string(to_yaml(c), "again.yaml");
    const PoolConfig& p = again.pools[0];
    EXPECT_TRUE(p.auto_limit.enabled);
    EXPECT_EQ(p.auto_limit.min, 2u);
    EXPECT_EQ(p.auto_limit.max, 12u);
    EXPECT_DOUBLE_EQ(p.classes.limit_percent[2], 25);
    const Config fixed = load_string(to_yaml(load(pool_with("    max_active_per_server: 5\n"))), "again.yaml");
    EXPECT_FALSE(fixed.pools[0].auto_limit.enabled);
    EXPECT_EQ(fixed.pools[0].max_active_per_server, 5u);
}

}  // namespace
}  // namespace gisgate::config
