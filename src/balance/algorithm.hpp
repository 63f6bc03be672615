// A balancing algorithm chooses one server among the candidates the pool allows. One instance per worker,
// so algorithms may keep unsynchronised state (round-robin positions). Adding an algorithm = a new file
// implementing this interface plus one line in make_algorithm().
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "balance/server.hpp"
#include "config/config.hpp"

namespace gisgate::balance {

class Algorithm {
public:
    virtual ~Algorithm() = default;
    // `candidates` are the servers allowed now (usable, with capacity, not already tried). Returns an index
    // into `candidates`; never called with an empty span.
    virtual std::size_t pick(std::span<ServerRuntime* const> candidates) = 0;
};

std::unique_ptr<Algorithm> make_algorithm(config::BalanceAlgorithm kind);

}  // namespace gisgate::balance
