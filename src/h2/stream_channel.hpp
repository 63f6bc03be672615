// The client side of one HTTP/2 stream as the request pipeline sees it: an Asio byte stream that reads the
// stream's request as HTTP/1.1 bytes (the head from translation.hpp, then the DATA frames' payload, chunked when
// the length is unknown) and takes the pipeline's HTTP/1.1 response bytes, which it turns back into a HEADERS
// frame (interim 1xx ones included) and DATA frames.
//
// Bounded memory, tied to flow control: request DATA is acknowledged to the peer (WINDOW_UPDATE, through
// Connection::consume) only once the pipeline has read it, so a stream holds at most its window; a response
// write completes only once its bytes fit in a buffer of kOutCap that nghttp2 drains as the peer's window
// allows, so a slow reader holds the pipeline (and through it the server) instead of growing a queue.
//
// Single-threaded: the connection, its streams and their pipelines run on one worker's loop.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>

#include "http/chunked.hpp"
#include "h2/response_fields.hpp"
#include "h2/translation.hpp"
#include "http/method.hpp"
#include "http/response_head.hpp"
#include "net/asio.hpp"
#include "net/deadline.hpp"

namespace gisgate::h2 {

class Connection;

// One stored completion handler of signature void(error_code, std::size_t), type-erased (Asio 1.74 has no
// any_completion_handler). Completed by posting to the handler's executor, never inline.
class PendingOp {
public:
    template <class Handler>
    void set(Handler&& handler, const asio::any_io_executor& fallback) {
        op_ = std::make_unique<Impl<std::decay_t<Handler>>>(std::forward<Handler>(handler), fallback);
    }
    explicit operator bool() const { return op_ != nullptr; }
    void complete(error_code ec, std::size_t n) {
        auto op = std::move(op_);
        op->post(ec, n);
    }

private:
    struct Base {
        virtual ~Base() = default;
        virtual void post(error_code ec, std::size_t n) = 0;
    };
    template <class Handler>
    struct Impl final : Base {
        Impl(Handler&& h, const asio::any_io_executor& fallback) : handler(std::move(h)), fallback(fallback) {}
        void post(error_code ec, std::size_t n) override {
            const auto executor = asio::get_associated_executor(handler, fallback);
            asio::post(executor, [h = std::move(handler), ec, n]() mutable { std::move(h)(ec, n); });
        }
        Handler handler;
        asio::any_io_executor fallback;
    };
    std::unique_ptr<Base> op_;
};

class StreamChannel : public std::enable_shared_from_this<StreamChannel> {
public:
    using executor_type = asio::any_io_executor;

    // The response buffer: what a stream holds of a response beyond the peer's window.
    static constexpr std::size_t kOutCap = 64 * 1024;

    // `request_head`: the HTTP/1.1 head (translation.hpp); `chunked`: the body is to be sent chunked.
    // `websocket`: an extended CONNECT (RFC 8441): the server's 101 opens the stream both ways as a tunnel.
    StreamChannel(Connection& connection, std::int32_t id, asio::any_io_executor executor, std::string request_head,
                  bool chunked, http::Method method, bool secure, bool websocket = false);
    StreamChannel(const StreamChannel&) = delete;
    StreamChannel& operator=(const StreamChannel&) = delete;

    std::int32_t id() const { return id_; }
    executor_type get_executor() const { return executor_; }
    bool secure() const { return secure_; }  // the connection is TLS (X-Forwarded-Proto: https)

    template <class Buffers, class Token>
    auto async_read_some(const Buffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, const Buffers& b) {
                read_.set(std::move(handler), executor_);
                read_buffer_ = first_buffer(b);
                try_read();
            },
            token, buffers);
    }

    template <class Buffers, class Token>
    auto async_write_some(const Buffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, const Buffers& b) {
                write_.set(std::move(handler), executor_);
                if (!reset_ && connection_) {
                    const std::size_t taken = take_parts(b);
                    if (!write_) return;  // the stream was reset: on_reset() completed the write
                    if (taken != 0) return write_.complete({}, taken);
                }
                write_buffer_ = first_buffer(b);
                try_write();
            },
            token, buffers);
    }

    // A read that never waits: the request bytes already here (the head is whole from the start), 0 if none.
    std::size_t read_now(asio::mutable_buffer into);

    // A write that never waits (net::Stream::write_now): takes what fits in the response buffer now and
    // returns how much; 0 with `ec` set when the stream was reset.
    template <class Buffers>
    std::size_t write_now(const Buffers& buffers, error_code& ec) {
        if (reset_ || !connection_) {
            ec = asio::error::connection_reset;
            return 0;
        }
        if (write_) return 0;
        const std::size_t taken = take_parts(buffers);
        if (reset_) {
            ec = asio::error::connection_reset;
            return 0;
        }
        return taken;
    }

    // The pipeline's final response head, handed over parsed rather than written as HTTP/1.1 text that
    // parse_head() would read again: its fields (response_fields(), filled by the caller after start()) and the
    // body's framing as `head` gives it. The body then comes through writes as usual. False when the stream was
    // reset (or a head was already begun as text: the stream is reset).
    ResponseFields& response_fields() { return final_fields_; }
    bool take_final_head(const http::ResponseHead& head);

    // Pending operations end with operation_aborted (a deadline fired).
    void cancel();
    // The pipeline is done with the stream: a response cut short (or none at all) resets it; a response
    // delimited by the end of the server's connection ends here.
    void close();
    bool closed() const { return closed_by_pipeline_; }

    // From the connection.
    // An answer the connection gives itself (a malformed request): written as the pipeline would write it.
    void answer_locally(std::string_view response) {
        request_ended_ = true;
        take_response(response.data(), response.size());
        closed_by_pipeline_ = true;
    }
    void on_data(const std::uint8_t* data, std::size_t size);  // DATA payload
    // A field of the request's trailer HEADERS frame: kept for the chunked body's trailer section (a body
    // with a content-length has none in HTTP/1.1: they are dropped then). False past `max_size`.
    bool on_request_trailer(std::string_view name, std::string_view value, std::size_t max_size) {
        return !chunked_in_ || add_request_trailer(request_trailers_, name, value, max_size);
    }
    void on_end_of_request();  // END_STREAM
    // The server's trailer section (a chunked response's), lines "name: value\r\n"; empty without one. Asked
    // once the body is complete, for the trailer HEADERS frame.
    const std::string& response_trailer_lines() const { return trailers_out_; }
    void on_reset();       // the peer reset the stream, or the connection ended: every operation fails now
    // nghttp2's data source, without a copy into nghttp2's frame buffer (NGHTTP2_DATA_FLAG_NO_COPY): how many
    // response body bytes the next DATA frame carries (at most `size`), with `eof` when they end the body and
    // `deferred` when there are none yet; then send_response_body() appends those bytes to the connection's
    // output, right after the frame header, and lets them go.
    std::size_t peek_response_body(std::size_t size, bool& eof, bool& deferred) const;
    void send_response_body(std::size_t n, std::string& to);

