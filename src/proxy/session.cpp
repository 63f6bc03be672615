#include "proxy/session.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <cstring>

#include "admin/auth.hpp"
#include "balance/select.hpp"
#include "net/listener.hpp"
#include "health/check_response.hpp"
#include "http/redact.hpp"
#include "proxy/body_pace.hpp"
#include "proxy/head_writer.hpp"
#include "proxy/job_owner.hpp"
#include "proxy/private_connection.hpp"
#include "proxy/sticky.hpp"
#include "proxy/worker.hpp"

namespace gisgate::proxy {

namespace {

constexpr std::size_t kBlock = net::BufferPool::kBlockSize;


bool denied(const config::ListenerConfig& listener, std::string_view match_path) {
    for (const auto& prefix : listener.deny_paths)
        if (http::has_prefix_icase(match_path, prefix)) return true;
    return false;
}

}  // namespace

Session::Session(Worker& worker, tcp::socket socket, std::string listener)
    : worker_(worker),
      client_(std::move(socket)),
      listener_name_(std::move(listener)),
      deadline_(worker.loop().deadlines(), &Session::on_deadline, this) {
    worker_.attach(this);
}

Session::~Session() {
    cache_finish();
    release_upstream(false);
    worker_.detach(this);
}

void Session::on_deadline(void* self) {
    auto* s = static_cast<Session*>(self);
    error_code ec;
    s->client_.cancel(ec);
    if (s->upstream_) s->upstream_->socket.cancel(ec);
}

void Session::close_if_idle() {
    if (idle_) {
        error_code ec;
        client_.cancel(ec);
    }
}

awaitable<void> Session::run(std::unique_ptr<Session> self) {
    co_await self->serve_connection();
}

awaitable<void> Session::serve_connection() {
    net::tune_socket(client_.socket());
    error_code ec;
    const auto peer = client_.remote_endpoint(ec);
    if (ec) co_return;
    client_ip_ = peer.address().to_string();
    {
        const ListenerRuntime* listener = worker_.runtime()->find_listener(listener_name_);
        if (!listener) co_return;
        allowed_ = admin::client_allowed(listener->config->allow, peer.address());
        if (listener->tls) {
            const bool ready = co_await start_tls(*listener);
            if (!ready) co_return;
        }
    }

    for (bool first = true;; first = false) {
        if (!co_await read_request_head(first)) break;
        if (!co_await serve_request()) break;
        if (worker_.draining()) break;
    }
    if (client_.tls() && !client_closed_) co_await close_notify();
    client_.shutdown(tcp::socket::shutdown_both, ec);
    client_.close(ec);
}

// Reads until one complete request head is in the buffer. False: close the connection (EOF, timeout, or an
// error response was sent).
awaitable<bool> Session::read_request_head(bool first) {
    const auto& timeouts = worker_.runtime()->config.timeouts;
    error_code ec;
    // A new connection's first head must be complete within `header` of the accept (not of its first byte,
    // or a slowloris client would get the idle wait on top); later heads within `header` of their first byte.
    bool header_deadline_armed = false;
    if (begin_ == end_) {
        if (worker_.draining()) co_return false;
        // Idle between requests: hold no I/O block, only the small buffer inside the session. Reading (rather
        // than waiting for readability) matters on the hot path: Asio re-arms a wait with an epoll_ctl(MOD)
        // every time, while a read that follows an exhausted read is queued without any syscall — one syscall
        // less per keep-alive request. TLS needs a read anyway (decrypted bytes may already be buffered).
        buf_.reset();
        begin_ = end_ = 0;
        deadline_.arm(first ? timeouts.header : timeouts.idle, first ? kHeader : kIdle);
        header_deadline_armed = first;
        idle_ = true;
        const std::size_t got = co_await client_.async_read_some(asio::buffer(idle_bytes_), ec_token(ec));
        idle_ = false;
        if (ec) co_return false;
        buf_ = worker_.loop().buffers().acquire();
        std::memcpy(buf_.get(), idle_bytes_.data(), got);
        end_ = got;
        if (got == idle_bytes_.size() && !client_.tls()) {
            // More than the idle buffer holds: take what has already arrived in one go, as a first read into
            // a block did, so the first checks (framing errors in the first body bytes, before any server is
            // contacted) see all of it. available() > 0 means the read cannot block.
            const std::size_t waiting = client_.socket().available(ec);
            if (!ec && waiting > 0)
                end_ += client_.socket().read_some(asio::buffer(buf_.get() + end_, std::min(waiting, kBlock - end_)), ec);
            if (ec) co_return false;
        }
    }
    if (!buf_) buf_ = worker_.loop().buffers().acquire();
    if (!header_deadline_armed) deadline_.arm(timeouts.header, kHeader);
    const ListenerRuntime* listener = worker_.runtime()->find_listener(listener_name_);
    if (!listener) co_return false;  // removed by a reload
    const http::Limits limits = listener->limits;
    for (;;) {
        if (begin_ < end_) {
            const auto result = http::parse_request_head(client_data(), limits, head_);
            if (result.status == http::ParseStatus::complete) {
                deadline_.disarm();
                co_return true;
            }
            if (result.status == http::ParseStatus::error) {
                deadline_.disarm();
                log_method_ = "-";
                log_target_ = "-";
                started_ = net::Clock::now();
                request_bytes_ = end_ - begin_;
                head_.version_minor = 1;
                head_.method = http::Method::other;
                head_.keep_alive = false;  // a head gisgate could not read: nothing after it can be trusted
                set_error(result.error_status, result.error ? result.error : "bad request");
                co_await respond_error();
                co_return false;
            }
        }
        if (end_ == kBlock) {
            if (begin_ == 0) {  // cannot happen with limits below the block size; refuse rather than loop
                set_error(431, "request head too large");
                co_await respond_error();
                co_return false;
            }
            std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        const std::size_t n =
            co_await client_.async_read_some(asio::buffer(buf_.get() + end_, kBlock - end_), ec_token(ec));
        if (ec) {
            if (deadline_.expired() && begin_ < end_) {
                started_ = net::Clock::now();
                request_bytes_ = end_ - begin_;
                log_method_ = "-";
                log_target_ = "-";
                head_.method = http::Method::other;
                head_.version_minor = 1;
                set_error(408, "request head not received in time");
                co_await respond_error();
            }
            co_return false;
        }
        end_ += n;
    }
}

bool Session::request_keep_alive_possible() const {
    return head_.keep_alive && request_body_.done() && !worker_.draining();
}

void Session::build_forward_path(const RouteRuntime& route) {
    const std::string_view path = path_.forward;
    if (!route.config->rewrite) {
        forward_path_.assign(path);
        return;
    }
    const std::string& rewrite = *route.config->rewrite;
    const std::string& prefix = route.config->prefix;
    std::string_view rest = path.size() > prefix.size() ? path.substr(prefix.size()) : std::string_view{};
    forward_path_.assign(rewrite);
    if (!rest.empty() && rest.front() != '/' && (forward_path_.empty() || forward_path_.back() != '/'))
        forward_path_.push_back('/');
    if (!rest.empty() && rest.front() == '/' && !forward_path_.empty() && forward_path_.back() == '/')
        rest.remove_prefix(1);
    forward_path_.append(rest);
    if (forward_path_.empty()) forward_path_ = "/";
}

awaitable<bool> Session::serve_request() {
    started_ = net::Clock::now();
    bytes_sent_ = 0;
    log_pool_ = {};
    log_server_ = {};
    retries_ = 0;
    continue_sent_ = false;
    body_streamed_ = false;
    runtime_ = worker_.runtime();
    route_ = nullptr;
    listener_ = runtime_->find_listener(listener_name_);
    if (!listener_) co_return false;  // the listener was removed by a reload
    log_method_.assign(head_.method_text);
    // Tokens and passwords in the query are forwarded as sent but never logged.
    http::redact_target(head_.target.substr(0, 1024), runtime_->config.redact_params, log_target_);

    // The request body (if any) starts right after the head; note what of it is already buffered.
    const std::uint64_t max_body = runtime_->config.limits.max_request_body;
    request_body_.start(head_.framing, head_.content_length, false, max_body);
    const std::string_view after_head = client_data().substr(head_.head_size);
    body_in_buffer_ = request_body_.take(after_head);
    request_bytes_ = head_.head_size + body_in_buffer_;
    if (request_body_.error()) {
        set_error(request_body_.error_status(), request_body_.error());
        co_return co_await respond_error();
    }
    // Refused before any of the body is read or relayed; the connection closes (the body is not drained).
    if (max_body != 0 && head_.framing == http::BodyFraming::content_length && head_.content_length > max_body) {
        set_error(413, "request body larger than limits.max_request_body");
        co_return co_await respond_error();
    }

    if (!allowed_) {
        set_error(403, "client address not allowed");
        co_return co_await respond_error();
    }
    if (head_.method == http::Method::connect) {
        head_.keep_alive = false;  // what follows a CONNECT would be tunnel bytes, not a request
        set_error(405, "CONNECT is not supported");
        co_return co_await respond_error();
    }

    const bool keep_escapes = listener_->config->keep_path_escapes;
    const auto path_error = http::normalize_path(head_.path, path_, keep_escapes);
    if (path_error != http::PathError::none) {
        set_error(400, http::to_string(path_error));
        co_return co_await respond_error();
    }
    // With `path_escapes: keep` the server may read "..;" or "%2F" either way: deny if either reading hits.
    const auto is_denied = [&](const http::NormalizedPath& p) {
        return denied(*listener_->config, p.match) || (keep_escapes && denied(*listener_->config, p.forward));
    };
    if (is_denied(path_)) {
        set_error(403, "path is not allowed");
        co_return co_await respond_error();
    }

    gis_ = gis::classify(path_.forward);
    const RouteRuntime* route = listener_->route_for(path_.forward, gis_);
    if (!route || !route->pool) {
        set_error(404, "no route for this path");
        co_return co_await respond_error();
    }
    build_forward_path(*route);
    route_ = route;
    if (route->config->rewrite && !listener_->config->deny_paths.empty()) {
        // deny_paths name what a server must never be asked for, so they hold on the upstream path too: with
        // `{prefix: /server, rewrite: /arcgis}` the client path /server/admin is the server's /arcgis/admin.
        // forward_path_ is already normalised (path_.forward plus the rewrite), so this cannot fail.
        if (http::normalize_path(forward_path_, forward_match_, keep_escapes) != http::PathError::none ||
            is_denied(forward_match_)) {
            set_error(403, "path is not allowed");
            co_return co_await respond_error();
        }
    }
    const bool keep = co_await forward(*route, *pool_for(*route));
    cache_finish();
    co_return keep;
}

// A `discover` route sends a service to the pool whose catalog lists it (the route's own pool when that one
// does, or when no catalog lists the service).
balance::PoolRuntime* Session::pool_for(const RouteRuntime& route) const {
    if (!route.config->discover_every || !runtime_->discovery || gis_.service.empty()) return route.pool;
    const auto map = runtime_->discovery->current();
    const std::vector<std::string>* hosting = map ? map->find(gis_.folder, gis_.service) : nullptr;
    if (!hosting || hosting->empty()) return route.pool;
    for (const auto& name : *hosting)
        if (name == route.pool->name()) return route.pool;
    balance::PoolRuntime* other = runtime_->find_pool(hosting->front());
    return other ? other : route.pool;
}

// The server this request must or should go to (balance/affinity.hpp): its geoprocessing job's (only that site
// knows the job), the client's private NTLM/Negotiate connection's, or the sticky cookie's. Only chooses:
// balance::select() decides whether that server can take the request.
awaitable<balance::Affinity> Session::choose_affinity() {
    using Kind = balance::Affinity::Kind;
    set_sticky_cookie_ = false;
    const auto& pool_config = pool_->config();
    gis::JobTable* jobs = pool_config.job_affinity.enabled ? runtime_->job_table(pool_->name()) : nullptr;
    if (jobs && !gis_.job_id.empty()) {
        const std::optional<std::string> owner = jobs->owner(gis_.job_id);
        balance::ServerRuntime* server = owner ? pool_->find_server(*owner) : nullptr;
        if (!server) {
            // Not in the table (gisgate restarted, or another node saw the submit): ask the sites.
            const bool directory = gis_.operation.empty() || gis_.type.empty();
            const std::string probe = directory ? forward_path_ : job_probe_path(gis_, forward_path_);
            server = co_await find_job_owner(*pool_, probe, directory, pool_config.health.timeout);
            if (server) jobs->record(gis_.job_id, server->name);
        }
        if (server) co_return balance::Affinity::to(Kind::job, server);
    }
    if (balance::ServerRuntime* mine = private_server_in(*pool_)) co_return balance::Affinity::to(Kind::connection, mine);
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
            affinity.binding() ? gis_.job_id : std::string_view{}};
}

// The request's server connection: the client's private one to server_, a new one for a request that starts
// an NTLM/Negotiate handshake, or a pooled one (a new one when none fits). True when it was used before.
bool Session::take_server_connection(bool auth_request) {
    // A request that must not be replayed only gets a pooled connection that was idle very briefly, so a
    // server closing its idle connection cannot race with it (HAProxy's "http-reuse safe" idea).
    const bool replayable = replayable_on_stale_connection(head_.method, settings_.state_changing);
    upstream_ = take_private(server_->id);
    if (upstream_ && !still_open(*upstream_, *server_)) upstream_.reset();  // closed: a new handshake
    if (upstream_) {
        private_exchange_ = true;
    } else if (!auth_request) {
        upstream_ = worker_.upstreams().take_idle(
            *server_, replayable ? net::Clock::duration::max() : std::chrono::seconds(2),
            worker_.loop().deadlines().now());
    }  // else a handshake message starts on a connection of its own: never a pooled one
    // A pooled connection made before a reload switched the pool's TLS on or off does not fit any more.
    if (upstream_ && upstream_->socket.tls() != (pool_->tls() != nullptr)) upstream_.reset();
    const bool reused = upstream_ != nullptr;
    if (!reused) {
        upstream_ = std::make_unique<UpstreamConnection>(worker_.context());
        upstream_->server_id = server_->id;
    }
    upstream_->server = server_;
    return reused;
}

awaitable<bool> Session::forward(const RouteRuntime& route, balance::PoolRuntime& pool) {
    pool_ = &pool;
    log_pool_ = pool_->name();
    const auto& pool_config = pool_->config();
    // The route's overrides of the pool's timeouts and retries, and whether this request may ever be replayed.
    const config::RouteConfig& rc = *route.config;
    settings_ = {rc.connect_timeout.value_or(pool_config.timeouts.connect),
                 rc.server_timeout.value_or(pool_config.timeouts.server), rc.retries.value_or(pool_config.retries),
                 rc.retry_on_timeout, is_state_changing(gis_, path_.forward)};
    RequestRewrite rewrite{forward_path_, route.config->host ? std::string_view(*route.config->host) : std::string_view{},
                           client_ip_, client_.tls() ? "https" : "http"};
    write_request_head(head_, rewrite, out_);
    if (pool_config.cache) {
        const CacheStep step = co_await cache_before_forward();
        if (step.served) co_return step.keep;
    }
    const std::size_t request_head_size = out_.size();

    // Windows authentication binds the server connection: a request that starts or continues an NTLM/Negotiate
    // handshake never takes a pooled connection, and a client with a private connection stays on it.
    const bool auth_request = request_binds_connection(head_);
    private_exchange_ = auth_request;
    balance::Affinity affinity;
    // Calling a coroutine allocates its frame: only requests that can be pinned pay for the call.
    if (!gis_.job_id.empty() || pool_config.sticky == config::Sticky::cookie || !private_upstreams_.empty())
        affinity = co_await choose_affinity();
    else
        set_sticky_cookie_ = false;

    balance::TriedSet tried;
    std::string last_failure;
    int last_failure_status = 502;  // 504 when the last server failed by not answering in time
    std::uint32_t attempt = 0, stale_retries = 0;
    for (;;) {
        balance::Selection selected = balance::try_select(*pool_, affinity, tried, worker_.index());
        if (selected.status == balance::AcquireStatus::queue_full)
            selected = co_await balance::select(*pool_, affinity, tried, worker_.index());
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
                    set_error(503, job_owner_unavailable(gis_.job_id, affinity.server->name, "down"));
                else if (tried.size() == 0)
                    set_error(503, "no server available in pool " + pool_->name());
                else
                    set_error(last_failure_status, "no server reachable: " + last_failure);
                co_return co_await respond_error();
            case balance::AcquireStatus::queue_full:
            case balance::AcquireStatus::queue_timeout: {
                const auto secs = std::chrono::duration_cast<std::chrono::seconds>(pool_config.queue.timeout).count();
                set_error(503,
                          selected.status == balance::AcquireStatus::queue_full
                              ? "all servers of pool " + pool_->name() + " are busy and the queue is full"
                              : "all servers of pool " + pool_->name() + " stayed busy for the queue timeout",
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
            const error_code ec = co_await connect_upstream(*upstream_, pool_->tls());
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
                decision = decide_retry(retry_context(timed_out ? Failure::connect_timeout : Failure::connect_failed,
                                                      false, attempt, stale_retries, affinity, detail));
            }
        }
        if (connected) {
            out_.resize(request_head_size);  // a retry resends the same head
            const Attempt result = co_await attempt_exchange(reused);
            if (result == Attempt::responded) co_return co_await relay_response();
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
    deadline_.arm(settings_.server, kServer);
    co_await asio::async_write(upstream_->socket, first, ec_token(ec));
    deadline_.disarm();
    if (ec) {
        co_return server_failed(Failure::send_failed);
    }
    if (!request_body_.done()) {
        const Attempt sent = co_await send_request_body();
        if (sent != Attempt::responded) co_return sent;
    }
    co_return co_await read_response_head(reused);
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
        const auto wait = pace.next_wait();
        if (wait <= net::Clock::duration::zero()) {
            set_error(408, "request body arriving too slowly");
            co_return Attempt::failed;
        }
        deadline_.arm(wait, kClientIo);
        const auto read_started = net::Clock::now();
        const std::size_t n = co_await client_.async_read_some(asio::buffer(buf_.get(), kBlock), ec_token(ec));
        const bool timed_out = deadline_.expired();
        deadline_.disarm();
        pace.on_read(net::Clock::now() - read_started, n);
        if (ec) {
            if (timed_out) {
                set_error(408, "request body not received in time");
                co_return Attempt::failed;
            }
            client_closed_ = true;
            co_return Attempt::client_gone;
        }
        end_ = n;
        const std::size_t take = request_body_.take({buf_.get(), n});
        if (request_body_.error()) {
            set_error(request_body_.error_status(), request_body_.error());
            co_return Attempt::failed;
        }
        deadline_.arm(server_timeout, kServer);
        co_await asio::async_write(upstream_->socket, asio::buffer(buf_.get(), take), ec_token(ec));
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

awaitable<Session::Attempt> Session::read_response_head(bool reused) {
    const auto server_timeout = settings_.server;
    if (!up_buf_) up_buf_ = worker_.loop().buffers().acquire();
    up_begin_ = up_end_ = 0;
    error_code ec;
    // Interim (1xx) heads are skipped, but boundedly: a server streaming "100 Continue" forever must get a 502,
    // not hold the session (and a worker, were the buffer ever left full) forever.
    constexpr std::size_t kMaxInterim = 100;
    std::size_t interim = 0, interim_bytes = 0;
    bool received = false;  // any byte from the server for this request (then it may have acted on it)
    for (;;) {
        if (up_begin_ < up_end_) {
            const std::string_view data(up_buf_.get() + up_begin_, up_end_ - up_begin_);
            const auto r = http::parse_response_head(data, head_.method, static_cast<std::uint32_t>(kBlock),
                                                     runtime_->config.limits.max_headers, response_);
            if (r.status == http::ParseStatus::error) {
                spdlog::warn("pool {}: server {} sent a malformed response: {}", pool_->name(), server_->name,
                             r.error ? r.error : "?");
                set_error(502, "malformed response from server");
                co_return Attempt::failed;
            }
            if (r.status == http::ParseStatus::complete) {
                if (response_.status >= 100 && response_.status < 200) {
                    if (response_.status == 101) {
                        set_error(502, "server switched protocols, which gisgate does not relay");
                        co_return Attempt::failed;
                    }
                    up_begin_ += response_.head_size;  // interim response: we sent 100 Continue ourselves
                    interim_bytes += response_.head_size;
                    if (++interim > kMaxInterim || interim_bytes > runtime_->config.limits.max_header_size) {
                        spdlog::warn("pool {}: server {} sent more than {} interim (1xx) responses or {} bytes of them",
                                     pool_->name(), server_->name, kMaxInterim, runtime_->config.limits.max_header_size);
                        set_error(502, "too many interim (1xx) responses from server");
                        co_return Attempt::failed;
                    }
                    continue;
                }
                co_return Attempt::responded;
            }
        }
        // Room to read into, always: a read into a full buffer returns 0 bytes at once and would spin.
        if (up_begin_ == up_end_) {
            up_begin_ = up_end_ = 0;
        } else if (up_end_ == kBlock) {
            if (up_begin_ == 0) {
                set_error(502, "response head from server too large");
                co_return Attempt::failed;
            }
            std::memmove(up_buf_.get(), up_buf_.get() + up_begin_, up_end_ - up_begin_);
            up_end_ -= up_begin_;
            up_begin_ = 0;
        }
        deadline_.arm(server_timeout, kServer);
        const std::size_t n = co_await upstream_->socket.async_read_some(
            asio::buffer(up_buf_.get() + up_end_, kBlock - up_end_), ec_token(ec));
        const bool timed_out = deadline_.expired();
        deadline_.disarm();
        if (ec) {
            // Once any byte of a response arrived the server may have acted: never again (and no retry).
            if (timed_out && received) set_error(504, "server did not answer in time");
            else if (received) set_error(502, "server closed the connection in the middle of its response head");
            else co_return server_failed(timed_out ? Failure::timed_out_without_answer : Failure::closed_without_answer);
            co_return Attempt::failed;
        }
        up_end_ += n;
        received = received || n > 0;
    }
}

awaitable<bool> Session::relay_response() {
    if (cache_tagged_ && cache_on_response_head()) {
        // The server's 304 to our revalidation: nothing to relay, answer from the refreshed entry.
        up_begin_ += response_.head_size;
        release_upstream(response_.keep_alive && !response_.until_close && request_body_.done() &&
                         up_begin_ == up_end_);
        const std::shared_ptr<const cache::Entry> entry = cache_stale_;
        co_return co_await serve_cached(*entry);
    }
    // The server asks for (or continues) an NTLM/Negotiate handshake: this connection is now this client's.
    if (!private_exchange_ && response_binds_connection(response_)) private_exchange_ = true;
    const auto server_timeout = settings_.server;
    const auto client_timeout = runtime_->config.timeouts.idle;
    const int status = response_.status;
    response_body_.start(response_.framing, response_.content_length, response_.until_close);
    // An HTTP/1.0 client cannot read the chunked coding (RFC 9112 §6.1): it gets the chunk data only, delimited
    // by closing the connection, as NGINX and HAProxy do. (A compliant server does not send chunked to the
    // HTTP/1.0 request gisgate forwards for such a client; this covers the ones that do.)
    const bool dechunk = response_.framing == http::BodyFraming::chunked && head_.version_minor == 0;
    dechunker_.reset();
    const bool keep_client =
        request_keep_alive_possible() && !response_.until_close && !client_closed_ && !dechunk;
    // Redirects that point at the server's own host or context follow the public URL instead.
    const config::RouteConfig* rc = route_ ? route_->config : nullptr;
    std::string server_authority;
    LocationRewrite location;
    // Only a response that carries such a header pays for the server's address text (most do not).
    const auto names_location = [&] {
        for (const auto& h : response_.headers)
            if (iequals(h.name, "location") || iequals(h.name, "content-location") || iequals(h.name, "refresh"))
                return true;
        return false;
    };
    const bool rewrite_location = rc && rc->rewrite_location && (rc->rewrite || rc->host) && names_location();
    if (rewrite_location) {
        server_authority = server_->address.to_string();
        location = {rc->rewrite ? std::string_view(*rc->rewrite) : std::string_view{}, rc->prefix, server_authority,
                    rc->host ? std::string_view(*rc->host) : std::string_view{}, head_.host,
                    client_.tls() ? "https" : "http"};
    }
    write_response_head(response_, keep_client, head_.version_minor, out_, rewrite_location ? &location : nullptr,
                        dechunk);
    if (set_sticky_cookie_) {
        // Before the blank line that ends the head.
        out_.insert(out_.size() - 2, "Set-Cookie: " + pool_->config().sticky_cookie + "=" +
                                         sticky_token(pool_->name(), server_->name) + "; Path=/; HttpOnly\r\n");
    }
    if (cache_tagged_) out_.insert(out_.size() - 2, "X-Cache: MISS\r\n");
    const bool upstream_keep = response_.keep_alive && !response_.until_close;
    // A submitJob answer names the new job: keep its body (small JSON) to learn which server owns the job.
    gis::JobTable* jobs = pool_->config().job_affinity.enabled && gis_.submit_job && status == 200
                              ? runtime_->job_table(pool_->name())
                              : nullptr;
    const bool chunked_body = response_.framing == http::BodyFraming::chunked;
    capture_.clear();
    capture_encoding_.clear();
    if (jobs)
        for (const auto& h : response_.headers)
            if (iequals(h.name, "content-encoding")) capture_encoding_.assign(h.value);
    constexpr std::size_t kMaxCapture = 256 * 1024;
    auto capture = [&](const char* data, std::size_t n) {
        if (jobs && capture_.size() + n <= kMaxCapture) capture_.append(data, n);
        cache_capture(data, n);
    };

    // What of `n` raw body bytes at `data` goes to the client: the bytes, or their chunk data when dechunking.
    auto client_bytes = [&](const char* data, std::size_t n) {
        if (!dechunk) return asio::const_buffer(data, n);
        dechunked_.clear();
        dechunker_.feed({data, n}, &dechunked_);
        return asio::const_buffer(dechunked_.data(), dechunked_.size());
    };

    up_begin_ += response_.head_size;  // response_ views are not used after this point
    std::size_t take = response_body_.take({up_buf_.get() + up_begin_, up_end_ - up_begin_});
    capture(up_buf_.get() + up_begin_, take);
    error_code ec;
    const std::array<asio::const_buffer, 2> first{asio::buffer(out_), client_bytes(up_buf_.get() + up_begin_, take)};
    deadline_.arm(client_timeout, kClientIo);
    bytes_sent_ += co_await asio::async_write(client_, first, ec_token(ec));
    deadline_.disarm();
    up_begin_ += take;
    if (ec) {
        release_upstream(false);
        log_request(status);
        co_return false;
    }

    while (!response_body_.done() && !response_body_.error()) {
        if (up_begin_ < up_end_) {
            // Bytes beyond the body in the buffer while the body is not done cannot happen; guard anyway.
            break;
        }
        deadline_.arm(server_timeout, kServer);
        const std::size_t n =
            co_await upstream_->socket.async_read_some(asio::buffer(up_buf_.get(), kBlock), ec_token(ec));
        deadline_.disarm();
        if (ec) {
            if (ec == asio::error::eof) response_body_.on_eof();
            break;
        }
        up_begin_ = 0;
        up_end_ = n;
        take = response_body_.take({up_buf_.get(), n});
        capture(up_buf_.get(), take);
        deadline_.arm(client_timeout, kClientIo);
        bytes_sent_ += co_await asio::async_write(client_, client_bytes(up_buf_.get(), take), ec_token(ec));
        deadline_.disarm();
        up_begin_ = take;
        if (ec) break;
    }

    const bool complete = response_body_.done() && !ec;
    cache_on_response_end(complete);
    if (jobs && complete) {
        const std::string body = chunked_body ? health::dechunk(capture_, kMaxCapture) : capture_;
        if (const auto job = gis::job_id_from_submit_response(body, capture_encoding_)) {
            jobs->record(*job, server_->name);
            spdlog::debug("pool {}: job {} submitted to server {}", pool_->name(), *job, server_->name);
        }
    }
    if (!complete && !response_body_.done()) {
        spdlog::warn("pool {}: response from server {} cut short ({})", pool_->name(), server_->name,
                     response_body_.error() ? response_body_.error() : ec.message());
    }
    // Reuse the server connection only for a cleanly ended exchange with nothing unexpected left over: bytes
    // past the end of the response (more than Content-Length, or anything after a body-less answer) are
    // never read as the next response.
    if (complete && up_begin_ != up_end_)
        spdlog::warn("pool {}: server {} sent {} bytes after its complete response: connection closed, bytes dropped",
                     pool_->name(), server_->name, up_end_ - up_begin_);
    release_upstream(complete && upstream_keep && request_body_.done() && up_begin_ == up_end_);
    log_request(status);
    if (!response_body_.done() || ec) co_return false;
    finish_request_in_buffer();
    co_return keep_client;
}

// Advances the client buffer past the finished request; what remains is the next pipelined request.
void Session::finish_request_in_buffer() {
    if (!body_streamed_) begin_ += head_.head_size + body_in_buffer_;
    if (begin_ >= end_) begin_ = end_ = 0;
}

void Session::release_upstream(bool reusable) {
    if (upstream_) {
        if (reusable && private_exchange_) {
            keep_private(std::move(upstream_));
        } else if (reusable) {
            ++upstream_->requests;
            worker_.upstreams().put_idle(std::move(upstream_), pool_->config().keepalive_per_server,
                                         worker_.loop().deadlines().now());
        } else {
            error_code ec;
            upstream_->socket.close(ec);
        }
        upstream_.reset();
    }
    up_buf_.reset();
    up_begin_ = up_end_ = 0;
    if (server_) {
        pool_->release(server_);
        server_ = nullptr;
    }
}

balance::ServerRuntime* Session::private_server_in(const balance::PoolRuntime& pool) const {
    for (const auto& connection : private_upstreams_)
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

awaitable<bool> Session::respond_error() {
    const ErrorResponse& error = error_;
    // Keep the connection only when the request was fully read (so the next bytes are a new request).
    const bool keep = error.status != 408 && request_keep_alive_possible() && !client_closed_ &&
                      error.status != 400 && error.status != 414 && error.status != 431;
    write_error_response(error, keep, head_.method == http::Method::head, out_);
    error_code ec;
    if (!client_closed_) {
        deadline_.arm(runtime_ ? runtime_->config.timeouts.idle : std::chrono::seconds(60), kClientIo);
        bytes_sent_ += co_await asio::async_write(client_, asio::buffer(out_), ec_token(ec));
        deadline_.disarm();
    }
    log_request(error.status);
    if (keep && !ec) {
        finish_request_in_buffer();
        co_return true;
    }
    co_await lingering_close();
    co_return false;
}

// Closing a socket with unread request bytes makes the kernel send RST, which can destroy the error response
// before the client reads it. Shut down our side, then read and discard for a short while.
awaitable<void> Session::lingering_close() {
    error_code ec;
    if (client_.tls()) co_await close_notify();
    client_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) co_return;
    if (!buf_) buf_ = worker_.loop().buffers().acquire();
    deadline_.arm(std::chrono::seconds(2), kClientIo);
    std::size_t discarded = 0;
    while (discarded < 4 * kBlock) {
        // The raw socket: what is discarded need not be decrypted.
        const std::size_t n =
            co_await client_.socket().async_read_some(asio::buffer(buf_.get(), kBlock), ec_token(ec));
        if (ec) break;
        discarded += n;
    }
    deadline_.disarm();
    begin_ = end_ = 0;
}

// TLS handshake on a new client connection, within the header timeout. False: the connection is closed.
awaitable<bool> Session::start_tls(const ListenerRuntime& listener) {
    client_.start_tls(listener.tls);  // the session keeps these certificates even if a reload replaces them
    error_code ec;
    deadline_.arm(worker_.runtime()->config.timeouts.header, kHeader);
    co_await client_.async_handshake(net::ssl::stream_base::server, ec_token(ec));
    deadline_.disarm();
    if (ec) {
        // By name: a reload during the handshake may have replaced `listener`.
        spdlog::debug("listener {}: TLS handshake with {} failed: {}", listener_name_, client_ip_,
                      deadline_.expired() ? std::string("timeout") : ec.message());
        co_return false;
    }
    co_return true;
}

// Tells a TLS client the connection ends here (close_notify), so it can tell a complete close-delimited body
// from a cut one. Bounded: a client that stopped reading must not hold the session.
awaitable<void> Session::close_notify() {
    error_code ec;
    deadline_.arm(std::chrono::seconds(2), kClientIo);
    co_await client_.async_close_notify(ec_token(ec));
    deadline_.disarm();
}

void Session::log_request(int status) {
    const auto elapsed = net::Clock::now() - started_;
    worker_.stats().record({static_cast<metrics::Kind>(gis_.kind), gis_.folder, gis_.service, gis_.type, log_pool_,
                            log_server_, status,
                            static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()),
                            request_bytes_, bytes_sent_, retries_});
    AccessLog& log = worker_.access_log();
    if (log.enabled()) {
        const std::string_view listener_name =
            listener_ ? std::string_view(listener_->config->name) : std::string_view("-");
        log.record({client_ip_, listener_name, log_method_, log_target_, head_.version_minor, status, log_pool_,
                    log_server_, bytes_sent_, std::chrono::duration<double, std::milli>(elapsed).count()});
    }
    // A request refused before it is routed must not inherit this one's service, pool, server or byte counts.
    gis_ = {};
    log_pool_ = {};
    log_server_ = {};
    retries_ = 0;
    request_bytes_ = 0;
    bytes_sent_ = 0;
}

}  // namespace gisgate::proxy
