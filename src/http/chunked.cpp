#include "http/chunked.hpp"

#include <algorithm>

#include "http/header_rules.hpp"

namespace gisgate::http {

namespace {

using detail::uc;

struct HexTable {
    signed char value[256] = {};
    constexpr HexTable() {
        for (int c = 0; c < 256; ++c) value[c] = -1;
        for (int c = '0'; c <= '9'; ++c) value[c] = static_cast<signed char>(c - '0');
        for (int c = 'a'; c <= 'f'; ++c) value[c] = static_cast<signed char>(c - 'a' + 10);
        for (int c = 'A'; c <= 'F'; ++c) value[c] = static_cast<signed char>(c - 'A' + 10);
    }
};
constexpr HexTable kHex{};


}  // namespace

bool forbidden_in_trailer(std::string_view lower_name) {
    return lower_name == "content-length" || lower_name == "transfer-encoding" || lower_name == "host" ||
           lower_name == "connection" || lower_name == "trailer";
}

// chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
// chunk-ext-name = token;  chunk-ext-val = token / quoted-string  (RFC 9112 §7.1.1, RFC 9110 §5.6.4)
// A malformed extension is refused, not relayed: an unterminated quoted string ("5;a=\"\r\n...") is exactly
// where two parsers can disagree on where the chunk data starts (request smuggling). Called for every byte
// after the chunk size up to the line's CR; the CR itself goes to size_lf.
const char* ChunkedScanner::extension_byte(char c) {
    const bool ws = c == ' ' || c == '\t';
    const bool tchar = detail::is_tchar(c);
    if (c == '\n') return "bare LF in chunk size line";
    switch (state_) {
        case State::size_ws:  // BWS after the size: only valid before ';'
            if (c == ';') state_ = State::ext_pre_name;
            else if (!ws) return "invalid chunk size";
            return nullptr;
        case State::ext_pre_name:
            if (tchar) state_ = State::ext_name;
            else if (!ws) return "invalid chunk extension name";
            return nullptr;
        case State::ext_name:
        case State::ext_after_name:
            if (tchar && state_ == State::ext_name) return nullptr;
            if (ws) state_ = State::ext_after_name;
            else if (c == '=') state_ = State::ext_pre_value;
            else if (c == ';') state_ = State::ext_pre_name;
            else if (c == '\r') state_ = State::size_lf;
            else return "invalid chunk extension";
            return nullptr;
        case State::ext_pre_value:
            if (c == '"') state_ = State::ext_quoted;
            else if (tchar) state_ = State::ext_token_value;
            else if (!ws) return "invalid chunk extension value";
            return nullptr;
        case State::ext_token_value:
        case State::ext_after_value:
            if (tchar && state_ == State::ext_token_value) return nullptr;
            if (ws) state_ = State::ext_after_value;
            else if (c == ';') state_ = State::ext_pre_name;
            else if (c == '\r') state_ = State::size_lf;
            else return "invalid chunk extension";
            return nullptr;
        case State::ext_quoted:  // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
            if (c == '"') state_ = State::ext_after_value;
            else if (c == '\\') state_ = State::ext_quoted_pair;
            else if (!detail::kChars.field_value[uc(c)]) return "unterminated quoted string in chunk extension";
            return nullptr;
        case State::ext_quoted_pair:  // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
            if (!detail::kChars.field_value[uc(c)]) return "unterminated quoted string in chunk extension";
            state_ = State::ext_quoted;
            return nullptr;
        default:
            return "invalid chunk extension";
    }
}

ChunkedScanner::Result ChunkedScanner::fail(const char* why, std::size_t consumed) {
    state_ = State::failed;
    error_ = why;
    Result r;
    r.status = Status::error;
    r.consumed = consumed;
    r.error = why;
    return r;
}

// chunked-body = *chunk last-chunk trailer-section CRLF
// chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
// chunk-ext    = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
// Extensions are validated and bounded but never interpreted (extension_byte); line endings are strictly CRLF
// so that the message end is the same for every conforming parser behind the proxy.
ChunkedScanner::Result ChunkedScanner::feed(std::string_view data, std::string* payload) {
    Result r;
    if (state_ == State::failed) {
        r.status = Status::error;
        r.error = error_;
        return r;
    }
    if (state_ == State::finished) {
        r.status = Status::done;
        return r;
    }
    const char* const begin = data.data();
    const char* const end = begin + data.size();
    const char* p = begin;
    auto used = [&] { return static_cast<std::size_t>(p - begin); };

    while (p < end) {
        switch (state_) {
            case State::data: {
                const std::uint64_t n = std::min<std::uint64_t>(remaining_, static_cast<std::uint64_t>(end - p));
                if (payload != nullptr) payload->append(p, static_cast<std::size_t>(n));
                p += n;
                remaining_ -= n;
                if (remaining_ == 0) state_ = State::data_cr;
                continue;
            }
            case State::size: {
                const char c = *p;
                const int v = kHex.value[uc(c)];
                if (v >= 0) {
                    if (size_digits_ == kMaxSizeDigits) return fail("chunk size too long", used());
                    if ((remaining_ >> 59) != 0) return fail("chunk size too large", used());  // > 2^63-1
                    remaining_ = (remaining_ << 4) | static_cast<std::uint64_t>(v);
                    ++size_digits_;
                    ++line_length_;
                } else if (size_digits_ == 0) {
                    return fail("invalid chunk size", used());
                } else if (c == '\r') {
                    state_ = State::size_lf;
                } else if (c == ';') {
                    state_ = State::ext_pre_name;
                    ++line_length_;
                    ++extension_bytes_;
                } else if (c == ' ' || c == '\t') {
                    state_ = State::size_ws;
                    ++line_length_;
                } else if (c == '\n') {
                    return fail("bare LF in chunk size line", used());
                } else {
                    return fail("invalid chunk size", used());
                }
                ++p;
                continue;
            }
            case State::size_ws:
            case State::ext_pre_name:
            case State::ext_name:
            case State::ext_after_name:
            case State::ext_pre_value:
            case State::ext_token_value:
            case State::ext_quoted:
            case State::ext_quoted_pair:
            case State::ext_after_value: {
                if (*p != '\r') {  // the line's CR is not part of its length
                    if (++line_length_ > kMaxLineLength) return fail("chunk size line too long", used());
                    if (++extension_bytes_ > kMaxExtensionBytes)
                        return fail("too many chunk extension bytes", used());
                }
                if (const char* why = extension_byte(*p)) return fail(why, used());
                ++p;
                continue;
            }
            case State::size_lf:
                if (*p != '\n') return fail("bare CR in chunk size line", used());
                ++p;
                payload_bytes_ += remaining_;  // both <= 2^63-1 while a limit holds, so no overflow
                if (max_payload_ != 0 && payload_bytes_ > max_payload_) {
                    over_limit_ = true;
                    return fail("body larger than the configured limit", used());
                }
                size_digits_ = 0;
                line_length_ = 0;
                state_ = remaining_ == 0 ? State::trailer : State::data;
                continue;
            case State::data_cr:
                if (*p != '\r') return fail("missing CRLF after chunk data", used());
                ++p;
                state_ = State::data_lf;
                continue;
            case State::data_lf:
                if (*p != '\n') return fail("missing CRLF after chunk data", used());
                ++p;
                state_ = State::size;
                continue;
            case State::trailer: {  // start of a trailer line, or the final CRLF
                const char c = *p;
                if (++trailer_bytes_ > kMaxTrailerSize) return fail("trailer section too large", used());
                if (c == '\r') {
                    state_ = State::trailer_lf;
                } else if (c == '\n') {
                    return fail("bare LF in trailer section", used());
                } else if (!detail::is_tchar(c)) {
                    return fail("invalid trailer field", used());
                } else {
                    if (trailers_ != nullptr) trailers_->push_back(c);
                    state_ = State::trailer_line;
                    size_digits_ = 0;  // in the name
                    line_length_ = 1;
                    trailer_name_[0] = detail::to_lower(c);
                    trailer_name_length_ = 1;
                }
                ++p;
                continue;
            }
            case State::trailer_line: {
                const char c = *p;
                if (++trailer_bytes_ > kMaxTrailerSize) return fail("trailer section too large", used());
                if (++line_length_ > kMaxLineLength) return fail("trailer line too long", used());
                if (c == '\r') {
                    if (size_digits_ == 0) return fail("trailer line without colon", used());
                    state_ = State::trailer_line_lf;
                } else if (c == '\n') {
                    return fail("bare LF in trailer section", used());
                } else if (size_digits_ == 0) {
                    if (c == ':') {
                        size_digits_ = 1;
                        if (trailer_name_length_ < sizeof trailer_name_ &&
                            forbidden_in_trailer({trailer_name_, trailer_name_length_}))
                            return fail("framing field in chunked trailer", used());
                    } else if (!detail::is_tchar(c)) {
                        return fail("invalid trailer field", used());
                    } else if (trailer_name_length_ < sizeof trailer_name_) {
                        trailer_name_[trailer_name_length_++] = detail::to_lower(c);
                    }
                } else if (!detail::kChars.field_value[uc(c)]) {
                    return fail("invalid character in trailer field", used());
                }
                if (trailers_ != nullptr && c != '\r') trailers_->push_back(c);
                ++p;
                continue;
            }
            case State::trailer_line_lf:
                if (*p != '\n') return fail("bare CR in trailer section", used());
                if (++trailer_bytes_ > kMaxTrailerSize) return fail("trailer section too large", used());
                if (trailers_ != nullptr) trailers_->append("\r\n");
                ++p;
                state_ = State::trailer;
                continue;
            case State::trailer_lf:
                if (*p != '\n') return fail("bare CR in trailer section", used());
                ++p;
                state_ = State::finished;
                r.status = Status::done;
                r.consumed = used();
                return r;
            case State::finished:
            case State::failed:
                return r;  // unreachable: handled before the loop
        }
    }
    r.consumed = used();
    return r;
}

std::string dechunk(std::string_view raw, std::size_t limit) {
    ChunkedScanner scanner;
    std::string data;
    scanner.feed(raw, &data);
    if (data.size() > limit) data.resize(limit);
    return data;
}

}  // namespace gisgate::http
