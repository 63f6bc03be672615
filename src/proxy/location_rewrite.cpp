#include "proxy/location_rewrite.hpp"

#include "util/ascii.hpp"

namespace gisgate::proxy {
namespace {

using util::iequals;
using util::istarts_with;

// `path` with the route's upstream prefix turned back into its client prefix; false when it is not under it.
bool map_path(std::string_view path, const LocationRewrite& r, std::string& out) {
    if (r.upstream_prefix.empty()) return false;
    const std::string_view up = r.upstream_prefix == "/" ? std::string_view{} : r.upstream_prefix;
    if (!istarts_with(path, up)) return false;
    const std::string_view rest = path.substr(up.size());
    if (!rest.empty() && rest.front() != '/' && rest.front() != '?' && rest.front() != '#') return false;  // "/arcgisx"
    const std::string_view client = r.client_prefix == "/" ? std::string_view{} : r.client_prefix;
    out.append(client);
    if (client.empty() && (rest.empty() || rest.front() != '/')) out.push_back('/');
    out.append(rest);
    return true;
}

}  // namespace

bool rewrite_location(std::string_view value, const LocationRewrite& r, std::string& out) {
    out.clear();
    std::string_view scheme_sep;
    if (istarts_with(value, "http://")) scheme_sep = value.substr(0, 7);
    else if (istarts_with(value, "https://")) scheme_sep = value.substr(0, 8);
    if (!scheme_sep.empty()) {
        const std::string_view rest = value.substr(scheme_sep.size());
        const std::size_t slash = rest.find_first_of("/?#");
        const std::string_view authority = rest.substr(0, slash);
        const std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
        const bool server_host = iequals(authority, r.server_authority) ||
                                 (!r.upstream_host.empty() && iequals(authority, r.upstream_host));
        const bool client_host = !r.client_host.empty() && iequals(authority, r.client_host);
        if (!server_host && !client_host) return false;  // another site: not ours to change
        std::string mapped;
        const bool path_mapped = map_path(path.empty() ? "/" : path, r, mapped);
        if (!server_host && !path_mapped) return false;
        if (r.client_host.empty()) return false;  // an HTTP/1.0 client without Host: nothing to point at
        out.append(server_host ? r.client_scheme : scheme_sep.substr(0, scheme_sep.size() - 3));
        out.append("://").append(r.client_host);
        out.append(path_mapped ? std::string_view(mapped) : path);
        return true;
    }
    if (value.size() >= 1 && value.front() == '/' && (value.size() == 1 || value[1] != '/')) return map_path(value, r, out);
    return false;
}

bool rewrite_refresh(std::string_view value, const LocationRewrite& r, std::string& out) {
    // "<seconds>; url=<URL>" (the URL may be quoted).
    std::size_t at = std::string_view::npos;
    for (std::size_t i = 0; i + 4 <= value.size(); ++i)
        if (iequals(value.substr(i, 4), "url=")) {
            at = i + 4;
            break;
        }
    if (at == std::string_view::npos) return false;
    std::string_view url = value.substr(at);
    const bool quoted = !url.empty() && (url.front() == '\'' || url.front() == '"');
    if (quoted) url = url.substr(1, url.size() >= 2 && url.back() == url.front() ? url.size() - 2 : url.size() - 1);
    std::string mapped;
    if (!rewrite_location(url, r, mapped)) return false;
    out.assign(value.substr(0, at));
    if (quoted) out.push_back(value[at]);
    out.append(mapped);
    if (quoted) out.push_back(value[at]);
    return true;
}

}  // namespace gisgate::proxy
