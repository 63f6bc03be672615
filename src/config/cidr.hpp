// An IPv4 or IPv6 network (address/prefix) and the membership test used by `allow` lists.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gisgate::config {

class Cidr {
public:
    // Parses "10.0.0.0/8", "127.0.0.1" (= /32), "::1/128", "0.0.0.0/0". nullopt when malformed.
    static std::optional<Cidr> parse(std::string_view text);

    // `addr` is 4 (IPv4) or 16 (IPv6) bytes in network order. An IPv4-mapped IPv6 address
    // (::ffff:a.b.c.d) is tested as the IPv4 address.
    bool contains(const std::uint8_t* addr, std::size_t len) const;
    bool contains(std::string_view address_text) const;  // convenience for tests and config checks

    std::string to_string() const;

private:
    std::array<std::uint8_t, 16> bytes_{};
    std::uint8_t prefix_ = 0;
    bool v4_ = true;
};

}  // namespace gisgate::config
