// Loading valid configs: every key read into the right field, and the defaults when keys are left out.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <thread>

#include "config/loader.hpp"
#include "config_test_util.hpp"

namespace gisgate::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::load;

constexpr const char* kFull = R"(
workers: 4
admin: { bind: 127.0.0.1:9900, token: "s3cret: x", allow: [10.0.0.0/8, "::1/128"] }
timeouts: { connect: 3s, header: 15s, idle: 2m, server: 1h }
limits: { max_request_line: 16KB, max_header_size: 1MiB, max_headers: 50 }
access_log: /var/log/gisgate/access.log
log_level: debug
shutdown_grace: 500ms
listeners:
  - name: public
    bind: 0.0.0.0:8080
    deny_paths: [/ArcGIS/Admin, /arcgis//manager/]
    allow: [192.168.0.0/16]
    routes:
      - { prefix: /server/, rewrite: /arcgis, pool: gis }
      - { prefix: /arcgis, pool: gis, host: gis.example.com }
  - name: internal
    bind: "[::1]:8081"
    routes:
      - { prefix: /, pool: portal }
pools:
  - name: gis
    balance: least_conn
    max_active_per_server: 8
    queue: { max: 0, timeout: 10s }
    timeouts: { connect: 1s }
    keepalive_per_server: 16
    servers:
      - { name: a, address: 127.0.0.1:6081, weight: 3 }
      - { name: b, address: "gis-b.example.com:6443", weight: 0, backup: true }
  - name: portal
    servers:
      - name: p1
        address: 10.1.1.1:7443
)";

TEST(Loader, ReadsRobustnessKeys) {
    const Config c = load(R"(
timeouts: { body: 20s, body_min_rate: 1KB }
limits: { max_connections: 2000, max_connections_per_ip: 50, max_request_body: 100MB }
listeners: [{ name: a, bind: 127.0.0.1:1, routes: [{ prefix: /, pool: p }] }]
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:1 }] }]
)");
    EXPECT_EQ(c.limits.max_request_body, 100u << 20);
    EXPECT_EQ(c.timeouts.body, std::chrono::seconds(20));
    EXPECT_EQ(c.timeouts.body_min_rate, 1024u);
    EXPECT_EQ(c.limits.max_connections, 2000u);
    EXPECT_EQ(c.limits.max_connections_per_ip, 50u);
    // 0 switches them off.
    const Config off = load(R"(
timeouts: { body_min_rate: 0 }
limits: { max_connections: 0, max_connections_per_ip: 0 }
listeners: [{ name: a, bind: 127.0.0.1:1, routes: [{ prefix: /, pool: p }] }]
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:1 }] }]
)");
    EXPECT_EQ(off.timeouts.body_min_rate, 0u);
    EXPECT_EQ(off.limits.max_connections, 0u);
    EXPECT_EQ(off.limits.max_request_body, 4ull << 30);  // the default: 4 GiB
    EXPECT_EQ(load(R"(
limits: { max_request_body: 0 }
listeners: [{ name: a, bind: 127.0.0.1:1, routes: [{ prefix: /, pool: p }] }]
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:1 }] }]
)").limits.max_request_body, 0u);
}

TEST(Loader, ReadsUploadAffinityApartFromJobAffinity) {
    const Config c = load(R"(
listeners: [{ name: a, bind: 127.0.0.1:1, routes: [{ prefix: /, pool: p }] }]
pools:
  - name: p
    job_table: { max: 500 }
    upload_affinity: false
    upload_table: { max: 20, max_age: 2h }
    servers: [{ name: s, address: 127.0.0.1:1 }]
)");
    const PoolConfig& pool = c.pools[0];
    EXPECT_FALSE(pool.upload_affinity.enabled);
    EXPECT_EQ(pool.upload_affinity.max_jobs, 20u);
    EXPECT_EQ(pool.upload_affinity.max_age, std::chrono::hours(2));
    EXPECT_TRUE(pool.job_affinity.enabled);
    EXPECT_EQ(pool.job_affinity.max_jobs, 500u);
    EXPECT_EQ(pool.job_affinity.max_age, std::chrono::hours(24));
    const Config defaults = load(R"(
listeners: [{ name: a, bind: 127.0.0.1:1, routes: [{ prefix: /, pool: p }] }]
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:1 }] }]
)");
    EXPECT_TRUE(defaults.pools[0].upload_affinity.enabled);
    EXPECT_EQ(defaults.pools[0].upload_affinity.max_jobs, 100000u);
}

