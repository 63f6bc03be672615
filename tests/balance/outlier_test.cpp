// Passive outlier ejection: which answers count, the consecutive runs and their thresholds, the ejection that never
// takes out a pool's last usable server (also when two workers eject at once), and what the worker-side entry
// point tells the health monitor.
#include <gtest/gtest.h>

#include <thread>

#include "balance/events.hpp"
#include "balance/outlier.hpp"
#include "balance/pool.hpp"

namespace gisgate::balance {
namespace {

config::OutlierConfig outlier_of(std::uint32_t errors, std::uint32_t timeouts, bool count_500 = false) {
    config::OutlierConfig c;
    c.consecutive_5xx = errors;
    c.consecutive_timeouts = timeouts;
    c.count_500 = count_500;
    return c;
}

std::shared_ptr<PoolRuntime> outlier_pool(std::vector<std::string> names, config::OutlierConfig outlier,
                                          bool health = true) {
    config::PoolConfig pc;
    pc.name = "gis";
    pc.outlier = outlier;
    pc.health.enabled = health;
    std::vector<std::shared_ptr<ServerRuntime>> list;
    std::uint32_t id = 500;
    for (auto& name : names) {
        auto s = std::make_shared<ServerRuntime>();
        s->id = id++;
        s->name = name;
        list.push_back(s);
    }
    return std::make_shared<PoolRuntime>(pc, list, 1);
}

struct RecordedEjections final : ServerEvents {
    void server_refused(ServerRuntime&, std::string_view) override {}
    void server_ejected(ServerRuntime& server, OutlierReason reason) override {
        ejected.push_back(server.name + ":" + to_string(reason));
    }
    std::vector<std::string> ejected;
};

TEST(Outlier, OnlyGatewayStatusesCountUnless500IsAsked) {
    const auto plain = outlier_of(5, 3);
    for (int status : {502, 503, 504}) EXPECT_EQ(outcome_of_status(status, plain), LiveOutcome::error_5xx) << status;
    for (int status : {200, 204, 304, 400, 401, 403, 404, 429, 500, 501, 505, 507})
        EXPECT_EQ(outcome_of_status(status, plain), LiveOutcome::answered) << status;
    EXPECT_EQ(outcome_of_status(500, outlier_of(5, 3, true)), LiveOutcome::error_5xx);
    EXPECT_EQ(outcome_of_status(501, outlier_of(5, 3, true)), LiveOutcome::answered);
}

TEST(Outlier, ConsecutiveErrorsReachTheThresholdAndAnAnswerResetsTheRun) {
    OutlierState s;
    const auto c = outlier_of(5, 3);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(s.record(LiveOutcome::error_5xx, c), OutlierReason::none);
    EXPECT_EQ(s.record(LiveOutcome::answered, c), OutlierReason::none);
    EXPECT_EQ(s.consecutive_5xx.load(), 0u);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(s.record(LiveOutcome::error_5xx, c), OutlierReason::none);
    EXPECT_EQ(s.record(LiveOutcome::error_5xx, c), OutlierReason::consecutive_5xx);
    // Still over it while the ejection has not happened (the last usable server is kept).
    EXPECT_EQ(s.record(LiveOutcome::error_5xx, c), OutlierReason::consecutive_5xx);
}

TEST(Outlier, TimeoutsHaveTheirOwnRun) {
    OutlierState s;
    const auto c = outlier_of(5, 3);
    EXPECT_EQ(s.record(LiveOutcome::timeout, c), OutlierReason::none);
    EXPECT_EQ(s.record(LiveOutcome::timeout, c), OutlierReason::none);
    // A 5xx answer is not a hang: the timeout run starts again; a timeout leaves the 5xx run alone.
    EXPECT_EQ(s.record(LiveOutcome::error_5xx, c), OutlierReason::none);
    EXPECT_EQ(s.consecutive_timeouts.load(), 0u);
    for (int i = 0; i < 2; ++i) EXPECT_EQ(s.record(LiveOutcome::timeout, c), OutlierReason::none);
    EXPECT_EQ(s.consecutive_5xx.load(), 1u);
    EXPECT_EQ(s.record(LiveOutcome::timeout, c), OutlierReason::consecutive_timeouts);
}

TEST(Outlier, ZeroTurnsEachCheckOff) {
    OutlierState s;
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(s.record(LiveOutcome::error_5xx, outlier_of(0, 3)), OutlierReason::none);
        EXPECT_EQ(s.record(LiveOutcome::timeout, outlier_of(5, 0)), OutlierReason::none);
    }
}

TEST(Outlier, EjectionNeverTakesTheLastUsableServer) {
    auto pool = outlier_pool({"a", "b", "c"}, outlier_of(5, 3));
    auto& a = *pool->servers()[0];
    auto& b = *pool->servers()[1];
    auto& c = *pool->servers()[2];
    c.admin.store(AdminState::drain);  // draining takes no new requests: not usable
    EXPECT_TRUE(eject(pool->servers(), a, OutlierReason::consecutive_5xx));
    EXPECT_FALSE(a.healthy.load());
    EXPECT_EQ(a.state(), ServerState::down);
    EXPECT_EQ(a.outlier.ejected.load(), OutlierReason::consecutive_5xx);
    EXPECT_EQ(a.outlier.ejections(OutlierReason::consecutive_5xx), 1u);
    EXPECT_EQ(a.outlier.generation.load(), 1u);
    EXPECT_FALSE(eject(pool->servers(), a, OutlierReason::consecutive_5xx)) << "already out";
    EXPECT_FALSE(eject(pool->servers(), b, OutlierReason::consecutive_timeouts)) << "b is the last usable one";
    EXPECT_TRUE(b.healthy.load());
    EXPECT_EQ(b.outlier.ejections(OutlierReason::consecutive_timeouts), 0u);
    c.admin.store(AdminState::ready);
    EXPECT_TRUE(eject(pool->servers(), b, OutlierReason::consecutive_timeouts));
    EXPECT_EQ(b.outlier.ejections(OutlierReason::consecutive_timeouts), 1u);
}

TEST(Outlier, ABackupCountsAsUsable) {
    auto pool = outlier_pool({"a", "standby"}, outlier_of(5, 3));
    pool->servers()[1]->backup = true;
    EXPECT_TRUE(eject(pool->servers(), *pool->servers()[0], OutlierReason::consecutive_5xx));
}

TEST(Outlier, ReportEjectsAtTheThresholdAndTellsTheMonitorOnce) {
    auto pool = outlier_pool({"a", "b"}, outlier_of(5, 3));
    auto& a = *pool->servers()[0];
    RecordedEjections events;
    for (int i = 0; i < 4; ++i) report_outcome(*pool, a, LiveOutcome::error_5xx, &events);
    EXPECT_TRUE(a.healthy.load());
    report_outcome(*pool, a, LiveOutcome::error_5xx, &events);
    EXPECT_FALSE(a.healthy.load());
    // Requests that were in flight fail too: counted again, but the server is out already.
    for (int i = 0; i < 10; ++i) report_outcome(*pool, a, LiveOutcome::error_5xx, &events);
    EXPECT_EQ(events.ejected, std::vector<std::string>{"a:consecutive_5xx"});
    EXPECT_EQ(a.outlier.ejections(OutlierReason::consecutive_5xx), 1u);
}

TEST(Outlier, ReportDoesNothingWhenOffOrWithoutHealthChecks) {
    for (auto pool : {outlier_pool({"a", "b"}, outlier_of(0, 0)), outlier_pool({"a", "b"}, outlier_of(5, 3), false)}) {
        auto& a = *pool->servers()[0];
        RecordedEjections events;
        for (int i = 0; i < 50; ++i) report_outcome(*pool, a, LiveOutcome::error_5xx, &events);
        EXPECT_TRUE(a.healthy.load());
        EXPECT_TRUE(events.ejected.empty());
    }
}

// Two workers failing on two servers at the same moment: one ejection wins, the other server keeps serving.
TEST(Outlier, ConcurrentEjectionsLeaveOneServer) {
    for (int round = 0; round < 200; ++round) {
        auto pool = outlier_pool({"a", "b"}, outlier_of(1, 1));
        std::atomic<int> ready{0};
        auto fail = [&](ServerRuntime& s) {
            ready.fetch_add(1);
            while (ready.load() < 2) std::this_thread::yield();
            report_outcome(*pool, s, LiveOutcome::error_5xx, nullptr);
        };
        std::thread t1(fail, std::ref(*pool->servers()[0]));
        std::thread t2(fail, std::ref(*pool->servers()[1]));
        t1.join();
        t2.join();
        const int up = int(pool->servers()[0]->healthy.load()) + int(pool->servers()[1]->healthy.load());
        ASSERT_EQ(up, 1) << "round " << round;
    }
}

}  // namespace
}  // namespace gisgate::balance
