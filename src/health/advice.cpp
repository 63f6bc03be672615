#include "health/advice.hpp"

#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <string_view>

#include "http/redact.hpp"
#include "util/ascii.hpp"

namespace gisgate::health {
namespace {

using std::chrono::milliseconds;

// "2m35s", "1m30s", "2m", "1.4s", "200ms", "1h5m": compound units read better here than format_duration's
// single largest exact unit ("155s").
std::string span_text(milliseconds d) {
    std::int64_t ms = d.count();
    if (ms <= 0) return "0s";
    if (ms < 1000) return fmt::format("{}ms", ms);
    std::string out;
    const std::int64_t hours = ms / 3'600'000;
    ms %= 3'600'000;
    const std::int64_t minutes = ms / 60'000;
    ms %= 60'000;
    if (hours > 0) out += fmt::format("{}h", hours);
    if (minutes > 0) out += fmt::format("{}m", minutes);
    if (ms > 0) {
        std::string seconds = fmt::format("{}.{:03}", ms / 1000, ms % 1000);
        while (seconds.back() == '0') seconds.pop_back();
        if (seconds.back() == '.') seconds.pop_back();
        out += seconds + "s";
    }
    return out;
}

std::string describe(const config::PoolConfig& pool) {
    const config::HealthConfig& h = pool.health;
    // A server that starts failing just after a good check fails its next `fall` checks: the last of them
    // starts (fall-1)×interval..fall×interval later and may take `timeout` to fail (the vendor's
    // high-availability load-balancing guide, health-check settings: 30 s × 5 gives a worst case of about 2m30s).
    const milliseconds fastest = h.interval * static_cast<std::int64_t>(h.fall > 0 ? h.fall - 1 : 0);
    const milliseconds slowest = h.interval * static_cast<std::int64_t>(h.fall) + h.timeout;
    const milliseconds rejoin = h.interval * static_cast<std::int64_t>(h.rise);
    const std::string check = h.type == config::HealthCheckType::tcp
                                  ? std::string("TCP connect")
                                  : fmt::format("{}GET {}", pool.tls.enabled ? "HTTPS " : "", h.path);
    std::string line = fmt::format("pool {}: health {} every {}, timeout {}, fall {}, rise {}", pool.name, check,
                                   span_text(h.interval), span_text(h.timeout), h.fall, h.rise);
    if (h.type == config::HealthCheckType::http && (h.expect_status != 200 || !h.expect_body.empty())) {
        line += fmt::format(", expecting status {}", h.expect_status);
        if (!h.expect_body.empty()) line += fmt::format(" and '{}' in the body", h.expect_body);
    }
    line += fmt::format("; a slow or failing server is taken out after {}..{} (between (fall-1)×interval and "
                        "fall×interval+timeout), a dead server (connection refused) at once on its next "
                        "connection or check; a down server rejoins after {} (rise×interval)",
                        span_text(fastest), span_text(slowest), span_text(rejoin));
    return line;
}

// The passive side, when set: what live traffic takes a server out for, and how it comes back.
std::string describe_outlier(const config::PoolConfig& pool) {
    const config::OutlierConfig& o = pool.outlier;
    std::string line = fmt::format("pool {}:", pool.name);
    if (o.enabled()) {
        const auto run = [](std::uint32_t n, const char* what) {
            return n == 0 ? fmt::format("{} not counted", what) : fmt::format("{} consecutive {}", n, what);
        };
        line += fmt::format(" live traffic ejects a server after {} or {}, never the pool's last usable one; it "
                            "returns after {} good checks (rise) started after the ejection",
                            run(o.consecutive_5xx, o.count_500 ? "500/502/503/504" : "502/503/504"),
                            run(o.consecutive_timeouts, "timeouts"), pool.health.rise);
    }
    if (pool.slow_start.count() > 0)
        line += fmt::format("{} a server coming back ramps its weight and slots from 0 to 100% over {}",
                            o.enabled() ? ";" : "", span_text(pool.slow_start));
    return line;
}

// Does the check path's query ask for JSON (f=json or f=pjson, any case)?
bool asks_for_json(std::string_view path) {
    const std::size_t q = path.find('?');
    if (q == std::string_view::npos) return false;
    const std::optional<std::string_view> f = http::query_param(path.substr(q + 1), "f");
    return f && (util::iequals(*f, "json") || util::iequals(*f, "pjson"));
}

void warn_about(const config::PoolConfig& pool, std::vector<std::string>& warnings) {
    const config::HealthConfig& h = pool.health;
    if (!h.enabled) {
        warnings.push_back(fmt::format("pool {} has health checks disabled: a dead server is never taken out and "
                                       "is only avoided by retries after live-traffic failures",
                                       pool.name));
        return;
    }
    if (h.type == config::HealthCheckType::http && !h.expect_body.empty() && !asks_for_json(h.path))
        warnings.push_back(fmt::format("pool {}: health expect_body '{}' on GET {} without f=json: ArcGIS Server and "
                                       "Portal answer their health checks in HTML unless the query has f=json, "
                                       "so the body may never contain it and every server would stay down; add "
                                       "?f=json to the path, or judge by the status alone (the default)",
                                       pool.name, h.expect_body, h.path));
    constexpr milliseconds kRecommendedTimeout = std::chrono::seconds(5);
    if (h.timeout < kRecommendedTimeout)
        warnings.push_back(fmt::format("pool {}: health timeout {} is below the {} the vendor guides recommend: a "
                                       "busy GIS server may be taken out while it is only slow",
                                       pool.name, span_text(h.timeout), span_text(kRecommendedTimeout)));
    if (h.fall == 1)
        warnings.push_back(fmt::format("pool {}: health fall 1 takes a server out after a single failed check "
                                       "(a CPU spike or network glitch); the vendor guides recommend 5",
                                       pool.name));
    else if (h.fall < 3)
        warnings.push_back(fmt::format("pool {}: health fall {} takes a server out after only {} failed checks; "
                                       "the vendor guides found even 3 prone to false positives and recommend 5",
                                       pool.name, h.fall, h.fall));
    if (h.interval < h.timeout)
        warnings.push_back(fmt::format("pool {}: health interval {} is shorter than the timeout {}: checks would "
                                       "overlap (each waits for the previous one, so a slow server is checked "
                                       "less often than configured)",
                                       pool.name, span_text(h.interval), span_text(h.timeout)));
}

}  // namespace

Advice advise(const config::Config& config) {
    Advice advice;
    for (const config::PoolConfig& pool : config.pools) {
        if (pool.health.enabled)
            advice.lines.push_back(describe(pool));
        else
            advice.lines.push_back(fmt::format("pool {}: health checks disabled", pool.name));
        if (pool.outlier.enabled() || pool.slow_start.count() > 0) advice.lines.push_back(describe_outlier(pool));
        warn_about(pool, advice.warnings);
    }
    return advice;
}

}  // namespace gisgate::health