TEST(Loader, ReadsEveryKey) {
    const Config c = load(kFull);
    EXPECT_EQ(c.source_file, "test.yaml");
    EXPECT_EQ(c.workers, 4u);

    ASSERT_TRUE(c.admin);
    EXPECT_EQ(c.admin->bind.to_string(), "127.0.0.1:9900");
    EXPECT_EQ(c.admin->token, "s3cret: x");
    EXPECT_FALSE(c.admin->rollout_hooks) << "running hooks through the admin API is opt-in";
    ASSERT_EQ(c.admin->allow.size(), 2u);
    EXPECT_EQ(c.admin->allow[0].to_string(), "10.0.0.0/8");
    EXPECT_EQ(c.admin->allow[1].to_string(), "::1/128");
    EXPECT_EQ(c.admin->loc.line, 2);
    EXPECT_EQ(c.admin->loc.column, 8);  // a flow map's location is its '{'

    EXPECT_EQ(c.timeouts.connect, seconds(3));
    EXPECT_EQ(c.timeouts.header, seconds(15));
    EXPECT_EQ(c.timeouts.idle, seconds(120));
    EXPECT_EQ(c.timeouts.server, seconds(3600));
    EXPECT_EQ(c.limits.max_request_line, 16u * 1024);
    EXPECT_EQ(c.limits.max_header_size, 1024u * 1024);
    EXPECT_EQ(c.limits.max_headers, 50u);
    EXPECT_EQ(c.access_log, "/var/log/gisgate/access.log");
    EXPECT_EQ(c.log_level, "debug");
    EXPECT_EQ(c.shutdown_grace, milliseconds(500));

    ASSERT_EQ(c.listeners.size(), 2u);
    const auto& pub = c.listeners[0];
    EXPECT_EQ(pub.name, "public");
    EXPECT_EQ(pub.bind.host, "0.0.0.0");
    EXPECT_EQ(pub.bind.port, 8080);
    // Lower-cased, "//" merged; a deny path's trailing '/' is kept (plain prefix match).
    EXPECT_EQ(pub.deny_paths, (std::vector<std::string>{"/arcgis/admin", "/arcgis/manager/"}));
    ASSERT_EQ(pub.allow.size(), 1u);
    EXPECT_EQ(pub.allow[0].to_string(), "192.168.0.0/16");
    EXPECT_EQ(pub.loc.line, 9);
    EXPECT_EQ(pub.loc.column, 5);
    ASSERT_EQ(pub.routes.size(), 2u);
    EXPECT_EQ(pub.routes[0].prefix, "/server");  // trailing '/' dropped
    EXPECT_EQ(pub.routes[0].rewrite, "/arcgis");
    EXPECT_FALSE(pub.routes[0].host);
    EXPECT_EQ(pub.routes[0].pool, "gis");
    EXPECT_EQ(pub.routes[0].loc.line, 14);
    EXPECT_EQ(pub.routes[0].loc.column, 9);
    EXPECT_EQ(pub.routes[1].prefix, "/arcgis");
    EXPECT_FALSE(pub.routes[1].rewrite);
    EXPECT_EQ(pub.routes[1].host, "gis.example.com");

    const auto& internal = c.listeners[1];
    EXPECT_EQ(internal.bind.host, "::1");
    EXPECT_EQ(internal.bind.port, 8081);
    EXPECT_TRUE(internal.deny_paths.empty());
    ASSERT_EQ(internal.allow.size(), 2u);  // default: everybody
    EXPECT_EQ(internal.allow[0].to_string(), "0.0.0.0/0");
    EXPECT_EQ(internal.allow[1].to_string(), "::/0");
    EXPECT_EQ(internal.routes[0].prefix, "/");

    ASSERT_EQ(c.pools.size(), 2u);
    const auto& gis = c.pools[0];
    EXPECT_EQ(gis.name, "gis");
    EXPECT_EQ(gis.balance, BalanceAlgorithm::least_conn);
    EXPECT_EQ(gis.max_active_per_server, 8u);
    EXPECT_EQ(gis.queue.max, 0u);
    EXPECT_EQ(gis.queue.timeout, seconds(10));
    EXPECT_EQ(gis.timeouts.connect, seconds(1));       // pool override
    EXPECT_EQ(gis.timeouts.server, seconds(3600));     // inherited
    EXPECT_EQ(gis.timeouts.header, seconds(15));       // copied
    EXPECT_EQ(gis.timeouts.idle, seconds(120));
    EXPECT_EQ(gis.keepalive_per_server, 16u);
    EXPECT_EQ(gis.loc.line, 21);
    EXPECT_EQ(gis.loc.column, 5);
    ASSERT_EQ(gis.servers.size(), 2u);
    EXPECT_EQ(gis.servers[0].name, "a");
    EXPECT_EQ(gis.servers[0].address.to_string(), "127.0.0.1:6081");
    EXPECT_EQ(gis.servers[0].weight, 3u);
    EXPECT_FALSE(gis.servers[0].backup);
    EXPECT_EQ(gis.servers[0].loc.line, 28);
    EXPECT_EQ(gis.servers[0].loc.column, 9);
    EXPECT_EQ(gis.servers[1].address.host, "gis-b.example.com");
    EXPECT_EQ(gis.servers[1].address.port, 6443);
    EXPECT_EQ(gis.servers[1].weight, 0u);
    EXPECT_TRUE(gis.servers[1].backup);

    const auto& portal = c.pools[1];
    EXPECT_EQ(portal.servers[0].name, "p1");
    EXPECT_EQ(portal.servers[0].loc.line, 32);
    EXPECT_EQ(portal.servers[0].loc.column, 9);

    EXPECT_EQ(c.find_pool("portal"), &c.pools[1]);
    EXPECT_EQ(c.find_pool("nope"), nullptr);
}

