#include "support/hostile_origin.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <stdexcept>
#include <vector>

namespace gisgate::test {
namespace {

using Clock = std::chrono::steady_clock;

void write_all(int fd, const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd p{fd, POLLOUT, 0};
            ::poll(&p, 1, 1000);
            continue;
        }
        if (n <= 0) return;  // the peer went away
        sent += static_cast<std::size_t>(n);
    }
}

std::string response(const std::string& body) {
    return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
}

struct Conn {
    std::string in;
    std::vector<Clock::time_point> extras_due;  // delayed extra responses still to send
};

}  // namespace

HostileOrigin::HostileOrigin(Behaviour behaviour) : behaviour_(behaviour) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 128) != 0)
        throw std::runtime_error("hostile origin: cannot listen");
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (::pipe(wake_) != 0) throw std::runtime_error("hostile origin: pipe");
    thread_ = std::thread([this] { run(); });
}

HostileOrigin::~HostileOrigin() {
    stop_ = true;
    const char b = 0;
    [[maybe_unused]] const ssize_t n = ::write(wake_[1], &b, 1);
    thread_.join();
    ::close(listen_fd_);
    ::close(wake_[0]);
    ::close(wake_[1]);
}

void HostileOrigin::run() {
    std::map<int, Conn> conns;
    while (!stop_) {
        std::vector<pollfd> fds{{wake_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
        auto next_due = Clock::time_point::max();
        for (auto& [fd, c] : conns) {
            fds.push_back({fd, POLLIN, 0});
            for (const auto due : c.extras_due) next_due = std::min(next_due, due);
        }
        int timeout = 1000;
        if (next_due != Clock::time_point::max()) {
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next_due - Clock::now()).count();
            timeout = static_cast<int>(std::clamp<long long>(ms, 0, 1000));
        }
        if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) break;
        if (stop_) break;

        // Delayed extras whose time has come: written while the connection is idle, answering nothing.
        const auto now = Clock::now();
        for (auto& [fd, c] : conns) {
            auto due = std::stable_partition(c.extras_due.begin(), c.extras_due.end(), [&](auto t) { return t > now; });
            for (auto it = due; it != c.extras_due.end(); ++it) {
                write_all(fd, response(kExtraBody));
                ++extras_sent_;
            }
            c.extras_due.erase(due, c.extras_due.end());
        }
        if (fds[1].revents & POLLIN) {
            const int fd = ::accept(listen_fd_, nullptr, nullptr);
            if (fd >= 0) conns.emplace(fd, Conn{});
        }
        for (std::size_t i = 2; i < fds.size(); ++i) {
            if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
            const int fd = fds[i].fd;
            Conn& c = conns[fd];
            char buf[16 * 1024];
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                ::close(fd);
                conns.erase(fd);
                continue;
            }
            c.in.append(buf, static_cast<std::size_t>(n));
            for (std::size_t end; (end = c.in.find("\r\n\r\n")) != std::string::npos;) {
                const std::string head = c.in.substr(0, end);
                c.in.erase(0, end + 4);  // GETs only: no body
                const std::size_t sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
                const std::string target = head.substr(sp1 + 1, sp2 - sp1 - 1);
                ++requests_;
                if (behaviour_.interim_flood_bytes > 0) {
                    const std::string one = "HTTP/1.1 100 Continue\r\n\r\n";
                    std::string flood;
                    while (flood.size() + one.size() <= behaviour_.interim_flood_bytes) flood += one;
                    write_all(fd, flood);
                    continue;  // then silence
                }
                if (!behaviour_.redirect_location.empty()) {
                    std::string location = behaviour_.redirect_location;
                    if (const auto at = location.find("{self}"); at != std::string::npos)
                        location.replace(at, 6, "127.0.0.1:" + std::to_string(port_));
                    write_all(fd, "HTTP/1.1 302 Found\r\nLocation: " + location + "\r\nContent-Location: " + location +
                                      "\r\nRefresh: 0; url=" + location + "\r\nContent-Length: 0\r\n\r\n");
                    continue;
                }
                if (behaviour_.chunked_answer) {
                    std::string out = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
                    for (std::size_t at = 0; at < target.size(); at += 3) {
                        const std::string piece = target.substr(at, 3);
                        out += std::to_string(piece.size()) + "\r\n" + piece + "\r\n";
                    }
                    write_all(fd, out + "0\r\n" + behaviour_.trailer_section + "\r\n");
                    continue;
                }
                std::string out = response(target);
                if (behaviour_.extra_response && behaviour_.extra_delay.count() == 0) {
                    out += response(kExtraBody);
                    ++extras_sent_;
                } else if (behaviour_.extra_response) {
                    c.extras_due.push_back(Clock::now() + behaviour_.extra_delay);
                }
                write_all(fd, out);
            }
        }
    }
    for (auto& [fd, c] : conns) ::close(fd);
}

}  // namespace gisgate::test
