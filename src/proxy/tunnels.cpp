#include "proxy/tunnels.hpp"

namespace gisgate::proxy {

TunnelSlot& TunnelSlot::operator=(TunnelSlot&& other) noexcept {
    if (this != &other) {
        release();
        tunnels_ = std::move(other.tunnels_);
    }
    return *this;
}

void TunnelSlot::release() {
    if (tunnels_) tunnels_->open_.fetch_sub(1, std::memory_order_relaxed);
    tunnels_.reset();
}

TunnelSlot Tunnels::reserve(std::uint32_t max) {
    TunnelSlot slot;
    std::uint64_t current = open_.load(std::memory_order_relaxed);
    do {
        if (max != 0 && current >= max) {
            refused_.fetch_add(1, std::memory_order_relaxed);
            return slot;
        }
    } while (!open_.compare_exchange_weak(current, current + 1, std::memory_order_relaxed));
    slot.tunnels_ = shared_from_this();
    return slot;
}

}  // namespace gisgate::proxy
