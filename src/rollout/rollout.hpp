// Rolling changes of an active-active pool (`gisgate ctl rollout`, issue #19): the vendor's procedure for
// sites that must stay identical, one site at a time. For each server in turn: drain it, wait until its
// in-flight requests reach 0 (bounded by the drain timeout), run the operator's hook (or wait for `continue`),
// check that its catalog matches the first server changed (drift check), put it back to ready, move on.
// `abort` puts back every state the rollout changed.
//
// The engine is a state machine on the control io_context (single thread, timers, never blocking). What it
// needs from the proxy is injected (Dependencies), so the unit tests drive it with fakes and the proxy can
// later answer "in flight" for a whole cluster: every state change goes through `set_state` (in the proxy:
// ProxyServer::set_server_state, the path cluster peers follow), never to a server's runtime directly.
//
// Decisions (docs/operations.md, "Changing sites one at a time"):
// - order: backup (standby) servers first, as the vendor says, then the others, each in config order; `order`
//   names servers to take first, the rest follow in that default order;
// - servers not ready or down when the rollout starts are skipped (reported; change them yourself);
// - refused unless at least 2 servers of the pool serve; before each drain the rollout pauses in `blocked`
//   while no other server could serve (`continue` checks again);
// - a drain that times out pauses in `drain_timeout` (`continue` goes on although requests are in flight);
// - a failing hook pauses in `hook_failed` (`continue` runs it again, `continue` with skip_hook goes on to
//   the drift check without it);
// - a catalog that differs from the first changed server's pauses in `drift` (`continue` checks again).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "admin/control_api.hpp"
#include "gis/catalog.hpp"
#include "net/asio.hpp"

namespace gisgate::rollout {

using WallClock = std::chrono::system_clock;

// A pool's server as the rollout sees it.
struct ServerInfo {
    std::string name;
    std::string address;    // host:port (GISGATE_ADDRESS for the hook)
    bool backup = false;
    std::string state;      // admin state: "ready", "drain" or "maint"
    bool healthy = true;
    bool serving = false;   // may take new requests now (ready, healthy, weight above 0)
};

// The operator's hook: `/bin/sh -c command` with `env` added, ended after `timeout`.
struct HookRequest {
    std::string command;
    std::vector<std::pair<std::string, std::string>> env;
    std::chrono::milliseconds timeout{0};
};

struct HookResult {
    int exit_code = -1;     // the shell's exit status; 128+N when killed by signal N
    bool timed_out = false;
    std::string error;      // could not start it at all
    std::string output;     // stdout and stderr, bounded (kMaxHookOutput)
};

inline constexpr std::size_t kMaxHookOutput = 8192;

// A running hook. Destroying it (or cancel()) kills the hook; its completion is then never called.
class HookRun {
public:
    virtual ~HookRun() = default;
};

using CatalogDone = std::function<void(std::optional<gis::Catalog> catalog, std::string error)>;
using HookDone = std::function<void(HookResult result)>;

struct Dependencies {
    // The pool's servers in config order; nullopt when there is no such pool.
    std::function<std::optional<std::vector<ServerInfo>>(const std::string& pool)> servers;
    // Sets a server's admin state ("ready", "drain", "maint"); "" when done, else why not.
    std::function<std::string(const std::string& pool, const std::string& server, const std::string& state)>
        set_state;
    // Requests of `server` in flight now.
    std::function<std::uint64_t(const std::string& pool, const std::string& server)> in_flight;
    // Reads the server's service catalog with description hashes (asynchronously, on the control context).
    std::function<void(const std::string& pool, const std::string& server, CatalogDone done)> fetch_catalog;
    // Starts the hook; `done` runs on the control context unless the returned run is destroyed first.
    std::function<std::unique_ptr<HookRun>(HookRequest request, HookDone done)> run_hook;
};

struct Options {
    std::string pool;
    std::string hook;  // empty: wait for `continue` after each drain
    std::chrono::milliseconds drain_timeout{std::chrono::minutes(5)};
    std::chrono::milliseconds hook_timeout{std::chrono::minutes(10)};
    std::vector<std::string> order;
    std::chrono::milliseconds poll{100};  // how often the in-flight count is read while draining
};

// The body of POST /api/v1/rollouts: {"pool", "hook"?, "drain_timeout"?, "hook_timeout"?, "order"?}; durations
// as seconds or "300s"/"5m"/"500ms", order as ["a", "b"] or "a,b". nullopt with `error` when malformed.
std::optional<Options> parse_options(const nlohmann::json& body, std::string& error);

class Rollouts {
public:
    Rollouts(asio::io_context& control, Dependencies deps);
    ~Rollouts();
    Rollouts(const Rollouts&) = delete;
    Rollouts& operator=(const Rollouts&) = delete;

    // POST /api/v1/rollouts → 201 with the rollout; 400 bad options or names; 404 no such pool; 409 a rollout
    // is active, or fewer than 2 servers of the pool serve.
    admin::ApiResult start(const nlohmann::json& body);
    // GET /api/v1/rollout → 200 with the current or last rollout; 404 when there was none.
    admin::ApiResult get() const;
    // POST /api/v1/rollout/continue {"skip_hook"?: bool} → 200; 409 unless the rollout is paused.
    admin::ApiResult resume(const nlohmann::json& body);
    // POST /api/v1/rollout/abort → 200 once every state the rollout changed is put back; 409 unless active.
    admin::ApiResult abort();
    // The current or last rollout as JSON, null when there was none (the status API's "rollout").
    nlohmann::json to_json() const;
    // Shutdown: kills a running hook and stops the timers; states are left as they are.
    void stop();

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace gisgate::rollout
