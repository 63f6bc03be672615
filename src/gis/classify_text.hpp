// ASCII case-insensitive comparisons for path classification and service globs. URL words and ArcGIS names
// are ASCII; locale-aware folding would be slower and could fold bytes of UTF-8 names differently per host.
#pragma once

#include <cstddef>
#include <string_view>

namespace gisgate::gis {

constexpr char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    }
    return true;
}

constexpr bool iends_with(std::string_view s, std::string_view suffix) noexcept {
    return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

}  // namespace gisgate::gis
