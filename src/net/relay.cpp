#include "net/relay.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace gisgate::net {

namespace {

constexpr std::size_t kPipeBytes = 64 * 1024;  // the default pipe capacity (16 pages)


error_code last_error() { return error_code(errno, asio::error::get_system_category()); }

// `from` sent FIN: pass it on, so the other side sees the end of this direction while the other one goes on.
error_code end_of_stream(tcp::socket& to) {
    error_code ignored;
    to.shutdown(tcp::socket::shutdown_send, ignored);
    return asio::error::eof;
}

}  // namespace

Pipe::~Pipe() {
    if (fds_[0] >= 0) ::close(fds_[0]);
    if (fds_[1] >= 0) ::close(fds_[1]);
}

bool Pipe::open() { return ::pipe2(fds_, O_NONBLOCK | O_CLOEXEC) == 0; }

// Readiness comes from Asio (async_wait). Its wait re-arms the descriptor (epoll_ctl MOD re-checks readiness), so
// starting a wait while data is already queued completes it at once.
awaitable<error_code> relay_splice(tcp::socket& from, tcp::socket& to, Pipe& pipe, RelayProgress& progress) {
    error_code ec;
    // The socket ends must not block either: splice honours the descriptors' O_NONBLOCK, not only its flag.
    from.native_non_blocking(true, ec);
    if (!ec) to.native_non_blocking(true, ec);
    if (ec) co_return ec;
    const int in = from.native_handle();
    const int out = to.native_handle();
    bool wait_first = false;
    for (;;) {
        if (wait_first) {
            // Asio re-arms the descriptor with epoll_ctl for every wait, and that re-checks readiness, so data
            // that came in after the last splice completes the wait at once: nothing can be missed.
            co_await from.async_wait(tcp::socket::wait_read, ec_token(ec));
            if (ec) co_return ec;
        }
        const ssize_t n = ::splice(in, nullptr, pipe.write_end(), nullptr, kPipeBytes,
                                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n == 0) co_return end_of_stream(to);
        if (n < 0) {
            if (errno == EINTR) {
                wait_first = false;
                continue;
            }
            if (errno != EAGAIN) co_return last_error();
            wait_first = true;
            continue;
        }
        // A short read most likely emptied the socket: wait before the next splice instead of trying one that
        // would only say EAGAIN (one system call less per message in request/response traffic).
        wait_first = static_cast<std::size_t>(n) < kPipeBytes;
        // Drain the pipe completely before reading again, so it can never be full when splicing in.
        std::size_t left = static_cast<std::size_t>(n);
        while (left > 0) {
            const ssize_t m = ::splice(pipe.read_end(), nullptr, out, nullptr, left,
                                       SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (m > 0) {
                left -= static_cast<std::size_t>(m);
                progress.moved(static_cast<std::size_t>(m));
                continue;
            }
            if (m < 0 && errno == EINTR) continue;
            if (m < 0 && errno != EAGAIN) co_return last_error();
            co_await to.async_wait(tcp::socket::wait_write, ec_token(ec));
            if (ec) co_return ec;
        }
    }
}

}  // namespace gisgate::net
