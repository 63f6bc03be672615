// Drift detection: the majority comparison on its own, then DriftMonitor against in-process sim sites —
// identical sites, missing/extra/changed services, on_drift: drain and its safety rules, reloads.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

#include "gis/drift.hpp"
#include "gis/drift_compare.hpp"
#include "sim_sites.hpp"

namespace gisgate::gis {
namespace {

using namespace std::chrono_literals;
using balance::AdminState;
using testing::ControlThread;
using testing::make_pool;
using testing::make_server;
using testing::SimSite;

// ---- compare_catalogs ----------------------------------------------------------------------------------

Catalog catalog(std::vector<CatalogEntry> services) {
    Catalog c;
    c.services = std::move(services);
    std::sort(c.services.begin(), c.services.end(),
              [](const auto& a, const auto& b) { return std::tie(a.name, a.type) < std::tie(b.name, b.type); });
    return c;
}

std::map<std::string, ServerDrift> compare(const std::vector<std::pair<std::string, Catalog>>& catalogs) {
    std::vector<std::pair<std::string, const Catalog*>> in;
    for (const auto& [name, c] : catalogs) in.emplace_back(name, &c);
    return compare_catalogs(in);
}

TEST(DriftCompare, IdenticalCatalogsAgree) {
    const Catalog c = catalog({{"A", "MapServer", "h1"}, {"F/B", "FeatureServer", "h2"}});
    EXPECT_TRUE(compare({{"a", c}, {"b", c}, {"c", c}}).empty());
}

TEST(DriftCompare, FewerThanTwoServersHaveNoMajority) {
    EXPECT_TRUE(compare({{"a", catalog({{"A", "MapServer", "h1"}})}}).empty());
    EXPECT_TRUE(compare({}).empty());
}

TEST(DriftCompare, MajorityFindsMissingExtraAndChangedServices) {
    const Catalog base =
        catalog({{"A", "MapServer", "h1"}, {"F/B", "FeatureServer", "h2"}, {"F/C", "MapServer", "h3"}});
    const Catalog odd = catalog({{"A", "MapServer", "h1"},            // same
                                 {"F/B", "FeatureServer", "other"},   // changed
                                 {"F/B", "MapServer", "h4"},          // extra (same name, other type)
                                 {"Z", "GPServer", "h5"}});           // extra; F/C missing
    const auto drift = compare({{"a", base}, {"b", base}, {"c", odd}});
    ASSERT_EQ(drift.size(), 1u);
    const ServerDrift& c = drift.at("c");
    EXPECT_TRUE(c.decisive);
    EXPECT_EQ(c.count, 4u);
    EXPECT_EQ(c.differences, (std::vector<std::string>{"F/B (FeatureServer) description differs",
                                                       "extra F/B (MapServer)", "missing F/C (MapServer)",
                                                       "extra Z (GPServer)"}));
}

TEST(DriftCompare, TiesReportBothSidesButAreNotDecisive) {
    const Catalog a = catalog({{"A", "MapServer", "h1"}, {"B", "MapServer", "h2"}});
    const Catalog b = catalog({{"A", "MapServer", "other"}});
    const auto drift = compare({{"a", a}, {"b", b}});
    ASSERT_EQ(drift.size(), 2u);
    EXPECT_FALSE(drift.at("a").decisive);
    EXPECT_FALSE(drift.at("b").decisive);
    EXPECT_EQ(drift.at("a").differences,
              (std::vector<std::string>{"A (MapServer) description differs (no majority)",
                                        "extra B (MapServer) (no majority: on 1 of 2 servers)"}));
    EXPECT_EQ(drift.at("b").differences,
              (std::vector<std::string>{"A (MapServer) description differs (no majority)",
                                        "missing B (MapServer) (no majority: on 1 of 2 servers)"}));
}

TEST(DriftCompare, LongListsAreCapped) {
    std::vector<CatalogEntry> many;
    for (int i = 0; i < 50; ++i) many.push_back({fmt::format("S{:02}", i), "MapServer", "h"});
    const Catalog full = catalog(many);
    const auto drift = compare({{"a", full}, {"b", full}, {"c", catalog({})}});
    ASSERT_EQ(drift.size(), 1u);
    EXPECT_EQ(drift.at("c").count, 50u);
    EXPECT_EQ(drift.at("c").differences.size(), kMaxListedDifferences);
    EXPECT_EQ(drift.at("c").differences.front(), "missing S00 (MapServer)");
}

// A rollout compares each changed site with the first one changed: no majority, every difference counts.
TEST(DriftCompare, AgainstAReferenceEveryDifferenceIsDecisive) {
    const Catalog reference = catalog({{"A", "MapServer", "h1"}, {"F/B", "FeatureServer", "h2"}, {"F/C", "MapServer", "h3"}});
    const Catalog changed = catalog({{"A", "MapServer", "h1"},            // same
                                     {"F/B", "FeatureServer", "other"},  // description differs
                                     {"F/D", "GPServer", "h4"},          // extra
                                     {"Z", "MapServer", "h5"}});         // extra, after the reference's end
    const ServerDrift drift = compare_with_reference(reference, changed);
    EXPECT_EQ(drift.differences, (std::vector<std::string>{"F/B (FeatureServer) description differs",
                                                           "missing F/C (MapServer)", "extra F/D (GPServer)",
                                                           "extra Z (MapServer)"}));
    EXPECT_EQ(drift.count, 4u);
    EXPECT_TRUE(drift.decisive);
    EXPECT_EQ(compare_with_reference(reference, reference).count, 0u);
    EXPECT_EQ(compare_with_reference(catalog({}), catalog({})).count, 0u);
    EXPECT_EQ(compare_with_reference(reference, catalog({})).differences.front(), "missing A (MapServer)");
}

// ---- DriftMonitor --------------------------------------------------------------------------------------

const std::string kBase = testing::kBaseCatalog;

const std::string kParcels = "    - {name: Parcels, type: FeatureServer}\n";
const std::string kStreetsLayers = "[Roads, Labels]";

std::string without_parcels(std::string c = kBase) { return c.erase(c.find(kParcels), kParcels.size()); }
std::string with_extra(const std::string& c = kBase) { return c + "  Test:\n    - {name: Foo, type: FeatureServer}\n"; }
std::string with_changed_streets(std::string c = kBase) {
    return c.replace(c.find(kStreetsLayers), kStreetsLayers.size(), "[Roads]");
}
std::string all_three_differences() { return with_changed_streets(without_parcels(with_extra())); }

config::PoolConfig identical(config::OnDrift on_drift) {
    config::PoolConfig pc;
    pc.expect_identical = true;
    pc.on_drift = on_drift;
    pc.drift_check_every = 100ms;
    return pc;
}

class DriftTest : public ::testing::Test {
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

