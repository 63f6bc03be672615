// YAML → Config: reads each section with located errors, fills defaults, then checks what only the whole file
// can tell (pool references, unique names, distinct bind addresses).
#include "config/loader.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <thread>

#include <fmt/format.h>

#include "config/observability_loader.hpp"
#include "config/paths.hpp"
#include "config/tls_reader.hpp"
#include "config/yaml_guard.hpp"
#include "config/yaml_reader.hpp"
#include "util/file.hpp"

namespace gisgate::config {

ConfigError::ConfigError(SourceLoc loc, const std::string& message)
    : std::runtime_error(fmt::format("{}:{}:{}: {}", loc.file, loc.line, loc.column, message)),
      loc_(std::move(loc)),
      message_(message) {}

namespace {

using detail::Field;
using detail::MapFields;
using detail::Reader;

constexpr std::uint64_t kU32Max = std::numeric_limits<std::uint32_t>::max();
constexpr unsigned kMaxWorkers = 256;
constexpr std::uint64_t kMaxConnections = 10'000'000;  // far above any file descriptor limit

std::string located(const SourceLoc& loc) { return fmt::format("{}:{}", loc.line, loc.column); }

// Names end up in metrics labels, log lines and admin API paths, so keep them to a URL- and label-safe set.
bool valid_name(std::string_view name) {
    if (name.empty()) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '-';
    });
}

// An IP literal's bytes, so "::1" and "0:0::1" compare equal; nullopt for host names.
struct IpBytes {
    int family;
    std::array<unsigned char, 16> bytes{};
};
std::optional<IpBytes> ip_bytes(const std::string& host) {
    IpBytes ip{AF_INET};
    if (inet_pton(AF_INET, host.c_str(), ip.bytes.data()) == 1) return ip;
    ip.family = AF_INET6;
    if (inet_pton(AF_INET6, host.c_str(), ip.bytes.data()) == 1) return ip;
    return std::nullopt;
}

// Two binds collide when the OS would refuse the second (or, with SO_REUSEPORT, silently split traffic between
// listeners with different policies): same address and port, or a same-family wildcard on the same port. Port 0
// asks for an ephemeral port, so it never collides. Mixed families are left to the OS (IPV6_V6ONLY decides).
bool binds_collide(const Endpoint& a, const Endpoint& b) {
    if (a.port == 0 || a.port != b.port) return false;
    const auto ia = ip_bytes(a.host);
    const auto ib = ip_bytes(b.host);
    if (!ia || !ib) {
        // Host names are not resolved here; only the same spelling is known to collide.
        return a.host.size() == b.host.size() &&
               std::equal(a.host.begin(), a.host.end(), b.host.begin(), [](char x, char y) {
                   return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
               });
    }
    if (ia->family != ib->family) return false;
    static constexpr std::array<unsigned char, 16> zero{};
    return ia->bytes == ib->bytes || ia->bytes == zero || ib->bytes == zero;
}

class Loader {
public:
    explicit Loader(std::string file) : r_(std::move(file)) {}

    Config load(const YAML::Node& root);

private:
    // Pool timeouts are resolved after the whole file is read, so a top-level `timeouts:` below `pools:` still
    // provides the defaults.
    struct PoolTimeoutOverride {
        std::optional<Duration> connect;
        std::optional<Duration> server;
    };
    struct PoolRef {
        std::string pool;
        SourceLoc loc;  // of the route's (or tcp listener's) `pool:` value
        const char* who = "route";
    };
    struct BindSite {
        std::string what;  // "listener 'public'" / "admin"
        Endpoint bind;
        SourceLoc loc;
    };
    struct NameSite {
        std::string name;
        SourceLoc loc;
    };

