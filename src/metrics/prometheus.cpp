#include "metrics/prometheus.hpp"

#include <fmt/format.h>

#include <iterator>

namespace gisgate::metrics::prometheus {

std::string label(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void histogram(std::string& out, std::string_view name, std::string_view labels, const LatencyHistogram& h) {
    auto it = std::back_inserter(out);
    for (double le : kLatencyBuckets) {
        const auto micros = static_cast<std::uint64_t>(le * 1e6 + 0.5);
        fmt::format_to(it, "{}_bucket{{{},le=\"{}\"}} {}\n", name, labels, le, h.count_at_or_below(micros));
    }
    fmt::format_to(it, "{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels, h.count());
    fmt::format_to(it, "{}_sum{{{}}} {:.6f}\n", name, labels, static_cast<double>(h.sum_micros()) / 1e6);
    fmt::format_to(it, "{}_count{{{}}} {}\n", name, labels, h.count());
}

}  // namespace gisgate::metrics::prometheus
