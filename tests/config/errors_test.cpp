// Every rejected config names the file, line and column of the offending node. Each case below spells out the
// position it expects, counted in the inline YAML (line 1 is the first line after `R"(`).
#include <gtest/gtest.h>

#include "config/loader.hpp"
#include "config_test_util.hpp"

namespace gisgate::config {
namespace {

using testing::fails_at;

// ---- YAML syntax --------------------------------------------------------------------------------------------

TEST(ConfigErrors, YamlSyntaxErrorLocation) {
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: [127.0.0.1:8080
pools: []
)", 4, 6, "end of sequence flow not found"));  // where yaml-cpp gives up

    EXPECT_TRUE(fails_at(R"(
workers: 2
 log_level: info
)", 2, 11, "illegal map value"));
}

TEST(ConfigErrors, EmptyAndNonMapDocuments) {
    EXPECT_TRUE(fails_at("", 1, 1, "config is empty"));
    EXPECT_TRUE(fails_at("# only a comment\n", 1, 1, "config is empty"));
    EXPECT_TRUE(fails_at("- a\n- b\n", 1, 1, "config must be a map, got a list"));
    EXPECT_TRUE(fails_at("hello\n", 1, 1, "config must be a map, got a scalar"));
    EXPECT_TRUE(fails_at(R"(
workers: 1
---
workers: 2
)", 3, 1, "only one YAML document"));
}

// ---- unknown and repeated keys, in every section ----------------------------------------------------------

TEST(ConfigErrors, UnknownTopLevelKey) {
    EXPECT_TRUE(fails_at(R"(
workers: 2
listener: []
)", 2, 1,
                         "unknown key 'listener' in config (expected one of: workers, admin, timeouts, limits, "
                         "access_log, log_level, shutdown_grace, listeners, pools, metrics, history, alerts, "
                         "redact_params, tracing, cluster)"));
}

TEST(ConfigErrors, UnknownKeyInAdmin) {
    EXPECT_TRUE(fails_at(R"(
admin:
  bind: 127.0.0.1:9900
  tokn: x
)", 3, 3, "unknown key 'tokn' in admin (expected one of: bind, token, allow, map, rollout_hooks)"));
}

TEST(ConfigErrors, UnknownKeyInTimeouts) {
    EXPECT_TRUE(fails_at(R"(
timeouts: { connect: 1s, read: 2s }
)", 1, 26, "unknown key 'read' in timeouts (expected one of: connect, header, idle, server, body, body_min_rate, "
                "tunnel)"));
}

TEST(ConfigErrors, UnknownKeyInLimits) {
    EXPECT_TRUE(fails_at(R"(
limits:
  max_header: 1KB
)", 2, 3, "unknown key 'max_header' in limits (expected one of: max_request_line, max_header_size, max_headers, max_request_body, max_connections, max_connections_per_ip, max_tunnels, max_concurrent_streams, max_requests_per_connection)"));
}

TEST(ConfigErrors, Http2NeedsTlsAndH2cNeedsPlaintext) {
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:8080
    http2: true
    routes: [{ prefix: /, pool: p }]
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:6080 }] }]
)", 4, 5, "'http2' is negotiated in the TLS handshake (ALPN) and needs 'tls'; a plaintext listener takes HTTP/2 "
                "with 'h2c: true'"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:8443
    tls: {}
    h2c: true
    routes: [{ prefix: /, pool: p }]
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:6080 }] }]
)", 5, 5, "'h2c' is HTTP/2 over plaintext; a TLS listener offers HTTP/2 with 'http2'"));
}

TEST(ConfigErrors, UnknownKeyInListener) {
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:8080
    deny: [/arcgis/admin]
)", 4, 5, "unknown key 'deny' in listener (expected one of: name, bind, deny_paths, allow, routes, mode, pool, "
                "idle_timeout, tls, path_escapes, proxy_protocol, trusted_proxies, http2, h2c)"));
}

TEST(ConfigErrors, UnknownKeyInRoute) {
    EXPECT_TRUE(fails_at(R"(
pools: [{ name: gis, servers: [{ name: a, address: 127.0.0.1:6081 }] }]
listeners:
  - name: public
    bind: 127.0.0.1:8080
    routes:
      - { prefx: /server, pool: gis }
)", 6, 11,
                         "unknown key 'prefx' in route (expected one of: prefix, services, rewrite, host, pool, discover, "
                         "timeouts, retries, retry_on_timeout, rewrite_location)"));
}

