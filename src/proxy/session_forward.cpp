// Forwarding one request: its server (balance::select() with the request's affinity), its server connection
// (private, pooled or new), the exchange (request head and body out, response head in: UpstreamExchange) and the
// retry decision (decide_retry()) after a failed attempt.
#include "proxy/session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "balance/select.hpp"
#include "config/enum_names.hpp"
#include "gis/operation_class.hpp"
#include "proxy/body_pace.hpp"
#include "proxy/head_writer.hpp"
#include "proxy/outlier_outcome.hpp"
#include "proxy/owner_probe.hpp"
#include "proxy/private_connection.hpp"
#include "proxy/sticky.hpp"
#include "proxy/worker.hpp"

namespace gisgate::proxy {
namespace {

// What a binding affinity's id names, for the client's error when its server cannot take the request.
std::string_view pinned_what(const balance::Affinity& affinity) {
    return affinity.kind == balance::Affinity::Kind::upload ? "upload item" : "geoprocessing job";
}

}  // namespace

// The server this request must or should go to (balance/affinity.hpp): its geoprocessing job's (only that site
// knows the job), its uploaded item's (only that site stored it), the client's private NTLM/Negotiate
// connection's, or the sticky cookie's. Only chooses: balance::select() decides whether that server can take the
// request.
awaitable<balance::Affinity> Session::choose_affinity() {
    using Kind = balance::Affinity::Kind;
    set_sticky_cookie_ = false;
    const auto& pool_config = pool_->config();
    gis::JobTable* jobs = pool_config.job_affinity.enabled ? runtime_->job_table(pool_->name()) : nullptr;
    if (jobs && !gis_.job_id.empty()) {
        const std::optional<std::string> owner = jobs->owner(gis_.job_id);
        balance::ServerRuntime* server = owner ? pool_->find_server(*owner) : nullptr;
        if (!server && runtime_->peers)  // another gisgate node may have seen the submit: ask the peers first
            server = co_await owner_from_peers(runtime_->peers, *pool_, *jobs, cluster::OwnerKind::job,
                                               std::string(gis_.job_id));
        if (!server) {
            // Not in the table (gisgate restarted, or another node saw the submit): ask the sites.
            const bool directory = gis_.operation.empty() || gis_.type.empty();
            const std::string probe = directory ? forward_path_ : job_probe_path(gis_, forward_path_);
            // A job's output file just has to exist.
            server = co_await find_owner(*pool_, probe, directory ? "" : kJobProbeExpect,
                                         pool_config.health.timeout);
            if (server) jobs->record(gis_.job_id, server->name);
        }
        pinned_id_ = gis_.job_id;
        if (server) co_return balance::Affinity::to(Kind::job, server);
    }
    gis::JobTable* uploads = upload_ids_.empty() ? nullptr : runtime_->upload_table(pool_->name());
    if (uploads)
        if (balance::ServerRuntime* server = co_await find_upload_owner(*uploads))
            co_return balance::Affinity::to(Kind::upload, server);
    if (balance::ServerRuntime* mine = private_server_in(*pool_))
        co_return balance::Affinity::to(Kind::connection, mine);
    if (pool_config.sticky == config::Sticky::cookie) {
        std::string_view cookie;
        for (const auto& h : head_.headers)
            if (iequals(h.name, "cookie")) {
                cookie = cookie_value(h.value, pool_config.sticky_cookie);
                if (!cookie.empty()) break;
            }
        balance::ServerRuntime* named = nullptr;
        if (!cookie.empty())
            for (const auto& server : pool_->servers())
                if (sticky_token(pool_->name(), server->name) == cookie) named = server.get();
        set_sticky_cookie_ = named == nullptr;  // (re)issued whenever the request was not already pinned
        co_return balance::Affinity::to(Kind::cookie, named);
    }
    co_return balance::Affinity{};
}

// What decide_retry() needs to know about the attempt that just failed on server_.
RetryContext Session::retry_context(Failure failure, bool reused, std::uint32_t attempt, std::uint32_t stale_retries,
                                    const balance::Affinity& affinity, std::string_view detail) const {
    const ReplayQuestion q{failure, head_.method,         settings_.state_changing, body_streamed_, reused,
                           settings_.retry_on_timeout, private_exchange_};
    return {q,           attempt, settings_.retries, stale_retries, server_->name, detail,
            affinity.binding() ? pinned_id_ : std::string_view{}, pinned_what(affinity)};
}

// The request's server connection: the client's private one to server_, a new one for a request that starts
// an NTLM/Negotiate handshake or to a send_proxy pool (its connections name one client), or a pooled one (a
// new one when none fits). True when it was used before.
bool Session::take_server_connection(bool auth_request) {
    // A request that must not be replayed only gets a pooled connection that was idle very briefly, so a
    // server closing its idle connection cannot race with it (HAProxy's "http-reuse safe" idea).
    const bool replayable = replayable_on_stale_connection(head_.method, settings_.state_changing);
    auto& connection = exchange_.connection;
    connection = take_private(server_->id);
    if (connection && !still_open(*connection, *server_)) connection.reset();  // closed: a new handshake
    if (connection) {
        private_exchange_ = connection->identity_bound;
    } else if (!auth_request && !proxied_exchange_) {
        connection = worker_.upstreams().take_idle(
            *server_, replayable ? net::Clock::duration::max() : std::chrono::seconds(2),
            worker_.loop().deadlines().now());
    }  // else a handshake message starts on a connection of its own: never a pooled one
    // A pooled connection made before a reload switched the pool's TLS on or off does not fit any more.
    if (connection && connection->socket.tls() != (pool_->tls() != nullptr)) connection.reset();
    const bool reused = connection != nullptr;
    if (!reused) {
        connection = std::make_unique<UpstreamConnection>(worker_.context());
        connection->server_id = server_->id;
    }
    connection->server = server_;
    return reused;
}

awaitable<bool> Session::forward(const RouteRuntime& route, balance::PoolRuntime& pool) {
    pool_ = &pool;
    log_pool_ = pool_->name();
    const auto& pool_config = pool_->config();
    // What the request costs the server decides its share of the slots and its place in the queue.
    op_class_ = gis::operation_class(gis_, head_.query, head_.framing != http::BodyFraming::none,
                                     pool_config.classes);
    // The route's overrides of the pool's timeouts and retries, and whether this request may ever be replayed.
    const config::RouteConfig& rc = *route.config;
    settings_ = {rc.connect_timeout.value_or(pool_config.timeouts.connect),
                 rc.server_timeout.value_or(pool_config.timeouts.server), rc.retries.value_or(pool_config.retries),
                 rc.retry_on_timeout, is_state_changing(gis_, path_.forward)};
    RequestRewrite rewrite{forward_path_, route.config->host ? std::string_view(*route.config->host) : std::string_view{},
                           client_ip_, client_.secure() ? "https" : "http", websocket_, trusted_forwarded_,
                           request_id_field(), traceparent_, drop_tracestate_};
    write_request_head(head_, rewrite, out_);
    exchange_.websocket = websocket_;
    if (websocket_) {
        tunnel_slot_ = runtime_->tunnels->reserve(runtime_->config.limits.max_tunnels);
        if (!tunnel_slot_) {
            set_error(503, "too many WebSocket connections open (limits.max_tunnels)", 5);
            co_return co_await respond_error();
        }
    } else if (pool_config.cache) {
        const CacheStep step = co_await cache_before_forward();
        if (step.served) co_return step.keep;
    }
    const std::size_t request_head_size = out_.size();

    // Windows authentication binds the server connection: a request that starts or continues an NTLM/Negotiate
    // handshake never takes a pooled connection, and a client with a private connection stays on it.
    const bool auth_request = request_binds_connection(head_);
    private_exchange_ = auth_request;
    // send_proxy: every server connection starts with a header naming this client, so it is never shared.
    proxied_exchange_ = pool_config.send_proxy != config::SendProxy::off;
    if (proxied_exchange_) proxy_header_ = proxy_header_for(pool_config.send_proxy, origin_);
    balance::Affinity affinity;
    upload_ids_.clear();
    if (may_name_uploads()) {
        // A coroutine call allocates its frame: only a form body still to come pays for it.
        Attempt read = Attempt::responded;
        if (form_body_follows()) read = co_await read_form_prefix();
        if (read == Attempt::client_gone) {
            log_request(499);
            co_return false;
        }
        if (read == Attempt::failed) co_return co_await respond_error();
        collect_upload_ids();
    }
    // Calling a coroutine allocates its frame: only requests that can be pinned pay for the call.
    if (!gis_.job_id.empty() || !upload_ids_.empty() || pool_config.sticky == config::Sticky::cookie ||
        !private_upstreams_.empty())
        affinity = co_await choose_affinity();
    else
        set_sticky_cookie_ = false;

    balance::TriedSet tried;
    std::string last_failure;
    int last_failure_status = 502;  // 504 when the last server failed by not answering in time
    std::uint32_t attempt = 0, stale_retries = 0;
    for (;;) {
        balance::Selection selected = balance::try_select(*pool_, affinity, tried, worker_.index(), op_class_);
        if (selected.status == balance::AcquireStatus::queue_full) {
            const auto queued_at = net::Clock::now();
            selected =
                co_await balance::wait_for_slot(*pool_, affinity, tried, worker_.index(), selected, op_class_);
            timing_.queue += net::Clock::now() - queued_at;
        }
        if (selected.affinity_lost) {
            // The sticky or private server left: balanced normally (a new cookie; a new handshake).
            if (affinity.kind == balance::Affinity::Kind::connection) take_private(affinity.server->id).reset();
            set_sticky_cookie_ = pool_config.sticky == config::Sticky::cookie;
            affinity = {};
        }
        switch (selected.status) {
            case balance::AcquireStatus::granted: break;
            case balance::AcquireStatus::no_server:
                if (affinity.binding())
                    set_error(503, job_owner_unavailable(pinned_id_, affinity.server->name, "down",
                                                         pinned_what(affinity)));
                else if (tried.size() == 0)
                    set_error(503, "no server available in pool " + pool_->name());
                else
                    set_error(last_failure_status, "no server reachable: " + last_failure);
                co_return co_await respond_error();
            case balance::AcquireStatus::queue_full:
            case balance::AcquireStatus::queue_timeout: {
                const auto secs =
                    std::chrono::duration_cast<std::chrono::seconds>(pool_->queue_timeout(op_class_)).count();
                // A class with a share of its own says so: the other classes may well be served meanwhile.
                const std::string class_name(config::name_of(config::kOperationClassNames, op_class_));
                const std::string busy =
                    !pool_->share_binds(op_class_) ? "all servers of pool " + pool_->name() + " are busy"
                    : pool_config.auto_limit.enabled
                        ? fmt::format("all servers of pool {} are busy for {} requests ({}% of each server's "
                                      "limit at most)",
                                      pool_->name(), class_name, pool_->class_percent(op_class_))
                        : fmt::format("all servers of pool {} are busy for {} requests ({} at most per server)",
                                      pool_->name(), class_name, pool_->class_limit(op_class_));
                set_error(503,
                          selected.status == balance::AcquireStatus::queue_full
                              ? busy + " and the queue is full"
                              : busy + " and stayed so for the queue timeout",
                          static_cast<int>(secs > 0 ? std::min<long long>(secs, 5) : 1));
                co_return co_await respond_error();
            }
        }
        server_ = selected.server;
        log_server_ = server_->name;

        const bool reused = take_server_connection(auth_request);
        RetryDecision decision;
        bool connected = true;
        if (!reused) {
            deadline_.arm(settings_.connect, kConnect);
            const std::string_view proxy_header = proxied_exchange_ ? std::string_view(proxy_header_) : std::string_view();
            const auto connecting_at = net::Clock::now();
            const error_code ec = co_await connect_upstream(*exchange_.connection, pool_->tls(), proxy_header);
            timing_.connect += net::Clock::now() - connecting_at;
            const bool timed_out = deadline_.expired();
            deadline_.disarm();
            if (ec) {
                connected = false;
                const std::string detail = timed_out ? std::string("connect timeout") : ec.message();
                spdlog::warn("pool {}: server {} ({}) connect failed: {}", pool_->name(), server_->name,
                             server_->address.to_string(), detail);
                // Refused or unreachable: nothing listens there. Take it out now rather than after `fall`
                // checks (a timeout is "slow", not "dead", and is left to the checks).
                if (!timed_out && runtime_->events) runtime_->events->server_refused(*server_, ec.message());
                if (timed_out) balance::report_outcome(*pool_, *server_, balance::LiveOutcome::timeout, runtime_->events);
                decision = decide_retry(retry_context(timed_out ? Failure::connect_timeout : Failure::connect_failed,
                                                      false, attempt, stale_retries, affinity, detail));
            }
        }
        if (connected) {
            out_.resize(request_head_size);  // a retry resends the same head
            const auto sent_at = net::Clock::now();
            const Attempt result = co_await attempt_exchange(reused);
            const auto server_time = net::Clock::now() - sent_at;
            timing_.server += server_time;
            if (result == Attempt::responded) {
                // max_active_per_server: auto learns each server's limit from these (balance/adaptive_limit.hpp).
                if (pool_config.auto_limit.enabled) server_->adaptive_counters.record(server_time);
                balance::report_outcome(*pool_, *server_,
                                        balance::outcome_of_status(exchange_.response.status, pool_config.outlier),
                                        runtime_->events);
                co_return co_await relay_response();
            }
            if (result == Attempt::client_gone) {
                release_upstream(false);
                log_request(499);
                co_return false;
            }
            if (result == Attempt::failed) {
                release_upstream(false);
                co_return co_await respond_error();
            }
            decision = decide_retry(retry_context(failure_, reused, attempt, stale_retries, affinity));
            // A stale pooled connection the server had closed is not the server's failure.
            if (decision.action != RetryDecision::Action::retry_same)
                balance::report_outcome(*pool_, *server_, outcome_of_failure(failure_), runtime_->events);
        }
        const std::uint32_t failed = server_->id;
        release_upstream(false);
        switch (decision.action) {
            case RetryDecision::Action::retry_same: ++stale_retries; continue;  // not the server's failure
            case RetryDecision::Action::retry_other:
                tried.add(failed);
                ++attempt;
                ++retries_;
                last_failure = std::move(decision.message);
                last_failure_status = decision.status;
                affinity = {};
                continue;
            case RetryDecision::Action::fail:
                set_error(decision.status, std::move(decision.message));
                co_return co_await respond_error();
        }
    }
}

// Sends the request (head and body) and waits for the response head.
awaitable<Session::Attempt> Session::attempt_exchange(bool reused) {
    error_code ec;
    // The client waits for "100 Continue" before sending its body; we give it ourselves once a server is
    // connected (and strip Expect upstream) so a server that ignores Expect cannot deadlock the exchange.
    if (head_.expect_continue && !request_body_.done() && !continue_sent_ && head_.version_minor == 1) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        deadline_.arm(runtime_->config.timeouts.idle, kClientIo);
        co_await asio::async_write(client_, asio::buffer(kContinue), ec_token(ec));
        deadline_.disarm();
        if (ec) co_return Attempt::client_gone;
        continue_sent_ = true;
    }

