#include "h2/stream_channel.hpp"

#include <fmt/format.h>
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>

#include "h2/connection.hpp"
#include "http/response_head.hpp"
#include "util/ascii.hpp"

namespace gisgate::h2 {

namespace {

// Below this many unread bytes, the DATA the pipeline has read goes back to the peer's window: one
// WINDOW_UPDATE per ~16 KiB rather than one per read.
constexpr std::size_t kAcknowledgeBelow = 16 * 1024;
// A response head larger than this is malformed (the pipeline never writes one: servers' heads are bounded
// by limits.max_header_size on the way in).
constexpr std::size_t kMaxResponseHead = 256 * 1024;

// A parsed response head's fields as HEADERS carry them, with `status`; `skip` (lower case): a field left out.
void fill_fields(ResponseFields& out, int status, const http::ResponseHead& head, std::string_view skip = {}) {
    out.start(status, head.head_size, head.headers.size());
    for (const auto& h : head.headers)
        if (skip.empty() || !util::iequals(h.name, skip)) out.add(h.name, h.value);
}

}  // namespace

StreamChannel::StreamChannel(Connection& connection, std::int32_t id, asio::any_io_executor executor,
                             std::string request_head, bool chunked, http::Method method, bool secure,
                             bool websocket)
    : connection_(&connection),
      id_(id),
      executor_(std::move(executor)),
      secure_(secure),
      websocket_(websocket),
      method_(method),
      in_(std::move(request_head)),
      chunked_in_(chunked) {}

void StreamChannel::cancel() {
    if (read_) read_.complete(asio::error::operation_aborted, 0);
    if (write_) write_.complete(asio::error::operation_aborted, 0);
}

void StreamChannel::close() {
    if (closed_by_pipeline_) return;
    closed_by_pipeline_ = true;
    if (out_state_ == Out::until_close) {
        body_complete();
    } else if (out_state_ != Out::done && connection_ && !reset_) {
        // No response, or one cut short: the client must not take it for a whole one.
        connection_->reset(id_, NGHTTP2_INTERNAL_ERROR);
    }
    cancel();
    // A complete response still waiting for the client's window: the pipeline is gone, and the buffer stays
    // only as long as a pipeline's write would have waited (timeouts.idle); then the stream is reset.
    if (connection_ && !reset_ && out_.size() != out_pos_) {
        drain_.emplace(connection_->deadlines(), &StreamChannel::on_drain_deadline, this);
        drain_->arm(connection_->idle_timeout(), 0);
    }
}

void StreamChannel::on_drain_deadline(void* self) {
    auto* s = static_cast<StreamChannel*>(self);
    if (s->reset_ || !s->connection_ || s->out_.size() == s->out_pos_) return;
    s->connection_->reset(s->id_, NGHTTP2_CANCEL);
    s->on_reset();
}

void StreamChannel::on_data(const std::uint8_t* data, std::size_t size) {
    if (reset_ || size == 0) return;
    if (closed_by_pipeline_) {  // answered without reading it all: what still comes is dropped, not held
        if (connection_) connection_->consume(id_, size);
        return;
    }
    if (chunked_in_) fmt::format_to(std::back_inserter(in_), "{:x}\r\n", size);
    in_.append(reinterpret_cast<const char*>(data), size);
    if (chunked_in_) in_.append("\r\n");
    buffered_data_ += size;
    try_read();
}

void StreamChannel::on_end_of_request() {
    if (reset_ || request_ended_) return;
    request_ended_ = true;
    if (chunked_in_) in_.append("0\r\n").append(request_trailers_).append("\r\n");
    request_trailers_.clear();
    try_read();
}

void StreamChannel::on_reset() {
    reset_ = true;
    if (read_) read_.complete(asio::error::connection_reset, 0);
    if (write_) write_.complete(asio::error::connection_reset, 0);
}

void StreamChannel::try_read() {
    if (!read_) return;
    // A reset stream reads nothing more, not even what is buffered: a request reset before its pipeline ran
    // (Rapid Reset) never reaches a server.
    if (reset_) return read_.complete(asio::error::connection_reset, 0);
    const std::size_t available = in_.size() - in_pos_;
    if (available == 0) {
        if (request_ended_) return read_.complete(asio::error::eof, 0);
        return;  // completes when DATA or the end arrives
    }
    read_.complete({}, take_request(read_buffer_));
}

std::size_t StreamChannel::read_now(asio::mutable_buffer into) {
    if (reset_ || read_ || in_.size() == in_pos_) return 0;
    return take_request(into);
}

std::size_t StreamChannel::take_request(asio::mutable_buffer into) {
    const std::size_t n = std::min(in_.size() - in_pos_, into.size());
    std::memcpy(into.data(), in_.data() + in_pos_, n);
    in_pos_ += n;
    if (in_pos_ == in_.size()) {
        in_.clear();
        in_pos_ = 0;
    }
    // Payload bytes read so far (approximately, with chunk framing): at most what was buffered.
    const std::size_t data_read = std::min(buffered_data_, n);
    buffered_data_ -= data_read;
    unacknowledged_ += data_read;
    if (in_.size() - in_pos_ < kAcknowledgeBelow && unacknowledged_ != 0 && connection_) {
        connection_->consume(id_, unacknowledged_);
        unacknowledged_ = 0;
    }
    return n;
}

void StreamChannel::try_write() {
    if (!write_) return;
    if (reset_ || !connection_) return write_.complete(asio::error::connection_reset, 0);
    if (write_buffer_.size() == 0) return write_.complete({}, 0);
    const std::size_t n = take_response(static_cast<const char*>(write_buffer_.data()), write_buffer_.size());
    if (reset_) return write_.complete(asio::error::connection_reset, 0);
    if (n != 0) write_.complete({}, n);
    // else: full; send_response_body() makes room and calls again.
}

std::size_t StreamChannel::take_response(const char* data, std::size_t size) {
    if (out_state_ == Out::head) {
        head_.append(data, size);
        if (head_.size() > kMaxResponseHead || !parse_head()) {
            if (connection_) connection_->reset(id_, NGHTTP2_INTERNAL_ERROR);
            on_reset();
            return 0;
        }
        if (out_state_ == Out::head) return size;  // the head (or after an interim one) is not complete yet
        // parse_head() left the bytes after the final head in head_: the start of the body. They may take the
        // buffer past kOutCap by at most this one write.
        std::string rest = std::move(head_);
        head_.clear();
        if (!rest.empty()) take_body(rest.data(), rest.size());
        return size;
    }
    if (out_state_ == Out::done) return size;  // anything after the end of the body is dropped
    const std::size_t held = out_.size() - out_pos_;
    if (held >= kOutCap) return 0;
    const std::size_t n = std::min(kOutCap - held, size);
    take_body(data, n);
    return n;
}

bool StreamChannel::parse_head() {
    if (!connection_) return false;
    http::ResponseHead head;
    const auto r = http::parse_response_head(head_, method_, kMaxResponseHead, 1000, head);
    if (r.status == http::ParseStatus::incomplete) return true;
    if (r.status == http::ParseStatus::error) return false;
    if (websocket_ && head.status == 101) {
        // The tunnel opens (RFC 8441 §5): a 200 without END_STREAM and without the HTTP/1.1 handshake's own
        // fields, then the server's WebSocket bytes as DATA until the end.
        fill_fields(final_fields_, 200, head, "sec-websocket-accept");
        if (!connection_->submit_head(id_, final_fields_, true, true)) return false;
        submitted_ = true;
        out_state_ = Out::until_close;
        head_.erase(0, head.head_size);
        return true;
    }
    const bool interim = head.status >= 100 && head.status < 200;
    if (interim) {
        // 100 Continue and 103 Early Hints go on as non-final HEADERS; 101 never reaches an HTTP/2 stream.
        if (head.status != 101) {
            ResponseFields fields;
            fill_fields(fields, head.status, head);
            connection_->submit_head(id_, fields, false, false);
        }
        head_.erase(0, head.head_size);
        if (head_.empty()) return true;
        return parse_head();
    }
    fill_fields(final_fields_, head.status, head);
    if (!begin_body(head.framing, head.content_length, head.until_close)) return false;
    head_.erase(0, head.head_size);
    return true;
}

bool StreamChannel::take_final_head(const http::ResponseHead& head) {
    if (reset_ || !connection_) return false;
    // Part of a head written as text before cannot be joined with this one; nghttp2 may refuse the head.
    if (out_state_ == Out::head && head_.empty() && begin_body(head.framing, head.content_length, head.until_close))
        return true;
    connection_->reset(id_, NGHTTP2_INTERNAL_ERROR);
    on_reset();
    return false;
}

bool StreamChannel::begin_body(http::BodyFraming framing, std::uint64_t content_length, bool until_close) {
    const bool has_body = framing != http::BodyFraming::none || until_close;
    if (!connection_->submit_head(id_, final_fields_, true, has_body)) return false;
    submitted_ = true;
    if (framing == http::BodyFraming::content_length) {
        out_state_ = Out::length;
        remaining_ = content_length;
        // The body's bytes are taken into out_ as the pipeline writes them: room for all of a small one (a tile,
        // a JSON answer) from the start, so it is copied in once rather than again at each growth of the string.
        out_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, kOutCap)));
        if (remaining_ == 0) body_complete();
    } else if (framing == http::BodyFraming::chunked) {
        out_state_ = Out::chunked;
        chunks_.reset();
        trailers_out_.clear();
        chunks_.capture_trailers(&trailers_out_);
    } else if (until_close) {
        out_state_ = Out::until_close;
    } else {
        out_state_ = Out::done;
    }
    return true;
}

