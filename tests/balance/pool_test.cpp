// PoolRuntime: throttle slots, backups, the FIFO queue with hand-off, queue limits and timeouts.
#include <gtest/gtest.h>

#include <thread>

#include "balance/pool.hpp"
#include "balance/select.hpp"

namespace gisgate::balance {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<PoolRuntime> make_pool(std::vector<std::pair<std::string, bool>> servers, std::uint32_t max_active,
                                       std::uint32_t queue_max, std::chrono::milliseconds queue_timeout,
                                       unsigned workers = 1) {
    config::PoolConfig pc;
    pc.name = "gis";
    pc.max_active_per_server = max_active;
    pc.queue.max = queue_max;
    pc.queue.timeout = queue_timeout;
    std::vector<std::shared_ptr<ServerRuntime>> list;
    std::uint32_t id = 100;
    for (auto& [name, backup] : servers) {
        auto s = std::make_shared<ServerRuntime>();
        s->id = id++;
        s->name = name;
        s->backup = backup;
        list.push_back(s);
    }
    return std::make_shared<PoolRuntime>(pc, list, workers);
}

TEST(Pool, UnlimitedGrantsAlwaysAndCountsActive) {
    auto pool = make_pool({{"a", false}}, 0, 0, 1s);
    TriedSet none;
    for (int i = 0; i < 100; ++i) ASSERT_EQ(pool->try_acquire(0, none).status, AcquireStatus::granted);
    EXPECT_EQ(pool->servers()[0]->active.load(), 100u);
    for (int i = 0; i < 100; ++i) pool->release(pool->servers()[0].get());
    EXPECT_EQ(pool->servers()[0]->active.load(), 0u);
}

TEST(Pool, LimitIsPerServer) {
    auto pool = make_pool({{"a", false}, {"b", false}}, 2, 0, 1s);
    TriedSet none;
    std::vector<ServerRuntime*> granted;
    for (int i = 0; i < 4; ++i) {
        auto r = pool->try_acquire(0, none);
        ASSERT_EQ(r.status, AcquireStatus::granted);
        granted.push_back(r.server);
    }
    EXPECT_EQ(pool->try_acquire(0, none).status, AcquireStatus::queue_full);
    EXPECT_EQ(pool->servers()[0]->active.load(), 2u);
    EXPECT_EQ(pool->servers()[1]->active.load(), 2u);
    pool->release(granted[0]);
    EXPECT_EQ(pool->try_acquire(0, none).status, AcquireStatus::granted);
}

TEST(Pool, TriedServersAreSkippedAndNoServerReported) {
    auto pool = make_pool({{"a", false}, {"b", false}}, 0, 0, 1s);
    TriedSet tried;
    tried.add(pool->servers()[0]->id);
    for (int i = 0; i < 5; ++i) {
        auto r = pool->try_acquire(0, tried);
        ASSERT_EQ(r.status, AcquireStatus::granted);
        EXPECT_EQ(r.server->name, "b");
        pool->release(r.server);
    }
    tried.add(pool->servers()[1]->id);
    EXPECT_EQ(pool->try_acquire(0, tried).status, AcquireStatus::no_server);
}

TEST(Pool, BackupOnlyWhenNoPrimaryIsUp) {
    auto pool = make_pool({{"primary", false}, {"standby", true}}, 0, 0, 1s);
    TriedSet none;
    auto r = pool->try_acquire(0, none);
    EXPECT_EQ(r.server->name, "primary");
    pool->release(r.server);
    pool->servers()[0]->healthy = false;
    r = pool->try_acquire(0, none);
    EXPECT_EQ(r.server->name, "standby");
    pool->release(r.server);
    pool->servers()[0]->healthy = true;
    r = pool->try_acquire(0, none);
    EXPECT_EQ(r.server->name, "primary");
    pool->release(r.server);
}

TEST(Pool, DrainedAndZeroWeightServersGetNothing) {
    auto pool = make_pool({{"a", false}, {"b", false}, {"c", false}}, 0, 0, 1s);
    pool->servers()[0]->admin = AdminState::drain;
    pool->servers()[1]->weight = 0;
    TriedSet none;
    for (int i = 0; i < 10; ++i) {
        auto r = pool->try_acquire(0, none);
        EXPECT_EQ(r.server->name, "c");
        pool->release(r.server);
    }
}

// Runs `acquire` coroutines on an io_context in this thread.
struct Loop {
    asio::io_context context{1};
    void run_for(std::chrono::milliseconds d) {
        context.restart();
        context.run_for(d);
    }
};

TEST(PoolQueue, WaiterGetsTheReleasedSlot) {
    auto pool = make_pool({{"a", false}}, 1, 5, 10s);
    TriedSet none;
    auto first = pool->try_acquire(0, none);
    ASSERT_EQ(first.status, AcquireStatus::granted);

    Loop loop;
    std::optional<Selection> waited;
    asio::co_spawn(loop.context, [&]() -> awaitable<void> { waited = co_await select(*pool, Affinity{}, none, 0); },
                   asio::detached);
    loop.run_for(50ms);
    EXPECT_FALSE(waited.has_value());
    EXPECT_EQ(pool->queued(), 1u);

    pool->release(first.server);  // hands the slot straight to the waiter
    loop.run_for(200ms);
    ASSERT_TRUE(waited.has_value());
    EXPECT_EQ(waited->status, AcquireStatus::granted);
    EXPECT_EQ(pool->queued(), 0u);
    EXPECT_EQ(pool->servers()[0]->active.load(), 1u) << "the slot passed on, it was never free";
}

TEST(PoolQueue, FullQueueRefusesAtOnceAndTimeoutRefusesLater) {
    auto pool = make_pool({{"a", false}}, 1, 1, 100ms);
    TriedSet none;
    ASSERT_EQ(pool->try_acquire(0, none).status, AcquireStatus::granted);

    Loop loop;
    std::vector<AcquireStatus> results;
    for (int i = 0; i < 2; ++i)
        asio::co_spawn(loop.context, [&]() -> awaitable<void> { results.push_back((co_await select(*pool, Affinity{}, none, 0)).status); },
                       asio::detached);
    loop.run_for(20ms);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0], AcquireStatus::queue_full);
    loop.run_for(1000ms);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[1], AcquireStatus::queue_timeout);
    EXPECT_EQ(pool->queued(), 0u);
    EXPECT_EQ(pool->queue_rejections(), 2u);
}