TEST(Loader, Defaults) {
    const Config c = load(R"(
listeners:
  - name: public
    bind: 127.0.0.1:8080
    routes:
      - { prefix: /arcgis, pool: gis }
pools:
  - name: gis
    servers:
      - { name: a, address: 127.0.0.1:6081 }
)");
    const unsigned cores = std::thread::hardware_concurrency();
    EXPECT_EQ(c.workers, cores == 0 ? 1u : std::min(cores, 256u));
    EXPECT_FALSE(c.admin);
    EXPECT_EQ(c.timeouts.connect, seconds(5));
    EXPECT_EQ(c.timeouts.header, seconds(10));
    EXPECT_EQ(c.timeouts.idle, seconds(60));
    EXPECT_EQ(c.timeouts.server, seconds(120));
    EXPECT_EQ(c.limits.max_request_line, 32u * 1024);
    EXPECT_EQ(c.limits.max_header_size, 64u * 1024);
    EXPECT_EQ(c.limits.max_headers, 100u);
    EXPECT_EQ(c.limits.max_connections, 10000u);
    EXPECT_EQ(c.limits.max_connections_per_ip, 0u);
    EXPECT_EQ(c.timeouts.body, std::chrono::seconds(30));
    EXPECT_EQ(c.timeouts.body_min_rate, 500u);
    EXPECT_EQ(c.access_log, "stdout");
    EXPECT_EQ(c.log_level, "info");
    EXPECT_EQ(c.shutdown_grace, seconds(30));

    const auto& l = c.listeners.at(0);
    EXPECT_TRUE(l.deny_paths.empty());
    ASSERT_EQ(l.allow.size(), 2u);
    EXPECT_TRUE(l.allow[0].contains("203.0.113.9"));
    EXPECT_TRUE(l.allow[1].contains("2001:db8::1"));

    const auto& p = c.pools.at(0);
    EXPECT_EQ(p.balance, BalanceAlgorithm::round_robin);
    EXPECT_EQ(p.max_active_per_server, 0u);
    EXPECT_EQ(p.queue.max, 500u);
    EXPECT_EQ(p.queue.timeout, seconds(30));
    EXPECT_EQ(p.timeouts.connect, seconds(5));
    EXPECT_EQ(p.timeouts.server, seconds(120));
    EXPECT_EQ(p.keepalive_per_server, 64u);
    EXPECT_EQ(p.servers.at(0).weight, 1u);
    EXPECT_FALSE(p.servers.at(0).backup);
}