    // Three sites with the given catalogs and servers a, b, c on them.
    void create_sites(const std::string& ca, const std::string& cb, const std::string& cc) {
        sites_.push_back(std::make_unique<SimSite>("drift-a", ca));
        sites_.push_back(std::make_unique<SimSite>("drift-b", cb));
        sites_.push_back(std::make_unique<SimSite>("drift-c", cc));
        for (std::size_t i = 0; i < sites_.size(); ++i)
            servers_.push_back(make_server(std::string(1, static_cast<char>('a' + i)), sites_[i]->port()));
    }
    // ... and a watched pool "gis" over them.
    void start(const std::string& ca, const std::string& cb, const std::string& cc, config::OnDrift on_drift) {
        create_sites(ca, cb, cc);
        watch(make_pool("gis", servers_, identical(on_drift)));
    }

    void watch(std::shared_ptr<balance::PoolRuntime> pool) {
        pool_ = std::move(pool);
        control_.on_control([&] {
            monitor_->watch({pool_});
            return 0;
        });
    }

    // Waits for `n` rounds that start after now, so their result reflects the present state.
    bool wait_rounds(std::uint64_t n) {
        const std::uint64_t start = control_.on_control([this] { return monitor_->rounds(); });
        return control_.eventually([&] { return monitor_->rounds() >= start + n; });
    }

    DriftReport report() {
        return control_.on_control([this] { return monitor_->report(); });
    }
    AdminState admin(std::size_t i) {
        return control_.on_control([&] { return servers_[i]->admin.load(); });
    }

