// Listening sockets. Each worker gets its own acceptor on the same address (SO_REUSEPORT), so the kernel
// spreads new connections over the workers and no accept lock or hand-off between threads is needed.
#pragma once

#include <utility>
#include <vector>

#include "config/config.hpp"
#include "net/asio.hpp"

namespace gisgate::net {

// Resolves host:port to TCP endpoints (numeric literals without DNS; names through getaddrinfo).
// Throws std::runtime_error when nothing resolves.
std::vector<tcp::endpoint> resolve(const config::Endpoint& endpoint);

// A bound, listening socket not yet tied to an event loop. A reload opens them on the control thread and each
// worker adopts its own on its own thread: an acceptor opened for a running io_context from another thread
// registers with that loop's reactor concurrently with it (ThreadSanitizer reported the race on Asio's reused
// descriptor state). Closes the socket unless adopted.
class ListeningSocket {
public:
    ListeningSocket(int fd, tcp protocol) : fd_(fd), protocol_(protocol) {}
    ListeningSocket(ListeningSocket&& other) noexcept : fd_(std::exchange(other.fd_, -1)), protocol_(other.protocol_) {}
    ListeningSocket& operator=(ListeningSocket&&) = delete;
    ListeningSocket(const ListeningSocket&) = delete;
    ~ListeningSocket();
    tcp::endpoint local_endpoint() const;
    // An acceptor on `context` owning the socket; call it on the thread that runs `context`.
    tcp::acceptor adopt(asio::io_context& context);

private:
    int fd_;
    tcp protocol_;
};

// Opens `count` sockets bound to `endpoint` with SO_REUSEPORT, listening, non-blocking. With port 0 the first
// picks the port and the others bind the same one. Throws std::system_error (e.g. address in use).
std::vector<ListeningSocket> open_reuseport_sockets(const config::Endpoint& endpoint, std::size_t count,
                                                    int backlog = 4096);

// The same, adopted at once by one io_context each (at start, before the loops run).
std::vector<tcp::acceptor> open_reuseport_acceptors(const config::Endpoint& endpoint,
                                                    const std::vector<asio::io_context*>& contexts,
                                                    int backlog = 4096);

// Sets the options every proxied TCP connection wants (TCP_NODELAY: heads and small JSON answers must not
// wait for Nagle).
void tune_socket(tcp::socket& socket);

}  // namespace gisgate::net
