// gisgate: a high-availability load balancer and reverse proxy for GIS server sites.
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <map>

#include "cli/commands.hpp"
#include "config/loader.hpp"
#include "sim/cors.hpp"

int main(int argc, char** argv) {
    using namespace gisgate;
    // Writes to a closed socket must return EPIPE, not kill the process.
    std::signal(SIGPIPE, SIG_IGN);

    CLI::App app{"gisgate: high-availability load balancer and reverse proxy for GIS server sites"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "gisgate 0.1.0");

    std::string config_path;
    auto* run = app.add_subcommand("run", "Run the proxy with a config file");
    run->add_option("-c,--config", config_path, "YAML config file")->required();

    auto* check = app.add_subcommand("check", "Validate a config file and print the effective config");
    check->add_option("-c,--config", config_path, "YAML config file")->required();

    app.add_subcommand("demo", "Three simulated GIS sites behind the balancer on 127.0.0.1:8080");

    sim::SimOptions sim_options;
    std::string job_duration = "2s";
    auto* sim = app.add_subcommand("sim", "Run one simulated ArcGIS Server site");
    sim->add_option("--listen", sim_options.listen, "host:port to listen on (port 0 = any)")
        ->capture_default_str();
    sim->add_option("--name", sim_options.name, "site name, sent as X-Gisgate-Sim-Site")->capture_default_str();
    const std::map<std::string, sim::SimRole> roles{{"server", sim::SimRole::server}, {"portal", sim::SimRole::portal}};
    sim->add_option("--role", sim_options.role, "server (ArcGIS Server site) or portal (Portal for ArcGIS machine)")
        ->transform(CLI::CheckedTransformer(roles, CLI::ignore_case))
        ->default_str("server");
    std::string sim_auth = "none";
    sim->add_option("--auth", sim_auth, "none, or ntlm: Windows authentication (connection-bound NTLM) as IIS does it")
        ->check(CLI::IsMember({"none", "ntlm"}, CLI::ignore_case))
        ->capture_default_str();
    sim->add_option("--catalog", sim_options.catalog_file, "services catalog (YAML or JSON)");
    sim->add_option("--instances", sim_options.instances, "requests executing at once (default: cores)");
    sim->add_option("--threads", sim_options.threads, "event-loop threads (default: min(2, cores))");
    sim->add_option("--job-duration", job_duration, "time an async geoprocessing job runs")->capture_default_str();
    std::string execute_time = "0s";
    sim->add_option("--execute-time", execute_time,
                    "time a synchronous geoprocessing execute keeps its instance busy (CPU-bound work)")
        ->capture_default_str();
    sim->add_option("--cpu-cores", sim_options.cpu_cores,
                    "CPU model: the requests share this many cores by processor sharing (0 = off: each request "
                    "holds an instance)")
        ->capture_default_str();
    std::string request_cost = "2ms";
    sim->add_option("--request-cost", request_cost,
                    "CPU model: CPU time of a tile, query or other light request")
        ->capture_default_str();
    std::string export_cost = "50ms";
    sim->add_option("--export-cost-per-mpx", export_cost,
                    "CPU model: CPU time of a MapServer export per megapixel of its size (plus --request-cost)")
        ->capture_default_str();
    sim->add_option("--gzip-min-bytes", sim_options.gzip_min_bytes, "gzip JSON answers of at least this size")
        ->capture_default_str();
    std::string tile_max_age = "24h";
    sim->add_option("--tile-max-age", tile_max_age, "Cache-Control max-age of map tiles")->capture_default_str();
    auto* sim_cert = sim->add_option("--tls-cert", sim_options.tls_cert_file, "serve HTTPS with this PEM certificate chain");
    auto* sim_key = sim->add_option("--tls-key", sim_options.tls_key_file, "the certificate's PEM private key");
    sim_cert->needs(sim_key);
    sim_key->needs(sim_cert);
    sim->add_flag("--tls-self-signed", sim_options.tls_self_signed,
                  "serve HTTPS with a self-signed certificate generated for the listen address (as GIS servers ship)")
        ->excludes(sim_cert);

    std::string allowed_origins;
    sim->add_option("--allowed-origins", allowed_origins,
                    "origins allowed to read answers in a browser (CORS), comma-separated; default: every origin");
    std::string token_key;
    sim->add_option("--token-key", token_key,
                    "secure the services with tokens signed with this key (generateToken at /arcgis/tokens)");

    const auto run_ctl = cli::add_ctl_command(app);
    const auto run_report = cli::add_report_command(app);

    CLI11_PARSE(app, argc, argv);

    try {
        if (run->parsed()) return cli::run_proxy(config_path);
        if (check->parsed()) return cli::check_config(config_path);
        if (app.got_subcommand("demo")) return cli::run_demo();
        if (app.got_subcommand("ctl")) return run_ctl();
        if (app.got_subcommand("report")) return run_report();
        if (sim->parsed()) {
            const auto d = config::parse_duration(job_duration);
            if (!d) {
                std::cerr << "gisgate sim: --job-duration: not a duration: " << job_duration << "\n";
                return 2;
            }
            sim_options.job_duration = *d;
            const auto execute = config::parse_duration(execute_time);
            if (!execute) {
                std::cerr << "gisgate sim: --execute-time: not a duration: " << execute_time << "\n";
                return 2;
            }
            sim_options.execute_time = *execute;
            const auto cost = config::parse_duration(request_cost);
            if (!cost) {
                std::cerr << "gisgate sim: --request-cost: not a duration: " << request_cost << "\n";
                return 2;
            }
            sim_options.request_cost = std::chrono::duration_cast<std::chrono::microseconds>(*cost);
            const auto per_mpx = config::parse_duration(export_cost);
            if (!per_mpx) {
                std::cerr << "gisgate sim: --export-cost-per-mpx: not a duration: " << export_cost << "\n";
                return 2;
            }
            sim_options.export_cost_per_mpx = std::chrono::duration_cast<std::chrono::microseconds>(*per_mpx);
            const auto tile_age = config::parse_duration(tile_max_age);
            if (!tile_age) {
                std::cerr << "gisgate sim: --tile-max-age: not a duration: " << tile_max_age << "\n";
                return 2;
            }
            sim_options.tile_max_age = *tile_age;
            sim_options.auth_ntlm = sim_auth == "ntlm" || sim_auth == "NTLM";
            if (!allowed_origins.empty()) {
                try {
                    sim_options.allowed_origins = sim::parse_allowed_origins(allowed_origins);
                } catch (const std::invalid_argument& e) {
                    std::cerr << "gisgate sim: " << e.what() << "\n";
                    return 2;
                }
            }
            if (sim->count("--token-key") && token_key.empty()) {
                std::cerr << "gisgate sim: --token-key: the key must not be empty\n";
                return 2;
            }
            sim_options.token_key = token_key;
            return cli::run_sim_site(sim_options);
        }
    } catch (const std::exception& e) {
        std::cerr << "gisgate: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