TEST(ConfigErrors, UnknownKeyInPool) {
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    algorithm: least_conn
)", 3, 5,
                         "unknown key 'algorithm' in pool (expected one of: name, balance, max_active_per_server, "
                         "queue, timeouts, keepalive_per_server, retries, health, job_affinity, job_table, upload_affinity, "
                         "upload_table, expect_identical, on_drift, drift_check_every, drift_token, discover, sticky, "
                         "sticky_cookie, cache, servers, tls, send_proxy"));
}

TEST(ConfigErrors, UploadTableKeysAndBounds) {
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    upload_table: { size: 10 }
)", 3, 21, "unknown key 'size' in upload_table (expected one of: max, max_age)"));
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    upload_affinity: maybe
)", 3, 22, ""));
}

TEST(ConfigErrors, UnknownKeyInQueue) {
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    queue: { size: 10 }
)", 3, 14, "unknown key 'size' in queue (expected one of: max, timeout)"));
}

TEST(ConfigErrors, ClientTimeoutsInPoolAreRejected) {
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    timeouts:
      connect: 1s
      idle: 30s
)", 5, 7,
                         "unknown key 'idle' in pool timeouts (expected one of: connect, server); header and idle "
                         "are client-side"));
}

TEST(ConfigErrors, UnknownKeyInServer) {
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    servers:
      - name: a
        addr: 127.0.0.1:6081
)", 5, 9, "unknown key 'addr' in server (expected one of: name, address, weight, backup)"));
}

TEST(ConfigErrors, DuplicateKey) {
    EXPECT_TRUE(fails_at(R"(
workers: 2
log_level: info
workers: 3
)", 3, 1, "duplicate key 'workers' in config (first at 1:1)"));
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    servers: [{ name: a, address: 127.0.0.1:1, name: b }]
)", 3, 48, "duplicate key 'name' in server (first at 3:17)"));
}

TEST(ConfigErrors, NonScalarKey) {
    EXPECT_TRUE(fails_at(R"(
? [a, b]
: 1
)", 1, 3, "unknown key a list in config"));
}

// ---- missing and empty sections ----------------------------------------------------------------------------

TEST(ConfigErrors, MissingTopLevelSections) {
    EXPECT_TRUE(fails_at(R"(
workers: 2
pools: [{ name: gis, servers: [{ name: a, address: 127.0.0.1:6081 }] }]
)", 1, 1, "config is missing required key 'listeners'"));
    EXPECT_TRUE(fails_at(R"(
workers: 2
listeners: [{ name: l, bind: 127.0.0.1:1, routes: [{ prefix: /, pool: gis }] }]
)", 1, 1, "config is missing required key 'pools'"));
}

TEST(ConfigErrors, AtLeastOneListenerAndPool) {
    EXPECT_TRUE(fails_at(R"(
pools: [{ name: gis, servers: [{ name: a, address: 127.0.0.1:6081 }] }]
listeners: []
)", 2, 12, "at least one listener is required"));
    EXPECT_TRUE(fails_at(R"(
listeners: [{ name: l, bind: 127.0.0.1:1, routes: [{ prefix: /, pool: gis }] }]
pools:
)", 2, 1, "'pools' must be a list, got nothing"));
    EXPECT_TRUE(fails_at(R"(
listeners: [{ name: l, bind: 127.0.0.1:1, routes: [{ prefix: /, pool: gis }] }]
pools: []
)", 2, 8, "at least one pool is required"));
}

TEST(ConfigErrors, MissingRequiredKeys) {
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    routes: []
)", 2, 5, "listener is missing required key 'bind'"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - bind: 127.0.0.1:80
)", 2, 5, "listener is missing required key 'name'"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:80
    routes:
      - { prefix: /arcgis }
)", 5, 9, "route is missing required key 'pool'"));
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
)", 2, 5, "pool is missing required key 'servers'"));
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    servers: [{ name: a }]
)", 3, 15, "server is missing required key 'address'"));
    EXPECT_TRUE(fails_at(R"(
admin: { bind: 127.0.0.1:9900 }
)", 1, 8, "admin is missing required key 'token'"));
}

TEST(ConfigErrors, EmptyCollections) {
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    servers: []
)", 3, 14, "pool 'gis' needs at least one server"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:80
    routes: []
)", 4, 13, "listener needs at least one route"));
}

