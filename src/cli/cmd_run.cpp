#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/commands.hpp"
#include "config/deny_advice.hpp"
#include "config/loader.hpp"
#include "config/tls.hpp"
#include "gis/cluster_advice.hpp"
#include "health/advice.hpp"
#include "net/fd_limit.hpp"
#include "proxy/server.hpp"

namespace gisgate::cli {

int run_proxy(const std::string& config_path) {
    config::Config config;
    try {
        config = config::load_file(config_path);
    } catch (const config::ConfigError& e) {
        std::cerr << e.what() << "\n";
        return kExitConfigError;
    }
    setup_logging(config.log_level);
    spdlog::info("gisgate 0.1.0: config {}", config_path);
    const net::FdLimit fds = net::raise_fd_limit();
    spdlog::info("file descriptor limit: {}", fds.soft);
    // Each client connection may need a second descriptor for its server connection.
    if (config.limits.max_connections > fds.soft / 2)
        spdlog::warn("limits.max_connections {} may exceed what {} file descriptors allow (2 per proxied connection)",
                     config.limits.max_connections, fds.soft);
    try {
        proxy::ProxyServer server(std::move(config), config_path);
        return server.run();
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
}

int check_config(const std::string& config_path) {
    try {
        const auto config = config::load_file(config_path);
        std::cout << "# " << config_path << ": OK\n" << config::to_yaml(config, /*redact_secrets=*/true);
        // As YAML comments, so the output stays loadable; warnings do not fail the check.
        const health::Advice advice = health::advise(config);
        std::cout << "# health:\n";
        for (const auto& line : advice.lines) std::cout << "# " << line << "\n";
        for (const auto& warning : advice.warnings) std::cerr << "warning: " << warning << "\n";
        for (const auto& warning : gis::cluster_warnings(config)) std::cerr << "warning: " << warning << "\n";
        const std::vector<std::string> denies = config::deny_advice(config);
        if (!denies.empty()) std::cout << "# deny_paths (client prefixes answered 403):\n";
        for (const auto& line : denies) std::cout << "# " << line << "\n";
        for (const auto& warning : config::deny_warnings(config)) std::cerr << "warning: " << warning << "\n";
        const config::TlsAdvice tls = config::advise_tls(config);
        if (!tls.lines.empty()) std::cout << "# tls:\n";
        for (const auto& line : tls.lines) std::cout << "# " << line << "\n";
        for (const auto& warning : tls.warnings) std::cerr << "warning: " << warning << "\n";
        return 0;
    } catch (const config::ConfigError& e) {
        std::cerr << e.what() << "\n";
        return kExitConfigError;
    }
}

int run_sim_site(const sim::SimOptions& options) {
    setup_logging("info");
    net::raise_fd_limit();
    return sim::run_sim(options);
}

}  // namespace gisgate::cli
