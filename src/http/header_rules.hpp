// Internal to src/http: character tables, field-line scanning and the framing-related header rules shared by
// the request and the response parser. Not part of the module's contract.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "http/request_head.hpp"

namespace gisgate::http::detail {

// ---------------------------------------------------------------------------------------------------------
// Character classes (RFC 9110 §5.6.2 tchar, §5.5 field-value, RFC 9112 §3.2 request-target).

struct CharTables {
    bool tchar[256] = {};         // token characters
    bool field_value[256] = {};   // HTAB, SP, VCHAR, obs-text (what may appear inside a field value)
    bool target[256] = {};        // request-target: VCHAR except '#', plus obs-text; no SP, no CTL
    bool host[256] = {};          // characters of a Host value: reg-name / IP-literal / port
    char lower[256] = {};         // ASCII lower-casing

    constexpr CharTables() {
        for (int c = 0; c < 256; ++c) {
            const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            const bool digit = c >= '0' && c <= '9';
            tchar[c] = alpha || digit || (c != 0 && std::string_view("!#$%&'*+-.^_`|~").find(char(c)) !=
                                                        std::string_view::npos);
            field_value[c] = c == '\t' || (c >= 0x20 && c != 0x7F);
            target[c] = c > 0x20 && c != 0x7F && c != '#';
            host[c] = alpha || digit ||
                      (c != 0 && std::string_view("-._~!$&'()*+,;=:[]%").find(char(c)) != std::string_view::npos);
            lower[c] = (c >= 'A' && c <= 'Z') ? char(c + 32) : char(c);
        }
    }
};

inline constexpr CharTables kChars{};

inline bool is_tchar(char c) { return kChars.tchar[static_cast<unsigned char>(c)]; }
inline char to_lower(char c) { return kChars.lower[static_cast<unsigned char>(c)]; }
inline unsigned char uc(char c) { return static_cast<unsigned char>(c); }  // for table lookups

// Case-insensitive equality against a lower-case ASCII literal.
inline bool iequals_lower(std::string_view s, std::string_view lower_literal) {
    if (s.size() != lower_literal.size()) return false;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (to_lower(s[i]) != lower_literal[i]) return false;
    return true;
}

// Advances `p` over bytes for which `table` is true (stops at `end`). The SSE2 path handles the two hot
// classes 16 bytes at a time; the scalar loop finishes the tail.
const char* scan_field_value(const char* p, const char* end);
const char* scan_target(const char* p, const char* end);

inline const char* scan_token(const char* p, const char* end) {
    while (p < end && kChars.tchar[static_cast<unsigned char>(*p)]) ++p;
    return p;
}

// ---------------------------------------------------------------------------------------------------------
// Field section parsing.

// What the field lines said about framing and connection handling, gathered in one pass.
struct FieldInfo {
    bool has_content_length = false;
    std::uint64_t content_length = 0;

    bool has_transfer_encoding = false;
    bool te_chunked_final = false;   // the last coding listed (over all TE fields) is chunked
    int te_chunked_count = 0;        // how many times chunked was listed
    bool te_other_coding = false;    // a coding other than chunked was listed

    std::string_view connection;     // first Connection field value
    bool connection_close = false;
    bool connection_keep_alive = false;

    int host_count = 0;
    std::string_view host;

    bool expect_continue = false;
};

enum class FieldsStatus : std::uint8_t { complete, incomplete, error };

struct FieldsResult {
    FieldsStatus status = FieldsStatus::incomplete;
    int error_status = 0;         // 400 or 431 (the response parser maps everything to 502)
    const char* error = nullptr;
    const char* end = nullptr;    // on complete: one past the CRLF of the empty line
};

// Parses field lines starting at `p` (the byte after the start-line's CRLF) up to and including the empty
// line. Appends to `headers`; more than `max_headers` fields is a 431.
FieldsResult parse_fields(const char* p, const char* end, std::uint32_t max_headers, std::vector<Header>& headers,
                          FieldInfo& info);

// ---------------------------------------------------------------------------------------------------------
// Guard against quadratic re-parsing: the parsers are stateless and re-scan the buffer from the start every
// time more bytes arrive. For a large buffer, first check cheaply (memchr) whether it can hold a complete
// head at all — an empty line shows up as "\n\r" or "\n\n" — and skip the full parse if not.
inline constexpr std::size_t kQuickCheckThreshold = 2048;

inline bool may_hold_head_end(const char* p, const char* end) {
    while (p < end) {
        const void* found = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
        if (found == nullptr) return false;
        const char* nl = static_cast<const char*>(found);
        if (nl + 1 >= end) return false;
        if (nl[1] == '\r' || nl[1] == '\n') return true;
        p = nl + 1;
    }
    return false;
}

// At most this many empty lines (CRLF) are skipped before a start-line (RFC 9112 §2.2 asks for at least one).
inline constexpr int kMaxLeadingEmptyLines = 8;

}  // namespace gisgate::http::detail