    ControlThread control_;
    std::optional<DriftMonitor> monitor_;
    std::vector<std::unique_ptr<SimSite>> sites_;
    std::vector<std::shared_ptr<balance::ServerRuntime>> servers_;
    std::shared_ptr<balance::PoolRuntime> pool_;
};

TEST_F(DriftTest, IdenticalSitesDoNotDrift) {
    start(kBase, kBase, kBase, config::OnDrift::drain);
    ASSERT_TRUE(wait_rounds(3));
    EXPECT_TRUE(report().empty());
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(admin(i), AdminState::ready);
}

TEST_F(DriftTest, PoolsWithoutExpectIdenticalAreIgnored) {
    sites_.push_back(std::make_unique<SimSite>("drift-x", kBase));
    sites_.push_back(std::make_unique<SimSite>("drift-y", without_parcels()));
    auto x = make_server("x", sites_[0]->port());
    auto y = make_server("y", sites_[1]->port());
    config::PoolConfig pc = identical(config::OnDrift::drain);
    pc.expect_identical = false;
    watch(make_pool("plain", {x, y}, pc));
    std::this_thread::sleep_for(300ms);  // nothing may happen; there is no condition to wait for
    EXPECT_EQ(control_.on_control([this] { return monitor_->rounds(); }), 0u);
    EXPECT_TRUE(report().empty());
}

TEST_F(DriftTest, ReportsMissingExtraAndChangedServices) {
    start(kBase, kBase, all_three_differences(), config::OnDrift::warn);
    ASSERT_TRUE(control_.eventually([&] { return !monitor_->report().empty(); }));
    const DriftReport r = report();
    ASSERT_EQ(r.size(), 1u);
    ASSERT_EQ(r.at("gis").size(), 1u);
    EXPECT_EQ(r.at("gis").at("c"), (std::vector<std::string>{"missing Maps/Parcels (FeatureServer)",
                                                            "Maps/Streets (MapServer) description differs",
                                                            "extra Test/Foo (FeatureServer)"}));
    ASSERT_TRUE(wait_rounds(2));
    EXPECT_EQ(admin(2), AdminState::ready);  // warn only
}

TEST_F(DriftTest, EachKindOfDifferenceIsFoundAlone) {
    start(kBase, kBase, without_parcels(), config::OnDrift::warn);
    ASSERT_TRUE(control_.eventually([&] { return !monitor_->report().empty(); }));
    EXPECT_EQ(report().at("gis").at("c"), std::vector<std::string>{"missing Maps/Parcels (FeatureServer)"});

    sites_[2]->restart(with_extra());
    ASSERT_TRUE(control_.eventually([&] {
        const auto& r = monitor_->report();
        return !r.empty() && r.at("gis").at("c") == std::vector<std::string>{"extra Test/Foo (FeatureServer)"};
    }));

    sites_[2]->restart(with_changed_streets());
    ASSERT_TRUE(control_.eventually([&] {
        const auto& r = monitor_->report();
        return !r.empty() &&
               r.at("gis").at("c") == std::vector<std::string>{"Maps/Streets (MapServer) description differs"};
    }));

    sites_[2]->restart(kBase);
    ASSERT_TRUE(control_.eventually([&] { return monitor_->report().empty(); }));
}

TEST_F(DriftTest, DrainDrainsTheOddServerUntilItMatches) {
    start(kBase, without_parcels(), kBase, config::OnDrift::drain);
    ASSERT_TRUE(control_.eventually([&] { return servers_[1]->admin.load() == AdminState::drain; }));
    EXPECT_EQ(admin(0), AdminState::ready);
    EXPECT_EQ(admin(2), AdminState::ready);
    EXPECT_EQ(report().at("gis").count("b"), 1u);

    // Still compared while drained (it must be able to match again), and still drained while it differs.
    ASSERT_TRUE(wait_rounds(2));
    EXPECT_EQ(admin(1), AdminState::drain);

    sites_[1]->restart(kBase);
    ASSERT_TRUE(control_.eventually([&] { return servers_[1]->admin.load() == AdminState::ready; }));
    EXPECT_TRUE(report().empty());
}

TEST_F(DriftTest, AnAdministratorsDrainIsLeftAlone) {
    create_sites(kBase, kBase, kBase);
    servers_[1]->admin = AdminState::drain;  // before the monitor sees the pool: no race with its first round
    watch(make_pool("gis", servers_, identical(config::OnDrift::drain)));
    ASSERT_TRUE(wait_rounds(3));
    EXPECT_EQ(admin(1), AdminState::drain);
    EXPECT_TRUE(report().empty());
}

TEST_F(DriftTest, AServerTheAdministratorTookOverIsNotUndrainedOrRedrained) {
    start(kBase, kBase, without_parcels(), config::OnDrift::drain);
    ASSERT_TRUE(control_.eventually([&] { return servers_[2]->admin.load() == AdminState::drain; }));

    // The administrator puts c back in service while it still differs: the monitor does not fight them.
    control_.on_control([this] {
        servers_[2]->admin = AdminState::ready;
        return 0;
    });
    ASSERT_TRUE(wait_rounds(3));
    EXPECT_EQ(admin(2), AdminState::ready);
    EXPECT_EQ(report().at("gis").count("c"), 1u);

    // Once it has matched, a new drift drains it again.
    sites_[2]->restart(kBase);
    ASSERT_TRUE(control_.eventually([&] { return monitor_->report().empty(); }));
    sites_[2]->restart(with_extra());
    ASSERT_TRUE(control_.eventually([&] { return servers_[2]->admin.load() == AdminState::drain; }));

    // The administrator puts c in maintenance: fixed or not, it stays there.
    control_.on_control([this] {
        servers_[2]->admin = AdminState::maint;
        return 0;
    });
    sites_[2]->restart(kBase);
    ASSERT_TRUE(wait_rounds(3));
    EXPECT_EQ(admin(2), AdminState::maint);
}

TEST_F(DriftTest, NeverDrainsTheLastUsableServer) {
    create_sites(kBase, kBase, without_parcels());
    // a and b take no traffic (weight 0) but are compared: c differs and is the only usable server.
    servers_[0]->weight = 0;
    servers_[1]->weight = 0;
    watch(make_pool("gis", servers_, identical(config::OnDrift::drain)));
    ASSERT_TRUE(control_.eventually([&] { return !monitor_->report().empty(); }));
    ASSERT_TRUE(wait_rounds(2));
    EXPECT_EQ(admin(2), AdminState::ready);
    EXPECT_EQ(report().at("gis").count("c"), 1u);

    // With a and b serving again, c is drained.
    control_.on_control([this] {
        servers_[0]->weight = 1;
        servers_[1]->weight = 1;
        return 0;
    });
    ASSERT_TRUE(control_.eventually([&] { return servers_[2]->admin.load() == AdminState::drain; }));

    // a and b go down: a drifting server is better than none, so c serves again (checked every second,
    // not only every round).
    control_.on_control([this] {
        servers_[0]->healthy = false;
        servers_[1]->healthy = false;
        return 0;
    });
    ASSERT_TRUE(control_.eventually([&] { return servers_[2]->admin.load() == AdminState::ready; }));
    ASSERT_TRUE(wait_rounds(2));
    EXPECT_EQ(admin(2), AdminState::ready);
}

TEST_F(DriftTest, TwoServersThatDifferAreBothReportedAndNeitherDrained) {
    sites_.push_back(std::make_unique<SimSite>("drift-tie-a", kBase));
    sites_.push_back(std::make_unique<SimSite>("drift-tie-b", without_parcels()));
    servers_ = {make_server("a", sites_[0]->port()), make_server("b", sites_[1]->port())};
    watch(make_pool("pair", servers_, identical(config::OnDrift::drain)));
    ASSERT_TRUE(control_.eventually([&] { return monitor_->report().count("pair") != 0; }));
    ASSERT_TRUE(wait_rounds(2));
    const DriftReport r = report();
    EXPECT_EQ(r.at("pair").size(), 2u);
    EXPECT_EQ(admin(0), AdminState::ready);
    EXPECT_EQ(admin(1), AdminState::ready);
}

TEST_F(DriftTest, OneReadableServerIsNoMajority) {
    sites_.push_back(std::make_unique<SimSite>("drift-one", without_parcels()));
    int dead_port = 0;
    {
        SimSite gone("drift-gone", kBase);
        dead_port = gone.port();
    }
    servers_ = {make_server("a", sites_[0]->port()), make_server("dead", dead_port)};
    watch(make_pool("pair", servers_, identical(config::OnDrift::drain)));
    ASSERT_TRUE(wait_rounds(3));
    EXPECT_TRUE(report().empty());
    EXPECT_EQ(admin(0), AdminState::ready);
}

TEST_F(DriftTest, ReloadKeepsStateAndUndoesDrainsWhenThePolicyChanges) {
    start(kBase, kBase, without_parcels(), config::OnDrift::drain);
    ASSERT_TRUE(control_.eventually([&] { return servers_[2]->admin.load() == AdminState::drain; }));

    // Reload with the same policy (new runtime, same servers): c stays drained.
    watch(make_pool("gis", servers_, identical(config::OnDrift::drain)));
    ASSERT_TRUE(wait_rounds(2));
    EXPECT_EQ(admin(2), AdminState::drain);

    // Reload with on_drift: warn: our drain is undone at once; c is still reported.
    watch(make_pool("gis", servers_, identical(config::OnDrift::warn)));
    EXPECT_EQ(admin(2), AdminState::ready);
    ASSERT_TRUE(wait_rounds(2));
    EXPECT_EQ(admin(2), AdminState::ready);
    EXPECT_EQ(report().at("gis").count("c"), 1u);

    // Pool removed: its report goes.
    control_.on_control([this] {
        monitor_->watch({});
        return 0;
    });
    EXPECT_TRUE(report().empty());
}

}  // namespace
}  // namespace gisgate::gis
