// The validated configuration of a gisgate instance: what `config/loader` builds from YAML and every other
// module reads. Plain value types only; defaults here are the vendor deployment guides' recommendations.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/cidr.hpp"
#include "config/observability.hpp"

namespace gisgate::config {

using Duration = std::chrono::milliseconds;

// Where a value came from, for `file:line:col` messages (line and column 1-based; 0 = unknown).
struct SourceLoc {
    std::string file;
    int line = 0;
    int column = 0;
};

// host:port as written; host is an IPv4/IPv6 literal or a name ("[::1]:8080" for IPv6).
struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
    std::string to_string() const;  // "127.0.0.1:8080", "[::1]:8080"
};

struct Timeouts {
    Duration connect{std::chrono::seconds(5)};   // TCP connect to a server
    Duration header{std::chrono::seconds(10)};   // receive a whole request head from a client
    Duration idle{std::chrono::seconds(60)};     // keep-alive idle between client requests
    Duration server{std::chrono::seconds(120)};  // wait for (and between bytes of) a server's response
    // Request bodies (slow-POST defence): the longest wait for the next body bytes, and the average rate the
    // client must keep once it has been waited on for `body` (bytes per second; 0 = no rate limit). Only time
    // spent waiting on the client counts, not time gisgate waits for the server to take the bytes.
    Duration body{std::chrono::seconds(30)};
    std::uint32_t body_min_rate = 500;
    // An upgraded connection (WebSocket: stream services, GeoEvent, Notebook Server) is closed after this long
    // without a byte in either direction. Stream services push often; an hour of silence is a dead subscriber.
    Duration tunnel{std::chrono::hours(1)};
};

struct QueueConfig {
    std::uint32_t max = 500;                          // waiting requests per pool; 0 = no queue
    Duration timeout{std::chrono::seconds(30)};       // longest wait before 503
};

struct ServerConfig {
    std::string name;
    Endpoint address;
    std::uint32_t weight = 1;  // 0 = takes no traffic
    bool backup = false;       // standby: only used while no primary is up
    SourceLoc loc;
};

enum class BalanceAlgorithm { round_robin, least_conn };

enum class HealthCheckType { http, tcp };

// Active health checks. Defaults are the vendor guide's recommendations (check every 30 s, 5 s timeout,
// 5 failures to take a server out, 3 successes to bring it back).
enum class SendProxy { off, v1, v2 };  // PROXY protocol header gisgate sends on its server connections

struct HealthConfig {
    bool enabled = true;
    std::string path = "/arcgis/rest/info/healthcheck";
    Duration interval{std::chrono::seconds(30)};
    Duration timeout{std::chrono::seconds(5)};
    std::uint32_t fall = 5;          // consecutive failed checks before a slow/failing server is marked down
    std::uint32_t rise = 3;          // consecutive good checks before a down server rejoins
    int expect_status = 200;
    std::string expect_body;         // optional substring the body must contain (e.g. "\"success\"")
    HealthCheckType type = HealthCheckType::http;  // `type: tcp`: a connect is the whole check
    // `send_proxy: true`: checks start their connections with a PROXY header too, for servers that require
    // one on every connection: the pool's `send_proxy` version, v1 when the pool sends none (set by the loader).
    bool send_proxy = false;
    SendProxy proxy_version = SendProxy::off;
};

// Asynchronous geoprocessing job affinity: jobId → the server that answered submitJob.
struct JobAffinityConfig {
    bool enabled = true;                              // `job_affinity: true|false`
    std::uint32_t max_jobs = 100000;                  // table bound; the oldest entries go first
    Duration max_age{std::chrono::hours(24)};         // entries older than this are forgotten
};

