// HTTP/1.x response head parsing (server side of the proxy), same rules and reasons as request_head.hpp.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "http/request_head.hpp"

namespace gisgate::http {

struct ResponseHead {
    int status = 0;
    std::string_view reason;
    int version_minor = 1;
    std::vector<Header> headers;

    BodyFraming framing = BodyFraming::none;
    std::uint64_t content_length = 0;  // 0 unless framing is content_length (also 0 for HEAD/1xx/204/304)
    bool until_close = false;  // no length and not chunked: the body ends when the server closes
    bool keep_alive = true;    // the server will keep the connection open after this response
    std::string_view connection;
    std::size_t head_size = 0;

    void clear();
};

// `request_method` decides bodiless responses (HEAD; also 1xx, 204, 304 have no body). Errors (malformed
// status line, conflicting lengths, ...) mean the proxy answers 502 and must not reuse the connection.
ParseResult parse_response_head(std::string_view buf, Method request_method, std::uint32_t max_header_size,
                                std::uint32_t max_headers, ResponseHead& out);

}  // namespace gisgate::http
