#include "http/header_rules.hpp"

#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gisgate::http::detail {

namespace {


#if defined(__SSE2__)
inline int ctz(unsigned mask) { return __builtin_ctz(mask); }
#endif

constexpr std::size_t kTypicalFieldCount = 16;

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) {
    std::size_t b = 0, e = s.size();
    while (b < e && is_ows(s[b])) ++b;
    while (e > b && is_ows(s[e - 1])) --e;
    return s.substr(b, e - b);
}

// Calls `fn(element)` for each non-empty, OWS-trimmed element of a comma-separated list (RFC 9110 §5.6.1:
// empty elements are ignored). Returns false as soon as `fn` does.
template <class Fn>
bool for_each_list_element(std::string_view v, Fn&& fn) {
    std::size_t i = 0;
    while (i <= v.size()) {
        std::size_t comma = v.find(',', i);
        if (comma == std::string_view::npos) comma = v.size();
        const std::string_view element = trim_ows(v.substr(i, comma - i));
        if (!element.empty() && !fn(element)) return false;
        i = comma + 1;
    }
    return true;
}

// Content-Length = 1*DIGIT. A list of identical values ("5, 5", from proxies that merged duplicates) is
// accepted as one; empty elements, signs, spaces inside digits and values above 2^64-1 are not.
bool parse_content_length(std::string_view v, std::uint64_t& out) {
    if (v.empty()) return false;
    bool have = false;
    std::uint64_t first = 0;
    std::size_t i = 0;
    for (;;) {
        while (i < v.size() && is_ows(v[i])) ++i;
        const std::size_t digits_start = i;
        std::uint64_t n = 0;
        while (i < v.size() && v[i] >= '0' && v[i] <= '9') {
            const unsigned d = static_cast<unsigned>(v[i] - '0');
            if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return false;
            n = n * 10 + d;
            ++i;
        }
        if (i == digits_start) return false;  // empty element or non-digit
        if (have && n != first) return false;
        first = n;
        have = true;
        while (i < v.size() && is_ows(v[i])) ++i;
        if (i == v.size()) break;
        if (v[i] != ',') return false;
        ++i;
    }
    out = first;
    return true;
}

// Field names gisgate interprets. Dispatch on length first so most fields cost one switch.
enum class Known : std::uint8_t { none, host, expect, connection, content_length, transfer_encoding, lookalike };

// "Content_Length" / "Transfer_Encoding": servers behind CGI-style gateways fold '_' into '-', so such a field
// could frame the body for the server while gisgate ignores it. Same name with '_' for '-' (case-insensitive).
bool underscore_lookalike(std::string_view name, std::string_view lower_literal) {
    bool underscore = false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '_' && lower_literal[i] == '-') underscore = true;
        else if (to_lower(name[i]) != lower_literal[i]) return false;
    }
    return underscore;
}

Known classify(std::string_view name) {
    switch (name.size()) {
        case 4: return iequals_lower(name, "host") ? Known::host : Known::none;
        case 6: return iequals_lower(name, "expect") ? Known::expect : Known::none;
        case 10: return iequals_lower(name, "connection") ? Known::connection : Known::none;
        case 14:
            if (iequals_lower(name, "content-length")) return Known::content_length;
            return underscore_lookalike(name, "content-length") ? Known::lookalike : Known::none;
        case 17:
            if (iequals_lower(name, "transfer-encoding")) return Known::transfer_encoding;
            return underscore_lookalike(name, "transfer-encoding") ? Known::lookalike : Known::none;
        default: return Known::none;
    }
}

// A Connection option naming a framing field would make the hop-by-hop stripping remove that field from the
// forwarded message while gisgate still frames the body by it: the next hop would read the body as a new
// message (request smuggling, response splitting).
bool names_framing_field(std::string_view token) {
    return iequals_lower(token, "content-length") || iequals_lower(token, "transfer-encoding") ||
           iequals_lower(token, "host");
}

FieldsResult fail(int status, const char* why) {
    FieldsResult r;
    r.status = FieldsStatus::error;
    r.error_status = status;
    r.error = why;
    return r;
}

