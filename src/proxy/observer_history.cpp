#include "proxy/observer_history.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "config/loader.hpp"

namespace gisgate::proxy {

namespace {

// What an entry counted since the previous interval's end (entries newer than it start from zero).
metrics::TrafficTotals since_base(const metrics::Collector::Entry& entry,
                                  const std::vector<metrics::TrafficTotals>& base, std::size_t id) {
    static const metrics::TrafficTotals zero;
    metrics::TrafficTotals d = entry.totals;
    d.subtract(id < base.size() ? base[id] : zero);
    return d;
}

void set_base(const std::vector<metrics::Collector::Entry>& entries, std::vector<metrics::TrafficTotals>& base) {
    base.resize(entries.size());
    for (std::size_t id = 0; id < entries.size(); ++id) base[id] = entries[id].totals;
}

}  // namespace

HistoryRecorder::HistoryRecorder(const config::HistoryConfig& config)
    : writer_(config.path, config.retention), retention_(config.retention), interval_(whole_seconds(config.interval)) {
    spdlog::info("history: {} (every {}, kept {})", config.path, config::format_duration(config.interval),
                 config::format_duration(config.retention));
}

void HistoryRecorder::start(WallClock::time_point now, const Runtime& runtime) {
    const std::int64_t second = unix_seconds(now);
    interval_start_ = second / interval_ * interval_;
    covered_from_ = second;
    sample_servers(now, 0, runtime);
}

void HistoryRecorder::tick(WallClock::time_point now, double elapsed_seconds, const metrics::Collector& totals,
                           const Runtime& runtime) {
    sample_servers(now, elapsed_seconds, runtime);
    const std::int64_t second = unix_seconds(now);
    if (second >= interval_start_ + interval_) write_interval(second, false, totals, runtime);
}

void HistoryRecorder::reconfigure(const config::HistoryConfig& config, std::int64_t now_second,
                                  const metrics::Collector& totals, const Runtime& runtime) {
    if (config.retention != retention_) {
        writer_.set_retention(config.retention);
        retention_ = config.retention;
    }
    const std::int64_t interval = whole_seconds(config.interval);
    if (interval == interval_) return;
    write_interval(now_second, false, totals, runtime);
    interval_ = interval;
    interval_start_ = now_second / interval_ * interval_;
    covered_from_ = now_second;
}

void HistoryRecorder::finish(WallClock::time_point now, double elapsed_seconds, const metrics::Collector& totals,
                             const Runtime& runtime) {
    sample_servers(now, elapsed_seconds, runtime);
    // Rounded up, so the last fraction of a second the process ran is part of the row.
    write_interval(std::chrono::ceil<std::chrono::seconds>(now.time_since_epoch()).count(), true, totals, runtime);
    writer_.close();
    spdlog::info("history: last interval written to {}", writer_.path());
}

void HistoryRecorder::write_alerts(const std::vector<metrics::AlertEvent>& events) {
    for (const metrics::AlertEvent& e : events) writer_.write_alert(e);
}

void HistoryRecorder::health_event(std::int64_t time_ms, const std::string& pool, const std::string& server,
                                   const char* state, std::string reason) {
    writer_.write_health({time_ms, pool, server, state, std::move(reason)});
}

// Up time and state changes, sampled once a second: health up/down (HealthInfo::transitions also catches a
// down-and-up between two samples) and admin states (drain, maint, ready).
void HistoryRecorder::sample_servers(WallClock::time_point now, double elapsed_seconds, const Runtime& runtime) {
    const std::int64_t now_ms = unix_ms(now);
    for (const auto& pool : runtime.pools) {
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

// Rows for [interval_start_, end): per-service, per-server and per-class differences of the cumulative totals since the
// previous interval. `final`: the process is stopping; the row covers what it saw of the interval.
void HistoryRecorder::write_interval(std::int64_t end_second, bool final, const metrics::Collector& totals,
                                     const Runtime& runtime) {
    const std::int64_t nominal_end = interval_start_ + interval_;
    const std::int64_t seconds = std::max<std::int64_t>(1, std::min(end_second, nominal_end) - covered_from_);

    std::vector<metrics::ServiceIntervalRow> service_rows;
    const auto& services = totals.services();
    for (std::size_t id = 0; id < services.size(); ++id) {
        const metrics::TrafficTotals d = since_base(services[id], service_base_, id);
        if (d.requests() == 0) continue;
        const metrics::StatsKey& k = services[id].key;
        service_rows.push_back({interval_start_, seconds, k.joined(), k.c, metrics::to_string(k.kind), d.requests(),
                                d.errors(), d.bytes_in, d.bytes_out, d.latency.encode()});
    }
    writer_.write_interval(std::move(service_rows), server_rows(seconds, totals, runtime), class_rows(seconds, totals));

    set_base(services, service_base_);
    set_base(totals.servers(), server_base_);
    set_base(totals.classes(), class_base_);
    up_seconds_.clear();
    if (!final) {
        interval_start_ = end_second / interval_ * interval_;
        covered_from_ = std::max(interval_start_, std::min(end_second, nominal_end));
    }
}

// Every configured server gets a row (availability), plus servers removed during the interval that had
// requests in it. Requests gisgate answered without a server have no server row.
std::vector<metrics::ServerIntervalRow> HistoryRecorder::server_rows(std::int64_t seconds,
                                                                     const metrics::Collector& totals,
                                                                     const Runtime& runtime) const {
    std::vector<metrics::ServerIntervalRow> rows;
    const auto& servers = totals.servers();
    std::map<std::pair<std::string, std::string>, std::size_t> ids;
    for (std::size_t id = 0; id < servers.size(); ++id)
        if (!servers[id].key.a.empty() && !servers[id].key.b.empty()) ids[{servers[id].key.a, servers[id].key.b}] = id;
    auto add_row = [&](const std::string& pool, const std::string& server, double up) {
        metrics::TrafficTotals d;
        if (auto it = ids.find({pool, server}); it != ids.end()) {
            d = since_base(servers[it->second], server_base_, it->second);
            ids.erase(it);
        }
        rows.push_back({interval_start_, seconds, pool, server, d.requests(), d.errors(), d.bytes_in, d.bytes_out,
                        std::min(up, static_cast<double>(seconds)), d.latency.encode()});
    };
    for (const auto& pool : runtime.pools)
        for (const auto& s : pool->servers()) {
            const auto up = up_seconds_.find(pool->name() + "/" + s->name);
            add_row(pool->name(), s->name, up == up_seconds_.end() ? 0.0 : up->second);
        }
    for (const auto& [key, id] : std::map(ids))
        if (since_base(servers[id], server_base_, id).requests() > 0) add_row(key.first, key.second, 0.0);
    return rows;
}

// Like services, only the pool/class pairs that had requests in the interval: a class without traffic says
// nothing (unlike a server, whose empty row still carries its up time).
std::vector<metrics::ClassIntervalRow> HistoryRecorder::class_rows(std::int64_t seconds,
                                                                   const metrics::Collector& totals) const {
    std::vector<metrics::ClassIntervalRow> rows;
    const auto& classes = totals.classes();
    for (std::size_t id = 0; id < classes.size(); ++id) {
        const metrics::TrafficTotals d = since_base(classes[id], class_base_, id);
        if (d.requests() == 0) continue;
        const metrics::StatsKey& k = classes[id].key;
        rows.push_back({interval_start_, seconds, k.a, k.b, d.requests(), d.errors(), d.bytes_in, d.bytes_out,
                        d.latency.encode()});
    }
    return rows;
}

}  // namespace gisgate::proxy
