// The alert state machine: firing once, updating while active, resolving when back under the limit or no
// longer measured, rules removed by a reload, and the bounded list of recent events.
#include "metrics/alerts.hpp"

#include <gtest/gtest.h>

namespace gisgate::metrics {
namespace {

AlertCondition cond(std::string rule, std::string target, bool breached, double value = 0) {
    return {std::move(rule), std::move(target), breached, value, "m"};
}

TEST(AlertEngine, FiresOnceWhileBreachedAndResolvesWhenBackUnder) {
    AlertEngine engine;
    std::vector<AlertEvent> events;
    engine.update({"down"}, {cond("down", "gis/a", false), cond("down", "gis/b", true, 1)}, 1000, events);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_TRUE(events[0].firing);
    EXPECT_EQ(events[0].target, "gis/b");
    EXPECT_EQ(events[0].time_ms, 1000);
    events.clear();
    engine.update({"down"}, {cond("down", "gis/a", false), cond("down", "gis/b", true, 2)}, 2000, events);
    EXPECT_TRUE(events.empty());
    ASSERT_EQ(engine.active().size(), 1u);
    EXPECT_EQ(engine.active()[0].since_ms, 1000);
    EXPECT_EQ(engine.active()[0].value, 2);  // latest measurement
    engine.update({"down"}, {cond("down", "gis/b", false, 0)}, 3000, events);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_FALSE(events[0].firing);
    EXPECT_TRUE(engine.active().empty());
    ASSERT_EQ(engine.recent().size(), 2u);
    EXPECT_FALSE(engine.recent()[0].firing);  // newest first
    EXPECT_TRUE(engine.recent()[1].firing);
}

TEST(AlertEngine, ATargetNoLongerMeasuredResolvesButOtherRulesAreLeftAlone) {
    AlertEngine engine;
    std::vector<AlertEvent> events;
    engine.update({"slow", "down"}, {cond("slow", "Maps/Streets", true, 900), cond("down", "gis/b", true)}, 1, events);
    events.clear();
    engine.update({"slow"}, {}, 2, events);  // only "slow" evaluated; Maps/Streets not measured
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].rule, "slow");
    EXPECT_FALSE(events[0].firing);
    EXPECT_NE(events[0].message.find("no longer measured"), std::string::npos);
    ASSERT_EQ(engine.active().size(), 1u);
    EXPECT_EQ(engine.active()[0].rule, "down");
}

TEST(AlertEngine, RulesRemovedByAReloadResolveTheirAlerts) {
    AlertEngine engine;
    std::vector<AlertEvent> events;
    engine.update({"a", "b"}, {cond("a", "x", true), cond("b", "y", true)}, 1, events);
    events.clear();
    engine.retain_rules({"b"}, 5, events);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].rule, "a");
    EXPECT_FALSE(events[0].firing);
    ASSERT_EQ(engine.active().size(), 1u);
    EXPECT_EQ(engine.active()[0].rule, "b");
}

TEST(AlertEngine, KeepsTheLastHundredEvents) {
    AlertEngine engine;
    std::vector<AlertEvent> events;
    for (int i = 0; i < 150; ++i) engine.update({"r"}, {cond("r", "t", i % 2 == 0, i)}, i, events);
    EXPECT_EQ(events.size(), 150u);
    ASSERT_EQ(engine.recent().size(), AlertEngine::kRecentEvents);
    EXPECT_EQ(engine.recent().front().time_ms, 149);
    EXPECT_EQ(engine.recent().back().time_ms, 50);
}

}  // namespace
}  // namespace gisgate::metrics