    const std::array<asio::const_buffer, 2> first{
        asio::buffer(out_), asio::buffer(buf_.get() + begin_ + head_.head_size, body_in_buffer_)};
    // Awaited, not write_now(): the round through the scheduler lets a nearby server answer before the response
    // read tries the socket (measured on loopback: write_now here cost 0.3 more empty recv() per request).
    deadline_.arm(settings_.server, kServer);
    co_await asio::async_write(exchange_.connection->socket, first, ec_token(ec));
    deadline_.disarm();
    if (ec) {
        co_return server_failed(Failure::send_failed);
    }
    if (!request_body_.done()) {
        const Attempt sent = co_await send_request_body();
        if (sent != Attempt::responded) co_return sent;
    }
    co_return co_await read_response_head();
}

// One read of request body bytes into [into, into + room) within the pace's limits (timeouts.body and
// body_min_rate: the slow-POST defence): `responded` with the bytes in `n`, or how the attempt ends (408 chosen,
// or the client gone).
awaitable<Session::Attempt> Session::read_body_paced(BodyPace& pace, char* into, std::size_t room, std::size_t& n) {
    const auto wait = pace.next_wait();
    if (wait <= net::Clock::duration::zero()) {
        set_error(408, "request body arriving too slowly");
        co_return Attempt::failed;
    }
    error_code ec;
    deadline_.arm(wait, kClientIo);
    const auto read_started = net::Clock::now();
    n = co_await client_.async_read_some(asio::buffer(into, room), ec_token(ec));
    const bool timed_out = deadline_.expired();
    deadline_.disarm();
    pace.on_read(net::Clock::now() - read_started, n);
    if (!ec) co_return Attempt::responded;
    if (timed_out) {
        set_error(408, "request body not received in time");
        co_return Attempt::failed;
    }
    client_closed_ = true;
    co_return Attempt::client_gone;
}

