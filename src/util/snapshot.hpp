// Snapshot<T>: an immutable value that one thread publishes and any thread reads, the one way gisgate hands
// shared state (the discovery service map, and any later control-plane state) to worker threads.
//
// Why not std::atomic<std::shared_ptr<T>>: libstdc++ 12 (Debian 12's GCC) implements it with a lock bit
// hidden in the control-block pointer and raw atomic waits, which ThreadSanitizer does not model; its
// store() against load() is reported as a data race at random (it failed CI runs). The deprecated
// std::atomic_load/atomic_store free functions take a hashed global mutex on every read.
//
// Here a mutex guards the pointer but readers almost never take it: each thread keeps its own copy of the
// last pointer it read together with that value's version, and a read is one acquire load of the version.
// Only when the version changed does the reader lock, once, to copy the new pointer. Versions come from one
// process-wide counter, so a version names one published value across every Snapshot instance and a
// thread's cached copy can never be mistaken for another instance's value.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

namespace gisgate::util {

template <class T>
class Snapshot {
public:
    explicit Snapshot(std::shared_ptr<const T> initial = std::make_shared<const T>()) {
        publish(std::move(initial));
    }
    Snapshot(const Snapshot&) = delete;
    Snapshot& operator=(const Snapshot&) = delete;

    // Any thread. Readers see `next` from their next load() on.
    void publish(std::shared_ptr<const T> next) {
        std::shared_ptr<const T> old;
        {
            std::lock_guard lock(mutex_);
            old = std::exchange(value_, std::move(next));
            version_.store(next_version(), std::memory_order_release);
        }
        // `old` is released outside the lock: its destructor may be long (a large map).
    }

    // Any thread. Lock-free unless a new value was published since this thread's last read.
    std::shared_ptr<const T> load() const {
        thread_local Cached cached;
        const std::uint64_t version = version_.load(std::memory_order_acquire);
        if (cached.version != version) {
            std::lock_guard lock(mutex_);
            cached.value = value_;
            cached.version = version_.load(std::memory_order_relaxed);
        }
        return cached.value;
    }

private:
    struct Cached {
        std::uint64_t version = 0;  // 0 is never published
        std::shared_ptr<const T> value;
    };

    static std::uint64_t next_version() {
        static std::atomic<std::uint64_t> counter{0};
        return counter.fetch_add(1, std::memory_order_relaxed) + 1;
    }

    mutable std::mutex mutex_;
    std::shared_ptr<const T> value_;           // guarded by mutex_
    std::atomic<std::uint64_t> version_{0};    // written under mutex_, read without it
};

}  // namespace gisgate::util
