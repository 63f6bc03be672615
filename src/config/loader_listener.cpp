// Listeners and their routes.
#include "config/loader_impl.hpp"

#include <algorithm>

#include "config/enum_names.hpp"
#include "config/names.hpp"
#include "config/tls_reader.hpp"

namespace gisgate::config::detail {

void Loader::read_listener(const YAML::Node& node) {
    const MapFields map(r_, r_.item(node, "listener"), "listener",
                        {"name", "bind", "deny_paths", "allow", "routes", "mode", "pool", "idle_timeout", "tls",
                         "path_escapes", "proxy_protocol", "trusted_proxies", "http2", "h2c"});
    ListenerConfig listener;
    listener.loc = map.loc();
    listener.name = read_name(map, "listener", listener_names_);
    const Field& bind = map.require("bind");
    listener.bind = r_.endpoint(bind);
    if (const Field* f = map.find("mode")) listener.mode = read_listener_mode(*f);
    if (const Field* f = map.find("deny_paths")) {
        for (const auto& item : r_.list(*f)) {
            listener.deny_paths.push_back(read_path(r_.item(item, "deny_paths"), PathKind::deny));
        }
    }
    if (const Field* f = map.find("path_escapes")) listener.keep_path_escapes = r_.choice(*f, kPathEscapesNames);
    if (const Field* f = map.find("allow")) {
        listener.allow = r_.cidrs(*f);  // an explicit empty list admits nobody (a listener kept closed)
    } else {
        listener.allow = {*Cidr::parse("0.0.0.0/0"), *Cidr::parse("::/0")};
    }
    if (const Field* f = map.find("proxy_protocol")) {
        const MapFields pp(r_, *f, "proxy_protocol", {"accept", "from"});
        const bool accept = pp.find("accept") ? r_.boolean(*pp.find("accept")) : true;
        if (accept) {
            // Whom to believe must be said: a header from anyone would let any client pick its own address.
            const Field& from = pp.require("from");
            listener.proxy_protocol_from = r_.cidrs(from);
            if (listener.proxy_protocol_from.empty())
                r_.fail(r_.loc(from), "'proxy_protocol.from' lists the balancers allowed to send a PROXY header");
        }
    }
    if (listener.mode == ListenerMode::tcp) {
        read_tcp_listener(map, listener);
    } else {
        for (const char* key : {"pool", "idle_timeout"})
            if (const Field* f = map.find(key))
                r_.fail(r_.loc(f->key), fmt::format("'{}' is only for 'mode: tcp' listeners (HTTP listeners use "
                                                    "'routes' and timeouts.idle)",
                                                    key));
        const Field& routes = map.require("routes");
        std::vector<NameSite> prefixes;
        for (const auto& item : r_.list(routes)) listener.routes.push_back(read_route(item, prefixes));
        // A listener without routes could only answer 404; that is a mistake, not a configuration.
        if (listener.routes.empty()) r_.fail(r_.loc(routes), "listener needs at least one route");
        if (const Field* f = map.find("tls")) listener.tls = detail::read_listener_tls(r_, *f);
        if (const Field* f = map.find("http2")) {
            listener.http2 = r_.boolean(*f);
            if (!listener.tls)
                r_.fail(r_.loc(f->key), "'http2' is negotiated in the TLS handshake (ALPN) and needs 'tls'; a "
                                        "plaintext listener takes HTTP/2 with 'h2c: true'");
        }
        if (const Field* f = map.find("h2c")) {
            listener.h2c = r_.boolean(*f);
            if (listener.tls && listener.h2c)
                r_.fail(r_.loc(f->key), "'h2c' is HTTP/2 over plaintext; a TLS listener offers HTTP/2 with 'http2'");
        }
        if (const Field* f = map.find("trusted_proxies")) listener.trusted_proxies = r_.cidrs(*f);
    }

    binds_.push_back({fmt::format("listener '{}'", listener.name), listener.bind, r_.loc(bind)});
    config_.listeners.push_back(std::move(listener));
}

ListenerMode Loader::read_listener_mode(const Field& field) { return r_.choice(field, kListenerModeNames); }

// Layer 4: connections are balanced over one pool and relayed unparsed, so path rules and TLS termination do
// not apply (servers that speak TLS terminate it themselves: SSL pass-through).
void Loader::read_tcp_listener(const MapFields& map, ListenerConfig& listener) {
    static constexpr std::pair<const char*, const char*> http_only[] = {
        {"routes", "a 'mode: tcp' listener relays every connection to its 'pool'; it has no routes"},
        {"deny_paths", "a 'mode: tcp' listener does not read paths; 'deny_paths' needs mode: http"},
        {"path_escapes", "a 'mode: tcp' listener does not read paths; 'path_escapes' needs mode: http"},
        {"trusted_proxies", "a 'mode: tcp' listener does not read headers; 'trusted_proxies' needs mode: http"},
        {"tls", "a 'mode: tcp' listener relays TLS as it is (the servers terminate it); 'tls' needs mode: http"},
        {"http2", "a 'mode: tcp' listener relays bytes as they are; 'http2' needs mode: http"},
        {"h2c", "a 'mode: tcp' listener relays bytes as they are; 'h2c' needs mode: http"},
    };
    for (const auto& [key, why] : http_only)
        if (const Field* f = map.find(key)) r_.fail(r_.loc(f->key), why);
    const Field& pool = map.require("pool");
    listener.pool = r_.string(pool);
    pool_refs_.push_back({listener.pool, r_.loc(pool), "tcp listener"});
    if (const Field* f = map.find("idle_timeout")) listener.idle_timeout = r_.positive_duration(*f);
}

RouteConfig Loader::read_route(const YAML::Node& node, std::vector<NameSite>& prefixes) {
    const MapFields map(r_, r_.item(node, "route"), "route",
                        {"prefix", "services", "rewrite", "host", "pool", "discover", "timeouts", "retries",
                         "retry_on_timeout", "rewrite_location"});
    RouteConfig route;
    route.loc = map.loc();
    if (const Field* f = map.find("services")) {
        for (const auto& item : r_.list(*f)) {
            const Field glob = r_.item(item, "services");
            std::string text = r_.string(glob);
            // folder/service names are letters, digits and underscores; '*' matches within one part.
            const bool ok = !text.empty() && text.front() != '/' && text.back() != '/' &&
                            std::count(text.begin(), text.end(), '/') <= 1 &&
                            std::all_of(text.begin(), text.end(), [](char c) {
                                return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '*' ||
                                       c == '/' || c == '-' || c == '.';
                            });
            if (!ok)
                r_.fail(r_.loc(glob), fmt::format("'services' entries are globs on folder/service such as "
                                                  "'Geocode/*' or 'SampleWorldCities', got '{}'", text));
            route.services.push_back(std::move(text));
        }
        if (route.services.empty()) r_.fail(r_.loc(*f), "'services' needs at least one glob");
    }
    const Field* prefix = map.find("prefix");
    if (!prefix && route.services.empty())
        r_.fail(map.loc(), "a route needs a 'prefix' or a 'services' list");
    if (prefix) {
        route.prefix = read_path(*prefix, PathKind::route);
        // Prefix routes match on whole segments, case-insensitively: a second one with the same prefix is
        // unreachable. (A services route with a prefix narrows it, so it may repeat one.)
        if (route.services.empty()) {
            for (const auto& other : prefixes) {
                if (iequals_path(other.name, route.prefix)) {
                    r_.fail(r_.loc(*prefix), fmt::format("duplicate route prefix '{}' (first defined at {})",
                                                         route.prefix, located(other.loc)));
                }
            }
            prefixes.push_back({route.prefix, r_.loc(*prefix)});
        }
    }
    if (const Field* f = map.find("discover")) {
        const MapFields discover(r_, *f, "discover", {"every"});
        route.discover_every = r_.positive_duration(discover.require("every"));
    }
    if (const Field* f = map.find("rewrite")) route.rewrite = read_path(*f, PathKind::rewrite);
    if (const Field* f = map.find("host")) {
        std::string host = r_.string(*f);
        // It is sent as a header value: anything outside visible ASCII could split or smuggle headers.
        const bool ok = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
            return c > ' ' && c < 0x7f && c != '/';
        });
        if (!ok) r_.fail(r_.loc(*f), fmt::format("'host' must be a host name or host:port, got '{}'", host));
        route.host = std::move(host);
    }
    if (const Field* f = map.find("timeouts")) {
        const PoolTimeoutOverride t = read_pool_timeouts(*f, "route timeouts");
        route.connect_timeout = t.connect;
        route.server_timeout = t.server;
    }
    if (const Field* f = map.find("retries")) route.retries = static_cast<std::uint32_t>(r_.integer(*f, 0, 7));
    if (const Field* f = map.find("retry_on_timeout")) route.retry_on_timeout = r_.boolean(*f);
    if (const Field* f = map.find("rewrite_location")) route.rewrite_location = r_.choice(*f, kRewriteLocationNames);
    const Field& pool = map.require("pool");
    route.pool = r_.string(pool);
    pool_refs_.push_back({route.pool, r_.loc(pool)});
    return route;
}

}  // namespace gisgate::config::detail
