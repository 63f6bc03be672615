#include "proxy/observer_prometheus.hpp"

#include <fmt/format.h>

#include <iterator>
#include <map>

#include "config/enum_names.hpp"
#include "metrics/prometheus.hpp"

namespace gisgate::proxy {

namespace {

using metrics::prometheus::family;
using metrics::prometheus::label;

std::string server_labels(const metrics::StatsKey& k) {
    return fmt::format("pool=\"{}\",server=\"{}\"", label(k.a), label(k.b));
}

std::string service_labels(const metrics::StatsKey& k) {
    return fmt::format("service=\"{}\",type=\"{}\",kind=\"{}\"", label(k.joined()), label(k.c),
                       metrics::to_string(k.kind));
}

// The counters servers and services both have: requests by status class, request bytes, response bytes.
struct TrafficFamily {
    const char* name;
    const char* help;
};
struct TrafficFamilies {
    TrafficFamily requests, request_bytes, response_bytes;
};

constexpr TrafficFamilies kServerTraffic = {
    {"gisgate_requests_total", "requests answered, by pool, server and status class (server \"\": answered by "
                               "gisgate itself; pool \"\": refused before routing)"},
    {"gisgate_request_bytes_total", "request bytes received from clients (head and body)"},
    {"gisgate_response_bytes_total", "response bytes sent to clients (head and body)"}};
constexpr TrafficFamilies kServiceTraffic = {
    {"gisgate_service_requests_total", "requests per GIS service (folder/name and type; portal, admin, other; "
                                       "_other beyond metrics.max_services) by status class"},
    {"gisgate_service_request_bytes_total", "request bytes received per GIS service"},
    {"gisgate_service_response_bytes_total", "response bytes sent per GIS service"}};

void append_traffic(std::string& out, const std::vector<metrics::Collector::Entry>& entries,
                    std::string (*labels_of)(const metrics::StatsKey&), const TrafficFamilies& f) {
    auto it = std::back_inserter(out);
    family(out, f.requests.name, "counter", f.requests.help);
    for (const auto& e : entries) {
        const std::string labels = labels_of(e.key);
        for (std::size_t c = 0; c < metrics::kStatusClasses; ++c)
            fmt::format_to(it, "{}{{{},class=\"{}\"}} {}\n", f.requests.name, labels, metrics::kStatusClassNames[c],
                           e.totals.by_class[c]);
    }
    family(out, f.request_bytes.name, "counter", f.request_bytes.help);
    for (const auto& e : entries)
        fmt::format_to(it, "{}{{{}}} {}\n", f.request_bytes.name, labels_of(e.key), e.totals.bytes_in);
    family(out, f.response_bytes.name, "counter", f.response_bytes.help);
    for (const auto& e : entries)
        fmt::format_to(it, "{}{{{}}} {}\n", f.response_bytes.name, labels_of(e.key), e.totals.bytes_out);
}

void append_server_families(std::string& out, const RequestMetricsSources& from) {
    auto it = std::back_inserter(out);
    const auto& servers = from.totals.servers();
    append_traffic(out, servers, server_labels, kServerTraffic);

    // Every pool served now has a line, 0 before its first retry.
    std::map<std::string, std::uint64_t> retries;
    for (const auto& pool : from.runtime.pools) retries[pool->name()] = 0;
    for (const auto& e : servers)
        if (!e.key.a.empty()) retries[e.key.a] += e.totals.retries;
    family(out, "gisgate_retries_total", "counter", "requests sent again to another server after a failed attempt");
    for (const auto& [pool, n] : retries)
        fmt::format_to(it, "gisgate_retries_total{{pool=\"{}\"}} {}\n", label(pool), n);

    family(out, "gisgate_pool_in_flight", "gauge", "requests in flight on the pool's servers");
    for (const auto& pool : from.runtime.pools) {
        std::uint64_t active = 0;
        for (const auto& s : pool->servers()) active += s->active.load();
        fmt::format_to(it, "gisgate_pool_in_flight{{pool=\"{}\"}} {}\n", label(pool->name()), active);
    }

    // Only servers with a limit: a series of zeros for unlimited pools would read as "no slot".
    family(out, "gisgate_server_concurrency_limit", "gauge",
           "requests a server may have in flight now: max_active_per_server, or the limit found for it with auto");
    for (const auto& pool : from.runtime.pools) {
        if (!pool->config().limited()) continue;
        for (const auto& s : pool->servers())
            fmt::format_to(it, "gisgate_server_concurrency_limit{{pool=\"{}\",server=\"{}\"}} {}\n",
                           label(pool->name()), label(s->name), pool->server_limit(*s));
    }

    family(out, "gisgate_server_request_duration_seconds", "histogram",
           "response times of requests a server answered (first request byte to last response byte)");
    for (const auto& e : servers) {
        if (e.key.b.empty()) continue;  // answered by gisgate itself: no server's response time
        metrics::prometheus::histogram(out, "gisgate_server_request_duration_seconds", server_labels(e.key),
                                       e.totals.latency);
    }
}

void append_service_families(std::string& out, const RequestMetricsSources& from) {
    const auto& services = from.totals.services();
    append_traffic(out, services, service_labels, kServiceTraffic);
    family(out, "gisgate_service_request_duration_seconds", "histogram", "response times per GIS service");
    for (const auto& e : services)
        metrics::prometheus::histogram(out, "gisgate_service_request_duration_seconds", service_labels(e.key),
                                       e.totals.latency);
    // Only services that ever had a tunnel (stream services): a zero series per map service is noise.
    family(out, "gisgate_service_tunnels_open", "gauge", "WebSocket tunnels open per GIS service (stream services)");
    for (const auto& e : services)
        if (e.totals.tunnels_opened != 0)
            fmt::format_to(std::back_inserter(out), "gisgate_service_tunnels_open{{{}}} {}\n", service_labels(e.key),
                           e.totals.tunnels_open());
    family(out, "gisgate_services_tracked", "gauge",
           "GIS services with statistics of their own (metrics.max_services)");
    fmt::format_to(std::back_inserter(out), "gisgate_services_tracked {}\n", from.services_tracked);
}

void append_alert_families(std::string& out, const RequestMetricsSources& from) {
    auto it = std::back_inserter(out);
    family(out, "gisgate_alert_active", "gauge", "1 while an alert rule fires for a target");
    for (const auto& a : from.alerts.engine().active())
        fmt::format_to(it, "gisgate_alert_active{{rule=\"{}\",target=\"{}\"}} 1\n", label(a.rule), label(a.target));
    // Only when configured: without a webhook or a history there is nothing to count.
    if (const metrics::WebhookSender* webhook = from.alerts.webhook()) {
        family(out, "gisgate_alert_webhook_total", "counter",
               "alert webhook deliveries (delivered), failed attempts (failed) and events given up (dropped)");
        fmt::format_to(it, "gisgate_alert_webhook_total{{result=\"delivered\"}} {}\n", webhook->delivered());
        fmt::format_to(it, "gisgate_alert_webhook_total{{result=\"failed\"}} {}\n", webhook->failed_attempts());
        fmt::format_to(it, "gisgate_alert_webhook_total{{result=\"dropped\"}} {}\n", webhook->dropped());
    }
    if (from.history) {
        family(out, "gisgate_history_write_failures_total", "counter", "history transactions that failed");
        fmt::format_to(it, "gisgate_history_write_failures_total {}\n", from.history->failures());
    }
}

std::string class_labels(const metrics::StatsKey& k) {
    return fmt::format("pool=\"{}\",op_class=\"{}\"", label(k.a), label(k.b));
}

// Operation classes (docs/throttling.md): what each class got (requests, response times) and what it holds and
// waits for now. `op_class`, because `class` is the status class of the request counters.
void append_class_families(std::string& out, const RequestMetricsSources& from) {
    auto it = std::back_inserter(out);
    const auto& classes = from.totals.classes();
    family(out, "gisgate_class_requests_total", "counter",
           "requests that reached a pool, by operation class (interactive, other, heavy) and status class");
    for (const auto& e : classes)
        for (std::size_t c = 0; c < metrics::kStatusClasses; ++c)
            fmt::format_to(it, "gisgate_class_requests_total{{{},class=\"{}\"}} {}\n", class_labels(e.key),
                           metrics::kStatusClassNames[c], e.totals.by_class[c]);
    family(out, "gisgate_class_request_duration_seconds", "histogram", "response times per pool and operation class");
    for (const auto& e : classes)
        metrics::prometheus::histogram(out, "gisgate_class_request_duration_seconds", class_labels(e.key),
                                       e.totals.latency);

    struct Gauge {
        const char* name;
        const char* type;
        const char* help;
    };
    const Gauge gauges[] = {
        {"gisgate_class_in_flight", "gauge", "requests in flight on the pool's servers per operation class"},
        {"gisgate_class_queued", "gauge", "requests waiting in the pool's queue per operation class"},
        {"gisgate_class_queue_rejections_total", "counter",
         "requests refused with 503 per operation class (queue full or queue timeout)"},
        {"gisgate_class_limit", "gauge",
         "slots of each server the operation class may hold (0: no limit of its own, or the pool's limit is auto: "
         "then the share is of gisgate_server_concurrency_limit)"}};
    for (std::size_t g = 0; g < std::size(gauges); ++g) {
        family(out, gauges[g].name, gauges[g].type, gauges[g].help);
        for (const auto& pool : from.runtime.pools) {
            const auto& queue = *pool->wait_queue();
            for (const auto& [cls, name] : config::kOperationClassNames) {
                const auto c = static_cast<std::size_t>(cls);
                std::uint64_t value = 0;
                if (g == 0) {
                    for (const auto& s : pool->servers()) value += s->class_active[c].load();
                } else if (g == 1) {
                    value = queue.class_size[c].load();
                } else if (g == 2) {
                    value = queue.class_rejections[c].load();
                } else {
                    value = pool->class_limit(cls);
                }
                fmt::format_to(it, "{}{{pool=\"{}\",op_class=\"{}\"}} {}\n", gauges[g].name, label(pool->name()),
                               name, value);
            }
        }
    }
}

}  // namespace

void append_request_metrics(std::string& out, const RequestMetricsSources& from) {
    append_server_families(out, from);
    append_class_families(out, from);
    append_service_families(out, from);
    append_alert_families(out, from);
}

}  // namespace gisgate::proxy
