// Runtime of one pool: its servers, one balancing algorithm per worker, and the throttle — at most
// `max_active_per_server` requests in flight per server, the rest waiting FIFO in the pool's queue.
//
// Hot path (a server has capacity): one relaxed load per candidate and one CAS on the chosen server's counter;
// no lock. The queue's mutex is taken only when every server is at its limit, which is exactly when the
// backends are the bottleneck and a lock is not.
#pragma once

#include <array>
#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "balance/algorithm.hpp"
#include "balance/server.hpp"
#include "config/config.hpp"
#include "net/asio.hpp"

namespace gisgate::net {
class TlsClient;
}

namespace gisgate::balance {

// Servers one request has already failed on (retries go elsewhere). Small and allocation-free.
class TriedSet {
public:
    void add(std::uint32_t id) {
        if (count_ < ids_.size()) ids_[count_++] = id;
    }
    bool contains(std::uint32_t id) const {
        for (std::size_t i = 0; i < count_; ++i)
            if (ids_[i] == id) return true;
        return false;
    }
    std::size_t size() const { return count_; }

private:
    std::array<std::uint32_t, 8> ids_{};
    std::size_t count_ = 0;
};

class CurrentWeights;

enum class AcquireStatus : std::uint8_t { granted, no_server, queue_full, queue_timeout };
using Class = config::OperationClass;

class PoolRuntime;

// The waiting room of a pool. Shared by every PoolRuntime built for the same pool name across reloads, so a
// slot released by a request that started on the old runtime still wakes a request queued on the new one.
struct WaitQueue {
    struct Waiter {
        explicit Waiter(const asio::any_io_executor& ex) : timer(ex) {}
        asio::steady_timer timer;
        config::OperationClass cls = config::OperationClass::other;
        TriedSet tried;
        const PoolRuntime* pool = nullptr;  // the runtime the waiter acquires from (its servers are alive)
        const ServerRuntime* only = nullptr; // waits for this server only (job affinity, stickiness)
        ServerRuntime* granted = nullptr;   // set under `mutex` by release()
    };
    std::mutex mutex;
    // One FIFO per operation class, served by weighted priority: the class whose next grant finishes first
    // (pass + 1/weight) goes next, and a grant moves its class's pass there.
    std::array<std::deque<std::shared_ptr<Waiter>>, config::kOperationClasses> waiters;
    std::array<double, config::kOperationClasses> pass{};  // under `mutex`
    std::atomic<std::uint32_t> size{0};
    std::atomic<std::uint64_t> rejections{0};
    // Per class: waiting now, and refused (queue full or timed out).
    std::array<std::atomic<std::uint32_t>, config::kOperationClasses> class_size{};
    std::array<std::atomic<std::uint64_t>, config::kOperationClasses> class_rejections{};
};

struct AcquireResult {
    AcquireStatus status = AcquireStatus::no_server;
    ServerRuntime* server = nullptr;  // when granted: holds one slot; give it back with release()
};

class PoolRuntime {
public:
    // `queue`: the previous runtime's queue for this pool (reload), or nullptr for a new one.
    PoolRuntime(config::PoolConfig config, std::vector<std::shared_ptr<ServerRuntime>> servers, unsigned workers,
                std::shared_ptr<WaitQueue> queue = nullptr);

    const config::PoolConfig& config() const { return config_; }
    const std::string& name() const { return config_.name; }
    std::span<const std::shared_ptr<ServerRuntime>> servers() const { return servers_; }
    ServerRuntime* find_server(std::string_view name) const;

