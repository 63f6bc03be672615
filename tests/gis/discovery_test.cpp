// DiscoveryMonitor against in-process sim sites: services mapped to the pools that list them, a service
// moving between clusters, pools that cannot be read keeping their services, watch() changes and stop().
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "gis/discovery.hpp"
#include "sim_sites.hpp"
#include "support/http_client.hpp"

namespace gisgate::gis {
namespace {

using namespace std::chrono_literals;
using testing::ControlThread;
using testing::make_pool;
using testing::make_server;
using testing::SimSite;

const char* const kLightCatalog = R"(
services:
  - {name: SampleWorldCities, type: MapServer}
folders:
  Maps:
    - {name: Streets, type: MapServer}
    - {name: Streets, type: FeatureServer}
)";

const char* const kHeavyCatalog = R"(
folders:
  Maps:
    - {name: Streets, type: MapServer}
  Geocode:
    - {name: World, type: GeocodeServer}
  Analysis:
    - {name: Buffer, type: GPServer}
)";

const char* const kHeavyWithoutGeocode = R"(
folders:
  Maps:
    - {name: Streets, type: MapServer}
  Analysis:
    - {name: Buffer, type: GPServer}
)";

const char* const kLightWithGeocode = R"(
services:
  - {name: SampleWorldCities, type: MapServer}
folders:
  Maps:
    - {name: Streets, type: MapServer}
    - {name: Streets, type: FeatureServer}
  Geocode:
    - {name: World, type: GeocodeServer}
)";

using Pools = std::vector<std::string>;

class DiscoveryTest : public ::testing::Test {
protected:
    void SetUp() override { monitor_.emplace(control_.context()); }
    void TearDown() override {
        control_.on_control([this] {
            monitor_->stop();
            return 0;
        });
        control_.join();
        monitor_.reset();
    }

    void watch(const std::vector<std::shared_ptr<balance::PoolRuntime>>& pools, std::chrono::milliseconds every) {
        control_.on_control([&] {
            monitor_->watch(pools, every);
            return 0;
        });
    }

    // The pools hosting folder/service in the current map (any thread may read it).
    Pools hosts(const std::string& folder, const std::string& service) const {
        const std::shared_ptr<const ServiceMap> map = monitor_->current();
        const std::vector<std::string>* found = map->find(folder, service);
        return found ? *found : Pools{};
    }

    // Waits for rounds that started after now, so what they saw is the present.
    bool wait_rounds(std::uint64_t n) {
        const std::uint64_t start = control_.on_control([this] { return monitor_->rounds(); });
        return control_.eventually([&] { return monitor_->rounds() >= start + n; });
    }

    ControlThread control_;
    std::optional<DiscoveryMonitor> monitor_;
};

TEST_F(DiscoveryTest, MapsServicesToThePoolsListingThem) {
    SimSite light("disc-light", kLightCatalog);
    SimSite heavy("disc-heavy", kHeavyCatalog);
    EXPECT_TRUE(monitor_->current()->pools_by_service.empty());  // never null, empty before the first round

    watch({make_pool("light", {make_server("l1", light.port())}),
           make_pool("heavy", {make_server("h1", heavy.port())})},
          100ms);
    ASSERT_TRUE(control_.eventually([&] { return monitor_->rounds() >= 1; }));

    EXPECT_EQ(hosts("Maps", "Streets"), (Pools{"light", "heavy"}));  // config order
    EXPECT_EQ(hosts("Geocode", "World"), Pools{"heavy"});
    EXPECT_EQ(hosts("geocode", "WORLD"), Pools{"heavy"});  // case-insensitive
    EXPECT_EQ(hosts("Analysis", "Buffer"), Pools{"heavy"});
    EXPECT_EQ(hosts("", "SampleWorldCities"), Pools{"light"});
    EXPECT_EQ(hosts("Maps", "Nope"), Pools{});
    EXPECT_EQ(hosts("", "Streets"), Pools{});
    // Types are not part of the key: Maps/Streets is listed twice by light but maps to light once.
    const auto map = monitor_->current();
    EXPECT_EQ(map->pools_by_service.size(), 4u);
    EXPECT_EQ(map->pools_by_service.count("maps/streets"), 1u);
}

TEST_F(DiscoveryTest, PicksUpAServiceMovedBetweenPools) {
    SimSite light("disc-move-light", kLightCatalog);
    SimSite heavy("disc-move-heavy", kHeavyCatalog);
    watch({make_pool("light", {make_server("l1", light.port())}),
           make_pool("heavy", {make_server("h1", heavy.port())})},
          100ms);
    ASSERT_TRUE(control_.eventually([&] { return hosts("Geocode", "World") == Pools{"heavy"}; }));

    // Geocode/World moves from the heavy cluster to the light one; both sites come back on their ports.
    light.restart(kLightWithGeocode);
    heavy.restart(kHeavyWithoutGeocode);
    ASSERT_TRUE(control_.eventually([&] { return hosts("Geocode", "World") == Pools{"light"}; }))
        << "still on: " << fmt::format("{}", fmt::join(hosts("Geocode", "World"), ","));
    EXPECT_EQ(hosts("Analysis", "Buffer"), Pools{"heavy"});
    EXPECT_EQ(hosts("Maps", "Streets"), (Pools{"light", "heavy"}));
}

