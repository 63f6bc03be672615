// Pools: balancing, throttle and queue, health checks, job affinity, drift, stickiness, cache, servers.
#include "config/loader_impl.hpp"

#include <algorithm>

#include "config/enum_names.hpp"
#include "config/names.hpp"
#include "config/tls_reader.hpp"

namespace gisgate::config::detail {

// `max_active_per_server`: a number (0 = unlimited), `auto` (found per server from its latency, 1 to 64), or
// `{ auto: { min: M, max: N } }` with bounds of one's own. The bounded form nests under `auto` so the one key says
// both that the limit is automatic and within what.
void Loader::read_max_active(const Field& field, PoolConfig& pool) {
    constexpr std::uint32_t kMaxAuto = 100'000;
    const char* expected = "'max_active_per_server' must be an integer, 'auto' or { auto: { min: N, max: N } }";
    if (field.value.IsMap()) {
        const MapFields outer(r_, field, "max_active_per_server", {"auto"});
        const Field* bounds = outer.find("auto");
        if (!bounds) r_.fail(outer.loc(), expected);
        pool.auto_limit.enabled = true;
        if (bounds->value.IsNull()) return;  // `{ auto: }`: the default bounds
        const MapFields map(r_, *bounds, "max_active_per_server auto", {"min", "max"});
        if (const Field* f = map.find("min"))
            pool.auto_limit.min = static_cast<std::uint32_t>(r_.integer(*f, 1, kMaxAuto));
        if (const Field* f = map.find("max"))
            pool.auto_limit.max = static_cast<std::uint32_t>(r_.integer(*f, 1, kMaxAuto));
        if (pool.auto_limit.min > pool.auto_limit.max)
            r_.fail(map.loc(), fmt::format("max_active_per_server auto: 'min' ({}) is above 'max' ({})",
                                           pool.auto_limit.min, pool.auto_limit.max));
        return;
    }
    if (field.value.IsScalar() && field.value.Scalar() == "auto") {
        pool.auto_limit.enabled = true;
        return;
    }
    if (!field.value.IsScalar()) r_.fail(r_.loc(field), expected);
    const std::string& text = field.value.Scalar();
    // A word (a misspelt `auto`) is told the choices; a number out of range gets the integer rule's message.
    if (text.empty() || std::any_of(text.begin(), text.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); }))
        r_.fail(r_.loc(field), fmt::format("{}, got '{}'", expected, text));
    pool.max_active_per_server = static_cast<std::uint32_t>(r_.integer(field, 0, kU32Max));
}

