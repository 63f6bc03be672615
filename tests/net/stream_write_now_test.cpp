// net::Stream::write_now on a plain socket (the write that skips the scheduler when the socket takes the bytes)
// and write_tail (what the awaited write then sends): all bytes once and in order whether the socket takes a
// write whole, in part or not at all; an error once the peer is gone.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "net/stream.hpp"

namespace gisgate::net {
namespace {

struct WriterPair {
    tcp::socket reader;
    Stream writer;
    explicit WriterPair(asio::io_context& io) : reader(io), writer(io) {
        tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        writer.socket().connect(acceptor.local_endpoint());
        reader = acceptor.accept();
    }
};

TEST(WriteTail, SkipsTheWrittenBytesAcrossBuffers) {
    const std::string a = "abcde", b = "fghij";
    const std::array<asio::const_buffer, 2> parts{asio::buffer(a), asio::buffer(b)};
    auto text = [](const std::array<asio::const_buffer, 2>& bufs) {
        std::string s;
        for (const auto& x : bufs) s.append(static_cast<const char*>(x.data()), x.size());
        return s;
    };
    EXPECT_EQ(text(write_tail(parts, 0)), "abcdefghij");
    EXPECT_EQ(text(write_tail(parts, 3)), "defghij");
    EXPECT_EQ(text(write_tail(parts, 5)), "fghij");
    EXPECT_EQ(text(write_tail(parts, 8)), "ij");
    EXPECT_EQ(text(write_tail(parts, 10)), "");
    const asio::const_buffer one = asio::buffer(a);
    EXPECT_EQ(write_tail(one, 2).size(), 3u);
}

TEST(StreamWriteNow, TakesWhatTheSocketTakesAndTheTailCompletesInOrder) {
    asio::io_context io;
    WriterPair pair(io);
    pair.writer.socket().set_option(asio::socket_base::send_buffer_size(4096));
    constexpr std::size_t kWrites = 2000;
    std::string expected;
    std::size_t whole = 0, partial = 0;
    error_code write_ec, read_ec;
    std::string got;
    asio::co_spawn(io, [&]() -> awaitable<void> {
        for (std::size_t i = 0; i < kWrites && !write_ec; ++i) {
            const std::string head = "HEAD " + std::to_string(i) + "\r\n";
            const std::string body(700 + i % 300, static_cast<char>('a' + i % 26));
            expected += head + body;
            const std::array<asio::const_buffer, 2> parts{asio::buffer(head), asio::buffer(body)};
            const std::size_t n = pair.writer.write_now(parts, write_ec);
            if (write_ec) break;
            if (n == asio::buffer_size(parts)) {
                ++whole;
                continue;
            }
            ++partial;
            co_await asio::async_write(pair.writer, write_tail(parts, n), ec_token(write_ec));
        }
        pair.writer.socket().shutdown(tcp::socket::shutdown_send, write_ec);
    }, asio::detached);
    asio::co_spawn(io, [&]() -> awaitable<void> {
        // Starts reading only once a write found the socket full (not a sleep: yields to the loop).
        while (partial == 0 && whole < kWrites) co_await asio::post(co_await asio::this_coro::executor, use_awaitable);
        std::array<char, 8192> buf;
        for (;;) {
            const std::size_t n = co_await pair.reader.async_read_some(asio::buffer(buf), ec_token(read_ec));
            if (read_ec) break;
            got.append(buf.data(), n);
        }
    }, asio::detached);
    io.run();
    EXPECT_FALSE(write_ec) << write_ec.message();
    EXPECT_EQ(read_ec, asio::error::eof);
    EXPECT_GT(whole, 0u);
    EXPECT_GT(partial, 0u) << "the socket never filled: the awaited tail was not exercised";
    EXPECT_TRUE(got == expected) << got.size() << " of " << expected.size();
}

TEST(StreamWriteNow, FailsOnceThePeerIsGone) {
    asio::io_context io;
    WriterPair pair(io);
    pair.reader.set_option(asio::socket_base::linger(true, 0));  // RST, so the next writes fail
    pair.reader.close();
    const std::string bytes(1000, 'x');
    error_code ec;
    for (int i = 0; i < 100 && !ec; ++i) pair.writer.write_now(asio::buffer(bytes), ec);
    EXPECT_TRUE(ec == asio::error::connection_reset || ec == asio::error::broken_pipe) << ec.message();
}

}  // namespace
}  // namespace gisgate::net
