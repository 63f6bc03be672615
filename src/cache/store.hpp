// One worker's part of a pool's response cache: an LRU of complete responses bounded in bytes, plus the
// bookkeeping for request coalescing (one server fetch for concurrent misses of the same key).
//
// Each worker owns its own Store (a pool's `memory` split evenly), touched only by that worker's thread, so a
// lookup takes no lock. The price is that a tile may be fetched once per worker; for a CPU-bound GIS site that
// is a handful of requests per tile, against a lock on every request of every worker otherwise. Counters are
// relaxed atomics so the control thread can read them for /metrics. The worker owns its stores
// (proxy/worker_caches.hpp), so they outlive reloads without being carried from one runtime to the next.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/asio.hpp"

namespace gisgate::cache {

struct Entry {
    std::string key;
    int status = 200;
    std::string reason;
    std::string headers;       // end-to-end header lines ("Name: value\r\n"), without framing, Age and hop-by-hop
    std::string body;          // the whole body, de-chunked
    std::string etag;
    std::string last_modified;
    std::int64_t stored_at = 0;    // Unix seconds when the response was received (or last revalidated)
    std::int64_t fresh_until = 0;  // Unix seconds; at or after it the entry must be revalidated
    std::size_t charge() const {   // what the entry counts against the memory bound
        return sizeof(Entry) + key.size() + reason.size() + headers.size() + body.size() + etag.size() +
               last_modified.size() + 64;
    }
};

struct StoreStats {
    std::atomic<std::uint64_t> hits{0};
    std::atomic<std::uint64_t> misses{0};
    std::atomic<std::uint64_t> revalidated{0};  // stale entries the server confirmed with 304
    std::atomic<std::uint64_t> coalesced{0};    // misses that waited for another request's fetch
    std::atomic<std::uint64_t> stored{0};
    std::atomic<std::uint64_t> evictions{0};
    std::atomic<std::uint64_t> purged{0};
    std::atomic<std::uint64_t> entries{0};
    std::atomic<std::uint64_t> bytes{0};
};

class Store {
public:
    Store(std::uint64_t capacity, std::uint64_t max_object) : capacity_(capacity), max_object_(max_object) {}
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // The entry for `key` (fresh or not; the caller checks fresh_until), most recently used from now on.
    std::shared_ptr<const Entry> find(std::string_view key);
    // Keeps `entry` (replacing one with the same key) unless it is larger than max_object; evicts the least
    // recently used entries beyond the capacity. False when the entry was too large to keep.
    bool insert(std::shared_ptr<Entry> entry);
    // A stale entry confirmed by a 304: fresh again until `fresh_until`. False when `key` is not stored.
    bool refresh(std::string_view key, std::int64_t stored_at, std::int64_t fresh_until);
    void erase(std::string_view key);
    // Removes entries whose key starts with `prefix` (case-insensitive, like ArcGIS paths); returns how many.
    std::size_t purge_prefix(std::string_view prefix);

    // Any thread (a reload): new limits, applied by the owning worker at its next insert.
    void set_limits(std::uint64_t capacity, std::uint64_t max_object) {
        capacity_.store(capacity, std::memory_order_relaxed);
        max_object_.store(max_object, std::memory_order_relaxed);
    }
    std::uint64_t max_object() const { return max_object_.load(std::memory_order_relaxed); }

    // Coalescing. begin_fetch: true when nobody is fetching `key` yet (the caller fetches and must call
    // end_fetch); false when another request is, and the caller may wait_for_fetch.
    bool begin_fetch(std::string_view key);
    void end_fetch(std::string_view key);
    // Waits until the fetch of `key` ends or `timeout` passes (then the caller goes to the server itself).
    awaitable<void> wait_for_fetch(std::string_view key, std::chrono::milliseconds timeout);

    StoreStats& stats() { return *stats_; }
    const StoreStats& stats() const { return *stats_; }
    // The counters, for a reader on another thread that may outlive the store (the control thread's /metrics).
    std::shared_ptr<const StoreStats> shared_stats() const { return stats_; }

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    struct Eq {
        using is_transparent = void;
        bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
    };
    using Lru = std::list<std::shared_ptr<Entry>>;
    void evict_to(std::uint64_t limit);
    void remove(Lru::iterator it);

    std::atomic<std::uint64_t> capacity_;
    std::atomic<std::uint64_t> max_object_;
    std::uint64_t used_ = 0;
    Lru lru_;  // front = most recently used
    std::unordered_map<std::string, Lru::iterator, Hash, Eq> index_;
    std::unordered_map<std::string, std::vector<asio::steady_timer*>, Hash, Eq> fetching_;
    std::shared_ptr<StoreStats> stats_ = std::make_shared<StoreStats>();
};

}  // namespace gisgate::cache
