#include "metrics/collector.hpp"

#include <algorithm>

#include "util/ascii.hpp"

namespace gisgate::metrics {

namespace {

std::string lower_key(const StatsKey& key) {
    std::string out;
    out.reserve(key.a.size() + key.b.size() + key.c.size() + 4);
    out += static_cast<char>('0' + static_cast<int>(key.kind));
    for (const std::string* part : {&key.a, &key.b, &key.c}) {
        out += '\0';
        for (char ch : *part) out += util::ascii_lower(ch);
    }
    return out;
}

}  // namespace

std::uint32_t Collector::id_for(const StatsSlot& slot, std::vector<Entry>& entries,
                                std::unordered_map<std::string, std::uint32_t>& ids) {
    if (auto it = slot_ids_.find(&slot); it != slot_ids_.end()) return it->second;
    const std::string key = lower_key(slot.key);
    auto [it, added] = ids.try_emplace(key, static_cast<std::uint32_t>(entries.size()));
    if (added) entries.push_back(Entry{slot.key, {}, {}});
    slot_ids_.emplace(&slot, it->second);
    return it->second;
}

void Collector::refresh(std::span<const WorkerStats* const> workers) {
    for (auto& e : services_) e.totals.clear();
    for (auto& e : servers_) e.totals.clear();
    for (auto& e : classes_) e.totals.clear();
    for (const WorkerStats* w : workers) {
        w->classes().for_each([&](const StatsSlot& slot) {
            slot.counters.add_to(classes_[id_for(slot, classes_, class_ids_)].totals);
        });
        w->services().for_each([&](const StatsSlot& slot) {
            slot.counters.add_to(services_[id_for(slot, services_, service_ids_)].totals);
        });
        w->servers().for_each([&](const StatsSlot& slot) {
            slot.counters.add_to(servers_[id_for(slot, servers_, server_ids_)].totals);
        });
    }
}

void Collector::advance(std::vector<Entry>& entries, Deltas& out) {
    out.clear();
    for (std::size_t id = 0; id < entries.size(); ++id) {
        Entry& e = entries[id];
        TrafficDelta d = TrafficDelta::between(e.previous, e.totals);
        if (!d.empty()) out.emplace_back(static_cast<std::uint32_t>(id), std::move(d));
        e.previous = e.totals;
    }
}

void Collector::advance(Deltas& services, Deltas& servers) {
    advance(services_, services);
    advance(servers_, servers);
}

namespace {
// Both sorted by id; the result too.
void merge_deltas(Collector::Deltas& into, Collector::Deltas&& from) {
    Collector::Deltas merged;
    merged.reserve(into.size() + from.size());
    auto a = into.begin();
    auto b = from.begin();
    while (a != into.end() || b != from.end()) {
        if (b == from.end() || (a != into.end() && a->first < b->first)) {
            merged.push_back(std::move(*a++));
        } else if (a == into.end() || b->first < a->first) {
            merged.push_back(std::move(*b++));
        } else {
            a->second.merge(b->second);
            merged.push_back(std::move(*a++));
            ++b;
        }
    }
    into = std::move(merged);
}
}  // namespace

void SlidingWindow::Slice::merge(Slice&& other) {
    merge_deltas(services, std::move(other.services));
    merge_deltas(servers, std::move(other.servers));
    for (auto& [pool, count] : other.rejections) {
        auto it = std::find_if(rejections.begin(), rejections.end(), [&](const auto& r) { return r.first == pool; });
        if (it == rejections.end()) rejections.emplace_back(pool, count);
        else it->second += count;
    }
}

void SlidingWindow::push(Slice slice) {
    const std::int64_t now = slice.second;
    fine_.push_back(std::move(slice));
    while (!fine_.empty() && fine_.front().second <= now - std::min(span_, kFineSeconds)) {
        if (span_ > kFineSeconds) {
            // Into the minute slice that ends on the next whole minute at or after it.
            const std::int64_t end = (fine_.front().second + kCoarseSeconds - 1) / kCoarseSeconds * kCoarseSeconds;
            if (coarse_.empty() || coarse_.back().second != end) {
                coarse_.emplace_back();
                coarse_.back().second = end;
            }
            coarse_.back().merge(std::move(fine_.front()));
        }
        fine_.pop_front();
    }
    while (!coarse_.empty() && coarse_.front().second <= now - span_) coarse_.pop_front();
}

namespace {
void sum(const Collector::Deltas& deltas, std::vector<TrafficTotals>& out) {
    for (const auto& [id, delta] : deltas) {
        if (id >= out.size()) out.resize(id + 1);
        out[id].add(delta);
    }
}
}  // namespace

void SlidingWindow::sum_services(std::int64_t now, std::int64_t seconds, std::vector<TrafficTotals>& out) const {
    for_each(now, seconds, [&](const Slice& s) { sum(s.services, out); });
}

void SlidingWindow::sum_servers(std::int64_t now, std::int64_t seconds, std::vector<TrafficTotals>& out) const {
    for_each(now, seconds, [&](const Slice& s) { sum(s.servers, out); });
}

std::uint64_t SlidingWindow::rejections(std::int64_t now, std::int64_t seconds, std::string_view pool) const {
    std::uint64_t n = 0;
    for_each(now, seconds, [&](const Slice& s) {
        for (const auto& [name, count] : s.rejections)
            if (pool.empty() || name == pool) n += count;
    });
    return n;
}

}  // namespace gisgate::metrics
