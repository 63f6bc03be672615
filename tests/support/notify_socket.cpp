#include "support/notify_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "support/process.hpp"
#include "support/support_util.hpp"

namespace gisgate::test {

namespace {

std::atomic<int> g_notify_socket_counter{0};

}  // namespace

NotifySocket::NotifySocket(Kind kind) {
    const std::string unique = std::to_string(::getpid()) + "-" + std::to_string(g_notify_socket_counter.fetch_add(1));
    name_ = kind == Kind::abstract ? "@gisgate-test-notify-" + unique : temp_dir() + "/notify-" + unique + ".sock";
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (name_.size() > sizeof address.sun_path) throw std::runtime_error("notify socket name too long: " + name_);
    std::memcpy(address.sun_path, name_.data(), name_.size());
    if (kind == Kind::abstract) address.sun_path[0] = '\0';
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
        const int error = errno;
        ::close(fd_);
        throw std::runtime_error("bind " + name_ + ": " + std::strerror(error));
    }
    if (const char* old = std::getenv("NOTIFY_SOCKET")) previous_ = old;
    ::setenv("NOTIFY_SOCKET", name_.c_str(), 1);
}

NotifySocket::~NotifySocket() {
    if (previous_) ::setenv("NOTIFY_SOCKET", previous_->c_str(), 1);
    else ::unsetenv("NOTIFY_SOCKET");
    ::close(fd_);
    if (name_.front() == '/') ::unlink(name_.c_str());
}

std::optional<std::string> NotifySocket::receive(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        pollfd p{fd_, POLLIN, 0};
        const int ready = ::poll(&p, 1, support::remaining_ms(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return std::nullopt;
        char buffer[4096];
        const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::nullopt;
        return std::string(buffer, static_cast<std::size_t>(n));
    }
}

}  // namespace gisgate::test
