// One client connection of a simulated site: HTTP/1.1 keep-alive (pipelined requests are read one after the
// other from the same buffer), faults, the instance limit, and streamed image bodies.
//
// Each connection runs as a coroutine on its own strand; everything that touches its socket or timer from
// outside (the server stopping) is posted to that strand.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <functional>
#include <memory>

#include "sim/iwa.hpp"
#include "sim/site.hpp"

namespace gisgate::sim {

struct Connection {
    explicit Connection(boost::asio::ip::tcp::socket socket)
        : stream(std::move(socket)), timer(stream.get_executor()) {}

    boost::beast::tcp_stream stream;
    boost::asio::steady_timer timer;  // the delay of the slow fault; a WebSocket's close grace period
    ConnectionAuth auth;              // --auth ntlm: this connection's handshake and user
    // Set while the connection is a StreamServer WebSocket (stream_session.cpp): close() runs it instead of
    // abort(), once, so the subscriber gets a close frame. It must make the session end soon by itself.
    std::function<void()> on_close;

    // Ends the connection: on_close if set (once), else abort(). Call on the connection's strand.
    void close();
    // Aborts whatever the connection waits on: closes the socket, cancels the timer.
    void abort();
};

// Serves requests until the client leaves, an error, a fault that ends the connection, or close().
// The caller keeps `conn` alive until this completes. With `tls`, the connection speaks HTTPS.
boost::asio::awaitable<void> serve_connection(Site& site, Connection& conn, boost::asio::ssl::context* tls);

}  // namespace gisgate::sim
