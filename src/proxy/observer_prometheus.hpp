// Exposition as Prometheus text (format 0.0.4): the per-request families (requests by pool, server and status
// class, bytes, retries, latency histograms; the same per GIS service), the active alerts and the webhook and
// history counters. GET /metrics (metrics_text.cpp) writes the live server state first and appends these.
#pragma once

#include <cstddef>
#include <string>

#include "metrics/collector.hpp"
#include "proxy/observer_alerts.hpp"
#include "proxy/observer_history.hpp"
#include "proxy/runtime.hpp"

namespace gisgate::proxy {

struct RequestMetricsSources {
    const metrics::Collector& totals;  // refreshed just before
    const Runtime& runtime;            // the pools served now
    std::size_t services_tracked;      // ServiceRegistry::admitted()
    const AlertMonitor& alerts;
    const HistoryRecorder* history;    // null without `history:`
};

void append_request_metrics(std::string& out, const RequestMetricsSources& from);

}  // namespace gisgate::proxy