TEST(Loader, AutoWorkersResolvesToCores) {
    const Config c = load(R"(
workers: auto
listeners: [{ name: l, bind: 127.0.0.1:0, routes: [{ prefix: /, pool: p }] }]
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:1 }] }]
)");
    EXPECT_GE(c.workers, 1u);
    EXPECT_LE(c.workers, 256u);
    const unsigned cores = std::thread::hardware_concurrency();
    if (cores > 0 && cores <= 256) {
        EXPECT_EQ(c.workers, cores);
    }
}

TEST(Loader, WorkersBounds) {
    const char* base = R"(
listeners: [{ name: l, bind: 127.0.0.1:0, routes: [{ prefix: /, pool: p }] }]
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:1 }] }]
)";
    EXPECT_EQ(load(std::string("\nworkers: 1") + base).workers, 1u);
    EXPECT_EQ(load(std::string("\nworkers: 256") + base).workers, 256u);
    EXPECT_EQ(load(std::string("\nworkers: \"8\"") + base).workers, 8u);
}

TEST(Loader, AdminDefaultsToLocalhostOnly) {
    const Config c = load(R"(
admin: { bind: 127.0.0.1:9900, token: t }
listeners: [{ name: l, bind: 127.0.0.1:8080, routes: [{ prefix: /, pool: p }] }]
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:1 }] }]
)");
    ASSERT_TRUE(c.admin);
    ASSERT_EQ(c.admin->allow.size(), 2u);
    EXPECT_EQ(c.admin->allow[0].to_string(), "127.0.0.1/32");
    EXPECT_EQ(c.admin->allow[1].to_string(), "::1/128");
    EXPECT_FALSE(c.admin->allow[0].contains("10.0.0.1"));
}

TEST(Loader, PoolTimeoutsInheritRegardlessOfOrder) {
    // Top-level timeouts written after the pools still become the pools' defaults.
    const Config c = load(R"(
pools:
  - name: a
    servers: [{ name: s, address: 127.0.0.1:1 }]
  - name: b
    timeouts: { server: 5m }
    servers: [{ name: s, address: 127.0.0.1:2 }]
listeners: [{ name: l, bind: 127.0.0.1:0, routes: [{ prefix: /, pool: a }, { prefix: /b, pool: b }] }]
timeouts: { connect: 2s, server: 10s, header: 3s, idle: 4s }
)");
    const auto& a = *c.find_pool("a");
    EXPECT_EQ(a.timeouts.connect, seconds(2));
    EXPECT_EQ(a.timeouts.server, seconds(10));
    EXPECT_EQ(a.timeouts.header, seconds(3));
    EXPECT_EQ(a.timeouts.idle, seconds(4));
    const auto& b = *c.find_pool("b");
    EXPECT_EQ(b.timeouts.connect, seconds(2));
    EXPECT_EQ(b.timeouts.server, seconds(300));
}

