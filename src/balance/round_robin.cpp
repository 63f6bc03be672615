#include "balance/round_robin.hpp"

#include "balance/current_weight.hpp"

namespace gisgate::balance {

std::size_t RoundRobin::pick(std::span<ServerRuntime* const> candidates) {
    std::int64_t total = 0;
    std::size_t best = 0;
    std::int64_t best_weight = INT64_MIN;
    CurrentWeights weights;  // scaled and ramped (slow start): smooth round robin is scale-invariant
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        const auto w = static_cast<std::int64_t>(weights.weight(*candidates[i]));
        auto& cw = current_[candidates[i]->id];
        cw += w;
        total += w;
        if (cw > best_weight) {
            best_weight = cw;
            best = i;
        }
    }
    current_[candidates[best]->id] -= total;
    return best;
}

}  // namespace gisgate::balance
