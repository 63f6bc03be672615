// What the admin REST API can ask of the running proxy. Implemented by proxy::ProxyServer; every call is made
// on the control thread (the admin server runs on the control io_context), never on a worker.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace gisgate::admin {

struct ApiResult {
    int status = 200;          // HTTP status for the response
    nlohmann::json body;       // JSON body; errors use {"error": {"code": status, "message": "..."}}
};

class ControlApi {
public:
    virtual ~ControlApi() = default;

    // GET /api/v1/status → {"pools": [{"name", "balance", "queued", "queue_rejections", "servers": [{"name",
    // "address", "weight", "backup", "state": "up|down|drain|maint", "active", "requests_total",
    // "health": {"enabled", "consecutive_successes", "consecutive_failures", "last_check" (ISO-8601 or null),
    // "last_latency_ms", "last_error"}}]}], "workers", "connections", "config_file", "reloads",
    // "cluster" (only with `cluster:`: {"node", "config_hash", "peers": [...], "warnings"}, docs/cluster.md)}
    virtual nlohmann::json status() = 0;

    // GET /api/v1/ready → 200 {"ready": true, "reasons": [], "pools_checked": [...]} when this node can serve
    // (listeners bound, not stopping, every pool of a public route has a server up), else 503 with "ready":
    // false and one line per reason (proxy/readiness.hpp). `gisgate ctl health` (keepalived) asks this.
    virtual ApiResult ready() = 0;

    // PUT /api/v1/pools/{pool}/servers/{server}/state {"state": "ready"|"drain"|"maint"} → 200 with the
    // server's status object; 404 unknown pool/server; 400 bad state.
    virtual ApiResult set_server_state(const std::string& pool, const std::string& server, const std::string& state) = 0;

    // POST /api/v1/pools/{pool}/servers {"name", "address", "weight"?, "backup"?} → 201 with the server's
    // status object; 400 invalid; 404 unknown pool; 409 name taken.
    virtual ApiResult add_server(const std::string& pool, const nlohmann::json& body) = 0;

    // DELETE /api/v1/pools/{pool}/servers/{server} → 202: the server is drained now and removed once its
    // in-flight requests are done; 404 unknown; 409 when it is the pool's last server.
    virtual ApiResult remove_server(const std::string& pool, const std::string& server) = 0;

    // POST /api/v1/reload → 200 {"reloaded": true, ...}; 400 with {"error": {"code": 400, "message":
    // "FILE:LINE:COL: ..."}} when the file is invalid (the running config stays).
    virtual ApiResult reload() = 0;

    // DELETE /api/v1/cache?prefix=/arcgis/rest/services/World[&pool=gis] → 200 {"purged": N} after every
    // worker removed the cached responses whose path starts with `prefix` (case-insensitive; empty = all), in
    // `pool` or in every pool with a cache; 404 when no such pool has a cache.
    virtual ApiResult purge_cache(const std::string& prefix, const std::string& pool) = 0;

    // GET /metrics → Prometheus text exposition format (version 0.0.4).
    virtual std::string metrics() = 0;

    // GET /api/v1/services → {"window_seconds": W, "services": [ROW...], "total": ROW} where ROW =
    // {"service": "folder/name"|"name"|"portal"|"admin"|"other"|"_other" ("total" in "total"), "type":
    // "MapServer"|...|"", "kind": "service"|"portal"|"admin"|"other" ("total" in "total"), "requests_total",
    // "errors_total" (status >= 500) since start, "rps" over the window, "min_ms", "avg_ms", "p5_ms", "p25_ms",
    // "p50_ms", "p75_ms", "p95_ms", "p99_ms", "max_ms" over the window (0 without requests in it), "slow"
    // (p95_ms above metrics.slow_p95)}; services sorted by p95_ms, highest first.
    virtual nlohmann::json services() = 0;

    // GET /api/v1/alerts → {"active": [{"rule", "target", "since" (ISO-8601 UTC), "value", "message"}],
    // "recent": [{"time" (ISO-8601 UTC), "rule", "target", "state": "firing"|"resolved", "value", "message"}]}
    // (recent: the last 100 events, newest first).
    virtual nlohmann::json alerts() = 0;

    // POST /api/v1/cluster/sync (docs/cluster.md): a peer's {"node", "config_hash", "seen", "changes"} → this
    // node's, with the changes the peer has not seen. 404 without `cluster:` in the config.
    virtual ApiResult cluster_sync(const nlohmann::json& request) {
        (void)request;
        return {404, {{"error", {{"code", 404}, {"message", "this node is not in a cluster (configure `cluster:`)"}}}}};
    }

    // GET /api/v1/cluster/jobs/{pool}/{id} and /api/v1/cluster/uploads/{pool}/{id}: {"server": NAME} when this
    // node's job (upload) table knows the id's server, else 404. `uploads`: the upload table.
    virtual ApiResult cluster_owner(const std::string& pool, const std::string& id, bool uploads) {
        (void)pool, (void)id, (void)uploads;
        return {404, {{"error", {{"code", 404}, {"message", "this node is not in a cluster (configure `cluster:`)"}}}}};
    }

    // GET /api/v1/history?minutes=M (1..1440, default 60) → {"interval_seconds": S, "points": [{"t" (interval
    // start, Unix ms), "seconds", "requests", "errors", "rps", "p95_ms"}]}: all services per interval of the
    // history database, oldest first; 404 without `history:` in the config; 500 naming the file if it cannot
    // be read. Not pure: a ControlApi without history answers 404.
    virtual ApiResult history(int minutes) {
        (void)minutes;
        return {404, {{"error", {{"code", 404}, {"message", "no history database (configure `history:`)"}}}}};
    }

    // Rolling changes of a pool, one server at a time (rollout/rollout.hpp; docs/operations.md). Not pure: a
    // ControlApi without rollouts answers 404.
    // POST /api/v1/rollouts {"pool", "hook"?, "drain_timeout"?, "hook_timeout"?, "order"?} → 201 with the
    // rollout {"id", "pool", "state", "message", "current", "servers": [{"name", "step", "state_before",
    // "started", "finished", "message", ...}], "log": [{"time", "message"}], ...}; 400 bad options; 403 a hook
    // while admin.rollout_hooks is off; 404 no such pool; 409 a rollout is active or fewer than 2 servers serve.
    virtual ApiResult start_rollout(const nlohmann::json& body) {
        (void)body;
        return no_rollouts();
    }
    // GET /api/v1/rollout → 200 with the current or last rollout; 404 when none ran.
    virtual ApiResult rollout() { return no_rollouts(); }
    // POST /api/v1/rollout/continue {"skip_hook"?: true} → 200 with the rollout; 409 unless it is paused.
    virtual ApiResult continue_rollout(const nlohmann::json& body) {
        (void)body;
        return no_rollouts();
    }
    // POST /api/v1/rollout/abort → 200 with the rollout once the states it changed are restored; 409 unless active.
    virtual ApiResult abort_rollout() { return no_rollouts(); }

private:
    static ApiResult no_rollouts() {
        return {404, {{"error", {{"code", 404}, {"message", "rollouts are not available here"}}}}};
    }
};

}  // namespace gisgate::admin
