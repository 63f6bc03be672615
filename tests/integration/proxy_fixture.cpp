#include "integration/proxy_fixture.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace gisgate::test {

Proxy start_proxy(const std::string& yaml, const std::string& listener, const std::string& file) {
    Proxy p;
    p.config_path = write_temp_file(file, yaml);
    p.process = ChildProcess::start({"run", "-c", p.config_path});
    p.port = p.process->wait_for_port(listener);
    if (p.port == 0) ADD_FAILURE() << "proxy did not start; output:\n" << p.process->output();
    return p;
}

std::string servers_yaml(const std::vector<Sim*>& sims, const std::map<std::string, std::string>& extra) {
    std::string out;
    for (const Sim* s : sims) {
        auto it = extra.find(s->name);
        out += fmt::format("      - {{ name: {}, address: 127.0.0.1:{}{}{} }}\n", s->name, s->port,
                           it == extra.end() ? "" : ", ", it == extra.end() ? "" : it->second);
    }
    return out;
}

std::string basic_config(const std::vector<Sim*>& sims, const std::string& pool_keys,
                         const std::string& listener_keys, const std::string& top_keys,
                         const std::map<std::string, std::string>& server_keys) {
    return fmt::format(R"(workers: 2
access_log: stdout
{}listeners:
  - name: public
    bind: 127.0.0.1:0
{}    routes:
      - {{ prefix: /server, rewrite: /arcgis, pool: gis }}
      - {{ prefix: /arcgis, pool: gis }}
      - {{ prefix: /sim, pool: gis }}
pools:
  - name: gis
{}    servers:
{})",
                       top_keys, listener_keys, pool_keys, servers_yaml(sims, server_keys));
}

std::string single_origin_config(int port, const std::string& pool_keys, const std::string& top_keys) {
    return fmt::format(R"(workers: 1
access_log: off
{}listeners:
  - name: public
    bind: 127.0.0.1:0
    routes:
      - {{ prefix: /, pool: origin }}
pools:
  - name: origin
{}    health: {{ enabled: false }}
    servers: [{{ name: origin, address: 127.0.0.1:{} }}]
)",
                       top_keys, pool_keys, port);
}

int unused_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);  // nothing listens there now
    return ntohs(addr.sin_port);
}

void set_fault(const Sim& sim, const std::string& mode, int delay_ms) {
    HttpClient c(sim.port);
    const auto r = c.request("POST", "/sim/fault", {{"Content-Type", "application/json"}},
                             fmt::format(R"({{"mode":"{}","delay_ms":{}}})", mode, delay_ms));
    EXPECT_EQ(r.status, 200) << "setting fault mode on " << sim.name;
}

std::map<std::string, int> count_sites(int port, const std::string& target, int n) {
    std::map<std::string, int> counts;
    HttpClient c(port);
    for (int i = 0; i < n; ++i) {
        const auto r = c.request("GET", target);
        EXPECT_EQ(r.status, 200) << "request " << i;
        if (r.status != 200) break;
        counts[r.header("X-Gisgate-Sim-Site")]++;
    }
    return counts;
}

long proc_status_kib(pid_t pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(field + ":", 0) == 0) {
            std::istringstream fields(line.substr(field.size() + 1));
            long kib = -1;
            fields >> kib;
            return kib;
        }
    }
    return -1;
}

std::string server_state(int admin_port, const std::string& pool, const std::string& server) {
    const auto r = http_get(admin_port, "/api/v1/status");
    const auto status = nlohmann::json::parse(r.body, nullptr, false);
    if (status.is_discarded()) return "?";
    for (const auto& p : status["pools"])
        if (p["name"] == pool)
            for (const auto& s : p["servers"])
                if (s["name"] == server) return s["state"].get<std::string>();
    return "missing";
}

}  // namespace gisgate::test
