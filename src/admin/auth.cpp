#include "admin/auth.hpp"

#include "util/ascii.hpp"

#include <cstdint>

namespace gisgate::admin {

bool is_write_method(std::string_view method) {
    return method != "GET" && method != "HEAD";
}

bool constant_time_equal(std::string_view presented, std::string_view expected) {
    // Walk the presented value (attacker-controlled length) and compare against the secret cyclically, so
    // neither the secret's length nor the position of the first mismatch shows in the timing.
    if (expected.empty()) return false;
    std::uint8_t diff = presented.size() == expected.size() ? 0 : 1;
    for (std::size_t i = 0; i < presented.size(); ++i)
        diff |= static_cast<std::uint8_t>(presented[i] ^ expected[i % expected.size()]);
    // Empty presented vs non-empty expected: the size check already set diff.
    volatile std::uint8_t result = diff;  // keep the compiler from short-circuiting the loop
    return result == 0;
}

namespace {

using util::trim_ows;

}  // namespace

bool bearer_matches(std::string_view authorization, std::string_view token) {
    if (token.empty()) return false;
    authorization = trim_ows(authorization);
    constexpr std::string_view scheme = "Bearer";
    if (authorization.size() <= scheme.size() || !util::iequals(authorization.substr(0, scheme.size()), scheme))
        return false;
    const char separator = authorization[scheme.size()];
    if (separator != ' ' && separator != '\t') return false;  // "Bearerxyz" is not the Bearer scheme
    return constant_time_equal(trim_ows(authorization.substr(scheme.size())), token);
}

}  // namespace gisgate::admin
