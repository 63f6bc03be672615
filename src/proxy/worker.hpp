// A proxy worker: one event loop thread with everything a request needs locally — its acceptors, its client
// sessions, its pool of upstream connections, its access log buffer and its copy of the runtime snapshot.
#pragma once

#include <atomic>
#include <memory>
#include <unordered_set>
#include <vector>

#include "net/event_loop.hpp"
#include "proxy/access_log.hpp"
#include "proxy/runtime.hpp"
#include "proxy/upstream.hpp"

namespace gisgate::proxy {

class Session;

class Worker {
public:
    Worker(unsigned index, int access_log_fd, std::shared_ptr<const Runtime> runtime);
    ~Worker();

    unsigned index() const { return loop_.index(); }
    net::EventLoop& loop() { return loop_; }
    asio::io_context& context() { return loop_.context(); }
    UpstreamPool& upstreams() { return upstreams_; }
    AccessLog& access_log() { return access_log_; }

    // Loop thread only. Sessions take a reference per request, so a new snapshot applies to the next request
    // and in-flight ones finish on the old settings.
    const std::shared_ptr<const Runtime>& runtime() const { return runtime_; }
    void set_runtime(std::shared_ptr<const Runtime> runtime) { runtime_ = std::move(runtime); }

    // Starts accepting on `acceptor` (already bound and listening) for listener `listener_index`.
    void add_acceptor(tcp::acceptor acceptor, unsigned listener_index);

    // Loop thread only: stop accepting, close idle client connections, and make busy ones close after their
    // current response.
    void begin_drain();
    bool draining() const { return draining_; }
    // Any thread: client connections still open.
    std::size_t open_sessions() const { return session_count_.load(std::memory_order_relaxed); }

    void attach(Session* session);
    void detach(Session* session);

private:
    awaitable<void> accept_loop(tcp::acceptor& acceptor, unsigned listener_index);

    net::EventLoop loop_;
    UpstreamPool upstreams_;
    AccessLog access_log_;
    std::shared_ptr<const Runtime> runtime_;
    std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;
    std::unordered_set<Session*> sessions_;
    std::atomic<std::size_t> session_count_{0};
    bool draining_ = false;
};

}  // namespace gisgate::proxy
