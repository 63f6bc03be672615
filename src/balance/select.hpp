// The one place a request gets its server (HAProxy's assign_server()): the affinity's server when it may serve,
// waiting in the pool's queue while it is full; otherwise, unless the affinity binds, the balancing algorithm's
// pick among the servers the request has not tried yet, waiting in the queue when all of them are busy.
#pragma once

#include "balance/affinity.hpp"
#include "balance/pool.hpp"

namespace gisgate::balance {

struct Selection {
    AcquireStatus status = AcquireStatus::no_server;
    ServerRuntime* server = nullptr;  // granted: holds one slot, given back with PoolRuntime::release()
    bool affinity_lost = false;       // a non-binding affinity's server could not serve: balanced instead
};

// Without waiting: granted, no_server, or queue_full meaning "a slot must be waited for" (then call select()).
// The common case (a free slot) costs no coroutine frame.
// `cls`: the request's operation class (its share of each server's slots, its place in the queue).
Selection try_select(PoolRuntime& pool, const Affinity& affinity, const TriedSet& tried, unsigned worker,
                     Class cls = Class::other);

// The whole decision, waiting in the queue when needed (queue_full / queue_timeout when it is full / too slow).
awaitable<Selection> select(PoolRuntime& pool, const Affinity& affinity, const TriedSet& tried, unsigned worker,
                            Class cls = Class::other);

// The waiting part alone, after try_select() said queue_full (`first` is what it said): a caller that tried
// first does not pick again before it queues.
awaitable<Selection> wait_for_slot(PoolRuntime& pool, const Affinity& affinity, const TriedSet& tried,
                                   unsigned worker, Selection first, Class cls = Class::other);

}  // namespace gisgate::balance
