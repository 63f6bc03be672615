// A worker's response caches: one cache::Store per pool with `cache:`, owned by the worker and touched only on
// its thread, so a lookup takes no lock and a reload keeps every cached response without carrying anything
// from one runtime to the next. Each store holds the pool's `memory` divided by the number of workers.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cache/store.hpp"
#include "proxy/runtime.hpp"
#include "util/snapshot.hpp"

namespace gisgate::proxy {

class WorkerCaches {
public:
    // What the control thread reads for /metrics: each store's counters by pool name.
    using Counters = std::vector<std::pair<std::string, std::shared_ptr<const cache::StoreStats>>>;

    explicit WorkerCaches(unsigned workers) : workers_(std::max(1u, workers)) {}

    // Loop thread: the runtime now in force. Stores of pools that have a cache stay (with its new limits),
    // the others are dropped; a pool that gained a cache gets an empty store.
    void sync(const Runtime& runtime);
    // Loop thread: the store of `pool`, or null when the pool has no cache. Shared: a request keeps the store it
    // started with even if a reload drops the pool's cache meanwhile.
    std::shared_ptr<cache::Store> find(std::string_view pool) const;
    // Loop thread: removes entries under `prefix` from the store of `pool` (every store when `pool` is empty).
    std::size_t purge(std::string_view pool, std::string_view prefix);

    // Any thread.
    std::shared_ptr<const Counters> counters() const { return counters_.load(); }

private:
    unsigned workers_;
    std::map<std::string, std::shared_ptr<cache::Store>, std::less<>> stores_;
    util::Snapshot<Counters> counters_;
};

}  // namespace gisgate::proxy
