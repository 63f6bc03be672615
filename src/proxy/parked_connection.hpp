// An idle plain-HTTP/1.1 keep-alive client connection, parked between two requests: no Session, no coroutine
// frame, no buffer — the socket, what the next request's session needs to know about the client, and its idle
// deadline. A Session whose connection has been idle for 100-200 ms (Session::kParkAfter) parks it
// (Session::park) and ends; when the next request's first bytes arrive (a readability wait, no read),
// Session::resume starts a new session on it. See docs/architecture.md ("Idle keep-alive connections are
// parked") for where an idle connection's bytes go.
//
// Only plain TCP connections park: a TLS connection keeps its session (its TLS state must live on anyway), an
// HTTP/2 connection its h2::Connection, and a client holding private server connections (NTLM/Negotiate,
// send_proxy) its session, which owns them.
#pragma once

#include <memory>
#include <string>

#include "net/asio.hpp"
#include "net/deadline.hpp"
#include "proxy/client_origin.hpp"
#include "proxy/connection_limits.hpp"

namespace gisgate::proxy {

class Worker;

class ParkedConnection {
public:
    ParkedConnection(Worker& worker, tcp::socket socket, std::string listener, const ClientOrigin& origin,
                     ConnectionSlot slot, bool allowed, bool trusted_forwarded);
    ~ParkedConnection();
    ParkedConnection(const ParkedConnection&) = delete;
    ParkedConnection& operator=(const ParkedConnection&) = delete;

    // Waits (owning itself through the pending wait) until the client sends its next request, `idle_left` is
    // over (closed), or close() is called. Loop thread only.
    static void wait(std::unique_ptr<ParkedConnection> self, net::Clock::duration idle_left);
    // Draining, or its listener was removed by a reload: closed now (the pending wait ends).
    void close();
    const std::string& listener_name() const { return listener; }

    // What Session::resume takes over.
    Worker& worker;
    tcp::socket socket;
    std::string listener;
    ClientOrigin origin;
    // Its place under limits.max_connections*. The two flags after it go into its tail padding: 320 bytes in
    // all (a mimalloc size class) rather than 328 (rounded up to 384).
    [[no_unique_address]] ConnectionSlot slot;
    bool allowed;
    bool trusted_forwarded;

    // The worker's list of parked connections (intrusive: no allocation per connection in the worker).
    ParkedConnection* prev = nullptr;
    ParkedConnection* next = nullptr;

private:
    struct Ready;
    static void on_deadline(void* self);
    static void on_ready(std::unique_ptr<ParkedConnection> self, const error_code& ec);

    net::Deadline deadline_;
};

}  // namespace gisgate::proxy