// Applies the rules for one interpreted field. Returns nullptr or an error reason (always a 400).
const char* apply_field(Known kind, std::string_view value, FieldInfo& info) {
    switch (kind) {
        case Known::none: break;
        case Known::lookalike: return "'_' in a framing header name";
        case Known::host:
            if (++info.host_count > 1) return "multiple Host headers";
            for (char c : value)
                if (!kChars.host[uc(c)]) return "invalid Host header";
            info.host = value;
            break;
        case Known::expect:
            if (iequals_lower(value, "100-continue")) info.expect_continue = true;
            break;
        case Known::connection: {
            if (info.connection.empty()) info.connection = value;
            const bool ok = for_each_list_element(value, [&](std::string_view token) {
                if (iequals_lower(token, "close")) info.connection_close = true;
                else if (iequals_lower(token, "keep-alive")) info.connection_keep_alive = true;
                else if (names_framing_field(token)) return false;
                return true;
            });
            if (!ok) return "Connection header names a framing header";
            break;
        }
        case Known::content_length: {
            std::uint64_t n = 0;
            if (!parse_content_length(value, n)) return "invalid Content-Length";
            if (info.has_content_length && n != info.content_length) return "conflicting Content-Length headers";
            info.has_content_length = true;
            info.content_length = n;
            break;
        }
        case Known::transfer_encoding: {
            info.has_transfer_encoding = true;
            for_each_list_element(value, [&](std::string_view coding) {
                const bool chunked = iequals_lower(coding, "chunked");
                if (chunked) ++info.te_chunked_count;
                else info.te_other_coding = true;
                info.te_chunked_final = chunked;
                return true;
            });
            break;
        }
    }
    return nullptr;
}

}  // namespace

const char* scan_field_value(const char* p, const char* end) {
#if defined(__SSE2__)
    // Stop at CTLs other than HTAB (0x00-0x08, 0x0A-0x1F) and DEL; bytes >= 0x80 (obs-text) pass.
    const __m128i c1f = _mm_set1_epi8(0x1F);
    const __m128i tab = _mm_set1_epi8('\t');
    const __m128i del = _mm_set1_epi8(0x7F);
    while (end - p >= 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, c1f), x);  // x <= 0x1F
        const __m128i bad = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(x, tab), ctl), _mm_cmpeq_epi8(x, del));
        const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(bad));
        if (mask != 0) return p + ctz(mask);
        p += 16;
    }
#endif
    while (p < end && kChars.field_value[uc(*p)]) ++p;
    return p;
}

const char* scan_target(const char* p, const char* end) {
#if defined(__SSE2__)
    // Stop at CTLs, SP, DEL and '#'.
    const __m128i c20 = _mm_set1_epi8(0x20);
    const __m128i del = _mm_set1_epi8(0x7F);
    const __m128i hash = _mm_set1_epi8('#');
    while (end - p >= 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(x, c20), x);  // x <= 0x20
        const __m128i bad = _mm_or_si128(low, _mm_or_si128(_mm_cmpeq_epi8(x, del), _mm_cmpeq_epi8(x, hash)));
        const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(bad));
        if (mask != 0) return p + ctz(mask);
        p += 16;
    }
#endif
    while (p < end && kChars.target[uc(*p)]) ++p;
    return p;
}

FieldsResult parse_fields(const char* p, const char* end, std::uint32_t max_headers, std::vector<Header>& headers,
                          FieldInfo& info) {
    FieldsResult incomplete;  // status incomplete by default
    // A head a new session parses (each HTTP/2 stream has one) would grow the vector 1, 2, 4, 8, 16: one
    // allocation for the usual size instead, a dozen fields from a browser, a handful from a server.
    if (headers.capacity() == 0) headers.reserve(kTypicalFieldCount);
    for (;;) {
        if (p == end) return incomplete;
        const char c = *p;
        if (c == '\r') {
            if (p + 1 == end) return incomplete;
            if (p[1] != '\n') return fail(400, "bare CR in header section");
            FieldsResult done;
            done.status = FieldsStatus::complete;
            done.end = p + 2;
            return done;
        }
        if (c == '\n') return fail(400, "bare LF in header section");
        if (c == ' ' || c == '\t') return fail(400, "obsolete line folding");

        // field-name ":"
        const char* name_start = p;
        p = scan_token(p, end);
        if (p == end) return incomplete;
        if (*p != ':') {
            if (*p == ' ' || *p == '\t') return fail(400, "whitespace before colon in header");
            if (*p == '\r' || *p == '\n') return fail(400, "header line without colon");
            return fail(400, "invalid character in header name");
        }
        if (p == name_start) return fail(400, "empty header name");
        const std::string_view name(name_start, static_cast<std::size_t>(p - name_start));
        ++p;

        // OWS field-value OWS CRLF
        while (p < end && (*p == ' ' || *p == '\t')) ++p;
        const char* value_start = p;
        p = scan_field_value(p, end);
        if (p == end) return incomplete;
        if (*p != '\r') {
            if (*p == '\n') return fail(400, "bare LF in header section");
            return fail(400, "invalid character in header value");
        }
        if (p + 1 == end) return incomplete;
        if (p[1] != '\n') return fail(400, "bare CR in header section");
        const char* value_end = p;
        while (value_end > value_start && (value_end[-1] == ' ' || value_end[-1] == '\t')) --value_end;
        p += 2;

        if (headers.size() >= max_headers) return fail(431, "too many headers");
        const std::string_view value(value_start, static_cast<std::size_t>(value_end - value_start));
        headers.push_back(Header{name, value});
        if (const Known kind = classify(name); kind != Known::none)
            if (const char* why = apply_field(kind, value, info)) return fail(400, why);
    }
}

}  // namespace gisgate::http::detail