TEST(PoolQueue, AReloadedPoolSharesItsQueueWithTheOldOne) {
    // Old runtime: one server, one slot, taken by an in-flight request.
    auto old_pool = make_pool({{"a", false}}, 1, 5, 10s);
    TriedSet none;
    auto in_flight = old_pool->try_acquire(0, none);
    ASSERT_EQ(in_flight.status, AcquireStatus::granted);

    // New runtime after a reload: same (unchanged) server object, the old queue.
    config::PoolConfig pc = old_pool->config();
    auto new_pool = std::make_shared<PoolRuntime>(
        pc, std::vector<std::shared_ptr<ServerRuntime>>{old_pool->servers()[0]}, 1, old_pool->wait_queue());

    Loop loop;
    std::optional<Selection> waited;
    asio::co_spawn(loop.context, [&]() -> awaitable<void> { waited = co_await select(*new_pool, Affinity{}, none, 0); },
                   asio::detached);
    loop.run_for(50ms);
    ASSERT_FALSE(waited.has_value());
    EXPECT_EQ(old_pool->queued(), 1u) << "both runtimes see one queue";

    old_pool->release(in_flight.server);  // the request that started before the reload finishes
    loop.run_for(200ms);
    ASSERT_TRUE(waited.has_value()) << "the slot must reach the request queued on the new runtime";
    EXPECT_EQ(waited->status, AcquireStatus::granted);
    EXPECT_EQ(waited->server, old_pool->servers()[0].get());
}

TEST(PoolQueue, AWaiterNeverGetsAServerItsRuntimeDoesNotHave) {
    auto old_pool = make_pool({{"a", false}}, 1, 5, 300ms);
    TriedSet none;
    auto in_flight = old_pool->try_acquire(0, none);
    // The reload changed server a: the new runtime has a different object, also busy.
    auto replacement = std::make_shared<ServerRuntime>();
    replacement->id = 999;
    replacement->name = "a";
    replacement->active = 1;
    auto new_pool = std::make_shared<PoolRuntime>(old_pool->config(),
                                                  std::vector<std::shared_ptr<ServerRuntime>>{replacement}, 1,
                                                  old_pool->wait_queue());
    Loop loop;
    std::optional<Selection> waited;
    asio::co_spawn(loop.context, [&]() -> awaitable<void> { waited = co_await select(*new_pool, Affinity{}, none, 0); },
                   asio::detached);
    loop.run_for(50ms);
    old_pool->release(in_flight.server);  // frees the OLD object: not for this waiter
    EXPECT_EQ(old_pool->servers()[0]->active.load(), 0u);
    loop.run_for(1000ms);
    ASSERT_TRUE(waited.has_value());
    EXPECT_EQ(waited->status, AcquireStatus::queue_timeout);
}

TEST(PoolQueue, FifoOrderAcrossThreadsWithoutLosingSlots) {
    // Two worker loops hammer a pool with one slot per server; every acquire must end granted and the
    // active count must never exceed the limit.
    auto pool = make_pool({{"a", false}, {"b", false}}, 1, 1000, 30s, 2);
    std::atomic<int> granted{0};
    std::atomic<std::uint32_t> peak{0};
    auto worker = [&](unsigned index) {
        asio::io_context context{1};
        for (int i = 0; i < 200; ++i) {
            asio::co_spawn(context, [&, index]() -> awaitable<void> {
                TriedSet none;
                auto r = co_await select(*pool, Affinity{}, none, index);
                if (r.status != AcquireStatus::granted) co_return;
                const auto now = r.server->active.load();
                std::uint32_t p = peak.load();
                while (now > p && !peak.compare_exchange_weak(p, now)) {}
                ++granted;
                const auto executor = co_await asio::this_coro::executor;
                asio::steady_timer t(executor, std::chrono::microseconds(200));
                co_await t.async_wait(use_awaitable);
                pool->release(r.server);
            }, asio::detached);
        }
        context.run();
    };
    std::thread t1(worker, 0), t2(worker, 1);
    t1.join();
    t2.join();
    EXPECT_EQ(granted.load(), 400);
    EXPECT_LE(peak.load(), 1u);
    EXPECT_EQ(pool->servers()[0]->active.load() + pool->servers()[1]->active.load(), 0u);
}

}  // namespace
}  // namespace gisgate::balance
