// The alert state machine: each evaluation round reports, per rule, the targets it measured and whether each
// is over its limit; the engine turns that into firing and resolved events and keeps the active alerts and the
// last 100 events. Pure (no clock, no I/O): the control plane measures, logs, stores and posts.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "config/observability.hpp"

namespace gisgate::metrics {

// One measured target of one rule in one round.
struct AlertCondition {
    std::string rule;     // the rule's name
    std::string target;   // "pool/server", "pool", "folder/service", "all"
    bool breached = false;
    double value = 0;     // what was measured (up servers, P95 ms, error %, rejections)
    std::string message;  // human-readable, for the log, the webhook and the dashboard
};

struct AlertEvent {
    std::int64_t time_ms = 0;  // UTC Unix milliseconds
    std::string rule;
    std::string target;
    bool firing = false;       // false: resolved
    double value = 0;
    std::string message;
};

struct ActiveAlert {
    std::string rule;
    std::string target;
    std::int64_t since_ms = 0;
    double value = 0;       // the latest measurement
    std::string message;    // the latest message
};

class AlertEngine {
public:
    static constexpr std::size_t kRecentEvents = 100;

    // One round for the rules named in `rules` (the rules evaluated this round): a breached target that is
    // not active fires; an active target of one of these rules that is no longer breached — or no longer
    // measured (its server was removed, its service saw no requests) — resolves. Events are appended to `out`.
    void update(const std::vector<std::string>& rules, const std::vector<AlertCondition>& conditions,
                std::int64_t now_ms, std::vector<AlertEvent>& out);
    // Resolves every active alert whose rule is not in `keep` (rules removed or changed by a reload).
    void retain_rules(const std::vector<std::string>& keep, std::int64_t now_ms, std::vector<AlertEvent>& out);

    std::vector<ActiveAlert> active() const;          // oldest first
    const std::deque<AlertEvent>& recent() const { return recent_; }  // newest first, at most kRecentEvents

private:
    void emit(AlertEvent event, std::vector<AlertEvent>& out);

    std::map<std::pair<std::string, std::string>, ActiveAlert> active_;  // (rule, target) →
    std::deque<AlertEvent> recent_;
};

}  // namespace gisgate::metrics
