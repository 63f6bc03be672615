// Pool `health` and `retries`: defaults from the vendor guide, overrides, and located errors.
#include <gtest/gtest.h>

#include "config/loader.hpp"
#include "config_test_util.hpp"

namespace gisgate::config {
namespace {

using testing::fails_at;
using testing::kOnePool;
using testing::load;
using namespace std::chrono_literals;

TEST(ConfigHealth, DefaultsAreTheVendorRecommendations) {
    const Config c = load(kOnePool);
    const auto& h = c.pools[0].health;
    EXPECT_TRUE(h.enabled);
    EXPECT_EQ(h.path, "/arcgis/rest/info/healthcheck");
    EXPECT_EQ(h.interval, 30s);
    EXPECT_EQ(h.timeout, 5s);
    EXPECT_EQ(h.fall, 5u);
    EXPECT_EQ(h.rise, 3u);
    EXPECT_EQ(h.expect_status, 200);
    EXPECT_EQ(h.expect_body, "");
    EXPECT_EQ(c.pools[0].retries, 2u);
}

TEST(ConfigHealth, EveryKeyIsRead) {
    const Config c = load(R"(
listeners:
  - name: public
    bind: 127.0.0.1:0
    routes: [{ prefix: /arcgis, pool: gis }]
pools:
  - name: gis
    retries: 4
    health:
      enabled: false
      path: /arcgis/rest/info/healthcheck?f=json
      interval: 200ms
      timeout: 1s
      fall: 2
      rise: 1
      expect_status: 204
      expect_body: '"success"'
    servers: [{ name: a, address: 127.0.0.1:6081 }]
)");
    const auto& p = c.pools[0];
    EXPECT_EQ(p.retries, 4u);
    EXPECT_FALSE(p.health.enabled);
    EXPECT_EQ(p.health.path, "/arcgis/rest/info/healthcheck?f=json");
    EXPECT_EQ(p.health.interval, 200ms);
    EXPECT_EQ(p.health.timeout, 1s);
    EXPECT_EQ(p.health.fall, 2u);
    EXPECT_EQ(p.health.rise, 1u);
    EXPECT_EQ(p.health.expect_status, 204);
    EXPECT_EQ(p.health.expect_body, "\"success\"");
    // The effective config shows and round-trips them.
    const std::string text = to_yaml(c);
    EXPECT_NE(text.find("expect_body"), std::string::npos);
    const Config again = load_string(text, "again.yaml");
    EXPECT_EQ(again.pools[0].health.interval, 200ms);
    EXPECT_EQ(again.pools[0].health.expect_body, "\"success\"");
    EXPECT_EQ(again.pools[0].retries, 4u);
}

// A valid config whose pool has `line` as its line 7 (after "  - name: gis"), for located errors.
std::string with_pool_line(const std::string& line) {
    return R"(
listeners:
  - name: public
    bind: 127.0.0.1:0
    routes: [{ prefix: /arcgis, pool: gis }]
pools:
  - name: gis
)" + line + R"(
    servers: [{ name: a, address: 127.0.0.1:6081 }]
)";
}

TEST(ConfigHealth, ErrorsAreLocated) {
    EXPECT_TRUE(fails_at(with_pool_line("    health: { intervall: 5s }"), 7, 15, "unknown key 'intervall'"));
    EXPECT_TRUE(fails_at(with_pool_line("    health: { fall: 0 }"), 7, 21, "fall"));
    EXPECT_TRUE(fails_at(with_pool_line("    health: { path: healthcheck }"), 7, 21, "must start with '/'"));
    EXPECT_TRUE(fails_at(with_pool_line("    retries: 9"), 7, 14, "retries"));
}

}  // namespace
}  // namespace gisgate::config