// Streams the rest of the request body from the client to the server through the client buffer.
awaitable<Session::Attempt> Session::send_request_body() {
    const auto server_timeout = settings_.server;
    error_code ec;
    body_streamed_ = true;
    // Everything buffered after the head was body and has been sent; reuse the whole buffer.
    begin_ = end_ = 0;
    head_.headers.clear();  // views into the buffer we are about to overwrite
    BodyPace pace;  // timeouts.body and body_min_rate: slow-POST defence
    pace.start(runtime_->config.timeouts.body, runtime_->config.timeouts.body_min_rate);
    while (!request_body_.done()) {
        std::size_t n = 0;
        if (const Attempt failed = co_await read_body_paced(pace, buf_.get(), kBlock, n); failed != Attempt::responded)
            co_return failed;
        end_ = n;
        const std::size_t take = request_body_.take({buf_.get(), n});
        if (request_body_.error()) {
            set_error(request_body_.error_status(), request_body_.error());
            co_return Attempt::failed;
        }
        deadline_.arm(server_timeout, kServer);
        co_await asio::async_write(exchange_.connection->socket, asio::buffer(buf_.get(), take), ec_token(ec));
        deadline_.disarm();
        if (ec) {
            set_error(502, "server failed while receiving the request");
            co_return Attempt::failed;
        }
        begin_ = take;  // anything after the body is the next pipelined request
        request_bytes_ += take;
    }
    body_in_buffer_ = 0;
    co_return Attempt::responded;
}