// `cache:` on a pool: an in-memory cache of GET responses that are cacheable by their own headers (map and
// image tiles), split evenly over the workers so lookups take no lock.
struct CacheConfig {
    std::uint64_t memory = 256ull << 20;           // bytes over all workers
    std::uint64_t max_object = 8ull << 20;         // larger responses are relayed but not kept
    std::vector<std::string> paths;                // globs on the forwarded path; '*' matches anything, '/' too
    bool allow_authorized = false;                 // cache requests with Authorization (shared tiles behind auth)
    bool allow_token = false;                      // cache requests with a `token` query parameter
    // Requests carrying one of these cookies (lower-case names) are credentialed: the ArcGIS Enterprise and
    // ArcGIS Online sign-in cookies by default. `bypass_cookies: all` treats any cookie so.
    std::vector<std::string> bypass_cookies = {"esri_auth", "esri_aopc", "agstoken", "ags_roles"};
    bool bypass_all_cookies = false;
    SourceLoc loc;
};

enum class OnDrift { warn, drain };
enum class Sticky { none, cookie };

enum class TlsVersion { v1_2, v1_3 };

// One certificate of a TLS listener, validated at load (PEM chain, key matching the leaf).
struct CertificateConfig {
    std::string cert_file;           // as resolved (relative paths are relative to the config file)
    std::string key_file;
    std::string cert_pem;            // the contents that were validated; what the listener serves
    std::string key_pem;
    std::vector<std::string> names;  // from the certificate (DNS and IP subjectAltNames, else the CN): SNI
    bool is_default = false;         // served when no certificate's names match the client's SNI
    SourceLoc loc;                   // of the `cert:` value
};

// `tls:` on a listener: TLS termination. No certificate → `gisgate run` generates a self-signed one.
struct ListenerTlsConfig {
    std::vector<CertificateConfig> certs;
    TlsVersion min_version = TlsVersion::v1_2;
    std::string ciphers;       // TLS 1.2 cipher list (OpenSSL syntax); defaults filled in by the loader
    std::string ciphersuites;  // TLS 1.3 suites
    SourceLoc loc;
};

// `tls:` on a pool: the servers speak TLS (re-encryption, HTTPS health checks).
struct UpstreamTlsConfig {
    bool enabled = false;
    bool verify = true;        // verify the server's chain (against `ca`, else the system store) and name
    std::string ca_file;
    std::string ca_pem;
    std::string sni;           // SNI and the name verified; default: each server's host (IP literals: no SNI)
    TlsVersion min_version = TlsVersion::v1_2;
    std::string ciphers;
    std::string ciphersuites;
};

// Operation classes (docs/throttling.md): what a request costs a GIS server. Heavy work (large exports,
// geoprocessing, batch geocoding) may take only a share of each server's slots, and the queue serves classes by
// weighted priority, interactive first, so a tile or a query never waits behind a site saturated by exports.
enum class OperationClass : std::uint8_t { interactive = 0, other = 1, heavy = 2 };
inline constexpr std::size_t kOperationClasses = 3;

// `classes: { rules: [...] }`: a request whose service, type and operation match is in `cls`; the first match
// wins, before the built-in rules. Globs are case-insensitive; "*" matches every service, root or foldered.
struct ClassRule {
    std::string services = "*";
    std::string type = "*";
    std::string operations = "*";
    OperationClass cls = OperationClass::other;
    SourceLoc loc;
};

struct ClassesConfig {
    std::vector<ClassRule> rules;
    std::uint32_t heavy_export_size = 2048;  // export/exportImage wider or taller than this: heavy
    // `limits: always` (default): a class never holds more than its share, so heavy work can never take every
    // slot. `limits: while_mixed`: a share binds only while requests of another class came to the pool in the
    // last 30 s, for a pool that mostly serves one class (a geoprocessing cluster keeps all its slots for it).
    bool limits_while_mixed = false;
    // Share of max_active_per_server each class may hold on one server (class_limits); 100 = no own limit.
    std::array<double, kOperationClasses> limit_percent{100, 100, 50};
    // Weighted priority of the queue (class_queue: { <class>: { weight, timeout } }); timeout 0 = queue.timeout.
    std::array<std::uint32_t, kOperationClasses> weight{8, 4, 1};
    std::array<Duration, kOperationClasses> queue_timeout{};
};

