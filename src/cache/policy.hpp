// What may be cached (RFC 9111, for a shared cache in front of GIS servers): which requests may be answered
// from the cache and which responses may be kept, for how long, and with which validators. Pure functions over
// parsed heads, so every rule is unit-tested without sockets.
#pragma once

#include <cstdint>
#include <string_view>

#include "config/config.hpp"
#include "http/request_head.hpp"
#include "http/response_head.hpp"

namespace gisgate::cache {

// Case-insensitive glob on a path where '*' matches any run of characters, '/' included, so
// "*/MapServer/tile/*" matches "/arcgis/rest/services/World/MapServer/tile/3/2/1".
bool path_glob_match(std::string_view glob, std::string_view path);
bool path_matches_any(const config::CacheConfig& config, std::string_view path);

enum class RequestUse : std::uint8_t {
    bypass,   // never answered from nor stored in the cache (method, credentials, no-store)
    lookup,   // may be answered from the cache; a fetched response may be stored
    reload,   // the client asked for an end-to-end reload (no-cache): fetch, then store the fresh answer
};

// `head` is the client's request; `query` its query string (a `token` parameter is a credential).
RequestUse request_use(const http::RequestHead& head, const config::CacheConfig& config);

// True when the query string has a `token` parameter (ArcGIS tokens ride in the query as well as in headers).
bool query_has_token(std::string_view query);

struct ResponsePolicy {
    bool storable = false;
    std::int64_t fresh_for = 0;      // seconds the response may be served without asking the server again
    std::string_view etag;           // validators, for revalidation with If-None-Match / If-Modified-Since
    std::string_view last_modified;
    bool gzip_variant = false;       // Vary: Accept-Encoding — the entry is kept per encoding class
};

// `now` is the current Unix time (for Expires). Storable: 200 with explicit freshness (s-maxage, max-age,
// Expires) or a validator, without private/no-store/Set-Cookie, and with no Vary but Accept-Encoding.
ResponsePolicy response_policy(const http::ResponseHead& response, std::int64_t now);

// Parses an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"); -1 when malformed.
std::int64_t parse_http_date(std::string_view text);
// Formats Unix time as an IMF-fixdate into `out` (29 characters).
void format_http_date(std::int64_t unix_time, char (&out)[30]);

// True when the request's validators match the entry's (a 304 may be sent instead of the body).
bool not_modified(const http::RequestHead& request, std::string_view etag, std::string_view last_modified);

// The Accept-Encoding class of a request: true when it accepts gzip (the key of a gzip_variant entry).
bool accepts_gzip(const http::RequestHead& request);

}  // namespace gisgate::cache
