// The subcommands of the `gisgate` binary. Each returns the process exit code.
#pragma once

#include <string>

#include "sim/sim.hpp"

namespace gisgate::cli {

constexpr int kExitConfigError = 2;

int run_proxy(const std::string& config_path);
int check_config(const std::string& config_path);
int run_demo();
int run_sim_site(const sim::SimOptions& options);

// Console logging for every subcommand: spdlog to stderr with a timestamped pattern.
void setup_logging(const std::string& level);

}  // namespace gisgate::cli
