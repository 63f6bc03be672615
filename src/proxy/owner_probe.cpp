#include "proxy/owner_probe.hpp"

#include "health/probe.hpp"

namespace gisgate::proxy {

std::string job_probe_path(const gis::Classification& gis, std::string_view path) {
    // Everything up to and including the job id, then ?f=json: the job resource itself.
    const auto at = path.find(gis.job_id);
    std::string probe(path.substr(0, at == std::string_view::npos ? path.size() : at + gis.job_id.size()));
    probe += "?f=json";
    return probe;
}

std::string upload_probe_path(const gis::Classification& gis, std::string_view path, std::string_view item_id) {
    if (gis.type.empty()) return {};
    // The service's URL ends at its type segment; a rewrite changes only the path's prefix, so the type keeps the
    // spelling classify() saw.
    std::size_t at = 0;
    for (;;) {
        at = path.find(gis.type, at);
        if (at == std::string_view::npos) return {};
        const std::size_t end = at + gis.type.size();
        if (at > 0 && path[at - 1] == '/' && (end == path.size() || path[end] == '/')) {
            std::string probe(path.substr(0, end));
            probe.append("/uploads/").append(item_id).append("?f=json");
            return probe;
        }
        at = end;
    }
}

namespace {

struct Search {
    explicit Search(const asio::any_io_executor& ex) : done(ex) {}
    asio::steady_timer done;
    int pending = 0;
    balance::ServerRuntime* found = nullptr;
};

awaitable<void> ask(std::shared_ptr<Search> search, std::shared_ptr<balance::ServerRuntime> server,
                    config::HealthConfig question, std::shared_ptr<const net::TlsClient> tls) {
    const auto executor = co_await asio::this_coro::executor;
    auto probe = std::make_shared<health::Probe>(executor);
    probe->set_tls(std::move(tls));
    co_await probe->run(*server, question);
    if (probe->result().outcome == health::Outcome::success && !search->found) search->found = server.get();
    if (--search->pending == 0 || search->found) search->done.cancel();
}

}  // namespace

awaitable<balance::ServerRuntime*> find_owner(const balance::PoolRuntime& pool, std::string probe_path,
                                              std::string_view expect_body, std::chrono::milliseconds timeout) {
    const auto executor = co_await asio::this_coro::executor;
    auto search = std::make_shared<Search>(executor);
    config::HealthConfig question;
    question.path = std::move(probe_path);
    question.timeout = timeout;
    question.expect_status = 200;
    question.expect_body = expect_body;
    for (const auto& server : pool.servers()) {
        if (!server->healthy.load() || server->admin.load() == balance::AdminState::maint) continue;
        ++search->pending;
        asio::co_spawn(executor, ask(search, server, question, pool.tls()), asio::detached);
    }
    if (search->pending == 0) co_return nullptr;
    search->done.expires_after(timeout + std::chrono::seconds(1));
    error_code ec;
    co_await search->done.async_wait(asio::redirect_error(use_awaitable, ec));
    co_return search->found;
}

awaitable<balance::ServerRuntime*> owner_from_peers(std::shared_ptr<const cluster::PeerDirectory> peers,
                                                    balance::PoolRuntime& pool, gis::JobTable& table,
                                                    cluster::OwnerKind kind, std::string id) {
    const std::string pool_name(pool.name());  // a named local, not a temporary, around co_await (GCC 12)
    const std::optional<std::string> named = co_await cluster::ask_peers(std::move(peers), kind, pool_name, id);
    balance::ServerRuntime* server = named ? pool.find_server(*named) : nullptr;
    if (server) table.record(id, server->name);
    co_return server;
}

}  // namespace gisgate::proxy
