#include "sim/uploads.hpp"

#include <fmt/format.h>

#include <chrono>

namespace gisgate::sim {

UploadStore::UploadStore() : rng_(std::random_device{}()) {}

UploadedItem UploadStore::add(std::string name, std::string description, std::string service, std::uint64_t size) {
    UploadedItem item{{}, std::move(name), std::move(description), std::move(service), size,
                      std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count()};
    const std::lock_guard lock(mutex_);
    do {
        const std::uint64_t a = rng_(), b = rng_();
        // A version 4 UUID's layout (8-4-4-4-12), as ArcGIS item ids have after their leading 'i'.
        item.id = fmt::format("i{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
                              0x8000 | ((b >> 48) & 0x3fff), b & 0xffffffffffffull);
    } while (items_.count(item.id));
    while (items_.size() >= kMaxItems) {
        items_.erase(order_.front());
        order_.pop_front();
    }
    order_.push_back(item.id);
    items_.emplace(item.id, item);
    return item;
}

std::optional<UploadedItem> UploadStore::find(const std::string& id) const {
    const std::lock_guard lock(mutex_);
    const auto it = items_.find(id);
    if (it == items_.end()) return std::nullopt;
    return it->second;
}

std::size_t UploadStore::size() const {
    const std::lock_guard lock(mutex_);
    return items_.size();
}

}  // namespace gisgate::sim
