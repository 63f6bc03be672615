#include "net/sd_notify.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace gisgate::net {

namespace {

void sd_notify_failed(const char* what, int error) noexcept {
    try {
        spdlog::debug("sd_notify: {}: {}", what, std::strerror(error));
    } catch (...) {
    }
}

}  // namespace

bool sd_notify(std::string_view state) noexcept {
    const char* socket_name = std::getenv("NOTIFY_SOCKET");
    if (socket_name == nullptr || socket_name[0] == '\0') return false;
    const std::size_t length = std::strlen(socket_name);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if ((socket_name[0] != '/' && socket_name[0] != '@') || length > sizeof address.sun_path) {
        sd_notify_failed("NOTIFY_SOCKET is not an AF_UNIX socket path or @name", EINVAL);
        return false;
    }
    std::memcpy(address.sun_path, socket_name, length);
    if (address.sun_path[0] == '@') address.sun_path[0] = '\0';  // abstract namespace: the name is not NUL-terminated
    const auto address_length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length);

    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        sd_notify_failed("socket", errno);
        return false;
    }
    const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                                  reinterpret_cast<const sockaddr*>(&address), address_length);
    const int error = errno;
    ::close(fd);
    if (sent != static_cast<ssize_t>(state.size())) {
        sd_notify_failed(socket_name, sent < 0 ? error : EMSGSIZE);
        return false;
    }
    return true;
}

std::string sd_reloading_state() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const auto usec = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000u + static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
    return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec);
}

}  // namespace gisgate::net
