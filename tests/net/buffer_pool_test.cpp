// BufferPool: blocks are recycled (a request costs no allocation), and trim() gives back only what sat unused
// for a whole period, keeping kKeep, so a burst's blocks do not stay with an idle worker.
#include <gtest/gtest.h>

#include <vector>

#include "net/buffer_pool.hpp"

namespace gisgate::net {
namespace {

TEST(BufferPool, RecyclesBlocks) {
    BufferPool pool;
    char* first = nullptr;
    {
        auto block = pool.acquire();
        first = block.get();
    }
    EXPECT_EQ(pool.cached(), 1u);
    const auto again = pool.acquire();
    EXPECT_EQ(again.get(), first);
    EXPECT_EQ(pool.cached(), 0u);
}

TEST(BufferPool, TrimFreesOnlyWhatAWholePeriodDidNotNeed) {
    BufferPool pool;
    {
        std::vector<BufferPool::Block> burst;
        for (int i = 0; i < 100; ++i) burst.push_back(pool.acquire());
    }
    ASSERT_EQ(pool.cached(), 100u);
    // The burst's own period drew the free list down to nothing: nothing is surplus yet.
    EXPECT_EQ(pool.trim(), 0u);
    EXPECT_EQ(pool.cached(), 100u);
    // A period in which ten blocks were in use at most: 90 sat unused throughout; kKeep of them stay.
    {
        std::vector<BufferPool::Block> busy;
        for (int i = 0; i < 10; ++i) busy.push_back(pool.acquire());
    }
    EXPECT_EQ(pool.trim(), 90u - BufferPool::kKeep);
    EXPECT_EQ(pool.cached(), 100u - (90u - BufferPool::kKeep));
    // A quiet period: everything beyond kKeep goes.
    pool.trim();
    EXPECT_EQ(pool.cached(), BufferPool::kKeep);
    EXPECT_EQ(pool.trim(), 0u);
    EXPECT_EQ(pool.cached(), BufferPool::kKeep);
}

TEST(BufferPool, KeepsTheRecentlyUsedBlocks) {
    BufferPool pool;
    std::vector<char*> order;
    {
        std::vector<BufferPool::Block> burst;
        for (int i = 0; i < 40; ++i) burst.push_back(pool.acquire());
        for (auto& b : burst) {
            order.push_back(b.get());
            b.reset();  // released in order: the last one ends on top
        }
    }
    pool.trim();
    pool.trim();  // a quiet period: 40 - kKeep freed from the bottom
    ASSERT_EQ(pool.cached(), BufferPool::kKeep);
    // The top of the stack is still the last block released.
    const auto top = pool.acquire();
    EXPECT_EQ(top.get(), order.back());
}

TEST(BufferPool, ReleasesBeyondItsCapToTheAllocator) {
    BufferPool pool(4);
    {
        std::vector<BufferPool::Block> burst;
        for (int i = 0; i < 10; ++i) burst.push_back(pool.acquire());
    }
    EXPECT_EQ(pool.cached(), 4u);
}

}  // namespace
}  // namespace gisgate::net
