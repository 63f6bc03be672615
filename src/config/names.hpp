// Names of listeners, pools, servers and alert rules end up in metrics labels, log lines and admin API paths,
// so they are kept to a URL- and label-safe set. One rule for the config file and the runtime admin API.
#pragma once

#include <cstddef>
#include <string_view>

namespace gisgate::config {

inline constexpr std::size_t kMaxNameLength = 64;
// For error messages: "<what> name 'x' " + kNameRule.
inline constexpr const char* kNameRule = "may only contain letters, digits, '.', '_' and '-' (1 to 64 of them)";

constexpr bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxNameLength) return false;
    for (const char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return false;
    return true;
}

}  // namespace gisgate::config
