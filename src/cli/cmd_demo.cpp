// `gisgate demo`: three simulated sites as child processes plus the balancer in this process, with the
// config from examples/demo.yaml compiled into the binary: the public listener, the admin API with the
// dashboard (a fresh token each run, printed) and its Map view, history for the charts, and the dashboard's
// buttons wired to the sites' fault APIs.
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <random>
#include <spdlog/spdlog.h>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.hpp"
#include "cli/embedded_demo.hpp"
#include "config/loader.hpp"
#include "net/listener.hpp"
#include "proxy/server.hpp"

namespace gisgate::cli {

namespace {

pid_t spawn_site(const std::string& name, const std::string& listen) {
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the demo, even if it is killed
        const char* argv[] = {"gisgate", "sim", "--listen", listen.c_str(), "--name", name.c_str(), nullptr};
        ::execv("/proc/self/exe", const_cast<char* const*>(argv));
        ::_exit(127);
    }
    return pid;
}

// True once something accepts TCP connections on `endpoint` (polled for up to `limit`).
bool wait_until_listening(const config::Endpoint& endpoint, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    asio::io_context context;
    const auto target = net::resolve(endpoint).front();
    while (std::chrono::steady_clock::now() < deadline) {
        tcp::socket socket(context);
        error_code ec;
        socket.connect(target, ec);
        if (!ec) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

void stop_sites(const std::vector<pid_t>& pids) {
    for (pid_t pid : pids) ::kill(pid, SIGTERM);
    for (pid_t pid : pids) {
        int status = 0;
        ::waitpid(pid, &status, 0);
    }
}

// 128 random bits as hex: the admin token of this run (the demo's config is public, so its token cannot be).
std::string fresh_token() {
    std::random_device random;
    std::string token;
    for (int i = 0; i < 4; ++i) token += fmt::format("{:08x}", random());
    return token;
}

}  // namespace

int run_demo() {
    config::Config config;
    try {
        config = config::load_string(kDemoYaml, "examples/demo.yaml");
    } catch (const config::ConfigError& e) {
        std::cerr << e.what() << "\n";
        return kExitConfigError;
    }
    setup_logging(config.log_level);
    const std::string token = fresh_token();
    std::string admin_url, map_url;
    if (config.admin) {
        config.admin->token = token;
        // The dashboard's fail/heal buttons talk to each site's fault API (the sims answer its CORS preflight).
        for (const auto& server : config.pools.front().servers)
            config.admin->demo_sites.push_back({server.name, "http://" + server.address.to_string()});
        admin_url = "http://" + config.admin->bind.to_string() + "/";
        map_url = config.admin->map_url;
    }
    const std::string access_log = config.access_log;
    // The demo keeps its files under one directory where it runs; the access log does not create its parent.
    if (access_log != "stdout" && access_log != "off") {
        std::error_code ec;
        const auto parent = std::filesystem::path(access_log).parent_path();
        if (!parent.empty()) std::filesystem::create_directories(parent, ec);
        if (ec) {
            std::cerr << "gisgate demo: cannot create " << parent.string() << ": " << ec.message() << "\n";
            return 1;
        }
    }
    const std::string history = config.history ? config.history->path : std::string("off");

    std::vector<pid_t> sites;
    const char* names[] = {"site-a", "site-b", "site-c"};
    for (std::size_t i = 0; i < config.pools.front().servers.size() && i < 3; ++i)
        sites.push_back(spawn_site(names[i], config.pools.front().servers[i].address.to_string()));
    // Open the balancer only once the sites listen: a refused connection marks a site dead at once, and it
    // would then need `rise` good checks (90 s with the recommended settings) before taking traffic.
    for (std::size_t i = 0; i < sites.size(); ++i) {
        const auto& server = config.pools.front().servers[i];
        if (!wait_until_listening(server.address, std::chrono::seconds(10)))
            spdlog::warn("demo: site {} is not listening on {}", server.name, server.address.to_string());
    }

    int code = 0;
    try {
        proxy::ProxyServer server(std::move(config));
        std::cout << "\n"
                  << "gisgate demo: three simulated ArcGIS Server sites behind the balancer. Try:\n"
                  << "  curl -s 'http://127.0.0.1:8080/arcgis/rest/services?f=json'\n"
                  << "  curl -si 'http://127.0.0.1:8080/arcgis/rest/info/healthcheck' | grep -i sim-site\n"
                  << "  curl -s -o map.png 'http://127.0.0.1:8080/arcgis/rest/services/SampleWorldCities/"
                     "MapServer/export?bbox=-180,-90,180,90&size=800,600&f=image'\n"
                  << "  curl -s 'http://127.0.0.1:8080/server/rest/services/Analysis/Buffer/GPServer/"
                     "BufferPoints/submitJob?f=json'\n"
                  << "  curl -si 'http://127.0.0.1:8080/arcgis/admin/'      # 403: admin is blocked\n";
        if (!admin_url.empty())
            std::cout << "\nOpen the dashboard: " << admin_url << "  (admin token: " << token << ")\n"
                      << "  Map view: " << admin_url << "#map  (tiles of " << map_url << ")\n"
                      << "  The buttons next to each site fail it (hang, error, kill) and heal it; watch its tiles\n"
                      << "  move to the other sites, the health checks take it out, and it rejoin after Heal.\n"
                      << "  Admin API: curl -s " << admin_url << "api/v1/status\n"
                      << "Access log: " << access_log << "; history: " << history << "\n";
        std::cout << "Ctrl-C stops the demo.\n" << std::endl;
        code = server.run();
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        code = 1;
    }
    stop_sites(sites);
    return code;
}

}  // namespace gisgate::cli
