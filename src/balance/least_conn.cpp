#include "balance/least_conn.hpp"

#include "balance/current_weight.hpp"

namespace gisgate::balance {

std::size_t LeastConn::pick(std::span<ServerRuntime* const> candidates) {
    const std::size_t n = candidates.size();
    const std::size_t start = rotation_++ % n;
    std::size_t best = start;
    // Compare active_a / weight_a < active_b / weight_b without division: active_a * weight_b < active_b * weight_a.
    std::uint64_t best_active = candidates[start]->active.load(std::memory_order_relaxed);
    CurrentWeights weights;  // scaled and ramped (slow start); never 0 for a candidate (may_serve() needs weight)
    std::uint64_t best_weight = std::max<std::uint64_t>(weights.weight(*candidates[start]), 1);
    for (std::size_t k = 1; k < n; ++k) {
        const std::size_t i = (start + k) % n;
        const std::uint64_t active = candidates[i]->active.load(std::memory_order_relaxed);
        const std::uint64_t weight = std::max<std::uint64_t>(weights.weight(*candidates[i]), 1);
        if (active * best_weight < best_active * weight) {
            best = i;
            best_active = active;
            best_weight = weight;
        }
    }
    return best;
}

}  // namespace gisgate::balance
