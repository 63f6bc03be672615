#include "cluster/node.hpp"

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include "cluster/config_hash.hpp"
#include "health/probe.hpp"
#include "metrics/prometheus.hpp"
#include "proxy/observer_time.hpp"

namespace gisgate::cluster {

using nlohmann::json;

namespace {

const std::string kSyncPath = "/api/v1/cluster/sync";
constexpr std::size_t kMaxSyncAnswer = 32 * 1024 * 1024;

std::uint64_t wall_ms() {
    return static_cast<std::uint64_t>(proxy::unix_ms(proxy::WallClock::now()));
}

json change_summary(const Change& c) {
    return {{"origin", c.origin}, {"seq", c.seq},   {"stamp", c.stamp},
            {"kind", to_string(c.kind)}, {"pool", c.pool}, {"server", c.server}};
}

admin::ApiResult bad_request(std::string message) {
    return {400, {{"error", {{"code", 400}, {"message", std::move(message)}}}}};
}

}  // namespace

struct Node::Peer {
    explicit Peer(asio::io_context& context) : wake(context) {}
    config::ClusterPeerConfig config;
    PeerAddress address;
    asio::steady_timer wake;
    std::shared_ptr<health::Probe> probe;  // the exchange in flight
    bool dirty = false;                    // something to send: exchange again without waiting
    bool removed = false;                  // no longer in the config: its loop ends
    bool looping = false;
    std::optional<Seen> seen;              // what the peer has, as it last said
    bool reachable = false;
    bool contacted_once = false;
    std::optional<std::int64_t> last_contact_ms;
    std::string last_error;
    std::optional<Change> last_applied;    // the latest change received from it and applied here
    std::string config_hash;
    std::uint64_t failures = 0;
    json in_flight = json::object();       // its last report: {"pool/server": n}
    std::uint64_t in_flight_after = 0;     // the last change of this node's it had when it made that report
};

Node::Node(asio::io_context& control, admin::ControlApi& api, const config::Config& config)
    : control_(control), api_(api), node_(config.cluster->node), log_(config.cluster->node, wall_ms()) {
    configure(config);
}

Node::~Node() { stop(); }

void Node::start() {
    if (started_ || stopped_) return;
    started_ = true;
    spdlog::info("cluster: node {}, {} peer(s), config hash {}", node_, peers_.size(), config_hash_);
    for (const auto& peer : peers_)
        if (!peer->looping) asio::co_spawn(control_, peer_loop(peer), asio::detached);
}

void Node::stop() {
    if (stopped_) return;
    stopped_ = true;
    for (const auto& peer : peers_) {
        peer->wake.cancel();
        if (peer->probe) peer->probe->cancel();
    }
}

void Node::configure(const config::Config& config) {
    config_hash_ = config_hash(config);
    token_ = config.admin ? config.admin->token : std::string();
    if (!config.cluster) {
        spdlog::warn("cluster: the cluster section was removed; leaving the cluster needs a restart");
        return;
    }
    if (config.cluster->node != node_)
        spdlog::warn("cluster: node name {} → {} needs a restart; still {}", node_, config.cluster->node, node_);
    config_ = *config.cluster;
    config_.node = node_;
    std::vector<std::shared_ptr<Peer>> next;
    for (const auto& pc : config_.peers) {
        std::shared_ptr<Peer> peer = find_peer(pc.name);
        const bool moved = peer && peer->config.admin.to_string() != pc.admin.to_string();
        if (!peer || moved) {
            if (!peer) peer = std::make_shared<Peer>(control_);
            config::ClusterConfig one;
            one.peers = {pc};
            peer->address = std::move(resolve_peers(one).front());
            peer->seen.reset();
        }
        peer->config = pc;
        next.push_back(std::move(peer));
    }
    for (const auto& old : peers_) {
        if (std::find(next.begin(), next.end(), old) != next.end()) continue;
        old->removed = true;
        old->wake.cancel();
        if (old->probe) old->probe->cancel();
    }
    peers_ = std::move(next);
    if (started_ && !stopped_)
        for (const auto& peer : peers_)
            if (!peer->looping) asio::co_spawn(control_, peer_loop(peer), asio::detached);
}

std::shared_ptr<Node::Peer> Node::find_peer(std::string_view name) const {
    for (const auto& peer : peers_)
        if (peer->config.name == name) return peer;
    return nullptr;
}

void Node::local_change(ChangeKind kind, std::string pool, std::string server, json payload) {
    if (applying_ || stopped_) return;
    const Change& c = log_.record_local(kind, std::move(pool), std::move(server), std::move(payload), wall_ms());
    ++applied_[node_];
    spdlog::debug("cluster: logged {} {}/{} (seq {})", to_string(c.kind), c.pool, c.server, c.seq);
    push(nullptr);
}

void Node::push(const Peer* except) {
    for (const auto& peer : peers_) {
        if (peer.get() == except) continue;
        peer->dirty = true;
        peer->wake.cancel();
    }
}

json Node::message(const std::optional<Seen>& peer_seen, bool& more) const {
    json changes = json::array();
    more = false;
    // Until the peer said what it has, nothing is sent: the first exchange only learns its `seen`.
    if (peer_seen) {
        auto missing = log_.missing_for(*peer_seen, kMaxChangesPerSync + 1);
        more = missing.size() > kMaxChangesPerSync;
        if (more) missing.pop_back();
        for (const auto& c : missing) changes.push_back(to_json(c));
    }
    return {{"node", node_},
            {"config_hash", config_hash_},
            {"seen", to_json(log_.seen())},
            {"changes", std::move(changes)},
            {"in_flight", in_flight_source_ ? in_flight_source_() : json::object()}};
}

std::uint64_t Node::peers_in_flight(const std::string& pool, const std::string& server) const {
    const auto own = log_.seen().find(node_);
    const std::uint64_t latest = own == log_.seen().end() ? 0 : own->second;
    const std::string key = pool + "/" + server;
    std::uint64_t total = 0;
    for (const auto& peer : peers_) {
        if (!peer->reachable) continue;
        if (peer->in_flight_after < latest) {
            total += 1;
            continue;
        }
        if (const auto it = peer->in_flight.find(key); it != peer->in_flight.end() && it->is_number_integer())
            total += static_cast<std::uint64_t>(std::max<std::int64_t>(0, it->get<std::int64_t>()));
    }
    return total;
}

awaitable<void> Node::peer_loop(std::shared_ptr<Peer> peer) {
    peer->looping = true;
    while (!stopped_ && !peer->removed) {
        peer->dirty = false;
        co_await exchange(peer);
        if (stopped_ || peer->removed) break;
        if (peer->dirty) continue;
        peer->wake.expires_after(config_.sync_interval);
        error_code ec;
        co_await peer->wake.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    peer->looping = false;
}

awaitable<void> Node::exchange(std::shared_ptr<Peer> peer) {
    std::string error;
    if (peer->address.endpoints.empty()) {
        // Its name did not resolve when configured: try again, without blocking the control thread.
        tcp::resolver resolver(control_);
        const std::string host = peer->config.admin.host;
        const std::string port = std::to_string(peer->config.admin.port);
        error_code ec;
        const auto results = co_await resolver.async_resolve(host, port, asio::redirect_error(use_awaitable, ec));
        if (stopped_ || peer->removed) co_return;
        if (!ec)
            for (const auto& r : results) peer->address.endpoints.push_back(r.endpoint());
    }
    if (peer->address.endpoints.empty()) {
        error = "cannot resolve " + peer->address.host;
    } else {
        bool more = false;
        const std::string body = message(peer->seen, more).dump();
        auto probe = std::make_shared<health::Probe>(control_.get_executor());
        peer->probe = probe;
        // Copies: a reload applied meanwhile (by another exchange) may give the peer a new address.
        const std::vector<tcp::endpoint> endpoints = peer->address.endpoints;
        const std::string host = peer->address.host;
        const std::string token = token_;
        co_await probe->post_json(endpoints, host, kSyncPath, body, token, config_.peer_timeout, kMaxSyncAnswer);
        peer->probe.reset();
        if (stopped_ || peer->removed) co_return;
        const auto& response = probe->response();
        if (probe->result().outcome != health::Outcome::success) {
            error = probe->result().error;
        } else if (response.http_status() != 200) {
            error = fmt::format("HTTP {}", response.http_status());
            const auto answer = json::parse(response.body().begin(), response.body().end(), nullptr, false);
            if (answer.is_object() && answer.contains("error") && answer["error"].is_object())
                error += ": " + answer["error"].value("message", "");
        } else {
            const auto answer = json::parse(response.body().begin(), response.body().end(), nullptr, false);
            if (!answer.is_object() || !answer.contains("seen") || !seen_from_json(answer["seen"])) {
                error = "malformed sync answer";
            } else {
                contacted(*peer, answer);
                if (more || answer.value("more", false)) peer->dirty = true;
                co_return;
            }
        }
    }
    if (peer->reachable || !peer->contacted_once)
        spdlog::warn("cluster: peer {} ({}) unreachable: {}", peer->config.name, peer->address.host, error);
    peer->contacted_once = true;
    peer->reachable = false;
    peer->last_error = error;
    peer->seen.reset();  // it may come back restarted, with less than it had
    ++peer->failures;
}

void Node::contacted(Peer& peer, const json& answer) {
    if (!peer.reachable)
        spdlog::info("cluster: peer {} ({}) reachable", peer.config.name, peer.address.host);
    peer.reachable = true;
    peer.contacted_once = true;
    peer.last_error.clear();
    peer.last_contact_ms = proxy::unix_ms(proxy::WallClock::now());
    peer.seen = seen_from_json(answer["seen"]);
    peer.in_flight = answer.contains("in_flight") && answer["in_flight"].is_object() ? answer["in_flight"] : json::object();
    // What it said it had of this node's changes when it counted (not what it will have once it read an answer).
    const auto acked = peer.seen ? peer.seen->find(node_) : Seen::const_iterator{};
    peer.in_flight_after = peer.seen && acked != peer.seen->end() ? acked->second : 0;
    if (answer.contains("changes")) receive(answer["changes"], peer);
    // Compared once its changes are applied here: an added server is part of both hashes then.
    const std::string hash = answer.contains("config_hash") && answer["config_hash"].is_string()
                                 ? answer["config_hash"].get<std::string>()
                                 : std::string();
    if (hash != peer.config_hash && !hash.empty() && hash != config_hash_)
        spdlog::warn("cluster: peer {} runs a different config (hash {}, this node {})", peer.config.name, hash,
                     config_hash_);
    peer.config_hash = hash;
    // It lacks something of ours (it restarted, or changes arrived meanwhile): send it at once.
    if (peer.seen && !log_.missing_for(*peer.seen, 1).empty()) peer.dirty = true;
}

void Node::receive(const json& changes, Peer& from) {
    if (!changes.is_array()) return;
    bool fresh = false;
    for (const auto& item : changes) {
        const auto change = change_from_json(item);
        if (!change) {
            ++rejected_;
            continue;
        }
        const Verdict verdict = log_.receive(*change);
        if (verdict == Verdict::duplicate) continue;
        fresh = true;
        if (verdict == Verdict::apply) {
            apply(*change);
            from.last_applied = *change;
            ++applied_[change->origin];
        } else {
            spdlog::debug("cluster: {} {}/{} from {} (seq {}) not applied: {}", to_string(change->kind),
                          change->pool, change->server, change->origin, change->seq,
                          verdict == Verdict::superseded      ? "superseded by a newer change"
                          : verdict == Verdict::before_start  ? "made before this node started"
                                                              : "made before the last reload");
        }
    }
    if (fresh) push(&from);  // forwarded to the other peers
}

void Node::apply(const Change& c) {
    struct Applying {
        bool& flag;
        explicit Applying(bool& f) : flag(f) { flag = true; }
        ~Applying() { flag = false; }
    } applying(applying_);
    admin::ApiResult result;
    switch (c.kind) {
    case ChangeKind::state:
        result = api_.set_server_state(c.pool, c.server, c.payload.value("state", ""));
        break;
    case ChangeKind::add:
        result = api_.add_server(c.pool, c.payload);
        // Its state may have arrived before it did (from another origin).
        if (result.status == 201 || result.status == 409)
            if (const Change* state = log_.state_of(c.pool, c.server))
                api_.set_server_state(c.pool, c.server, state->payload.value("state", ""));
        break;
    case ChangeKind::remove:
        result = api_.remove_server(c.pool, c.server);
        break;
    case ChangeKind::purge:
        result = api_.purge_cache(c.payload.value("prefix", ""), c.payload.value("pool", ""));
        break;
    case ChangeKind::reload:
        result = api_.reload();
        break;
    }
    const bool ok = result.status >= 200 && result.status < 300;
    const std::string target = c.server.empty() ? c.pool : c.pool + "/" + c.server;
    if (ok)
        spdlog::info("cluster: applied {} {} from {} (seq {})", to_string(c.kind), target, c.origin, c.seq);
    else
        spdlog::warn("cluster: {} {} from {} (seq {}) not applied here: HTTP {} {}", to_string(c.kind), target,
                     c.origin, c.seq, result.status, result.body.dump());
}

admin::ApiResult Node::sync(const json& request) {
    if (!request.is_object() || !request.contains("node") || !request["node"].is_string())
        return bad_request("body must be {\"node\", \"config_hash\", \"seen\", \"changes\"}");
    const auto seen = request.contains("seen") ? seen_from_json(request["seen"]) : std::nullopt;
    if (!seen) return bad_request("'seen' must be an object of origin → sequence number");
    if (request.contains("changes") && !request["changes"].is_array()) return bad_request("'changes' must be a list");
    const std::string name = request["node"].get<std::string>();
    const std::shared_ptr<Peer> peer = find_peer(name);
    if (!peer)
        return {403, {{"error", {{"code", 403}, {"message", "node " + name + " is not a peer of " + node_ +
                                                                " (cluster.peers)"}}}}};
    json contact = {{"seen", request["seen"]}, {"config_hash", request.value("config_hash", "")}};
    if (request.contains("changes")) contact["changes"] = request["changes"];
    if (request.contains("in_flight")) contact["in_flight"] = request["in_flight"];
    const bool dirty = peer->dirty;
    contacted(*peer, contact);
    bool more = false;
    json answer = message(seen, more);
    answer["more"] = more;
    // What the answer carries, the peer has once it read it: this node's loop need not send it again.
    for (const auto& c : answer["changes"]) {
        auto& known = (*peer->seen)[c["origin"].get<std::string>()];
        known = std::max(known, c["seq"].get<std::uint64_t>());
    }
    peer->dirty = dirty || !log_.missing_for(*peer->seen, 1).empty();
    return {200, std::move(answer)};
}

json Node::status() const {
    json peers = json::array();
    json warnings = json::array();
    for (const auto& peer : peers_) {
        json p = {{"name", peer->config.name},
                  {"admin", peer->config.admin.to_string()},
                  {"reachable", peer->reachable},
                  {"last_contact", peer->last_contact_ms ? json(proxy::iso_time(*peer->last_contact_ms)) : json()},
                  {"last_error", peer->last_error.empty() ? json() : json(peer->last_error)},
                  {"last_change_applied", peer->last_applied ? change_summary(*peer->last_applied) : json()},
                  {"config_hash", peer->config_hash.empty() ? json() : json(peer->config_hash)},
                  {"config_matches", peer->config_hash.empty() ? json() : json(peer->config_hash == config_hash_)},
                  {"seen", peer->seen ? to_json(*peer->seen) : json()},
                  {"in_flight", peer->in_flight}};
        if (!peer->config_hash.empty() && peer->config_hash != config_hash_)
            warnings.push_back(fmt::format("peer {} runs a different config (hash {}, this node {})", peer->config.name,
                                           peer->config_hash, config_hash_));
        if (peer->contacted_once && !peer->reachable)
            warnings.push_back(fmt::format("peer {} is unreachable: {}", peer->config.name, peer->last_error));
        peers.push_back(std::move(p));
    }
    return {{"node", node_},
            {"config_hash", config_hash_},
            {"clock", log_.clock()},
            {"log_entries", log_.size()},
            {"seen", to_json(log_.seen())},
            {"peers", std::move(peers)},
            {"warnings", std::move(warnings)}};
}

void Node::metrics(std::string& out, const LookupStats* lookups) const {
    using metrics::prometheus::family;
    using metrics::prometheus::label;
    auto line = [&out](std::string_view name, std::string_view labels, auto value) {
        fmt::format_to(std::back_inserter(out), "{}{{{}}} {}\n", name, labels, value);
    };
    family(out, "gisgate_cluster_peer_up", "gauge", "1 when the last sync exchange with the peer succeeded");
    for (const auto& peer : peers_)
        line("gisgate_cluster_peer_up", "peer=\"" + label(peer->config.name) + "\"", peer->reachable ? 1 : 0);
    family(out, "gisgate_cluster_config_match", "gauge",
           "1 when the peer's config hash equals this node's, 0 when it differs, -1 before the first contact");
    for (const auto& peer : peers_)
        line("gisgate_cluster_config_match", "peer=\"" + label(peer->config.name) + "\"",
             peer->config_hash.empty() ? -1 : peer->config_hash == config_hash_ ? 1 : 0);
    family(out, "gisgate_cluster_changes_total", "counter",
           "runtime changes applied on this node, by the node they were made on");
    for (const auto& [origin, count] : applied_) line("gisgate_cluster_changes_total", "origin=\"" + label(origin) + "\"", count);
    family(out, "gisgate_cluster_log_entries", "gauge", "changes kept in this node's change log");
    fmt::format_to(std::back_inserter(out), "gisgate_cluster_log_entries {}\n", log_.size());
    if (lookups) {
        family(out, "gisgate_cluster_job_lookups_total", "counter",
               "job and upload owner lookups asked of the peers on a table miss, by result");
        line("gisgate_cluster_job_lookups_total", "result=\"found\"", lookups->found.load());
        line("gisgate_cluster_job_lookups_total", "result=\"not_found\"", lookups->not_found.load());
    }
}

}  // namespace gisgate::cluster
