// `gisgate sim`: one simulated ArcGIS Server site (REST API subset, async GP jobs, CPU-bound throttling,
// fault injection). Used by the demo, the tests and the benchmarks.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gisgate::sim {

// What the simulated machine is: an ArcGIS Server site (/arcgis/rest, /arcgis/admin, /arcgis/manager) or a
// Portal for ArcGIS machine (/arcgis/sharing/rest, /arcgis/portaladmin, /arcgis/home).
enum class SimRole { server, portal };

struct SimOptions {
    std::string listen = "127.0.0.1:6081";  // port 0 = ephemeral; the bound address is logged
    std::string name = "site-a";            // sent as X-Gisgate-Sim-Site on every response
    SimRole role = SimRole::server;
    // --auth ntlm: Windows authentication (NTLM, connection-bound) in front of everything but the health check
    // and /sim/* (sim/iwa.hpp). Kept as a bool here so this header stays free of the NTLM code.
    bool auth_ntlm = false;
    std::string catalog_file;               // YAML or JSON catalog; empty = built-in default
    unsigned instances = 0;                 // requests executing at once; 0 = number of cores
    unsigned threads = 0;                   // event-loop threads; 0 = min(2, cores)
    std::chrono::milliseconds job_duration{2000};  // async GP job: submitted → succeeded
    // A synchronous GP execute holds its service instance this long before answering (CPU-bound work, as a
    // real tool's run): what makes a site saturate under heavy requests in tests and benchmarks.
    std::chrono::milliseconds execute_time{0};
    // The CPU model (cpu.hpp), off by default: with cpu_cores > 0 the active requests share that many cores by
    // processor sharing instead of each holding an instance for its whole time; `instances` then bounds the
    // requests executing at once only when set (0 = no bound). A request's CPU cost: execute_time for a GP
    // execute, request_cost + export_cost_per_mpx per megapixel of `size` for a MapServer export, request_cost
    // for everything else (tiles, queries, descriptions). The costs apply only when cpu_cores > 0.
    unsigned cpu_cores = 0;
    std::chrono::microseconds request_cost{2000};
    std::chrono::microseconds export_cost_per_mpx{50000};
    std::chrono::milliseconds tile_max_age{std::chrono::hours(24)};
    // StreamServer subscriptions (WebSocket): one feature message per subscriber this often, unless the
    // subscribe request asks for another pace with `interval_ms`.
    std::chrono::milliseconds stream_interval{1000};
    // JSON answers at least this large are gzipped for clients that accept it (smaller ones are not worth
    // it); 0 compresses everything, which tests use to exercise compressed submitJob answers.
    std::size_t gzip_min_bytes = 256;
    // HTTPS, like a GIS server's port 6443: a PEM chain and key, or a self-signed certificate generated for the
    // listen address (what GIS servers come with).
    // Origins whose browser pages may read the answers (CORS); empty = every origin, ArcGIS's default.
    // `--allowed-origins https://a.example,https://b.example` (parse_allowed_origins in cors.hpp).
    std::vector<std::string> allowed_origins;
    // Token-based security (`--token-key K`): generateToken signs tokens with this key and the services refuse
    // requests without a valid one (tokens.hpp). Empty: services are open, as before.
    std::string token_key;
    std::string tls_cert_file;
    std::string tls_key_file;
    bool tls_self_signed = false;
};

// One site running in this process on its own event-loop threads: what run_sim runs, and what tests start
// in-process (listen on port 0, then ask port()). Handles no signals and prints nothing but logs.
class SimServer {
public:
    // Loads the catalog, binds, and starts serving before returning. Throws std::runtime_error for bad
    // options (unreadable catalog, bad listen address, address in use).
    explicit SimServer(const SimOptions& options);
    ~SimServer();  // stop()
    SimServer(const SimServer&) = delete;
    SimServer& operator=(const SimServer&) = delete;

    int port() const;                 // the bound port (the real one when listening on port 0)
    std::string host() const;         // the bound address: "127.0.0.1", "::1"
    std::string address() const;      // "127.0.0.1:6081", "[::1]:6081"
    const std::string& name() const;  // the site name
    bool tls() const;                 // serving HTTPS
    // Closes the listener and every connection (hanging, queued and slow requests included) and joins the
    // threads. Idempotent. Must not be called from the server's own threads.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Runs until SIGTERM or SIGINT, then returns 0. Prints "listening: <name> <host>:<port>" once bound.
// Throws std::runtime_error for bad options (unreadable catalog, address in use).
int run_sim(const SimOptions& options);

}  // namespace gisgate::sim
