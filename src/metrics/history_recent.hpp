// The recent past of the history database for the dashboard's charts (GET /api/v1/history): per interval,
// the requests, errors and merged response-time histogram of all services. A short read-only query on the
// control thread (an hour is a few hundred rows); the writer uses WAL, so the read never waits for it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "metrics/histogram.hpp"

namespace gisgate::metrics {

struct RecentInterval {
    std::int64_t start = 0;    // UTC Unix seconds
    std::int64_t seconds = 0;  // covered (the longest service row of the interval)
    std::uint64_t requests = 0;
    std::uint64_t errors = 0;
    LatencyHistogram histogram;
};

// Intervals with start >= `since`, in time order. Throws std::runtime_error naming the file when it cannot be
// read (missing, not a history database).
std::vector<RecentInterval> read_recent_intervals(const std::string& path, std::int64_t since);

}  // namespace gisgate::metrics
