// Smooth weighted round robin (the algorithm NGINX uses): over any window of sum(weights) picks each server
// gets exactly its weight, interleaved rather than in bursts.
#pragma once

#include <unordered_map>

#include "balance/algorithm.hpp"

namespace gisgate::balance {

class RoundRobin final : public Algorithm {
public:
    std::size_t pick(std::span<ServerRuntime* const> candidates) override;

private:
    // current weight per server id; servers come and go with health, so keyed by id, not position.
    std::unordered_map<std::uint32_t, std::int64_t> current_;
};

}  // namespace gisgate::balance
