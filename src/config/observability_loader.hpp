// Internal to config/: the `metrics:`, `history:` and `alerts:` sections (reading with located errors, and
// writing them back for `gisgate check`). Kept out of loader.cpp so that file only dispatches to them.
#pragma once

#include <yaml-cpp/yaml.h>

#include "config/config.hpp"
#include "config/yaml_reader.hpp"

namespace gisgate::config::detail {

void read_metrics(const Reader& r, const Field& field, MetricsConfig& out);
void read_history(const Reader& r, const Field& field, std::optional<HistoryConfig>& out);
// Where a rule's `pool:` was written: checked by check_alert_pools() once every pool is known.
struct AlertPoolRef {
    std::string pool;
    SourceLoc loc;
};
void read_alerts(const Reader& r, const Field& field, AlertsConfig& out, std::vector<AlertPoolRef>& pool_refs);
void check_alert_pools(const Reader& r, const Config& config, const std::vector<AlertPoolRef>& pool_refs);

void emit_observability(YAML::Emitter& out, const Config& config);

}  // namespace gisgate::config::detail
