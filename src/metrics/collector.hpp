// The control thread's view of the per-worker statistics: merges every worker's StatsTable into one entry per
// key (cumulative since start), and hands out what changed since the previous call as sparse deltas for the
// sliding window. Keys get stable ids (indexes into services()/servers()) the window and history refer to.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "metrics/stats_table.hpp"

namespace gisgate::metrics {

class Collector {
public:
    struct Entry {
        StatsKey key;            // first spelling seen (keys match case-insensitively)
        TrafficTotals totals;    // cumulative since start, as of the last refresh()
        TrafficTotals previous;  // as of the last advance()
    };
    using Deltas = std::vector<std::pair<std::uint32_t, TrafficDelta>>;  // (entry id, change)

    // Re-reads every worker's counters into the entries' totals (new keys get new entries).
    void refresh(std::span<const WorkerStats* const> workers);
    // The changes since the previous advance() (entries with no change are left out); then previous = totals.
    void advance(Deltas& services, Deltas& servers);

    const std::vector<Entry>& services() const { return services_; }
    const std::vector<Entry>& servers() const { return servers_; }
    const std::vector<Entry>& classes() const { return classes_; }  // key: a = pool, b = operation class

private:
    std::uint32_t id_for(const StatsSlot& slot, std::vector<Entry>& entries,
                         std::unordered_map<std::string, std::uint32_t>& ids);
    void advance(std::vector<Entry>& entries, Deltas& out);

    std::vector<Entry> services_;
    std::vector<Entry> servers_;
    std::vector<Entry> classes_;  // totals only: no window; the history recorder diffs them against its own base
    std::unordered_map<std::string, std::uint32_t> service_ids_;  // lower-cased key → id
    std::unordered_map<std::string, std::uint32_t> server_ids_;
    std::unordered_map<std::string, std::uint32_t> class_ids_;
    std::unordered_map<const StatsSlot*, std::uint32_t> slot_ids_;  // slots never move or die while workers live
};

// The last `span` seconds of deltas for windowed figures (/api/v1/services, alerts): one slice per second for
// the last kFineSeconds, then one per minute (merged), so a long alert window costs at most 60 slices an hour.
// A window longer than kFineSeconds is therefore exact to the minute at its far end.
class SlidingWindow {
public:
    static constexpr std::int64_t kFineSeconds = 120;
    static constexpr std::int64_t kCoarseSeconds = 60;

    struct Slice {
        std::int64_t second = 0;  // UTC Unix second the slice ends at
        Collector::Deltas services;  // by id
        Collector::Deltas servers;   // by id
        std::vector<std::pair<std::string, std::uint64_t>> rejections;  // pool → queue rejections in the slice
        void merge(Slice&& other);  // adds the other slice's deltas (`second` stays)
    };

    explicit SlidingWindow(std::int64_t span_seconds) : span_(span_seconds) {}
    void set_span(std::int64_t span_seconds) { span_ = span_seconds; }
    std::int64_t span() const { return span_; }

    // Appends a one-second slice; moves slices older than kFineSeconds into minute slices and forgets those
    // older than the span.
    void push(Slice slice);
    // Slices ending within the last `seconds` seconds up to `now` (Unix seconds), newest first.
    template <class F>
    void for_each(std::int64_t now, std::int64_t seconds, F&& f) const {
        for (auto it = fine_.rbegin(); it != fine_.rend() && it->second > now - seconds; ++it) f(*it);
        if (seconds <= kFineSeconds) return;  // minute slices hold only seconds older than kFineSeconds
        for (auto it = coarse_.rbegin(); it != coarse_.rend() && it->second > now - seconds; ++it) f(*it);
    }
    std::size_t slices() const { return fine_.size() + coarse_.size(); }
    // Sums the service (or server) deltas of the last `seconds` seconds into `out`, indexed by entry id.
    void sum_services(std::int64_t now, std::int64_t seconds, std::vector<TrafficTotals>& out) const;
    void sum_servers(std::int64_t now, std::int64_t seconds, std::vector<TrafficTotals>& out) const;
    std::uint64_t rejections(std::int64_t now, std::int64_t seconds, std::string_view pool) const;  // "" = all

private:
    std::deque<Slice> fine_;    // one per second, oldest first
    std::deque<Slice> coarse_;  // one per minute (ending on a whole minute), oldest first
    std::int64_t span_;
};

}  // namespace gisgate::metrics
