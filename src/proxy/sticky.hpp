// The value of a sticky cookie: opaque (no address leaks to clients), stable across restarts and across
// gisgate nodes running the same config, so a client keeps its server when a node fails over.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gisgate::proxy {

inline std::string sticky_token(std::string_view pool, std::string_view server) {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a 64: deterministic, unlike std::hash
    auto mix = [&h](std::string_view text) {
        for (unsigned char c : text) {
            h ^= c;
            h *= 1099511628211ull;
        }
    };
    mix(pool);
    mix("/");
    mix(server);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<std::size_t>(i)] = kHex[h & 0xf];
    return out;
}

// The value of cookie `name` in a Cookie header value ("a=1; GISGATE_SERVER=abc"), or empty.
inline std::string_view cookie_value(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        const auto semi = header.find(';');
        std::string_view pair = header.substr(0, semi);
        while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
        if (pair.size() > name.size() && pair.substr(0, name.size()) == name && pair[name.size()] == '=')
            return pair.substr(name.size() + 1);
        if (semi == std::string_view::npos) break;
        header.remove_prefix(semi + 1);
    }
    return {};
}

}  // namespace gisgate::proxy
