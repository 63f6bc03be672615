// The sim's CPU model (--cpu-cores): processor-sharing arithmetic with injected time, and the site sharing its
// cores between concurrent requests.
#include <atomic>
#include <thread>

#include "sim/cpu.hpp"
#include "sim_fixture.hpp"

namespace gisgate::sim::testing {
namespace {

using std::chrono::milliseconds;
using Clock = ProcessorSharing::clock;

const Clock::time_point t0 = Clock::time_point{} + std::chrono::hours(1);

TEST(SimProcessorSharingTest, OneJobRunsAtFullSpeed) {
    ProcessorSharing ps(2);
    EXPECT_FALSE(ps.next_completion());
    auto a = ps.add(milliseconds(100), t0);
    EXPECT_DOUBLE_EQ(ps.rate(), 1.0);
    ASSERT_TRUE(ps.next_completion());
    EXPECT_EQ(*ps.next_completion(), t0 + milliseconds(100));
    EXPECT_TRUE(ps.advance(t0 + milliseconds(99)).empty());
    EXPECT_EQ(ps.remaining(a), milliseconds(1));
    EXPECT_EQ(ps.advance(t0 + milliseconds(100)), std::vector<std::uint64_t>{a});
    EXPECT_EQ(ps.active(), 0u);
    EXPECT_FALSE(ps.next_completion());
}

TEST(SimProcessorSharingTest, TwoJobsOnOneCoreTakeTwiceAsLong) {
    ProcessorSharing ps(1);
    auto a = ps.add(milliseconds(200), t0);
    auto b = ps.add(milliseconds(200), t0);
    EXPECT_DOUBLE_EQ(ps.rate(), 0.5);
    EXPECT_EQ(*ps.next_completion(), t0 + milliseconds(400));
    EXPECT_TRUE(ps.advance(t0 + milliseconds(300)).empty());
    EXPECT_EQ(ps.remaining(a), milliseconds(50));
    EXPECT_EQ((ps.advance(t0 + milliseconds(400))), (std::vector<std::uint64_t>{a, b}));
}

TEST(SimProcessorSharingTest, JobsUpToTheCoresDoNotSlowEachOther) {
    ProcessorSharing ps(2);
    ps.add(milliseconds(100), t0);
    ps.add(milliseconds(100), t0);
    EXPECT_DOUBLE_EQ(ps.rate(), 1.0);
    EXPECT_EQ(*ps.next_completion(), t0 + milliseconds(100));
    ps.add(milliseconds(300), t0);  // a third on two cores: each runs at 2/3
    EXPECT_NEAR(ps.rate(), 2.0 / 3.0, 1e-12);
    EXPECT_EQ(*ps.next_completion(), t0 + milliseconds(150));
    EXPECT_EQ(ps.advance(t0 + milliseconds(150)).size(), 2u);
    // The third did 100 ms of work; the remaining 200 ms now run at full speed.
    EXPECT_EQ(*ps.next_completion(), t0 + milliseconds(350));
    EXPECT_EQ(ps.advance(t0 + milliseconds(350)).size(), 1u);
}

TEST(SimProcessorSharingTest, AnArrivalSlowsTheRunningJobAndADepartureSpeedsItUp) {
    ProcessorSharing ps(1);
    auto a = ps.add(milliseconds(100), t0);
    auto b = ps.add(milliseconds(100), t0 + milliseconds(50));  // a has 50 ms left, now at half speed
    EXPECT_EQ(ps.remaining(a), milliseconds(50));
    EXPECT_EQ(*ps.next_completion(), t0 + milliseconds(150));
    EXPECT_EQ(ps.advance(t0 + milliseconds(150)), std::vector<std::uint64_t>{a});
    EXPECT_EQ(ps.remaining(b), milliseconds(50));
    EXPECT_EQ(*ps.next_completion(), t0 + milliseconds(200));
    EXPECT_EQ(ps.advance(t0 + milliseconds(200)), std::vector<std::uint64_t>{b});
}

TEST(SimProcessorSharingTest, AShortRequestBesideLongOnesFinishesQuickly) {
    // Two 2 s executes on two cores, then a 2 ms tile: the tile takes 3 ms, not 2 s.
    ProcessorSharing ps(2);
    ps.add(milliseconds(2000), t0);
    ps.add(milliseconds(2000), t0);
    auto tile = ps.add(milliseconds(2), t0 + milliseconds(500));
    EXPECT_EQ(*ps.next_completion(), t0 + milliseconds(503));
    EXPECT_EQ(ps.advance(t0 + milliseconds(503)), std::vector<std::uint64_t>{tile});
    // The executes lost 1 ms each to the tile.
    EXPECT_EQ(*ps.next_completion(), t0 + milliseconds(2001));
}

TEST(SimProcessorSharingTest, RemovedJobFreesItsShare) {
    ProcessorSharing ps(1);
    auto a = ps.add(milliseconds(100), t0);
    auto b = ps.add(milliseconds(100), t0);
    EXPECT_TRUE(ps.remove(b, t0 + milliseconds(40)));  // a did 20 ms
    EXPECT_FALSE(ps.remove(b, t0 + milliseconds(40)));
    EXPECT_EQ(*ps.next_completion(), t0 + milliseconds(120));
    EXPECT_EQ(ps.advance(t0 + milliseconds(120)), std::vector<std::uint64_t>{a});
}

TEST(SimProcessorSharingTest, TimeGoingBackwardsIsIgnored) {
    ProcessorSharing ps(1);
    auto a = ps.add(milliseconds(100), t0);
    EXPECT_TRUE(ps.advance(t0 - milliseconds(10)).empty());
    EXPECT_EQ(ps.remaining(a), milliseconds(100));
    EXPECT_EQ(*ps.next_completion(), t0 + milliseconds(100));
}

// A request's wall time on a site with the CPU model.
milliseconds timed_get(int port, const std::string& target, int* status) {
    auto start = std::chrono::steady_clock::now();
    HttpResponse r = http_get(port, target);
    *status = r.status;
    return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
}

const std::string kExecute = "/arcgis/rest/services/Utilities/PrintingTools/GPServer/ExportWebMap/execute?f=json";

TEST(SimCpuTest, TwoExecutesOnOneCoreShareIt) {
    SimOptions o = local_options();
    o.instances = 0;  // no instance bound: only the core limits them
    o.cpu_cores = 1;
    o.execute_time = milliseconds(200);
    SimServer server(o);
    EXPECT_EQ(stats(server.port())["cpu_cores"], 1);

    // Alone, an execute takes its 200 ms.
    int status = 0;
    milliseconds alone = timed_get(server.port(), kExecute, &status);
    EXPECT_EQ(status, 200);
    EXPECT_GE(alone, milliseconds(190));
    EXPECT_LT(alone, milliseconds(1500));

    // Two at once on one core: each about 400 ms (both progress at half speed).
    milliseconds took[2];
    int statuses[2] = {0, 0};
    std::thread other([&] { took[1] = timed_get(server.port(), kExecute, &statuses[1]); });
    took[0] = timed_get(server.port(), kExecute, &statuses[0]);
    other.join();
    for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(statuses[i], 200);
        EXPECT_GE(took[i], milliseconds(300)) << i;  // would be 200 ms without sharing
        EXPECT_LT(took[i], milliseconds(1500)) << i;
    }
    EXPECT_EQ(stats(server.port())["max_active"], 2);
}

TEST(SimCpuTest, ATileBesideALongExecuteIsNotQueuedBehindIt) {
    SimOptions o = local_options();
    o.instances = 0;
    o.cpu_cores = 1;
    o.execute_time = milliseconds(2000);
    SimServer server(o);

    std::atomic<bool> executed{false};
    std::thread heavy([&] {
        int status = 0;
        timed_get(server.port(), kExecute, &status);
        executed = status == 200;
    });
    // Once the execute runs, a tile (2 ms of CPU, 4 ms at half speed) answers long before the execute does.
    ASSERT_TRUE(gisgate::test::eventually([&] { return stats(server.port())["cpu_active"] == 1; }, 5s));
    int status = 0;
    milliseconds tile = timed_get(server.port(), "/arcgis/rest/services/SampleWorldCities/MapServer/tile/2/1/1", &status);
    EXPECT_EQ(status, 200);
    EXPECT_LT(tile, milliseconds(1000));
    heavy.join();
    EXPECT_TRUE(executed);
}

}  // namespace
}  // namespace gisgate::sim::testing
