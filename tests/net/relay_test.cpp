// The layer-4 relay, both implementations: every byte arrives in order, a clean end is passed on as a half-close
// (the other direction stays usable), a reset is an error, and cancelling ends it.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "net/buffer_pool.hpp"
#include "net/relay.hpp"

namespace gisgate::net {
namespace {

struct Pair {
    tcp::socket near;  // the relay's end
    tcp::socket far;   // the test's end
};

Pair connected_pair(asio::io_context& io) {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket far(io);
    far.connect(acceptor.local_endpoint());
    tcp::socket near = acceptor.accept();
    return {std::move(near), std::move(far)};
}

enum class Kind { splice, copy };

class RelayTest : public ::testing::TestWithParam<Kind> {
protected:
    // Runs the relay from `from` to `to` on `io` until it returns.
    error_code relay(asio::io_context& io, tcp::socket& from, tcp::socket& to, RelayProgress& progress) {
        std::optional<error_code> result;
        Pipe pipe;
        EXPECT_TRUE(pipe.open());
        BufferPool buffers;
        auto block = buffers.acquire();
        auto run = [&]() -> awaitable<void> {
            if (GetParam() == Kind::splice) result = co_await relay_splice(from, to, pipe, progress);
            else result = co_await relay_copy(from, to, block.get(), BufferPool::kBlockSize, progress);
        };
        asio::co_spawn(io, run(), asio::detached);
        io.run();
        io.restart();
        EXPECT_TRUE(result.has_value());
        return result.value_or(asio::error::fault);
    }
};

TEST_P(RelayTest, RelaysEveryByteAndPassesTheEndOnAsHalfClose) {
    asio::io_context io;
    Pair in = connected_pair(io);
    Pair out = connected_pair(io);
    constexpr std::size_t kBytes = 8 * 1024 * 1024 + 123;
    std::string data(kBytes, '\0');
    for (std::size_t i = 0; i < kBytes; ++i) data[i] = static_cast<char>((i * 7919) >> 3);

    std::thread writer([&] {
        asio::write(in.far, asio::buffer(data));
        in.far.shutdown(tcp::socket::shutdown_send);
    });
    std::string received;
    std::thread reader([&] {
        std::array<char, 65536> buf;
        error_code ec;
        for (;;) {
            const std::size_t n = out.far.read_some(asio::buffer(buf), ec);
            received.append(buf.data(), n);
            if (ec) break;
        }
        EXPECT_EQ(ec, asio::error::eof);
    });
    RelayProgress progress;
    EXPECT_EQ(relay(io, in.near, out.near, progress), asio::error::eof);
    writer.join();
    reader.join();
    EXPECT_EQ(progress.bytes, kBytes);
    ASSERT_EQ(received.size(), kBytes);
    EXPECT_TRUE(received == data);

    // Half-close: only the relayed direction ended; the far side can still answer through the other one.
    asio::write(out.far, asio::buffer(std::string("answer")));
    std::array<char, 16> answer{};
    const std::size_t n = asio::read(out.near, asio::buffer(answer.data(), 6));
    EXPECT_EQ(std::string(answer.data(), n), "answer");
}

// Request/response traffic: many small messages, each a short read for the relay, which then waits for readiness
// before reading again. Ping-pong makes every message arrive while the relay waits; bursts make messages arrive
// while it is still busy with the previous one (the wait must then complete at once). Every byte must arrive.
TEST_P(RelayTest, SmallMessagesInPingPongAndInBurstsAllArrive) {
    asio::io_context io;
    Pair in = connected_pair(io);
    Pair out = connected_pair(io);
    constexpr std::size_t kMessage = 137;
    constexpr int kPingPong = 300;
    constexpr int kBurst = 2000;
    constexpr std::size_t kTotal = kMessage * (kPingPong + kBurst);
    std::mutex mutex;
    std::condition_variable changed;
    std::size_t received_bytes = 0;
    std::string received;

    std::thread writer([&] {
        std::string message(kMessage, 'm');
        for (int i = 0; i < kPingPong; ++i) {
            message[0] = static_cast<char>('a' + i % 26);
            asio::write(in.far, asio::buffer(message));
            std::unique_lock lock(mutex);
            const std::size_t want = kMessage * static_cast<std::size_t>(i + 1);
            // Bounded: a lost wake-up fails the test instead of hanging it.
            if (!changed.wait_for(lock, std::chrono::seconds(10), [&] { return received_bytes >= want; })) {
                ADD_FAILURE() << "ping-pong message " << i << " was not relayed";
                break;
            }
        }
        for (int i = 0; i < kBurst; ++i) {
            message[0] = static_cast<char>('A' + i % 26);
            asio::write(in.far, asio::buffer(message));
        }
        in.far.shutdown(tcp::socket::shutdown_send);
    });
    std::thread reader([&] {
        std::array<char, 4096> buf;
        error_code ec;
        for (;;) {
            const std::size_t n = out.far.read_some(asio::buffer(buf), ec);
            {
                std::lock_guard lock(mutex);
                received.append(buf.data(), n);
                received_bytes += n;
            }
            changed.notify_all();
            if (ec) break;
        }
    });
    RelayProgress progress;
    EXPECT_EQ(relay(io, in.near, out.near, progress), asio::error::eof);
    writer.join();
    reader.join();
    EXPECT_EQ(progress.bytes, kTotal);
    ASSERT_EQ(received.size(), kTotal);
    for (int i = 0; i < kPingPong + kBurst; ++i) {
        const char first = i < kPingPong ? static_cast<char>('a' + i % 26) : static_cast<char>('A' + (i - kPingPong) % 26);
        ASSERT_EQ(received[static_cast<std::size_t>(i) * kMessage], first) << "message " << i;
    }
}

TEST_P(RelayTest, ResetIsAnError) {
    asio::io_context io;
    Pair in = connected_pair(io);
    Pair out = connected_pair(io);
    asio::write(in.far, asio::buffer(std::string("partial")));
    // SO_LINGER 0: close sends RST instead of FIN.
    in.far.set_option(asio::socket_base::linger(true, 0));
    in.far.close();
    RelayProgress progress;
    const error_code ec = relay(io, in.near, out.near, progress);
    EXPECT_NE(ec, asio::error::eof);
    EXPECT_TRUE(ec) << ec.message();
}

TEST_P(RelayTest, CancelEndsIt) {
    asio::io_context io;
    Pair in = connected_pair(io);
    Pair out = connected_pair(io);
    asio::steady_timer timer(io, std::chrono::milliseconds(50));
    timer.async_wait([&](const error_code&) { in.near.cancel(); });
    RelayProgress progress;
    EXPECT_EQ(relay(io, in.near, out.near, progress), asio::error::operation_aborted);
    EXPECT_EQ(progress.bytes, 0u);
}

INSTANTIATE_TEST_SUITE_P(Both, RelayTest, ::testing::Values(Kind::splice, Kind::copy),
                         [](const auto& info) { return info.param == Kind::splice ? "splice" : "copy"; });

}  // namespace
}  // namespace gisgate::net
