// `gisgate sim`: one simulated ArcGIS Server site (REST API subset, async GP jobs, CPU-bound throttling,
// fault injection). Used by the demo, the tests and the benchmarks.
#pragma once

#include <chrono>
#include <string>

namespace gisgate::sim {

struct SimOptions {
    std::string listen = "127.0.0.1:6081";  // port 0 = ephemeral; the bound address is logged
    std::string name = "site-a";            // sent as X-Gisgate-Sim-Site on every response
    std::string catalog_file;               // YAML or JSON catalog; empty = built-in default
    unsigned instances = 0;                 // requests executing at once; 0 = number of cores
    unsigned threads = 0;                   // event-loop threads; 0 = min(2, cores)
    std::chrono::milliseconds job_duration{2000};  // async GP job: submitted → succeeded
    std::chrono::milliseconds tile_max_age{std::chrono::hours(24)};
};

// Runs until SIGTERM or SIGINT, then returns 0. Prints "listening: <name> <host>:<port>" once bound.
// Throws std::runtime_error for bad options (unreadable catalog, address in use).
int run_sim(const SimOptions& options);

}  // namespace gisgate::sim