void StreamChannel::take_body(const char* data, std::size_t size) {
    switch (out_state_) {
        case Out::length: {
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, size));
            out_.append(data, n);
            remaining_ -= n;
            if (remaining_ == 0) body_complete();
            break;
        }
        case Out::chunked: {
            const auto r = chunks_.feed(std::string_view(data, size), &out_);
            if (r.status == http::ChunkedScanner::Status::error) {
                if (connection_) connection_->reset(id_, NGHTTP2_INTERNAL_ERROR);
                on_reset();
                return;
            }
            if (r.status == http::ChunkedScanner::Status::done) body_complete();
            break;
        }
        case Out::until_close: out_.append(data, size); break;
        case Out::head:
        case Out::done: break;
    }
    if (connection_) connection_->resume(id_);
}

void StreamChannel::body_complete() {
    out_state_ = Out::done;
    if (connection_) connection_->resume(id_);
}

std::size_t StreamChannel::peek_response_body(std::size_t size, bool& eof, bool& deferred) const {
    const std::size_t held = out_.size() - out_pos_;
    const std::size_t n = std::min(size, held);
    eof = out_state_ == Out::done && n == held;
    deferred = n == 0 && !eof;
    return n;
}

void StreamChannel::send_response_body(std::size_t n, std::string& to) {
    n = std::min(n, out_.size() - out_pos_);
    to.append(out_.data() + out_pos_, n);
    out_pos_ += n;
    if (out_pos_ == out_.size()) {
        out_.clear();
        out_pos_ = 0;
    }
    // Room again for a write that waited; not from inside nghttp2's send loop, which is calling us.
    if (n != 0 && write_) asio::post(executor_, [self = shared_from_this()] { self->try_write(); });
}

}  // namespace gisgate::h2
