// HealthTracker: the fall/rise state machine, without sockets.
#include <gtest/gtest.h>

#include "health/tracker.hpp"

namespace gisgate::health {
namespace {

struct State {
    bool healthy = true;
    balance::HealthInfo info;
};

Change feed(const HealthTracker& t, State& s, Outcome o) { return t.record(o, s.healthy, s.info); }

TEST(HealthTracker, FailingServerGoesDownExactlyAtFall) {
    const HealthTracker t(/*fall=*/5, /*rise=*/3);
    State s;
    for (std::uint32_t i = 1; i < 5; ++i) {
        EXPECT_EQ(feed(t, s, Outcome::failure), Change::none);
        EXPECT_TRUE(s.healthy) << "after " << i << " failures";
        EXPECT_EQ(s.info.consecutive_failures, i);
    }
    EXPECT_EQ(feed(t, s, Outcome::failure), Change::went_down);
    EXPECT_FALSE(s.healthy);
    EXPECT_EQ(s.info.consecutive_failures, 5u);
    EXPECT_EQ(s.info.transitions, 1u);
    // Further failures keep counting but are no new transition.
    EXPECT_EQ(feed(t, s, Outcome::failure), Change::none);
    EXPECT_EQ(s.info.consecutive_failures, 6u);
    EXPECT_EQ(s.info.transitions, 1u);
}

TEST(HealthTracker, DeadServerGoesDownAtOnce) {
    const HealthTracker t(5, 3);
    State s;
    EXPECT_EQ(feed(t, s, Outcome::dead), Change::went_down);
    EXPECT_FALSE(s.healthy);
    EXPECT_EQ(s.info.consecutive_failures, 1u);
    EXPECT_EQ(s.info.transitions, 1u);
    EXPECT_EQ(feed(t, s, Outcome::dead), Change::none);
    EXPECT_EQ(s.info.consecutive_failures, 2u);
    EXPECT_EQ(s.info.transitions, 1u);
}

TEST(HealthTracker, DeadAfterSomeFailuresCountsAndGoesDown) {
    const HealthTracker t(5, 3);
    State s;
    feed(t, s, Outcome::failure);
    feed(t, s, Outcome::success);
    EXPECT_EQ(s.info.consecutive_successes, 1u);
    EXPECT_EQ(feed(t, s, Outcome::dead), Change::went_down);
    EXPECT_EQ(s.info.consecutive_successes, 0u);
    EXPECT_EQ(s.info.consecutive_failures, 1u);
}

TEST(HealthTracker, SuccessResetsTheFailureCount) {
    const HealthTracker t(3, 2);
    State s;
    feed(t, s, Outcome::failure);
    feed(t, s, Outcome::failure);
    EXPECT_EQ(feed(t, s, Outcome::success), Change::none);
    EXPECT_EQ(s.info.consecutive_failures, 0u);
    EXPECT_EQ(s.info.consecutive_successes, 1u);
    // Two more failures are not three in a row.
    feed(t, s, Outcome::failure);
    feed(t, s, Outcome::failure);
    EXPECT_TRUE(s.healthy);
    EXPECT_EQ(feed(t, s, Outcome::failure), Change::went_down);
}

TEST(HealthTracker, DownServerNeedsExactlyRiseSuccesses) {
    const HealthTracker t(2, 3);
    State s;
    feed(t, s, Outcome::dead);
    ASSERT_FALSE(s.healthy);
    EXPECT_EQ(feed(t, s, Outcome::success), Change::none);
    EXPECT_EQ(feed(t, s, Outcome::success), Change::none);
    EXPECT_FALSE(s.healthy);
    EXPECT_EQ(s.info.consecutive_successes, 2u);
    EXPECT_EQ(feed(t, s, Outcome::success), Change::went_up);
    EXPECT_TRUE(s.healthy);
    EXPECT_EQ(s.info.transitions, 2u);
    EXPECT_EQ(s.info.consecutive_failures, 0u);
}

TEST(HealthTracker, AFailureInBetweenRestartsTheRise) {
    const HealthTracker t(1, 2);
    State s;
    feed(t, s, Outcome::failure);
    ASSERT_FALSE(s.healthy);
    feed(t, s, Outcome::success);
    feed(t, s, Outcome::failure);
    EXPECT_EQ(feed(t, s, Outcome::success), Change::none);
    EXPECT_FALSE(s.healthy);
    EXPECT_EQ(feed(t, s, Outcome::success), Change::went_up);
}

TEST(HealthTracker, UpServerStaysUpOnSuccess) {
    const HealthTracker t(5, 3);
    State s;
    for (int i = 0; i < 10; ++i) EXPECT_EQ(feed(t, s, Outcome::success), Change::none);
    EXPECT_TRUE(s.healthy);
    EXPECT_EQ(s.info.consecutive_successes, 10u);
    EXPECT_EQ(s.info.transitions, 0u);
}

TEST(HealthTracker, FallOneAndRiseOne) {
    const HealthTracker t(1, 1);
    State s;
    EXPECT_EQ(feed(t, s, Outcome::failure), Change::went_down);
    EXPECT_EQ(feed(t, s, Outcome::success), Change::went_up);
    EXPECT_EQ(feed(t, s, Outcome::failure), Change::went_down);
    EXPECT_EQ(s.info.transitions, 3u);
}

TEST(HealthTracker, StartingDownComesUpAfterRise) {
    const HealthTracker t(5, 2);
    State s;
    s.healthy = false;
    EXPECT_EQ(feed(t, s, Outcome::success), Change::none);
    EXPECT_EQ(feed(t, s, Outcome::success), Change::went_up);
    EXPECT_EQ(s.info.transitions, 1u);
}

}  // namespace
}  // namespace gisgate::health
