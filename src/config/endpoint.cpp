// "host:port" parsing for bind and server addresses.
#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string>

#include "config/loader.hpp"

namespace gisgate::config {

namespace {

bool parse_port(std::string_view text, std::uint16_t& port) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value > 65535) return false;
    port = static_cast<std::uint16_t>(value);
    return true;
}

bool is_ip(int family, std::string_view host) {
    std::string copy(host);  // inet_pton wants a NUL-terminated string
    unsigned char buf[16];
    return inet_pton(family, copy.c_str(), buf) == 1;
}

// A DNS name: letters, digits, '-', '_' and '.'. Anything else (spaces, '/', '@') is a typo, not a host.
// All-numeric names must be a real IPv4 literal, so "10.0.0.256" is refused instead of looked up.
bool is_host_name(std::string_view host) {
    if (host.empty() || host.size() > 253) return false;
    bool numeric = true;
    for (char c : host) {
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        const bool digit = c >= '0' && c <= '9';
        if (!alpha && !digit && c != '-' && c != '_' && c != '.') return false;
        if (!digit && c != '.') numeric = false;
    }
    return !numeric || is_ip(AF_INET, host);
}

}  // namespace

std::optional<Endpoint> parse_endpoint(std::string_view text) {
    Endpoint endpoint;
    if (!text.empty() && text.front() == '[') {
        // "[v6]:port" — the only way to write an IPv6 host, since its colons would be ambiguous.
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return std::nullopt;
        }
        const auto host = text.substr(1, close - 1);
        if (!is_ip(AF_INET6, host)) return std::nullopt;
        if (!parse_port(text.substr(close + 2), endpoint.port)) return std::nullopt;
        endpoint.host = std::string(host);
        return endpoint;
    }
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;  // the port is never implied
    const auto host = text.substr(0, colon);
    if (!is_host_name(host)) return std::nullopt;  // also refuses an unbracketed "::1:80"
    if (!parse_port(text.substr(colon + 1), endpoint.port)) return std::nullopt;
    endpoint.host = std::string(host);
    return endpoint;
}

}  // namespace gisgate::config