    void read_workers(const Field& field);
    void read_access_log(const Field& field);
    void read_log_level(const Field& field);
    void read_admin(const Field& field);
    void read_timeouts(const Field& field);
    void read_redact_params(const Field& field);
    void read_limits(const Field& field);
    void read_listener(const YAML::Node& node);
    ListenerMode read_listener_mode(const Field& field);
    void read_tcp_listener(const MapFields& map, ListenerConfig& listener);
    RouteConfig read_route(const YAML::Node& node, std::vector<NameSite>& prefixes);
    void read_pool(const YAML::Node& node);
    void read_queue(const Field& field, QueueConfig& queue);
    CacheConfig read_cache(const Field& field);
    void read_health(const Field& field, HealthConfig& health);
    PoolTimeoutOverride read_pool_timeouts(const Field& field, const char* what = "pool timeouts");
    ServerConfig read_server(const YAML::Node& node, std::vector<NameSite>& names);
    std::string read_name(const MapFields& map, const char* what, std::vector<NameSite>& seen);
    std::string read_path(const Field& field, PathKind kind);
    void resolve();

    Reader r_;
    Config config_;
    std::vector<PoolTimeoutOverride> pool_overrides_;
    std::vector<PoolRef> pool_refs_;
    std::vector<BindSite> binds_;
    std::vector<NameSite> listener_names_;
    std::vector<NameSite> pool_names_;
    std::vector<detail::AlertPoolRef> alert_pool_refs_;
};

Config Loader::load(const YAML::Node& root) {
    config_.source_file = r_.file();
    if (!root.IsDefined() || root.IsNull()) {
        r_.fail({r_.file(), 1, 1}, "config is empty (expected a map with at least 'listeners' and 'pools')");
    }
    const MapFields top(r_, Field{"config", root, root}, "config",
                        {"workers", "admin", "timeouts", "limits", "access_log", "log_level", "shutdown_grace",
                         "listeners", "pools", "metrics", "history", "alerts", "redact_params"});

    config_.workers = std::clamp(std::thread::hardware_concurrency(), 1u, kMaxWorkers);
    // Sections are read in file order so the first error reported is the first one in the file; nothing here
    // depends on order (pool timeouts are resolved at the end).
    for (const Field& f : top.fields()) {
        if (f.name == "workers") read_workers(f);
        else if (f.name == "admin") read_admin(f);
        else if (f.name == "timeouts") read_timeouts(f);
        else if (f.name == "limits") read_limits(f);
        else if (f.name == "access_log") read_access_log(f);
        else if (f.name == "log_level") read_log_level(f);
        else if (f.name == "shutdown_grace") config_.shutdown_grace = r_.duration(f);
        else if (f.name == "listeners") for (const auto& node : r_.list(f)) read_listener(node);
        else if (f.name == "pools") for (const auto& node : r_.list(f)) read_pool(node);
        else if (f.name == "metrics") detail::read_metrics(r_, f, config_.metrics);
        else if (f.name == "history") detail::read_history(r_, f, config_.history);
        else if (f.name == "alerts") detail::read_alerts(r_, f, config_.alerts, alert_pool_refs_);
        else if (f.name == "redact_params") read_redact_params(f);
    }
    if (config_.listeners.empty()) r_.fail(r_.loc(top.require("listeners")), "at least one listener is required");
    if (config_.pools.empty()) r_.fail(r_.loc(top.require("pools")), "at least one pool is required");

    resolve();
    detail::check_alert_pools(r_, config_, alert_pool_refs_);
    return std::move(config_);
}

void Loader::read_workers(const Field& field) {
    const std::string text = r_.scalar(field, "'auto' or an integer");
    if (text == "auto") return;  // already the resolved core count
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < 1 || value > kMaxWorkers) {
        r_.fail(r_.loc(field),
                fmt::format("'workers' must be 'auto' or an integer from 1 to {}, got '{}'", kMaxWorkers, text));
    }
    config_.workers = value;
}

void Loader::read_access_log(const Field& field) {
    config_.access_log = r_.string(field);
    if (config_.access_log.empty()) r_.fail(r_.loc(field), "'access_log' must be stdout, off or a file path");
}

