#include "proxy/observer.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <iterator>

#include "config/loader.hpp"
#include "gis/classify.hpp"
#include "metrics/prometheus.hpp"

namespace gisgate::proxy {

using nlohmann::json;
using metrics::prometheus::family;
using metrics::prometheus::label;

namespace {

using namespace std::chrono;

// Session passes gis::TrafficKind to the statistics as metrics::Kind.
static_assert(static_cast<int>(metrics::Kind::service) == static_cast<int>(gis::TrafficKind::service) &&
              static_cast<int>(metrics::Kind::portal) == static_cast<int>(gis::TrafficKind::portal) &&
              static_cast<int>(metrics::Kind::admin) == static_cast<int>(gis::TrafficKind::admin) &&
              static_cast<int>(metrics::Kind::other) == static_cast<int>(gis::TrafficKind::other));

std::int64_t unix_seconds(system_clock::time_point t) {
    return duration_cast<seconds>(t.time_since_epoch()).count();
}
std::int64_t unix_ms(system_clock::time_point t) {
    return duration_cast<milliseconds>(t.time_since_epoch()).count();
}
std::int64_t ceil_seconds(system_clock::time_point t) {
    return ceil<seconds>(t.time_since_epoch()).count();
}

std::string iso_time(std::int64_t ms) {
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", fmt::gmtime(secs), static_cast<int>(ms % 1000));
}

std::int64_t whole_seconds(milliseconds d) { return std::max<std::int64_t>(1, d.count() / 1000); }

bool same_rule(const config::AlertRule& a, const config::AlertRule& b) {
    return a.name == b.name && a.type == b.type && a.pool == b.pool && a.service == b.service && a.min_up == b.min_up &&
           a.limit == b.limit && a.window == b.window && a.min_requests == b.min_requests;
}

bool same_webhook(const config::WebhookConfig& a, const config::WebhookConfig& b) {
    return a.url == b.url && a.retries == b.retries && a.timeout == b.timeout;
}

// Seconds the window needs to cover: the services window and every windowed rule.
std::int64_t window_span(const config::Config& config) {
    std::int64_t span = whole_seconds(config.metrics.window);
    for (const auto& rule : config.alerts.rules) span = std::max(span, whole_seconds(rule.window));
    return span;
}

double ms(std::uint64_t micros) { return static_cast<double>(micros) / 1000.0; }

// One row of /api/v1/services.
json service_row(const std::string& service, const std::string& type, const std::string& kind,
                 std::uint64_t requests_total, std::uint64_t errors_total, const metrics::TrafficTotals& window,
                 double window_seconds, double slow_ms) {
    const metrics::LatencyHistogram& h = window.latency;
    const bool any = h.count() > 0;
    const double p95 = any ? ms(h.percentile(95)) : 0.0;
    // The mean is exact, min and max are bucket midpoints (within 1/64): keep min ≤ avg ≤ max.
    const double avg = any ? h.mean_micros() / 1000.0 : 0.0;
    return {{"service", service},
            {"type", type},
            {"kind", kind},
            {"requests_total", requests_total},
            {"errors_total", errors_total},
            {"rps", static_cast<double>(window.requests()) / window_seconds},
            {"min_ms", any ? std::min(ms(h.min_micros()), avg) : 0.0},
            {"avg_ms", avg},
            {"p5_ms", any ? ms(h.percentile(5)) : 0.0},
            {"p25_ms", any ? ms(h.percentile(25)) : 0.0},
            {"p50_ms", any ? ms(h.percentile(50)) : 0.0},
            {"p75_ms", any ? ms(h.percentile(75)) : 0.0},
            {"p95_ms", p95},
            {"p99_ms", any ? ms(h.percentile(99)) : 0.0},
            {"max_ms", any ? std::max(ms(h.max_micros()), avg) : 0.0},
            {"slow", p95 > slow_ms}};
}

const metrics::TrafficTotals& empty_totals() {
    static const metrics::TrafficTotals empty;
    return empty;
}

const metrics::TrafficTotals& at(const std::vector<metrics::TrafficTotals>& v, std::size_t id) {
    return id < v.size() ? v[id] : empty_totals();
}

}  // namespace

Observer::Observer(asio::io_context& control, std::vector<const metrics::WorkerStats*> workers,
                   metrics::ServiceRegistry& registry, std::shared_ptr<const Runtime> runtime)
    : control_(control),
      workers_(std::move(workers)),
      registry_(registry),
      runtime_(std::move(runtime)),
      timer_(control),
      window_(window_span(runtime_->config)) {
    const config::Config& config = runtime_->config;
    registry_.set_max_services(config.metrics.max_services);
    if (config.history) {
        history_ = std::make_unique<metrics::HistoryWriter>(config.history->path, config.history->retention);
        interval_ = whole_seconds(config.history->interval);
        spdlog::info("history: {} (every {}, kept {})", config.history->path,
                     config::format_duration(config.history->interval),
                     config::format_duration(config.history->retention));
    }
    rules_ = config.alerts.rules;
    if (config.alerts.webhook) webhook_ = std::make_unique<metrics::WebhookSender>(control_, *config.alerts.webhook);
}

Observer::~Observer() {
    timer_.cancel();
    if (webhook_) webhook_->stop();
}

void Observer::start() {
    const auto now = Clock::now();
    last_tick_ = now;
    started_second_ = unix_seconds(now);
    interval_start_ = started_second_ / interval_ * interval_;
    covered_from_ = started_second_;
    for (const auto& pool : runtime_->pools) rejections_seen_[pool->name()] = pool->queue_rejections();
    sample_servers(now, 0);
    schedule_tick();
}

void Observer::schedule_tick() {
    // On the next whole second of the wall clock (plus a little), so per-second slices line up with
    // UTC seconds and history intervals with minutes.
    const auto now = Clock::now();
    const auto next = Clock::time_point(ceil<seconds>(now.time_since_epoch() + milliseconds(1)));
    timer_.expires_after(duration_cast<steady_clock::duration>(next - now) + milliseconds(2));
    timer_.async_wait([this](const error_code& ec) {
        if (ec || finished_) return;
        tick();
        schedule_tick();
    });
}

void Observer::update(std::shared_ptr<const Runtime> runtime) {
    if (finished_) return;
    const config::Config& before = runtime_->config;
    const config::Config& after = runtime->config;
    const auto now = Clock::now();
    std::vector<metrics::AlertEvent> events;

    registry_.set_max_services(after.metrics.max_services);
    window_.set_span(window_span(after));

    // Alert rules: an unchanged rule keeps its active alerts; removed or changed ones resolve.
    std::vector<std::string> kept;
    for (const auto& rule : after.alerts.rules)
        for (const auto& old : rules_)
            if (same_rule(rule, old)) kept.push_back(rule.name);
    alerts_.retain_rules(kept, unix_ms(now), events);
    rules_ = after.alerts.rules;
    if (after.alerts.webhook) {
        if (!webhook_) webhook_ = std::make_unique<metrics::WebhookSender>(control_, *after.alerts.webhook);
        else if (!before.alerts.webhook || !same_webhook(*before.alerts.webhook, *after.alerts.webhook))
            webhook_->set_config(*after.alerts.webhook);
    } else if (webhook_) {
        webhook_->stop();
        webhook_.reset();
    }

    // History: the database stays where it was opened; retention and interval apply now.
    if (after.history.has_value() != before.history.has_value() ||
        (after.history && before.history && after.history->path != before.history->path))
        spdlog::warn("history: turning it on or off or moving the database needs a restart; keeping {}",
                     history_ ? history_->path() : std::string("it off"));
    if (history_ && after.history) {
        if (after.history->retention != before.history->retention) history_->set_retention(after.history->retention);
        const std::int64_t interval = whole_seconds(after.history->interval);
        if (interval != interval_) {
            // Close the current interval as it is and start the new rhythm at the next aligned boundary.
            collector_.refresh(workers_);
            write_interval(unix_seconds(now), false);
            interval_ = interval;
            interval_start_ = unix_seconds(now) / interval_ * interval_;
            covered_from_ = unix_seconds(now);
        }
    }
    runtime_ = std::move(runtime);
    publish(events);
}

void Observer::finish() {
    if (finished_) return;
    const auto now = Clock::now();
    collector_.refresh(workers_);
    if (history_) {
        sample_servers(now, duration<double>(now - last_tick_).count());
        write_interval(ceil_seconds(now), true);
        history_->close();
        spdlog::info("history: last interval written to {}", history_->path());
    }
    finished_ = true;
    timer_.cancel();
    if (webhook_) webhook_->stop();
}

void Observer::tick() {
    const auto now = Clock::now();
    const std::int64_t now_s = unix_seconds(now);
    const double elapsed = duration<double>(now - last_tick_).count();
    last_tick_ = now;

    collector_.refresh(workers_);
    metrics::SlidingWindow::Slice slice;
    slice.second = now_s;
    collector_.advance(slice.services, slice.servers);
    for (const auto& pool : runtime_->pools) {
        const std::uint64_t total = pool->queue_rejections();
        auto [it, added] = rejections_seen_.try_emplace(pool->name(), total);
        // A pool removed and added again has a new queue, counting from 0.
        const std::uint64_t delta = total >= it->second ? total - it->second : total;
        if (!added && delta) slice.rejections.emplace_back(pool->name(), delta);
        it->second = total;
    }
    window_.push(std::move(slice));

    sample_servers(now, elapsed);
    if (history_ && now_s >= interval_start_ + interval_) write_interval(now_s, false);
    evaluate_alerts(now_s, unix_ms(now));
}

void Observer::health_event(std::int64_t time_ms, const std::string& pool, const std::string& server,
                            const char* state, std::string reason) {
    if (history_) history_->write_health({time_ms, pool, server, state, std::move(reason)});
}

// Up time and state changes, sampled once a second: health up/down (HealthInfo::transitions also catches a
// down-and-up between two samples) and admin states (drain, maint, ready).
void Observer::sample_servers(Clock::time_point now, double elapsed_seconds) {
    const std::int64_t now_ms = unix_ms(now);
    for (const auto& pool : runtime_->pools) {
        for (const auto& s : pool->servers()) {
            const std::string key = pool->name() + "/" + s->name;
            const bool healthy = s->healthy.load();
            const balance::AdminState admin = s->admin.load();
            const std::uint64_t transitions = s->health.transitions;
            if (healthy && admin != balance::AdminState::maint) up_seconds_[key] += elapsed_seconds;
            auto [it, added] = servers_seen_.try_emplace(key, ServerSeen{healthy, admin, transitions});
            if (added) continue;
            ServerSeen& seen = it->second;
            const std::string down_reason =
                s->health.last_error.empty() ? std::string("health checks failed") : s->health.last_error;
            if (healthy != seen.healthy) {
                health_event(now_ms, pool->name(), s->name, healthy ? "up" : "down",
                             healthy ? "health checks passed" : down_reason);
            } else if (transitions - seen.transitions >= 2) {
                health_event(now_ms, pool->name(), s->name, healthy ? "down" : "up",
                             healthy ? down_reason : "health checks passed");
                health_event(now_ms, pool->name(), s->name, healthy ? "up" : "down",
                             healthy ? "health checks passed" : down_reason);
            }
            if (admin != seen.admin)
                health_event(now_ms, pool->name(), s->name, balance::to_string(s->state()),
                             std::string("admin state set to ") + balance::to_string(admin));
            seen = {healthy, admin, transitions};
        }
    }
}

std::int64_t Observer::covered_seconds(std::int64_t now_second) const {
    return std::clamp<std::int64_t>(now_second - started_second_, 1, window_.span());
}

// Rows for [interval_start_, end): per-service and per-server differences of the cumulative totals since the
// previous interval. `final`: the process is stopping; the row covers what it saw of the interval.
void Observer::write_interval(std::int64_t end_second, bool final) {
    const std::int64_t nominal_end = interval_start_ + interval_;
    const std::int64_t seconds = std::max<std::int64_t>(1, std::min(end_second, nominal_end) - covered_from_);

    std::vector<metrics::ServiceIntervalRow> service_rows;
    const auto& services = collector_.services();
    for (std::size_t id = 0; id < services.size(); ++id) {
        metrics::TrafficTotals d = services[id].totals;
        d.subtract(at(service_base_, id));
        if (d.requests() == 0) continue;
        const metrics::StatsKey& k = services[id].key;
        service_rows.push_back({interval_start_, seconds, k.joined(), k.c, metrics::to_string(k.kind), d.requests(),
                                d.errors(), d.bytes_in, d.bytes_out, d.latency.encode()});
    }

    // Every configured server gets a row (availability), plus servers removed during the interval that had
    // requests in it. Requests gisgate answered without a server have no server row.
    std::vector<metrics::ServerIntervalRow> server_rows;
    const auto& servers = collector_.servers();
    std::map<std::pair<std::string, std::string>, std::size_t> ids;
    for (std::size_t id = 0; id < servers.size(); ++id)
        if (!servers[id].key.a.empty() && !servers[id].key.b.empty()) ids[{servers[id].key.a, servers[id].key.b}] = id;
    auto server_row = [&](const std::string& pool, const std::string& server, double up) {
        metrics::TrafficTotals d;
        if (auto it = ids.find({pool, server}); it != ids.end()) {
            d = servers[it->second].totals;
            d.subtract(at(server_base_, it->second));
            ids.erase(it);
        }
        server_rows.push_back({interval_start_, seconds, pool, server, d.requests(), d.errors(), d.bytes_in,
                               d.bytes_out, std::min(up, static_cast<double>(seconds)), d.latency.encode()});
    };
    for (const auto& pool : runtime_->pools)
        for (const auto& s : pool->servers()) {
            const auto up = up_seconds_.find(pool->name() + "/" + s->name);
            server_row(pool->name(), s->name, up == up_seconds_.end() ? 0.0 : up->second);
        }
    for (const auto& [key, id] : std::map(ids)) {
        metrics::TrafficTotals d = servers[id].totals;
        d.subtract(at(server_base_, id));
        if (d.requests() > 0) server_row(key.first, key.second, 0.0);
    }
    history_->write_interval(std::move(service_rows), std::move(server_rows));

    service_base_.resize(services.size());
    for (std::size_t id = 0; id < services.size(); ++id) service_base_[id] = services[id].totals;
    server_base_.resize(servers.size());
    for (std::size_t id = 0; id < servers.size(); ++id) server_base_[id] = servers[id].totals;
    up_seconds_.clear();
    if (!final) {
        interval_start_ = end_second / interval_ * interval_;
        covered_from_ = std::max(interval_start_, std::min(end_second, nominal_end));
    }
}

void Observer::evaluate_alerts(std::int64_t now_second, std::int64_t now_ms) {
    if (rules_.empty()) return;
    std::vector<metrics::AlertCondition> conditions;
    std::vector<std::string> names;
    std::map<std::int64_t, std::vector<metrics::TrafficTotals>> service_windows;
    std::map<std::int64_t, std::vector<metrics::TrafficTotals>> server_windows;
    auto service_window = [&](std::int64_t seconds) -> const std::vector<metrics::TrafficTotals>& {
        auto [it, added] = service_windows.try_emplace(seconds);
        if (added) window_.sum_services(now_second, seconds, it->second);
        return it->second;
    };
    auto server_window = [&](std::int64_t seconds) -> const std::vector<metrics::TrafficTotals>& {
        auto [it, added] = server_windows.try_emplace(seconds);
        if (added) window_.sum_servers(now_second, seconds, it->second);
        return it->second;
    };

    for (const config::AlertRule& rule : rules_) {
        names.push_back(rule.name);
        const std::int64_t window = whole_seconds(rule.window);
        const std::string window_text = config::format_duration(rule.window);
        switch (rule.type) {
            case config::AlertType::server_down:
                for (const auto& pool : runtime_->pools) {
                    if (!rule.pool.empty() && pool->name() != rule.pool) continue;
                    for (const auto& s : pool->servers()) {
                        const std::string target = pool->name() + "/" + s->name;
                        const balance::ServerState state = s->state();
                        const bool down = state == balance::ServerState::down;
                        std::string message =
                            down ? fmt::format("server {} is down: {}", target,
                                               s->health.last_error.empty() ? "failed health checks"
                                                                            : s->health.last_error)
                                 : fmt::format("server {} is {}", target, balance::to_string(state));
                        conditions.push_back({rule.name, target, down, down ? 1.0 : 0.0, std::move(message)});
                    }
                }
                break;
            case config::AlertType::pool_up_below: {
                const balance::PoolRuntime* pool = runtime_->find_pool(rule.pool);
                if (!pool) break;
                std::uint32_t up = 0;
                for (const auto& s : pool->servers()) up += s->state() == balance::ServerState::up ? 1 : 0;
                const bool below = up < rule.min_up;
                conditions.push_back({rule.name, rule.pool, below, static_cast<double>(up),
                                      fmt::format("pool {} has {} of {} server(s) up{}", rule.pool, up,
                                                  pool->servers().size(),
                                                  below ? fmt::format(", fewer than {}", rule.min_up)
                                                        : std::string())});
                break;
            }
            case config::AlertType::service_p95_above: {
                // One target per service, all its types together ("Maps/Parcels" MapServer and FeatureServer).
                const auto& sums = service_window(window);
                std::map<std::string, metrics::TrafficTotals> by_service;
                const auto& services = collector_.services();
                for (std::size_t id = 0; id < services.size(); ++id) {
                    const metrics::StatsKey& k = services[id].key;
                    if (k.kind != metrics::Kind::service || k.b == metrics::kOtherServices) continue;
                    if (!gis::service_glob_match(rule.service, k.a, k.b)) continue;
                    by_service[k.joined()].merge(at(sums, id));
                }
                for (const auto& [target, t] : by_service) {
                    const double p95 = t.requests() ? ms(t.latency.percentile(95)) : 0.0;
                    const bool over = t.requests() >= rule.min_requests && p95 > rule.limit;
                    conditions.push_back(
                        {rule.name, target, over, p95,
                         t.requests() ? fmt::format("service {} P95 {:.1f} ms over the last {} ({} requests), limit "
                                                    "{} ms",
                                                    target, p95, window_text, t.requests(), rule.limit)
                                      : fmt::format("service {}: no requests in the last {}", target, window_text)});
                }
                break;
            }
            case config::AlertType::error_rate_above: {
                std::uint64_t requests = 0, errors = 0;
                if (rule.pool.empty()) {
                    for (const auto& t : service_window(window)) {
                        requests += t.requests();
                        errors += t.errors();
                    }
                } else {
                    const auto& sums = server_window(window);
                    const auto& servers = collector_.servers();
                    for (std::size_t id = 0; id < servers.size(); ++id) {
                        if (servers[id].key.a != rule.pool) continue;
                        requests += at(sums, id).requests();
                        errors += at(sums, id).errors();
                    }
                }
                const double rate = requests ? 100.0 * static_cast<double>(errors) / static_cast<double>(requests) : 0;
                const bool over = requests >= rule.min_requests && rate > rule.limit;
                const std::string target = rule.pool.empty() ? "all" : rule.pool;
                conditions.push_back({rule.name, target, over, rate,
                                      fmt::format("{}: {:.1f}% errors (5xx) over the last {} ({} of {} requests), "
                                                  "limit {}%",
                                                  target, rate, window_text, errors, requests, rule.limit)});
                break;
            }
            case config::AlertType::queue_rejections: {
                const std::uint64_t n = window_.rejections(now_second, window, rule.pool);
                const bool over = static_cast<double>(n) >= rule.limit;
                const std::string target = rule.pool.empty() ? "all" : rule.pool;
                conditions.push_back({rule.name, target, over, static_cast<double>(n),
                                      fmt::format("{}: {} request(s) refused by a full or timed-out queue in the last "
                                                  "{} (limit {})",
                                                  target, n, window_text, rule.limit)});
                break;
            }
        }
    }
    std::vector<metrics::AlertEvent> events;
    alerts_.update(names, conditions, now_ms, events);
    publish(events);
}

void Observer::publish(const std::vector<metrics::AlertEvent>& events) {
    for (const metrics::AlertEvent& e : events) {
        if (e.firing) spdlog::warn("alert {} FIRING for {}: {}", e.rule, e.target, e.message);
        else spdlog::info("alert {} resolved for {}: {}", e.rule, e.target, e.message);
        if (history_ && !finished_) history_->write_alert(e);
        if (webhook_) {
            const json body = {{"rule", e.rule},           {"target", e.target},
                               {"state", e.firing ? "firing" : "resolved"},
                               {"value", e.value},         {"message", e.message},
                               {"time", iso_time(e.time_ms)}, {"time_ms", e.time_ms}};
            webhook_->send(body.dump());
        }
    }
}

json Observer::services_json() {
    collector_.refresh(workers_);
    const config::Config& config = runtime_->config;
    const std::int64_t window = whole_seconds(config.metrics.window);
    const std::int64_t now_s = unix_seconds(Clock::now());
    std::vector<metrics::TrafficTotals> sums;
    window_.sum_services(now_s, window, sums);
    const double seconds = static_cast<double>(std::min(window, covered_seconds(now_s)));
    const double slow_ms = static_cast<double>(config.metrics.slow_p95.count());

    json rows = json::array();
    metrics::TrafficTotals total_window;
    std::uint64_t total_requests = 0, total_errors = 0;
    const auto& services = collector_.services();
    for (std::size_t id = 0; id < services.size(); ++id) {
        const auto& e = services[id];
        const metrics::TrafficTotals& w = at(sums, id);
        rows.push_back(service_row(e.key.joined(), e.key.c, metrics::to_string(e.key.kind), e.totals.requests(),
                                   e.totals.errors(), w, seconds, slow_ms));
        total_window.merge(w);
        total_requests += e.totals.requests();
        total_errors += e.totals.errors();
    }
    std::sort(rows.begin(), rows.end(), [](const json& a, const json& b) {
        const double pa = a["p95_ms"].get<double>(), pb = b["p95_ms"].get<double>();
        if (pa != pb) return pa > pb;
        const auto ra = a["requests_total"].get<std::uint64_t>(), rb = b["requests_total"].get<std::uint64_t>();
        if (ra != rb) return ra > rb;
        return a["service"].get<std::string>() < b["service"].get<std::string>();
    });
    return {{"window_seconds", window},
            {"services", std::move(rows)},
            {"total", service_row("total", "", "total", total_requests, total_errors, total_window, seconds, slow_ms)}};
}

json Observer::alerts_json() const {
    json active = json::array();
    for (const auto& a : alerts_.active())
        active.push_back({{"rule", a.rule}, {"target", a.target}, {"since", iso_time(a.since_ms)}, {"value", a.value},
                          {"message", a.message}});
    json recent = json::array();
    for (const auto& e : alerts_.recent())
        recent.push_back({{"time", iso_time(e.time_ms)},
                          {"rule", e.rule},
                          {"target", e.target},
                          {"state", e.firing ? "firing" : "resolved"},
                          {"value", e.value},
                          {"message", e.message}});
    return {{"active", std::move(active)}, {"recent", std::move(recent)}};
}

void Observer::append_metrics(std::string& out) {
    collector_.refresh(workers_);
    auto it = std::back_inserter(out);
    const auto& servers = collector_.servers();
    const auto& services = collector_.services();

    family(out, "gisgate_requests_total", "counter",
           "requests answered, by pool, server and status class (server \"\": answered by gisgate itself; "
           "pool \"\": refused before routing)");
    for (const auto& e : servers)
        for (std::size_t c = 0; c < metrics::kStatusClasses; ++c)
            fmt::format_to(it, "gisgate_requests_total{{pool=\"{}\",server=\"{}\",class=\"{}\"}} {}\n", label(e.key.a),
                           label(e.key.b), metrics::kStatusClassNames[c], e.totals.by_class[c]);

    family(out, "gisgate_request_bytes_total", "counter", "request bytes received from clients (head and body)");
    for (const auto& e : servers)
        fmt::format_to(it, "gisgate_request_bytes_total{{pool=\"{}\",server=\"{}\"}} {}\n", label(e.key.a),
                       label(e.key.b), e.totals.bytes_in);
    family(out, "gisgate_response_bytes_total", "counter", "response bytes sent to clients (head and body)");
    for (const auto& e : servers)
        fmt::format_to(it, "gisgate_response_bytes_total{{pool=\"{}\",server=\"{}\"}} {}\n", label(e.key.a),
                       label(e.key.b), e.totals.bytes_out);

    std::map<std::string, std::uint64_t> retries;
    for (const auto& pool : runtime_->pools) retries[pool->name()] = 0;
    for (const auto& e : servers)
        if (!e.key.a.empty()) retries[e.key.a] += e.totals.retries;
    family(out, "gisgate_retries_total", "counter", "requests sent again to another server after a failed attempt");
    for (const auto& [pool, n] : retries)
        fmt::format_to(it, "gisgate_retries_total{{pool=\"{}\"}} {}\n", label(pool), n);

    family(out, "gisgate_pool_in_flight", "gauge", "requests in flight on the pool's servers");
    for (const auto& pool : runtime_->pools) {
        std::uint64_t active = 0;
        for (const auto& s : pool->servers()) active += s->active.load();
        fmt::format_to(it, "gisgate_pool_in_flight{{pool=\"{}\"}} {}\n", label(pool->name()), active);
    }

    family(out, "gisgate_server_request_duration_seconds", "histogram",
           "response times of requests a server answered (first request byte to last response byte)");
    for (const auto& e : servers) {
        if (e.key.b.empty()) continue;
        const std::string labels = fmt::format("pool=\"{}\",server=\"{}\"", label(e.key.a), label(e.key.b));
        metrics::prometheus::histogram(out, "gisgate_server_request_duration_seconds", labels, e.totals.latency);
    }

    auto service_labels = [](const metrics::StatsKey& k) {
        return fmt::format("service=\"{}\",type=\"{}\",kind=\"{}\"", label(k.joined()), label(k.c),
                           metrics::to_string(k.kind));
    };
    family(out, "gisgate_service_requests_total", "counter",
           "requests per GIS service (folder/name and type; portal, admin, other; _other beyond metrics.max_services) "
           "by status class");
    for (const auto& e : services) {
        const std::string labels = service_labels(e.key);
        for (std::size_t c = 0; c < metrics::kStatusClasses; ++c)
            fmt::format_to(it, "gisgate_service_requests_total{{{},class=\"{}\"}} {}\n", labels,
                           metrics::kStatusClassNames[c], e.totals.by_class[c]);
    }
    family(out, "gisgate_service_request_bytes_total", "counter", "request bytes received per GIS service");
    for (const auto& e : services)
        fmt::format_to(it, "gisgate_service_request_bytes_total{{{}}} {}\n", service_labels(e.key), e.totals.bytes_in);
    family(out, "gisgate_service_response_bytes_total", "counter", "response bytes sent per GIS service");
    for (const auto& e : services)
        fmt::format_to(it, "gisgate_service_response_bytes_total{{{}}} {}\n", service_labels(e.key),
                       e.totals.bytes_out);
    family(out, "gisgate_service_request_duration_seconds", "histogram", "response times per GIS service");
    for (const auto& e : services)
        metrics::prometheus::histogram(out, "gisgate_service_request_duration_seconds", service_labels(e.key),
                                       e.totals.latency);
    family(out, "gisgate_services_tracked", "gauge", "GIS services with statistics of their own (metrics.max_services)");
    fmt::format_to(it, "gisgate_services_tracked {}\n", registry_.admitted());

    family(out, "gisgate_alert_active", "gauge", "1 while an alert rule fires for a target");
    for (const auto& a : alerts_.active())
        fmt::format_to(it, "gisgate_alert_active{{rule=\"{}\",target=\"{}\"}} 1\n", label(a.rule), label(a.target));
    if (webhook_) {
        family(out, "gisgate_alert_webhook_total", "counter",
               "alert webhook deliveries (delivered), failed attempts (failed) and events given up (dropped)");
        fmt::format_to(it, "gisgate_alert_webhook_total{{result=\"delivered\"}} {}\n", webhook_->delivered());
        fmt::format_to(it, "gisgate_alert_webhook_total{{result=\"failed\"}} {}\n", webhook_->failed_attempts());
        fmt::format_to(it, "gisgate_alert_webhook_total{{result=\"dropped\"}} {}\n", webhook_->dropped());
    }
    if (history_) {
        family(out, "gisgate_history_write_failures_total", "counter", "history transactions that failed");
        fmt::format_to(it, "gisgate_history_write_failures_total {}\n", history_->failures());
    }
}

}  // namespace gisgate::proxy
