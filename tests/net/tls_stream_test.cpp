// TlsStream (OpenSSL on the socket, no BIO pair): a handshake and bytes both ways in order, large and gathered
// writes (one record for a head and its body), a write that has to wait for a full socket, close_notify read as
// end of file and a bare TCP close as a truncated stream, cancellation, and an idle read that holds no block.
#include <gtest/gtest.h>

#include <boost/asio/ssl/context.hpp>

#include <array>
#include <optional>
#include <string>

#include "net/tls_stream.hpp"
#include "tls/certificates.hpp"

namespace gisgate::net {
namespace {

struct TlsPair {
    ssl::context server_ctx{ssl::context::tls_server};
    ssl::context client_ctx{ssl::context::tls_client};
    tcp::socket server_socket;
    tcp::socket client_socket;
    std::optional<TlsStream> server;
    std::optional<TlsStream> client;

    explicit TlsPair(asio::io_context& io) : server_socket(io), client_socket(io) {
        static const tls::PemPair pem = tls::make_self_signed("localhost");
        server_ctx.use_certificate_chain(asio::buffer(pem.cert));
        server_ctx.use_private_key(asio::buffer(pem.key), ssl::context::pem);
        client_ctx.set_verify_mode(ssl::verify_none);
        tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        client_socket.connect(acceptor.local_endpoint());
        server_socket = acceptor.accept();
        server_socket.non_blocking(true);
        client_socket.non_blocking(true);
        server.emplace(server_socket, server_ctx.native_handle(), nullptr);
        client.emplace(client_socket, client_ctx.native_handle(), nullptr);
    }

