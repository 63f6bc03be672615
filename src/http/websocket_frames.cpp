#include "http/websocket_frames.hpp"

#include <algorithm>

namespace gisgate::http {

void FrameBoundary::feed(const char* data, std::size_t n) {
    std::size_t i = 0;
    while (i < n) {
        const auto byte = static_cast<std::uint8_t>(data[i]);
        switch (state_) {
            case State::first:
                ++i;  // FIN, RSV and opcode: nothing here decides where the frame ends
                state_ = State::second;
                break;
            case State::second: {
                ++i;
                masked_ = (byte & 0x80) != 0;
                const std::uint8_t len = byte & 0x7f;
                payload_left_ = 0;
                if (len == 126) {
                    length_bytes_ = 2;
                    state_ = State::length;
                } else if (len == 127) {
                    length_bytes_ = 8;
                    state_ = State::length;
                } else {
                    payload_left_ = len;
                    mask_bytes_ = masked_ ? 4 : 0;
                    state_ = mask_bytes_ ? State::mask : State::payload;
                }
                break;
            }
            case State::length:
                ++i;
                if (length_bytes_ == 8 && (byte & 0x80)) {  // "the most significant bit MUST be 0"
                    state_ = State::broken;
                    return;
                }
                payload_left_ = (payload_left_ << 8) | byte;
                if (--length_bytes_ == 0) {
                    mask_bytes_ = masked_ ? 4 : 0;
                    state_ = mask_bytes_ ? State::mask : State::payload;
                }
                break;
            case State::mask:
                ++i;
                if (--mask_bytes_ == 0) state_ = State::payload;
                break;
            case State::payload: {
                const std::uint64_t take = std::min<std::uint64_t>(payload_left_, n - i);
                i += static_cast<std::size_t>(take);
                payload_left_ -= take;
                break;
            }
            case State::broken: return;
        }
        if (state_ == State::payload && payload_left_ == 0) state_ = State::first;
    }
}

std::string websocket_close_frame(std::uint16_t code, std::string_view reason) {
    reason = reason.substr(0, 123);  // control frames carry at most 125 payload bytes
    std::string frame;
    frame.push_back(static_cast<char>(0x88));  // FIN + close
    frame.push_back(static_cast<char>(2 + reason.size()));
    frame.push_back(static_cast<char>(code >> 8));
    frame.push_back(static_cast<char>(code & 0xff));
    frame.append(reason);
    return frame;
}

}  // namespace gisgate::http
