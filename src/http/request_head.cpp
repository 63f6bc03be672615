#include "http/request_head.hpp"

#include <cstring>
#include <limits>

#include "http/header_rules.hpp"

namespace gisgate::http {

void RequestHead::clear() {
    method = Method::other;
    method_text = {};
    target = {};
    path = {};
    query = {};
    version_minor = 1;
    headers.clear();  // keeps capacity: no allocation once warmed up
    framing = BodyFraming::none;
    content_length = 0;
    keep_alive = true;
    expect_continue = false;
    host = {};
    connection = {};
    head_size = 0;
}

namespace {

using detail::FieldInfo;
using detail::FieldsStatus;

ParseResult fail(int status, const char* why) {
    ParseResult r;
    r.status = ParseStatus::error;
    r.error_status = status;
    r.error = why;
    return r;
}

constexpr ParseResult kIncomplete{};

// Length of the (possibly still incomplete) line starting at `line`, without its CR/CRLF.
std::size_t line_length(const char* line, const char* end) {
    const void* nl = std::memchr(line, '\n', static_cast<std::size_t>(end - line));
    const char* stop = nl ? static_cast<const char*>(nl) : end;
    if (stop > line && stop[-1] == '\r') --stop;
    return static_cast<std::size_t>(stop - line);
}

// The head is not complete: decide between waiting for more bytes and a limit error. `line` is where the
// request line starts (after skipped empty lines).
ParseResult incomplete_or_limit(const char* line, const char* begin, const char* end, const Limits& limits) {
    if (line_length(line, end) > limits.max_request_line) return fail(414, "request line too long");
    if (static_cast<std::size_t>(end - begin) > limits.max_header_size) return fail(431, "request header too large");
    return kIncomplete;
}

// Skips up to kMaxLeadingEmptyLines CRLFs. Returns nullptr and sets `r` when done (error or incomplete).
const char* skip_empty_lines(const char* p, const char* end, ParseResult& r) {
    for (int n = 0; p < end && (*p == '\r' || *p == '\n'); ++n) {
        if (*p == '\n') { r = fail(400, "bare LF before request line"); return nullptr; }
        if (p + 1 == end) { r = kIncomplete; return nullptr; }
        if (p[1] != '\n') { r = fail(400, "bare CR before request line"); return nullptr; }
        if (n == detail::kMaxLeadingEmptyLines) { r = fail(400, "too many empty lines before request line"); return nullptr; }
        p += 2;
    }
    return p;
}

}  // namespace

ParseResult parse_request_head(std::string_view buf, const Limits& limits, RequestHead& out) {
    out.clear();
    if (buf.empty()) return kIncomplete;
    const char* const begin = buf.data();
    const char* const end = begin + buf.size();

    ParseResult early;
    const char* p = skip_empty_lines(begin, end, early);
    if (p == nullptr) {
        if (early.status == ParseStatus::incomplete && buf.size() > limits.max_header_size)
            return fail(431, "request header too large");
        return early;
    }
    const char* const line = p;

    // A large buffer without an empty line cannot hold a complete head: answer without the full scan (keeps a
    // client trickling bytes from making the re-parsing quadratic).
    if (buf.size() > detail::kQuickCheckThreshold && !detail::may_hold_head_end(line, end))
        return incomplete_or_limit(line, begin, end, limits);

    // method SP
    p = detail::scan_token(p, end);
    if (p == end) return incomplete_or_limit(line, begin, end, limits);
    if (*p != ' ') return fail(400, p == line ? "invalid method" : "invalid character after method");
    if (p == line) return fail(400, "empty method");
    out.method_text = std::string_view(line, static_cast<std::size_t>(p - line));
    out.method = method_from(out.method_text);
    if (out.method == Method::other && is_case_variant_of_standard(out.method_text))
        return fail(400, "method must be upper case");
    ++p;

    // request-target SP
    const char* const target = p;
    p = detail::scan_target(p, end);
    if (p == end) return incomplete_or_limit(line, begin, end, limits);
    if (*p != ' ') {
        if (*p == '#') return fail(400, "fragment in request target");
        if (*p == '\r' || *p == '\n') return fail(400, "missing HTTP version");
        return fail(400, "invalid character in request target");
    }
    if (p == target) return fail(400, "empty request target");
    out.target = std::string_view(target, static_cast<std::size_t>(p - target));
    ++p;

    // HTTP-version CRLF: exactly "HTTP/1.0" or "HTTP/1.1", then CRLF.
    if (end - p < 10) return incomplete_or_limit(line, begin, end, limits);
    if (p[8] != '\r' || p[9] != '\n') {
        if (p[8] == '\n') return fail(400, "bare LF after request line");
        if (p[8] == '\r') return fail(400, "bare CR after request line");
        return fail(400, "invalid HTTP version");
    }
    if (std::memcmp(p, "HTTP/", 5) != 0 || p[5] < '0' || p[5] > '9' || p[6] != '.' || p[7] < '0' || p[7] > '9')
        return fail(400, "invalid HTTP version");
    if (p[5] != '1' || (p[7] != '0' && p[7] != '1')) return fail(505, "HTTP version not supported");
    out.version_minor = p[7] - '0';
    if (static_cast<std::size_t>(p + 8 - line) > limits.max_request_line) return fail(414, "request line too long");
    p += 10;

    // Request-target form (RFC 9112 §3.2). gisgate is a reverse proxy: it accepts origin-form, "OPTIONS *" and
    // parses CONNECT's authority-form (the proxy refuses CONNECT later). Absolute-form ("http://host/path") is
    // only required of forward proxies; it is rejected rather than rewritten so that the Host header stays the
    // single source of the authority and no two views of the target can disagree.
    if (out.target[0] == '/') {
        const std::size_t q = out.target.find('?');
        if (q == std::string_view::npos) {
            out.path = out.target;
        } else {
            out.path = out.target.substr(0, q);
            out.query = out.target.substr(q + 1);
        }
    } else if (out.method == Method::connect) {
        // authority-form: path and query stay empty.
    } else if (out.method == Method::options && out.target == "*") {
        out.path = out.target;  // asterisk-form
    } else if (out.target.find("://") != std::string_view::npos) {
        return fail(400, "absolute-form request target not accepted");
    } else {
        return fail(400, "invalid request target");
    }

    // Field lines.
    FieldInfo info;
    const detail::FieldsResult fr = detail::parse_fields(p, end, limits.max_headers, out.headers, info);
    if (fr.status == FieldsStatus::incomplete) {
        if (buf.size() > limits.max_header_size) return fail(431, "request header too large");
        return kIncomplete;
    }
    if (fr.status == FieldsStatus::error) return fail(fr.error_status, fr.error);
    out.head_size = static_cast<std::size_t>(fr.end - begin);
    if (out.head_size > limits.max_header_size) return fail(431, "request header too large");

    // Host (RFC 9112 §3.2): required in HTTP/1.1; a second one is rejected in parse_fields.
    if (info.host_count == 0 && out.version_minor == 1) return fail(400, "missing Host header");
    out.host = info.host;

    // Framing (RFC 9112 §6.3). Anything ambiguous is a 400 and the connection is closed by the caller.
    if (info.has_transfer_encoding) {
        if (info.has_content_length) return fail(400, "both Content-Length and Transfer-Encoding");
        if (out.version_minor == 0) return fail(400, "Transfer-Encoding in HTTP/1.0 request");
        if (info.te_chunked_count > 1) return fail(400, "chunked applied more than once");
        if (!info.te_chunked_final) return fail(400, "chunked is not the final transfer coding");
        if (info.te_other_coding) return fail(501, "unsupported transfer coding");
        out.framing = BodyFraming::chunked;
    } else if (info.has_content_length) {
        // Above 2^63-1 no recipient can count the body (signed offsets): refuse rather than relay it.
        if (info.content_length > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return fail(400, "Content-Length too large");
        // Content-Length: 0 is reported as framing none (no body to relay), content_length 0.
        out.content_length = info.content_length;
        out.framing = info.content_length == 0 ? BodyFraming::none : BodyFraming::content_length;
    }

    out.connection = info.connection;
    out.keep_alive = out.version_minor == 1 ? !info.connection_close
                                            : (info.connection_keep_alive && !info.connection_close);
    out.expect_continue = info.expect_continue && out.version_minor == 1;  // ignored for 1.0 (RFC 9110 §10.1.1)

    ParseResult ok;
    ok.status = ParseStatus::complete;
    return ok;
}

}  // namespace gisgate::http
