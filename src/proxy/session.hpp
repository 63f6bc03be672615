// One client connection and the life of each request on it: read the head, apply the listener's policy,
// route, take a server slot, relay the request and the response (streamed, bounded buffers), and keep both
// connections alive when the protocol allows.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "balance/affinity.hpp"
#include "balance/pool.hpp"
#include "cache/store.hpp"
#include "gis/classify.hpp"
#include "http/path.hpp"
#include "http/websocket_frames.hpp"
#include "http/request_head.hpp"
#include "http/response_head.hpp"
#include "net/buffer_pool.hpp"
#include "net/deadline.hpp"
#include "net/relay.hpp"
#include "proxy/body_cursor.hpp"
#include "proxy/cache_lookup.hpp"
#include "proxy/client_origin.hpp"
#include "proxy/error_response.hpp"
#include "proxy/head_writer.hpp"
#include "proxy/owner_capture.hpp"
#include "proxy/retry_policy.hpp"
#include "proxy/runtime.hpp"
#include "proxy/upstream.hpp"
#include "proxy/upstream_exchange.hpp"

namespace gisgate::metrics {
class StatsSlot;
}
namespace gisgate::h2 {
class Connection;
class StreamChannel;
}

namespace gisgate::proxy {

class BodyPace;
class ParkedConnection;
class Worker;

class Session {
public:
    Session(Worker& worker, tcp::socket socket, std::string listener);
    // One HTTP/2 stream of the connection `connection` serves (session_h2.cpp): the client as that session
    // accepted and judged it (origin, allow and trusted-proxy verdicts), as for every request of an HTTP/1.1
    // keep-alive connection.
    Session(std::shared_ptr<h2::StreamChannel> stream, const Session& connection);
    // The next request of a parked connection (parked_connection.hpp), which this session takes over.
    explicit Session(ParkedConnection& parked);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // The coroutine owns the session for the connection's lifetime.
    static awaitable<void> run(std::unique_ptr<Session> self);
    // A parked connection's next request arrived: a new session serves it (and the ones after it).
    static void resume(std::unique_ptr<ParkedConnection> parked);

    // How long an HTTP/1.1 keep-alive connection (plain or TLS) waits for its next request in its session
    // before it is parked (docs/architecture.md, "Idle keep-alive connections are parked"). Parking ends the
    // coroutines and frees the session; a client that sends its next request sooner (a busy keep-alive client)
    // never pays for that and for a new session. Deadlines are armed from the sweep's coarse clock, so this parks
    // a connection at the second sweep after its last response: after 100-200 ms of silence, never sooner (at
    // one tick, a busy client idle for a few microseconds at the sweep would be parked).
    static constexpr std::chrono::milliseconds kParkAfter{200};

    // Draining: a connection waiting for its next request is closed now; a busy one closes after its response.
    void close_if_idle();
    // Its listener was removed or bound elsewhere by a reload: as draining, for this connection only (an HTTP/2
    // connection sends GOAWAY; an HTTP/1.1 one closes now if idle, else after its response).
    void retire();
    const std::string& listener_name() const { return listener_name_; }
    // The connection's place under limits.max_connections*, given back when the session ends.
    void hold(ConnectionSlot slot) { slot_ = std::move(slot); }

private:
    static constexpr std::size_t kBlock = net::BufferPool::kBlockSize;
    enum Timeout : std::uint8_t { kNone, kHeader, kIdle, kClientIo, kConnect, kServer, kTunnel, kPark };

    // How one attempt to get a response from a server ended.
    enum class Attempt : std::uint8_t {
        responded,      // a response head arrived (relay it)
        server_failed,  // failure_ says how; decide_retry() says whether it goes again
        failed,         // answered with an error response already chosen (error_), never retried
        client_gone,    // the client went away: nothing to answer
    };

    static void on_deadline(void* self);

