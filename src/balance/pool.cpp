#include "balance/pool.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <limits>

#include "balance/current_weight.hpp"

namespace gisgate::balance {

PoolRuntime::PoolRuntime(config::PoolConfig config, std::vector<std::shared_ptr<ServerRuntime>> servers,
                         unsigned workers, std::shared_ptr<WaitQueue> queue)
    : config_(std::move(config)),
      servers_(std::move(servers)),
      queue_(queue ? std::move(queue) : std::make_shared<WaitQueue>()) {
    auto_limit_ = config_.auto_limit.enabled;
    algorithms_.reserve(workers);
    for (unsigned i = 0; i < workers; ++i) algorithms_.push_back(make_algorithm(config_.balance));
    if (!auto_limit_) {
        for (std::size_t i = 0; i < config::kOperationClasses; ++i)
            class_limit_[i] = share_of(static_cast<Class>(i), config_.max_active_per_server);
    } else {
        // A server new to auto starts at the minimum (where its baseline is measured); one that was tuned keeps
        // its limit within the bounds, which a reload may have changed. The tuner takes over from here.
        for (const auto& s : servers_) {
            const std::uint32_t found = s->adaptive_counters.limit.load();
            s->adaptive_counters.limit.store(
                found == 0 ? config_.auto_limit.min
                           : std::clamp(found, config_.auto_limit.min, config_.auto_limit.max));
        }
    }
    for (std::size_t i = 0; i < config::kOperationClasses; ++i)
        if (class_percent(static_cast<Class>(i)) < 100 && (auto_limit_ || config_.max_active_per_server != 0))
            has_class_limits_ = true;
    // Never seen: far enough in the past that no share binds before the first request of another class.
    for (auto& seen : class_seen_ms_) seen.store(std::numeric_limits<std::int64_t>::min() / 2);
}

namespace {

// A coarse monotonic clock (a few ns, no syscall): the window is 30 s and written at 1 s resolution.
std::int64_t coarse_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

}  // namespace

void PoolRuntime::note_class(Class cls) const {
    // Only `limits: while_mixed` reads these times: the default pays no clock read per request.
    if (!has_class_limits_ || !config_.classes.limits_while_mixed) return;
    std::atomic<std::int64_t>& seen = class_seen_ms_[static_cast<std::size_t>(cls)];
    const std::int64_t now = (clock_ ? clock_ : &coarse_ms)();
    if (now - seen.load(std::memory_order_relaxed) >= 1000) seen.store(now, std::memory_order_relaxed);
}

bool PoolRuntime::share_binds(Class cls) const {
    if (!has_class_limits_ || class_percent(cls) >= 100) return false;
    if (!config_.classes.limits_while_mixed) return true;  // `limits: always` (the default)
    const std::int64_t now = (clock_ ? clock_ : &coarse_ms)();
    for (std::size_t other = 0; other < config::kOperationClasses; ++other)
        if (other != static_cast<std::size_t>(cls) &&
            now - class_seen_ms_[other].load(std::memory_order_relaxed) < kShareWindowMs)
            return true;
    return false;
}

double PoolRuntime::class_percent(Class cls) const {
    return config_.classes.limit_percent[static_cast<std::size_t>(cls)];
}

std::uint32_t PoolRuntime::share_of(Class cls, std::uint32_t limit) const {
    const double share = class_percent(cls);
    if (limit == 0 || share >= 100) return 0;
    const auto slots = static_cast<std::uint32_t>(std::ceil(limit * share / 100.0 - 1e-9));
    return std::max<std::uint32_t>(1, slots);
}

config::Duration PoolRuntime::queue_timeout(Class cls) const {
    const config::Duration own = config_.classes.queue_timeout[static_cast<std::size_t>(cls)];
    return own.count() != 0 ? own : config_.queue.timeout;
}

bool PoolRuntime::has_server(const ServerRuntime* server) const {
    for (const auto& s : servers_)
        if (s.get() == server) return true;
    return false;
}

ServerRuntime* PoolRuntime::find_server(std::string_view name) const {
    for (const auto& s : servers_)
        if (s->name == name) return s.get();
    return nullptr;
}

// The class's counter first, then the server's: each is bounded by its own compare-and-swap, so neither limit is
// ever exceeded, even by requests of several workers racing for the last slot (a loser gives its class slot back).
bool PoolRuntime::take_slot(ServerRuntime* server, Class cls) {
    std::atomic<std::uint32_t>& in_class = server->class_active[static_cast<std::size_t>(cls)];
    if (const std::uint32_t class_limit = binding_limit(cls, *server); class_limit != 0) {
        std::uint32_t current = in_class.load();
        do {
            if (current >= class_limit) return false;
        } while (!in_class.compare_exchange_weak(current, current + 1));
    } else {
        in_class.fetch_add(1);
    }
    const std::uint32_t limit = CurrentWeights().limit(*server, server_limit(*server));  // slow start
    if (limit == 0) {
        server->active.fetch_add(1);
        return true;
    }
    std::uint32_t current = server->active.load();
    while (current < limit) {
        if (server->active.compare_exchange_weak(current, current + 1)) {
            // The auto limit grows only when it is used (adaptive_limit.hpp): say so when this slot filled it.
            if (auto_limit_ && current + 1 >= limit) server->adaptive_counters.mark_saturated();
            return true;
        }
    }
    if (auto_limit_) server->adaptive_counters.mark_saturated();
    in_class.fetch_sub(1);
    return false;
}

bool PoolRuntime::has_room(ServerRuntime* server, Class cls, CurrentWeights& current) const {
    const std::uint32_t limit = current.limit(*server, server_limit(*server));
    if (limit != 0 && server->active.load(std::memory_order_relaxed) >= limit) {
        if (auto_limit_) server->adaptive_counters.mark_saturated();
        return false;
    }
    const std::uint32_t class_limit = binding_limit(cls, *server);
    return class_limit == 0 ||
           server->class_active[static_cast<std::size_t>(cls)].load(std::memory_order_relaxed) < class_limit;
}

void PoolRuntime::collect_candidates(const TriedSet& tried, std::vector<ServerRuntime*>& out) const {
    out.clear();
    for (const auto& s : servers_)
        if (!s->backup && may_serve(*s) && !tried.contains(s->id)) out.push_back(s.get());
    if (!out.empty()) return;
    // Standby servers take traffic only while no primary is up (tried primaries count as up: a retry
    // must not spill onto the standby site while the primary site still serves).
    for (const auto& s : servers_)
        if (!s->backup && may_serve(*s)) return;
    for (const auto& s : servers_)
        if (s->backup && may_serve(*s) && !tried.contains(s->id)) out.push_back(s.get());
}

AcquireResult PoolRuntime::try_acquire(unsigned worker, const TriedSet& tried, Class cls) {
    note_class(cls);
    thread_local std::vector<ServerRuntime*> candidates;
    collect_candidates(tried, candidates);
    if (candidates.empty()) return {AcquireStatus::no_server, nullptr};
    if (config_.limited()) {
        CurrentWeights current;  // a slow-starting server has a part of the limit
        std::erase_if(candidates, [&](ServerRuntime* s) { return !has_room(s, cls, current); });
    }
    Algorithm& algorithm = *algorithms_[worker % algorithms_.size()];
    while (!candidates.empty()) {
        const std::size_t i = algorithm.pick(candidates);
        ServerRuntime* server = candidates[i];
        if (take_slot(server, cls)) {
            server->requests_total.fetch_add(1, std::memory_order_relaxed);
            return {AcquireStatus::granted, server};
        }
        candidates.erase(candidates.begin() + static_cast<std::ptrdiff_t>(i));  // lost a race for its last slot
    }
    return {AcquireStatus::queue_full, nullptr};
}

bool PoolRuntime::try_take(ServerRuntime* server, Class cls) {
    note_class(cls);
    if (!take_slot(server, cls)) return false;
    server->requests_total.fetch_add(1, std::memory_order_relaxed);
    return true;
}

awaitable<AcquireResult> PoolRuntime::wait_in_queue(const TriedSet& tried, ServerRuntime* only, unsigned worker,
                                                    Class cls) {
    // Not inside the make_shared call: GCC 12 mishandles temporaries with destructors in co_await expressions.
    const auto executor = co_await asio::this_coro::executor;
    auto waiter = std::make_shared<WaitQueue::Waiter>(executor);
    waiter->tried = tried;
    waiter->pool = this;
    waiter->only = only;
    waiter->cls = cls;
    const std::size_t c = static_cast<std::size_t>(cls);
    auto& fifo = queue_->waiters[c];
    AcquireResult result;
    {
        std::lock_guard lock(queue_->mutex);
        if (queue_->size.load() >= config_.queue.max) {
            queue_->rejections.fetch_add(1, std::memory_order_relaxed);
            queue_->class_rejections[c].fetch_add(1, std::memory_order_relaxed);
            co_return AcquireResult{AcquireStatus::queue_full, nullptr};
        }
        // A class that starts waiting again joins at the others' pace: its pass catches up with the lowest pass
        // of the classes waiting now, so a long idle spell earns it no burst of grants.
        if (fifo.empty()) {
            for (std::size_t other = 0; other < config::kOperationClasses; ++other)
                if (other != c && !queue_->waiters[other].empty())
                    queue_->pass[c] = std::max(queue_->pass[c], queue_->pass[other]);
        }
        fifo.push_back(waiter);
        queue_->size.fetch_add(1);
        queue_->class_size[c].fetch_add(1);
        // A slot released between the caller's attempt and the push above saw an empty queue; look once more
        // now that releasers can see us (release() decrements, then checks the queue size).
        if (only) {
            if (take_slot(only, cls)) result = {AcquireStatus::granted, only};
        } else {
            result = try_acquire(worker, tried, cls);
        }
        if (result.status == AcquireStatus::granted) {
            fifo.pop_back();
            queue_->size.fetch_sub(1);
            queue_->class_size[c].fetch_sub(1);
            if (only) only->requests_total.fetch_add(1, std::memory_order_relaxed);
            co_return result;
        }
    }

    waiter->timer.expires_after(queue_timeout(cls));
    error_code ec;
    co_await waiter->timer.async_wait(asio::redirect_error(use_awaitable, ec));

    std::lock_guard lock(queue_->mutex);
    if (waiter->granted) {
        waiter->granted->requests_total.fetch_add(1, std::memory_order_relaxed);
        co_return AcquireResult{AcquireStatus::granted, waiter->granted};
    }
    auto it = std::find(fifo.begin(), fifo.end(), waiter);
    if (it != fifo.end()) dequeue_locked(fifo, it, cls);
    queue_->rejections.fetch_add(1, std::memory_order_relaxed);
    queue_->class_rejections[c].fetch_add(1, std::memory_order_relaxed);
    co_return AcquireResult{AcquireStatus::queue_timeout, nullptr};
}

void PoolRuntime::dequeue_locked(std::deque<std::shared_ptr<WaitQueue::Waiter>>& fifo,
                                 std::deque<std::shared_ptr<WaitQueue::Waiter>>::iterator it, Class cls) {
    fifo.erase(it);
    queue_->size.fetch_sub(1);
    queue_->class_size[static_cast<std::size_t>(cls)].fetch_sub(1);
}

bool PoolRuntime::hand_to_waiter_locked(ServerRuntime* server, const Class* released) {
    // A draining server takes no new balanced requests, but still serves those pinned to it (its own jobs, its
    // private connections; a cookie's waiter too, which is already queued for it).
    const bool balanced = may_serve(*server);
    if (!balanced && !may_serve(*server, true)) return false;
    // Classes in weighted-priority order: the one whose next grant would finish first (pass + 1/weight, as in
    // weighted fair queuing) goes first; ties go to interactive, then other. With the default weights 8:4:1 an
    // interactive queue gets 8 grants for each heavy one, and the first grant always.
    const auto& weights = config_.classes.weight;
    const auto finish = [&](std::size_t c) { return queue_->pass[c] + 1.0 / std::max<std::uint32_t>(1, weights[c]); };
    std::array<std::size_t, config::kOperationClasses> order{0, 1, 2};
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return finish(a) < finish(b); });
    for (const std::size_t c : order) {
        auto& fifo = queue_->waiters[c];
        if (fifo.empty()) continue;
        const auto cls = static_cast<Class>(c);
        // The class must have room on this server; a slot of its own class being passed on always has.
        const bool same_class = released && *released == cls;
        const std::uint32_t class_limit = binding_limit(cls, *server);
        if (!same_class && class_limit != 0 && server->class_active[c].load() >= class_limit) continue;
        for (auto it = fifo.begin(); it != fifo.end(); ++it) {
            const auto& waiter = *it;
            if (waiter->only ? waiter->only != server : !balanced) continue;
            // A waiter may only get a server of the runtime it acquires from (after a reload the old and new
            // runtimes share this queue, but a changed server is a different object in each).
            if (waiter->tried.contains(server->id) || !waiter->pool->has_server(server)) continue;
            if (!released) {
                if (!take_slot(server, cls)) return false;
            } else if (!same_class) {
                // The server slot passes on; the class slot changes hands.
                if (class_limit != 0) {
                    std::uint32_t current = server->class_active[c].load();
                    do {
                        if (current >= class_limit) break;
                    } while (!server->class_active[c].compare_exchange_weak(current, current + 1));
                    if (current >= class_limit) break;  // lost a race for the class's last slot: next class
                } else {
                    server->class_active[c].fetch_add(1);
                }
                server->class_active[static_cast<std::size_t>(*released)].fetch_sub(1);
            }
            // A slot passed straight on: the server is full (the auto limit grows only when it is used).
            if (auto_limit_) server->adaptive_counters.mark_saturated();
            waiter->granted = server;
            std::shared_ptr<WaitQueue::Waiter> handed = waiter;
            dequeue_locked(fifo, it, cls);
            queue_->pass[c] = finish(c);
            // The waiter's timer belongs to its worker's loop: cancel it there, never from this thread.
            asio::post(handed->timer.get_executor(), [handed] { handed->timer.cancel(); });
            return true;
        }
    }
    return false;
}

void PoolRuntime::release(ServerRuntime* server, Class cls) {
    if (queue_->size.load() > 0) {
        std::lock_guard lock(queue_->mutex);
        if (hand_to_waiter_locked(server, &cls)) return;  // the slot passes on without being freed
    }
    server->class_active[static_cast<std::size_t>(cls)].fetch_sub(1);
    server->active.fetch_sub(1);
    if (queue_->size.load() > 0) {
        std::lock_guard lock(queue_->mutex);
        hand_to_waiter_locked(server, nullptr);
    }
}

}  // namespace gisgate::balance
