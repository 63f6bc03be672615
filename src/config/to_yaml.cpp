// Config → YAML: the effective configuration with every default written out, as `gisgate check` shows it.
// The output must load again to the same Config (tests round-trip it), so it only uses the loader's keys.
#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include "config/enum_names.hpp"
#include "config/loader.hpp"
#include "config/observability_loader.hpp"
#include "config/tls.hpp"

namespace gisgate::config {

namespace {

const std::string kRedacted = "REDACTED";

// Free-form strings such as `access_log: off` or `token: 123` load back fine here, where every value is read as
// text, but a generic YAML 1.1 reader would see a boolean or a number. Quote those so the output means the same
// to any tool. (yaml-cpp already quotes null-like and otherwise special strings.)
struct Text {
    const std::string& value;
};

bool looks_typed(const std::string& s) {
    static constexpr std::string_view words[] = {"y", "n", "yes", "no", "true", "false", "on", "off"};
    std::string lower;
    for (char c : s) lower += static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
    for (auto word : words) {
        if (lower == word) return true;
    }
    if (s.empty()) return false;
    std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    bool digit = false;
    for (; i < s.size(); ++i) {
        if (s[i] >= '0' && s[i] <= '9') digit = true;
        else if (s[i] != '.' && s[i] != '_') return false;
    }
    return digit;
}

YAML::Emitter& operator<<(YAML::Emitter& out, Text text) {
    if (looks_typed(text.value)) out << YAML::DoubleQuoted;
    return out << text.value;
}

void emit_cidrs(YAML::Emitter& out, const char* key, const std::vector<Cidr>& cidrs) {
    out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& cidr : cidrs) out << cidr.to_string();
    out << YAML::EndSeq;
}

void emit_admin(YAML::Emitter& out, const AdminConfig& admin, bool redact) {
    out << YAML::Key << "admin" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "bind" << YAML::Value << admin.bind.to_string();
    out << YAML::Key << "token" << YAML::Value << Text{redact ? kRedacted : admin.token};
    emit_cidrs(out, "allow", admin.allow);
    if (!admin.map_url.empty()) out << YAML::Key << "map" << YAML::Value << Text{admin.map_url};
    out << YAML::Key << "rollout_hooks" << YAML::Value << admin.rollout_hooks;
    out << YAML::EndMap;
}

void emit_cluster(YAML::Emitter& out, const ClusterConfig& cluster) {
    out << YAML::Key << "cluster" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "node" << YAML::Value << Text{cluster.node};
    out << YAML::Key << "peers" << YAML::Value << YAML::BeginSeq;
    for (const auto& peer : cluster.peers) {
        out << YAML::Flow << YAML::BeginMap;
        out << YAML::Key << "name" << YAML::Value << Text{peer.name};
        out << YAML::Key << "admin" << YAML::Value << peer.admin.to_string();
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::Key << "sync_interval" << YAML::Value << format_duration(cluster.sync_interval);
    out << YAML::Key << "peer_timeout" << YAML::Value << format_duration(cluster.peer_timeout);
    out << YAML::Key << "job_lookup_timeout" << YAML::Value << format_duration(cluster.job_lookup_timeout);
    out << YAML::EndMap;
}

void emit_listener_tls(YAML::Emitter& out, const ListenerTlsConfig& tls) {
    out << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
    if (!tls.certs.empty()) {
        out << YAML::Key << "certs" << YAML::Value << YAML::BeginSeq;
        for (const auto& cert : tls.certs) {
            out << YAML::Flow << YAML::BeginMap;
            out << YAML::Key << "cert" << YAML::Value << Text{cert.cert_file};
            out << YAML::Key << "key" << YAML::Value << Text{cert.key_file};
            out << YAML::Key << "default" << YAML::Value << cert.is_default;
            out << YAML::EndMap;
        }
        out << YAML::EndSeq;
    }
    out << YAML::Key << "min_version" << YAML::Value << YAML::DoubleQuoted << to_string(tls.min_version);
    out << YAML::Key << "ciphers" << YAML::Value << Text{tls.ciphers};
    out << YAML::Key << "ciphersuites" << YAML::Value << Text{tls.ciphersuites};
    out << YAML::EndMap;
}

void emit_proxy_protocol(YAML::Emitter& out, const ListenerConfig& listener) {
    if (listener.proxy_protocol_from.empty()) return;
    out << YAML::Key << "proxy_protocol" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "accept" << YAML::Value << true;
    emit_cidrs(out, "from", listener.proxy_protocol_from);
    out << YAML::EndMap;
}

void emit_listener(YAML::Emitter& out, const ListenerConfig& listener) {
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << Text{listener.name};
    out << YAML::Key << "bind" << YAML::Value << listener.bind.to_string();
    if (listener.mode == ListenerMode::tcp) {
        out << YAML::Key << "mode" << YAML::Value << "tcp";
        out << YAML::Key << "pool" << YAML::Value << Text{listener.pool};
        out << YAML::Key << "idle_timeout" << YAML::Value << format_duration(listener.idle_timeout);
        emit_cidrs(out, "allow", listener.allow);
        emit_proxy_protocol(out, listener);
        out << YAML::EndMap;
        return;
    }
    out << YAML::Key << "deny_paths" << YAML::Value << YAML::Flow << listener.deny_paths;
    out << YAML::Key << "path_escapes" << YAML::Value
        << std::string(name_of(kPathEscapesNames, listener.keep_path_escapes));
    emit_cidrs(out, "allow", listener.allow);
    emit_proxy_protocol(out, listener);
    if (!listener.trusted_proxies.empty()) emit_cidrs(out, "trusted_proxies", listener.trusted_proxies);
    if (listener.tls) {
        emit_listener_tls(out, *listener.tls);
        out << YAML::Key << "http2" << YAML::Value << listener.http2;
    } else {
        out << YAML::Key << "h2c" << YAML::Value << listener.h2c;
    }
    out << YAML::Key << "routes" << YAML::Value << YAML::BeginSeq;
    for (const auto& route : listener.routes) {
        out << YAML::Flow << YAML::BeginMap;
        if (!route.prefix.empty()) out << YAML::Key << "prefix" << YAML::Value << route.prefix;
        if (!route.services.empty()) out << YAML::Key << "services" << YAML::Value << YAML::Flow << route.services;
        if (route.rewrite) out << YAML::Key << "rewrite" << YAML::Value << *route.rewrite;
        if (route.host) out << YAML::Key << "host" << YAML::Value << Text{*route.host};
        out << YAML::Key << "pool" << YAML::Value << Text{route.pool};
        if (route.discover_every) {
            out << YAML::Key << "discover" << YAML::Value << YAML::Flow << YAML::BeginMap;
            out << YAML::Key << "every" << YAML::Value << format_duration(*route.discover_every) << YAML::EndMap;
        }
        if (route.connect_timeout || route.server_timeout) {
            out << YAML::Key << "timeouts" << YAML::Value << YAML::Flow << YAML::BeginMap;
            if (route.connect_timeout)
                out << YAML::Key << "connect" << YAML::Value << format_duration(*route.connect_timeout);
            if (route.server_timeout)
                out << YAML::Key << "server" << YAML::Value << format_duration(*route.server_timeout);
            out << YAML::EndMap;
        }
        if (route.retries) out << YAML::Key << "retries" << YAML::Value << *route.retries;
        if (!route.retry_on_timeout) out << YAML::Key << "retry_on_timeout" << YAML::Value << false;
        if (!route.rewrite_location) out << YAML::Key << "rewrite_location" << YAML::Value << "off";
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::EndMap;
}

void emit_pool_tls(YAML::Emitter& out, const UpstreamTlsConfig& tls) {
    out << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "enabled" << YAML::Value << tls.enabled;
    out << YAML::Key << "verify" << YAML::Value << tls.verify;
    if (!tls.ca_file.empty()) out << YAML::Key << "ca" << YAML::Value << Text{tls.ca_file};
    if (!tls.sni.empty()) out << YAML::Key << "sni" << YAML::Value << Text{tls.sni};
    out << YAML::Key << "min_version" << YAML::Value << YAML::DoubleQuoted << to_string(tls.min_version);
    out << YAML::Key << "ciphers" << YAML::Value << Text{tls.ciphers};
    out << YAML::Key << "ciphersuites" << YAML::Value << Text{tls.ciphersuites};
    out << YAML::EndMap;
}

// Operation classes: rules, then each class's share of max_active_per_server (only with one, a number or auto: the
// loader refuses class_limits without it) and its place in the queue.
void emit_classes(YAML::Emitter& out, const PoolConfig& pool) {
    const ClassesConfig& classes = pool.classes;
    out << YAML::Key << "classes" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "heavy_export_size" << YAML::Value << classes.heavy_export_size;
    out << YAML::Key << "limits" << YAML::Value << (classes.limits_while_mixed ? "while_mixed" : "always");
    out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
    for (const ClassRule& rule : classes.rules) {
        out << YAML::Flow << YAML::BeginMap;
        out << YAML::Key << "services" << YAML::Value << Text{rule.services};
        out << YAML::Key << "type" << YAML::Value << Text{rule.type};
        out << YAML::Key << "operations" << YAML::Value << Text{rule.operations};
        out << YAML::Key << "class" << YAML::Value << std::string(name_of(kOperationClassNames, rule.cls));
        out << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
    if (pool.limited()) {
        out << YAML::Key << "class_limits" << YAML::Value << YAML::Flow << YAML::BeginMap;
        for (const auto& [cls, name] : kOperationClassNames)
            out << YAML::Key << std::string(name) << YAML::Value
                << fmt::format("{}%", classes.limit_percent[static_cast<std::size_t>(cls)]);
        out << YAML::EndMap;
    }
    out << YAML::Key << "class_queue" << YAML::Value << YAML::BeginMap;
    for (const auto& [cls, name] : kOperationClassNames) {
        const auto i = static_cast<std::size_t>(cls);
        out << YAML::Key << std::string(name) << YAML::Value << YAML::Flow << YAML::BeginMap;
        out << YAML::Key << "weight" << YAML::Value << classes.weight[i];
        if (classes.queue_timeout[i].count() != 0)
            out << YAML::Key << "timeout" << YAML::Value << format_duration(classes.queue_timeout[i]);
        out << YAML::EndMap;
    }
    out << YAML::EndMap;
}

void emit_pool(YAML::Emitter& out, const PoolConfig& pool) {
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << Text{pool.name};
    out << YAML::Key << "balance" << YAML::Value << std::string(name_of(kBalanceNames, pool.balance));
    out << YAML::Key << "max_active_per_server" << YAML::Value;
    if (pool.auto_limit.enabled) {
        out << YAML::Flow << YAML::BeginMap << YAML::Key << "auto" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "min" << YAML::Value << pool.auto_limit.min;
        out << YAML::Key << "max" << YAML::Value << pool.auto_limit.max;
        out << YAML::EndMap << YAML::EndMap;
    } else {
        out << pool.max_active_per_server;
    }
    out << YAML::Key << "queue" << YAML::Value << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "max" << YAML::Value << pool.queue.max;
    out << YAML::Key << "timeout" << YAML::Value << format_duration(pool.queue.timeout);
    out << YAML::EndMap;
    emit_classes(out, pool);
    // Only connect/server: header and idle are client-side and not accepted in a pool.
    out << YAML::Key << "timeouts" << YAML::Value << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "connect" << YAML::Value << format_duration(pool.timeouts.connect);
    out << YAML::Key << "server" << YAML::Value << format_duration(pool.timeouts.server);
    out << YAML::EndMap;
    out << YAML::Key << "keepalive_per_server" << YAML::Value << pool.keepalive_per_server;
    out << YAML::Key << "retries" << YAML::Value << pool.retries;
    out << YAML::Key << "send_proxy" << YAML::Value << std::string(name_of(kSendProxyNames, pool.send_proxy));
    out << YAML::Key << "health" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "enabled" << YAML::Value << pool.health.enabled;
    out << YAML::Key << "path" << YAML::Value << Text{pool.health.path};
    out << YAML::Key << "interval" << YAML::Value << format_duration(pool.health.interval);
    out << YAML::Key << "timeout" << YAML::Value << format_duration(pool.health.timeout);
    out << YAML::Key << "fall" << YAML::Value << pool.health.fall;
    out << YAML::Key << "rise" << YAML::Value << pool.health.rise;
    out << YAML::Key << "expect_status" << YAML::Value << pool.health.expect_status;
    out << YAML::Key << "expect_body" << YAML::Value << Text{pool.health.expect_body};
    out << YAML::Key << "type" << YAML::Value << std::string(name_of(kHealthTypeNames, pool.health.type));
    out << YAML::Key << "send_proxy" << YAML::Value << pool.health.send_proxy;
    out << YAML::EndMap;
    out << YAML::Key << "job_affinity" << YAML::Value << pool.job_affinity.enabled;
    out << YAML::Key << "job_table" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "max" << YAML::Value << pool.job_affinity.max_jobs;
    out << YAML::Key << "max_age" << YAML::Value << format_duration(pool.job_affinity.max_age);
    out << YAML::EndMap;
    out << YAML::Key << "upload_affinity" << YAML::Value << pool.upload_affinity.enabled;
    out << YAML::Key << "upload_table" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "max" << YAML::Value << pool.upload_affinity.max_jobs;
    out << YAML::Key << "max_age" << YAML::Value << format_duration(pool.upload_affinity.max_age);
    out << YAML::EndMap;
    out << YAML::Key << "expect_identical" << YAML::Value << pool.expect_identical;
    out << YAML::Key << "on_drift" << YAML::Value << std::string(name_of(kOnDriftNames, pool.on_drift));
    out << YAML::Key << "drift_check_every" << YAML::Value << format_duration(pool.drift_check_every);
    if (!pool.drift_token_username.empty()) {
        // The password is never printed, whatever the redaction setting: `check` output ends up in tickets.
        out << YAML::Key << "drift_token" << YAML::Value << YAML::Flow << YAML::BeginMap;
        out << YAML::Key << "username" << YAML::Value << Text{pool.drift_token_username};
        out << YAML::Key << "password" << YAML::Value << Text{kRedacted} << YAML::EndMap;
    }
    if (pool.discover_every.count() > 0) {
        out << YAML::Key << "discover" << YAML::Value << YAML::Flow << YAML::BeginMap;
        out << YAML::Key << "every" << YAML::Value << format_duration(pool.discover_every) << YAML::EndMap;
    }
    out << YAML::Key << "sticky" << YAML::Value << std::string(name_of(kStickyNames, pool.sticky));
    out << YAML::Key << "sticky_cookie" << YAML::Value << Text{pool.sticky_cookie};
    if (pool.cache) {
        out << YAML::Key << "cache" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "memory" << YAML::Value << pool.cache->memory;
        out << YAML::Key << "max_object" << YAML::Value << pool.cache->max_object;
        out << YAML::Key << "paths" << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (const auto& glob : pool.cache->paths) out << Text{glob};
        out << YAML::EndSeq;
        out << YAML::Key << "allow_authorized" << YAML::Value << pool.cache->allow_authorized;
        out << YAML::Key << "allow_token" << YAML::Value << pool.cache->allow_token;
        if (pool.cache->bypass_all_cookies)
            out << YAML::Key << "bypass_cookies" << YAML::Value << "all";
        else
            out << YAML::Key << "bypass_cookies" << YAML::Value << YAML::Flow << pool.cache->bypass_cookies;
        out << YAML::EndMap;
    }
    if (pool.tls.enabled) emit_pool_tls(out, pool.tls);
    if (pool.outlier.enabled()) {  // absent and all-zero mean the same: off
        out << YAML::Key << "outlier" << YAML::Value << YAML::Flow << YAML::BeginMap;
        out << YAML::Key << "consecutive_5xx" << YAML::Value << pool.outlier.consecutive_5xx;
        out << YAML::Key << "consecutive_timeouts" << YAML::Value << pool.outlier.consecutive_timeouts;
        out << YAML::Key << "count_500" << YAML::Value << pool.outlier.count_500;
        out << YAML::EndMap;
    }
    out << YAML::Key << "slow_start" << YAML::Value << format_duration(pool.slow_start);
    out << YAML::Key << "servers" << YAML::Value << YAML::BeginSeq;
    for (const auto& server : pool.servers) {
        out << YAML::Flow << YAML::BeginMap;
        out << YAML::Key << "name" << YAML::Value << Text{server.name};
        out << YAML::Key << "address" << YAML::Value << server.address.to_string();
        out << YAML::Key << "weight" << YAML::Value << server.weight;
        out << YAML::Key << "backup" << YAML::Value << server.backup;
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::EndMap;
}

}  // namespace

std::string to_yaml(const Config& config) { return to_yaml(config, false); }

std::string to_yaml(const Config& config, bool redact_secrets) {
    YAML::Emitter out;
    out.SetBoolFormat(YAML::TrueFalseBool);
    out << YAML::BeginMap;
    out << YAML::Key << "workers" << YAML::Value << config.workers;
    if (config.admin) emit_admin(out, *config.admin, redact_secrets);
    if (config.cluster) emit_cluster(out, *config.cluster);

    out << YAML::Key << "timeouts" << YAML::Value << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "connect" << YAML::Value << format_duration(config.timeouts.connect);
    out << YAML::Key << "header" << YAML::Value << format_duration(config.timeouts.header);
    out << YAML::Key << "idle" << YAML::Value << format_duration(config.timeouts.idle);
    out << YAML::Key << "server" << YAML::Value << format_duration(config.timeouts.server);
    out << YAML::Key << "body" << YAML::Value << format_duration(config.timeouts.body);
    out << YAML::Key << "body_min_rate" << YAML::Value << config.timeouts.body_min_rate;
    out << YAML::Key << "tunnel" << YAML::Value << format_duration(config.timeouts.tunnel);
    out << YAML::EndMap;

    // Sizes as plain byte counts: exact, and parse_size reads a bare number as bytes.
    out << YAML::Key << "limits" << YAML::Value << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "max_request_line" << YAML::Value << config.limits.max_request_line;
    out << YAML::Key << "max_header_size" << YAML::Value << config.limits.max_header_size;
    out << YAML::Key << "max_headers" << YAML::Value << config.limits.max_headers;
    out << YAML::Key << "max_request_body" << YAML::Value << config.limits.max_request_body;
    out << YAML::Key << "max_connections" << YAML::Value << config.limits.max_connections;
    out << YAML::Key << "max_connections_per_ip" << YAML::Value << config.limits.max_connections_per_ip;
    out << YAML::Key << "max_tunnels" << YAML::Value << config.limits.max_tunnels;
    out << YAML::Key << "max_concurrent_streams" << YAML::Value << config.limits.max_concurrent_streams;
    out << YAML::Key << "max_requests_per_connection" << YAML::Value << config.limits.max_requests_per_connection;
    out << YAML::EndMap;

    if (config.access_log_format == AccessLogFormat::text) {
        out << YAML::Key << "access_log" << YAML::Value << Text{config.access_log};
    } else {
        out << YAML::Key << "access_log" << YAML::Value << YAML::Flow << YAML::BeginMap;
        out << YAML::Key << "path" << YAML::Value << Text{config.access_log};
        out << YAML::Key << "format" << YAML::Value << Text{std::string(name_of(kAccessLogFormatNames, config.access_log_format))};
        out << YAML::EndMap;
    }
    out << YAML::Key << "tracing" << YAML::Value << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "request_id" << YAML::Value
        << Text{config.tracing.request_id_header.empty() ? std::string("off") : config.tracing.request_id_header};
    out << YAML::Key << "traceparent" << YAML::Value
        << Text{std::string(name_of(kTraceparentNames, config.tracing.create_traceparent))};
    out << YAML::EndMap;
    if (!config.redact_params.empty())
        out << YAML::Key << "redact_params" << YAML::Value << YAML::Flow << config.redact_params;
    out << YAML::Key << "log_level" << YAML::Value << Text{config.log_level};
    out << YAML::Key << "shutdown_grace" << YAML::Value << format_duration(config.shutdown_grace);

    out << YAML::Key << "listeners" << YAML::Value << YAML::BeginSeq;
    for (const auto& listener : config.listeners) emit_listener(out, listener);
    out << YAML::EndSeq;

    out << YAML::Key << "pools" << YAML::Value << YAML::BeginSeq;
    for (const auto& pool : config.pools) emit_pool(out, pool);
    out << YAML::EndSeq;
    detail::emit_observability(out, config);
    out << YAML::EndMap;

    std::string text = out.c_str();
    text += '\n';
    return text;
}

}  // namespace gisgate::config
