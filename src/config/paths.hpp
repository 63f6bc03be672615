// Internal to config/: checks and normalises the URL paths written in the config (route prefixes, rewrites,
// deny_paths) into the form the proxy compares against http::NormalizedPath::match.
#pragma once

#include <string>
#include <string_view>

namespace gisgate::config {

enum class PathKind {
    route,    // route `prefix`: trailing '/' dropped (matching is per segment anyway)
    rewrite,  // route `rewrite`: trailing '/' dropped so "/a/" + "/rest" does not become "/a//rest"
    deny,     // deny_paths: lower-cased, trailing '/' kept (plain prefix match, "/x/" is narrower than "/x")
};

// Returns the normalised path, or sets `error` to a message fragment ("must start with '/'").
std::string normalize_config_path(std::string_view text, PathKind kind, std::string& error);

// ASCII case-insensitive equality, as the proxy compares paths.
bool iequals_path(std::string_view a, std::string_view b);

}  // namespace gisgate::config
