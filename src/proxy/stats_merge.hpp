// Stats merge, the first job of the Observer: the workers count requests in tables of their own (nothing shared
// on the request path), and the control thread folds them into one Collector whenever it needs totals. Once a
// second it also cuts what changed since the previous second into a slice for the sliding window, together with
// the pools' queue rejections (counted by the pool's queue, not by a worker).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "metrics/collector.hpp"
#include "proxy/runtime.hpp"

namespace gisgate::proxy {

class StatsMerge {
public:
    // `workers` must outlive the use of this object.
    explicit StatsMerge(std::vector<const metrics::WorkerStats*> workers) : workers_(std::move(workers)) {}

    // The queue rejections counted before the first slice are not news: they start no alert.
    void baseline(const Runtime& runtime);
    // Re-reads every worker's cumulative counters (cheap: no lock, a walk over the tables).
    void refresh() { collector_.refresh(workers_); }
    // refresh(), then what changed since the previous slice, as the slice ending at `second`.
    metrics::SlidingWindow::Slice slice(std::int64_t second, const Runtime& runtime);

    const metrics::Collector& collector() const { return collector_; }

private:
    std::vector<const metrics::WorkerStats*> workers_;
    metrics::Collector collector_;
    std::map<std::string, std::uint64_t> rejections_seen_;  // pool → cumulative queue rejections
};

}  // namespace gisgate::proxy