TEST(Loader, RoutesOverrideTimeoutsAndRetries) {
    const Config c = load(R"(
listeners:
  - name: public
    bind: 127.0.0.1:0
    routes:
      - { prefix: /arcgis/rest/services/Tools, pool: gis, timeouts: { server: 10m, connect: 2s }, retries: 0,
          retry_on_timeout: false }
      - { prefix: /arcgis, pool: gis }
pools:
  - name: gis
    servers: [{ name: a, address: 127.0.0.1:6081 }]
)");
    const RouteConfig& gp = c.listeners[0].routes[0];
    EXPECT_EQ(gp.server_timeout, std::chrono::minutes(10));
    EXPECT_EQ(gp.connect_timeout, std::chrono::seconds(2));
    EXPECT_EQ(gp.retries, 0u);
    EXPECT_FALSE(gp.retry_on_timeout);
    const RouteConfig& plain = c.listeners[0].routes[1];
    EXPECT_FALSE(plain.server_timeout || plain.connect_timeout || plain.retries);
    EXPECT_TRUE(plain.retry_on_timeout);
    // Written back by `gisgate check` and read again unchanged.
    const Config again = load_string(to_yaml(c), "again.yaml");
    EXPECT_EQ(again.listeners[0].routes[0].server_timeout, std::chrono::minutes(10));
    EXPECT_EQ(again.listeners[0].routes[0].retries, 0u);
    EXPECT_FALSE(again.listeners[0].routes[0].retry_on_timeout);
}

TEST(Loader, BadRouteOverridesAreLocatedErrors) {
    const std::string head = "listeners:\n  - name: public\n    bind: 127.0.0.1:0\n    routes:\n";
    const std::string tail = "pools:\n  - name: gis\n    servers: [{ name: a, address: 127.0.0.1:6081 }]\n";
    EXPECT_TRUE(testing::fails_at(head + "      - { prefix: /a, pool: gis, retries: 9 }\n" + tail, 5, 43, ""));
    EXPECT_TRUE(testing::fails_at(head + "      - { prefix: /a, pool: gis, timeouts: { idle: 5s } }\n" + tail, 5, 46,
                                  "unknown key 'idle' in route timeouts"));
    EXPECT_TRUE(testing::fails_at(head + "      - { prefix: /a, pool: gis, retry_on_timeout: maybe }\n" + tail, 5, 52,
                                  ""));
    EXPECT_TRUE(testing::fails_at(head + "      - { prefix: /a, pool: gis, rewrite_location: sometimes }\n" + tail, 5,
                                  52, "'rewrite_location' must be auto or off, got 'sometimes'"));
}

TEST(Loader, EmptyAllowListAdmitsNobody) {
    const Config c = load(R"(
listeners: [{ name: l, bind: 127.0.0.1:0, allow: [], routes: [{ prefix: /, pool: p }] }]
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:1 }] }]
)");
    EXPECT_TRUE(c.listeners[0].allow.empty());
}

TEST(Loader, EphemeralPortsNeverCollide) {
    // Port 0 is "any free port" (tests start several listeners this way).
    const Config c = load(R"(
admin: { bind: 127.0.0.1:0, token: t }
listeners:
  - { name: a, bind: 127.0.0.1:0, routes: [{ prefix: /, pool: p }] }
  - { name: b, bind: 127.0.0.1:0, routes: [{ prefix: /, pool: p }] }
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:1 }] }]
)");
    EXPECT_EQ(c.listeners.size(), 2u);
}

