// The observability sections of the config: `metrics:`, `history:` and `alerts:`.
#include "config/observability_loader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "config/names.hpp"

namespace gisgate::config {

const char* to_string(AlertType type) {
    switch (type) {
        case AlertType::server_down: return "server_down";
        case AlertType::pool_up_below: return "pool_up_below";
        case AlertType::service_p95_above: return "service_p95_above";
        case AlertType::error_rate_above: return "error_rate_above";
        case AlertType::queue_rejections: return "queue_rejections";
    }
    return "?";
}

namespace detail {

namespace {

using namespace std::chrono_literals;

std::chrono::milliseconds bounded_duration(const Reader& r, const Field& f, std::chrono::milliseconds min,
                                           std::chrono::milliseconds max, bool whole_seconds = false) {
    const auto value = r.duration(f);
    if (value < min || value > max)
        r.fail(r.loc(f), fmt::format("'{}' must be from {} to {}, got '{}'", f.name, format_duration(min),
                                     format_duration(max), format_duration(value)));
    if (whole_seconds && value.count() % 1000 != 0)
        r.fail(r.loc(f), fmt::format("'{}' must be a whole number of seconds, got '{}'", f.name,
                                     format_duration(value)));
    return value;
}

// http://host[:port][/path]: the webhook receiver (plain HTTP; put a local relay in front of anything else).
void parse_webhook_url(const Reader& r, const Field& f, WebhookConfig& hook) {
    hook.url = r.string(f);
    std::string_view rest = hook.url;
    constexpr std::string_view kScheme = "http://";
    if (rest.substr(0, kScheme.size()) != kScheme)
        r.fail(r.loc(f), fmt::format("webhook 'url' must be a plain http:// URL such as "
                                     "http://127.0.0.1:9000/hook, got '{}'", hook.url));
    rest.remove_prefix(kScheme.size());
    const std::size_t slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    hook.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    const bool target_ok = std::all_of(hook.target.begin(), hook.target.end(), [](char c) {
        return c > ' ' && c < 0x7f && c != '#';
    });
    std::optional<Endpoint> endpoint;
    if (authority.find(':') == std::string_view::npos || (authority.front() == '[' && authority.back() == ']'))
        endpoint = parse_endpoint(std::string(authority) + ":80");
    else
        endpoint = parse_endpoint(authority);
    if (authority.empty() || !endpoint || endpoint->port == 0 || !target_ok ||
        authority.find('@') != std::string_view::npos)
        r.fail(r.loc(f), fmt::format("webhook 'url' is not a valid http://host[:port]/path URL: '{}'", hook.url));
    hook.host = endpoint->host;
    hook.port = endpoint->port;
}

void read_webhook(const Reader& r, const Field& field, WebhookConfig& hook) {
    const MapFields map(r, field, "webhook", {"url", "retries", "timeout"});
    parse_webhook_url(r, map.require("url"), hook);
    if (const Field* f = map.find("retries")) hook.retries = static_cast<std::uint32_t>(r.integer(*f, 0, 20));
    if (const Field* f = map.find("timeout")) hook.timeout = bounded_duration(r, *f, 1ms, 10min);
}

AlertRule read_rule(const Reader& r, const YAML::Node& node, std::vector<std::pair<std::string, SourceLoc>>& names,
                    std::vector<AlertPoolRef>& pool_refs) {
    const MapFields map(r, r.item(node, "rule"), "alert rule",
                        {"name", "type", "pool", "service", "min_up", "limit", "window", "min_requests"});
    AlertRule rule;
    const Field& name = map.require("name");
    rule.name = r.string(name);
    if (!valid_name(rule.name)) r.fail(r.loc(name), fmt::format("alert rule name '{}' {}", rule.name, kNameRule));
    for (const auto& [seen, at] : names)
        if (seen == rule.name)
            r.fail(r.loc(name), fmt::format("duplicate alert rule name '{}' (first defined at {}:{})", rule.name,
                                            at.line, at.column));
    names.emplace_back(rule.name, r.loc(name));

    const Field& type = map.require("type");
    const std::string type_text = r.string(type);
    static constexpr AlertType kTypes[] = {AlertType::server_down, AlertType::pool_up_below,
                                           AlertType::service_p95_above, AlertType::error_rate_above,
                                           AlertType::queue_rejections};
    bool known = false;
    for (AlertType t : kTypes)
        if (type_text == to_string(t)) {
            rule.type = t;
            known = true;
        }
    if (!known)
        r.fail(r.loc(type), fmt::format("alert 'type' must be one of: server_down, pool_up_below, service_p95_above, "
                                        "error_rate_above, queue_rejections, got '{}'",
                                        type_text));

    // Keys each type takes; any other is a mistake (it would be silently ignored).
    std::vector<std::string_view> allowed = {"name", "type"};
    switch (rule.type) {
        case AlertType::server_down: allowed.insert(allowed.end(), {"pool"}); break;
        case AlertType::pool_up_below: allowed.insert(allowed.end(), {"pool", "min_up"}); break;
        case AlertType::service_p95_above:
            allowed.insert(allowed.end(), {"service", "limit", "window", "min_requests"});
            break;
        case AlertType::error_rate_above:
            allowed.insert(allowed.end(), {"pool", "limit", "window", "min_requests"});
            break;
        case AlertType::queue_rejections: allowed.insert(allowed.end(), {"pool", "limit", "window"}); break;
    }
    for (const Field& f : map.fields())
        if (std::find(allowed.begin(), allowed.end(), f.name) == allowed.end())
            r.fail(r.loc(f.key), fmt::format("'{}' does not apply to a {} rule (it takes: {})", f.name, type_text,
                                             fmt::join(allowed, ", ")));

    if (const Field* f = map.find("pool")) {
        rule.pool = r.string(*f);
        pool_refs.push_back({rule.pool, r.loc(*f)});
    } else if (rule.type == AlertType::pool_up_below) {
        map.require("pool");
    }
    if (rule.type == AlertType::pool_up_below) {
        rule.min_up = static_cast<std::uint32_t>(r.integer(map.require("min_up"), 1, 1000));
    }
    if (rule.type == AlertType::service_p95_above) {
        const Field& service = map.require("service");
        rule.service = r.string(service);
        const bool ok = !rule.service.empty() && rule.service.front() != '/' && rule.service.back() != '/' &&
                        std::count(rule.service.begin(), rule.service.end(), '/') <= 1 &&
                        std::all_of(rule.service.begin(), rule.service.end(), [](char c) {
                            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '*' ||
                                   c == '/' || c == '-' || c == '.';
                        });
        if (!ok)
            r.fail(r.loc(service), fmt::format("'service' is a glob on folder/service such as 'SampleWorldCities' "
                                               "or 'Maps/*', got '{}'",
                                               rule.service));
        const Field& limit = map.require("limit");
        rule.limit = static_cast<double>(bounded_duration(r, limit, 1ms, 1h).count());
    } else if (rule.type == AlertType::error_rate_above) {
        rule.limit = r.percent(map.require("limit"));
    } else if (rule.type == AlertType::queue_rejections) {
        const Field* limit = map.find("limit");
        rule.limit = limit ? static_cast<double>(r.integer(*limit, 1, 1'000'000'000)) : 1.0;
    }
    if (const Field* f = map.find("window")) rule.window = bounded_duration(r, *f, 1s, 1h, true);
    if (const Field* f = map.find("min_requests")) rule.min_requests = r.integer(*f, 1, 1'000'000'000);
    return rule;
}

}  // namespace

void read_metrics(const Reader& r, const Field& field, MetricsConfig& out) {
    const MapFields map(r, field, "metrics", {"max_services", "slow_p95", "window"});
    if (const Field* f = map.find("max_services")) out.max_services = static_cast<std::uint32_t>(r.integer(*f, 1, 10000));
    if (const Field* f = map.find("slow_p95")) out.slow_p95 = bounded_duration(r, *f, 1ms, 1h);
    if (const Field* f = map.find("window")) out.window = bounded_duration(r, *f, 1s, 1h, true);
}

void read_history(const Reader& r, const Field& field, std::optional<HistoryConfig>& out) {
    HistoryConfig history;
    if (!field.value.IsNull()) {  // `history:` alone turns it on with the defaults
        const MapFields map(r, field, "history", {"path", "retention", "interval"});
        if (const Field* f = map.find("path")) {
            history.path = r.string(*f);
            if (history.path.empty() || history.path.back() == '/')
                r.fail(r.loc(*f), fmt::format("history 'path' must be a file path, got '{}'", history.path));
        }
        if (const Field* f = map.find("retention")) history.retention = bounded_duration(r, *f, 1h, 3650 * 24h);
        if (const Field* f = map.find("interval")) history.interval = bounded_duration(r, *f, 1s, 1h, true);
    }
    out = std::move(history);
}

void read_alerts(const Reader& r, const Field& field, AlertsConfig& out, std::vector<AlertPoolRef>& pool_refs) {
    const MapFields map(r, field, "alerts", {"webhook", "rules"});
    if (const Field* f = map.find("webhook")) {
        WebhookConfig hook;
        read_webhook(r, *f, hook);
        out.webhook = std::move(hook);
    }
    std::vector<std::pair<std::string, SourceLoc>> names;
    if (const Field* f = map.find("rules"))
        for (const auto& node : r.list(*f)) out.rules.push_back(read_rule(r, node, names, pool_refs));
}

void check_alert_pools(const Reader& r, const Config& config, const std::vector<AlertPoolRef>& pool_refs) {
    for (const auto& ref : pool_refs) {
        if (config.find_pool(ref.pool)) continue;
        std::vector<std::string_view> known;
        for (const auto& pool : config.pools) known.push_back(pool.name);
        r.fail(ref.loc, fmt::format("alert rule refers to undefined pool '{}' (defined pools: {})", ref.pool,
                                    fmt::join(known, ", ")));
    }
}

void emit_observability(YAML::Emitter& out, const Config& config) {
    out << YAML::Key << "metrics" << YAML::Value << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "max_services" << YAML::Value << config.metrics.max_services;
    out << YAML::Key << "slow_p95" << YAML::Value << format_duration(config.metrics.slow_p95);
    out << YAML::Key << "window" << YAML::Value << format_duration(config.metrics.window);
    out << YAML::EndMap;
    if (config.history) {
        out << YAML::Key << "history" << YAML::Value << YAML::Flow << YAML::BeginMap;
        out << YAML::Key << "path" << YAML::Value << YAML::DoubleQuoted << config.history->path;
        out << YAML::Key << "retention" << YAML::Value << format_duration(config.history->retention);
        out << YAML::Key << "interval" << YAML::Value << format_duration(config.history->interval);
        out << YAML::EndMap;
    }
    const AlertsConfig& alerts = config.alerts;
    if (!alerts.webhook && alerts.rules.empty()) return;
    out << YAML::Key << "alerts" << YAML::Value << YAML::BeginMap;
    if (alerts.webhook) {
        out << YAML::Key << "webhook" << YAML::Value << YAML::Flow << YAML::BeginMap;
        out << YAML::Key << "url" << YAML::Value << alerts.webhook->url;
        out << YAML::Key << "retries" << YAML::Value << alerts.webhook->retries;
        out << YAML::Key << "timeout" << YAML::Value << format_duration(alerts.webhook->timeout);
        out << YAML::EndMap;
    }
    out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
    for (const AlertRule& rule : alerts.rules) {
        out << YAML::Flow << YAML::BeginMap;
        out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << rule.name;
        out << YAML::Key << "type" << YAML::Value << to_string(rule.type);
        if (!rule.pool.empty()) out << YAML::Key << "pool" << YAML::Value << YAML::DoubleQuoted << rule.pool;
        switch (rule.type) {
            case AlertType::server_down: break;
            case AlertType::pool_up_below: out << YAML::Key << "min_up" << YAML::Value << rule.min_up; break;
            case AlertType::service_p95_above:
                out << YAML::Key << "service" << YAML::Value << YAML::DoubleQuoted << rule.service;
                out << YAML::Key << "limit" << YAML::Value
                    << format_duration(std::chrono::milliseconds(static_cast<std::int64_t>(rule.limit)));
                break;
            case AlertType::error_rate_above:
                out << YAML::Key << "limit" << YAML::Value << fmt::format("{}%", rule.limit);
                break;
            case AlertType::queue_rejections:
                out << YAML::Key << "limit" << YAML::Value << static_cast<std::uint64_t>(rule.limit);
                break;
        }
        if (rule.type == AlertType::service_p95_above || rule.type == AlertType::error_rate_above ||
            rule.type == AlertType::queue_rejections)
            out << YAML::Key << "window" << YAML::Value << format_duration(rule.window);
        if (rule.type == AlertType::service_p95_above || rule.type == AlertType::error_rate_above)
            out << YAML::Key << "min_requests" << YAML::Value << rule.min_requests;
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::EndMap;
}

}  // namespace detail
}  // namespace gisgate::config
