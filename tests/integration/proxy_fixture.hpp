// Integration fixture: real `gisgate sim` sites and a real `gisgate run` proxy on ephemeral loopback ports.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/http_client.hpp"
#include "support/process.hpp"

namespace gisgate::test {

// The admin API on an ephemeral port with token "secret" (a top-level config line).
inline constexpr const char* kAdmin = "admin: { bind: 127.0.0.1:0, token: secret }\n";

struct Proxy {
    std::unique_ptr<ChildProcess> process;
    int port = 0;
    std::string config_path;
};

// Writes `yaml` to a temp file, starts `gisgate run -c FILE`, waits for the `public` listener's port. Proxies
// running side by side need files of their own (`file`): a reload re-reads it.
Proxy start_proxy(const std::string& yaml, const std::string& listener = "public",
                  const std::string& file = "gisgate.yaml");

// YAML list entries for the sims: "      - { name: a, address: 127.0.0.1:PORT }\n" per sim, with extra
// per-server keys (e.g. "weight: 3") by name.
std::string servers_yaml(const std::vector<Sim*>& sims, const std::map<std::string, std::string>& extra = {});

// A complete config: one `public` listener on port 0 with routes /server → /arcgis, /arcgis and /sim, and
// one pool `gis` with `pool_keys` (already indented YAML lines) and the sims as servers.
// `server_keys` adds keys to individual servers by name (e.g. {{"a", "weight: 3"}}).
std::string basic_config(const std::vector<Sim*>& sims, const std::string& pool_keys = "",
                         const std::string& listener_keys = "", const std::string& top_keys = "",
                         const std::map<std::string, std::string>& server_keys = {});

// One worker, no access log, one `public` listener sending every path to pool `origin`: one server at
// 127.0.0.1:`port` with health checks off (a test origin that is not a sim). `pool_keys` (already indented YAML
// lines of the pool) and `top_keys` (top-level lines) as in basic_config.
std::string single_origin_config(int port, const std::string& pool_keys = "", const std::string& top_keys = "");

// A loopback port nothing listens on now (for a dead server, or a peer such as haproxy that needs a fixed port).
int unused_port();

// POST /sim/fault to a sim directly.
void set_fault(const Sim& sim, const std::string& mode, int delay_ms = 0);

// Which site answered (X-Gisgate-Sim-Site), counted over `n` GETs of `target` on one keep-alive connection.
std::map<std::string, int> count_sites(int port, const std::string& target, int n);

long proc_status_kib(pid_t pid, const std::string& field);  // e.g. "VmHWM", "VmRSS"

// A server's state ("up", "down", "drain", ...) from the admin API's /api/v1/status; "missing" when the pool
// or server is not listed, "?" when the answer is not JSON.
std::string server_state(int admin_port, const std::string& pool, const std::string& server);

}  // namespace gisgate::test
