// JobTable: 16 shards chosen by a hash of the job id, each a mutex, a map job → entry and a recency list
// (least recently recorded first) that eviction and age sweeps take from the front.
//
// Bounds are per shard: each shard keeps at most ceil(max_jobs / 16) entries, so the table holds at most
// max_jobs + 15 and evicts the oldest entries of the shard a new job lands in, not necessarily the globally
// oldest. Job ids are random, so shards fill evenly and that is close enough for a memory bound, and it keeps
// every operation on a single lock.
//
// `enabled: false` makes the table inert (record does nothing, owner knows nothing) and drops what it held:
// whether the caller checks the flag or not, a disabled pool never pins jobs.
#include "gis/job_table.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <list>
#include <mutex>
#include <unordered_map>

namespace gisgate::gis {
namespace {

constexpr std::size_t kShards = 16;

using TimePoint = std::chrono::steady_clock::time_point;

// Lets the maps be probed with a string_view without building a std::string first.
struct ViewHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct Entry {
    std::string server;
    TimePoint recorded;
    std::list<std::string>::iterator recency;  // this job's node in Shard::recency
};

struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Entry, ViewHash, std::equal_to<>> jobs;
    std::list<std::string> recency;  // job ids, least recently recorded first; so also oldest `recorded` first
    // Copies of the limits, updated under `mutex` by set_limits, so reads need no other synchronisation.
    bool enabled = true;
    std::size_t max_entries = 1;
    std::chrono::steady_clock::duration max_age{};

    void erase(std::unordered_map<std::string, Entry, ViewHash, std::equal_to<>>::iterator it) {
        recency.erase(it->second.recency);
        jobs.erase(it);
    }

    void drop_oldest() { erase(jobs.find(recency.front())); }

    // Drops entries past max_age from the front (the oldest) and then beyond `keep`.
    void trim(TimePoint now, std::size_t keep) {
        while (!recency.empty() && now - jobs.find(recency.front())->second.recorded > max_age) drop_oldest();
        while (jobs.size() > keep) drop_oldest();
    }

    void apply(const config::JobAffinityConfig& limits, TimePoint now) {
        enabled = limits.enabled;
        max_entries = std::max<std::size_t>(1, (std::size_t{limits.max_jobs} + kShards - 1) / kShards);
        max_age = limits.max_age;
        trim(now, enabled ? max_entries : 0);
    }
};

std::size_t shard_index(std::string_view job_id) {
    // Take the high bits of a multiplicative mix: the map inside the shard uses the same hash modulo its bucket
    // count, and the shard choice should not correlate with it.
    const std::uint64_t h = ViewHash{}(job_id) * 0x9E3779B97F4A7C15ull;
    return static_cast<std::size_t>(h >> 60) % kShards;
}

}  // namespace

struct JobTable::Impl {
    std::array<Shard, kShards> shards;
    Clock now = [] { return std::chrono::steady_clock::now(); };

    Shard& shard_for(std::string_view job_id) { return shards[shard_index(job_id)]; }
};

JobTable::JobTable(const config::JobAffinityConfig& limits) : impl_(new Impl) { set_limits(limits); }

JobTable::~JobTable() { delete impl_; }

void JobTable::set_limits(const config::JobAffinityConfig& limits) {
    const TimePoint now = impl_->now();
    for (Shard& shard : impl_->shards) {
        const std::lock_guard lock(shard.mutex);
        shard.apply(limits, now);
    }
}

void JobTable::record(std::string_view job_id, std::string_view server) {
    if (job_id.empty()) return;
    const TimePoint now = impl_->now();
    Shard& shard = impl_->shard_for(job_id);
    const std::lock_guard lock(shard.mutex);
    if (!shard.enabled) return;
    if (auto it = shard.jobs.find(job_id); it != shard.jobs.end()) {
        it->second.server.assign(server);
        it->second.recorded = now;
        shard.recency.splice(shard.recency.end(), shard.recency, it->second.recency);
        return;
    }
    // Make room first so the new entry is never the one evicted.
    shard.trim(now, shard.max_entries - 1);
    shard.recency.emplace_back(job_id);
    shard.jobs.emplace(std::string(job_id), Entry{std::string(server), now, std::prev(shard.recency.end())});
}

std::optional<std::string> JobTable::owner(std::string_view job_id) {
    if (job_id.empty()) return std::nullopt;
    const TimePoint now = impl_->now();
    Shard& shard = impl_->shard_for(job_id);
    const std::lock_guard lock(shard.mutex);
    const auto it = shard.jobs.find(job_id);
    if (it == shard.jobs.end()) return std::nullopt;
    if (now - it->second.recorded > shard.max_age) {
        shard.erase(it);
        return std::nullopt;
    }
    return it->second.server;
}

std::size_t JobTable::size() const {
    std::size_t total = 0;
    for (Shard& shard : impl_->shards) {
        const std::lock_guard lock(shard.mutex);
        total += shard.jobs.size();
    }
    return total;
}

void JobTable::set_clock_for_tests(Clock now) { impl_->now = std::move(now); }

}  // namespace gisgate::gis
