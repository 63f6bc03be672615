// The YAML loader's class, shared by the files that read each part of the file (loader.cpp: top level, limits,
// admin, resolution; loader_listener.cpp: listeners and routes; loader_pool.cpp: pools, health, cache, servers).
// Internal to config/.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "config/loader.hpp"
#include "config/observability_loader.hpp"
#include "config/paths.hpp"
#include "config/yaml_reader.hpp"

namespace gisgate::config::detail {

inline constexpr std::uint64_t kU32Max = std::numeric_limits<std::uint32_t>::max();

inline std::string located(const SourceLoc& loc) { return fmt::format("{}:{}", loc.line, loc.column); }

class Loader {
public:
    explicit Loader(std::string file) : r_(std::move(file)) {}

    Config load(const YAML::Node& root);

private:
    // Pool timeouts are resolved after the whole file is read, so a top-level `timeouts:` below `pools:` still
    // provides the defaults.
    struct PoolTimeoutOverride {
        std::optional<Duration> connect;
        std::optional<Duration> server;
    };
    struct PoolRef {
        std::string pool;
        SourceLoc loc;  // of the route's (or tcp listener's) `pool:` value
        const char* who = "route";
    };
    struct BindSite {
        std::string what;  // "listener 'public'" / "admin"
        Endpoint bind;
        SourceLoc loc;
    };
    struct NameSite {
        std::string name;
        SourceLoc loc;
    };

    void read_workers(const Field& field);
    void read_access_log(const Field& field);
    void read_tracing(const Field& field);
    void read_log_level(const Field& field);
    void read_admin(const Field& field);
    void read_cluster(const Field& field);  // loader_cluster.cpp
    void read_timeouts(const Field& field);
    void read_redact_params(const Field& field);
    void read_limits(const Field& field);
    void read_listener(const YAML::Node& node);
    ListenerMode read_listener_mode(const Field& field);
    void read_tcp_listener(const MapFields& map, ListenerConfig& listener);
    RouteConfig read_route(const YAML::Node& node, std::vector<NameSite>& prefixes);
    void read_pool(const YAML::Node& node);
    void read_queue(const Field& field, QueueConfig& queue);
    // loader_classes.cpp: `classes`, `class_limits` and `class_queue` of a pool.
    void read_classes(const MapFields& pool_map, PoolConfig& pool);
    void read_max_active(const Field& field, PoolConfig& pool);
    CacheConfig read_cache(const Field& field);
    OutlierConfig read_outlier(const Field& field, const HealthConfig& health);
    void read_health(const Field& field, HealthConfig& health);
    PoolTimeoutOverride read_pool_timeouts(const Field& field, const char* what = "pool timeouts");
    ServerConfig read_server(const YAML::Node& node, std::vector<NameSite>& names);
    std::string read_name(const MapFields& map, const char* what, std::vector<NameSite>& seen);
    std::string read_path(const Field& field, PathKind kind);
    void resolve();

    Reader r_;
    Config config_;
    std::vector<PoolTimeoutOverride> pool_overrides_;
    std::vector<PoolRef> pool_refs_;
    std::vector<BindSite> binds_;
    std::vector<NameSite> listener_names_;
    std::vector<NameSite> pool_names_;
    std::vector<AlertPoolRef> alert_pool_refs_;
};

}  // namespace gisgate::config::detail
