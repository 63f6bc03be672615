#include "proxy/job_owner.hpp"

#include "health/probe.hpp"

namespace gisgate::proxy {

std::string job_probe_path(const gis::Classification& gis, std::string_view path) {
    // Everything up to and including the job id, then ?f=json: the job resource itself.
    const auto at = path.find(gis.job_id);
    std::string probe(path.substr(0, at == std::string_view::npos ? path.size() : at + gis.job_id.size()));
    probe += "?f=json";
    return probe;
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

awaitable<balance::ServerRuntime*> find_job_owner(const balance::PoolRuntime& pool, std::string probe_path,
                                                  bool directory_probe, std::chrono::milliseconds timeout) {
    const auto executor = co_await asio::this_coro::executor;
    auto search = std::make_shared<Search>(executor);
    config::HealthConfig question;
    question.path = std::move(probe_path);
    question.timeout = timeout;
    question.expect_status = 200;
    // A job status answer names its status; an ArcGIS error ("does not exist or is inaccessible") does not.
    // A job's output file just has to exist.
    question.expect_body = directory_probe ? "" : "\"jobStatus\"";
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

}  // namespace gisgate::proxy
