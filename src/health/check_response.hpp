// Collects a health-check response from raw socket bytes and judges it, without sockets so framing edge
// cases (chunked bodies, early close, oversized bodies) are unit-testable.
//
// The check sends `Connection: close`, but a server may still answer chunked or keep the connection open, so
// the response is complete when its framing says so (Content-Length, last chunk) or when the server closes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "http/chunked.hpp"

namespace gisgate::health {

class ResponseCollector {
public:
    enum class Status : std::uint8_t { need_more, complete, malformed };

    // Only this much of a body is kept and searched for `expect_body`; the rest is not read.
    static constexpr std::size_t kMaxBody = 64 * 1024;
    static constexpr std::uint32_t kMaxHead = 64 * 1024;

    // `max_body`: the body cap; larger for callers that need whole documents (catalog reads).
    explicit ResponseCollector(std::size_t max_body = kMaxBody) : max_body_(max_body) {}

    // Bytes read from the socket. Once complete or malformed, further bytes are ignored.
    Status append(std::string_view bytes);
    // The server closed the connection: complete when the body runs until close, else malformed (truncated).
    Status end_of_stream();

    bool received_anything() const { return received_ > 0; }
    Status status() const { return status_; }
    int http_status() const { return http_status_; }
    // The (de-chunked) body, at most the body cap. Valid once complete.
    std::string_view body() const { return body_; }
    // The body was longer than the cap and body() holds only its beginning (a health check does not care; a
    // caller parsing the body does).
    bool body_truncated() const { return truncated_; }
    // Why the response is malformed ("incomplete response head", "response truncated", parser reasons).
    const std::string& error() const { return error_; }

private:
    Status parse_head();
    Status take_body();
    Status fail(std::string why);

    std::size_t max_body_ = kMaxBody;
    bool truncated_ = false;
    std::string raw_;   // head bytes, then raw body bytes (chunked framing included)
    std::string body_;  // decoded body
    std::size_t received_ = 0;
    std::size_t head_size_ = 0;  // 0 until the (final) head is parsed
    int http_status_ = 0;
    bool chunked_ = false;
    bool until_close_ = false;
    std::uint64_t content_length_ = 0;
    http::ChunkedScanner scanner_;
    std::size_t scanned_ = 0;  // raw body bytes already fed to scanner_
    Status status_ = Status::need_more;
    std::string error_;
};

// Empty when `response` (complete) is what `health` expects; else a short reason for HealthInfo::last_error,
// e.g. "status 500, expected 200" or "body does not contain '\"success\"'".
std::string judge(const ResponseCollector& response, const config::HealthConfig& health);

}  // namespace gisgate::health
