// Rendered tiles of one site, least recently used first out, bounded in bytes: a tile is rendered and
// compressed once (about a millisecond) and then served from memory, so the sim stays cheap as the target of
// tile benchmarks.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace gisgate::sim {

class TileCache {
public:
    explicit TileCache(std::size_t max_bytes = 32u << 20) : max_bytes_(max_bytes) {}

    std::shared_ptr<const std::string> find(const std::string& key);
    void insert(const std::string& key, std::shared_ptr<const std::string> tile);
    std::size_t bytes() const;
    std::size_t size() const;

private:
    using Entry = std::pair<std::string, std::shared_ptr<const std::string>>;
    mutable std::mutex mutex_;
    const std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    std::list<Entry> lru_;  // front = most recently used
    std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace gisgate::sim
