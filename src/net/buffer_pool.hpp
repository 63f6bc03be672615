// Fixed-size I/O blocks recycled per worker, so a request costs no allocation for its buffers and an idle
// keep-alive connection holds no buffer at all (it waits for readability first, then takes a block).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace gisgate::net {

class BufferPool {
public:
    static constexpr std::size_t kBlockSize = 64 * 1024;
    // Blocks kept through any quiet period: a few requests' worth, ready at once.
    static constexpr std::size_t kKeep = 16;

    struct Deleter {
        BufferPool* pool;
        void operator()(char* block) const { pool->release(block); }
    };
    using Block = std::unique_ptr<char[], Deleter>;

    // `max_cached`: enough for an HTTP/2 burst (160 streams of h2load -c16 -m10 hold two blocks each), so a
    // busy worker does not free and allocate blocks on every request; trim() gives back what a burst left.
    explicit BufferPool(std::size_t max_cached = 1024) : max_cached_(max_cached) {}
    ~BufferPool() {
        for (char* b : free_) delete[] b;
    }
    BufferPool(const BufferPool&) = delete;
    BufferPool& operator=(const BufferPool&) = delete;

    Block acquire() {
        char* b;
        if (free_.empty()) {
            b = new char[kBlockSize];
        } else {
            b = free_.back();
            free_.pop_back();
            if (free_.size() < low_water_) low_water_ = free_.size();
        }
        return Block(b, Deleter{this});
    }

    // Frees the cached blocks that no acquire() needed since the previous call (the free list's low-water mark
    // over the period), keeping kKeep: after a burst, an idle worker does not keep the burst's blocks resident
    // for good (an idle keep-alive connection holds no block; the pool would). The blocks freed are the least
    // recently used (the bottom of the stack). Call periodically (EventLoop: every kTrimEvery sweeps). Returns
    // how many it freed.
    std::size_t trim() {
        const std::size_t surplus = low_water_ > kKeep ? low_water_ - kKeep : 0;
        for (std::size_t i = 0; i < surplus; ++i) delete[] free_[i];
        free_.erase(free_.begin(), free_.begin() + static_cast<std::ptrdiff_t>(surplus));
        low_water_ = free_.size();
        return surplus;
    }
    std::size_t cached() const { return free_.size(); }

private:
    void release(char* block) {
        if (free_.size() < max_cached_) {
            free_.push_back(block);
        } else {
            delete[] block;
        }
    }
    std::vector<char*> free_;
    std::size_t max_cached_;
    std::size_t low_water_ = 0;  // the fewest blocks free_ held since the last trim()
};

}  // namespace gisgate::net
