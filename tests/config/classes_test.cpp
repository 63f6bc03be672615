// Operation classes of a pool: `classes`, `class_limits`, `class_queue`; their defaults, errors and `check` output.
#include <gtest/gtest.h>

#include "config/loader.hpp"
#include "config_test_util.hpp"

namespace gisgate::config {
namespace {

using testing::fails_at;
using testing::load;

constexpr const char* kClassesPool = R"(
listeners:
  - name: public
    bind: 127.0.0.1:0
    routes: [{ prefix: /arcgis, pool: gis }]
pools:
  - name: gis
    servers: [{ name: a, address: 127.0.0.1:6081 }]
    max_active_per_server: 4
)";

std::string classes_pool_with(const char* section) { return std::string(kClassesPool) + section; }

TEST(ConfigClasses, DefaultsKeepHeavyWorkToHalfTheSlotsAndInteractiveFirst) {
    const Config c = load(testing::kOnePool);
    const ClassesConfig& classes = c.pools[0].classes;
    EXPECT_EQ(classes.heavy_export_size, 2048u);
    EXPECT_DOUBLE_EQ(classes.limit_percent[2], 50);
    EXPECT_DOUBLE_EQ(classes.limit_percent[0], 100);
    EXPECT_EQ(classes.weight[0], 8u);
    EXPECT_EQ(classes.weight[2], 1u);
    EXPECT_TRUE(classes.rules.empty());
    EXPECT_FALSE(classes.limits_while_mixed) << "by default heavy work never takes every slot";
}

TEST(ConfigClasses, AllKeysAreRead) {
    const Config c = load(classes_pool_with(R"(    classes:
      heavy_export_size: 1500
      limits: while_mixed
      rules:
        - { services: "Utilities/*", type: GPServer, class: heavy }
        - { operations: "query*", class: interactive }
    class_limits: { heavy: 25%, other: 75 }
    class_queue:
      interactive: { weight: 20, timeout: 5s }
      heavy: { timeout: 2m }
)"));
    const ClassesConfig& classes = c.pools[0].classes;
    EXPECT_EQ(classes.heavy_export_size, 1500u);
    EXPECT_TRUE(classes.limits_while_mixed);
    ASSERT_EQ(classes.rules.size(), 2u);
    EXPECT_EQ(classes.rules[0].services, "Utilities/*");
    EXPECT_EQ(classes.rules[0].type, "GPServer");
    EXPECT_EQ(classes.rules[0].operations, "*");
    EXPECT_EQ(classes.rules[0].cls, OperationClass::heavy);
    EXPECT_EQ(classes.rules[1].services, "*");
    EXPECT_EQ(classes.rules[1].cls, OperationClass::interactive);
    EXPECT_DOUBLE_EQ(classes.limit_percent[2], 25);
    EXPECT_DOUBLE_EQ(classes.limit_percent[1], 75);
    EXPECT_EQ(classes.weight[0], 20u);
    EXPECT_EQ(classes.queue_timeout[0], std::chrono::seconds(5));
    EXPECT_EQ(classes.queue_timeout[2], std::chrono::minutes(2));
    EXPECT_EQ(classes.queue_timeout[1].count(), 0) << "other: the pool's queue timeout";
}

TEST(ConfigClasses, MistakesAreRefusedWithTheirLine) {
    EXPECT_TRUE(fails_at(classes_pool_with("    class_limits: { heavy: 0% }\n"), 9, 28, "must be above 0%"));
    EXPECT_TRUE(fails_at(classes_pool_with("    classes: { limits: sometimes }\n"), 9, 24, "always or while_mixed"));
    EXPECT_TRUE(fails_at(classes_pool_with("    class_limits: { heavy: 150% }\n"), 9, 28, "percentage from 0% to 100%"));
    EXPECT_TRUE(fails_at(classes_pool_with("    class_limits: { slow: 10% }\n"), 9, 21, "slow"));
    EXPECT_TRUE(fails_at(classes_pool_with("    class_queue: { interactive: { weight: 0 } }\n"), 9, 43, "weight"));
    EXPECT_TRUE(fails_at(classes_pool_with("    classes: { rules: [ { services: \"*\" } ] }\n"), 9, 25, "missing required key 'class'"));
    EXPECT_TRUE(fails_at(classes_pool_with("    classes: { rules: [ { operations: query, class: fast } ] }\n"), 9, 53, "interactive, other or heavy"));
    // Shares of nothing: class_limits needs max_active_per_server.
    EXPECT_TRUE(fails_at(std::string(testing::kOnePool) + "    class_limits: { heavy: 50% }\n", 8, 19,
                         "set max_active_per_server"));
}

TEST(ConfigClasses, CheckOutputLoadsBackTheSame) {
    const Config c = load(classes_pool_with(R"(    classes:
      rules: [{ services: "Utilities/*", type: GPServer, class: heavy }]
    class_limits: { heavy: 25% }
    class_queue: { heavy: { weight: 2, timeout: 90s } }
)"));
    const Config again = load_string(to_yaml(c), "again.yaml");
    const ClassesConfig& a = c.pools[0].classes;
    const ClassesConfig& b = again.pools[0].classes;
    ASSERT_EQ(b.rules.size(), 1u);
    EXPECT_EQ(b.rules[0].services, a.rules[0].services);
    EXPECT_EQ(b.rules[0].type, a.rules[0].type);
    EXPECT_EQ(b.rules[0].cls, a.rules[0].cls);
    EXPECT_EQ(b.limit_percent, a.limit_percent);
    EXPECT_EQ(b.weight, a.weight);
    EXPECT_EQ(b.queue_timeout, a.queue_timeout);
    EXPECT_EQ(b.heavy_export_size, a.heavy_export_size);
    EXPECT_EQ(b.limits_while_mixed, a.limits_while_mixed);
}

}  // namespace
}  // namespace gisgate::config
