// YAML → Config: reads each section with located errors, fills defaults, then checks what only the whole file
// can tell (pool references, unique names, distinct bind addresses).
#include "config/loader.hpp"
#include "config/loader_impl.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <thread>

#include <fmt/format.h>

#include "config/enum_names.hpp"
#include "config/observability_loader.hpp"
#include "config/names.hpp"
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

constexpr unsigned kMaxWorkers = 256;
constexpr std::uint64_t kMaxConnections = 10'000'000;  // far above any file descriptor limit

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


}  // namespace

namespace detail {

Config Loader::load(const YAML::Node& root) {
    config_.source_file = r_.file();
    if (!root.IsDefined() || root.IsNull()) {
        r_.fail({r_.file(), 1, 1}, "config is empty (expected a map with at least 'listeners' and 'pools')");
    }
    const MapFields top(r_, Field{"config", root, root}, "config",
                        {"workers", "admin", "timeouts", "limits", "access_log", "log_level", "shutdown_grace",
                         "listeners", "pools", "metrics", "history", "alerts", "redact_params", "tracing",
                         "cluster"});

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
        else if (f.name == "tracing") read_tracing(f);
        else if (f.name == "cluster") read_cluster(f);
    }
    if (config_.listeners.empty()) r_.fail(r_.loc(top.require("listeners")), "at least one listener is required");
    if (config_.pools.empty()) r_.fail(r_.loc(top.require("pools")), "at least one pool is required");

    // Peers sync through each other's admin API with the shared admin token.
    if (config_.cluster && !config_.admin)
        r_.fail(config_.cluster->loc, "'cluster' needs an 'admin' section with a token (peers sync through the admin API)");
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

// `access_log: PATH` (stdout, stderr, off or a file) or `access_log: { path: PATH, format: text | json }`.
void Loader::read_access_log(const Field& field) {
    const Field* path = &field;
    std::optional<MapFields> map;
    if (field.value.IsMap()) {
        map.emplace(r_, field, "access_log", std::initializer_list<std::string_view>{"path", "format"});
        path = map->find("path");
        if (const Field* f = map->find("format")) config_.access_log_format = r_.choice(*f, kAccessLogFormatNames, "access_log ");
        if (!path) return;  // the format alone: stdout, as without the key
    }
    config_.access_log = r_.string(*path);
    if (config_.access_log.empty())
        r_.fail(r_.loc(*path), "'access_log' must be stdout, stderr, off or a file path");
}

// `tracing: { request_id: HEADER | off, traceparent: create | propagate }`
void Loader::read_tracing(const Field& field) {
    const MapFields map(r_, field, "tracing", {"request_id", "traceparent"});
    if (const Field* f = map.find("request_id")) {
        std::string name = r_.string(*f);
        const bool token = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
        });
        if (name == "off") name.clear();
        else if (!token)
            r_.fail(r_.loc(*f), fmt::format("tracing 'request_id' must be a header name or off, got '{}'", name));
        config_.tracing.request_id_header = std::move(name);
    }
    if (const Field* f = map.find("traceparent")) {
        config_.tracing.create_traceparent = r_.choice(*f, kTraceparentNames, "tracing ");
    }
}

void Loader::read_log_level(const Field& field) {
    static constexpr std::string_view levels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    config_.log_level = r_.string(field);
    if (std::find(std::begin(levels), std::end(levels), config_.log_level) == std::end(levels)) {
        r_.fail(r_.loc(field),
                fmt::format("'log_level' must be one of: {}, got '{}'", fmt::join(levels, ", "), config_.log_level));
    }
}

namespace {
// "http(s)://host[:port]/.../MapServer": something the page can put in its CSP and fetch tiles under.
bool is_map_service_url(const std::string& url) {
    const auto scheme = url.find("://");
    if (scheme == std::string::npos || (url.compare(0, scheme, "http") != 0 && url.compare(0, scheme, "https") != 0))
        return false;
    const auto path = url.find('/', scheme + 3);
    if (path == std::string::npos || path == scheme + 3)
        return false;
    const bool clean = std::none_of(url.begin(), url.end(), [](char c) {
        return static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '\'' || c == ';' || c == '?' || c == '#';
    });
    const std::string tail = "/MapServer";
    return clean && url.size() > tail.size() && url.compare(url.size() - tail.size(), tail.size(), tail) == 0;
}
}  // namespace

void Loader::read_admin(const Field& field) {
    const MapFields map(r_, field, "admin", {"bind", "token", "allow", "map", "rollout_hooks"});
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
    if (const Field* map_url = map.find("map")) {
        admin.map_url = r_.string(*map_url);
        while (!admin.map_url.empty() && admin.map_url.back() == '/') admin.map_url.pop_back();
        if (!is_map_service_url(admin.map_url))
            r_.fail(r_.loc(*map_url), fmt::format("admin 'map' must be the http:// or https:// URL of a MapServer "
                                                  "(http://host:port/.../MapServer), got '{}'",
                                                  admin.map_url));
    }
    if (const Field* hooks = map.find("rollout_hooks")) admin.rollout_hooks = r_.boolean(*hooks);
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
    const MapFields map(r_, field, "timeouts", {"connect", "header", "idle", "server", "body", "body_min_rate", "tunnel"});
    if (const Field* f = map.find("connect")) config_.timeouts.connect = r_.positive_duration(*f);
    if (const Field* f = map.find("header")) config_.timeouts.header = r_.positive_duration(*f);
    if (const Field* f = map.find("idle")) config_.timeouts.idle = r_.positive_duration(*f);
    if (const Field* f = map.find("server")) config_.timeouts.server = r_.positive_duration(*f);
    if (const Field* f = map.find("body")) config_.timeouts.body = r_.positive_duration(*f);
    if (const Field* f = map.find("tunnel")) config_.timeouts.tunnel = r_.positive_duration(*f);
    if (const Field* f = map.find("body_min_rate")) {
        config_.timeouts.body_min_rate = static_cast<std::uint32_t>(r_.size(*f, 0, kU32Max));
    }
}

void Loader::read_limits(const Field& field) {
    const MapFields map(r_, field, "limits",
                        {"max_request_line", "max_header_size", "max_headers", "max_request_body",
                         "max_connections", "max_connections_per_ip", "max_tunnels", "max_concurrent_streams",
                         "max_requests_per_connection"});
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
    if (const Field* f = map.find("max_tunnels")) {
        limits.max_tunnels = static_cast<std::uint32_t>(r_.integer(*f, 0, kMaxConnections));
    }
    if (const Field* f = map.find("max_concurrent_streams")) {
        limits.max_concurrent_streams = static_cast<std::uint32_t>(r_.integer(*f, 1, 10000));
    }
    if (const Field* f = map.find("max_requests_per_connection")) {
        limits.max_requests_per_connection = static_cast<std::uint32_t>(r_.integer(*f, 0, kU32Max));
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
        r_.fail(at, fmt::format("{} name '{}' {}", what, name, kNameRule));
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

}  // namespace detail

namespace {

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
    detail::Loader loader(name);
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
