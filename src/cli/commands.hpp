// The subcommands of the `gisgate` binary. Each returns the process exit code.
#pragma once

#include <functional>
#include <string>

#include "sim/sim.hpp"

namespace CLI {
class App;
}

namespace gisgate::cli {

constexpr int kExitConfigError = 2;

int run_proxy(const std::string& config_path);
int check_config(const std::string& config_path);
int run_demo();
int run_sim_site(const sim::SimOptions& options);

// Registers `gisgate ctl ...` (the admin API client, cmd_ctl.cpp) on `app`; the returned function runs it
// once parsing selected it. Its options live in cmd_ctl.cpp, so main only needs these two lines.
std::function<int()> add_ctl_command(CLI::App& app);
// `gisgate report ...` (the history report, cmd_report.cpp), registered the same way.
std::function<int()> add_report_command(CLI::App& app);

// Console logging for every subcommand: spdlog to stderr with a timestamped pattern.
void setup_logging(const std::string& level);

}  // namespace gisgate::cli
