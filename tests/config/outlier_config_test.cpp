// The pool `outlier:` and `slow_start:` keys: values, defaults (off when absent), round trip through to_yaml (what
// `gisgate check` prints) and located errors.
#include <gtest/gtest.h>

#include "config/loader.hpp"
#include "config_test_util.hpp"

namespace gisgate::config {
namespace {

using testing::fails_at;
using testing::load;

constexpr const char* kOutlierHead = R"(
listeners:
  - { name: public, bind: 127.0.0.1:0, routes: [ { prefix: /arcgis, pool: gis } ] }
pools:
  - name: gis
    servers: [ { name: a, address: 127.0.0.1:1 } ]
)";

TEST(OutlierConfig, OffUnlessConfigured) {
    const Config c = load(kOutlierHead);
    EXPECT_FALSE(c.pools[0].outlier.enabled());
    EXPECT_EQ(c.pools[0].slow_start.count(), 0);
}

TEST(OutlierConfig, EmptyBlockTakesTheDefaults) {
    const Config c = load(std::string(kOutlierHead) + "    outlier: {}\n");
    EXPECT_EQ(c.pools[0].outlier.consecutive_5xx, 5u);
    EXPECT_EQ(c.pools[0].outlier.consecutive_timeouts, 3u);
    EXPECT_FALSE(c.pools[0].outlier.count_500);
}

TEST(OutlierConfig, ValuesAndZeroTurnsOneOff) {
    const Config c = load(std::string(kOutlierHead) +
                          "    outlier: { consecutive_5xx: 0, consecutive_timeouts: 7, count_500: true }\n"
                          "    slow_start: 90s\n");
    EXPECT_EQ(c.pools[0].outlier.consecutive_5xx, 0u);
    EXPECT_EQ(c.pools[0].outlier.consecutive_timeouts, 7u);
    EXPECT_TRUE(c.pools[0].outlier.count_500);
    EXPECT_TRUE(c.pools[0].outlier.enabled());
    EXPECT_EQ(c.pools[0].slow_start, std::chrono::seconds(90));
}

TEST(OutlierConfig, RoundTripsThroughToYaml) {
    const Config c = load(std::string(kOutlierHead) +
                          "    outlier: { consecutive_5xx: 4, consecutive_timeouts: 0, count_500: true }\n"
                          "    slow_start: 3s\n");
    const std::string text = to_yaml(c);
    EXPECT_NE(text.find("consecutive_5xx: 4"), std::string::npos) << text;
    const Config back = load_string(text, "again.yaml");
    EXPECT_EQ(back.pools[0].outlier.consecutive_5xx, 4u);
    EXPECT_EQ(back.pools[0].outlier.consecutive_timeouts, 0u);
    EXPECT_TRUE(back.pools[0].outlier.count_500);
    EXPECT_EQ(back.pools[0].slow_start, std::chrono::seconds(3));
    // Off stays off: nothing printed that would turn it on.
    const Config off = load_string(to_yaml(load(kOutlierHead)), "again.yaml");
    EXPECT_FALSE(off.pools[0].outlier.enabled());
}

TEST(OutlierConfig, ErrorsPointAtTheirLine) {
    EXPECT_TRUE(fails_at(std::string(kOutlierHead) + "    outlier: { consecutive_5xx: -1 }\n", 6, 33, "'consecutive_5xx'"));
    EXPECT_TRUE(fails_at(std::string(kOutlierHead) + "    outlier: { consecutive: 5 }\n", 6, 16,
                         "unknown key 'consecutive'"));
    EXPECT_TRUE(fails_at(std::string(kOutlierHead) + "    outlier: { count_500: maybe }\n", 6, 27, "'count_500'"));
    // Nothing would ever bring an ejected server back without health checks.
    EXPECT_TRUE(fails_at(std::string(kOutlierHead) + "    health: { enabled: false }\n    outlier: {}\n", 7, 14,
                         "needs health checks"));
    EXPECT_TRUE(fails_at(std::string(kOutlierHead) + "    slow_start: 2h\n", 6, 17, "at most 1h"));
    EXPECT_TRUE(fails_at(std::string(kOutlierHead) + "    slow_start: soon\n", 6, 17, "not a valid duration"));
}

}  // namespace
}  // namespace gisgate::config