// `outlier:` on a pool: passive ejection of a server that fails live traffic (balance/outlier.hpp), without
// waiting for `fall` health checks; it returns after `rise` good checks. Absent = off; `outlier: {}` = 5 and 3.
struct OutlierConfig {
    std::uint32_t consecutive_5xx = 5;       // 502/503/504 or a connection lost without an answer; 0 = off
    std::uint32_t consecutive_timeouts = 3;  // no response head within timeouts.server (or connect); 0 = off
    // An ArcGIS 500 is usually one request's application error (a bad where clause, a failing GP task), not a
    // sick server, so it counts only when asked to.
    bool count_500 = false;
    bool enabled() const { return consecutive_5xx != 0 || consecutive_timeouts != 0; }
};

// `max_active_per_server: auto` or `max_active_per_server: { auto: { min: 1, max: 64 } }`: each server's limit is
// found from the latency it shows (balance/adaptive_limit.hpp), between these bounds.
struct AutoLimitConfig {
    bool enabled = false;
    std::uint32_t min = 1;
    std::uint32_t max = 64;
};

struct PoolConfig {
    std::string name;
    BalanceAlgorithm balance = BalanceAlgorithm::round_robin;
    std::uint32_t max_active_per_server = 0;  // requests in flight per server; 0 = unlimited (or auto_limit)
    AutoLimitConfig auto_limit;               // max_active_per_server: auto
    // Whether servers have a limit at all (a number or auto): class shares and the queue need one.
    bool limited() const { return max_active_per_server != 0 || auto_limit.enabled; }
    QueueConfig queue;
    ClassesConfig classes;                    // operation classes: class_limits, class_queue, classes
    Timeouts timeouts;                        // connect/server from the pool, else the top-level ones
    std::uint32_t keepalive_per_server = 64;  // idle pooled connections kept per server per worker
    std::uint32_t retries = 2;                // further servers tried when one fails before answering
    // Each server connection starts with a PROXY header naming the client (http and tcp paths), for servers
    // (or another balancer) that read the client address from it.
    SendProxy send_proxy = SendProxy::off;
    HealthConfig health;
    JobAffinityConfig job_affinity;
    // Upload affinity (`upload_affinity`, `upload_table`): itemID → the server that answered uploads/upload, in a
    // table of the same kind (max_jobs counts items).
    JobAffinityConfig upload_affinity;
    // Active-active sites must publish the same services: compare their catalogs every `drift_check_every`.
    bool expect_identical = false;
    OnDrift on_drift = OnDrift::warn;
    Duration drift_check_every{std::chrono::seconds(60)};
    // `drift_token: { username: U, password: P }`: with expect_identical, each drift round also asks every
    // server's token service for a token (as U) and checks it against the others: a server whose tokens the
    // majority refuses (or that refuses theirs) signs with another token key (vendor guide: all sites of a
    // deployment share one). Empty username: no token check.
    std::string drift_token_username;
    std::string drift_token_password;
    // Service discovery: read this pool's catalog every `discover_every` (0 = only when a route asks).
    Duration discover_every{0};
    Sticky sticky = Sticky::none;             // `sticky: cookie`: off by default, as the vendor guides advise
    std::string sticky_cookie = "GISGATE_SERVER";
    std::optional<CacheConfig> cache;
    UpstreamTlsConfig tls;                    // the servers speak TLS (re-encryption, health checks over TLS)
    std::vector<ServerConfig> servers;
    SourceLoc loc;
    OutlierConfig outlier{0, 0, false};  // off unless the pool has an `outlier:` block
    // `slow_start: 60s`: a server that comes back (health rise, ready after drain/maint, added at runtime) gets
    // its weight and its share of max_active_per_server ramped linearly over this (balance/slow_start.hpp). 0 = off.
    Duration slow_start{0};
};

