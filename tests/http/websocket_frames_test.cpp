// FrameBoundary: where a server's WebSocket frames end in the bytes gisgate relays.
#include "http/websocket_frames.hpp"

#include <gtest/gtest.h>

namespace gisgate::http {
namespace {

// A frame with `payload` bytes, unmasked (server to client) unless `mask`.
std::string frame(std::size_t payload, bool mask = false, std::uint8_t opcode = 0x1) {
    std::string f;
    f.push_back(static_cast<char>(0x80 | opcode));
    const char m = mask ? static_cast<char>(0x80) : 0;
    if (payload < 126) {
        f.push_back(static_cast<char>(m | static_cast<char>(payload)));
    } else if (payload <= 0xffff) {
        f.push_back(static_cast<char>(m | 126));
        f.push_back(static_cast<char>(payload >> 8));
        f.push_back(static_cast<char>(payload & 0xff));
    } else {
        f.push_back(static_cast<char>(m | 127));
        for (int shift = 56; shift >= 0; shift -= 8) f.push_back(static_cast<char>((payload >> shift) & 0xff));
    }
    if (mask) f.append("\x01\x02\x03\x04", 4);
    f.append(payload, 'x');
    return f;
}

TEST(FrameBoundary, KnowsWhereEachFrameEndsWhateverTheReadSizes) {
    const std::string stream = frame(5) + frame(0) + frame(300) + frame(70000) + frame(12, true) + frame(0, true, 0x9);
    std::vector<std::size_t> ends;
    std::size_t at = 0;
    for (const std::string& f : {frame(5), frame(0), frame(300), frame(70000), frame(12, true), frame(0, true, 0x9)})
        ends.push_back(at += f.size());
    for (const std::size_t step : {std::size_t{1}, std::size_t{3}, std::size_t{7}, std::size_t{1000}}) {
        FrameBoundary b;
        EXPECT_TRUE(b.at_boundary());
        for (std::size_t i = 0; i < stream.size(); i += step) {
            const std::size_t n = std::min(step, stream.size() - i);
            b.feed(stream.data() + i, n);
            const bool expected = std::find(ends.begin(), ends.end(), i + n) != ends.end();
            ASSERT_EQ(b.at_boundary(), expected) << "step " << step << " after " << i + n << " bytes";
        }
        EXPECT_TRUE(b.at_boundary());
    }
}

TEST(FrameBoundary, ALengthWithItsTopBitSetIsBroken) {
    std::string f = "\x81\x7f";
    f.append("\x80\0\0\0\0\0\0\x01", 8);
    FrameBoundary b;
    b.feed(f.data(), f.size());
    EXPECT_TRUE(b.broken());
    EXPECT_FALSE(b.at_boundary());
}

TEST(WebSocketCloseFrame, CodeAndReasonInOneUnmaskedFrame) {
    const std::string f = websocket_close_frame(1001, "bye");
    EXPECT_EQ(f, std::string("\x88\x05\x03\xe9" "bye", 7));
    EXPECT_EQ(websocket_close_frame(1000, std::string(200, 'r')).size(), 2u + 125u) << "control frames stay <= 125";
}

}  // namespace
}  // namespace gisgate::http
