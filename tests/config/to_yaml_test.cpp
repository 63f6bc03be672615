// to_yaml: the effective config, with defaults written out, must load back to the same values.
#include <gtest/gtest.h>

#include "config/loader.hpp"
#include "config_test_util.hpp"

namespace gisgate::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::load;

// Compares everything but source locations (the emitted text has its own layout).
void expect_same(const Config& a, const Config& b) {
    EXPECT_EQ(a.workers, b.workers);
    ASSERT_EQ(a.admin.has_value(), b.admin.has_value());
    if (a.admin) {
        EXPECT_EQ(a.admin->bind.to_string(), b.admin->bind.to_string());
        EXPECT_EQ(a.admin->token, b.admin->token);
        EXPECT_EQ(a.admin->rollout_hooks, b.admin->rollout_hooks);
        ASSERT_EQ(a.admin->allow.size(), b.admin->allow.size());
        for (std::size_t i = 0; i < a.admin->allow.size(); ++i) {
            EXPECT_EQ(a.admin->allow[i].to_string(), b.admin->allow[i].to_string());
        }
    }
    EXPECT_EQ(a.timeouts.connect, b.timeouts.connect);
    EXPECT_EQ(a.timeouts.header, b.timeouts.header);
    EXPECT_EQ(a.timeouts.idle, b.timeouts.idle);
    EXPECT_EQ(a.timeouts.server, b.timeouts.server);
    EXPECT_EQ(a.limits.max_request_line, b.limits.max_request_line);
    EXPECT_EQ(a.limits.max_header_size, b.limits.max_header_size);
    EXPECT_EQ(a.limits.max_headers, b.limits.max_headers);
    EXPECT_EQ(a.access_log, b.access_log);
    EXPECT_EQ(a.log_level, b.log_level);
    EXPECT_EQ(a.shutdown_grace, b.shutdown_grace);

    ASSERT_EQ(a.listeners.size(), b.listeners.size());
    for (std::size_t i = 0; i < a.listeners.size(); ++i) {
        const auto& x = a.listeners[i];
        const auto& y = b.listeners[i];
        EXPECT_EQ(x.name, y.name);
        EXPECT_EQ(x.bind.to_string(), y.bind.to_string());
        EXPECT_EQ(x.deny_paths, y.deny_paths);
        ASSERT_EQ(x.allow.size(), y.allow.size());
        for (std::size_t k = 0; k < x.allow.size(); ++k) EXPECT_EQ(x.allow[k].to_string(), y.allow[k].to_string());
        ASSERT_EQ(x.routes.size(), y.routes.size());
        for (std::size_t k = 0; k < x.routes.size(); ++k) {
            EXPECT_EQ(x.routes[k].prefix, y.routes[k].prefix);
            EXPECT_EQ(x.routes[k].rewrite, y.routes[k].rewrite);
            EXPECT_EQ(x.routes[k].host, y.routes[k].host);
            EXPECT_EQ(x.routes[k].pool, y.routes[k].pool);
        }
    }
    ASSERT_EQ(a.pools.size(), b.pools.size());
    for (std::size_t i = 0; i < a.pools.size(); ++i) {
        const auto& x = a.pools[i];
        const auto& y = b.pools[i];
        EXPECT_EQ(x.name, y.name);
        EXPECT_EQ(x.balance, y.balance);
        EXPECT_EQ(x.max_active_per_server, y.max_active_per_server);
        EXPECT_EQ(x.queue.max, y.queue.max);
        EXPECT_EQ(x.queue.timeout, y.queue.timeout);
        EXPECT_EQ(x.timeouts.connect, y.timeouts.connect);
        EXPECT_EQ(x.timeouts.header, y.timeouts.header);
        EXPECT_EQ(x.timeouts.idle, y.timeouts.idle);
        EXPECT_EQ(x.timeouts.server, y.timeouts.server);
        EXPECT_EQ(x.keepalive_per_server, y.keepalive_per_server);
        ASSERT_EQ(x.servers.size(), y.servers.size());
        for (std::size_t k = 0; k < x.servers.size(); ++k) {
            EXPECT_EQ(x.servers[k].name, y.servers[k].name);
            EXPECT_EQ(x.servers[k].address.to_string(), y.servers[k].address.to_string());
            EXPECT_EQ(x.servers[k].weight, y.servers[k].weight);
            EXPECT_EQ(x.servers[k].backup, y.servers[k].backup);
        }
    }
}

// Loads, emits, reloads; the two configs must agree and the text must be a fixed point.
void round_trip(std::string_view text) {
    const Config first = load(text);
    const std::string emitted = to_yaml(first);
    SCOPED_TRACE(emitted);
    Config second;
    try {
        second = load_string(emitted, "emitted.yaml");
    } catch (const ConfigError& e) {
        FAIL() << "to_yaml output does not load: " << e.what();
    }
    expect_same(first, second);
    EXPECT_EQ(to_yaml(second), emitted);
}