void Loader::read_log_level(const Field& field) {
    static constexpr std::string_view levels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    config_.log_level = r_.string(field);
    if (std::find(std::begin(levels), std::end(levels), config_.log_level) == std::end(levels)) {
        r_.fail(r_.loc(field),
                fmt::format("'log_level' must be one of: {}, got '{}'", fmt::join(levels, ", "), config_.log_level));
    }
}

void Loader::read_admin(const Field& field) {
    const MapFields map(r_, field, "admin", {"bind", "token", "allow"});
    AdminConfig admin;
    admin.loc = map.loc();
    const Field& bind = map.require("bind");
    admin.bind = r_.endpoint(bind);
    const Field& token = map.require("token");
    admin.token = r_.string(token);
    if (admin.token.empty()) r_.fail(r_.loc(token), "admin 'token' must not be empty");
    if (const Field* allow = map.find("allow")) {
        admin.allow = r_.cidrs(*allow);
    } else {
        // The admin API can drain servers: by default only the local machine may use it.
        admin.allow = {*Cidr::parse("127.0.0.1/32"), *Cidr::parse("::1/128")};
    }
    binds_.push_back({"admin", admin.bind, r_.loc(bind)});
    config_.admin = std::move(admin);
}

void Loader::read_redact_params(const Field& field) {
    for (const auto& item : r_.list(field)) {
        const Field name = r_.item(item, "redact_params");
        std::string text = r_.string(name);
        const bool ok = !text.empty() && std::none_of(text.begin(), text.end(), [](char c) {
            return c == '&' || c == '=' || c == '?' || static_cast<unsigned char>(c) <= ' ';
        });
        if (!ok) r_.fail(r_.loc(name), fmt::format("'redact_params' entries are query parameter names, got '{}'", text));
        for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        config_.redact_params.push_back(std::move(text));
    }
}

void Loader::read_timeouts(const Field& field) {
    const MapFields map(r_, field, "timeouts", {"connect", "header", "idle", "server", "body", "body_min_rate"});
    if (const Field* f = map.find("connect")) config_.timeouts.connect = r_.positive_duration(*f);
    if (const Field* f = map.find("header")) config_.timeouts.header = r_.positive_duration(*f);
    if (const Field* f = map.find("idle")) config_.timeouts.idle = r_.positive_duration(*f);
    if (const Field* f = map.find("server")) config_.timeouts.server = r_.positive_duration(*f);
    if (const Field* f = map.find("body")) config_.timeouts.body = r_.positive_duration(*f);
    if (const Field* f = map.find("body_min_rate")) {
        config_.timeouts.body_min_rate = static_cast<std::uint32_t>(r_.size(*f, 0, kU32Max));
    }
}

void Loader::read_limits(const Field& field) {
    const MapFields map(r_, field, "limits",
                        {"max_request_line", "max_header_size", "max_headers", "max_request_body",
                         "max_connections", "max_connections_per_ip"});
    auto& limits = config_.limits;
    if (const Field* f = map.find("max_request_line")) {
        limits.max_request_line = static_cast<std::uint32_t>(r_.size(*f, 1, kU32Max));
    }
    if (const Field* f = map.find("max_header_size")) {
        limits.max_header_size = static_cast<std::uint32_t>(r_.size(*f, 1, kU32Max));
    }
    if (const Field* f = map.find("max_headers")) {
        limits.max_headers = static_cast<std::uint32_t>(r_.integer(*f, 1, kU32Max));
    }
    if (const Field* f = map.find("max_request_body")) {
        // 2^63-1: the largest body any recipient can count (a larger Content-Length or chunk size is a 400).
        limits.max_request_body = r_.size(*f, 0, std::uint64_t{std::numeric_limits<std::int64_t>::max()});
    }
    if (const Field* f = map.find("max_connections")) {
        limits.max_connections = static_cast<std::uint32_t>(r_.integer(*f, 0, kMaxConnections));
    }
    if (const Field* f = map.find("max_connections_per_ip")) {
        limits.max_connections_per_ip = static_cast<std::uint32_t>(r_.integer(*f, 0, kMaxConnections));
        if (limits.max_connections != 0 && limits.max_connections_per_ip > limits.max_connections) {
            r_.fail(r_.loc(*f), fmt::format("'max_connections_per_ip' ({}) is larger than 'max_connections' ({})",
                                            limits.max_connections_per_ip, limits.max_connections));
        }
    }
}

