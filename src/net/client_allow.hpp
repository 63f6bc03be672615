// The `allow` lists of listeners and of the admin API: is a client address inside one of the networks? Lives in
// net/ because the data plane decides it once per accepted connection and must not depend on the admin module;
// header-only so that the admin API (which does not link the request path) can use the same test.
#pragma once

#include <vector>

#include "config/cidr.hpp"
#include "net/asio.hpp"

namespace gisgate::net {

// True when `client` is inside one of `allow` (an IPv4-mapped IPv6 address counts as IPv4).
// An empty list allows nobody, as in the config file.
inline bool client_allowed(const std::vector<config::Cidr>& allow, const asio::ip::address& client) {
    if (client.is_v4()) {
        const auto bytes = client.to_v4().to_bytes();
        for (const auto& cidr : allow)
            if (cidr.contains(bytes.data(), bytes.size())) return true;
        return false;
    }
    const auto bytes = client.to_v6().to_bytes();  // Cidr itself treats ::ffff:a.b.c.d as a.b.c.d
    for (const auto& cidr : allow)
        if (cidr.contains(bytes.data(), bytes.size())) return true;
    return false;
}

}  // namespace gisgate::net
