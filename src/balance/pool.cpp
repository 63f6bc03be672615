#include "balance/pool.hpp"

#include <algorithm>

#include "balance/current_weight.hpp"

namespace gisgate::balance {

PoolRuntime::PoolRuntime(config::PoolConfig config, std::vector<std::shared_ptr<ServerRuntime>> servers,
                         unsigned workers, std::shared_ptr<WaitQueue> queue)
    : config_(std::move(config)),
      servers_(std::move(servers)),
      queue_(queue ? std::move(queue) : std::make_shared<WaitQueue>()) {
    algorithms_.reserve(workers);
    for (unsigned i = 0; i < workers; ++i) algorithms_.push_back(make_algorithm(config_.balance));
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

bool PoolRuntime::take_slot(ServerRuntime* server) {
    const std::uint32_t limit = CurrentWeights().limit(*server, config_.max_active_per_server);  // slow start
    if (limit == 0) {
        server->active.fetch_add(1);
        return true;
    }
    std::uint32_t current = server->active.load();
    while (current < limit) {
        if (server->active.compare_exchange_weak(current, current + 1)) return true;
    }
    return false;
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

AcquireResult PoolRuntime::try_acquire(unsigned worker, const TriedSet& tried) {
    thread_local std::vector<ServerRuntime*> candidates;
    collect_candidates(tried, candidates);
    if (candidates.empty()) return {AcquireStatus::no_server, nullptr};
    if (config_.max_active_per_server != 0) {
        CurrentWeights current;  // a slow-starting server has a part of the limit
        std::erase_if(candidates, [&](ServerRuntime* s) {
            return s->active.load(std::memory_order_relaxed) >= current.limit(*s, config_.max_active_per_server);
        });
    }
    Algorithm& algorithm = *algorithms_[worker % algorithms_.size()];
    while (!candidates.empty()) {
        const std::size_t i = algorithm.pick(candidates);
        ServerRuntime* server = candidates[i];
        if (take_slot(server)) {
            server->requests_total.fetch_add(1, std::memory_order_relaxed);
            return {AcquireStatus::granted, server};
        }
        candidates.erase(candidates.begin() + static_cast<std::ptrdiff_t>(i));  // lost a race for its last slot
    }
    return {AcquireStatus::queue_full, nullptr};
}

bool PoolRuntime::try_take(ServerRuntime* server) {
    if (!take_slot(server)) return false;
    server->requests_total.fetch_add(1, std::memory_order_relaxed);
    return true;
}

awaitable<AcquireResult> PoolRuntime::wait_in_queue(const TriedSet& tried, ServerRuntime* only, unsigned worker) {
    // Not inside the make_shared call: GCC 12 mishandles temporaries with destructors in co_await expressions.
    const auto executor = co_await asio::this_coro::executor;
    auto waiter = std::make_shared<WaitQueue::Waiter>(executor);
    waiter->tried = tried;
    waiter->pool = this;
    waiter->only = only;
    AcquireResult result;
    {
        std::lock_guard lock(queue_->mutex);
        if (queue_->waiters.size() >= config_.queue.max) {
            queue_->rejections.fetch_add(1, std::memory_order_relaxed);
            co_return AcquireResult{AcquireStatus::queue_full, nullptr};
        }
        queue_->waiters.push_back(waiter);
        queue_->size.fetch_add(1);
        // A slot released between the caller's attempt and the push above saw an empty queue; look once more
        // now that releasers can see us (release() decrements, then checks the queue size).
        if (only) {
            if (take_slot(only)) result = {AcquireStatus::granted, only};
        } else {
            result = try_acquire(worker, tried);
        }
        if (result.status == AcquireStatus::granted) {
            queue_->waiters.pop_back();
            queue_->size.fetch_sub(1);
            if (only) only->requests_total.fetch_add(1, std::memory_order_relaxed);
            co_return result;
        }
    }

    waiter->timer.expires_after(config_.queue.timeout);
    error_code ec;
    co_await waiter->timer.async_wait(asio::redirect_error(use_awaitable, ec));

    std::lock_guard lock(queue_->mutex);
    if (waiter->granted) {
        waiter->granted->requests_total.fetch_add(1, std::memory_order_relaxed);
        co_return AcquireResult{AcquireStatus::granted, waiter->granted};
    }
    auto it = std::find(queue_->waiters.begin(), queue_->waiters.end(), waiter);
    if (it != queue_->waiters.end()) {
        queue_->waiters.erase(it);
        queue_->size.fetch_sub(1);
    }
    queue_->rejections.fetch_add(1, std::memory_order_relaxed);
    co_return AcquireResult{AcquireStatus::queue_timeout, nullptr};
}

bool PoolRuntime::hand_to_waiter_locked(ServerRuntime* server, bool slot_already_held) {
    // A draining server takes no new balanced requests, but still serves those pinned to it (its own jobs, its
    // private connections; a cookie's waiter too, which is already queued for it).
    const bool balanced = may_serve(*server);
    if (!balanced && !may_serve(*server, true)) return false;
    for (auto it = queue_->waiters.begin(); it != queue_->waiters.end(); ++it) {
        const auto& waiter = *it;
        if (waiter->only ? waiter->only != server : !balanced) continue;
        // A waiter may only get a server of the runtime it acquires from (after a reload the old and new
        // runtimes share this queue, but a changed server is a different object in each).
        if (waiter->tried.contains(server->id) || !waiter->pool->has_server(server)) continue;
        if (!slot_already_held && !take_slot(server)) return false;
        waiter->granted = server;
        std::shared_ptr<WaitQueue::Waiter> handed = waiter;
        queue_->waiters.erase(it);
        queue_->size.fetch_sub(1);
        // The waiter's timer belongs to its worker's loop: cancel it there, never from this thread.
        asio::post(handed->timer.get_executor(), [handed] { handed->timer.cancel(); });
        return true;
    }
    return false;
}

void PoolRuntime::release(ServerRuntime* server) {
    if (queue_->size.load() > 0) {
        std::lock_guard lock(queue_->mutex);
        if (hand_to_waiter_locked(server, true)) return;  // the slot passes on without being freed
    }
    server->active.fetch_sub(1);
    if (queue_->size.load() > 0) {
        std::lock_guard lock(queue_->mutex);
        hand_to_waiter_locked(server, false);
    }
}

}  // namespace gisgate::balance