void Loader::read_pool(const YAML::Node& node) {
    const MapFields map(r_, r_.item(node, "pool"), "pool",
                        {"name", "balance", "max_active_per_server", "queue", "timeouts", "keepalive_per_server",
                         "retries", "health", "job_affinity", "job_table", "upload_affinity", "upload_table",
                         "expect_identical", "on_drift", "drift_check_every", "drift_token", "discover", "sticky",
                         "sticky_cookie", "cache", "servers", "tls", "send_proxy", "classes", "class_limits",
                         "class_queue", "outlier", "slow_start"});
    PoolConfig pool;
    pool.loc = map.loc();
    pool.name = read_name(map, "pool", pool_names_);
    if (const Field* f = map.find("balance")) pool.balance = r_.choice(*f, kBalanceNames);
    if (const Field* f = map.find("max_active_per_server")) read_max_active(*f, pool);
    if (const Field* f = map.find("queue")) read_queue(*f, pool.queue);
    read_classes(map, pool);
    PoolTimeoutOverride overrides;
    if (const Field* f = map.find("timeouts")) overrides = read_pool_timeouts(*f);
    if (const Field* f = map.find("keepalive_per_server")) {
        pool.keepalive_per_server = static_cast<std::uint32_t>(r_.integer(*f, 0, kU32Max));
    }
    if (const Field* f = map.find("retries")) pool.retries = static_cast<std::uint32_t>(r_.integer(*f, 0, 7));
    if (const Field* f = map.find("send_proxy")) pool.send_proxy = r_.choice(*f, kSendProxyNames);
    if (const Field* f = map.find("health")) read_health(*f, pool.health);
    if (pool.health.send_proxy)
        pool.health.proxy_version = pool.send_proxy == SendProxy::v2 ? SendProxy::v2 : SendProxy::v1;
    // Job and upload affinity: the same switch and table bounds under two names.
    const auto read_affinity = [&](const char* key, const char* table_key, JobAffinityConfig& affinity) {
        if (const Field* f = map.find(key)) affinity.enabled = r_.boolean(*f);
        if (const Field* f = map.find(table_key)) {
            const MapFields table(r_, *f, table_key, {"max", "max_age"});
            if (const Field* m = table.find("max"))
                affinity.max_jobs = static_cast<std::uint32_t>(r_.integer(*m, 1, 10'000'000));
            if (const Field* m = table.find("max_age")) affinity.max_age = r_.positive_duration(*m);
        }
    };
    read_affinity("job_affinity", "job_table", pool.job_affinity);
    read_affinity("upload_affinity", "upload_table", pool.upload_affinity);
    if (const Field* f = map.find("expect_identical")) pool.expect_identical = r_.boolean(*f);
    if (const Field* f = map.find("on_drift")) pool.on_drift = r_.choice(*f, kOnDriftNames);
    if (const Field* f = map.find("drift_check_every")) pool.drift_check_every = r_.positive_duration(*f);
    if (const Field* f = map.find("drift_token")) {
        const MapFields token(r_, *f, "drift_token", {"username", "password"});
        const Field& user = token.require("username");
        const Field& password = token.require("password");
        pool.drift_token_username = r_.string(user);
        pool.drift_token_password = r_.string(password);
        if (pool.drift_token_username.empty()) r_.fail(r_.loc(user), "drift_token 'username' must not be empty");
        if (pool.drift_token_password.empty()) r_.fail(r_.loc(password), "drift_token 'password' must not be empty");
        if (!pool.expect_identical)
            r_.fail(r_.loc(*f), "'drift_token' needs 'expect_identical: true' (the token check is part of drift "
                                "detection)");
    }
    if (const Field* f = map.find("discover")) {
        const MapFields discover(r_, *f, "discover", {"every"});
        pool.discover_every = r_.positive_duration(discover.require("every"));
    }
    if (const Field* f = map.find("sticky")) pool.sticky = r_.choice(*f, kStickyNames);
    if (const Field* f = map.find("sticky_cookie")) {
        pool.sticky_cookie = r_.string(*f);
        const bool ok = !pool.sticky_cookie.empty() &&
                        std::all_of(pool.sticky_cookie.begin(), pool.sticky_cookie.end(), [](char c) {
                            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
                        });
        if (!ok) r_.fail(r_.loc(*f), "'sticky_cookie' must be letters, digits, '_' or '-'");
    }
    if (const Field* f = map.find("outlier")) pool.outlier = read_outlier(*f, pool.health);
    if (const Field* f = map.find("slow_start")) {
        pool.slow_start = r_.duration(*f);
        if (pool.slow_start > std::chrono::hours(1))
            r_.fail(r_.loc(*f), "'slow_start' must be at most 1h (a server warms up in seconds to minutes)");
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

OutlierConfig Loader::read_outlier(const Field& field, const HealthConfig& health) {
    const MapFields map(r_, field, "outlier", {"consecutive_5xx", "consecutive_timeouts", "count_500"});
    OutlierConfig outlier;
    if (const Field* f = map.find("consecutive_5xx"))
        outlier.consecutive_5xx = static_cast<std::uint32_t>(r_.integer(*f, 0, 1000));
    if (const Field* f = map.find("consecutive_timeouts"))
        outlier.consecutive_timeouts = static_cast<std::uint32_t>(r_.integer(*f, 0, 1000));
    if (const Field* f = map.find("count_500")) outlier.count_500 = r_.boolean(*f);
    // An ejected server comes back only through `rise` good checks: without checks it would stay out for ever.
    if (outlier.enabled() && !health.enabled)
        r_.fail(map.loc(), "'outlier' needs health checks (an ejected server returns after 'rise' good checks), "
                           "but this pool has 'health: { enabled: false }'");
    return outlier;
}

void Loader::read_queue(const Field& field, QueueConfig& queue) {
    const MapFields map(r_, field, "queue", {"max", "timeout"});
    if (const Field* f = map.find("max")) queue.max = static_cast<std::uint32_t>(r_.integer(*f, 0, kU32Max));
    if (const Field* f = map.find("timeout")) queue.timeout = r_.positive_duration(*f);
}

void Loader::read_health(const Field& field, HealthConfig& health) {
    const MapFields map(r_, field, "health",
                        {"enabled", "path", "interval", "timeout", "fall", "rise", "expect_status", "expect_body",
                         "type", "send_proxy"});
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
    if (const Field* f = map.find("type")) health.type = r_.choice(*f, kHealthTypeNames, "health ");
    if (const Field* f = map.find("send_proxy")) health.send_proxy = r_.boolean(*f);
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

}  // namespace gisgate::config::detail
