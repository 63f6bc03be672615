// One HTTP/2 client connection (after ALPN h2, or an h2c prior-knowledge preface), served with libnghttp2:
// framing, HPACK, flow control and the protocol's state machine are nghttp2's; this class moves bytes between
// the socket and nghttp2, turns each request stream into a StreamChannel handed to the request pipeline
// (`on_stream`), and enforces the limits that protect the process:
//   - max_concurrent_streams (SETTINGS, enforced by nghttp2), max_requests_per_connection (then GOAWAY);
//   - the header list of a request is bounded (limits.max_header_size; HPACK bombs stop there), and so is the
//     number of CONTINUATION frames per header block (the 2024 CONTINUATION flood);
//   - Rapid Reset (CVE-2023-44487): streams the client resets draw on a budget refilled over time; when it
//     runs out, GOAWAY ENHANCE_YOUR_CALM. A stream reset before its pipeline started never reaches a server;
//   - SETTINGS/PING/PRIORITY floods: each such frame spends 1/20 of the same reset budget (GOAWAY
//     ENHANCE_YOUR_CALM when it runs out), and nghttp2 bounds the ACKs queued for a peer that does not read
//     (max_outbound_ack); a WINDOW_UPDATE of 0 is a protocol error to nghttp2;
//   - idle: no open stream for timeouts.idle → GOAWAY; no progress at all on a stream with pending output
//     (a window held at 0) for timeouts.idle → that stream is reset.
// Graceful end (drain, reload, SIGTERM): GOAWAY with the last stream id; streams in flight finish.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "h2/response_fields.hpp"
#include "h2/stream_channel.hpp"
#include "h2/translation.hpp"
#include "http/response_head.hpp"
#include "net/asio.hpp"
#include "net/stream.hpp"

struct nghttp2_session;

namespace gisgate::h2 {

struct Settings {
    std::uint32_t max_concurrent_streams = 100;
    std::uint32_t max_header_list_size = 64 * 1024;   // decoded size of a request's header list
    std::uint32_t max_requests_per_connection = 0;    // 0 = unlimited
    std::uint32_t initial_window = 256 * 1024;        // per stream: request body bytes buffered at most
    std::chrono::milliseconds idle_timeout{60000};
    bool secure = true;                                // TLS (h2) or cleartext (h2c)
    // A response field whose value is new in every response (tracing.request_id's header), lower case: sent as
    // a never-indexed literal. Indexed, each value would take a place in the HPACK dynamic table that no later
    // response can use and push out the fields that repeat (server, content-type, date), which then cost their
    // full encoding again: about 3,500 instructions per response (callgrind, small JSON).
    std::string unique_field;
};

// Called for each request stream once its headers are complete: start the pipeline on it.
using StreamHandler = std::function<void(std::shared_ptr<StreamChannel>)>;

class Connection {
public:
    // `deadlines`: the worker's coarse deadlines (a stream's drain wait, see StreamChannel::close).
    Connection(net::Stream& socket, Settings settings, StreamHandler on_stream, net::DeadlineList& deadlines);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Serves the connection until it ends. `preread`: bytes already read from the socket (the h2c preface).
    awaitable<void> run(std::string_view preread = {});
    // Graceful end: GOAWAY now, the connection closes once the streams in flight have finished.
    void shutdown();
    std::uint64_t streams_served() const { return streams_; }
    std::chrono::milliseconds idle_timeout() const { return settings_.idle_timeout; }
    net::DeadlineList& deadlines() { return deadlines_; }

    // From the streams.
    void consume(std::int32_t id, std::size_t bytes);
    void resume(std::int32_t id);
    void reset(std::int32_t id, std::uint32_t error_code);
    // A response head as HEADERS: `final` (with the stream's body, if `has_body`, from its StreamChannel) or
    // interim (1xx). A final head's `fields` must stay unchanged while the stream is open (nghttp2 reads them
    // when it sends the frame).
    bool submit_head(std::int32_t id, const ResponseFields& fields, bool final, bool has_body);
    void wake();  // output is waiting

private:
    struct Callbacks;
    struct Pending {  // a request stream while its headers arrive
        RequestFields fields;
        std::uint32_t continuations = 0;
        bool too_large = false;
    };
    awaitable<void> write_loop();
    bool flush_to_buffer();  // nghttp2 output into write_buf_; false on a fatal error
    void arm_idle();         // no stream open: GOAWAY after settings_.idle_timeout
    void begin_closing();    // reading is over: send what is queued, within kClosingGrace
    void end();              // the connection is over: every stream fails, both loops stop
    bool spend_reset_budget(double cost);
    void start_stream(std::int32_t id, bool end_stream);

    net::Stream& socket_;
    Settings settings_;
    StreamHandler on_stream_;
    net::DeadlineList& deadlines_;
    nghttp2_session* session_ = nullptr;
    std::unordered_map<std::int32_t, Pending> pending_;
    std::unordered_map<std::int32_t, std::shared_ptr<StreamChannel>> streams_by_id_;
    std::string write_buf_;
    asio::steady_timer wake_;
    asio::steady_timer idle_;
    bool closing_ = false;
    bool ended_ = false;
    bool going_away_ = false;
    std::uint64_t streams_ = 0;
    // Rapid Reset budget: tokens, refilled by kResetRefillPerSecond up to kResetBudget.
    double reset_tokens_;
    std::chrono::steady_clock::time_point reset_refilled_;
};

}  // namespace gisgate::h2
