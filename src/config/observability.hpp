// Config of the observability features: live per-service statistics (`metrics:`), the SQLite history
// (`history:`) and alert rules with an optional webhook (`alerts:`). Plain values, like the rest of Config.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gisgate::config {

struct SourceLoc;

// `metrics: { max_services: 200, slow_p95: 500ms, window: 60s }`
struct MetricsConfig {
    std::uint32_t max_services = 200;                    // tracked services; requests for others count as "_other"
    std::chrono::milliseconds slow_p95{500};             // a service whose P95 is above this is "slow"
    std::chrono::milliseconds window{std::chrono::seconds(60)};  // sliding window of /api/v1/services
};

// `history: { path: gisgate-data/history.db, retention: 90d, interval: 60s }`; no history without the key.
struct HistoryConfig {
    std::string path = "gisgate-data/history.db";       // relative to the working directory; parent created
    std::chrono::milliseconds retention{std::chrono::hours(24 * 90)};
    std::chrono::milliseconds interval{std::chrono::seconds(60)};  // whole seconds, 1s..1h
};

// `alerts: { webhook: { url: http://127.0.0.1:9000/hook, retries: 3, timeout: 5s } }`
struct WebhookConfig {
    std::string url;            // as written
    std::string host;           // parsed from url (plain http only)
    std::uint16_t port = 80;
    std::string target = "/";   // path and query
    std::uint32_t retries = 3;  // further attempts after a failed delivery (backoff 1s, 2s, 4s, ... up to 30s)
    std::chrono::milliseconds timeout{std::chrono::seconds(5)};  // per attempt: connect, send and answer
};

enum class AlertType : std::uint8_t {
    server_down,        // a server is down (health); target "pool/server"
    pool_up_below,      // a pool has fewer than `min_up` servers up; target "pool"
    service_p95_above,  // a service's P95 over `window` is above `limit`; target "folder/service"
    error_rate_above,   // share of 5xx answers over `window` is above `limit` percent; target the pool or "all"
    queue_rejections,   // at least `limit` queue rejections (503) within `window`; target the pool or "all"
};
const char* to_string(AlertType type);

struct AlertRule {
    std::string name;
    AlertType type = AlertType::server_down;
    std::string pool;           // optional filter (server_down, error_rate_above, queue_rejections); required
                                // for pool_up_below
    std::string service;        // service_p95_above: glob on "folder/service" ("SampleWorldCities", "Maps/*")
    std::uint32_t min_up = 1;   // pool_up_below
    double limit = 0;           // service_p95_above: milliseconds; error_rate_above: percent; queue_rejections: count
    std::chrono::milliseconds window{std::chrono::minutes(5)};  // windowed rules (1s..1h)
    std::uint64_t min_requests = 1;  // service_p95_above, error_rate_above: fewer requests in the window never fire
};

struct AlertsConfig {
    std::optional<WebhookConfig> webhook;
    std::vector<AlertRule> rules;
};

}  // namespace gisgate::config
