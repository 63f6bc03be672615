#include "cluster/peers.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "health/probe.hpp"
#include "http/path.hpp"

namespace gisgate::cluster {

std::vector<PeerAddress> resolve_peers(const config::ClusterConfig& cluster) {
    std::vector<PeerAddress> out;
    asio::io_context context;
    tcp::resolver resolver(context);
    for (const auto& peer : cluster.peers) {
        PeerAddress address{peer.name, peer.admin.to_string(), {}};
        error_code ec;
        const auto literal = asio::ip::make_address(peer.admin.host, ec);
        if (!ec) {
            address.endpoints.emplace_back(literal, peer.admin.port);
        } else {
            const auto results = resolver.resolve(peer.admin.host, std::to_string(peer.admin.port), ec);
            if (ec) spdlog::warn("cluster: peer {}: cannot resolve {}: {}", peer.name, address.host, ec.message());
            else
                for (const auto& r : results) address.endpoints.push_back(r.endpoint());
        }
        out.push_back(std::move(address));
    }
    return out;
}

namespace {

struct OwnerSearch {
    explicit OwnerSearch(const asio::any_io_executor& ex) : done(ex) {}
    asio::steady_timer done;
    int pending = 0;
    std::optional<std::string> found;
};

awaitable<void> ask_one_peer(std::shared_ptr<OwnerSearch> search, std::shared_ptr<const PeerDirectory> directory,
                             const PeerAddress* peer, std::string target) {
    const auto executor = co_await asio::this_coro::executor;
    auto probe = std::make_shared<health::Probe>(executor);
    co_await probe->get(peer->endpoints, peer->host, target, directory->timeout, 4096);
    if (probe->result().outcome == health::Outcome::success && probe->response().http_status() == 200 &&
        !search->found) {
        const auto body = probe->response().body();
        const auto json = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
        if (json.is_object() && json.contains("server") && json["server"].is_string()) {
            search->found = json["server"].get<std::string>();
            spdlog::debug("cluster: peer {} named server {} for {}", peer->name, *search->found, target);
        }
    }
    if (--search->pending == 0 || search->found) search->done.cancel();
}

}  // namespace

std::string owner_path(OwnerKind kind, std::string_view pool, std::string_view id) {
    return std::string(kind == OwnerKind::job ? "/api/v1/cluster/jobs/" : "/api/v1/cluster/uploads/") +
           http::encode_path_segment(pool) + "/" + http::encode_path_segment(id);
}

awaitable<std::optional<std::string>> ask_peers(std::shared_ptr<const PeerDirectory> directory, OwnerKind kind,
                                                std::string pool, std::string id) {
    const auto executor = co_await asio::this_coro::executor;
    auto search = std::make_shared<OwnerSearch>(executor);
    const std::string target = owner_path(kind, pool, id);
    for (const auto& peer : directory->peers) {
        if (peer.endpoints.empty()) continue;
        ++search->pending;
        asio::co_spawn(executor, ask_one_peer(search, directory, &peer, target), asio::detached);
    }
    if (search->pending == 0) co_return std::nullopt;
    // Each probe ends by its own deadline; this one only guards against a probe that never reports.
    search->done.expires_after(directory->timeout + std::chrono::milliseconds(200));
    error_code ec;
    co_await search->done.async_wait(asio::redirect_error(use_awaitable, ec));
    if (directory->stats) ++(search->found ? directory->stats->found : directory->stats->not_found);
    co_return search->found;
}

}  // namespace gisgate::cluster