// ---- scalar types ------------------------------------------------------------------------------------------

TEST(ConfigErrors, WrongShapes) {
    EXPECT_TRUE(fails_at(R"(
timeouts: 5s
)", 1, 11, "timeouts must be a map, got a scalar"));
    EXPECT_TRUE(fails_at(R"(
log_level: [info]
)", 1, 12, "'log_level' must be a string, got a list"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind:
    routes: []
)", 3, 5, "'bind' must be an address, got nothing"));  // an empty value points at its key
    EXPECT_TRUE(fails_at(R"(
listeners:
  - public
)", 2, 5, "listener must be a map, got a scalar"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:80
    deny_paths: /arcgis/admin
)", 4, 17, "'deny_paths' must be a list, got a scalar"));
}

TEST(ConfigErrors, Workers) {
    EXPECT_TRUE(fails_at("workers: 0\n", 1, 10, "'workers' must be 'auto' or an integer from 1 to 256, got '0'"));
    EXPECT_TRUE(fails_at("workers: 257\n", 1, 10, "must be 'auto' or an integer from 1 to 256, got '257'"));
    EXPECT_TRUE(fails_at("workers: -2\n", 1, 10, "got '-2'"));
    EXPECT_TRUE(fails_at("workers: many\n", 1, 10, "got 'many'"));
    EXPECT_TRUE(fails_at("workers: 2.5\n", 1, 10, "got '2.5'"));
    EXPECT_TRUE(fails_at("workers: AUTO\n", 1, 10, "got 'AUTO'"));
    EXPECT_TRUE(fails_at("workers: { n: 1 }\n", 1, 10, "'workers' must be 'auto' or an integer, got a map"));
}

TEST(ConfigErrors, BadDuration) {
    EXPECT_TRUE(fails_at(R"(
timeouts:
  connect: 5x
)", 2, 12, "'connect' is not a valid duration: '5x' (use e.g. 500ms, 5s, 2m, 1h, 90d)"));
    EXPECT_TRUE(fails_at("shutdown_grace: -1s\n", 1, 17, "'shutdown_grace' is not a valid duration: '-1s'"));
    EXPECT_TRUE(fails_at("timeouts: { server: 0s }\n", 1, 21, "'server' must be greater than 0"));
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    queue: { max: 10, timeout: 1.5s }
)", 3, 32, "'timeout' is not a valid duration: '1.5s'"));
}

TEST(ConfigErrors, BadSize) {
    EXPECT_TRUE(fails_at(R"(
limits:
  max_request_line: 32XB
)", 2, 21, "'max_request_line' is not a valid size: '32XB'"));
    EXPECT_TRUE(fails_at("limits: { max_header_size: 4GB }\n", 1, 28,
                         "'max_header_size' must be from 1 to 4294967295 bytes, got '4GB'"));
    EXPECT_TRUE(fails_at("limits: { max_header_size: 0 }\n", 1, 28, "must be from 1 to"));
    EXPECT_TRUE(fails_at("limits: { max_headers: 10KB }\n", 1, 24,
                         "'max_headers' must be an integer from 1 to 4294967295, got '10KB'"));
    EXPECT_TRUE(fails_at("limits: { max_request_body: 9223372036854775808 }\n", 1, 29,
                         "'max_request_body' must be from 0 to 9223372036854775807 bytes"));
    EXPECT_TRUE(fails_at("limits: { max_request_body: -1 }\n", 1, 29, "'max_request_body' is not a valid size"));
}

TEST(ConfigErrors, BadEndpoint) {
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1
)", 3, 11, "'bind' is not a valid address: '127.0.0.1' (expected host:port or [ipv6]:port)"));
    EXPECT_TRUE(fails_at(R"(
admin: { bind: "::1:9900", token: t }
)", 1, 16, "'bind' is not a valid address: '::1:9900'"));
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    servers:
      - { name: a, address: 127.0.0.1:99999 }
)", 4, 29, "'address' is not a valid address: '127.0.0.1:99999'"));
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    servers:
      - { name: a, address: 127.0.0.1:0 }
)", 4, 29, "server 'address' needs a port other than 0"));
}

