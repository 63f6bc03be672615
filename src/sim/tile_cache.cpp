#include "sim/tile_cache.hpp"

namespace gisgate::sim {

std::shared_ptr<const std::string> TileCache::find(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end())
        return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
}

void TileCache::insert(const std::string& key, std::shared_ptr<const std::string> tile) {
    std::lock_guard lock(mutex_);
    if (index_.count(key) || tile->size() > max_bytes_)
        return;  // rendered twice at once: the first copy stays
    bytes_ += tile->size();
    lru_.emplace_front(key, std::move(tile));
    index_[key] = lru_.begin();
    while (bytes_ > max_bytes_) {
        bytes_ -= lru_.back().second->size();
        index_.erase(lru_.back().first);
        lru_.pop_back();
    }
}

std::size_t TileCache::bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
}

std::size_t TileCache::size() const {
    std::lock_guard lock(mutex_);
    return lru_.size();
}

}  // namespace gisgate::sim