struct RouteConfig {
    std::string prefix;                 // normalised path prefix, matched on whole segments, case-insensitive;
                                        // empty for a `services` route
    std::optional<std::string> rewrite; // replaces `prefix` in the forwarded path
    std::optional<std::string> host;    // Host header sent to the server (default: the client's)
    std::string pool;
    // ArcGIS service globs on "folder/service" ("Geocode/*", "Utilities/PrintingTools", "*"): the route matches
    // /<context>/rest/services/[<folder>/]<service>/<Type>/... for those services instead of a prefix.
    std::vector<std::string> services;
    // `discover: { every: 60s }`: send each service to the pool whose catalog lists it; others to `pool`.
    std::optional<Duration> discover_every;
    // Overrides of the pool's settings for this route's requests (GP execute may need minutes, tiles seconds):
    // `timeouts: { connect, server }`, `retries`, `retry_on_timeout` (a safe request the server did not
    // answer in time goes to the next server; default true).
    std::optional<Duration> connect_timeout;
    std::optional<Duration> server_timeout;
    std::optional<std::uint32_t> retries;
    bool retry_on_timeout = true;
    // `rewrite_location: auto` (default) | `off`: Location, Content-Location and Refresh that point at the
    // server's host or at the `rewrite` path are turned back into the client's URL (proxy/location_rewrite.hpp).
    bool rewrite_location = true;
    SourceLoc loc;
};

struct LimitsConfig {
    std::uint32_t max_request_line = 32 * 1024;  // bytes; beyond → 414 (ArcGIS GET geometry can be long)
    std::uint32_t max_header_size = 64 * 1024;   // whole request head in bytes; beyond → 431
    std::uint32_t max_headers = 100;             // header fields; beyond → 431
    // Request body in bytes (Content-Length, or the running total of chunk sizes); beyond → 413. 0 = no limit.
    // 4 GiB by default: ArcGIS uploads (item data, file geodatabases for geoprocessing) can be large.
    std::uint64_t max_request_body = std::uint64_t{4} << 30;
    // Client connections open at once, in total and per client address (0 = unlimited). Beyond them a new
    // connection gets a 503 and is closed at once; connections already open are not affected.
    std::uint32_t max_connections = 10000;
    std::uint32_t max_connections_per_ip = 0;
    // WebSocket tunnels open at once over all listeners (0 = unlimited); an upgrade beyond it gets a 503.
    std::uint32_t max_tunnels = 10000;
    // HTTP/2: streams open at once per connection (SETTINGS_MAX_CONCURRENT_STREAMS), and streams per
    // connection before a graceful GOAWAY (0 = no limit). A request's header list is bounded by
    // max_header_size, as an HTTP/1.1 head is.
    std::uint32_t max_concurrent_streams = 100;
    std::uint32_t max_requests_per_connection = 0;
};

enum class ListenerMode { http, tcp };

struct ListenerConfig {
    std::string name;
    Endpoint bind;
    ListenerMode mode = ListenerMode::http;  // `mode: tcp`: layer 4, bytes relayed to `pool` unparsed
    std::string pool;                         // tcp mode: the pool connections are balanced over
    Duration idle_timeout{std::chrono::hours(1)};  // tcp mode: no byte either way for this long → close
    std::optional<ListenerTlsConfig> tls;     // http mode: terminate TLS on this listener
    bool http2 = true;   // a TLS listener offers ALPN h2 (then http/1.1); `http2: false` offers http/1.1 only
    bool h2c = false;    // a plaintext listener also takes HTTP/2 with prior knowledge (the client's preface)
    std::vector<std::string> deny_paths;  // lower-cased normalised prefixes → 403
    // `path_escapes: keep`: forward %2F, %5C, '\', "..;" and %25xx as sent instead of answering 400 (for
    // sites that need them; deny_paths then match them the way the server may read them).
    bool keep_path_escapes = false;
    std::vector<Cidr> allow;              // client CIDRs; empty list in config = allow nobody; default all
    // `proxy_protocol: { accept: true, from: [CIDRs] }`: connections from these addresses (a balancer in
    // front) must start with a PROXY v1/v2 header, whose source address is then the client's everywhere
    // (allow, limits, X-Forwarded-For, logs). Connections from elsewhere must not send one. Empty: off.
    std::vector<Cidr> proxy_protocol_from;
    // Peers whose X-Forwarded-For chain (and X-Forwarded-Proto/-Host) is kept and appended to; from anyone
    // else those headers are replaced by what gisgate saw.
    std::vector<Cidr> trusted_proxies;
    std::vector<RouteConfig> routes;
    SourceLoc loc;
};

