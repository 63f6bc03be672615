// Everything one simulated site shares between its connections. Each member guards itself, so handlers may
// run on any event-loop thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "sim/catalog.hpp"
#include "sim/faults.hpp"
#include "sim/jobs.hpp"
#include "sim/semaphore.hpp"
#include "sim/sim.hpp"

namespace gisgate::sim {

struct Site {
    Site(SimOptions opts, Catalog cat, unsigned instances)
        : options(std::move(opts)), catalog(std::move(cat)), jobs(options.job_duration), instances(instances) {}

    const SimOptions options;
    const Catalog catalog;
    JobStore jobs;
    FaultState faults;
    AsyncSemaphore instances;                // the CPU-bound service instances
    std::atomic<std::uint64_t> requests{0};  // requests read, excluding /sim/*
    std::atomic<std::uint64_t> connections{0};  // connections accepted (tests check keep-alive reuse)
};

}  // namespace gisgate::sim
