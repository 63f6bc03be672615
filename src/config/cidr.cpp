// CIDR parsing and membership, used by the listener and admin `allow` lists.
#include "config/cidr.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace gisgate::config {

namespace {

constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool is_v4_mapped(const std::uint8_t* addr16) {
    return std::memcmp(addr16, kMappedPrefix, sizeof kMappedPrefix) == 0;
}

// Compares the first `prefix` bits of two addresses.
bool prefix_equal(const std::uint8_t* a, const std::uint8_t* b, unsigned prefix) {
    const unsigned whole = prefix / 8;
    if (std::memcmp(a, b, whole) != 0) return false;
    const unsigned rest = prefix % 8;
    if (rest == 0) return true;
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

// inet_pton needs a NUL-terminated string; addresses are short, so a stack buffer will do.
bool to_cstr(std::string_view text, char (&buf)[64]) {
    if (text.empty() || text.size() >= sizeof buf) return false;
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    return true;
}

}  // namespace

std::optional<Cidr> Cidr::parse(std::string_view text) {
    std::string_view address = text;
    std::optional<unsigned> prefix;
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
        address = text.substr(0, slash);
        std::string_view digits = text.substr(slash + 1);
        unsigned value = 0;
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
        prefix = value;
    }

    char buf[64];
    if (!to_cstr(address, buf)) return std::nullopt;
    Cidr cidr;
    unsigned max_prefix = 0;
    if (inet_pton(AF_INET, buf, cidr.bytes_.data()) == 1) {
        cidr.v4_ = true;
        max_prefix = 32;
    } else if (inet_pton(AF_INET6, buf, cidr.bytes_.data()) == 1) {
        cidr.v4_ = false;
        max_prefix = 128;
    } else {
        return std::nullopt;
    }
    unsigned bits = prefix.value_or(max_prefix);
    if (bits > max_prefix) return std::nullopt;

    // "::ffff:10.0.0.0/104" is the IPv4 network 10.0.0.0/8 in disguise; since contains() tests mapped
    // client addresses as IPv4, store it as IPv4 so both spellings behave the same.
    if (!cidr.v4_ && bits >= 96 && is_v4_mapped(cidr.bytes_.data())) {
        std::memmove(cidr.bytes_.data(), cidr.bytes_.data() + 12, 4);
        std::fill(cidr.bytes_.begin() + 4, cidr.bytes_.end(), 0);
        cidr.v4_ = true;
        bits -= 96;
    }
    cidr.prefix_ = static_cast<std::uint8_t>(bits);

    // Clear host bits ("10.1.2.3/8" → 10.0.0.0/8) so to_string() shows the network that is really matched.
    const unsigned len = cidr.v4_ ? 4 : 16;
    for (unsigned i = 0; i < len; ++i) {
        const unsigned bit = i * 8;
        if (bit >= bits) cidr.bytes_[i] = 0;
        else if (bits - bit < 8) cidr.bytes_[i] &= static_cast<std::uint8_t>(0xff << (8 - (bits - bit)));
    }
    return cidr;
}

bool Cidr::contains(const std::uint8_t* addr, std::size_t len) const {
    if (len == 16 && is_v4_mapped(addr)) {
        // Dual-stack sockets report IPv4 clients as ::ffff:a.b.c.d; judge them by their IPv4 address.
        addr += 12;
        len = 4;
    }
    if (len == 4) return v4_ && prefix_equal(addr, bytes_.data(), prefix_);
    if (len == 16) return !v4_ && prefix_equal(addr, bytes_.data(), prefix_);
    return false;
}

bool Cidr::contains(std::string_view address_text) const {
    char buf[64];
    if (!to_cstr(address_text, buf)) return false;
    std::uint8_t addr[16];
    if (inet_pton(AF_INET, buf, addr) == 1) return contains(addr, 4);
    if (inet_pton(AF_INET6, buf, addr) == 1) return contains(addr, 16);
    return false;
}

std::string Cidr::to_string() const {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(v4_ ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
    return fmt::format("{}/{}", buf, prefix_);
}

}  // namespace gisgate::config
