// `metrics:`, `history:`, `alerts:`, `access_log:` and `tracing:`: defaults, every key read, located errors, and the round trip
// through to_yaml (what `gisgate check` prints must load back the same).
#include <gtest/gtest.h>

#include "config/loader.hpp"
#include "config_test_util.hpp"

namespace gisgate::config {
namespace {

using testing::fails_at;
using testing::kOnePool;
using testing::load;
using namespace std::chrono_literals;

std::string with(const std::string& tail) { return std::string(kOnePool) + tail; }

TEST(ConfigObservability, DefaultsWithoutTheSections) {
    const Config c = load(kOnePool);
    EXPECT_EQ(c.metrics.max_services, 200u);
    EXPECT_EQ(c.metrics.slow_p95, 500ms);
    EXPECT_EQ(c.metrics.window, 60s);
    EXPECT_FALSE(c.history.has_value());
    EXPECT_FALSE(c.alerts.webhook.has_value());
    EXPECT_TRUE(c.alerts.rules.empty());
}

TEST(ConfigObservability, HistoryAloneTurnsItOnWithDefaults) {
    const Config c = load(with("history:\n"));
    ASSERT_TRUE(c.history.has_value());
    EXPECT_EQ(c.history->path, "gisgate-data/history.db");
    EXPECT_EQ(c.history->retention, 90 * 24h);
    EXPECT_EQ(c.history->interval, 60s);
}

TEST(ConfigObservability, EveryKeyIsRead) {
    const Config c = load(with(R"(metrics: { max_services: 50, slow_p95: 250ms, window: 30s }
history: { path: /var/lib/gisgate/h.db, retention: 30d, interval: 1s }
alerts:
  webhook: { url: "http://127.0.0.1:9000/hook?src=gisgate", retries: 5, timeout: 2s }
  rules:
    - { name: site-down, type: server_down }
    - { name: gis-down, type: server_down, pool: gis }
    - { name: pool-degraded, type: pool_up_below, pool: gis, min_up: 2 }
    - { name: slow-export, type: service_p95_above, service: "SampleWorldCities", limit: 500ms, window: 5m, min_requests: 10 }
    - { name: errors, type: error_rate_above, limit: 5%, window: 5m, pool: gis }
    - { name: errors-all, type: error_rate_above, limit: "0.5" }
    - { name: rejections, type: queue_rejections, pool: gis, window: 1m, limit: 3 }
)"));
    EXPECT_EQ(c.metrics.max_services, 50u);
    EXPECT_EQ(c.metrics.slow_p95, 250ms);
    EXPECT_EQ(c.metrics.window, 30s);
    ASSERT_TRUE(c.history);
    EXPECT_EQ(c.history->path, "/var/lib/gisgate/h.db");
    EXPECT_EQ(c.history->retention, 30 * 24h);
    EXPECT_EQ(c.history->interval, 1s);
    ASSERT_TRUE(c.alerts.webhook);
    EXPECT_EQ(c.alerts.webhook->host, "127.0.0.1");
    EXPECT_EQ(c.alerts.webhook->port, 9000);
    EXPECT_EQ(c.alerts.webhook->target, "/hook?src=gisgate");
    EXPECT_EQ(c.alerts.webhook->retries, 5u);
    EXPECT_EQ(c.alerts.webhook->timeout, 2s);
    const auto& r = c.alerts.rules;
    ASSERT_EQ(r.size(), 7u);
    EXPECT_EQ(r[0].type, AlertType::server_down);
    EXPECT_EQ(r[0].pool, "");
    EXPECT_EQ(r[1].pool, "gis");
    EXPECT_EQ(r[2].type, AlertType::pool_up_below);
    EXPECT_EQ(r[2].min_up, 2u);
    EXPECT_EQ(r[3].type, AlertType::service_p95_above);
    EXPECT_EQ(r[3].service, "SampleWorldCities");
    EXPECT_EQ(r[3].limit, 500.0);
    EXPECT_EQ(r[3].window, 5min);
    EXPECT_EQ(r[3].min_requests, 10u);
    EXPECT_EQ(r[4].type, AlertType::error_rate_above);
    EXPECT_EQ(r[4].limit, 5.0);
    EXPECT_EQ(r[4].pool, "gis");
    EXPECT_EQ(r[5].limit, 0.5);
    EXPECT_EQ(r[5].window, 5min);  // default
    EXPECT_EQ(r[6].type, AlertType::queue_rejections);
    EXPECT_EQ(r[6].window, 1min);
    EXPECT_EQ(r[6].limit, 3.0);
}

TEST(ConfigObservability, WebhookUrlDefaultsPortAndPath) {
    const Config c = load(with("alerts: { webhook: { url: \"http://hooks.example\" } }\n"));
    ASSERT_TRUE(c.alerts.webhook);
    EXPECT_EQ(c.alerts.webhook->host, "hooks.example");
    EXPECT_EQ(c.alerts.webhook->port, 80);
    EXPECT_EQ(c.alerts.webhook->target, "/");
    EXPECT_EQ(c.alerts.webhook->retries, 3u);
    EXPECT_EQ(c.alerts.webhook->timeout, 5s);
}

TEST(ConfigObservability, ErrorsPointAtTheValue) {
    EXPECT_TRUE(fails_at(with("metrics: { max_services: 0 }\n"), 8, 26, "'max_services' must be an integer from 1"));
    EXPECT_TRUE(fails_at(with("metrics: { window: 1500ms }\n"), 8, 20, "whole number of seconds"));
    EXPECT_TRUE(fails_at(with("metrics: { slow: 1s }\n"), 8, 12, "unknown key 'slow' in metrics"));
    EXPECT_TRUE(fails_at(with("history: { interval: 2h }\n"), 8, 22, "'interval' must be from 1s to 1h"));
    EXPECT_TRUE(fails_at(with("history: { path: \"data/\" }\n"), 8, 18, "history 'path' must be a file path"));
    EXPECT_TRUE(fails_at(with("alerts: { webhook: { url: \"https://x/hook\" } }\n"), 8, 27, "plain http:// URL"));
    EXPECT_TRUE(fails_at(with("alerts: { webhook: { url: \"http://:80/x\" } }\n"), 8, 27, "not a valid"));
    EXPECT_TRUE(fails_at(with("alerts: { webhook: { url: \"http://h/\", retries: 50 } }\n"), 8, 49,
                         "'retries' must be an integer from 0 to 20"));
}

TEST(ConfigObservability, RuleErrors) {
    EXPECT_TRUE(fails_at(with(R"(alerts:
  rules:
    - { name: x, type: server_up }
)"),
                         10, 24, "alert 'type' must be one of"));
    EXPECT_TRUE(fails_at(with(R"(alerts:
  rules:
    - { name: x, type: server_down, limit: 3 }
)"),
                         10, 37, "'limit' does not apply to a server_down rule"));
    EXPECT_TRUE(fails_at(with(R"(alerts:
  rules:
    - { name: x, type: pool_up_below, min_up: 2 }
)"),
                         10, 7, "missing required key 'pool'"));
    EXPECT_TRUE(fails_at(with(R"(alerts:
  rules:
    - { name: x, type: pool_up_below, pool: nope, min_up: 2 }
)"),
                         10, 45, "undefined pool 'nope' (defined pools: gis)"));
    EXPECT_TRUE(fails_at(with(R"(alerts:
  rules:
    - { name: x, type: service_p95_above, service: "a/b/c", limit: 1s }
)"),
                         10, 52, "'service' is a glob"));
    EXPECT_TRUE(fails_at(with(R"(alerts:
  rules:
    - { name: x, type: error_rate_above, limit: 120% }
)"),
                         10, 49, "percentage from 0% to 100%"));
    EXPECT_TRUE(fails_at(with(R"(alerts:
  rules:
    - { name: x, type: server_down }
    - { name: x, type: server_down }
)"),
                         11, 15, "duplicate alert rule name 'x'"));
}

TEST(ConfigObservability, RoundTripsThroughToYaml) {
    const Config c = load(with(R"(metrics: { max_services: 7, slow_p95: 1500ms, window: 2m }
history: { path: "off", retention: 7d, interval: 10s }
alerts:
  webhook: { url: "http://127.0.0.1:9000/hook", retries: 0, timeout: 1500ms }
  rules:
    - { name: a, type: server_down, pool: gis }
    - { name: b, type: pool_up_below, pool: gis, min_up: 3 }
    - { name: c, type: service_p95_above, service: "Maps/*", limit: 750ms, window: 90s, min_requests: 5 }
    - { name: d, type: error_rate_above, limit: 2.5%, window: 1m }
    - { name: e, type: queue_rejections, limit: 4, window: 30s }
)"));
    const Config again = load_string(to_yaml(c), "again.yaml");
    EXPECT_EQ(again.metrics.max_services, 7u);
    EXPECT_EQ(again.metrics.slow_p95, 1500ms);
    EXPECT_EQ(again.metrics.window, 120s);
    ASSERT_TRUE(again.history);
    EXPECT_EQ(again.history->path, "off");
    EXPECT_EQ(again.history->retention, 7 * 24h);
    EXPECT_EQ(again.history->interval, 10s);
    ASSERT_TRUE(again.alerts.webhook);
    EXPECT_EQ(again.alerts.webhook->url, "http://127.0.0.1:9000/hook");
    EXPECT_EQ(again.alerts.webhook->retries, 0u);
    EXPECT_EQ(again.alerts.webhook->timeout, 1500ms);
    ASSERT_EQ(again.alerts.rules.size(), c.alerts.rules.size());
    for (std::size_t i = 0; i < c.alerts.rules.size(); ++i) {
        const auto& x = c.alerts.rules[i];
        const auto& y = again.alerts.rules[i];
        EXPECT_EQ(x.name, y.name);
        EXPECT_EQ(x.type, y.type);
        EXPECT_EQ(x.pool, y.pool);
        EXPECT_EQ(x.service, y.service);
        EXPECT_EQ(x.min_up, y.min_up);
        EXPECT_EQ(x.limit, y.limit);
        EXPECT_EQ(x.window, y.window);
        EXPECT_EQ(x.min_requests, y.min_requests);
    }
    EXPECT_FALSE(load_string(to_yaml(load(kOnePool)), "plain.yaml").history.has_value());
}

TEST(ConfigObservability, AccessLogIsAPathOrAPathAndFormat) {
    Config c = load(kOnePool);
    EXPECT_EQ(c.access_log, "stdout");
    EXPECT_EQ(c.access_log_format, AccessLogFormat::text);
    c = load(with("access_log: { path: /var/log/gisgate/access.log, format: json }\n"));
    EXPECT_EQ(c.access_log, "/var/log/gisgate/access.log");
    EXPECT_EQ(c.access_log_format, AccessLogFormat::json);
    c = load(with("access_log: { format: json }\n"));
    EXPECT_EQ(c.access_log, "stdout") << "the format alone keeps the default path";
    EXPECT_EQ(c.access_log_format, AccessLogFormat::json);
    c = load(with("access_log: off\n"));
    EXPECT_EQ(c.access_log, "off");
    EXPECT_TRUE(fails_at(with("access_log: { path: x.log, format: xml }\n"), 8, 36, "'format' must be text or json"));
    EXPECT_TRUE(fails_at(with("access_log: { path: x.log, fmt: json }\n"), 8, 28, "fmt"));
}

TEST(ConfigObservability, TracingNamesTheRequestIdHeaderAndTheTraceparentMode) {
    Config c = load(kOnePool);
    EXPECT_EQ(c.tracing.request_id_header, "X-Request-Id");
    EXPECT_TRUE(c.tracing.create_traceparent);
    c = load(with("tracing: { request_id: X-Correlation-ID, traceparent: propagate }\n"));
    EXPECT_EQ(c.tracing.request_id_header, "X-Correlation-ID");
    EXPECT_FALSE(c.tracing.create_traceparent);
    c = load(with("tracing: { request_id: off }\n"));
    EXPECT_EQ(c.tracing.request_id_header, "");
    EXPECT_TRUE(fails_at(with("tracing: { request_id: \"X Request\" }\n"), 8, 24, "must be a header name or off"));
    EXPECT_TRUE(fails_at(with("tracing: { traceparent: always }\n"), 8, 25, "'traceparent' must be create or propagate"));
    EXPECT_TRUE(fails_at(with("tracing: { sampling: 1 }\n"), 8, 12, "sampling"));
}

TEST(ConfigObservability, AccessLogFormatAndTracingRoundTrip) {
    const Config c = load(with("access_log: { path: a.log, format: json }\n"
                               "tracing: { request_id: off, traceparent: propagate }\n"));
    const Config again = load_string(to_yaml(c), "again.yaml");
    EXPECT_EQ(again.access_log, "a.log");
    EXPECT_EQ(again.access_log_format, AccessLogFormat::json);
    EXPECT_EQ(again.tracing.request_id_header, "");
    EXPECT_FALSE(again.tracing.create_traceparent);
    const Config plain = load_string(to_yaml(load(kOnePool)), "plain.yaml");
    EXPECT_EQ(plain.access_log_format, AccessLogFormat::text);
    EXPECT_EQ(plain.tracing.request_id_header, "X-Request-Id");
    EXPECT_TRUE(plain.tracing.create_traceparent);
}

}  // namespace
}  // namespace gisgate::config
