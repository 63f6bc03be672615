// The pool `cache:` section: values, defaults, round trip through to_yaml, and located errors.
#include <gtest/gtest.h>

#include "config/loader.hpp"
#include "config_test_util.hpp"

namespace gisgate::config {
namespace {

using testing::fails_at;
using testing::load;

constexpr const char* kHead = R"(
listeners:
  - { name: public, bind: 127.0.0.1:0, routes: [ { prefix: /arcgis, pool: gis } ] }
pools:
  - name: gis
    servers: [ { name: a, address: 127.0.0.1:1 } ]
)";

TEST(CacheConfig, ValuesAndDefaults) {
    const Config c = load(std::string(kHead) + R"(    cache: { memory: 64MB, paths: ["*/MapServer/tile/*", "*/ImageServer/tile/*"], allow_token: true }
)");
    ASSERT_TRUE(c.pools[0].cache.has_value());
    const CacheConfig& cache = *c.pools[0].cache;
    EXPECT_EQ(cache.memory, 64ull << 20);
    EXPECT_EQ(cache.max_object, 8ull << 20);
    ASSERT_EQ(cache.paths.size(), 2u);
    EXPECT_EQ(cache.paths[1], "*/ImageServer/tile/*");
    EXPECT_TRUE(cache.allow_token);
    EXPECT_FALSE(cache.allow_authorized);
    EXPECT_FALSE(load(kHead).pools[0].cache.has_value()) << "no cache unless configured";
}

TEST(CacheConfig, RoundTripsThroughToYaml) {
    const Config c = load(std::string(kHead) + R"(    cache: { memory: 32MB, max_object: 1MB, paths: ["*/tile/*"], allow_authorized: true }
)");
    const Config back = load_string(to_yaml(c), "again.yaml");
    ASSERT_TRUE(back.pools[0].cache.has_value());
    EXPECT_EQ(back.pools[0].cache->memory, 32ull << 20);
    EXPECT_EQ(back.pools[0].cache->max_object, 1ull << 20);
    EXPECT_EQ(back.pools[0].cache->paths, std::vector<std::string>{"*/tile/*"});
    EXPECT_TRUE(back.pools[0].cache->allow_authorized);
}

TEST(CacheConfig, ErrorsPointAtTheirLine) {
    EXPECT_TRUE(fails_at(std::string(kHead) + "    cache: { memory: 64MB }\n", 6, 12, "missing required key 'paths'"));
    EXPECT_TRUE(fails_at(std::string(kHead) + "    cache: { memory: 64MB, paths: [] }\n", 6, 35, "at least one glob"));
    EXPECT_TRUE(fails_at(std::string(kHead) + "    cache: { memory: 10, paths: [\"*\"] }\n", 6, 22, "'memory'"));
    EXPECT_TRUE(fails_at(std::string(kHead) + "    cache: { paths: [\"*/a b\"] }\n", 6, 22, "without spaces"));
    EXPECT_TRUE(fails_at(std::string(kHead) + "    cache: { paths: [\"*\"], size: 1 }\n", 6, 28, "unknown key 'size'"));
}

}  // namespace
}  // namespace gisgate::config
