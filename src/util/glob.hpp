// Case-insensitive '*' globs, shared by cache paths ("*/MapServer/tile/*") and service names ("Geocode/*")
// (header-only, no dependencies).
#pragma once

#include <cstddef>
#include <string_view>

#include "util/ascii.hpp"

namespace gisgate::util {

// True when `pattern` matches all of `text`; '*' matches any run of characters ('/' included), everything else
// one character, ASCII case ignored. Greedy with one backtrack point: linear for one star, at worst quadratic,
// never recursive.
constexpr bool iglob_match(std::string_view pattern, std::string_view text) noexcept {
    std::size_t p = 0, t = 0;
    std::size_t star = std::string_view::npos, star_t = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            star_t = t;
        } else if (p < pattern.size() && ascii_lower(pattern[p]) == ascii_lower(text[t])) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++star_t;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

}  // namespace gisgate::util
