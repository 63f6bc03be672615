#include "proxy/observer_alerts.hpp"

#include <spdlog/spdlog.h>

#include "config/loader.hpp"
#include "gis/classify.hpp"
#include "proxy/observer_json.hpp"
#include "proxy/observer_time.hpp"

namespace gisgate::proxy {

namespace {

std::vector<metrics::PreparedRule> prepare_rules(const std::vector<config::AlertRule>& rules) {
    std::vector<metrics::PreparedRule> out;
    for (const auto& rule : rules)
        out.push_back({rule, whole_seconds(rule.window), config::format_duration(rule.window)});
    return out;
}

bool same_webhook(const config::WebhookConfig& a, const config::WebhookConfig& b) {
    return a.url == b.url && a.retries == b.retries && a.timeout == b.timeout;
}

// The servers as the rules see them, read once per round.
std::vector<metrics::PoolSnapshot> pool_snapshots(const Runtime& runtime) {
    std::vector<metrics::PoolSnapshot> pools;
    for (const auto& pool : runtime.pools) {
        metrics::PoolSnapshot& p = pools.emplace_back(metrics::PoolSnapshot{pool->name(), {}});
        for (const auto& s : pool->servers())
            p.servers.push_back({s->name, balance::to_string(s->state()), s->health.last_error});
    }
    return pools;
}

}  // namespace

AlertMonitor::AlertMonitor(asio::io_context& control, const config::AlertsConfig& config)
    : control_(control), rules_(prepare_rules(config.rules)) {
    if (config.webhook) webhook_ = std::make_unique<metrics::WebhookSender>(control_, *config.webhook);
}

AlertMonitor::~AlertMonitor() { stop(); }

void AlertMonitor::stop() {
    if (webhook_) webhook_->stop();
}

void AlertMonitor::reconfigure(const config::AlertsConfig& before, const config::AlertsConfig& after,
                               std::int64_t now_ms, std::vector<metrics::AlertEvent>& events) {
    engine_.retain_rules(metrics::unchanged_rules(before.rules, after.rules), now_ms, events);
    rules_ = prepare_rules(after.rules);
    if (after.webhook) {
        if (!webhook_) webhook_ = std::make_unique<metrics::WebhookSender>(control_, *after.webhook);
        else if (!before.webhook || !same_webhook(*before.webhook, *after.webhook))
            webhook_->set_config(*after.webhook);
    } else if (webhook_) {
        webhook_->stop();
        webhook_.reset();
    }
}

std::vector<metrics::AlertEvent> AlertMonitor::evaluate(std::int64_t now_second, std::int64_t now_ms,
                                                        const Runtime& runtime, const metrics::Collector& totals,
                                                        const metrics::SlidingWindow& window) {
    std::vector<metrics::AlertEvent> events;
    if (rules_.empty()) return events;
    const metrics::AlertRound round = metrics::evaluate_alert_rules(
        rules_, {now_second, pool_snapshots(runtime), &totals, &window, &gis::service_glob_match});
    engine_.update(round.rules, round.conditions, now_ms, events);
    return events;
}

void AlertMonitor::announce(const std::vector<metrics::AlertEvent>& events) {
    for (const metrics::AlertEvent& e : events) {
        if (e.firing) spdlog::warn("alert {} FIRING for {}: {}", e.rule, e.target, e.message);
        else spdlog::info("alert {} resolved for {}: {}", e.rule, e.target, e.message);
        if (!webhook_) continue;
        // The API's event object, with the time also as a number for receivers that do not parse dates.
        nlohmann::json body = alert_event_json(e);
        body["time_ms"] = e.time_ms;
        webhook_->send(body.dump());
    }
}

}  // namespace gisgate::proxy
