// The phases of one request before it is forwarded, in order (Pingora's ProxyHttp phases, HAProxy's
// analysers): begin, admit (listener, body framing and size, client address, method), classify (path
// normalisation, deny_paths, the GIS classification), route (route, rewrite, deny_paths on the rewritten path,
// pool). Each either passes the request on or answers it (Phase::respond with error_ set). Then forward()
// (session_forward.cpp: cache → select → exchange) and relay_response() (session_relay.cpp) respond, and
// log_request() logs.
#include "proxy/session.hpp"

#include <fmt/format.h>

#include "config/enum_names.hpp"
#include "http/redact.hpp"
#include "http/upgrade.hpp"
#include "proxy/worker.hpp"

namespace gisgate::proxy {

namespace {

bool denied(const config::ListenerConfig& listener, std::string_view match_path) {
    for (const auto& prefix : listener.deny_paths)
        if (http::has_prefix_icase(match_path, prefix)) return true;
    return false;
}

}  // namespace

bool Session::request_keep_alive_possible() const {
    return head_.keep_alive && request_body_.done() && !worker_.draining() && !retired_;
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
    static constexpr Phase (Session::*kPhases[])() = {&Session::begin_request, &Session::admit, &Session::classify,
                                                       &Session::route_request};
    for (const auto phase : kPhases) {
        switch ((this->*phase)()) {
            case Phase::next: continue;
            case Phase::respond: co_return co_await respond_error();
            case Phase::close: co_return false;
        }
    }
    const bool keep = co_await forward(*route_, *pool_);
    cache_.finish();
    tunnel_slot_.release();  // a handshake the server did not accept
    co_return keep;
}

// Per-request state reset, the runtime this request uses (a reload swaps it between requests), what is logged.
Session::Phase Session::begin_request() {
    started_ = net::Clock::now();
    bytes_sent_ = 0;
    timing_ = {};
    log_pool_ = {};
    log_server_ = {};
    retries_ = 0;
    continue_sent_ = false;
    body_streamed_ = false;
    runtime_ = worker_.runtime();
    route_ = nullptr;
    pool_ = nullptr;
    listener_ = runtime_->find_listener(listener_name_);
    if (!listener_) return Phase::close;  // the listener was removed by a reload
    log_method_.assign(head_.method_text);
    // Tokens and passwords in the query are forwarded as sent but never logged.
    http::redact_target(head_.target.substr(0, 1024), runtime_->config.redact_params, log_target_);
    identify_request();
    return Phase::next;
}

// The request id (a trusted proxy's, or a new one) and the traceparent to send (tracing: config), and what the
// JSON access log needs from the head: the head's bytes may be overwritten by the body before the log line.
void Session::identify_request() {
    const config::TracingConfig& tracing = runtime_->config.tracing;
    request_id_.clear();
    traceparent_.clear();
    drop_tracestate_ = false;
    std::string_view incoming_id, incoming_traceparent, user_agent, referer;
    for (const auto& h : head_.headers) {
        if (!tracing.request_id_header.empty() && iequals(h.name, tracing.request_id_header)) incoming_id = h.value;
        else if (h.name.size() == 11 && iequals(h.name, "traceparent")) incoming_traceparent = h.value;
        else if (h.name.size() == 10 && iequals(h.name, "user-agent")) user_agent = h.value;
        else if (h.name.size() == 7 && iequals(h.name, "referer")) referer = h.value;
    }
    http::IdSource& ids = worker_.ids();
    bool id_made_here = false;
    if (!tracing.request_id_header.empty()) {
        // Only a trusted proxy's id is kept: anyone else could pick ids that collide with other requests' logs.
        if (trusted_forwarded_ && http::acceptable_request_id(incoming_id)) {
            request_id_.assign(incoming_id);
        } else {
            http::make_request_id(ids, request_id_);
            id_made_here = true;
        }
    }
    if (tracing.create_traceparent) {
        const auto incoming = incoming_traceparent.empty() ? std::nullopt : http::parse_traceparent(incoming_traceparent);
        drop_tracestate_ = !incoming;  // a tracestate without a valid traceparent belongs to no trace (§3.3)
        http::make_traceparent(ids, incoming, request_id_, traceparent_, id_made_here);
    }
    if (runtime_->config.access_log_format == config::AccessLogFormat::json) {
        log_user_agent_.assign(user_agent.substr(0, 512));
        log_referer_.assign(referer.substr(0, 1024));
    }
}

// Whether the request may be served at all: its body framing and size, the client's address, the method.
Session::Phase Session::admit() {
    // The request body (if any) starts right after the head; note what of it is already buffered.
    const std::uint64_t max_body = runtime_->config.limits.max_request_body;
    request_body_.start(head_.framing, head_.content_length, false, max_body);
    const std::string_view after_head = client_data().substr(head_.head_size);
    body_in_buffer_ = request_body_.take(after_head);
    request_bytes_ = head_.head_size + body_in_buffer_;
    if (request_body_.error()) {
        set_error(request_body_.error_status(), request_body_.error());
        return Phase::respond;
    }
    // Refused before any of the body is read or relayed; the connection closes (the body is not drained).
    if (max_body != 0 && head_.framing == http::BodyFraming::content_length && head_.content_length > max_body) {
        set_error(413, "request body larger than limits.max_request_body");
        return Phase::respond;
    }
    if (!allowed_) {
        set_error(403, "client address not allowed");
        return Phase::respond;
    }
    if (head_.method == http::Method::connect) {
        head_.keep_alive = false;  // what follows a CONNECT would be tunnel bytes, not a request
        set_error(405, "CONNECT is not supported");
        return Phase::respond;
    }
    // Upgrades: WebSocket is tunnelled after the server's 101; h2c is ignored (the request is served over
    // HTTP/1.1, as RFC 9113 §3.1 lets a server do); anything else is refused, never relayed blindly.
    const http::UpgradeRequest upgrade = http::upgrade_requested(head_);
    websocket_ = upgrade.kind == http::Upgrade::websocket;
    if (upgrade.kind == http::Upgrade::invalid) {
        head_.keep_alive = false;
        set_error(400, "malformed WebSocket handshake: it needs GET over HTTP/1.1, no body, a Sec-WebSocket-Key "
                       "and Sec-WebSocket-Version: 13");
        return Phase::respond;
    }
    if (upgrade.kind == http::Upgrade::other) {
        set_error(501, fmt::format("Upgrade to '{}' is not supported: gisgate relays WebSocket only",
                                   upgrade.protocol.substr(0, 64)));
        return Phase::respond;
    }
    return Phase::next;
}

// The path, once: normalised (what is sent), checked against deny_paths, classified as GIS traffic.
Session::Phase Session::classify() {
    const bool keep_escapes = listener_->config->keep_path_escapes;
    const auto path_error = http::normalize_path(head_.path, path_, keep_escapes);
    if (path_error != http::PathError::none) {
        set_error(400, http::to_string(path_error));
        return Phase::respond;
    }
    if (is_denied(path_)) {
        set_error(403, "path is not allowed");
        return Phase::respond;
    }
    gis_ = gis::classify(path_.forward);
    return Phase::next;
}

// With `path_escapes: keep` the server may read "..;" or "%2F" either way: deny if either reading hits.
bool Session::is_denied(const http::NormalizedPath& p) const {
    const bool keep_escapes = listener_->config->keep_path_escapes;
    return denied(*listener_->config, p.match) || (keep_escapes && denied(*listener_->config, p.forward));
}

// The route, the path the server is sent (its rewrite), deny_paths on that path too, and the pool.
Session::Phase Session::route_request() {
    const RouteRuntime* route = listener_->route_for(path_.forward, gis_);
    if (!route || !route->pool) {
        set_error(404, "no route for this path");
        return Phase::respond;
    }
    build_forward_path(*route);
    route_ = route;
    if (route->config->rewrite && !listener_->config->deny_paths.empty()) {
        // deny_paths name what a server must never be asked for, so they hold on the upstream path too: with
        // `{prefix: /server, rewrite: /arcgis}` the client path /server/admin is the server's /arcgis/admin.
        // forward_path_ is already normalised (path_.forward plus the rewrite), so this cannot fail.
        const bool keep_escapes = listener_->config->keep_path_escapes;
        if (http::normalize_path(forward_path_, forward_match_, keep_escapes) != http::PathError::none ||
            is_denied(forward_match_)) {
            set_error(403, "path is not allowed");
            return Phase::respond;
        }
    }
    pool_ = pool_for(*route);
    return Phase::next;
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

awaitable<bool> Session::respond_error() {
    const ErrorResponse& error = error_;
    // Keep the connection only when the request was fully read (so the next bytes are a new request).
    const bool keep = error.status != 408 && request_keep_alive_possible() && !client_closed_ &&
                      error.status != 400 && error.status != 414 && error.status != 431;
    write_error_response(error, keep, head_.method == http::Method::head, out_);
    add_field_to_head(out_, request_id_field());
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

metrics::StatsSlot* Session::log_request(int status) {
    const auto elapsed = net::Clock::now() - started_;
    // A request that reached a pool has an operation class (set in forward()).
    const std::string_view op_class =
        log_pool_.empty() ? std::string_view() : config::name_of(config::kOperationClassNames, op_class_);
    metrics::StatsSlot* service = worker_.stats().record({static_cast<metrics::Kind>(gis_.kind), gis_.folder, gis_.service, gis_.type, log_pool_,
                            log_server_, status,
                            static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()),
                            request_bytes_, bytes_sent_, retries_, op_class});
    AccessLog& log = worker_.access_log();
    if (log.enabled()) {
        const std::string_view listener_name =
            listener_ ? std::string_view(listener_->config->name) : std::string_view("-");
        using Ms = std::chrono::duration<double, std::milli>;
        AccessRecord record;
        record.client_ip = client_ip_;
        record.listener = listener_name;
        record.method = log_method_;
        record.target = log_target_;
        record.version_minor = head_.version_minor;
        record.status = status;
        record.pool = log_pool_;
        record.server = log_server_;
        record.bytes_sent = bytes_sent_;
        record.duration_ms = Ms(elapsed).count();
        record.http2 = client_.channel();  // an HTTP/2 stream's session serves a channel
        record.request_id = request_id_;
        if (traceparent_.size() == 55) record.trace_id = std::string_view(traceparent_).substr(3, 32);
        record.folder = gis_.folder;
        record.service = gis_.service;
        record.type = gis_.type;
        record.operation = gis_.operation;
        record.bytes_received = request_bytes_;
        record.queue_ms = Ms(timing_.queue).count();
        record.connect_ms = Ms(timing_.connect).count();
        record.server_ms = Ms(timing_.server).count();
        record.user_agent = log_user_agent_;
        record.referer = log_referer_;
        record.retries = retries_;
        log.record(record);
    }
    // A request refused before it is routed must not inherit this one's service, pool, server or byte counts.
    gis_ = {};
    log_pool_ = {};
    log_server_ = {};
    timing_ = {};
    retries_ = 0;
    request_bytes_ = 0;
    bytes_sent_ = 0;
    return service;
}

}  // namespace gisgate::proxy
