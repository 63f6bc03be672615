// Per-worker request statistics: what each worker records at the end of every request, without sharing or
// locking anything with other workers, and what the control thread reads (and merges across workers) at any
// time.
//
// A StatsTable maps a key — a GIS service (kind, folder, service, type) or a pool/server pair — to a slot of
// TrafficCounters. The worker finds slots through a private open-addressing index hashed on the key's views
// (ASCII case-insensitive: ArcGIS names are), so a request for a known key allocates nothing. A new key
// allocates its slot once and publishes it on a singly linked list (release store) that readers walk with
// acquire loads; slots are never removed or moved, so a reader never sees a half-built one.
//
// The number of tracked services is bounded across all workers by a ServiceRegistry, consulted (under its
// mutex) only the first time a worker sees a service: services beyond `max_services` are counted as "_other".
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "metrics/traffic.hpp"

namespace gisgate::metrics {

// The same values, in the same order, as gis::TrafficKind.
enum class Kind : std::uint8_t { service, portal, admin, other };
const char* to_string(Kind kind);

// The name a service row is shown under: "folder/name", "name", or "portal", "admin", "other", "_other".
inline constexpr std::string_view kOtherServices = "_other";

struct StatsKey {
    Kind kind = Kind::other;
    std::string a;  // services: folder ("" for a root service or another kind); servers: pool
    std::string b;  // services: service name (or the kind's name); servers: server ("" when gisgate answered)
    std::string c;  // services: type ("" when none)
    // "folder/name" or "name" (services); "pool/server" (servers).
    std::string joined() const { return a.empty() ? b : a + "/" + b; }
};

class StatsSlot {
public:
    StatsSlot(StatsKey k) : key(std::move(k)) {}
    const StatsKey key;         // immutable once published
    TrafficCounters counters;   // written by the owning worker only
    const StatsSlot* next() const noexcept { return next_.load(std::memory_order_acquire); }

private:
    friend class StatsTable;
    std::atomic<StatsSlot*> next_{nullptr};
};

class StatsTable {
public:
    StatsTable() = default;
    StatsTable(const StatsTable&) = delete;
    StatsTable& operator=(const StatsTable&) = delete;

    // Owning worker only.
    StatsSlot* find(Kind kind, std::string_view a, std::string_view b, std::string_view c) const noexcept;
    // A new slot for a key find() did not know, published to readers.
    StatsSlot* add(Kind kind, std::string_view a, std::string_view b, std::string_view c);
    // Makes find() return `target` for this key too (a service counted as "_other"), without a slot of its own.
    void alias(Kind kind, std::string_view a, std::string_view b, std::string_view c, StatsSlot* target);
    std::size_t aliases() const noexcept { return aliases_; }

    // Any thread: the first slot (then StatsSlot::next()); nullptr while empty.
    const StatsSlot* first() const noexcept { return head_.load(std::memory_order_acquire); }
    template <class F>
    void for_each(F&& f) const {
        for (const StatsSlot* s = first(); s; s = s->next()) f(*s);
    }

private:
    struct IndexEntry {
        std::uint64_t hash = 0;
        StatsKey key;
        StatsSlot* slot = nullptr;  // nullptr: free entry
    };
    void insert(IndexEntry entry);

    std::vector<IndexEntry> index_;  // power-of-two size, at most half full
    std::size_t used_ = 0;
    std::size_t aliases_ = 0;
    std::vector<std::unique_ptr<StatsSlot>> owned_;
    std::atomic<StatsSlot*> head_{nullptr};
    StatsSlot* tail_ = nullptr;
};

// Which services get a row of their own, across all workers: the first `max_services` seen.
class ServiceRegistry {
public:
    explicit ServiceRegistry(std::uint32_t max_services) : max_(max_services) {}
    // Control thread (reload). A lower limit keeps the services already admitted.
    void set_max_services(std::uint32_t max_services);
    // Any thread; called by a worker the first time it sees a service. True when the service is (now) tracked.
    bool admit(std::string_view folder, std::string_view service, std::string_view type);
    std::size_t admitted() const;

private:
    mutable std::mutex mutex_;
    std::unordered_set<std::string> keys_;  // lower-cased "folder/service/type"
    std::uint32_t max_;
};

// What the worker knows at the end of a request.
struct RequestRecord {
    Kind kind = Kind::other;
    std::string_view folder;   // views from gis::Classification
    std::string_view service;
    std::string_view type;
    std::string_view pool;     // "" when the request had no pool (no route, refused before routing)
    std::string_view server;   // "" when no server answered (gisgate answered itself)
    int status = 0;            // the status sent to the client (499: the client went away)
    std::uint64_t micros = 0;  // from the first byte of the request head to the end of the response
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint32_t retries = 0; // further servers tried after a failed attempt
    std::string_view op_class; // "interactive", "other" or "heavy" when the request had a pool (balance classes)
};

class WorkerStats {
public:
    // A worker remembers at most this many services refused by the registry (counted as "_other" without
    // asking again); beyond it, unknown services go to "_other" directly.
    static constexpr std::size_t kMaxRefusedRemembered = 4096;

    explicit WorkerStats(ServiceRegistry& registry) : registry_(registry) {}

    // Worker thread only. Allocates only when a key is seen for the first time. Returns the service's slot
    // (slots live as long as these stats), e.g. to count a WebSocket tunnel's open and close on it.
    StatsSlot* record(const RequestRecord& r);

    const StatsTable& services() const noexcept { return services_; }  // any thread
    const StatsTable& servers() const noexcept { return servers_; }    // any thread
    const StatsTable& classes() const noexcept { return classes_; }    // any thread: pool × operation class

private:
    StatsSlot* service_slot(const RequestRecord& r);

    ServiceRegistry& registry_;
    StatsTable services_;
    StatsTable servers_;
    StatsTable classes_;
    StatsSlot* other_services_ = nullptr;
};

}  // namespace gisgate::metrics
