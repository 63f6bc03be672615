// Small accessors on the plain config types.
#include "config/config.hpp"

#include <fmt/format.h>

namespace gisgate::config {

std::string Endpoint::to_string() const {
    // An IPv6 literal needs brackets, or its colons would run into the port's.
    if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
    return fmt::format("{}:{}", host, port);
}

const PoolConfig* Config::find_pool(std::string_view name) const {
    // Linear: a site has a handful of pools and this runs at startup, not per request.
    for (const auto& pool : pools) {
        if (pool.name == name) return &pool;
    }
    return nullptr;
}

}  // namespace gisgate::config