    awaitable<void> serve_connection();
    void take_client(const config::ListenerConfig& listener);
    awaitable<void> serve_requests();  // HTTP/1.1 requests until the connection (or the HTTP/2 stream) ends
    // HTTP/2 (session_h2.cpp): the connection's streams each get a session of their own.
    awaitable<void> serve_h2();
    awaitable<bool> h2c_preface_follows(net::Clock::duration timeout);
    awaitable<bool> read_request_head(unsigned had);  // had: requests before it (0, 1, 2 = more)
    awaitable<bool> serve_request();
    // The phases before forwarding (session_request.cpp): each passes the request on, answers it (error_ set),
    // or ends the connection.
    enum class Phase : std::uint8_t { next, respond, close };
    Phase begin_request();
    Phase admit();
    Phase classify();
    Phase route_request();
    bool is_denied(const http::NormalizedPath& path) const;
    awaitable<bool> forward(const RouteRuntime& route, balance::PoolRuntime& pool);
    // Job and upload affinity, private connections and stickiness: the server this request must or should go to.
    awaitable<balance::Affinity> choose_affinity();
    // Upload affinity (session_uploads.cpp): whether the request may name uploaded items, whether a form body is
    // still to come, reading its start ahead (Attempt::responded: go on), the ids it names (upload_ids_), and
    // their server.
    bool may_name_uploads() const;
    bool form_body_follows() const;
    awaitable<Attempt> read_form_prefix();
    void collect_upload_ids();
    awaitable<balance::ServerRuntime*> find_upload_owner(gis::JobTable& uploads);
    bool take_server_connection(bool auth_request);
    RetryContext retry_context(Failure failure, bool reused, std::uint32_t attempt, std::uint32_t stale_retries,
                               const balance::Affinity& affinity, std::string_view detail = {}) const;
    balance::PoolRuntime* pool_for(const RouteRuntime& route) const;
    awaitable<Attempt> attempt_exchange(bool reused);
    awaitable<Attempt> send_request_body();
    // One paced read of request body bytes (session_forward.cpp): `responded` with `n` bytes, else how it ended.
    awaitable<Attempt> read_body_paced(BodyPace& pace, char* into, std::size_t room, std::size_t& n);
    awaitable<Attempt> read_response_head();
    Attempt server_failed(Failure failure) {
        failure_ = failure;
        return Attempt::server_failed;
    }
    awaitable<bool> relay_response();
    // What write_now() left of a write (see net::Stream::write_now), awaited within `timeout`: the call sites
    // write at once what the connection takes and come here only for the rest.
    template <class Buffers>
    awaitable<std::size_t> write_rest(net::Stream& to, const Buffers& buffers, std::size_t written,
                                      net::Clock::duration timeout, Timeout kind, error_code& ec) {
        deadline_.arm(timeout, kind);
        const std::size_t n = co_await asio::async_write(to, net::write_tail(buffers, written), ec_token(ec));
        deadline_.disarm();
        co_return n;
    }
    // WebSocket (session_tunnel.cpp): after the server's 101, the connection is a tunnel until either side ends.
    awaitable<bool> tunnel();
    awaitable<void> pump_to_client(char* buffer, http::FrameBoundary& frames, net::RelayProgress& progress);
    void stop_tunnel();
    // Sends error_, set first with set_error(): GCC 12 destroys temporaries inside co_await expressions
    // twice, so no object with a destructor may be built in an awaited call's arguments.
    awaitable<bool> respond_error();
    void set_error(int status, std::string message, int retry_after_seconds = -1) {
        error_ = {status, std::move(message), retry_after_seconds};
    }
    void park();  // hands the idle connection to a ParkedConnection (after serve_connection ended for it)
    awaitable<void> lingering_close();
    awaitable<bool> start_tls(const ListenerRuntime& listener);
    awaitable<void> close_notify();

    // Response cache (session_cache.cpp): answer from the cache (true in `served`, with the keep-alive verdict)
    // or go on to the server, with cache_ prepared for the miss (coalescing, revalidation headers in out_).
    struct CacheStep {
        bool served = false;
        bool keep = false;
    };
    awaitable<CacheStep> cache_before_forward();
    awaitable<bool> serve_cached(const cache::Entry& entry);

    void build_forward_path(const RouteRuntime& route);
    bool request_keep_alive_possible() const;
    void finish_request_in_buffer();
    void release_upstream(bool reusable);
    // Private server connections (proxy/private_connection.hpp): the pool's server this client connection has
    // one to, taking it out for the current request, and keeping the current one after its exchange.
    balance::ServerRuntime* private_server_in(const balance::PoolRuntime& pool) const;
    std::unique_ptr<UpstreamConnection> take_private(std::uint32_t server_id);
    void keep_private(std::unique_ptr<UpstreamConnection> connection);
    std::string_view client_data() const { return {buf_.get() + begin_, end_ - begin_}; }
    void identify_request();
    // Empty before begin_request() ran (a head that did not parse has no id, and runtime_ may not be set yet).
    OwnField request_id_field() const {
        if (request_id_.empty() || !runtime_) return {};
        return {runtime_->config.tracing.request_id_header, request_id_};
    }
    // Records the request in the statistics and the access log; returns its service's statistics slot.
    metrics::StatsSlot* log_request(int status);

    Worker& worker_;
    net::Stream client_;  // TLS on a `tls` listener
    std::string listener_name_;  // looked up per request: a reload may change or remove the listener
    net::Deadline deadline_;
    std::shared_ptr<const Runtime> runtime_;  // held for the current request
    const ListenerRuntime* listener_ = nullptr;

    // What an idle connection reads into (the first bytes of its next request); small, so 10 000 idle
    // keep-alive clients cost 10 MB, not 640 MB of I/O blocks.
    std::array<char, 1024> idle_bytes_;
    // Client side read buffer: [begin_, end_) holds unprocessed bytes. Released while idle.
    net::BufferPool::Block buf_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;

