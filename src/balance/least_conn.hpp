// Least connections, weighted: the server with the fewest requests in flight per unit of weight (counts are
// global across workers). Ties rotate so equal servers share the load instead of the first one taking it.
#pragma once

#include "balance/algorithm.hpp"

namespace gisgate::balance {

class LeastConn final : public Algorithm {
public:
    std::size_t pick(std::span<ServerRuntime* const> candidates) override;

private:
    std::size_t rotation_ = 0;
};

}  // namespace gisgate::balance
