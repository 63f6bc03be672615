// Incremental scanner of chunked transfer coding (RFC 9112 §7.1) for pass-through relaying: the proxy forwards
// the raw bytes unchanged and only needs to know where the message ends and whether the framing is valid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gisgate::http {

class ChunkedScanner {
public:
    enum class Status : std::uint8_t { need_more, done, error };

    struct Result {
        Status status = Status::need_more;
        std::size_t consumed = 0;  // bytes of `data` that belong to this message (all of it unless done)
        const char* error = nullptr;
    };

    // Feeds the next bytes of the body. On `done`, `consumed` is the end of the message (after the final
    // CRLF of the trailer section); bytes beyond it belong to the next message. Keeps no pointer to `data`.
    // `payload` (optional): the chunk data of `data` is appended to it, for a recipient that cannot read the
    // chunked coding (an HTTP/1.0 client).
    Result feed(std::string_view data, std::string* payload = nullptr);

    // Resets for a new message. `max_payload` (0 = none): a message whose chunk sizes add up to more is an
    // error with over_limit() set (a request body above `limits.max_request_body`: 413, not 400).
    void reset(std::uint64_t max_payload = 0) {
        *this = ChunkedScanner{};
        max_payload_ = max_payload;
    }
    bool over_limit() const { return over_limit_; }
    // Keeps the trailer section's lines ("name: value\r\n" each, as received, at most kMaxTrailerSize) in
    // `*out` as they are scanned, for a recipient that sends them on in another form (an HTTP/2 trailer
    // HEADERS frame). Call after reset(), which forgets it.
    void capture_trailers(std::string* out) { trailers_ = out; }
    std::uint64_t payload_bytes() const { return payload_bytes_; }  // sum of chunk sizes seen

    // Limits against abuse: a chunk-size line (with extensions) or a trailer line longer than this is an error.
    static constexpr std::size_t kMaxLineLength = 4096;
    // The whole trailer section (after the last chunk, including its final CRLF) may not exceed this.
    static constexpr std::size_t kMaxTrailerSize = 64 * 1024;
    // A chunk size has at most this many hex digits (leading zeros included), so it never overflows.
    static constexpr int kMaxSizeDigits = 16;
    // A chunk size above 2^63-1 is an error (no recipient can count that far in a signed offset).
    static constexpr std::uint64_t kMaxChunkSize = (std::uint64_t{1} << 63) - 1;
    // Chunk extensions are validated against RFC 9112 §7.1.1 (token / quoted-string) but never interpreted,
    // only relayed: their bytes over the whole message are bounded so that tiny chunks with long extensions
    // cannot multiply the work (or the bytes sent upstream).
    static constexpr std::size_t kMaxExtensionBytes = 16 * 1024;

private:
    enum class State : std::uint8_t { size, size_ws, ext_pre_name, ext_name, ext_after_name, ext_pre_value,
                                      ext_token_value, ext_quoted, ext_quoted_pair, ext_after_value, size_lf, data,
                                      data_cr, data_lf, trailer, trailer_lf, trailer_line, trailer_line_lf, finished,
                                      failed };
    Result fail(const char* why, std::size_t consumed);
    const char* extension_byte(char c);  // one byte of a chunk extension: advances state_, or the error text

    State state_ = State::size;
    std::uint64_t remaining_ = 0;  // bytes left in the current chunk's data
    std::uint64_t payload_bytes_ = 0;
    std::uint64_t max_payload_ = 0;  // 0 = no limit
    bool over_limit_ = false;
    std::size_t line_length_ = 0;
    std::size_t trailer_bytes_ = 0;
    std::size_t extension_bytes_ = 0;
    int size_digits_ = 0;           // hex digits of the current size; in trailer lines: 0 = name, 1 = value
    const char* error_ = nullptr;   // sticky once failed
    // The current trailer field's name, lower-cased, as far as needed to recognise the framing fields that
    // must not appear in a trailer (RFC 9110 §6.5.1).
    char trailer_name_[18] = {};
    std::uint8_t trailer_name_length_ = 0;
    std::string* trailers_ = nullptr;  // capture_trailers()
};

// Fields a trailer must not carry (`lower_name` lower-case): a recipient that merges trailers into the header
// section would re-frame the message or change its target (RFC 9110 §6.5.1).
bool forbidden_in_trailer(std::string_view lower_name);

// The chunk data of a chunked body, up to `limit` bytes (for a health check's or a submitJob answer's body):
// what ChunkedScanner::feed() finds, so malformed or cut-off framing gives the data before the fault.
std::string dechunk(std::string_view raw, std::size_t limit);

}  // namespace gisgate::http