TEST_F(DiscoveryTest, ReadsAnUpServerAndFallsBackToTheNext) {
    SimSite site("disc-fallback", kHeavyCatalog);
    int dead_port = 0;
    {
        SimSite gone("disc-gone", kHeavyCatalog);
        dead_port = gone.port();
    }
    // The first server is dead (but still marked healthy): the read falls back to the second.
    auto dead = make_server("dead", dead_port);
    auto alive = make_server("alive", site.port());
    watch({make_pool("heavy", {dead, alive})}, 100ms);
    ASSERT_TRUE(control_.eventually([&] { return monitor_->rounds() >= 1; }));
    EXPECT_EQ(hosts("Geocode", "World"), Pools{"heavy"});

    // A drained server is not "up", but still better than nothing.
    control_.on_control([&] {
        dead->healthy = false;
        alive->admin = balance::AdminState::drain;
        return 0;
    });
    site.restart(kHeavyWithoutGeocode);
    ASSERT_TRUE(control_.eventually([&] { return hosts("Geocode", "World").empty(); }));
    EXPECT_EQ(hosts("Analysis", "Buffer"), Pools{"heavy"});
}

TEST_F(DiscoveryTest, UnreadablePoolKeepsItsLastServices) {
    SimSite light("disc-keep-light", kLightCatalog);
    SimSite heavy("disc-keep-heavy", kHeavyCatalog);
    auto h1 = make_server("h1", heavy.port());
    watch({make_pool("light", {make_server("l1", light.port())}), make_pool("heavy", {h1})}, 100ms);
    ASSERT_TRUE(control_.eventually([&] { return hosts("Geocode", "World") == Pools{"heavy"}; }));

    // The heavy site dies: its reads fail, its services stay.
    heavy.stop();
    ASSERT_TRUE(wait_rounds(3));
    EXPECT_EQ(hosts("Geocode", "World"), Pools{"heavy"});

    // Marked down: not even tried; still kept.
    control_.on_control([&] {
        h1->healthy = false;
        return 0;
    });
    ASSERT_TRUE(wait_rounds(2));
    EXPECT_EQ(hosts("Geocode", "World"), Pools{"heavy"});
    EXPECT_EQ(hosts("", "SampleWorldCities"), Pools{"light"});
}

TEST_F(DiscoveryTest, WatchReplacesPoolsAndEmptyStops) {
    SimSite light("disc-watch-light", kLightCatalog);
    SimSite heavy("disc-watch-heavy", kHeavyCatalog);
    watch({make_pool("light", {make_server("l1", light.port())}),
           make_pool("heavy", {make_server("h1", heavy.port())})},
          100ms);
    ASSERT_TRUE(control_.eventually([&] { return hosts("Geocode", "World") == Pools{"heavy"}; }));

    // Reload without the heavy pool: its services leave the map at once.
    watch({make_pool("light", {make_server("l1", light.port())})}, 100ms);
    EXPECT_EQ(hosts("Geocode", "World"), Pools{});
    EXPECT_EQ(hosts("Maps", "Streets"), Pools{"light"});  // kept until read again
    ASSERT_TRUE(wait_rounds(1));
    EXPECT_EQ(hosts("Maps", "Streets"), Pools{"light"});

    // Discovery off: empty map, no more rounds.
    watch({}, 100ms);
    EXPECT_TRUE(monitor_->current()->pools_by_service.empty());
    const std::uint64_t rounds = control_.on_control([this] { return monitor_->rounds(); });
    std::this_thread::sleep_for(300ms);  // nothing may happen here; not a condition to wait for
    EXPECT_EQ(control_.on_control([this] { return monitor_->rounds(); }), rounds);
}

TEST_F(DiscoveryTest, StopEndsARoundInFlight) {
    SimSite site("disc-stop", kHeavyCatalog);
    watch({make_pool("heavy", {make_server("h1", site.port())})}, 100ms);
    ASSERT_TRUE(control_.eventually([&] { return monitor_->rounds() >= 1; }));
    // Hang the site so the next read blocks (its timeout is 5 s), then stop: TearDown's join must not wait for it.
    test::HttpClient client(site.port());
    ASSERT_EQ(client.request("POST", "/sim/fault?mode=hang").status, 200);
    std::this_thread::sleep_for(250ms);  // let a read start against the hung site (either way stop() must end it)
    const auto started = std::chrono::steady_clock::now();
    control_.on_control([this] {
        monitor_->stop();
        return 0;
    });
    control_.join();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);  // the read's own timeout is 5 s
    EXPECT_EQ(hosts("Geocode", "World"), Pools{"heavy"});  // the map outlives the loop
}

}  // namespace
}  // namespace gisgate::gis
