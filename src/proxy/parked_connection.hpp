// An idle HTTP/1.1 keep-alive client connection, plain or TLS, parked between two requests: no Session, no
// coroutine frame, no buffer — the socket (and a TLS connection's session: OpenSSL's state, with no record
// buffer held), what the next request's session needs to know about the client, and its idle deadline. A
// Session whose connection has been idle for 100-200 ms (Session::kParkAfter) parks it (Session::park) and
// ends; when the next request's first bytes arrive (a readability wait, no read), Session::resume starts a new
// session on it. See docs/architecture.md ("Idle keep-alive connections are parked") for where an idle
// connection's bytes go.
//
// A TLS connection parks only with nothing buffered (no ciphertext read and not yet taken, no decrypted byte
// inside OpenSSL), so readability of the socket still means the next request. An HTTP/2 connection keeps its
// h2::Connection, and a client holding private server connections (NTLM/Negotiate, send_proxy) its session,
// which owns them.
#pragma once

#include <memory>
#include <string>

#include "net/asio.hpp"
#include "net/deadline.hpp"
#include "net/tls_stream.hpp"
#include "proxy/client_origin.hpp"
#include "proxy/connection_limits.hpp"

namespace gisgate::proxy {

class Worker;

class ParkedConnection {
public:
    // `listener` is the worker's interned name (Worker::intern_listener). `tls` is the connection's TLS
    // session, if any (no operation pending); it is rebound to this object's socket.
    ParkedConnection(Worker& worker, tcp::socket socket, const std::string& listener, const ClientOrigin& origin,
                     ConnectionSlot slot, bool allowed, bool trusted_forwarded, std::unique_ptr<net::TlsStream> tls);
    ~ParkedConnection();
    ParkedConnection(const ParkedConnection&) = delete;
    ParkedConnection& operator=(const ParkedConnection&) = delete;

    // Waits (owning itself through the pending wait) until the client sends its next request, `idle_left` is
    // over (closed), or close() is called. Loop thread only.
    static void wait(std::unique_ptr<ParkedConnection> self, net::Clock::duration idle_left);
    // Draining, or its listener was removed by a reload: closed now (the pending wait ends).
    void close();
    const std::string& listener_name() const { return *listener; }

    // What Session::resume takes over.
    Worker& worker;
    tcp::socket socket;
    std::unique_ptr<net::TlsStream> tls;
    const std::string* listener;  // interned: 8 bytes where a copy would take 32
    ClientOrigin origin;
    // Its place under limits.max_connections*. The two flags after it go into its tail padding: 320 bytes in
    // all (a mimalloc size class; 328 would be rounded up to 384).
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
    // Ends the connection: close_notify first on TLS (a client can tell a clean end from a cut), then FIN.
    void shut();

    net::Deadline deadline_;
};

}  // namespace gisgate::proxy
