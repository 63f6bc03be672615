// Coarse per-worker deadlines for connection timeouts (header, idle, connect, server).
//
// Why not a steady_timer per operation: re-arming an Asio timer on every read and write costs a heap
// insert/remove and an extra completion handler. Here arming is a store into the Deadline; one sweep every
// kTick on each worker fires the expired ones (timeouts are then precise to one tick, which is plenty for
// second-scale limits).
#pragma once

#include <chrono>
#include <cstdint>

namespace gisgate::net {

using Clock = std::chrono::steady_clock;

class DeadlineList;

class Deadline {
public:
    using Callback = void (*)(void* context);

    Deadline(DeadlineList& list, Callback on_expire, void* context);
    ~Deadline();
    Deadline(const Deadline&) = delete;
    Deadline& operator=(const Deadline&) = delete;

    // Arms (or re-arms) the deadline `after` from the worker's coarse now. `kind` is remembered so the owner
    // can tell which limit fired.
    void arm(Clock::duration after, std::uint8_t kind);
    void disarm() { armed_ = false; }
    bool armed() const { return armed_; }
    bool expired() const { return expired_; }
    std::uint8_t kind() const { return kind_; }
    void clear_expired() { expired_ = false; }
    // Fires now (the sweep at its time, or the owner ending a wait early; kind() stays what was armed).
    void expire_now() {
        armed_ = false;
        expired_ = true;
        on_expire_(context_);
    }

private:
    friend class DeadlineList;
    DeadlineList& list_;
    Callback on_expire_;
    void* context_;
    Clock::time_point at_{};
    Deadline* prev_ = nullptr;
    Deadline* next_ = nullptr;
    std::uint8_t kind_ = 0;
    bool armed_ = false;
    bool expired_ = false;
};

class DeadlineList {
public:
    static constexpr std::chrono::milliseconds kTick{100};

    Clock::time_point now() const { return now_; }
    void update_now() { now_ = Clock::now(); }
    // Fires every armed deadline whose time has passed (each fires once per arming).
    void sweep();
    std::size_t size() const { return size_; }

private:
    friend class Deadline;
    void link(Deadline* d);
    void unlink(Deadline* d);
    Deadline* head_ = nullptr;
    Deadline* cursor_ = nullptr;  // next node to visit during a sweep (callbacks may unlink nodes)
    std::size_t size_ = 0;
    Clock::time_point now_ = Clock::now();
};

}  // namespace gisgate::net
