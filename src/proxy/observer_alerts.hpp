// Alerts, the fourth job of the Observer: once a second the rules are evaluated on a snapshot of the servers and
// the sliding window (metrics/alert_rules), AlertEngine turns that into firing and resolved events, and each
// event is logged and posted to the webhook. A reload keeps the alerts of the rules it left unchanged.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "metrics/alert_rules.hpp"
#include "metrics/alerts.hpp"
#include "metrics/webhook.hpp"
#include "net/asio.hpp"
#include "proxy/runtime.hpp"

namespace gisgate::proxy {

class AlertMonitor {
public:
    AlertMonitor(asio::io_context& control, const config::AlertsConfig& config);
    ~AlertMonitor();

    // A reload: the alerts of removed or changed rules resolve (appended to `events`); the webhook follows
    // the new config.
    void reconfigure(const config::AlertsConfig& before, const config::AlertsConfig& after, std::int64_t now_ms,
                     std::vector<metrics::AlertEvent>& events);
    // One round over the runtime served now and the window ending at `now_second`; returns what fired or resolved.
    std::vector<metrics::AlertEvent> evaluate(std::int64_t now_second, std::int64_t now_ms, const Runtime& runtime,
                                              const metrics::Collector& totals, const metrics::SlidingWindow& window);
    // Logs each event and queues it for the webhook.
    void announce(const std::vector<metrics::AlertEvent>& events);
    // Stops webhook deliveries (what is queued is dropped).
    void stop();

    const metrics::AlertEngine& engine() const { return engine_; }
    const metrics::WebhookSender* webhook() const { return webhook_.get(); }

private:
    asio::io_context& control_;
    metrics::AlertEngine engine_;
    std::vector<metrics::PreparedRule> rules_;
    std::unique_ptr<metrics::WebhookSender> webhook_;
};

}  // namespace gisgate::proxy
