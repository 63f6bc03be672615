// Tracks where a message body ends while its bytes are relayed unchanged: a byte count for Content-Length,
// the chunked scanner for chunked coding, or "until the peer closes".
#pragma once

#include <cstdint>
#include <string_view>

#include "http/chunked.hpp"
#include "http/request_head.hpp"

namespace gisgate::proxy {

class BodyCursor {
public:
    // `max_chunked` (0 = none): chunk sizes adding up to more are an error with error_status() 413 (a
    // Content-Length body is checked against the limit before it starts, from its header).
    void start(http::BodyFraming framing, std::uint64_t content_length, bool until_close = false,
               std::uint64_t max_chunked = 0) {
        framing_ = framing;
        remaining_ = content_length;
        until_close_ = until_close;
        chunks_.reset(max_chunked);
        error_ = nullptr;
        done_ = !until_close && (framing == http::BodyFraming::none ||
                                 (framing == http::BodyFraming::content_length && content_length == 0));
    }

    // How many bytes at the start of `data` belong to the body. Sets done() at the body's end and error()
    // on malformed chunked framing.
    std::size_t take(std::string_view data) {
        if (done_ || data.empty()) return 0;
        if (until_close_) return data.size();
        if (framing_ == http::BodyFraming::content_length) {
            const std::size_t n = data.size() < remaining_ ? data.size() : static_cast<std::size_t>(remaining_);
            remaining_ -= n;
            done_ = remaining_ == 0;
            return n;
        }
        const auto r = chunks_.feed(data);
        if (r.status == http::ChunkedScanner::Status::error) {
            error_ = r.error ? r.error : "bad chunked encoding";
            return 0;
        }
        done_ = r.status == http::ChunkedScanner::Status::done;
        return r.consumed;
    }

    // The peer closed: the end of an until-close body, an error for the others.
    void on_eof() {
        if (until_close_) done_ = true;
    }

    bool done() const { return done_; }
    const char* error() const { return error_; }
    int error_status() const { return chunks_.over_limit() ? 413 : 400; }  // for a request body
    bool until_close() const { return until_close_; }

private:
    http::BodyFraming framing_ = http::BodyFraming::none;
    std::uint64_t remaining_ = 0;
    http::ChunkedScanner chunks_;
    const char* error_ = nullptr;
    bool until_close_ = false;
    bool done_ = true;
};

}  // namespace gisgate::proxy