    // Current request.
    http::RequestHead head_;
    http::NormalizedPath path_;
    gis::Classification gis_;                   // views into path_.forward
    bool set_sticky_cookie_ = false;
    std::string forward_path_;
    const RouteRuntime* route_ = nullptr;  // the current request's route (set once it has one)
    http::ChunkedScanner dechunker_;       // a chunked answer to an HTTP/1.0 client: its chunk data only
    std::string dechunked_;
    // What this request's route sets over its pool (timeouts, retries), and whether it may ever be replayed.
    struct Settings {
        std::chrono::milliseconds connect{0};
        std::chrono::milliseconds server{0};
        std::uint32_t retries = 0;
        bool retry_on_timeout = true;
        bool state_changing = false;  // proxy::is_state_changing(): never replayed once bytes were sent
    } settings_;
    http::NormalizedPath forward_match_;  // forward_path_ as deny_paths see it (only after a route's rewrite)
    std::string out_;          // head being written (request to server, response or error to client)
    std::string log_method_;
    std::string log_target_;
    std::string log_user_agent_;  // copied only for the JSON access log
    std::string log_referer_;
    std::string request_id_;      // tracing.request_id: this request's id (empty when off)
    std::string traceparent_;     // what goes to the server (tracing: create), empty otherwise
    bool drop_tracestate_ = false;
    // Where the request's time went, summed over attempts: waiting in the pool's queue, connecting, and from
    // sending the request to the server's response head.
    struct Timing {
        net::Clock::duration queue{};
        net::Clock::duration connect{};
        net::Clock::duration server{};
    } timing_;
    std::string client_ip_;
    ClientOrigin origin_;             // the client (PROXY protocol aware) and where it connected to
    bool trusted_forwarded_ = false;  // the client is a trusted proxy: its X-Forwarded-* headers are kept
    std::string proxy_header_;        // what send_proxy writes on a new server connection (built once)
    BodyCursor request_body_;
    std::size_t body_in_buffer_ = 0;    // request body bytes sitting in buf_ right after the head
    bool body_streamed_ = false;        // body bytes beyond the first buffer were relayed: no replay possible
    bool continue_sent_ = false;
    bool allowed_ = false;
    bool idle_ = false;
    bool resumed_ = false;  // took over a parked connection: no accept-time work, no first request
    bool parking_ = false;  // idle for kParkAfter: the coroutines end and park() takes the connection
    net::Clock::time_point idle_since_{};  // when the connection last became idle (the idle timeout's start)
    bool websocket_ = false;   // the current request is a WebSocket handshake (http/upgrade.hpp)
    bool tunnel_ = false;      // the connection is a WebSocket tunnel now
    bool retired_ = false;     // retire(): no further request on this connection
    bool going_away_ = false;  // shutting down: the tunnel ends after a close frame to the client
    TunnelSlot tunnel_slot_;   // the handshake's place under limits.max_tunnels
    bool client_closed_ = false;
    net::Clock::time_point started_{};
    std::uint64_t bytes_sent_ = 0;
    std::uint64_t request_bytes_ = 0;   // request head and body bytes received from the client (statistics)
    std::uint32_t retries_ = 0;         // further servers tried after a failed attempt (statistics)
    std::string_view log_pool_;
    std::string_view log_server_;
    ErrorResponse error_;
    Failure failure_ = Failure::closed_without_answer;  // how the last attempt failed (Attempt::server_failed)

    CacheLookup cache_;  // the current request's part in its pool's response cache (cache_lookup.hpp)
    std::vector<std::string> upload_ids_;  // uploaded items the request names (session_uploads.cpp)
    std::string_view pinned_id_;           // the job or item id a binding affinity is for (its error messages)
    OwnerCapture owner_capture_;  // a submitJob answer's job id or an upload answer's item id (owner_capture.hpp)

    // Server side of the current request.
    balance::PoolRuntime* pool_ = nullptr;
    balance::ServerRuntime* server_ = nullptr;  // holds a slot while set
    config::OperationClass op_class_ = config::OperationClass::other;  // of the slot server_ holds
    UpstreamExchange exchange_;  // the server connection, its buffer and the response (upstream_exchange.hpp)
    // Server connections authenticated (or being authenticated) by NTLM/Negotiate for this client only: never
    // pooled, never used for anyone else, closed with this session. At most one per server, kMaxPrivate in all.
    std::vector<std::unique_ptr<UpstreamConnection>> private_upstreams_;
    static constexpr std::size_t kMaxPrivate = 8;
    bool private_exchange_ = false;  // the current request's server connection is (or becomes) private
    bool proxied_exchange_ = false;  // ... or is kept for this client because a PROXY header names it
    ConnectionSlot slot_;
    h2::Connection* h2_ = nullptr;         // while this session serves an HTTP/2 connection

    // The worker's list of open sessions (Worker::attach/detach).
    friend class Worker;
    Session* prev_in_worker_ = nullptr;
    Session* next_in_worker_ = nullptr;
    // The worker's list of sessions waiting to park (Worker::linger/stop_lingering).
    Session* prev_lingering_ = nullptr;
    Session* next_lingering_ = nullptr;
    // Worker::linger: the worker has too many sessions waiting; this one parks now if it can.
    void park_early();
};

}  // namespace gisgate::proxy
