// HTTP/1.x request head parsing into views over the read buffer.
//
// Hand-written rather than Boost.Beast's parser on purpose: Beast's basic_fields allocates a node per header
// and copies names and values, which is an allocation per header per request on the proxy's hot path. This
// parser allocates nothing once `headers` has reached its steady capacity, and it is strict about framing
// (request smuggling) in the ways a front-line proxy must be.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "http/method.hpp"

namespace gisgate::http {

struct Header {
    std::string_view name;   // as sent (case preserved)
    std::string_view value;  // leading/trailing whitespace trimmed
};

enum class BodyFraming : std::uint8_t { none, content_length, chunked };

struct RequestHead {
    Method method = Method::other;
    std::string_view method_text;
    std::string_view target;  // raw request-target (origin-form: path[?query])
    std::string_view path;    // target up to '?'
    std::string_view query;   // after '?', without it; empty if none
    int version_minor = 1;    // HTTP/1.<minor>, 0 or 1
    std::vector<Header> headers;

    // Derived once while parsing, so later stages never scan headers again.
    BodyFraming framing = BodyFraming::none;  // "Content-Length: 0" gives none (and content_length 0)
    std::uint64_t content_length = 0;
    bool keep_alive = true;       // HTTP/1.1 default unless "Connection: close"; 1.0 needs keep-alive
    bool expect_continue = false; // "Expect: 100-continue"
    std::string_view host;        // Host header value (empty if absent)
    std::string_view connection;  // raw value of the first Connection header (to strip tokens it names; if there
                                  // are several, walk `headers` — keep_alive already accounts for all of them)
    std::size_t head_size = 0;    // bytes of the head including the final CRLFCRLF

    void clear();
};

struct Limits {
    std::uint32_t max_request_line = 32 * 1024;
    std::uint32_t max_header_size = 64 * 1024;
    std::uint32_t max_headers = 100;
};

enum class ParseStatus : std::uint8_t { complete, incomplete, error };

struct ParseResult {
    ParseStatus status = ParseStatus::incomplete;
    int error_status = 0;        // on error: 400, 414, 431, 501 (transfer coding) or 505 (HTTP/2.0, HTTP/1.2)
    const char* error = nullptr; // on error: short reason for logs and the JSON error body
};

// Parses the head at the start of `buf`. `incomplete` means more bytes are needed (and the limits are not
// yet exceeded: a head growing past them is an error, 414 for the request line, 431 for the headers).
// On `complete`, `out` holds views into `buf` and out.head_size says where the body starts.
ParseResult parse_request_head(std::string_view buf, const Limits& limits, RequestHead& out);

}  // namespace gisgate::http
