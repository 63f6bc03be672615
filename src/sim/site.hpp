// Everything one simulated site shares between its connections. Each member guards itself, so handlers may
// run on any event-loop thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "sim/catalog.hpp"
#include "sim/cpu.hpp"
#include "sim/faults.hpp"
#include "sim/feature_edits.hpp"
#include "sim/jobs.hpp"
#include "sim/map_render.hpp"
#include "sim/semaphore.hpp"
#include "sim/sim.hpp"
#include "sim/tile_cache.hpp"
#include "sim/uploads.hpp"

namespace gisgate::sim {

struct Site {
    Site(SimOptions opts, Catalog cat, unsigned instances)
        : options(std::move(opts)), catalogs(std::move(cat)), jobs(options.job_duration), instances(instances), cpu(options.cpu_cores) {}

    const SimOptions options;
    const std::string tint = tint_css(site_tint(options.name));  // X-Gisgate-Sim-Tint, the images' colour
    LiveCatalog catalogs;  // PUT /sim/catalog replaces it (sim_control.cpp)
    const Catalog& catalog() const { return catalogs.get(); }
    JobStore jobs;
    FaultState faults;
    TileCache tiles;
    FeatureEditStore edits;  // FeatureServer edits (feature_edits.hpp)
    UploadStore uploads;     // items of the services' Uploads capability (uploads.hpp)
    AsyncSemaphore instances;                // the CPU-bound service instances
    CpuModel cpu;                            // --cpu-cores: the cores the executing requests share (cpu.hpp)
    std::atomic<std::uint64_t> requests{0};  // requests read, excluding /sim/*
    std::atomic<std::uint64_t> connections{0};  // connections accepted (tests check keep-alive reuse)
    // StreamServer WebSocket subscribers: open now, and ever accepted (the next one's number).
    std::atomic<unsigned> subscribers{0};
    std::atomic<std::uint64_t> subscriptions{0};
    // Requests between "read" and "reply ready" (queued for an instance or executing), and their peak: what a
    // balancer in front really sent at once. It stops before the reply is written, because a client may send
    // its next request as soon as it has the whole answer, before this site's write completion has run.
    std::atomic<unsigned> handling{0};
    std::atomic<unsigned> peak_handling{0};
    void start_handling() {
        const unsigned now = handling.fetch_add(1) + 1;
        unsigned peak = peak_handling.load();
        while (now > peak && !peak_handling.compare_exchange_weak(peak, now)) {
        }
    }
};

}  // namespace gisgate::sim