TEST(ConfigErrors, BadCidr) {
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:80
    allow:
      - 10.0.0.0/8
      - 10.0.0.0/33
)", 6, 9, "'allow' entry is not a valid CIDR: '10.0.0.0/33'"));
    EXPECT_TRUE(fails_at(R"(
admin: { bind: 127.0.0.1:9900, token: t, allow: [localhost] }
)", 1, 50, "'allow' entry is not a valid CIDR: 'localhost'"));
    EXPECT_TRUE(fails_at(R"(
admin: { bind: 127.0.0.1:9900, token: t, allow: [[10.0.0.0/8]] }
)", 1, 50, "'allow' must be a CIDR, got a list"));
}

TEST(ConfigErrors, NegativeAndOutOfRangeNumbers) {
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    max_active_per_server: -1
)", 3, 28, "'max_active_per_server' must be an integer from 0 to 4294967295, got '-1'"));
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    queue: { max: -5 }
)", 3, 19, "'max' must be an integer from 0 to 4294967295, got '-5'"));
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    keepalive_per_server: 4294967296
)", 3, 27, "'keepalive_per_server' must be an integer from 0 to 4294967295"));
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    servers:
      - { name: a, address: 127.0.0.1:1, weight: 1001 }
)", 4, 50, "'weight' must be an integer from 0 to 1000, got '1001'"));
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    servers:
      - { name: a, address: 127.0.0.1:1, weight: -1 }
)", 4, 50, "'weight' must be an integer from 0 to 1000, got '-1'"));
}

TEST(ConfigErrors, BadEnumsAndBooleans) {
    EXPECT_TRUE(fails_at("log_level: verbose\n", 1, 12,
                         "'log_level' must be one of: trace, debug, info, warn, error, critical, off, got 'verbose'"));
    EXPECT_TRUE(fails_at("access_log: \"\"\n", 1, 13, "'access_log' must be stdout, stderr, off or a file path"));
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    balance: random
)", 3, 14, "'balance' must be round_robin or least_conn, got 'random'"));
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    servers:
      - { name: a, address: 127.0.0.1:1, backup: maybe }
)", 4, 50, "'backup' must be true or false, got 'maybe'"));
}

TEST(ConfigErrors, AdminToken) {
    EXPECT_TRUE(fails_at(R"(
admin:
  bind: 127.0.0.1:9900
  token: ""
)", 3, 10, "admin 'token' must not be empty"));
}

TEST(ConfigErrors, DriftTokenNeedsCredentialsAndDriftDetection) {
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    drift_token: { username: monitor, password: pw }
    servers: [{ name: a, address: 127.0.0.1:6081 }]
)", 3, 18, "'drift_token' needs 'expect_identical: true'"));
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    expect_identical: true
    drift_token: { username: monitor, password: "" }
    servers: [{ name: a, address: 127.0.0.1:6081 }]
)", 4, 49, "drift_token 'password' must not be empty"));
}

TEST(ConfigErrors, AdminMapMustBeAMapServerUrl) {
    EXPECT_TRUE(fails_at(R"(
admin:
  bind: 127.0.0.1:9900
  token: t
  map: 127.0.0.1:8080/arcgis/rest/services/World/MapServer
)", 4, 8, "admin 'map' must be the http:// or https:// URL of a MapServer"));
    EXPECT_TRUE(fails_at(R"(
admin:
  bind: 127.0.0.1:9900
  token: t
  map: http://127.0.0.1:8080/arcgis/rest/services/World/FeatureServer
)", 4, 8, "admin 'map' must be the http:// or https:// URL of a MapServer"));
}

// ---- paths ---------------------------------------------------------------------------------------------------

TEST(ConfigErrors, Paths) {
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:80
    deny_paths: [/arcgis/admin, arcgis/manager]
)", 4, 33, "'deny_paths' must start with '/': 'arcgis/manager'"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:80
    routes:
      - { prefix: server, pool: gis }
)", 5, 19, "'prefix' must start with '/': 'server'"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:80
    routes:
      - { prefix: /server, rewrite: arcgis, pool: gis }
)", 5, 37, "'rewrite' must start with '/': 'arcgis'"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:80
    deny_paths: ["/arcgis/../admin"]
)", 4, 18, "'deny_paths' must not contain '.' or '..' segments"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:80
    deny_paths: ["/arcgis/%61dmin"]
)", 4, 18, "'deny_paths' must be a plain decoded path"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:80
    routes:
      - { prefix: /a, rewrite: "/b c", pool: gis }
)", 5, 32, "'rewrite' must be a plain decoded path"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:80
    routes:
      - { prefix: /a, host: "gis.example.com\r\nX-Evil: 1", pool: gis }
)", 5, 29, "'host' must be a host name or host:port"));
}