    // The building blocks of balance::select() (select.hpp), which is what requests call.
    // Picks a server for a request on `worker` and takes a slot on it: granted, no_server, or queue_full
    // meaning "all busy".
    // A slot is one of max_active_per_server, and one of the request's class's share of them (class_limits).
    AcquireResult try_acquire(unsigned worker, const TriedSet& tried, Class cls = Class::other);
    // A slot on this one server if it has one free (and counts the request on it).
    bool try_take(ServerRuntime* server, Class cls = Class::other);
    // Waits in the pool's queue (FIFO within `cls`, classes by weighted priority) for a slot on `only`, or on
    // any server not in `tried` when `only` is null.
    awaitable<AcquireResult> wait_in_queue(const TriedSet& tried, ServerRuntime* only, unsigned worker,
                                           Class cls = Class::other);
    // Gives a slot back; hands it straight to the next queued request that may use this server.
    void release(ServerRuntime* server, Class cls = Class::other);
    // Slots a class may hold on one server of a pool with a fixed max_active_per_server (0: no limit of its own,
    // or the pool's limit is auto: see the overload).
    std::uint32_t class_limit(Class cls) const { return class_limit_[static_cast<std::size_t>(cls)]; }
    // Slots a class may hold on `server` now (0: no limit of its own): its share of the server's limit, which
    // with `auto` is the one found for that server.
    std::uint32_t class_limit(Class cls, const ServerRuntime& server) const {
        return auto_limit_ ? share_of(cls, server_limit(server)) : class_limit(cls);
    }
    // The class's share of a server's limit in percent (100: no limit of its own).
    double class_percent(Class cls) const;
    // A server's max_active_per_server before slow start: the pool's number, or the one found for it (auto).
    std::uint32_t server_limit(const ServerRuntime& server) const {
        if (!auto_limit_) return config_.max_active_per_server;
        const std::uint32_t found = server.adaptive_counters.limit.load(std::memory_order_relaxed);
        return found != 0 ? found : config_.auto_limit.min;
    }
    // ... and whether a share binds now: always (the default, `classes.limits: always`), or with
    // `limits: while_mixed` only while requests of another class came to this pool within kShareWindowMs, so a
    // pool that only ever gets heavy work (a dedicated geoprocessing cluster) keeps all of its slots for it.
    static constexpr std::int64_t kShareWindowMs = 30'000;
    bool share_binds(Class cls) const;
    std::uint32_t binding_limit(Class cls, const ServerRuntime& server) const {
        return share_binds(cls) ? class_limit(cls, server) : 0;
    }
    // The clock (milliseconds, monotonic) the share's window is measured with; tests set their own.
    using MsClock = std::int64_t (*)();
    void set_clock_for_test(MsClock clock) { clock_ = clock; }
    // How long a request of `cls` may wait in the queue.
    config::Duration queue_timeout(Class cls) const;

    std::uint32_t queued() const { return queue_->size.load(std::memory_order_relaxed); }
    std::uint64_t queue_rejections() const { return queue_->rejections.load(std::memory_order_relaxed); }
    const std::shared_ptr<WaitQueue>& wait_queue() const { return queue_; }
    bool has_server(const ServerRuntime* server) const;

    // The servers speak TLS: how to connect to them (null = plain TCP). Set while the runtime is built.
    const std::shared_ptr<const net::TlsClient>& tls() const { return tls_; }
    void set_tls(std::shared_ptr<const net::TlsClient> tls) { tls_ = std::move(tls); }

private:

    bool take_slot(ServerRuntime* server, Class cls);
    bool has_room(ServerRuntime* server, Class cls, CurrentWeights& current) const;
    // Usable servers not yet tried: primaries if any is usable, else backups.
    void collect_candidates(const TriedSet& tried, std::vector<ServerRuntime*>& out) const;
    // `released`: the class of a slot being given back and still held (it passes on to the waiter), or null
    // when a free slot is to be taken for the waiter.
    bool hand_to_waiter_locked(ServerRuntime* server, const Class* released);
    void dequeue_locked(std::deque<std::shared_ptr<WaitQueue::Waiter>>& fifo,
                        std::deque<std::shared_ptr<WaitQueue::Waiter>>::iterator it, Class cls);

    // Slots of `limit` a class may hold: rounded up and at least one (50 % of 1 still lets a heavy request run,
    // alone); 0 when the class has no share of its own or there is no limit.
    std::uint32_t share_of(Class cls, std::uint32_t limit) const;

    config::PoolConfig config_;
    bool auto_limit_ = false;  // config_.auto_limit.enabled, read on every slot
    std::vector<std::shared_ptr<ServerRuntime>> servers_;
    std::vector<std::unique_ptr<Algorithm>> algorithms_;  // one per worker

    std::shared_ptr<WaitQueue> queue_;
    std::shared_ptr<const net::TlsClient> tls_;
    std::array<std::uint32_t, config::kOperationClasses> class_limit_{};
    bool has_class_limits_ = false;
    // When a request of each class last asked this pool for a slot (ms of clock_; written at most once a second
    // per class, so the request path mostly only reads it).
    mutable std::array<std::atomic<std::int64_t>, config::kOperationClasses> class_seen_ms_{};
    MsClock clock_ = nullptr;  // null: CLOCK_MONOTONIC_COARSE
    void note_class(Class cls) const;
};

}  // namespace gisgate::balance