private:
    template <class Buffers>
    static asio::mutable_buffer first_buffer(const Buffers& buffers) {
        for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it)
            if (asio::buffer_size(*it) != 0) return asio::mutable_buffer(const_cast<void*>(static_cast<const void*>(
                                                                             asio::buffer(*it).data())),
                                                                         asio::buffer_size(*it));
        return {};
    }
    // Every buffer of a write that fits is taken at once, so a response head and its body written together
    // become HEADERS and DATA in the same flush (one TLS record, one send) rather than a write each. Returns the
    // bytes taken; stops at a reset (reset_ set; on_reset() has completed a pending write).
    template <class Buffers>
    std::size_t take_parts(const Buffers& buffers) {
        std::size_t taken = 0;
        for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
            const asio::const_buffer part(*it);
            if (part.size() == 0) continue;
            const std::size_t n = take_response(static_cast<const char*>(part.data()), part.size());
            if (reset_) return taken;
            taken += n;
            if (n < part.size()) break;
        }
        return taken;
    }
    void try_read();
    std::size_t take_request(asio::mutable_buffer into);  // copies buffered request bytes (some available)
    void try_write();
    // Takes response bytes written by the pipeline; returns how many it took (0: the buffer is full).
    std::size_t take_response(const char* data, std::size_t size);
    bool parse_head();  // false: the head was malformed (the stream is reset)
    // Submits final_fields_ as the final head and readies the body's state; false if nghttp2 refused it.
    bool begin_body(http::BodyFraming framing, std::uint64_t content_length, bool until_close);
    void take_body(const char* data, std::size_t size);
    void body_complete();

    Connection* connection_;  // null once the connection ended
    std::int32_t id_;
    asio::any_io_executor executor_;
    bool secure_;
    bool websocket_;
    http::Method method_;

    // Request side: bytes for the pipeline to read, [in_pos_, size).
    std::string in_;
    std::size_t in_pos_ = 0;
    bool chunked_in_;
    bool request_ended_ = false;
    std::size_t unacknowledged_ = 0;  // DATA bytes read by the pipeline and not yet given back to the window
    std::size_t buffered_data_ = 0;   // DATA bytes in in_ not yet read
    std::string request_trailers_;    // the trailer HEADERS frame's fields, as HTTP/1.1 trailer lines

    // Response side.
    enum class Out : std::uint8_t { head, length, chunked, until_close, done };
    Out out_state_ = Out::head;
    std::string head_;          // the response head as it arrives
    std::string out_;           // body bytes for nghttp2, [out_pos_, size)
    std::size_t out_pos_ = 0;
    std::uint64_t remaining_ = 0;
    http::ChunkedScanner chunks_;
    std::string trailers_out_;  // the server's trailer lines (chunks_ captures them)
    bool submitted_ = false;    // the final response's HEADERS were submitted
    ResponseFields final_fields_;  // what they carry: unchanged once submitted (nghttp2 sends them uncopied)

    bool reset_ = false;
    bool closed_by_pipeline_ = false;
    PendingOp read_;
    asio::mutable_buffer read_buffer_;
    PendingOp write_;
    asio::mutable_buffer write_buffer_;
    // See close(): a worker's coarse deadline rather than an Asio timer, as nearly every stream arms one (its
    // response is still in the buffer when the pipeline closes) and nearly none fires.
    std::optional<net::Deadline> drain_;
    static void on_drain_deadline(void* self);

    friend class Connection;
    void detach() {
        connection_ = nullptr;
        on_reset();
    }
};

}  // namespace gisgate::h2
