// ChangeLog: sequence numbers and stamps, the last-writer-wins registers, one-shot events, the bounded log and
// what a peer is sent.
#include <gtest/gtest.h>

#include "cluster/change_log.hpp"

namespace gisgate::cluster {
namespace {

using nlohmann::json;

Change state_change(std::string origin, std::uint64_t seq, std::uint64_t stamp, std::string server, std::string state) {
    Change c;
    c.origin = std::move(origin);
    c.seq = seq;
    c.stamp = stamp;
    c.kind = ChangeKind::state;
    c.pool = "gis";
    c.server = std::move(server);
    c.payload = {{"state", state}};
    return c;
}

Change event(std::string origin, std::uint64_t seq, std::uint64_t stamp, ChangeKind kind) {
    Change c;
    c.origin = std::move(origin);
    c.seq = seq;
    c.stamp = stamp;
    c.kind = kind;
    return c;
}

TEST(ChangeLog, LocalChangesTakeIncreasingSeqAndHybridStamps) {
    ChangeLog log("lb1", 1000);
    const Change a = log.record_local(ChangeKind::state, "gis", "a", {{"state", "drain"}}, 5000);
    EXPECT_EQ(a.origin, "lb1");
    EXPECT_EQ(a.stamp, 5000u);
    EXPECT_EQ(a.seq, 5000u);  // starts at the wall clock: keeps increasing across a restart
    // The wall clock stood still (or went back): stamp and seq still increase.
    const Change b = log.record_local(ChangeKind::state, "gis", "a", {{"state", "ready"}}, 4000);
    EXPECT_EQ(b.stamp, 5001u);
    EXPECT_EQ(b.seq, 5001u);
    EXPECT_EQ(log.seen().at("lb1"), 5001u);
    EXPECT_EQ(log.state_of("gis", "a")->payload["state"], "ready");
}

TEST(ChangeLog, ReceivedStampAdvancesTheClock) {
    ChangeLog log("lb1", 1000);
    EXPECT_EQ(log.receive(state_change("lb2", 7, 9000, "a", "drain")), Verdict::apply);
    EXPECT_EQ(log.clock(), 9000u);
    // A local change after it is stamped later, even though this node's wall clock is behind.
    const Change mine = log.record_local(ChangeKind::state, "gis", "a", {{"state", "ready"}}, 2000);
    EXPECT_EQ(mine.stamp, 9001u);
    EXPECT_EQ(log.state_of("gis", "a")->origin, "lb1");
}

TEST(ChangeLog, DuplicatesAreNotRecordedTwice) {
    ChangeLog log("lb1", 1000);
    const Change c = state_change("lb2", 7, 9000, "a", "drain");
    EXPECT_EQ(log.receive(c), Verdict::apply);
    EXPECT_EQ(log.receive(c), Verdict::duplicate);
    EXPECT_EQ(log.receive(state_change("lb2", 6, 8000, "b", "drain")), Verdict::duplicate);
    EXPECT_EQ(log.size(), 1u);
}

TEST(ChangeLog, StateIsLastWriterWinsByStampThenOrigin) {
    ChangeLog log("lb1", 1000);
    EXPECT_EQ(log.receive(state_change("lb3", 1, 9000, "a", "drain")), Verdict::apply);
    // Older stamp from another origin arrives later: recorded (forwarded), not applied.
    EXPECT_EQ(log.receive(state_change("lb2", 1, 8000, "a", "maint")), Verdict::superseded);
    EXPECT_EQ(log.state_of("gis", "a")->payload["state"], "drain");
    EXPECT_EQ(log.size(), 2u);
    // Same stamp: the higher origin name wins, on every node alike.
    EXPECT_EQ(log.receive(state_change("lb4", 1, 9000, "a", "ready")), Verdict::apply);
    EXPECT_EQ(log.receive(state_change("lb2", 2, 9000, "a", "maint")), Verdict::superseded);
    EXPECT_EQ(log.state_of("gis", "a")->payload["state"], "ready");
    // Another server's register is independent.
    EXPECT_EQ(log.receive(state_change("lb2", 3, 100, "b", "maint")), Verdict::apply);
}

TEST(ChangeLog, TwoNodesConvergeWhateverTheOrder) {
    const Change x = state_change("lb1", 1, 5000, "a", "drain");
    const Change y = state_change("lb2", 1, 5000, "a", "maint");
    const Change z = state_change("lb3", 1, 4000, "a", "ready");
    ChangeLog p("p", 0), q("q", 0);
    for (const Change& c : {x, y, z}) p.receive(c);
    for (const Change& c : {z, y, x}) q.receive(c);
    EXPECT_EQ(p.state_of("gis", "a")->origin, "lb2");
    EXPECT_EQ(q.state_of("gis", "a")->origin, "lb2");
}

TEST(ChangeLog, OneShotEventsBeforeStartAreNotApplied) {
    ChangeLog log("lb1", 10'000);
    EXPECT_EQ(log.receive(event("lb2", 1, 9'000, ChangeKind::purge)), Verdict::before_start);
    EXPECT_EQ(log.receive(event("lb2", 2, 11'000, ChangeKind::purge)), Verdict::apply);
    EXPECT_EQ(log.receive(event("lb2", 3, 12'000, ChangeKind::reload)), Verdict::apply);
    EXPECT_EQ(log.size(), 3u);  // all forwarded
    // State changes from before the start are applied: a restarted node converges on the servers' state.
    EXPECT_EQ(log.receive(state_change("lb3", 1, 5'000, "a", "drain")), Verdict::apply);
}

TEST(ChangeLog, ReloadEndsEarlierMembershipChanges) {
    ChangeLog log("lb1", 0);
    Change add = event("lb2", 1, 1'000, ChangeKind::add);
    add.pool = "gis";
    add.server = "c";
    EXPECT_EQ(log.receive(add), Verdict::apply);
    ASSERT_NE(log.membership_of("gis", "c"), nullptr);
    EXPECT_EQ(log.receive(event("lb2", 2, 2'000, ChangeKind::reload)), Verdict::apply);
    EXPECT_EQ(log.membership_of("gis", "c"), nullptr);
    Change late = add;
    late.origin = "lb3";
    late.stamp = 1'500;
    EXPECT_EQ(log.receive(late), Verdict::before_reload);
    late.seq = 2;
    late.stamp = 2'500;
    EXPECT_EQ(log.receive(late), Verdict::apply);
    // A remove is the same register as the add.
    Change remove = late;
    remove.kind = ChangeKind::remove;
    remove.seq = 3;
    remove.stamp = 2'600;
    EXPECT_EQ(log.receive(remove), Verdict::apply);
    EXPECT_EQ(log.membership_of("gis", "c")->kind, ChangeKind::remove);
}

TEST(ChangeLog, MissingForSendsWhatThePeerLacksInOrder) {
    ChangeLog log("lb1", 0);
    log.receive(state_change("lb2", 1, 100, "a", "drain"));
    log.record_local(ChangeKind::state, "gis", "b", {{"state", "maint"}}, 200);
    log.receive(state_change("lb2", 2, 300, "c", "drain"));
    const Seen peer{{"lb2", 1}};
    const auto missing = log.missing_for(peer, 10);
    ASSERT_EQ(missing.size(), 2u);
    EXPECT_EQ(missing[0].origin, "lb1");
    EXPECT_EQ(missing[1].server, "c");
    EXPECT_EQ(log.missing_for(peer, 1).size(), 1u);
    EXPECT_TRUE(log.missing_for(log.seen(), 10).empty());
}

TEST(ChangeLog, BoundedLogKeepsEveryServersLatestState) {
    ChangeLog log("lb1", 0, 4);
    log.record_local(ChangeKind::state, "gis", "a", {{"state", "drain"}}, 100);
    for (std::uint64_t i = 0; i < 10; ++i)
        log.record_local(ChangeKind::state, "gis", "b", {{"state", i % 2 ? "ready" : "maint"}}, 200 + i);
    log.record_local(ChangeKind::purge, "", "", json::object(), 300);
    EXPECT_LE(log.size(), 4u);
    // A node that has seen nothing still receives the latest state of a and of b.
    const auto all = log.missing_for({}, 100);
    bool has_a = false, has_b = false;
    for (const auto& c : all) {
        has_a = has_a || (c.server == "a" && c.payload["state"] == "drain");
        has_b = has_b || (c.server == "b" && c.payload["state"] == "ready");
    }
    EXPECT_TRUE(has_a);
    EXPECT_TRUE(has_b);
}

TEST(ChangeLog, JsonRoundTripAndRejectsMalformed) {
    Change c = state_change("lb2", 7, 9000, "a", "drain");
    const auto back = change_from_json(to_json(c));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->origin, "lb2");
    EXPECT_EQ(back->seq, 7u);
    EXPECT_EQ(back->stamp, 9000u);
    EXPECT_EQ(back->kind, ChangeKind::state);
    EXPECT_EQ(back->payload["state"], "drain");
    json bad = to_json(c);
    bad["kind"] = "explode";
    EXPECT_FALSE(change_from_json(bad));
    bad = to_json(c);
    bad.erase("seq");
    EXPECT_FALSE(change_from_json(bad));
    bad = to_json(c);
    bad["seq"] = -1;
    EXPECT_FALSE(change_from_json(bad));
    EXPECT_FALSE(change_from_json(json::array()));
    const Seen seen{{"lb1", 3}, {"lb2", 9}};
    EXPECT_EQ(seen_from_json(to_json(seen)), seen);
    EXPECT_FALSE(seen_from_json(json{{"lb1", "x"}}));
}

}  // namespace
}  // namespace gisgate::cluster
