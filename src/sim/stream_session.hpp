// A StreamServer subscription: the WebSocket a connection turns into after `.../StreamServer/subscribe` with an
// upgrade. The connection has read the upgrade request; the session answers it (101), then sends one feature
// message per interval with `seq` 1, 2, 3, ... (stream_feature) until the subscriber closes, the connection
// fails, or the site stops.
//
// Flow control: one message in flight per subscriber. The next message is made only after the previous one was
// written, so a subscriber that stops reading holds one message in memory, not a growing queue, and its `seq`
// stays gap-free: what it gets late, it still gets in order. A write that finishes late is followed by the next
// message at once, then the pace resumes from there (no burst to catch up). A subscriber that neither reads nor
// answers pings is closed after the idle timeout (60 s).
//
// Control frames: pings are answered and close frames echoed by Beast while a read is pending (one always is;
// what subscribers send, such as filters, is read and ignored). Stopping the site sends a close frame (going
// away) and gives the close handshake a second before the socket is closed.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <string>

#include "sim/catalog.hpp"
#include "sim/connection.hpp"
#include "sim/site.hpp"

namespace gisgate::sim {

using UpgradeRequest = boost::beast::http::request<boost::beast::http::string_body>;

struct StreamSubscription {
    const Service* service = nullptr;   // a StreamServer of the catalog
    std::chrono::milliseconds interval;  // between messages
    std::string user;                    // --auth ntlm: the connection's user, named in the 101 ("" = none)
};

// Serves the WebSocket on the connection's stream (plain or TLS) until it ends; the caller then ends the
// connection. Runs on the connection's strand.
boost::asio::awaitable<void> serve_stream(Site& site, Connection& conn, boost::beast::tcp_stream& io,
                                          const UpgradeRequest& upgrade, const StreamSubscription& sub);
boost::asio::awaitable<void> serve_stream(Site& site, Connection& conn,
                                          boost::asio::ssl::stream<boost::beast::tcp_stream&>& io,
                                          const UpgradeRequest& upgrade, const StreamSubscription& sub);

}  // namespace gisgate::sim