TEST(ToYaml, RoundTripsFullConfig) {
    round_trip(R"(
workers: 3
admin: { bind: "[::1]:9900", token: "s3cret: #not a comment", allow: [10.0.0.0/8, "::1/128", "fc00::/7"], rollout_hooks: true }
timeouts: { connect: 1500ms, header: 15s, idle: 2m, server: 1h }
limits: { max_request_line: 16KB, max_header_size: 1MiB, max_headers: 50 }
access_log: "off"
log_level: warn
shutdown_grace: 0s
listeners:
  - name: public
    bind: 0.0.0.0:8080
    deny_paths: [/arcgis/admin, /arcgis/manager/]
    allow: [192.168.0.0/16, "::ffff:10.0.0.0/104"]
    routes:
      - { prefix: /server, rewrite: /arcgis, pool: gis }
      - { prefix: /arcgis, pool: gis, host: "gis.example.com:6443" }
  - name: closed
    bind: "[::]:8081"
    allow: []
    routes:
      - { prefix: /, pool: portal }
pools:
  - name: gis
    balance: least_conn
    max_active_per_server: 8
    queue: { max: 0, timeout: 90d }
    timeouts: { connect: 1s }
    keepalive_per_server: 0
    servers:
      - { name: a, address: 127.0.0.1:6081, weight: 1000 }
      - { name: b, address: "gis-b.example.com:6443", weight: 0, backup: true }
  - name: portal
    servers:
      - { name: p1, address: "[2001:db8::1]:7443" }
)");
}

TEST(ToYaml, RoundTripsMinimalConfigWithDefaults) {
    round_trip(R"(
listeners: [{ name: l, bind: 127.0.0.1:8080, routes: [{ prefix: /, pool: p }] }]
pools: [{ name: p, servers: [{ name: s, address: localhost:6080 }] }]
)");
}

TEST(ToYaml, WritesDefaultsOut) {
    const std::string text = to_yaml(load(R"(
listeners: [{ name: l, bind: 127.0.0.1:8080, routes: [{ prefix: /, pool: p }] }]
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:6080 }] }]
)"));
    for (const char* expected : {"timeouts: {connect: 5s, header: 10s, idle: 1m, server: 2m, body: 30s, "
                                 "body_min_rate: 500, tunnel: 1h}",
                                 "limits: {max_request_line: 32768, max_header_size: 65536, max_headers: 100, "
                                 "max_request_body: 4294967296, max_connections: 10000, max_connections_per_ip: 0, "
                                 "max_tunnels: 10000, max_concurrent_streams: 100, max_requests_per_connection: 0}",
                                 "access_log: stdout", "log_level: info", "shutdown_grace: 30s",
                                 "allow: [0.0.0.0/0, ::/0]", "balance: round_robin", "max_active_per_server: 0",
                                 "queue: {max: 500, timeout: 30s}", "keepalive_per_server: 64",
                                 "weight: 1, backup: false"}) {
        EXPECT_NE(text.find(expected), std::string::npos) << "missing '" << expected << "' in:\n" << text;
    }
    EXPECT_EQ(text.find("admin"), std::string::npos);
}

TEST(ToYaml, QuotesStringsOtherYamlReadersWouldRetype) {
    const std::string text = to_yaml(load(R"(
access_log: "off"
log_level: "off"
admin: { bind: 127.0.0.1:9900, token: "12345" }
listeners: [{ name: "yes", bind: 127.0.0.1:8080, routes: [{ prefix: /, pool: "2024" }] }]
pools: [{ name: "2024", servers: [{ name: "1.5", address: 127.0.0.1:6080 }] }]
)"));
    for (const char* expected : {"access_log: \"off\"", "log_level: \"off\"", "token: \"12345\"",
                                 "name: \"yes\"", "pool: \"2024\"", "name: \"2024\"", "name: \"1.5\""}) {
        EXPECT_NE(text.find(expected), std::string::npos) << "missing '" << expected << "' in:\n" << text;
    }
    EXPECT_NE(text.find("log_level: \"off\"\nshutdown_grace"), std::string::npos);
}

TEST(ToYaml, RedactsTokenOnRequest) {
    const Config c = load(R"(
admin: { bind: 127.0.0.1:9900, token: topsecret }
listeners: [{ name: l, bind: 127.0.0.1:8080, routes: [{ prefix: /, pool: p }] }]
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:6080 }] }]
)");
    EXPECT_NE(to_yaml(c).find("topsecret"), std::string::npos);
    const std::string redacted = to_yaml(c, true);
    EXPECT_EQ(redacted.find("topsecret"), std::string::npos);
    EXPECT_EQ(load_string(redacted, "r.yaml").admin->token, "REDACTED");
}

}  // namespace
}  // namespace gisgate::config
