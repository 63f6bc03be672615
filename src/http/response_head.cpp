#include "http/response_head.hpp"

#include <cstring>

#include "http/header_rules.hpp"

namespace gisgate::http {

void ResponseHead::clear() {
    status = 0;
    reason = {};
    version_minor = 1;
    headers.clear();  // keeps capacity
    framing = BodyFraming::none;
    content_length = 0;
    until_close = false;
    keep_alive = true;
    connection = {};
    head_size = 0;
}

namespace {

using detail::FieldInfo;
using detail::FieldsStatus;

// Every malformed response is a 502 from the client's point of view.
ParseResult fail(const char* why) {
    ParseResult r;
    r.status = ParseStatus::error;
    r.error_status = 502;
    r.error = why;
    return r;
}

ParseResult incomplete_or_limit(std::size_t size, std::uint32_t max_header_size) {
    if (size > max_header_size) return fail("response header too large");
    return ParseResult{};
}

}  // namespace

ParseResult parse_response_head(std::string_view buf, Method request_method, std::uint32_t max_header_size,
                                std::uint32_t max_headers, ResponseHead& out) {
    out.clear();
    if (buf.empty()) return ParseResult{};
    const char* const begin = buf.data();
    const char* const end = begin + buf.size();
    const char* p = begin;

    // Tolerate a few stray CRLFs before the status line (some servers emit one after a body); strict otherwise.
    for (int n = 0; p < end && (*p == '\r' || *p == '\n'); ++n) {
        if (*p == '\n') return fail("bare LF before status line");
        if (p + 1 == end) return incomplete_or_limit(buf.size(), max_header_size);
        if (p[1] != '\n') return fail("bare CR before status line");
        if (n == detail::kMaxLeadingEmptyLines) return fail("too many empty lines before status line");
        p += 2;
    }

    // Reject a non-HTTP/1.x answer as soon as its first bytes are visible.
    static constexpr char kPrefix[] = "HTTP/1.";
    const std::size_t avail = static_cast<std::size_t>(end - p);
    if (std::memcmp(p, kPrefix, avail < 7 ? avail : 7) != 0) return fail("invalid status line");

    if (buf.size() > detail::kQuickCheckThreshold && !detail::may_hold_head_end(p, end))
        return incomplete_or_limit(buf.size(), max_header_size);

    // status-line = HTTP-version SP 3DIGIT SP [reason-phrase] CRLF
    if (avail < 13) return incomplete_or_limit(buf.size(), max_header_size);
    if (p[7] != '0' && p[7] != '1') return fail("unsupported HTTP version in response");
    out.version_minor = p[7] - '0';
    if (p[8] != ' ') return fail("invalid status line");
    if (p[9] < '1' || p[9] > '9' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9')
        return fail("invalid status code");
    out.status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    p += 12;
    if (*p == ' ') {
        const char* reason = ++p;
        p = detail::scan_field_value(p, end);
        if (p == end) return incomplete_or_limit(buf.size(), max_header_size);
        out.reason = std::string_view(reason, static_cast<std::size_t>(p - reason));
    }
    // Also reached directly for "HTTP/1.1 200\r\n" (no SP before an empty reason, tolerated).
    if (*p != '\r') return fail(*p == '\n' ? "bare LF in status line" : "invalid status line");
    if (p + 1 == end) return incomplete_or_limit(buf.size(), max_header_size);
    if (p[1] != '\n') return fail("bare CR in status line");
    p += 2;

    FieldInfo info;
    const detail::FieldsResult fr = detail::parse_fields(p, end, max_headers, out.headers, info);
    if (fr.status == FieldsStatus::incomplete) return incomplete_or_limit(buf.size(), max_header_size);
    if (fr.status == FieldsStatus::error) return fail(fr.error);
    out.head_size = static_cast<std::size_t>(fr.end - begin);
    if (out.head_size > max_header_size) return fail("response header too large");

    // Body length (RFC 9112 §6.3). Conflicts are errors even when the response has no body: a server that
    // sends them is confused and the connection must not be reused.
    const bool bodiless = out.status < 200 || out.status == 204 || out.status == 304 ||
                          request_method == Method::head;
    if (info.has_transfer_encoding) {
        if (info.has_content_length) return fail("both Content-Length and Transfer-Encoding in response");
        if (out.version_minor == 0) return fail("Transfer-Encoding in HTTP/1.0 response");
        if (info.te_chunked_count > 1) return fail("chunked applied more than once");
        if (!bodiless) {
            if (info.te_chunked_final) out.framing = BodyFraming::chunked;
            else out.until_close = true;  // chunked not final: the body ends at close
        }
    } else if (info.has_content_length) {
        // content_length stays 0 for bodiless responses (a HEAD response's length describes the GET body).
        if (!bodiless && info.content_length > 0) {
            out.framing = BodyFraming::content_length;
            out.content_length = info.content_length;
        }
    } else if (!bodiless) {
        out.until_close = true;
    }

    out.connection = info.connection;
    out.keep_alive = !out.until_close && (out.version_minor == 1 ? !info.connection_close
                                                                 : (info.connection_keep_alive && !info.connection_close));

    ParseResult ok;
    ok.status = ParseStatus::complete;
    return ok;
}

}  // namespace gisgate::http
