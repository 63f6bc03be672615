// ProxyServer as admin::ControlApi, the changes: server states, adding/removing servers, reload (the reads are
// in observability_api.cpp). All on the control thread; changes reach the workers as a new Runtime snapshot
// (never by editing shared state), except the admin state of a server, which is one atomic every worker reads.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "admin/json_reply.hpp"
#include "config/loader.hpp"
#include "config/names.hpp"
#include "proxy/observer_json.hpp"
#include "proxy/server.hpp"

namespace gisgate::proxy {

using nlohmann::json;

namespace {

admin::ApiResult error(int status, const std::string& message) { return {status, admin::error_body(status, message)}; }

}  // namespace

balance::ServerRuntime* ProxyServer::find_server(const std::string& pool, const std::string& server) const {
    const balance::PoolRuntime* p = runtime_->find_pool(pool);
    return p ? p->find_server(server) : nullptr;
}

admin::ApiResult ProxyServer::set_server_state(const std::string& pool, const std::string& server,
                                               const std::string& state) {
    balance::ServerRuntime* s = find_server(pool, server);
    if (!s) return error(404, "no server " + pool + "/" + server);
    balance::AdminState next;
    if (state == "ready") next = balance::AdminState::ready;
    else if (state == "drain") next = balance::AdminState::drain;
    else if (state == "maint") next = balance::AdminState::maint;
    else return error(400, "state must be ready, drain or maint, got '" + state + "'");
    const auto before = s->admin.exchange(next);
    if (before != next) spdlog::info("pool {}: server {} set to {} (was {})", pool, server, state, balance::to_string(before));
    // Back in service after drain/maint: its share ramps up over the pool's slow_start (0 = at once).
    if (before != next && next == balance::AdminState::ready)
        s->slow_start.begin(balance::SlowStartClock::now(), runtime_->find_pool(pool)->config().slow_start);
    note_change(cluster::ChangeKind::state, pool, server, {{"state", state}});
    return {200, server_status_json(*s, runtime_->find_pool(pool)->config())};
}

admin::ApiResult ProxyServer::add_server(const std::string& pool, const json& body) {
    const config::PoolConfig* pc = runtime_->config.find_pool(pool);
    if (!pc) return error(404, "no pool " + pool);
    if (!body.is_object()) return error(400, "body must be a JSON object");
    config::ServerConfig server;
    if (!body.contains("name") || !body["name"].is_string() || !config::valid_name(body["name"].get<std::string>()))
        return error(400, "'name' must be a string of letters, digits, '.', '_' or '-'");
    server.name = body["name"].get<std::string>();
    if (!body.contains("address") || !body["address"].is_string()) return error(400, "'address' must be host:port");
    const auto address = config::parse_endpoint(body["address"].get<std::string>());
    if (!address || address->port == 0) return error(400, "'address' must be host:port with a port other than 0");
    server.address = *address;
    if (body.contains("weight")) {
        if (!body["weight"].is_number_unsigned() || body["weight"].get<std::uint64_t>() > 1000)
            return error(400, "'weight' must be an integer from 0 to 1000");
        server.weight = body["weight"].get<std::uint32_t>();
    }
    if (body.contains("backup")) {
        if (!body["backup"].is_boolean()) return error(400, "'backup' must be true or false");
        server.backup = body["backup"].get<bool>();
    }
    for (const auto& existing : pc->servers)
        if (existing.name == server.name) return error(409, "pool " + pool + " already has a server " + server.name);

    config::Config next = runtime_->config;
    for (auto& p : next.pools)
        if (p.name == pool) p.servers.push_back(server);
    try {
        apply(std::move(next));
    } catch (const std::exception& e) {
        return error(400, e.what());
    }
    spdlog::info("pool {}: server {} ({}) added through the admin API", pool, server.name, server.address.to_string());
    note_change(cluster::ChangeKind::add, pool, server.name,
                {{"name", server.name}, {"address", server.address.to_string()}, {"weight", server.weight},
                 {"backup", server.backup}});
    return {201, server_status_json(*find_server(pool, server.name), runtime_->find_pool(pool)->config())};
}

admin::ApiResult ProxyServer::remove_server(const std::string& pool, const std::string& server) {
    balance::ServerRuntime* s = find_server(pool, server);
    if (!s) return error(404, "no server " + pool + "/" + server);
    if (runtime_->config.find_pool(pool)->servers.size() == 1)
        return error(409, "server " + server + " is the last server of pool " + pool);
    s->admin.store(balance::AdminState::drain);
    spdlog::info("pool {}: server {} draining before removal", pool, server);
    // Removed once its in-flight requests are done (bounded by the server timeout).
    finish_removal(pool, server, std::chrono::steady_clock::now() + runtime_->config.timeouts.server);
    note_change(cluster::ChangeKind::remove, pool, server, nlohmann::json::object());
    return {202, {{"removing", pool + "/" + server}, {"state", "drain"}}};
}

void ProxyServer::finish_removal(std::string pool, std::string server, std::chrono::steady_clock::time_point deadline) {
    balance::ServerRuntime* s = find_server(pool, server);
    if (!s) return;  // already gone (a reload removed it)
    if (s->active.load() == 0 || std::chrono::steady_clock::now() >= deadline) {
        config::Config next = runtime_->config;
        for (auto& p : next.pools) {
            if (p.name != pool) continue;
            std::erase_if(p.servers, [&](const config::ServerConfig& sc) { return sc.name == server; });
            if (p.servers.empty()) return;  // never leave a pool empty (a reload may have changed it)
        }
        try {
            apply(std::move(next));
            spdlog::info("pool {}: server {} removed", pool, server);
        } catch (const std::exception& e) {
            spdlog::error("pool {}: removing server {} failed: {}", pool, server, e.what());
        }
        return;
    }
    auto timer = std::make_shared<asio::steady_timer>(control_, std::chrono::milliseconds(100));
    timer->async_wait([this, timer, pool, server, deadline](const error_code& ec) {
        if (!ec) finish_removal(pool, server, deadline);
    });
}

admin::ApiResult ProxyServer::reload() {
    if (config_path_.empty()) return error(400, "this instance has no config file to reload");
    config::Config next;
    try {
        next = config::load_file(config_path_);
    } catch (const config::ConfigError& e) {
        spdlog::error("reload refused: {}", e.what());
        return error(400, e.what());
    }
    const bool admin_changed =
        next.admin.has_value() != runtime_->config.admin.has_value() ||
        (next.admin && next.admin->bind.to_string() != runtime_->config.admin->bind.to_string());
    try {
        apply(std::move(next));
    } catch (const std::exception& e) {
        spdlog::error("reload refused: {}", e.what());
        return error(400, e.what());
    }
    if (admin_changed) spdlog::warn("admin listener changes need a restart; the admin API stays as it is");
    else if (admin_ && runtime_->config.admin) admin_->update(*runtime_->config.admin);
    ++reloads_;
    spdlog::info("reloaded {} (generation {})", config_path_, runtime_->generation);
    note_change(cluster::ChangeKind::reload, "", "", nlohmann::json::object());
    return {200, {{"reloaded", true}, {"config_file", config_path_}, {"generation", runtime_->generation}}};
}

}  // namespace gisgate::proxy
