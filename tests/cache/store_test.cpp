#include "cache/store.hpp"

#include <gtest/gtest.h>

namespace gisgate::cache {
namespace {

std::shared_ptr<Entry> entry(const std::string& key, std::size_t body_bytes) {
    auto e = std::make_shared<Entry>();
    e->key = key;
    e->reason = "OK";
    e->body.assign(body_bytes, 'x');
    e->fresh_until = 100;
    return e;
}

TEST(CacheStore, FindsWhatWasInsertedAndReplacesSameKey) {
    Store store(1 << 20, 1 << 16);
    EXPECT_EQ(store.find("/a"), nullptr);
    ASSERT_TRUE(store.insert(entry("/a", 10)));
    ASSERT_NE(store.find("/a"), nullptr);
    EXPECT_EQ(store.find("/a")->body.size(), 10u);
    ASSERT_TRUE(store.insert(entry("/a", 20)));
    EXPECT_EQ(store.find("/a")->body.size(), 20u);
    EXPECT_EQ(store.stats().entries.load(), 1u);
}

TEST(CacheStore, EvictsLeastRecentlyUsedToStayWithinMemory) {
    const std::size_t one = entry("/0", 1000)->charge();
    Store store(one * 3, one * 2);
    store.insert(entry("/0", 1000));
    store.insert(entry("/1", 1000));
    store.insert(entry("/2", 1000));
    ASSERT_NE(store.find("/0"), nullptr);  // /0 is now the most recently used; /1 the least
    store.insert(entry("/3", 1000));
    EXPECT_EQ(store.find("/1"), nullptr);
    EXPECT_NE(store.find("/0"), nullptr);
    EXPECT_NE(store.find("/2"), nullptr);
    EXPECT_NE(store.find("/3"), nullptr);
    EXPECT_LE(store.stats().bytes.load(), one * 3);
    EXPECT_EQ(store.stats().evictions.load(), 1u);
}

TEST(CacheStore, RefusesObjectsLargerThanMaxObjectAndDropsTheOldVersion) {
    Store store(1 << 20, 4096);
    ASSERT_TRUE(store.insert(entry("/big", 100)));
    EXPECT_FALSE(store.insert(entry("/big", 8192)));
    EXPECT_EQ(store.find("/big"), nullptr);
}

TEST(CacheStore, AnEvictedEntryStaysValidForWhoeverIsSendingIt) {
    const std::size_t one = entry("/0", 1000)->charge();
    Store store(one, one);
    store.insert(entry("/0", 1000));
    const auto held = store.find("/0");
    store.insert(entry("/1", 1000));
    EXPECT_EQ(store.find("/0"), nullptr);
    EXPECT_EQ(held->body.size(), 1000u);
}

TEST(CacheStore, PurgeByPrefixIsCaseInsensitive) {
    Store store(1 << 20, 1 << 16);
    store.insert(entry("/arcgis/rest/services/World/MapServer/tile/0/0/0", 1));
    store.insert(entry("/arcgis/rest/services/World/MapServer/tile/1/0/0", 1));
    store.insert(entry("/arcgis/rest/services/Streets/MapServer/tile/0/0/0", 1));
    EXPECT_EQ(store.purge_prefix("/ARCGIS/rest/services/world/"), 2u);
    EXPECT_EQ(store.stats().entries.load(), 1u);
    EXPECT_EQ(store.purge_prefix(""), 1u);
    EXPECT_EQ(store.stats().bytes.load(), 0u);
}

TEST(CacheStore, RefreshMakesAStaleEntryFreshAgain) {
    Store store(1 << 20, 1 << 16);
    store.insert(entry("/t", 1));
    store.refresh("/t", 500, 900);
    EXPECT_EQ(store.find("/t")->fresh_until, 900);
    EXPECT_EQ(store.find("/t")->stored_at, 500);
}

TEST(CacheStore, SmallerLimitsApplyAtTheNextInsert) {
    const std::size_t one = entry("/0", 1000)->charge();
    Store store(one * 4, one);
    for (int i = 0; i < 4; ++i) store.insert(entry("/" + std::to_string(i), 1000));
    store.set_limits(one * 2, one);
    store.insert(entry("/4", 1000));
    EXPECT_EQ(store.stats().entries.load(), 2u);
    EXPECT_NE(store.find("/4"), nullptr);
}

TEST(CacheStore, OnlyOneFetcherPerKeyAndWaitersWakeWhenItEnds) {
    asio::io_context io;
    Store store(1 << 20, 1 << 16);
    EXPECT_TRUE(store.begin_fetch("/t"));
    EXPECT_FALSE(store.begin_fetch("/t"));
    EXPECT_TRUE(store.begin_fetch("/other"));
    int woken = 0;
    for (int i = 0; i < 3; ++i)
        asio::co_spawn(io, [&]() -> awaitable<void> {
            co_await store.wait_for_fetch("/t", std::chrono::hours(1));
            ++woken;
        }, asio::detached);
    io.poll();  // the waiters are now waiting
    EXPECT_EQ(woken, 0);
    store.insert(entry("/t", 1));
    store.end_fetch("/t");
    io.run_for(std::chrono::seconds(5));
    EXPECT_EQ(woken, 3);
    EXPECT_TRUE(store.begin_fetch("/t")) << "the key can be fetched again";
}

TEST(CacheStore, AWaiterGivesUpAfterItsTimeout) {
    asio::io_context io;
    Store store(1 << 20, 1 << 16);
    ASSERT_TRUE(store.begin_fetch("/t"));
    bool done = false;
    asio::co_spawn(io, [&]() -> awaitable<void> {
        co_await store.wait_for_fetch("/t", std::chrono::milliseconds(20));
        done = true;
    }, asio::detached);
    io.run_for(std::chrono::seconds(10));
    EXPECT_TRUE(done);
    store.end_fetch("/t");  // no dangling waiter left behind
}

}  // namespace
}  // namespace gisgate::cache
