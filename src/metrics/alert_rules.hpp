// Which alert rules are breached, given one snapshot of the proxy. Pure (no clock, no I/O, no proxy or gis
// types), so every rule type can be tested with plain values; the control plane takes the snapshot once a
// second and hands the round to AlertEngine, which turns it into firing and resolved events.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/observability.hpp"
#include "metrics/alerts.hpp"
#include "metrics/collector.hpp"

namespace gisgate::metrics {

// A configured rule with what each round needs worked out once per (re)load instead of once a second.
struct PreparedRule {
    config::AlertRule rule;
    std::int64_t window_seconds = 1;  // rule.window in whole seconds, at least 1
    std::string window_text;          // rule.window as written ("5m"), for the messages
};

// One server as the rules see it.
struct ServerSnapshot {
    std::string name;
    std::string state;       // "up", "down", "drain" or "maint" (balance::to_string(ServerState))
    std::string last_error;  // why its health checks failed ("" when they did not say)
};

struct PoolSnapshot {
    std::string name;
    std::vector<ServerSnapshot> servers;
};

// gis::service_glob_match, passed in so that metrics does not depend on gis.
using ServiceMatcher = bool (*)(std::string_view pattern, std::string_view folder, std::string_view service);

struct AlertSnapshot {
    std::int64_t now_second = 0;            // UTC Unix second the windows end at
    std::vector<PoolSnapshot> pools;        // the pools served now, in config order
    const Collector* collector = nullptr;   // the keys behind the window's entry ids
    const SlidingWindow* window = nullptr;  // the windowed figures (P95, errors, queue rejections)
    ServiceMatcher service_matches = nullptr;
};

// One evaluation round, in the form AlertEngine::update takes it.
struct AlertRound {
    std::vector<std::string> rules;          // every rule evaluated (each rule's targets resolve when unmeasured)
    std::vector<AlertCondition> conditions;  // one per measured target, in rule order
};

AlertRound evaluate_alert_rules(const std::vector<PreparedRule>& rules, const AlertSnapshot& snapshot);

// The names of the rules in `after` that are in `before` unchanged: their active alerts survive a reload, the
// others' resolve.
std::vector<std::string> unchanged_rules(const std::vector<config::AlertRule>& before,
                                         const std::vector<config::AlertRule>& after);

}  // namespace gisgate::metrics
