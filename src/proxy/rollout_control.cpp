// ProxyServer and the rollout engine (rollout/rollout.hpp): what the engine may ask of the proxy, and the admin
// API calls passed to it. States change only through set_server_state, the one path runtime state changes take
// (cluster peers follow it); "in flight" is counted on every node of the cluster.
#include "admin/json_reply.hpp"
#include "gis/catalog_request.hpp"
#include "proxy/server.hpp"
#include "rollout/hook_process.hpp"

namespace gisgate::proxy {

rollout::Dependencies ProxyServer::rollout_dependencies() {
    rollout::Dependencies deps;
    deps.servers = [this](const std::string& pool) -> std::optional<std::vector<rollout::ServerInfo>> {
        const balance::PoolRuntime* p = runtime_->find_pool(pool);
        if (!p) return std::nullopt;
        std::vector<rollout::ServerInfo> out;
        for (const auto& s : p->servers())
            out.push_back({s->name, s->address.to_string(), s->backup, balance::to_string(s->admin.load()),
                           s->healthy.load(), balance::may_serve(*s)});
        return out;
    };
    deps.set_state = [this](const std::string& pool, const std::string& server, const std::string& state) {
        const admin::ApiResult result = set_server_state(pool, server, state);
        if (result.status >= 200 && result.status < 300) return std::string();
        const auto message = result.body.contains("error") ? result.body["error"].value("message", "") : "";
        return message.empty() ? "HTTP " + std::to_string(result.status) : message;
    };
    // This node's count, plus the cluster peers' (each as last reported after it had the latest change made here,
    // so a drain just made waits for the peers' next report): the server is idle on every node.
    deps.in_flight = [this](const std::string& pool, const std::string& server) -> std::uint64_t {
        const balance::ServerRuntime* s = find_server(pool, server);
        const std::uint64_t here = s ? s->active.load() : 0;
        return here + (cluster_ ? cluster_->peers_in_flight(pool, server) : 0);
    };
    deps.fetch_catalog = [this](const std::string& pool, const std::string& server, rollout::CatalogDone done) {
        const balance::PoolRuntime* p = runtime_->find_pool(pool);
        const balance::ServerRuntime* s = p ? p->find_server(server) : nullptr;
        if (!s) {
            asio::post(control_, [done = std::move(done), server] { done(std::nullopt, "no server " + server); });
            return;
        }
        gis::CatalogRequest request = gis::catalog_request(*s, p->config(), /*with_descriptions=*/true);
        request.tls = p->tls();
        asio::co_spawn(
            control_,
            [](gis::CatalogRequest request, rollout::CatalogDone done) -> awaitable<void> {
                std::string error;
                std::optional<gis::Catalog> catalog = co_await gis::fetch_catalog(std::move(request), error);
                done(std::move(catalog), std::move(error));
            }(std::move(request), std::move(done)),
            asio::detached);
    };
    deps.run_hook = [this](rollout::HookRequest request, rollout::HookDone done) {
        return rollout::start_hook_process(control_, std::move(request), std::move(done));
    };
    return deps;
}

admin::ApiResult ProxyServer::start_rollout(const nlohmann::json& body) {
    // A hook is a shell command run by gisgate: only where the config says so (admin.rollout_hooks).
    const bool hook = body.is_object() && body.contains("hook") && !body["hook"].is_null() &&
                      !(body["hook"].is_string() && body["hook"].get_ref<const std::string&>().empty());
    if (hook && !(runtime_->config.admin && runtime_->config.admin->rollout_hooks))
        return {403, admin::error_body(403, "rollout hooks are off: set `rollout_hooks: true` in the admin: section "
                                            "to let the admin API run commands on this machine")};
    return rollouts_->start(body);
}

admin::ApiResult ProxyServer::rollout() { return rollouts_->get(); }

admin::ApiResult ProxyServer::continue_rollout(const nlohmann::json& body) { return rollouts_->resume(body); }

admin::ApiResult ProxyServer::abort_rollout() { return rollouts_->abort(); }

}  // namespace gisgate::proxy
