#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"

namespace gisgate::cli {

void setup_logging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("gisgate");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    spdlog::set_level(spdlog::level::from_str(level));
    // Info and above reach the terminal (or a test's capture) at once: start-up lines are waited on.
    spdlog::flush_on(spdlog::level::info);
}

}  // namespace gisgate::cli