// ---- whole-file checks ---------------------------------------------------------------------------------------

TEST(ConfigErrors, MissingPoolReference) {
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:8080
    routes:
      - { prefix: /server, rewrite: /arcgis, pool: gis }
      - { prefix: /portal, pool: portl }
pools:
  - { name: gis, servers: [{ name: a, address: 127.0.0.1:6081 }] }
  - { name: portal, servers: [{ name: a, address: 127.0.0.1:7443 }] }
)", 6, 34, "route refers to undefined pool 'portl' (defined pools: gis, portal)"));
}

TEST(ConfigErrors, DuplicateNames) {
    EXPECT_TRUE(fails_at(R"(
listeners:
  - { name: public, bind: 127.0.0.1:80, routes: [{ prefix: /, pool: p }] }
  - { name: public, bind: 127.0.0.1:81, routes: [{ prefix: /, pool: p }] }
)", 3, 13, "duplicate listener name 'public' (first defined at 2:13)"));
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    servers: [{ name: a, address: 127.0.0.1:1 }]
  - name: gis
)", 4, 11, "duplicate pool name 'gis' (first defined at 2:11)"));
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: gis
    servers:
      - { name: a, address: 127.0.0.1:1 }
      - { name: a, address: 127.0.0.1:2 }
)", 5, 17, "duplicate server name 'a' (first defined at 4:17)"));
    // Server names only need to be unique within their pool.
    EXPECT_NO_THROW(testing::load(R"(
listeners: [{ name: l, bind: 127.0.0.1:80, routes: [{ prefix: /, pool: p }, { prefix: /q, pool: q }] }]
pools:
  - { name: p, servers: [{ name: a, address: 127.0.0.1:1 }] }
  - { name: q, servers: [{ name: a, address: 127.0.0.1:2 }] }
)"));
}

TEST(ConfigErrors, BadNames) {
    EXPECT_TRUE(fails_at(R"(
pools:
  - name: "my pool"
)", 2, 11, "pool name 'my pool' may only contain letters, digits, '.', '_' and '-'"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: ""
)", 2, 11, "listener name '' may only contain"));
}

