// A proxy worker: one event loop thread with everything a request needs locally — its acceptors, its client
// sessions, its pool of upstream connections, its response caches, its access log buffer and its copy of the
// runtime snapshot.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "metrics/stats_table.hpp"
#include "net/event_loop.hpp"
#include "http/trace_context.hpp"
#include "proxy/access_log.hpp"
#include "proxy/runtime.hpp"
#include "proxy/upstream.hpp"
#include "proxy/worker_caches.hpp"

namespace gisgate::proxy {

class ParkedConnection;
class Session;

class Worker {
public:
    // `services` bounds the GIS services tracked across all workers; it must outlive the worker.
    Worker(unsigned index, int access_log_fd, std::shared_ptr<const Runtime> runtime,
           metrics::ServiceRegistry& services);
    ~Worker();

    unsigned index() const { return loop_.index(); }
    net::EventLoop& loop() { return loop_; }
    asio::io_context& context() { return loop_.context(); }
    UpstreamPool& upstreams() { return upstreams_; }
    AccessLog& access_log() { return access_log_; }
    http::IdSource& ids() { return ids_; }  // request ids and trace ids (loop thread)
    // Request statistics: written by this worker's thread only, read by the control thread at any time.
    metrics::WorkerStats& stats() { return stats_; }
    const metrics::WorkerStats& stats() const { return stats_; }

    // Loop thread only. Sessions take a reference per request, so a new snapshot applies to the next request
    // and in-flight ones finish on the old settings.
    const std::shared_ptr<const Runtime>& runtime() const { return runtime_; }
    void set_runtime(std::shared_ptr<const Runtime> runtime);
    // This worker's response caches (loop thread; their counters from any thread).
    WorkerCaches& caches() { return caches_; }
    const WorkerCaches& caches() const { return caches_; }

    // Loop thread only. Starts accepting on `acceptor` (bound and listening) for the listener named `listener`.
    void add_acceptor(tcp::acceptor acceptor, const std::string& listener);
    // Loop thread only. Stops accepting for `listener` (removed or re-bound by a reload); its open connections
    // close after their current request.
    void remove_acceptor(const std::string& listener);

    // Loop thread only: stop accepting, close idle client connections, and make busy ones close after their
    // current response.
    void begin_drain();
    bool draining() const { return draining_; }
    // Any thread: client connections still open.
    std::size_t open_sessions() const { return session_count_.load(std::memory_order_relaxed); }

    void attach(Session* session);
    void detach(Session* session);
    // Sessions waiting for a keep-alive client's second request before they park (Session::kParkAfter), oldest
    // first. Why a cap: a burst of new connections would otherwise keep a whole session (about 7.5 KiB: the
    // session and its coroutine frames) per connection for 100-200 ms, and the allocator keeps that peak
    // resident after they park (idle memory per connection then grew with the pace of arrival, not with the
    // number of connections). Past kMaxLingering the one that has waited longest parks at once. Why only after
    // a connection's first request: a busy keep-alive client (wrk -c1000, a browser loading a map) waits
    // between its later requests too, and parking each of those waits cost 17 % of the requests/s at -c1000;
    // a connection parked early here pays one readiness wait and a new session once, at its second request.
    static constexpr std::size_t kMaxLingering = 256;
    void linger(Session* session);          // its read is pending; may park the oldest
    void stop_lingering(Session* session);  // its read completed (or was cancelled)
    // Idle keep-alive connections parked between requests (parked_connection.hpp): open sessions too.
    void park(ParkedConnection* connection);
    void unpark(ParkedConnection* connection);
    // The name a parked connection keeps (a pointer, 8 bytes, where a copy takes 32). Loop thread only. Never
    // shrinks: a listener a reload removed leaves its name, a few bytes.
    const std::string& intern_listener(const std::string& name) { return *listener_names_.insert(name).first; }
    // Any thread: how many of open_sessions() are parked.
    std::size_t parked_connections() const { return parked_count_.load(std::memory_order_relaxed); }
    // Layer-4 connections (mode: tcp) count as open sessions too: shutdown waits for them up to the grace
    // period. They have no idle state between requests to close early.
    void attach_connection() { session_count_.fetch_add(1, std::memory_order_relaxed); }
    void detach_connection() { session_count_.fetch_sub(1, std::memory_order_relaxed); }

private:
    struct Acceptor {
        tcp::acceptor socket;
        std::string listener;
    };
    awaitable<void> accept_loop(std::shared_ptr<Acceptor> acceptor);

    net::EventLoop loop_;
    UpstreamPool upstreams_;
    AccessLog access_log_;
    http::IdSource ids_;
    metrics::WorkerStats stats_;
    std::shared_ptr<const Runtime> runtime_;
    WorkerCaches caches_;
    std::vector<std::shared_ptr<Acceptor>> acceptors_;
    Session* sessions_ = nullptr;  // intrusive list (Session::prev_in_worker_/next_in_worker_): no node per stream
    std::vector<Session*> open_session_list() const;  // a copy: a session may detach while the caller iterates
    Session* linger_head_ = nullptr;  // oldest (Session::prev_lingering_/next_lingering_)
    Session* linger_tail_ = nullptr;
    std::size_t lingering_ = 0;
    ParkedConnection* parked_ = nullptr;  // intrusive list (ParkedConnection::prev/next)
    std::unordered_set<std::string> listener_names_;  // see intern_listener (nodes: references stay valid)
    std::atomic<std::size_t> parked_count_{0};
    std::atomic<std::size_t> session_count_{0};
    bool draining_ = false;
};

}  // namespace gisgate::proxy
