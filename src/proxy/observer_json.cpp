#include "proxy/observer_json.hpp"

#include <algorithm>

#include "config/enum_names.hpp"
#include "proxy/observer_time.hpp"

namespace gisgate::proxy {

using nlohmann::json;

namespace {

json check_time_json(std::chrono::system_clock::time_point t) {
    if (t.time_since_epoch().count() == 0) return nullptr;  // never checked
    return iso_time(unix_ms(t));
}

double micros_to_ms(std::uint64_t micros) { return static_cast<double>(micros) / 1000.0; }

// One row of /api/v1/services.
json service_row(const std::string& service, const std::string& type, const std::string& kind,
                 std::uint64_t requests_total, std::uint64_t errors_total, std::uint64_t tunnels_open,
                 const metrics::TrafficTotals& window, double window_seconds, double slow_ms) {
    const metrics::LatencyHistogram& h = window.latency;
    const bool any = h.count() > 0;
    const auto pct = [&](double p) { return any ? micros_to_ms(h.percentile(p)) : 0.0; };
    const double p95 = pct(95);
    // The mean is exact, min and max are bucket midpoints (within 1/64): keep min ≤ avg ≤ max.
    const double avg = any ? h.mean_micros() / 1000.0 : 0.0;
    return {{"service", service},
            {"type", type},
            {"kind", kind},
            {"requests_total", requests_total},
            {"errors_total", errors_total},
            {"rps", static_cast<double>(window.requests()) / window_seconds},
            {"min_ms", any ? std::min(micros_to_ms(h.min_micros()), avg) : 0.0},
            {"avg_ms", avg},
            {"p5_ms", pct(5)},
            {"p25_ms", pct(25)},
            {"p50_ms", pct(50)},
            {"p75_ms", pct(75)},
            {"p95_ms", p95},
            {"p99_ms", pct(99)},
            {"max_ms", any ? std::max(micros_to_ms(h.max_micros()), avg) : 0.0},
            {"slow", p95 > slow_ms},
            {"tunnels_open", tunnels_open}};
}

// Slowest first, then the busiest, then by name: the services worth a look on top.
bool slower_first(const json& a, const json& b) {
    const double pa = a["p95_ms"].get<double>(), pb = b["p95_ms"].get<double>();
    if (pa != pb) return pa > pb;
    const auto ra = a["requests_total"].get<std::uint64_t>(), rb = b["requests_total"].get<std::uint64_t>();
    if (ra != rb) return ra > rb;
    return a["service"].get<std::string>() < b["service"].get<std::string>();
}

// Per operation class: the slots it may hold per server (0: no limit of its own), in flight, waiting, refused.
json classes_status_json(const balance::PoolRuntime& pool) {
    json classes = json::object();
    const auto& queue = *pool.wait_queue();
    for (const auto& [cls, name] : config::kOperationClassNames) {
        const auto c = static_cast<std::size_t>(cls);
        std::uint64_t in_flight = 0;
        for (const auto& s : pool.servers()) in_flight += s->class_active[c].load();
        // With an auto limit the share is of each server's current limit: servers[].limit × limit_percent.
        classes[std::string(name)] = {{"limit_per_server", pool.class_limit(cls)},
                                      {"limit_percent", pool.class_percent(cls)},
                                      {"in_flight", in_flight},
                                      {"queued", queue.class_size[c].load()},
                                      {"rejections", queue.class_rejections[c].load()},
                                      {"weight", pool.config().classes.weight[c]}};
    }
    return classes;
}

}  // namespace

// How far a slow-starting server's ramp is (100 when it is not ramping).
static double slow_start_percent(const balance::ServerRuntime& s) {
    if (!s.slow_start.ramping()) return 100.0;
    const std::int64_t since = s.slow_start.since_ns.load(), window = s.slow_start.window_ns.load();
    const std::int64_t now = balance::SlowStartState::ticks(balance::SlowStartClock::now());
    return balance::ramp_permille(std::chrono::nanoseconds(now - since), std::chrono::nanoseconds(window)) / 10.0;
}

// The auto limit's state (null when the pool's limit is not auto). `adaptive` is control-thread state, and the
// status API runs on the control thread.
static json auto_limit_json(const balance::ServerRuntime& s, const config::PoolConfig& pool) {
    if (!pool.auto_limit.enabled) return nullptr;
    json out = {{"min", pool.auto_limit.min}, {"max", pool.auto_limit.max}, {"baseline_ms", nullptr},
                {"measuring", true}};
    if (s.adaptive) {
        if (s.adaptive->baseline().count() != 0)
            out["baseline_ms"] = std::chrono::duration<double, std::milli>(s.adaptive->baseline()).count();
        out["measuring"] = s.adaptive->measuring();
    }
    return out;
}

json server_status_json(const balance::ServerRuntime& s, const config::PoolConfig& pool) {
    return {{"name", s.name},
            {"address", s.address.to_string()},
            {"weight", s.weight},
            {"backup", s.backup},
            {"state", balance::to_string(s.state())},
            {"admin_state", balance::to_string(s.admin.load())},
            {"healthy", s.healthy.load()},
            {"active", s.active.load()},
            {"requests_total", s.requests_total.load()},
            // Passive ejection (balance/outlier.hpp): `ejected` names the reason while live traffic keeps the
            // server out (its state is "down" until `rise` good checks); the counters are the current runs.
            {"outlier",
             {{"enabled", pool.outlier.enabled()},
              {"ejected", s.outlier.ejected.load() == balance::OutlierReason::none
                              ? json(nullptr)
                              : json(balance::to_string(s.outlier.ejected.load()))},
              {"consecutive_5xx", s.outlier.consecutive_5xx.load()},
              {"consecutive_timeouts", s.outlier.consecutive_timeouts.load()},
              {"ejections_total",
               s.outlier.ejections(balance::OutlierReason::consecutive_5xx) +
                   s.outlier.ejections(balance::OutlierReason::consecutive_timeouts)}}},
            {"slow_start_weight_percent", slow_start_percent(s)},
            // The server's max_active_per_server now (0: unlimited): the pool's number, or the one found for it
            // with `auto` (balance/adaptive_limit.hpp), whose baseline and measurement state follow.
            {"limit", pool.auto_limit.enabled ? s.adaptive_counters.limit.load() : pool.max_active_per_server},
            {"limit_auto", auto_limit_json(s, pool)},
            {"health",
             {{"enabled", pool.health.enabled},
              {"consecutive_successes", s.health.consecutive_successes},
              {"consecutive_failures", s.health.consecutive_failures},
              {"last_check", check_time_json(s.health.last_check)},
              {"last_latency_ms", s.health.last_latency.count()},
              {"last_error", s.health.last_error},
              {"checks", s.health.checks},
              {"transitions", s.health.transitions}}}};
}

json pool_status_json(const balance::PoolRuntime& pool, const gis::DriftReport& drift, const gis::JobTable* jobs,
                      const gis::JobTable* uploads) {
    json servers = json::array();
    for (const auto& s : pool.servers()) servers.push_back(server_status_json(*s, pool.config()));
    json drifting = json::object();
    if (auto it = drift.find(pool.name()); it != drift.end())
        for (const auto& [server, differences] : it->second) drifting[server] = differences;
    return {{"name", pool.name()},
            {"job_affinity", pool.config().job_affinity.enabled},
            {"job_table_size", jobs ? jobs->size() : 0},
            {"upload_affinity", pool.config().upload_affinity.enabled},
            {"upload_table_size", uploads ? uploads->size() : 0},
            {"expect_identical", pool.config().expect_identical},
            {"drift", drifting},
            {"balance", pool.config().balance == config::BalanceAlgorithm::least_conn ? "least_conn" : "round_robin"},
            {"max_active_per_server", pool.config().max_active_per_server},  // 0 with auto: see auto_limit
            {"auto_limit", pool.config().auto_limit.enabled
                               ? json{{"min", pool.config().auto_limit.min}, {"max", pool.config().auto_limit.max}}
                               : json(nullptr)},
            {"queued", pool.queued()},
            {"queue_rejections", pool.queue_rejections()},
            {"classes", classes_status_json(pool)},
            {"servers", servers}};
}

json services_json(const metrics::Collector& totals, const StatsWindow& window, const config::MetricsConfig& config,
                   std::int64_t now_second) {
    const std::int64_t span = whole_seconds(config.window);
    std::vector<metrics::TrafficTotals> sums;
    window.slices().sum_services(now_second, span, sums);
    const double seconds = static_cast<double>(window.covered(now_second, span));
    const double slow_ms = static_cast<double>(config.slow_p95.count());

    json rows = json::array();
    metrics::TrafficTotals total_window;
    std::uint64_t total_requests = 0, total_errors = 0, total_tunnels = 0;
    const auto& services = totals.services();
    for (std::size_t id = 0; id < services.size(); ++id) {
        const auto& e = services[id];
        static const metrics::TrafficTotals quiet;  // no request in the window: no slot in the sums
        const metrics::TrafficTotals& w = id < sums.size() ? sums[id] : quiet;
        rows.push_back(service_row(e.key.joined(), e.key.c, metrics::to_string(e.key.kind), e.totals.requests(),
                                   e.totals.errors(), e.totals.tunnels_open(), w, seconds, slow_ms));
        total_window.merge(w);
        total_requests += e.totals.requests();
        total_errors += e.totals.errors();
        total_tunnels += e.totals.tunnels_open();
    }
    std::sort(rows.begin(), rows.end(), slower_first);
    return {{"window_seconds", span},
            {"services", std::move(rows)},
            {"total", service_row("total", "", "total", total_requests, total_errors, total_tunnels, total_window, seconds,
                                  slow_ms)}};
}

json alert_event_json(const metrics::AlertEvent& e) {
    return {{"time", iso_time(e.time_ms)},
            {"rule", e.rule},
            {"target", e.target},
            {"state", e.firing ? "firing" : "resolved"},
            {"value", e.value},
            {"message", e.message}};
}

json alerts_json(const metrics::AlertEngine& engine) {
    json active = json::array();
    for (const auto& a : engine.active())
        active.push_back({{"rule", a.rule}, {"target", a.target}, {"since", iso_time(a.since_ms)}, {"value", a.value},
                          {"message", a.message}});
    json recent = json::array();
    for (const auto& e : engine.recent()) recent.push_back(alert_event_json(e));
    return {{"active", std::move(active)}, {"recent", std::move(recent)}};
}

nlohmann::json tunnels_json(const Tunnels& tunnels, std::uint32_t max) {
    return {{"open", tunnels.open()},
            {"opened_total", tunnels.opened_total()},
            {"refused_total", tunnels.refused()},
            {"max", max},
            {"bytes_to_client", tunnels.bytes_to_client.load(std::memory_order_relaxed)},
            {"bytes_to_server", tunnels.bytes_to_server.load(std::memory_order_relaxed)}};
}

}  // namespace gisgate::proxy
