// Helpers for the Prometheus text exposition format (0.0.4): label values, family headers, histograms.
#pragma once

#include <string>
#include <string_view>

#include "metrics/histogram.hpp"

namespace gisgate::metrics::prometheus {

// A label value with backslash, double quote and newline escaped (the format's rule).
std::string label(std::string_view value);

// "# HELP name help\n# TYPE name type\n"
void family(std::string& out, std::string_view name, std::string_view type, std::string_view help);

// The upper bounds (seconds) of the latency histograms' `le` buckets.
inline constexpr double kLatencyBuckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

// name_bucket{labels,le="..."} for every bound and +Inf, then name_sum (seconds) and name_count. `labels` is
// already formatted: `pool="gis",server="a"`. Bucket counts are exact to the histogram's precision (1/64).
void histogram(std::string& out, std::string_view name, std::string_view labels, const LatencyHistogram& h);

}  // namespace gisgate::metrics::prometheus
