#include "metrics/alert_rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace gisgate::metrics {

namespace {

// What one round reads: the snapshot, and the window sums per span, computed once however many rules share a
// span (summing the window is the costly part of a round).
class RuleInputs {
public:
    explicit RuleInputs(const AlertSnapshot& snapshot) : snap(snapshot) {}

    const std::vector<TrafficTotals>& services(std::int64_t seconds) {
        auto [it, added] = service_sums_.try_emplace(seconds);
        if (added) snap.window->sum_services(snap.now_second, seconds, it->second);
        return it->second;
    }
    const std::vector<TrafficTotals>& servers(std::int64_t seconds) {
        auto [it, added] = server_sums_.try_emplace(seconds);
        if (added) snap.window->sum_servers(snap.now_second, seconds, it->second);
        return it->second;
    }

    const AlertSnapshot& snap;

private:
    std::map<std::int64_t, std::vector<TrafficTotals>> service_sums_;
    std::map<std::int64_t, std::vector<TrafficTotals>> server_sums_;
};

// An entry that saw no request in the window has no slot in the sums.
const TrafficTotals& window_totals(const std::vector<TrafficTotals>& sums, std::size_t id) {
    static const TrafficTotals none;
    return id < sums.size() ? sums[id] : none;
}

std::string all_or(const std::string& pool) { return pool.empty() ? "all" : pool; }

void server_down(const PreparedRule& p, RuleInputs& in, std::vector<AlertCondition>& out) {
    for (const PoolSnapshot& pool : in.snap.pools) {
        if (!p.rule.pool.empty() && pool.name != p.rule.pool) continue;
        for (const ServerSnapshot& s : pool.servers) {
            const std::string target = pool.name + "/" + s.name;
            const bool down = s.state == "down";
            std::string message =
                down ? fmt::format("server {} is down: {}", target,
                                   s.last_error.empty() ? "failed health checks" : s.last_error)
                     : fmt::format("server {} is {}", target, s.state);
            out.push_back({p.rule.name, target, down, down ? 1.0 : 0.0, std::move(message)});
        }
    }
}

void pool_up_below(const PreparedRule& p, RuleInputs& in, std::vector<AlertCondition>& out) {
    const auto& pools = in.snap.pools;
    const auto pool = std::find_if(pools.begin(), pools.end(), [&](const auto& x) { return x.name == p.rule.pool; });
    if (pool == pools.end()) return;  // a pool removed by a reload: its alert resolves as no longer measured
    std::uint32_t up = 0;
    for (const ServerSnapshot& s : pool->servers) up += s.state == "up" ? 1 : 0;
    const bool below = up < p.rule.min_up;
    out.push_back({p.rule.name, p.rule.pool, below, static_cast<double>(up),
                   fmt::format("pool {} has {} of {} server(s) up{}", p.rule.pool, up, pool->servers.size(),
                               below ? fmt::format(", fewer than {}", p.rule.min_up) : std::string())});
}

void service_p95_above(const PreparedRule& p, RuleInputs& in, std::vector<AlertCondition>& out) {
    // One target per service, all its types together ("Maps/Parcels" MapServer and FeatureServer).
    const auto& sums = in.services(p.window_seconds);
    std::map<std::string, TrafficTotals> by_service;
    const auto& services = in.snap.collector->services();
    for (std::size_t id = 0; id < services.size(); ++id) {
        const StatsKey& k = services[id].key;
        if (k.kind != Kind::service || k.b == kOtherServices) continue;
        if (!in.snap.service_matches(p.rule.service, k.a, k.b)) continue;
        by_service[k.joined()].merge(window_totals(sums, id));
    }
    for (const auto& [target, t] : by_service) {
        const double p95 = t.requests() ? static_cast<double>(t.latency.percentile(95)) / 1000.0 : 0.0;
        const bool over = t.requests() >= p.rule.min_requests && p95 > p.rule.limit;
        std::string message =
            t.requests() ? fmt::format("service {} P95 {:.1f} ms over the last {} ({} requests), limit {} ms", target,
                                       p95, p.window_text, t.requests(), p.rule.limit)
                         : fmt::format("service {}: no requests in the last {}", target, p.window_text);
        out.push_back({p.rule.name, target, over, p95, std::move(message)});
    }
}

void error_rate_above(const PreparedRule& p, RuleInputs& in, std::vector<AlertCondition>& out) {
    std::uint64_t requests = 0, errors = 0;
    if (p.rule.pool.empty()) {
        // Every request is counted in exactly one service row; only a pool filter needs the server rows.
        for (const auto& t : in.services(p.window_seconds)) {
            requests += t.requests();
            errors += t.errors();
        }
    } else {
        const auto& sums = in.servers(p.window_seconds);
        const auto& servers = in.snap.collector->servers();
        for (std::size_t id = 0; id < servers.size(); ++id) {
            if (servers[id].key.a != p.rule.pool) continue;
            requests += window_totals(sums, id).requests();
            errors += window_totals(sums, id).errors();
        }
    }
    const double rate = requests ? 100.0 * static_cast<double>(errors) / static_cast<double>(requests) : 0;
    const bool over = requests >= p.rule.min_requests && rate > p.rule.limit;
    const std::string target = all_or(p.rule.pool);
    out.push_back({p.rule.name, target, over, rate,
                   fmt::format("{}: {:.1f}% errors (5xx) over the last {} ({} of {} requests), limit {}%", target,
                               rate, p.window_text, errors, requests, p.rule.limit)});
}

void queue_rejections(const PreparedRule& p, RuleInputs& in, std::vector<AlertCondition>& out) {
    const std::uint64_t n = in.snap.window->rejections(in.snap.now_second, p.window_seconds, p.rule.pool);
    const bool over = static_cast<double>(n) >= p.rule.limit;
    const std::string target = all_or(p.rule.pool);
    out.push_back({p.rule.name, target, over, static_cast<double>(n),
                   fmt::format("{}: {} request(s) refused by a full or timed-out queue in the last {} (limit {})",
                               target, n, p.window_text, p.rule.limit)});
}

bool same_rule(const config::AlertRule& a, const config::AlertRule& b) {
    return a.name == b.name && a.type == b.type && a.pool == b.pool && a.service == b.service && a.min_up == b.min_up &&
           a.limit == b.limit && a.window == b.window && a.min_requests == b.min_requests;
}

}  // namespace

AlertRound evaluate_alert_rules(const std::vector<PreparedRule>& rules, const AlertSnapshot& snapshot) {
    AlertRound round;
    RuleInputs inputs(snapshot);
    for (const PreparedRule& p : rules) {
        round.rules.push_back(p.rule.name);
        switch (p.rule.type) {
            case config::AlertType::server_down: server_down(p, inputs, round.conditions); break;
            case config::AlertType::pool_up_below: pool_up_below(p, inputs, round.conditions); break;
            case config::AlertType::service_p95_above: service_p95_above(p, inputs, round.conditions); break;
            case config::AlertType::error_rate_above: error_rate_above(p, inputs, round.conditions); break;
            case config::AlertType::queue_rejections: queue_rejections(p, inputs, round.conditions); break;
        }
    }
    return round;
}

std::vector<std::string> unchanged_rules(const std::vector<config::AlertRule>& before,
                                         const std::vector<config::AlertRule>& after) {
    std::vector<std::string> kept;
    for (const auto& rule : after)
        for (const auto& old : before)
            if (same_rule(rule, old)) kept.push_back(rule.name);
    return kept;
}

}  // namespace gisgate::metrics
