// Listening sockets. Each worker gets its own acceptor on the same address (SO_REUSEPORT), so the kernel
// spreads new connections over the workers and no accept lock or hand-off between threads is needed.
#pragma once

#include <vector>

#include "config/config.hpp"
#include "net/asio.hpp"

namespace gisgate::net {

// Resolves host:port to TCP endpoints (numeric literals without DNS; names through getaddrinfo).
// Throws std::runtime_error when nothing resolves.
std::vector<tcp::endpoint> resolve(const config::Endpoint& endpoint);

// Opens one acceptor per io_context bound to `endpoint` with SO_REUSEPORT. With port 0 the first acceptor
// picks the port and the others bind the same one. Throws std::system_error (e.g. address in use).
std::vector<tcp::acceptor> open_reuseport_acceptors(const config::Endpoint& endpoint,
                                                    const std::vector<asio::io_context*>& contexts,
                                                    int backlog = 4096);

// Sets the options every proxied TCP connection wants (TCP_NODELAY: heads and small JSON answers must not
// wait for Nagle).
void tune_socket(tcp::socket& socket);

}  // namespace gisgate::net