TEST(ConfigErrors, DuplicateRoutePrefix) {
    EXPECT_TRUE(fails_at(R"(
listeners:
  - name: public
    bind: 127.0.0.1:80
    routes:
      - { prefix: /arcgis, pool: p }
      - { prefix: /ArcGIS/, pool: p }
)", 6, 19, "duplicate route prefix '/ArcGIS' (first defined at 5:19)"));
}

TEST(ConfigErrors, BindConflicts) {
    EXPECT_TRUE(fails_at(R"(
listeners:
  - { name: a, bind: 127.0.0.1:8080, routes: [{ prefix: /, pool: p }] }
  - { name: b, bind: 127.0.0.1:8080, routes: [{ prefix: /, pool: p }] }
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:1 }] }]
)", 3, 22, "bind address 127.0.0.1:8080 conflicts with listener 'a' (127.0.0.1:8080 at 2:22)"));
    // A wildcard covers every address of its family.
    EXPECT_TRUE(fails_at(R"(
listeners:
  - { name: a, bind: 10.0.0.1:8080, routes: [{ prefix: /, pool: p }] }
  - { name: b, bind: 0.0.0.0:8080, routes: [{ prefix: /, pool: p }] }
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:1 }] }]
)", 3, 22, "conflicts with listener 'a'"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - { name: a, bind: "[::]:8080", routes: [{ prefix: /, pool: p }] }
  - { name: b, bind: "[::1]:8080", routes: [{ prefix: /, pool: p }] }
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:1 }] }]
)", 3, 22, "bind address [::1]:8080 conflicts with listener 'a' ([::]:8080 at 2:22)"));
    // Admin against a listener, whichever comes first in the file.
    EXPECT_TRUE(fails_at(R"(
admin: { bind: 127.0.0.1:9900, token: t }
listeners:
  - { name: a, bind: 127.0.0.1:9900, routes: [{ prefix: /, pool: p }] }
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:1 }] }]
)", 3, 22, "bind address 127.0.0.1:9900 conflicts with admin (127.0.0.1:9900 at 1:16)"));
    // IPv6 spellings of one address are the same address.
    EXPECT_TRUE(fails_at(R"(
listeners:
  - { name: a, bind: "[::1]:8080", routes: [{ prefix: /, pool: p }] }
  - { name: b, bind: "[0:0::1]:8080", routes: [{ prefix: /, pool: p }] }
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:1 }] }]
)", 3, 22, "bind address [0:0::1]:8080 conflicts with listener 'a'"));
    EXPECT_TRUE(fails_at(R"(
listeners:
  - { name: a, bind: LOCALHOST:9900, routes: [{ prefix: /, pool: p }] }
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:1 }] }]
admin: { bind: localhost:9900, token: t }
)", 4, 16, "bind address localhost:9900 conflicts with listener 'a' (LOCALHOST:9900 at 2:22)"));
}

TEST(ConfigErrors, FirstErrorInFileOrderIsReported) {
    // The listener error comes first in the file even though pools are checked for references later.
    EXPECT_TRUE(fails_at(R"(
listeners:
  - { name: a, bind: 127.0.0.1, routes: [{ prefix: /, pool: p }] }
pools:
  - { name: p, servers: [{ name: s, address: nope }] }
)", 2, 22, "'bind' is not a valid address"));
}

TEST(ConfigErrors, RobustnessLimits) {
    const std::string rest = R"(
listeners: [{ name: a, bind: 127.0.0.1:1, routes: [{ prefix: /, pool: p }] }]
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:1 }] }]
)";
    EXPECT_TRUE(fails_at("limits: { max_connections: 10, max_connections_per_ip: 20 }" + rest, 1, 56,
                         "'max_connections_per_ip' (20) is larger than 'max_connections' (10)"));
    EXPECT_TRUE(fails_at("limits: { max_connections: -1 }" + rest, 1, 28,
                         "'max_connections' must be an integer from 0 to 10000000, got '-1'"));
    EXPECT_TRUE(fails_at("timeouts: { body: 0s }" + rest, 1, 19, "'body'"));
    EXPECT_TRUE(fails_at("timeouts: { body_min_rate: fast }" + rest, 1, 28, "'body_min_rate'"));
}

// yaml-cpp 0.7's LoadAll loops forever on a ',' where a document would start (found by fuzzing the loader);
// the loader reads one document and reports such a ',' instead.
TEST(ConfigErrors, StrayCommaAfterTheDocumentIsAnErrorNotAHang) {
    EXPECT_TRUE(fails_at(", idle: 60s, 0s }\nlisers:\n", 1, 1, "unexpected ',' after the end of the document"));
    EXPECT_TRUE(fails_at("# comment\n\n  , }\n", 3, 3, "unexpected ','"));
    EXPECT_TRUE(fails_at(" workers: 1\n, x\n", 2, 1, "unexpected ','"));
    EXPECT_TRUE(fails_at("workers: 1\n---\n, x\n", 3, 1, "unexpected ','"));
    EXPECT_TRUE(fails_at("--- , x\n", 1, 5, "unexpected ','"));
    EXPECT_TRUE(fails_at(std::string("\0,\n", 3), 1, 1, "control character 0 in the file"));
    EXPECT_TRUE(fails_at("workers: 1\nlisteners: \x7f\n", 2, 12, "control character 127"));
    // Inside the document, a ',' is the YAML library's ordinary business.
    EXPECT_TRUE(fails_at("workers: 1\n,\n", 2, 1, "end of map not found"));
}

}  // namespace
}  // namespace gisgate::config
