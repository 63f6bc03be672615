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

enum class PathError {
    none,
    not_absolute,
    bad_escape,
    nul_byte,
    bad_character,
    above_root,         // a ".." that climbs above "/"
    // Ambiguous spellings (refused unless the listener says `path_escapes: keep`): servers and proxies read
    // them differently, which is how deny rules get bypassed (Tomcat reads "/..;/" as "/../"; IIS reads '\'
    // as '/'; a second decoding turns "%252e" into ".").
    encoded_separator,  // %2F or %5C
    backslash,          // a raw '\'
    dot_parameter,      // a ';' parameter on a "." or ".." segment ("..;", "%2e%2e;x", "..%3B")
    double_escape,      // "%25" followed by two hex digits
};

// `raw` is the path part of an origin-form target (no query). Reuses the strings' capacity in `out`.
// `keep_escapes` (listener `path_escapes: keep`) lets the ambiguous spellings through: they are forwarded as
// sent and the match form reads them the way the server may (separators, parameters cut, dots resolved).
PathError normalize_path(std::string_view raw, NormalizedPath& out, bool keep_escapes = false);

const char* to_string(PathError error);

// True when `path` starts with `prefix` (case-insensitive) and the prefix ends at a segment boundary:
// "/arcgis" matches "/arcgis", "/arcgis/", "/arcgis/rest" but not "/arcgisx". `prefix` "/" matches all.
bool has_segment_prefix(std::string_view path, std::string_view prefix);

// Plain case-insensitive prefix test (deny_paths: "/arcgis/admin" also denies "/arcgis/administrator").
bool has_prefix_icase(std::string_view text, std::string_view prefix);

// `text` as one path segment: every byte but the unreserved ones (letters, digits, - . _ ~) as %XX, so a name
// cannot change the path it is put in ("a/b" → "a%2Fb"). For the admin API paths gisgate builds as a client.
std::string encode_path_segment(std::string_view text);

}  // namespace gisgate::http
