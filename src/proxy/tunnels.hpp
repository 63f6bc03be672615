// WebSocket tunnels open at once (`limits.max_tunnels`) and their counters, process-wide and kept across reloads
// (CarryOver), read by /metrics and the status API. Touched when a tunnel opens or closes and as its bytes move
// (relaxed atomics): tunnels are few and long-lived next to requests.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace gisgate::proxy {

class Tunnels;

// One tunnel's place under limits.max_tunnels; gives it back when destroyed. Empty (false) when refused.
class TunnelSlot {
public:
    TunnelSlot() = default;
    TunnelSlot(TunnelSlot&& other) noexcept : tunnels_(std::move(other.tunnels_)) {}
    TunnelSlot& operator=(TunnelSlot&& other) noexcept;
    ~TunnelSlot() { release(); }
    explicit operator bool() const { return tunnels_ != nullptr; }
    void release();

private:
    friend class Tunnels;
    std::shared_ptr<Tunnels> tunnels_;
};

class Tunnels : public std::enable_shared_from_this<Tunnels> {
public:
    // A place for one more tunnel, or an empty slot when `max` (0 = no limit) are open already.
    TunnelSlot reserve(std::uint32_t max);
    // A reserved tunnel was established (the server accepted the upgrade).
    void opened() { opened_.fetch_add(1, std::memory_order_relaxed); }

    std::uint64_t open() const { return open_.load(std::memory_order_relaxed); }
    std::uint64_t opened_total() const { return opened_.load(std::memory_order_relaxed); }
    std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }
    std::atomic<std::uint64_t> bytes_to_client{0};
    std::atomic<std::uint64_t> bytes_to_server{0};

private:
    friend class TunnelSlot;
    std::atomic<std::uint64_t> open_{0};  // reserved: established or being established
    std::atomic<std::uint64_t> opened_{0};
    std::atomic<std::uint64_t> refused_{0};
};

}  // namespace gisgate::proxy
