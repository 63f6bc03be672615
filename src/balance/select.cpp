#include "balance/select.hpp"

namespace gisgate::balance {

Selection try_select(PoolRuntime& pool, const Affinity& affinity, const TriedSet& tried, unsigned worker,
                     Class cls) {
    bool lost = false;
    if (affinity.any()) {
        if (may_serve(*affinity.server, affinity.pinned()) && pool.has_server(affinity.server)) {
            if (pool.try_take(affinity.server, cls)) return {AcquireStatus::granted, affinity.server, false};
            return {AcquireStatus::queue_full, nullptr, false};  // wait for that server
        }
        if (affinity.binding()) return {AcquireStatus::no_server, nullptr, false};
        lost = true;
    }
    const AcquireResult r = pool.try_acquire(worker, tried, cls);
    return {r.status, r.server, lost};
}

awaitable<Selection> select(PoolRuntime& pool, const Affinity& affinity, const TriedSet& tried, unsigned worker,
                            Class cls) {
    const Selection now = try_select(pool, affinity, tried, worker, cls);
    if (now.status != AcquireStatus::queue_full) co_return now;
    co_return co_await wait_for_slot(pool, affinity, tried, worker, now, cls);
}

awaitable<Selection> wait_for_slot(PoolRuntime& pool, const Affinity& affinity, const TriedSet& tried,
                                   unsigned worker, Selection first, Class cls) {
    ServerRuntime* only = affinity.any() && !first.affinity_lost ? affinity.server : nullptr;
    const TriedSet none;  // a request waiting for its one server has tried no other
    const AcquireResult waited = co_await pool.wait_in_queue(only ? none : tried, only, worker, cls);
    co_return Selection{waited.status, waited.server, first.affinity_lost};
}

}  // namespace gisgate::balance