    // Both handshakes, run on `io` until done.
    void handshake(asio::io_context& io) {
        error_code server_ec = asio::error::would_block, client_ec = asio::error::would_block;
        server->async_handshake(ssl::stream_base::server, [&](const error_code& ec) { server_ec = ec; });
        client->async_handshake(ssl::stream_base::client, [&](const error_code& ec) { client_ec = ec; });
        io.run();
        io.restart();
        ASSERT_FALSE(server_ec) << server_ec.message();
        ASSERT_FALSE(client_ec) << client_ec.message();
    }
};

std::string pattern(std::size_t size, std::size_t seed) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
    return s;
}

// The writes of the full-socket tests: a short head and a 900-byte body each, as a response head and its body.
struct NumberedWrites {
    static constexpr std::size_t kWrites = 3000;
    static std::string head(std::size_t i) { return "HEAD " + std::to_string(i) + "\r\n"; }
    static std::string body(std::size_t i) { return pattern(900, i); }
    static std::string all() {
        std::string expected;
        for (std::size_t i = 0; i < kWrites; ++i) expected += head(i) + body(i);
        return expected;
    }
};

// Reads until `want` bytes or an error; returns the bytes, and the error that ended it in `end`.
awaitable<std::string> read_all(TlsStream& stream, std::size_t want, error_code& end) {
    std::string got;
    std::array<char, 10000> buf;
    while (got.size() < want) {
        const std::size_t n = co_await stream.async_read_some(asio::buffer(buf), ec_token(end));
        if (end) break;
        got.append(buf.data(), n);
    }
    co_return got;
}

TEST(TlsStream, CarriesBytesBothWaysInOrder) {
    asio::io_context io;
    TlsPair pair(io);
    pair.handshake(io);
    const std::string up = pattern(3 * 1024 * 1024 + 17, 1);
    const std::string down = pattern(2 * 1024 * 1024 + 5, 2);
    std::string got_up, got_down;
    error_code ec_up_read, ec_down_read, ec_up_write, ec_down_write;
    asio::co_spawn(io, [&]() -> awaitable<void> {
        co_await asio::async_write(*pair.client, asio::buffer(up), ec_token(ec_up_write));
    }, asio::detached);
    asio::co_spawn(io, [&]() -> awaitable<void> {
        got_up = co_await read_all(*pair.server, up.size(), ec_up_read);
    }, asio::detached);
    asio::co_spawn(io, [&]() -> awaitable<void> {
        co_await asio::async_write(*pair.server, asio::buffer(down), ec_token(ec_down_write));
    }, asio::detached);
    asio::co_spawn(io, [&]() -> awaitable<void> {
        got_down = co_await read_all(*pair.client, down.size(), ec_down_read);
    }, asio::detached);
    io.run();
    EXPECT_FALSE(ec_up_write || ec_up_read || ec_down_write || ec_down_read);
    EXPECT_TRUE(got_up == up) << got_up.size();
    EXPECT_TRUE(got_down == down) << got_down.size();
}

TEST(TlsStream, GathersSmallBuffersIntoOneRecordAndWaitsOnAFullSocket) {
    asio::io_context io;
    TlsPair pair(io);
    pair.handshake(io);
    // Small kernel buffers, and a reader that starts only once a write has had to wait: the gathered write's
    // retry (its own copy of the bytes) is exercised for certain.
    pair.server_socket.set_option(asio::socket_base::send_buffer_size(4096));
    pair.client_socket.set_option(asio::socket_base::receive_buffer_size(4096));
    constexpr std::size_t kWrites = NumberedWrites::kWrites;
    const std::string expected = NumberedWrites::all();
    std::size_t written = 0;
    error_code write_ec, read_ec;
    std::string got;
    asio::co_spawn(io, [&]() -> awaitable<void> {
        for (std::size_t i = 0; i < kWrites && !write_ec; ++i) {
            const std::string head = NumberedWrites::head(i), body = NumberedWrites::body(i);
            const std::array<asio::const_buffer, 2> parts{asio::buffer(head), asio::buffer(body)};
            written += co_await asio::async_write(*pair.server, parts, ec_token(write_ec));
        }
    }, asio::detached);
    asio::co_spawn(io, [&]() -> awaitable<void> {
        // Not a sleep: yields to the loop until the writer has waited for the socket.
        while (pair.server->write_waits() == 0 && written < expected.size())
            co_await asio::post(co_await asio::this_coro::executor, use_awaitable);
        got = co_await read_all(*pair.client, expected.size(), read_ec);
    }, asio::detached);
    io.run();
    EXPECT_GT(pair.server->write_waits(), 0u);
    EXPECT_FALSE(write_ec) << write_ec.message();
    EXPECT_FALSE(read_ec) << read_ec.message();
    EXPECT_EQ(written, expected.size());
    EXPECT_TRUE(got == expected) << got.size() << " of " << expected.size();
}

// write_now (net::Stream::write_now's TLS half): a write the socket takes is whole at once; on a full socket it
// writes nothing, OpenSSL keeps the record it made, and the awaited write of the same bytes completes it, so the
// reader gets every byte once and in order.
TEST(TlsStream, WriteNowWritesWholeOrNothingAndTheAwaitedRetryCompletesIt) {
    asio::io_context io;
    TlsPair pair(io);
    pair.handshake(io);
    pair.server_socket.set_option(asio::socket_base::send_buffer_size(4096));
    constexpr std::size_t kWrites = NumberedWrites::kWrites;
    const std::string expected = NumberedWrites::all();
    std::size_t at_once = 0, awaited = 0;
    error_code write_ec, read_ec;
    std::string got;
    asio::co_spawn(io, [&]() -> awaitable<void> {
        for (std::size_t i = 0; i < kWrites && !write_ec; ++i) {
            const std::string head = NumberedWrites::head(i), body = NumberedWrites::body(i);
            const std::array<asio::const_buffer, 2> parts{asio::buffer(head), asio::buffer(body)};
            const std::size_t n = pair.server->write_now(parts, write_ec);
            if (write_ec) break;
            if (n == head.size() + body.size()) {
                ++at_once;
                continue;
            }
            EXPECT_EQ(n, 0u) << "a TLS write is whole or nothing";
            ++awaited;
            co_await asio::async_write(*pair.server, parts, ec_token(write_ec));
        }
    }, asio::detached);
    asio::co_spawn(io, [&]() -> awaitable<void> {
        // Starts reading only once a write found the socket full (not a sleep: yields to the loop).
        while (awaited == 0 && at_once < kWrites)
            co_await asio::post(co_await asio::this_coro::executor, use_awaitable);
        got = co_await read_all(*pair.client, expected.size(), read_ec);
    }, asio::detached);
    io.run();
    EXPECT_FALSE(write_ec) << write_ec.message();
    EXPECT_FALSE(read_ec) << read_ec.message();
    EXPECT_GT(at_once, 0u);
    EXPECT_GT(awaited, 0u) << "the socket never filled: the retry path was not exercised";
    EXPECT_TRUE(got == expected) << got.size() << " of " << expected.size();
}

TEST(TlsStream, CloseNotifyReadsAsEndOfFileAndABareCloseAsTruncated) {
    {
        asio::io_context io;
        TlsPair pair(io);
        pair.handshake(io);
        error_code shutdown_ec = asio::error::would_block, read_ec;
        SSL_set_shutdown(pair.client->native_handle(), SSL_RECEIVED_SHUTDOWN);
        pair.client->async_shutdown([&](const error_code& ec) { shutdown_ec = ec; });
        asio::co_spawn(io, [&]() -> awaitable<void> { co_await read_all(*pair.server, 1, read_ec); },
                       asio::detached);
        io.run();
        EXPECT_FALSE(shutdown_ec) << shutdown_ec.message();
        EXPECT_EQ(read_ec, asio::error::eof) << read_ec.message();
    }
    {
        asio::io_context io;
        TlsPair pair(io);
        pair.handshake(io);
        error_code read_ec;
        pair.client_socket.shutdown(tcp::socket::shutdown_send);  // FIN (a close with unread tickets would RST)
        asio::co_spawn(io, [&]() -> awaitable<void> { co_await read_all(*pair.server, 1, read_ec); },
                       asio::detached);
        io.run();
        EXPECT_EQ(read_ec, ssl::error::stream_truncated) << read_ec.message();
    }
}

TEST(TlsStream, AnIdleReadHoldsNoBlockAndCancelEndsIt) {
    asio::io_context io;
    TlsPair pair(io);
    pair.handshake(io);
    // A request-sized record, then a larger one: each read returns everything and gives its block back.
    for (const std::size_t size : {std::size_t{100}, std::size_t{5000}}) {
        const std::string data = pattern(size, size);
        error_code write_ec, read_ec;
        std::string got;
        asio::co_spawn(io, [&]() -> awaitable<void> {
            co_await asio::async_write(*pair.client, asio::buffer(data), ec_token(write_ec));
        }, asio::detached);
        asio::co_spawn(io, [&]() -> awaitable<void> { got = co_await read_all(*pair.server, size, read_ec); },
                       asio::detached);
        io.run();
        io.restart();
        EXPECT_FALSE(write_ec || read_ec);
        EXPECT_TRUE(got == data);
        EXPECT_FALSE(pair.server->holds_input_block());
        EXPECT_FALSE(pair.server->pending());
    }
    // Waiting for a next request: no block; cancelling the socket ends the read.
    error_code read_ec;
    std::array<char, 64> buf;
    bool done = false;
    pair.server->async_read_some(asio::buffer(buf), [&](const error_code& ec, std::size_t) {
        read_ec = ec;
        done = true;
    });
    io.poll();
    EXPECT_FALSE(done);
    EXPECT_FALSE(pair.server->holds_input_block());
    pair.server_socket.cancel();
    io.run();
    EXPECT_TRUE(done);
    EXPECT_EQ(read_ec, asio::error::operation_aborted);
}

// What parking an idle TLS connection does (proxy/parked_connection.hpp): the socket moves to another object
// and back, the session follows it with rebind(), and a close while parked sends close_notify at once.
TEST(TlsStream, FollowsItsSocketWhenItMovesAndClosesWithCloseNotify) {
    asio::io_context io;
    TlsPair pair(io);
    pair.handshake(io);
    auto exchange = [&](TlsStream& server, const std::string& data) {
        error_code write_ec, read_ec;
        std::string got;
        asio::co_spawn(io, [&]() -> awaitable<void> {
            co_await asio::async_write(*pair.client, asio::buffer(data), ec_token(write_ec));
        }, asio::detached);
        asio::co_spawn(io, [&]() -> awaitable<void> { got = co_await read_all(server, data.size(), read_ec); },
                       asio::detached);
        io.run();
        io.restart();
        EXPECT_FALSE(write_ec || read_ec) << write_ec.message() << " " << read_ec.message();
        EXPECT_TRUE(got == data);
    };
    exchange(*pair.server, pattern(300, 1));
    // Parked: the socket moves out, the session with it; then resumed into a third socket object.
    tcp::socket parked(std::move(pair.server_socket));
    pair.server->rebind(parked);
    tcp::socket resumed(std::move(parked));
    pair.server->rebind(resumed);
    exchange(*pair.server, pattern(7000, 2));
    // The reply goes out through the new socket too.
    const std::string reply = pattern(2000, 3);
    error_code write_ec, read_ec;
    std::string got;
    asio::co_spawn(io, [&]() -> awaitable<void> {
        co_await asio::async_write(*pair.server, asio::buffer(reply), ec_token(write_ec));
    }, asio::detached);
    asio::co_spawn(io, [&]() -> awaitable<void> { got = co_await read_all(*pair.client, reply.size(), read_ec); },
                   asio::detached);
    io.run();
    io.restart();
    EXPECT_FALSE(write_ec || read_ec);
    EXPECT_TRUE(got == reply);
    // Closing while parked: close_notify, so the client reads a clean end of file, not a truncation.
    pair.server->close_notify_now();
    resumed.shutdown(tcp::socket::shutdown_both);
    error_code end;
    const std::string rest = [&] {
        std::string r;
        asio::co_spawn(io, [&]() -> awaitable<void> { r = co_await read_all(*pair.client, 1, end); }, asio::detached);
        io.run();
        io.restart();
        return r;
    }();
    EXPECT_TRUE(rest.empty());
    EXPECT_EQ(end, asio::error::eof) << end.message();
}

}  // namespace
}  // namespace gisgate::net
