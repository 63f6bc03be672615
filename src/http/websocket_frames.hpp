// Where WebSocket frames (RFC 6455 §5.2) begin and end in a byte stream that gisgate relays but does not
// otherwise read: enough to know when it may put a frame of its own between two of the server's (a close frame,
// 1001 "going away", when gisgate shuts down) without cutting one in half. Costs a few comparisons per frame
// header; payload bytes are skipped by count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gisgate::http {

class FrameBoundary {
public:
    // The next `n` bytes of the stream.
    void feed(const char* data, std::size_t n);
    // True when the bytes fed so far end exactly after a whole frame (or none was fed).
    bool at_boundary() const { return state_ == State::first && payload_left_ == 0; }
    // A frame header that RFC 6455 forbids (a 64-bit length with its top bit set): boundaries are unknown.
    bool broken() const { return state_ == State::broken; }

private:
    enum class State : std::uint8_t { first, second, length, mask, payload, broken };
    State state_ = State::first;
    bool masked_ = false;
    std::uint8_t length_bytes_ = 0;  // extended length bytes still to read (2 or 8 in all)
    std::uint8_t mask_bytes_ = 0;    // masking key bytes still to read
    std::uint64_t payload_left_ = 0;
};

// An unmasked close frame (server to client) with `code` and a short `reason` (at most 123 bytes are kept).
std::string websocket_close_frame(std::uint16_t code, std::string_view reason);

}  // namespace gisgate::http
