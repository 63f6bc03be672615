#include "proxy/stats_merge.hpp"

#include "gis/classify.hpp"

namespace gisgate::proxy {

// Session passes gis::TrafficKind to the statistics as metrics::Kind.
static_assert(static_cast<int>(metrics::Kind::service) == static_cast<int>(gis::TrafficKind::service) &&
              static_cast<int>(metrics::Kind::portal) == static_cast<int>(gis::TrafficKind::portal) &&
              static_cast<int>(metrics::Kind::admin) == static_cast<int>(gis::TrafficKind::admin) &&
              static_cast<int>(metrics::Kind::other) == static_cast<int>(gis::TrafficKind::other));

void StatsMerge::baseline(const Runtime& runtime) {
    for (const auto& pool : runtime.pools) rejections_seen_[pool->name()] = pool->queue_rejections();
}

metrics::SlidingWindow::Slice StatsMerge::slice(std::int64_t second, const Runtime& runtime) {
    refresh();
    metrics::SlidingWindow::Slice slice;
    slice.second = second;
    collector_.advance(slice.services, slice.servers);
    for (const auto& pool : runtime.pools) {
        const std::uint64_t total = pool->queue_rejections();
        auto [it, added] = rejections_seen_.try_emplace(pool->name(), total);
        // A pool removed and added again has a new queue, counting from 0.
        const std::uint64_t delta = total >= it->second ? total - it->second : total;
        if (!added && delta) slice.rejections.emplace_back(pool->name(), delta);
        it->second = total;
    }
    return slice;
}

}  // namespace gisgate::proxy