std::string Loader::read_name(const MapFields& map, const char* what, std::vector<NameSite>& seen) {
    const Field& field = map.require("name");
    std::string name = r_.string(field);
    const SourceLoc at = r_.loc(field);
    if (!valid_name(name)) {
        r_.fail(at, fmt::format("{} name '{}' may only contain letters, digits, '.', '_' and '-'", what, name));
    }
    for (const auto& other : seen) {
        if (other.name == name) {
            r_.fail(at, fmt::format("duplicate {} name '{}' (first defined at {})", what, name, located(other.loc)));
        }
    }
    seen.push_back({name, at});
    return name;
}

std::string Loader::read_path(const Field& field, PathKind kind) {
    const std::string text = r_.string(field);
    std::string error;
    std::string path = normalize_config_path(text, kind, error);
    if (!error.empty()) r_.fail(r_.loc(field), fmt::format("'{}' {}: '{}'", field.name, error, text));
    return path;
}

void Loader::read_listener(const YAML::Node& node) {
    const MapFields map(r_, r_.item(node, "listener"), "listener",
                        {"name", "bind", "deny_paths", "allow", "routes", "mode", "pool", "idle_timeout", "tls",
                         "path_escapes"});
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
    if (const Field* f = map.find("path_escapes")) {
        const std::string text = r_.string(*f);
        if (text == "keep") listener.keep_path_escapes = true;
        else if (text != "reject")
            r_.fail(r_.loc(*f), fmt::format("'path_escapes' must be reject or keep, got '{}'", text));
    }
    if (const Field* f = map.find("allow")) {
        listener.allow = r_.cidrs(*f);  // an explicit empty list admits nobody (a listener kept closed)
    } else {
        listener.allow = {*Cidr::parse("0.0.0.0/0"), *Cidr::parse("::/0")};
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
    }

    binds_.push_back({fmt::format("listener '{}'", listener.name), listener.bind, r_.loc(bind)});
    config_.listeners.push_back(std::move(listener));
}

ListenerMode Loader::read_listener_mode(const Field& field) {
    const std::string text = r_.string(field);
    if (text == "http") return ListenerMode::http;
    if (text == "tcp") return ListenerMode::tcp;
    r_.fail(r_.loc(field), fmt::format("'mode' must be http or tcp, got '{}'", text));
}