awaitable<Session::Attempt> Session::read_response_head() {
    const UpstreamExchange::HeadLimits limits{runtime_->config.limits.max_headers,
                                              runtime_->config.limits.max_header_size};
    const UpstreamExchange::HeadResult r =
        co_await exchange_.read_head(worker_.loop().buffers(), deadline_, settings_.server, kServer, head_.method,
                                     limits, pool_->name(), server_->name);
    switch (r.kind) {
        case UpstreamExchange::HeadResult::Kind::responded: co_return Attempt::responded;
        case UpstreamExchange::HeadResult::Kind::server_failed: co_return server_failed(r.failure);
        case UpstreamExchange::HeadResult::Kind::failed: break;
    }
    set_error(r.status, r.message);
    co_return Attempt::failed;
}

void Session::release_upstream(bool reusable) {
    if (exchange_.connection) {
        if (reusable && (private_exchange_ || proxied_exchange_)) {
            exchange_.connection->identity_bound = private_exchange_;
            keep_private(std::move(exchange_.connection));
        } else if (reusable) {
            ++exchange_.connection->requests;
            worker_.upstreams().put_idle(std::move(exchange_.connection), pool_->config().keepalive_per_server,
                                         worker_.loop().deadlines().now());
        } else {
            error_code ec;
            exchange_.connection->socket.close(ec);
        }
        exchange_.connection.reset();
    }
    exchange_.buf.reset();
    exchange_.begin = exchange_.end = 0;
    if (server_) {
        pool_->release(server_, op_class_);
        server_ = nullptr;
    }
}

balance::ServerRuntime* Session::private_server_in(const balance::PoolRuntime& pool) const {
    for (const auto& connection : private_upstreams_)
        if (connection->identity_bound)
            for (const auto& server : pool.servers())
            if (server->id == connection->server_id) return server.get();
    return nullptr;
}

std::unique_ptr<UpstreamConnection> Session::take_private(std::uint32_t server_id) {
    for (auto it = private_upstreams_.begin(); it != private_upstreams_.end(); ++it) {
        if ((*it)->server_id != server_id) continue;
        std::unique_ptr<UpstreamConnection> connection = std::move(*it);
        private_upstreams_.erase(it);
        return connection;
    }
    return nullptr;
}

void Session::keep_private(std::unique_ptr<UpstreamConnection> connection) {
    ++connection->requests;
    connection->server = nullptr;  // set again when taken (a reload may replace the server)
    take_private(connection->server_id).reset();  // one per server: a second handshake replaces the first
    if (private_upstreams_.size() == kMaxPrivate) private_upstreams_.erase(private_upstreams_.begin());
    private_upstreams_.push_back(std::move(connection));
}

}  // namespace gisgate::proxy