// One line per request: `text` (the compact line of docs/observability.md) or `json` (one object per line, every
// field a log pipeline wants: durations per phase, request id, service, user agent...).
enum class AccessLogFormat : std::uint8_t { text, json };

// `tracing: { request_id: X-Request-Id, traceparent: create }`
struct TracingConfig {
    // The request id header: taken from a trusted proxy (listener `trusted_proxies`), else generated; sent to
    // the server and in the response, logged. Empty (`request_id: off`): none.
    std::string request_id_header = "X-Request-Id";
    // W3C Trace Context: `create` makes gisgate a hop of the trace (a valid incoming traceparent keeps its
    // trace id and gets gisgate's span as parent; none or an invalid one starts a trace), `propagate` forwards
    // what the client sent unchanged and creates nothing.
    bool create_traceparent = true;
};

// A site the dashboard may fail and heal from its buttons (the demo's simulated sites, `gisgate demo` only):
// the server's name in the pool and the origin of the sim's fault API ("http://127.0.0.1:6081").
struct DemoSite {
    std::string server;
    std::string control_origin;
};

struct AdminConfig {
    Endpoint bind;
    std::string token;
    std::vector<Cidr> allow;
    // `map: http://host:8080/arcgis/rest/services/Name/MapServer`: a cached map service as browsers reach it
    // through a public listener, drawn by the dashboard's Map view (its origin is let into the page's CSP).
    // Empty: no Map view.
    std::string map_url;
    std::vector<DemoSite> demo_sites;  // set by `gisgate demo`, not read from YAML
    // `rollout_hooks: true`: POST /api/v1/rollouts may name a hook, a shell command gisgate runs. Off by
    // default: without it the admin token changes states but never runs commands on this machine.
    bool rollout_hooks = false;
    SourceLoc loc;
};

// `cluster: { node: lb1, peers: [ { name: lb2, admin: 10.0.0.22:9900 } ] }` (docs/cluster.md): runtime changes
// made on any node reach every peer through the peers' admin APIs (same admin token on every node).
struct ClusterPeerConfig {
    std::string name;
    Endpoint admin;  // the peer's admin API
    SourceLoc loc;
};

struct ClusterConfig {
    std::string node;  // this node's name, as its peers list it
    std::vector<ClusterPeerConfig> peers;
    Duration sync_interval{std::chrono::seconds(1)};      // anti-entropy exchange with every peer
    Duration peer_timeout{std::chrono::seconds(1)};       // one sync exchange
    Duration job_lookup_timeout{std::chrono::milliseconds(300)};  // asking the peers for a job's server
    SourceLoc loc;
};

struct Config {
    std::string source_file;
    unsigned workers = 0;  // resolved: `auto` → number of cores
    std::optional<AdminConfig> admin;
    std::optional<ClusterConfig> cluster;  // none: a single node
    Timeouts timeouts;     // top-level defaults (listeners use header/idle)
    LimitsConfig limits;
    std::string access_log = "stdout";  // "stdout", "off", or a file path
    AccessLogFormat access_log_format = AccessLogFormat::text;  // `access_log: { path: ..., format: json }`
    TracingConfig tracing;
    // Query parameters whose values the access log writes as REDACTED, besides http::kSecretParams (token,
    // password, client_secret, code, refresh_token); lower-cased.
    std::vector<std::string> redact_params;
    std::string log_level = "info";
    Duration shutdown_grace{std::chrono::seconds(30)};
    std::vector<ListenerConfig> listeners;
    std::vector<PoolConfig> pools;
    MetricsConfig metrics;                 // observability (config/observability.hpp)
    std::optional<HistoryConfig> history;  // none: no history database
    AlertsConfig alerts;

    const PoolConfig* find_pool(std::string_view name) const;
};

}  // namespace gisgate::config
