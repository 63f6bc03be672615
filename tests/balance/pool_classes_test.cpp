// Operation classes in the pool: each class's share of a server's slots (class_limits), and the queue serving
// classes by weighted priority, FIFO within a class, with a timeout per class.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "balance/pool.hpp"
#include "balance/select.hpp"

namespace gisgate::balance {
namespace {

using namespace std::chrono_literals;
using config::OperationClass;

std::shared_ptr<PoolRuntime> pool_with_classes(std::uint32_t max_active, unsigned servers = 1,
                                               config::ClassesConfig classes = {},
                                               std::chrono::milliseconds queue_timeout = 10s) {
    config::PoolConfig pc;
    pc.name = "gis";
    pc.max_active_per_server = max_active;
    pc.queue.max = 100;
    pc.queue.timeout = queue_timeout;
    pc.classes = classes;
    std::vector<std::shared_ptr<ServerRuntime>> list;
    for (unsigned i = 0; i < servers; ++i) {
        auto s = std::make_shared<ServerRuntime>();
        s->id = 200 + i;
        s->name = "s" + std::to_string(i);
        list.push_back(s);
    }
    return std::make_shared<PoolRuntime>(pc, list, 1);
}

struct ClassLoop {
    asio::io_context context{1};
    void run_for(std::chrono::milliseconds d) {
        context.restart();
        context.run_for(d);
    }
    // Runs until `done` holds (bounded: a broken queue fails the test instead of hanging it).
    template <class Done>
    bool run_until(Done done) {
        for (int i = 0; i < 200 && !done(); ++i) run_for(10ms);
        return done();
    }
};

TEST(PoolClasses, HeavyRequestsTakeAtMostTheirShareOfAServer) {
    auto pool = pool_with_classes(4);  // default class_limits: heavy 50 %
    EXPECT_EQ(pool->class_limit(OperationClass::heavy), 2u);
    EXPECT_EQ(pool->class_limit(OperationClass::interactive), 0u);
    const TriedSet none;
    // The pool serves interactive requests too: heavy's share binds.
    EXPECT_EQ(pool->try_acquire(0, none, OperationClass::interactive).status, AcquireStatus::granted);
    EXPECT_EQ(pool->binding_limit(OperationClass::heavy, *pool->servers()[0]), 2u);
    EXPECT_EQ(pool->try_acquire(0, none, OperationClass::heavy).status, AcquireStatus::granted);
    EXPECT_EQ(pool->try_acquire(0, none, OperationClass::heavy).status, AcquireStatus::granted);
    // The server has a free slot, but not for heavy work: it stays for the others.
    EXPECT_EQ(pool->try_acquire(0, none, OperationClass::heavy).status, AcquireStatus::queue_full);
    EXPECT_EQ(pool->try_acquire(0, none, OperationClass::other).status, AcquireStatus::granted);
    EXPECT_EQ(pool->try_acquire(0, none, OperationClass::interactive).status, AcquireStatus::queue_full);
    ServerRuntime& s = *pool->servers()[0];
    EXPECT_EQ(s.active.load(), 4u);
    EXPECT_EQ(s.class_active[2].load(), 2u);
    pool->release(&s, OperationClass::heavy);
    EXPECT_EQ(s.class_active[2].load(), 1u);
    EXPECT_EQ(pool->try_acquire(0, none, OperationClass::heavy).status, AcquireStatus::granted);
}

std::int64_t g_fake_ms = 1'000'000;
std::int64_t fake_ms() { return g_fake_ms; }

TEST(PoolClasses, ByDefaultHeavyWorkNeverTakesEverySlotEvenAlone) {
    auto pool = pool_with_classes(4);
    const TriedSet none;
    for (int i = 0; i < 2; ++i)
        EXPECT_EQ(pool->try_acquire(0, none, OperationClass::heavy).status, AcquireStatus::granted) << i;
    EXPECT_EQ(pool->try_acquire(0, none, OperationClass::heavy).status, AcquireStatus::queue_full);
}

TEST(PoolClasses, WhileMixedAPoolThatOnlyGetsHeavyWorkUsesEverySlotUntilAnotherClassComes) {
    config::ClassesConfig while_mixed;
    while_mixed.limits_while_mixed = true;
    auto pool = pool_with_classes(4, 1, while_mixed);
    pool->set_clock_for_test(&fake_ms);
    const TriedSet none;
    ServerRuntime& s = *pool->servers()[0];
    // A dedicated geoprocessing cluster: nothing else comes, so heavy work is not held to its share.
    for (int i = 0; i < 4; ++i)
        EXPECT_EQ(pool->try_acquire(0, none, OperationClass::heavy).status, AcquireStatus::granted) << i;
    EXPECT_EQ(pool->binding_limit(OperationClass::heavy, *pool->servers()[0]), 0u);
    // An interactive request comes: the share binds from now on (this one waits for a slot).
    EXPECT_EQ(pool->try_acquire(0, none, OperationClass::interactive).status, AcquireStatus::queue_full);
    EXPECT_EQ(pool->binding_limit(OperationClass::heavy, *pool->servers()[0]), 2u);
    pool->release(&s, OperationClass::heavy);
    EXPECT_EQ(pool->try_acquire(0, none, OperationClass::heavy).status, AcquireStatus::queue_full)
        << "3 heavy in flight, 2 allowed while interactive requests come";
    EXPECT_EQ(pool->try_acquire(0, none, OperationClass::interactive).status, AcquireStatus::granted);
    // Nothing but heavy work for longer than the window: the share stops binding again.
    pool->release(&s, OperationClass::interactive);
    g_fake_ms += PoolRuntime::kShareWindowMs + 1;
    EXPECT_EQ(pool->binding_limit(OperationClass::heavy, *pool->servers()[0]), 0u);
    EXPECT_EQ(pool->try_acquire(0, none, OperationClass::heavy).status, AcquireStatus::granted);
    EXPECT_EQ(s.class_active[2].load(), 4u);
}

TEST(PoolClasses, AShareRoundsUpAndIsNeverZero) {
    EXPECT_EQ(pool_with_classes(1)->class_limit(OperationClass::heavy), 1u);  // 50 % of 1: heavy still runs
    EXPECT_EQ(pool_with_classes(3)->class_limit(OperationClass::heavy), 2u);
    config::ClassesConfig small;
    small.limit_percent = {100, 25, 10};
    auto pool = pool_with_classes(8, 1, small);
    EXPECT_EQ(pool->class_limit(OperationClass::other), 2u);
    EXPECT_EQ(pool->class_limit(OperationClass::heavy), 1u);
    // Without max_active_per_server there is nothing to share: no class limit.
    EXPECT_EQ(pool_with_classes(0)->class_limit(OperationClass::heavy), 0u);
}

TEST(PoolClasses, TheQueueServesInteractiveFirstAndHeavyByItsWeight) {
    auto pool = pool_with_classes(1);
    const TriedSet none;
    ServerRuntime& s = *pool->servers()[0];
    ASSERT_EQ(pool->try_acquire(0, none, OperationClass::heavy).status, AcquireStatus::granted);

    ClassLoop loop;
    std::vector<std::string> order;
    const auto wait = [&](OperationClass cls, std::string name) {
        asio::co_spawn(
            loop.context,
            [&, cls, name]() -> awaitable<void> {
                const Selection got = co_await select(*pool, Affinity{}, none, 0, cls);
                if (got.status == AcquireStatus::granted) order.push_back(name);
            },
            asio::detached);
    };
    // Two heavy requests queue first, then ten interactive ones.
    wait(OperationClass::heavy, "h1");
    wait(OperationClass::heavy, "h2");
    for (int i = 1; i <= 10; ++i) wait(OperationClass::interactive, "i" + std::to_string(i));
    ASSERT_TRUE(loop.run_until([&] { return pool->queued() == 12; }));

    // Each answer hands its slot to the next in line; the holder is whoever was granted last.
    OperationClass holder = OperationClass::heavy;
    for (int grant = 0; grant < 12; ++grant) {
        const std::size_t before = order.size();
        pool->release(&s, holder);
        ASSERT_TRUE(loop.run_until([&] { return order.size() == before + 1; })) << "grant " << grant;
        holder = order.back()[0] == 'h' ? OperationClass::heavy : OperationClass::interactive;
        EXPECT_EQ(s.active.load(), 1u) << "the slot passed on, it was never free";
        EXPECT_EQ(s.class_active[static_cast<std::size_t>(holder)].load(), 1u) << "the class slot changed hands";
    }
    // Weights 8:1: eight interactive grants, then a heavy one; FIFO within each class.
    const std::vector<std::string> expected{"i1", "i2", "i3", "i4", "i5", "i6", "i7", "i8",
                                            "h1", "i9", "i10", "h2"};
    EXPECT_EQ(order, expected);
    pool->release(&s, holder);
    EXPECT_EQ(s.active.load(), 0u);
    for (const auto& n : s.class_active) EXPECT_EQ(n.load(), 0u);
}

TEST(PoolClasses, AWaiterWhoseClassIsFullOnTheServerLetsTheNextClassGo) {
    config::ClassesConfig classes;
    classes.weight = {8, 1, 100};  // heavy's turn first, were its share not used up
    auto pool = pool_with_classes(2, 1, classes);  // heavy: 1 of 2
    const TriedSet none;
    ServerRuntime& s = *pool->servers()[0];
    ASSERT_EQ(pool->try_acquire(0, none, OperationClass::heavy).status, AcquireStatus::granted);
    ASSERT_EQ(pool->try_acquire(0, none, OperationClass::interactive).status, AcquireStatus::granted);

    ClassLoop loop;
    std::vector<OperationClass> granted;
    for (OperationClass cls : {OperationClass::heavy, OperationClass::other})
        asio::co_spawn(
            loop.context,
            [&, cls]() -> awaitable<void> {
                if ((co_await select(*pool, Affinity{}, none, 0, cls)).status == AcquireStatus::granted)
                    granted.push_back(cls);
            },
            asio::detached);
    ASSERT_TRUE(loop.run_until([&] { return pool->queued() == 2; }));
    // The interactive request ends: its slot cannot go to the heavy waiter although heavy weighs most (heavy
    // holds its one slot), so the `other` one, queued later, gets it.
    pool->release(&s, OperationClass::interactive);
    ASSERT_TRUE(loop.run_until([&] { return granted.size() == 1; }));
    EXPECT_EQ(granted[0], OperationClass::other);
    // The heavy request ends: its slot goes to the heavy waiter.
    pool->release(&s, OperationClass::heavy);
    ASSERT_TRUE(loop.run_until([&] { return granted.size() == 2; }));
    EXPECT_EQ(granted[1], OperationClass::heavy);
    EXPECT_EQ(pool->queued(), 0u);
}

TEST(PoolClasses, EachClassHasItsOwnQueueTimeoutAndRejectionCount) {
    config::ClassesConfig classes;
    classes.queue_timeout[static_cast<std::size_t>(OperationClass::heavy)] = 50ms;
    auto pool = pool_with_classes(1, 1, classes, 10s);
    EXPECT_EQ(pool->queue_timeout(OperationClass::heavy), 50ms);
    EXPECT_EQ(pool->queue_timeout(OperationClass::interactive), 10s);
    const TriedSet none;
    ASSERT_EQ(pool->try_acquire(0, none, OperationClass::interactive).status, AcquireStatus::granted);

    ClassLoop loop;
    std::optional<AcquireStatus> heavy, interactive;
    asio::co_spawn(loop.context, [&]() -> awaitable<void> {
        heavy = (co_await select(*pool, Affinity{}, none, 0, OperationClass::heavy)).status;
    }, asio::detached);
    asio::co_spawn(loop.context, [&]() -> awaitable<void> {
        interactive = (co_await select(*pool, Affinity{}, none, 0, OperationClass::interactive)).status;
    }, asio::detached);
    ASSERT_TRUE(loop.run_until([&] { return heavy.has_value(); }));
    EXPECT_EQ(*heavy, AcquireStatus::queue_timeout);
    EXPECT_FALSE(interactive.has_value()) << "the interactive request still waits (10 s)";
    const auto& queue = *pool->wait_queue();
    EXPECT_EQ(queue.class_rejections[static_cast<std::size_t>(OperationClass::heavy)].load(), 1u);
    EXPECT_EQ(queue.class_size[static_cast<std::size_t>(OperationClass::interactive)].load(), 1u);
    pool->release(pool->servers()[0].get(), OperationClass::interactive);
    ASSERT_TRUE(loop.run_until([&] { return interactive.has_value(); }));
    EXPECT_EQ(*interactive, AcquireStatus::granted);
}

}  // namespace
}  // namespace gisgate::balance
