// Path normalisation, done once per request: the proxy matches deny_paths and routes on the normalised form
// and forwards that same form, so the server cannot see a different path than the one gisgate judged.
#pragma once

#include <string>
#include <string_view>

namespace gisgate::http {

struct NormalizedPath {
    // What is forwarded: percent-escapes of unreserved characters decoded (%61 → a), other escapes kept with
    // upper-case hex, "//" merged, "." and ".." segments resolved (never above the root).
    std::string forward;
    // What policy matches on: `forward` with every escape decoded (%2F → /) and then dot-segments and
    // slashes normalised again, in lower case. Used only for comparisons.
    std::string match;
};

enum class PathError { none, not_absolute, bad_escape, nul_byte, bad_character };

// `raw` is the path part of an origin-form target (no query). Reuses the strings' capacity in `out`.
PathError normalize_path(std::string_view raw, NormalizedPath& out);

const char* to_string(PathError error);

// True when `path` starts with `prefix` (case-insensitive) and the prefix ends at a segment boundary:
// "/arcgis" matches "/arcgis", "/arcgis/", "/arcgis/rest" but not "/arcgisx". `prefix` "/" matches all.
bool has_segment_prefix(std::string_view path, std::string_view prefix);

// Plain case-insensitive prefix test (deny_paths: "/arcgis/admin" also denies "/arcgis/administrator").
bool has_prefix_icase(std::string_view text, std::string_view prefix);

}  // namespace gisgate::http