TEST(Loader, DifferentFamiliesOnOnePortAreAllowed) {
    const Config c = load(R"(
listeners:
  - { name: v4, bind: 0.0.0.0:8080, routes: [{ prefix: /, pool: p }] }
  - { name: v6, bind: "[::1]:8080", routes: [{ prefix: /, pool: p }] }
  - { name: other, bind: 127.0.0.1:8081, routes: [{ prefix: /, pool: p }] }
pools: [{ name: p, servers: [{ name: s, address: 127.0.0.1:1 }] }]
)");
    EXPECT_EQ(c.listeners.size(), 3u);
}

TEST(Loader, ScalarSpellings) {
    const Config c = load(R"(
shutdown_grace: 0
limits: { max_request_line: 8192, max_header_size: "64KiB", max_headers: 1 }
listeners: [{ name: l, bind: localhost:8080, routes: [{ prefix: /a/b/, rewrite: /, pool: p }] }]
pools:
  - name: p
    servers:
      - { name: s1, address: 127.0.0.1:1, backup: yes }
      - { name: s2, address: 127.0.0.1:2, backup: off, weight: 1000 }
)");
    EXPECT_EQ(c.shutdown_grace, seconds(0));
    EXPECT_EQ(c.limits.max_request_line, 8192u);
    EXPECT_EQ(c.limits.max_header_size, 65536u);
    EXPECT_EQ(c.listeners[0].routes[0].prefix, "/a/b");
    EXPECT_EQ(c.listeners[0].routes[0].rewrite, "/");
    EXPECT_TRUE(c.pools[0].servers[0].backup);
    EXPECT_FALSE(c.pools[0].servers[1].backup);
    EXPECT_EQ(c.pools[0].servers[1].weight, 1000u);
}

TEST(Loader, LoadFileReportsItsPath) {
    // Per-process name: ctest runs tests in parallel, possibly from several build directories.
    const std::string path = ::testing::TempDir() + "gisgate_config_test_" + std::to_string(getpid()) + ".yaml";
    {
        std::FILE* f = std::fopen(path.c_str(), "w");
        ASSERT_NE(f, nullptr);
        std::fputs("listeners: []\npools: nope\n", f);
        std::fclose(f);
    }
    try {
        load_file(path);
        FAIL() << "expected an error";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()), path + ":2:8: 'pools' must be a list, got a scalar");
        EXPECT_EQ(e.loc().file, path);
    }
    std::remove(path.c_str());
}

TEST(Loader, LoadFileMissing) {
    const std::string path = ::testing::TempDir() + "gisgate_no_such_file.yaml";
    try {
        load_file(path);
        FAIL() << "expected an error";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()), path + ":0:0: cannot read file: No such file or directory");
        EXPECT_EQ(e.loc().line, 0);
        EXPECT_EQ(e.message(), "cannot read file: No such file or directory");
    }
}

TEST(Loader, LoadFileDirectory) {
    try {
        load_file(::testing::TempDir());
        FAIL() << "expected an error";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(":0:0: cannot read file: Is a directory"), std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace gisgate::config

namespace gisgate::config {
namespace {
using testing::load;
TEST(ConfigLoader, AdminMapUrlForTheDashboard) {
    const std::string rest = R"(
listeners:
  - { name: public, bind: 127.0.0.1:8080, routes: [{ prefix: /, pool: gis }] }
pools:
  - { name: gis, servers: [{ name: a, address: 127.0.0.1:6081 }] }
)";
    const Config c = load(
        "admin: { bind: 127.0.0.1:9900, token: t, map: "
        "\"http://127.0.0.1:8080/arcgis/rest/services/SampleWorldCities/MapServer/\" }" + rest);
    ASSERT_TRUE(c.admin);
    // The trailing slash is dropped: the page appends /tile/z/y/x.
    EXPECT_EQ(c.admin->map_url, "http://127.0.0.1:8080/arcgis/rest/services/SampleWorldCities/MapServer");
    EXPECT_TRUE(load("admin: { bind: 127.0.0.1:9900, token: t }" + rest).admin->map_url.empty());
}
}  // namespace
}  // namespace gisgate::config