// Layer 4: connections are balanced over one pool and relayed unparsed, so path rules and TLS termination do
// not apply (servers that speak TLS terminate it themselves: SSL pass-through).
void Loader::read_tcp_listener(const MapFields& map, ListenerConfig& listener) {
    static constexpr std::pair<const char*, const char*> http_only[] = {
        {"routes", "a 'mode: tcp' listener relays every connection to its 'pool'; it has no routes"},
        {"deny_paths", "a 'mode: tcp' listener does not read paths; 'deny_paths' needs mode: http"},
        {"path_escapes", "a 'mode: tcp' listener does not read paths; 'path_escapes' needs mode: http"},
        {"tls", "a 'mode: tcp' listener relays TLS as it is (the servers terminate it); 'tls' needs mode: http"},
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
    if (const Field* f = map.find("rewrite_location")) {
        const std::string text = r_.string(*f);
        if (text == "off") route.rewrite_location = false;
        else if (text != "auto")
            r_.fail(r_.loc(*f), fmt::format("'rewrite_location' must be auto or off, got '{}'", text));
    }
    const Field& pool = map.require("pool");
    route.pool = r_.string(pool);
    pool_refs_.push_back({route.pool, r_.loc(pool)});
    return route;
}

void Loader::read_pool(const YAML::Node& node) {
    const MapFields map(r_, r_.item(node, "pool"), "pool",
                        {"name", "balance", "max_active_per_server", "queue", "timeouts", "keepalive_per_server",
                         "retries", "health", "job_affinity", "job_table", "expect_identical", "on_drift",
                         "drift_check_every", "discover", "sticky", "sticky_cookie", "cache", "servers", "tls"});
    PoolConfig pool;
    pool.loc = map.loc();
    pool.name = read_name(map, "pool", pool_names_);
    if (const Field* f = map.find("balance")) {
        const std::string text = r_.string(*f);
        if (text == "round_robin") pool.balance = BalanceAlgorithm::round_robin;
        else if (text == "least_conn") pool.balance = BalanceAlgorithm::least_conn;
        else r_.fail(r_.loc(*f), fmt::format("'balance' must be round_robin or least_conn, got '{}'", text));
    }
    if (const Field* f = map.find("max_active_per_server")) {
        pool.max_active_per_server = static_cast<std::uint32_t>(r_.integer(*f, 0, kU32Max));
    }
    if (const Field* f = map.find("queue")) read_queue(*f, pool.queue);
    PoolTimeoutOverride overrides;
    if (const Field* f = map.find("timeouts")) overrides = read_pool_timeouts(*f);
    if (const Field* f = map.find("keepalive_per_server")) {
        pool.keepalive_per_server = static_cast<std::uint32_t>(r_.integer(*f, 0, kU32Max));
    }
    if (const Field* f = map.find("retries")) pool.retries = static_cast<std::uint32_t>(r_.integer(*f, 0, 7));
    if (const Field* f = map.find("health")) read_health(*f, pool.health);
    if (const Field* f = map.find("job_affinity")) pool.job_affinity.enabled = r_.boolean(*f);
    if (const Field* f = map.find("job_table")) {
        const MapFields table(r_, *f, "job_table", {"max", "max_age"});
        if (const Field* m = table.find("max"))
            pool.job_affinity.max_jobs = static_cast<std::uint32_t>(r_.integer(*m, 1, 10'000'000));
        if (const Field* m = table.find("max_age")) pool.job_affinity.max_age = r_.positive_duration(*m);
    }
    if (const Field* f = map.find("expect_identical")) pool.expect_identical = r_.boolean(*f);
    if (const Field* f = map.find("on_drift")) {
        const std::string text = r_.string(*f);
        if (text == "warn") pool.on_drift = OnDrift::warn;
        else if (text == "drain") pool.on_drift = OnDrift::drain;
        else r_.fail(r_.loc(*f), fmt::format("'on_drift' must be warn or drain, got '{}'", text));
    }
    if (const Field* f = map.find("drift_check_every")) pool.drift_check_every = r_.positive_duration(*f);
    if (const Field* f = map.find("discover")) {
        const MapFields discover(r_, *f, "discover", {"every"});
        pool.discover_every = r_.positive_duration(discover.require("every"));
    }
    if (const Field* f = map.find("sticky")) {
        const std::string text = r_.string(*f);
        if (text == "cookie") pool.sticky = Sticky::cookie;
        else if (text == "none") pool.sticky = Sticky::none;
        else r_.fail(r_.loc(*f), fmt::format("'sticky' must be cookie or none, got '{}'", text));
    }
    if (const Field* f = map.find("sticky_cookie")) {
        pool.sticky_cookie = r_.string(*f);
        const bool ok = !pool.sticky_cookie.empty() &&
                        std::all_of(pool.sticky_cookie.begin(), pool.sticky_cookie.end(), [](char c) {
                            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
                        });
        if (!ok) r_.fail(r_.loc(*f), "'sticky_cookie' must be letters, digits, '_' or '-'");
    }
    if (const Field* f = map.find("cache")) pool.cache = read_cache(*f);
    if (const Field* f = map.find("tls")) pool.tls = detail::read_upstream_tls(r_, *f);
    const Field& servers = map.require("servers");
    std::vector<NameSite> names;
    for (const auto& item : r_.list(servers)) pool.servers.push_back(read_server(item, names));
    if (pool.servers.empty()) r_.fail(r_.loc(servers), fmt::format("pool '{}' needs at least one server", pool.name));

    config_.pools.push_back(std::move(pool));
    pool_overrides_.push_back(overrides);
}

CacheConfig Loader::read_cache(const Field& field) {
    const MapFields map(r_, field, "cache",
                        {"memory", "max_object", "paths", "allow_authorized", "allow_token", "bypass_cookies"});
    CacheConfig cache;
    cache.loc = map.loc();
    if (const Field* f = map.find("memory")) cache.memory = r_.size(*f, 1 << 20, 1ull << 40);
    if (const Field* f = map.find("max_object")) cache.max_object = r_.size(*f, 1024, 1ull << 32);
    if (cache.max_object > cache.memory) {
        const Field* f = map.find("max_object");
        r_.fail(f ? r_.loc(*f) : map.loc(), "'max_object' must not be larger than the cache's 'memory'");
    }
    const Field& paths = map.require("paths");
    for (const auto& item : r_.list(paths)) {
        std::string glob = r_.string(r_.item(item, "path"));
        if (glob.empty() || glob.find_first_of(" \t?#") != std::string::npos)
            r_.fail(r_.loc(item), fmt::format("cache path '{}' must be a path glob without spaces, '?' or '#'", glob));
        cache.paths.push_back(std::move(glob));
    }
    if (cache.paths.empty()) r_.fail(r_.loc(paths), "'paths' needs at least one glob such as \"*/MapServer/tile/*\"");
    if (const Field* f = map.find("allow_authorized")) cache.allow_authorized = r_.boolean(*f);
    if (const Field* f = map.find("allow_token")) cache.allow_token = r_.boolean(*f);
    if (const Field* f = map.find("bypass_cookies")) {
        if (f->value.IsScalar()) {
            if (r_.string(*f) != "all")
                r_.fail(r_.loc(*f), "'bypass_cookies' is a list of cookie names or 'all'");
            cache.bypass_all_cookies = true;
        } else {
            cache.bypass_cookies.clear();
            for (const auto& item : r_.list(*f)) {
                std::string name = r_.string(r_.item(item, "bypass_cookies"));
                if (name.empty() || name.find_first_of(" \t;=,") != std::string::npos)
                    r_.fail(r_.loc(item), fmt::format("'bypass_cookies' entries are cookie names, got '{}'", name));
                for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                cache.bypass_cookies.push_back(std::move(name));
            }
        }
    }
    return cache;
}

void Loader::read_queue(const Field& field, QueueConfig& queue) {
    const MapFields map(r_, field, "queue", {"max", "timeout"});
    if (const Field* f = map.find("max")) queue.max = static_cast<std::uint32_t>(r_.integer(*f, 0, kU32Max));
    if (const Field* f = map.find("timeout")) queue.timeout = r_.positive_duration(*f);
}

void Loader::read_health(const Field& field, HealthConfig& health) {
    const MapFields map(r_, field, "health",
                        {"enabled", "path", "interval", "timeout", "fall", "rise", "expect_status", "expect_body",
                         "type"});
    if (const Field* f = map.find("enabled")) health.enabled = r_.boolean(*f);
    if (const Field* f = map.find("path")) {
        health.path = r_.string(*f);
        const bool ok = !health.path.empty() && health.path[0] == '/' &&
                        std::all_of(health.path.begin(), health.path.end(),
                                    [](char c) { return c > ' ' && c < 0x7f; });
        if (!ok) r_.fail(r_.loc(*f), fmt::format("health 'path' must start with '/' and contain no spaces, got '{}'",
                                                 health.path));
    }
    if (const Field* f = map.find("interval")) health.interval = r_.positive_duration(*f);
    if (const Field* f = map.find("timeout")) health.timeout = r_.positive_duration(*f);
    if (const Field* f = map.find("fall")) health.fall = static_cast<std::uint32_t>(r_.integer(*f, 1, 100));
    if (const Field* f = map.find("rise")) health.rise = static_cast<std::uint32_t>(r_.integer(*f, 1, 100));
    if (const Field* f = map.find("expect_status")) health.expect_status = static_cast<int>(r_.integer(*f, 100, 599));
    if (const Field* f = map.find("expect_body")) health.expect_body = r_.string(*f);
    if (const Field* f = map.find("type")) {
        const std::string text = r_.string(*f);
        if (text == "http") health.type = HealthCheckType::http;
        else if (text == "tcp") health.type = HealthCheckType::tcp;
        else r_.fail(r_.loc(*f), fmt::format("health 'type' must be http or tcp, got '{}'", text));
    }
}

Loader::PoolTimeoutOverride Loader::read_pool_timeouts(const Field& field, const char* what) {
    const MapFields map(r_, field, what, {"connect", "server"},
                        "; header and idle are client-side and only set in the top-level timeouts");
    PoolTimeoutOverride out;
    if (const Field* f = map.find("connect")) out.connect = r_.positive_duration(*f);
    if (const Field* f = map.find("server")) out.server = r_.positive_duration(*f);
    return out;
}

ServerConfig Loader::read_server(const YAML::Node& node, std::vector<NameSite>& names) {
    const MapFields map(r_, r_.item(node, "server"), "server", {"name", "address", "weight", "backup"});
    ServerConfig server;
    server.loc = map.loc();
    server.name = read_name(map, "server", names);
    const Field& address = map.require("address");
    server.address = r_.endpoint(address);
    if (server.address.port == 0) r_.fail(r_.loc(address), "server 'address' needs a port other than 0");
    if (const Field* f = map.find("weight")) server.weight = static_cast<std::uint32_t>(r_.integer(*f, 0, 1000));
    if (const Field* f = map.find("backup")) server.backup = r_.boolean(*f);
    return server;
}

void Loader::resolve() {
    for (std::size_t i = 0; i < config_.pools.size(); ++i) {
        auto& timeouts = config_.pools[i].timeouts;
        timeouts = config_.timeouts;  // header/idle are copied too so a pool's Timeouts is complete
        if (pool_overrides_[i].connect) timeouts.connect = *pool_overrides_[i].connect;
        if (pool_overrides_[i].server) timeouts.server = *pool_overrides_[i].server;
    }

    for (const auto& ref : pool_refs_) {
        if (config_.find_pool(ref.pool)) continue;
        std::vector<std::string_view> known;
        for (const auto& pool : config_.pools) known.push_back(pool.name);
        r_.fail(ref.loc, fmt::format("{} refers to undefined pool '{}' (defined pools: {})", ref.who, ref.pool,
                                     fmt::join(known, ", ")));
    }

    // binds_ is in file order; report the later of each colliding pair, at its own `bind:`.
    for (std::size_t i = 0; i < binds_.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (binds_collide(binds_[i].bind, binds_[j].bind)) {
                r_.fail(binds_[i].loc, fmt::format("bind address {} conflicts with {} ({} at {})",
                                                   binds_[i].bind.to_string(), binds_[j].what,
                                                   binds_[j].bind.to_string(), located(binds_[j].loc)));
            }
        }
    }
}

Config parse(const std::string& text, const std::string& name) {
    reject_control_characters(text, name);
    YAML::Node root;
    try {
        root = load_single_document(text, name);  // not YAML::LoadAll: see yaml_guard.hpp
    } catch (const YAML::Exception& e) {
        // Syntax errors carry a 0-based mark; report it like our own errors so editors can jump to it.
        const bool known = !e.mark.is_null() && e.mark.line >= 0;
        throw ConfigError({name, known ? e.mark.line + 1 : 0, known ? e.mark.column + 1 : 0}, e.msg);
    }
    Loader loader(name);
    return loader.load(root);
}

}  // namespace

Config load_string(const std::string& yaml_text, const std::string& name) { return parse(yaml_text, name); }

Config load_file(const std::string& path) {
    std::string error;
    const auto text = util::read_file(path, error);
    if (!text) throw ConfigError({path, 0, 0}, fmt::format("cannot read file: {}", error));
    return parse(*text, path);
}

}  // namespace gisgate::config
