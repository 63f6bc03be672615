#include "net/stream.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace gisgate::net {

// One sendmsg() that never waits: a full socket takes nothing now (the caller's async_write waits for it).
std::size_t Stream::send_iov(const iovec* iov, std::size_t count, error_code& ec) {
    if (count == 0) return 0;
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(iov);
    msg.msg_iovlen = count;
    const ssize_t n = ::sendmsg(socket_.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        ec = error_code(errno, asio::error::get_system_category());
    return 0;
}

}  // namespace gisgate::net
