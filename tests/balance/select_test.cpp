// balance::select(): the one place a request gets its server, with its affinity (job, private connection,
// cookie), and may_serve(), the one predicate for "may this server take a new request?".
#include <gtest/gtest.h>

#include <optional>

#include "balance/select.hpp"

namespace gisgate::balance {
namespace {

using namespace std::chrono_literals;
using Kind = Affinity::Kind;

std::shared_ptr<PoolRuntime> two_servers(std::uint32_t max_active = 0) {
    config::PoolConfig pc;
    pc.name = "gis";
    pc.balance = config::BalanceAlgorithm::round_robin;
    pc.max_active_per_server = max_active;
    pc.queue.max = 10;
    pc.queue.timeout = 10s;
    std::vector<std::shared_ptr<ServerRuntime>> list;
    for (const char* name : {"a", "b"}) {
        auto s = std::make_shared<ServerRuntime>();
        s->id = static_cast<std::uint32_t>(list.size()) + 1;
        s->name = name;
        list.push_back(s);
    }
    return std::make_shared<PoolRuntime>(pc, list, 1);
}

TEST(MayServe, ReadyHealthyWeightedOnlyAndDrainForPinned) {
    ServerRuntime s;
    EXPECT_TRUE(may_serve(s));
    s.admin = AdminState::drain;
    EXPECT_FALSE(may_serve(s));
    EXPECT_TRUE(may_serve(s, true));
    s.admin = AdminState::maint;
    EXPECT_FALSE(may_serve(s, true));
    s.admin = AdminState::ready;
    s.healthy = false;
    EXPECT_FALSE(may_serve(s, true));
    s.healthy = true;
    s.weight = 0;
    EXPECT_FALSE(may_serve(s, true));
}

TEST(Select, EveryAffinityGoesToItsServerWhileItMayServe) {
    auto pool = two_servers();
    ServerRuntime* b = pool->servers()[1].get();
    for (const Kind kind : {Kind::job, Kind::connection, Kind::cookie}) {
        for (int i = 0; i < 4; ++i) {  // round robin would alternate
            const Selection s = try_select(*pool, Affinity::to(kind, b), TriedSet{}, 0);
            ASSERT_EQ(s.status, AcquireStatus::granted);
            EXPECT_EQ(s.server, b);
            EXPECT_FALSE(s.affinity_lost);
            pool->release(s.server);
        }
    }
}

// Draining: a job and a private connection still go there (only it can serve them), a cookie is re-balanced.
TEST(Select, ADrainingServerKeepsItsJobsAndPrivateConnectionsOnly) {
    auto pool = two_servers();
    ServerRuntime* a = pool->servers()[0].get();
    ServerRuntime* b = pool->servers()[1].get();
    b->admin = AdminState::drain;
    for (const Kind kind : {Kind::job, Kind::connection}) {
        const Selection s = try_select(*pool, Affinity::to(kind, b), TriedSet{}, 0);
        EXPECT_EQ(s.server, b) << static_cast<int>(kind);
        pool->release(s.server);
    }
    const Selection cookie = try_select(*pool, Affinity::to(Kind::cookie, b), TriedSet{}, 0);
    EXPECT_EQ(cookie.server, a);
    EXPECT_TRUE(cookie.affinity_lost);
    pool->release(cookie.server);
}

// Down: a job fails (no other server knows it), the others are balanced and say so.
TEST(Select, ADownServerFailsItsJobsAndRebalancesTheRest) {
    auto pool = two_servers();
    ServerRuntime* a = pool->servers()[0].get();
    ServerRuntime* b = pool->servers()[1].get();
    b->healthy = false;
    const Selection job = try_select(*pool, Affinity::to(Kind::job, b), TriedSet{}, 0);
    EXPECT_EQ(job.status, AcquireStatus::no_server);
    for (const Kind kind : {Kind::connection, Kind::cookie}) {
        const Selection s = try_select(*pool, Affinity::to(kind, b), TriedSet{}, 0);
        EXPECT_EQ(s.server, a);
        EXPECT_TRUE(s.affinity_lost);
        pool->release(s.server);
    }
}

TEST(Select, WithoutAffinityTheAlgorithmPicksAmongUntried) {
    auto pool = two_servers();
    TriedSet tried;
    tried.add(pool->servers()[0]->id);
    for (int i = 0; i < 3; ++i) {
        const Selection s = try_select(*pool, Affinity{}, tried, 0);
        EXPECT_EQ(s.server, pool->servers()[1].get());
        pool->release(s.server);
    }
    tried.add(pool->servers()[1]->id);
    EXPECT_EQ(try_select(*pool, Affinity{}, tried, 0).status, AcquireStatus::no_server);
}

// A full pinned server is waited for in the queue, not swapped for another.
TEST(Select, AFullPinnedServerIsWaitedFor) {
    auto pool = two_servers(1);
    ServerRuntime* b = pool->servers()[1].get();
    ASSERT_TRUE(pool->try_take(b));
    EXPECT_EQ(try_select(*pool, Affinity::to(Kind::job, b), TriedSet{}, 0).status, AcquireStatus::queue_full);
    asio::io_context context{1};
    std::optional<Selection> waited;
    const Affinity job = Affinity::to(Kind::job, b);
    const TriedSet none;
    asio::co_spawn(context, [&]() -> awaitable<void> { waited = co_await select(*pool, job, none, 0); },
                   asio::detached);
    context.poll();
    ASSERT_FALSE(waited);
    EXPECT_EQ(pool->queued(), 1u);
    pool->release(b);  // hands the slot to the waiter
    context.restart();
    context.run_for(5s);
    ASSERT_TRUE(waited);
    EXPECT_EQ(waited->status, AcquireStatus::granted);
    EXPECT_EQ(waited->server, b);
}

}  // namespace
}  // namespace gisgate::balance
