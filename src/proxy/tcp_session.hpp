// One connection on a `mode: tcp` listener (layer 4): the client's bytes go to a server of the listener's pool
// and back, unparsed, until both sides have ended. TLS passes through untouched (the servers terminate it), so
// the client sees the servers' certificates.
//
// The pool's balancing and throttle apply per connection: a connection holds one of the server's
// `max_active_per_server` slots for its lifetime and waits in the pool's queue when every server is full;
// refused (queue full or timed out, no server up) means the connection is closed. A failed connect is retried on
// another server (`retries`), and a refused one takes the server out at once, as on the HTTP path.
#pragma once

#include <memory>
#include <string>

#include "balance/pool.hpp"
#include "net/buffer_pool.hpp"
#include "net/deadline.hpp"
#include "net/relay.hpp"
#include "proxy/client_origin.hpp"
#include "proxy/runtime.hpp"

namespace gisgate::proxy {

class Worker;

class TcpSession {
public:
    TcpSession(Worker& worker, tcp::socket socket, std::string listener);
    ~TcpSession();
    TcpSession(const TcpSession&) = delete;
    TcpSession& operator=(const TcpSession&) = delete;

    // The coroutine owns the session for the connection's lifetime.
    static awaitable<void> run(std::unique_ptr<TcpSession> self);
    // The connection's place under the listener-wide connection limits, released with the session.
    void hold(ConnectionSlot slot) { slot_ = std::move(slot); }

private:
    enum Timeout : std::uint8_t { kNone, kConnect, kIdle };

    static void on_deadline(void* self);
    awaitable<void> serve();
    awaitable<bool> connect_server();
    awaitable<void> relay(const config::ListenerConfig& listener);
    // One direction; on anything but a clean end it stops the other direction too.
    awaitable<void> pump(tcp::socket& from, tcp::socket& to, net::RelayProgress& progress, net::Pipe& pipe,
                         char* buffer);
    void stop_both(const char* why);
    void release_server();
    void log_connection();

    Worker& worker_;
    tcp::socket client_;
    tcp::socket upstream_;
    std::string listener_name_;
    net::Deadline deadline_;
    std::shared_ptr<const Runtime> runtime_;  // held for the connection: its pool and server stay valid
    const ListenerRuntime* listener_ = nullptr;
    balance::PoolRuntime* pool_ = nullptr;
    balance::ServerRuntime* server_ = nullptr;  // holds a slot while set
    std::string client_ip_;
    ClientOrigin origin_;  // the client (PROXY protocol aware) and where it connected to
    std::string_view log_server_;  // the last server tried (owned by runtime_)
    net::RelayProgress to_server_;
    net::RelayProgress to_client_;
    net::Pipe to_server_pipe_;
    net::Pipe to_client_pipe_;
    net::BufferPool::Block to_server_buffer_;  // only when pipes are not available (copy relay)
    net::BufferPool::Block to_client_buffer_;
    asio::steady_timer other_done_;
    bool server_to_client_running_ = false;
    const char* end_ = "closed";  // how the connection ended, for the access log
    net::Clock::time_point started_{};
    ConnectionSlot slot_;
};

}  // namespace gisgate::proxy
