// advise(): detection bounds for the pool's health settings and warnings about risky ones.
#include <gtest/gtest.h>

#include "health/advice.hpp"

namespace gisgate::health {
namespace {

using namespace std::chrono_literals;

config::Config with_pool(const config::HealthConfig& health, std::string name = "gis") {
    config::Config c;
    config::PoolConfig pool;
    pool.name = std::move(name);
    pool.health = health;
    c.pools.push_back(pool);
    return c;
}

bool has(const std::vector<std::string>& texts, std::string_view part) {
    for (const auto& t : texts)
        if (t.find(part) != std::string::npos) return true;
    return false;
}

std::string joined(const std::vector<std::string>& texts) {
    std::string out;
    for (const auto& t : texts) out += t + "\n";
    return out;
}

TEST(Advice, DefaultsGiveTheVendorBoundsAndNoWarnings) {
    const Advice a = advise(with_pool(config::HealthConfig{}));
    ASSERT_EQ(a.lines.size(), 1u);
    const std::string& line = a.lines[0];
    EXPECT_NE(line.find("pool gis: health GET /arcgis/rest/info/healthcheck every 30s, timeout 5s"),
              std::string::npos) << line;
    // 4 × 30s .. 5 × 30s + 5s
    EXPECT_NE(line.find("taken out after 2m..2m35s"), std::string::npos) << line;
    EXPECT_NE(line.find("dead server (connection refused) at once"), std::string::npos) << line;
    EXPECT_NE(line.find("rejoins after 1m30s"), std::string::npos) << line;
    EXPECT_TRUE(a.warnings.empty()) << joined(a.warnings);
}

TEST(Advice, ShortSettingsPrintCompoundDurations) {
    config::HealthConfig h;
    h.interval = 200ms;
    h.timeout = 1500ms;
    h.fall = 3;
    h.rise = 2;
    const Advice a = advise(with_pool(h));
    ASSERT_EQ(a.lines.size(), 1u);
    // 2 × 200ms .. 3 × 200ms + 1.5s; rejoin 2 × 200ms
    EXPECT_NE(a.lines[0].find("every 200ms, timeout 1.5s"), std::string::npos) << a.lines[0];
    EXPECT_NE(a.lines[0].find("after 400ms..2.1s"), std::string::npos) << a.lines[0];
    EXPECT_NE(a.lines[0].find("rejoins after 400ms"), std::string::npos) << a.lines[0];
}

TEST(Advice, ExpectationsAreShown) {
    config::HealthConfig h;
    h.expect_body = "\"success\"";
    const Advice a = advise(with_pool(h));
    EXPECT_NE(a.lines[0].find("expecting status 200 and '\"success\"' in the body"), std::string::npos) << a.lines[0];
}

// ArcGIS answers rest/info/healthcheck and portaladmin/healthCheck in HTML unless f=json: a body match without
// it would keep every server down.
TEST(Advice, WarnsAboutExpectBodyWithoutFJson) {
    config::HealthConfig h;
    h.expect_body = "\"success\"";
    const Advice bare = advise(with_pool(h));
    EXPECT_TRUE(has(bare.warnings, "pool gis: health expect_body '\"success\"' on GET /arcgis/rest/info/healthcheck "
                                   "without f=json")) << joined(bare.warnings);
    for (const char* path : {"/arcgis/rest/info/healthcheck?f=html", "/arcgis/portaladmin/healthCheck?ff=json",
                             "/arcgis/rest/info/healthcheck?x=1&f=jsonx"}) {
        h.path = path;
        EXPECT_TRUE(has(advise(with_pool(h)).warnings, "without f=json")) << path;
    }
    for (const char* path : {"/arcgis/rest/info/healthcheck?f=json", "/arcgis/portaladmin/healthCheck?f=PJSON",
                             "/arcgis/rest/info/healthcheck?a=b&F=Json"}) {
        h.path = path;
        EXPECT_FALSE(has(advise(with_pool(h)).warnings, "f=json")) << path;
    }
    h.expect_body.clear();  // judged by status: no warning whatever the path
    h.path = "/arcgis/rest/info/healthcheck";
    EXPECT_TRUE(advise(with_pool(h)).warnings.empty());
}

TEST(Advice, WarnsAboutAShortTimeout) {
    config::HealthConfig h;
    h.timeout = 2s;
    const Advice a = advise(with_pool(h));
    ASSERT_EQ(a.warnings.size(), 1u) << joined(a.warnings);
    EXPECT_EQ(a.warnings[0], "pool gis: health timeout 2s is below the 5s the vendor guides recommend: a busy GIS "
                             "server may be taken out while it is only slow");
}

TEST(Advice, WarnsAboutALowFall) {
    config::HealthConfig h;
    h.fall = 1;
    Advice a = advise(with_pool(h));
    ASSERT_EQ(a.warnings.size(), 1u) << joined(a.warnings);
    EXPECT_TRUE(has(a.warnings, "pool gis: health fall 1 takes a server out after a single failed check"))
        << joined(a.warnings);

    h.fall = 2;
    a = advise(with_pool(h));
    EXPECT_TRUE(has(a.warnings, "health fall 2 takes a server out after only 2 failed checks")) << joined(a.warnings);

    h.fall = 3;
    EXPECT_TRUE(advise(with_pool(h)).warnings.empty());
}

TEST(Advice, WarnsWhenChecksWouldOverlap) {
    config::HealthConfig h;
    h.interval = 3s;
    h.timeout = 5s;
    const Advice a = advise(with_pool(h));
    ASSERT_EQ(a.warnings.size(), 1u) << joined(a.warnings);
    EXPECT_TRUE(has(a.warnings, "pool gis: health interval 3s is shorter than the timeout 5s: checks would overlap"))
        << joined(a.warnings);
}

TEST(Advice, WarnsAboutDisabledChecks) {
    config::HealthConfig h;
    h.enabled = false;
    h.timeout = 1s;  // irrelevant when disabled
    const Advice a = advise(with_pool(h, "tiles"));
    ASSERT_EQ(a.lines.size(), 1u);
    EXPECT_EQ(a.lines[0], "pool tiles: health checks disabled");
    ASSERT_EQ(a.warnings.size(), 1u) << joined(a.warnings);
    EXPECT_TRUE(has(a.warnings, "pool tiles has health checks disabled: a dead server"));
}

TEST(Advice, EveryPoolGetsALineAndItsOwnWarnings) {
    config::Config c = with_pool(config::HealthConfig{}, "gis");
    config::PoolConfig risky;
    risky.name = "images";
    risky.health.timeout = 1s;
    risky.health.fall = 1;
    c.pools.push_back(risky);
    const Advice a = advise(c);
    ASSERT_EQ(a.lines.size(), 2u);
    EXPECT_EQ(a.lines[1].rfind("pool images:", 0), 0u) << a.lines[1];
    EXPECT_EQ(a.warnings.size(), 2u) << joined(a.warnings);
    EXPECT_FALSE(has(a.warnings, "pool gis")) << joined(a.warnings);
}

TEST(Advice, OutlierAndSlowStartGetALineOfTheirOwn) {
    config::Config c = with_pool(config::HealthConfig{});
    EXPECT_EQ(advise(c).lines.size(), 1u) << "nothing said while both are off";
    c.pools[0].outlier = config::OutlierConfig{};
    c.pools[0].outlier.consecutive_timeouts = 0;
    c.pools[0].slow_start = std::chrono::seconds(90);
    const Advice a = advise(c);
    ASSERT_EQ(a.lines.size(), 2u);
    EXPECT_NE(a.lines[1].find("after 5 consecutive 502/503/504 or timeouts not counted"), std::string::npos)
        << a.lines[1];
    EXPECT_NE(a.lines[1].find("returns after 3 good checks"), std::string::npos) << a.lines[1];
    EXPECT_NE(a.lines[1].find("over 1m30s"), std::string::npos) << a.lines[1];
}

}  // namespace
}  // namespace gisgate::health
