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

    struct Deleter {
        BufferPool* pool;
        void operator()(char* block) const { pool->release(block); }
    };
    using Block = std::unique_ptr<char[], Deleter>;

    explicit BufferPool(std::size_t max_cached = 256) : max_cached_(max_cached) {}
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
        }
        return Block(b, Deleter{this});
    }

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
};

}  // namespace gisgate::net
