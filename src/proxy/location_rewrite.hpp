// Redirects and links follow the public URL (NGINX's default `proxy_redirect`, Apache's ProxyPassReverse):
// with a route `{ prefix: /server, rewrite: /arcgis }`, a server's `Location: http://gis01:6080/arcgis/rest/services`
// reaches the client as `Location: https://gis.example.com/server/rest/services`. Applied to Location,
// Content-Location and the URL of Refresh, when the route has `rewrite_location: auto` (the default).
#pragma once

#include <string>
#include <string_view>

namespace gisgate::proxy {

struct LocationRewrite {
    std::string_view upstream_prefix;   // the route's `rewrite` ("/arcgis"); empty: the path is not rewritten
    std::string_view client_prefix;     // the route's `prefix` ("/server")
    std::string_view server_authority;  // the server's address as written in the config ("gis01:6080")
    std::string_view upstream_host;     // the route's `host` sent upstream, if any ("gis.internal")
    std::string_view client_host;       // the client's Host ("gis.example.com")
    std::string_view client_scheme;     // "http" or "https"
};

// Writes the client's view of `value` (an absolute URL or an absolute path) into `out` and returns true when
// it points at the server's own host or context; false (value unchanged) for anything else.
bool rewrite_location(std::string_view value, const LocationRewrite& r, std::string& out);

// The same for a Refresh value ("5; url=http://..."): only its URL part is rewritten.
bool rewrite_refresh(std::string_view value, const LocationRewrite& r, std::string& out);

}  // namespace gisgate::proxy
