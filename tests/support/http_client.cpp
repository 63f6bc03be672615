// Blocking HTTP/1.1 client over POSIX sockets, with poll() deadlines on every read.
#include "support/http_client.hpp"
#include "support/support_util.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace gisgate::test {

using Clock = std::chrono::steady_clock;

namespace {

using support::remaining_ms;

char lower(char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos)
        return "";
    auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

bool icontains(const std::string& haystack, const std::string& needle) {
    std::string h = haystack, n = needle;
    std::transform(h.begin(), h.end(), h.begin(), lower);
    std::transform(n.begin(), n.end(), n.begin(), lower);
    return h.find(n) != std::string::npos;
}

bool bind_source(int fd, int family, const std::string& source) {
    sockaddr_storage addr{};
    socklen_t len = 0;
    if (family == AF_INET) {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
        v4->sin_family = AF_INET;
        if (inet_pton(AF_INET, source.c_str(), &v4->sin_addr) != 1) return false;
        len = sizeof *v4;
    } else {
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
        v6->sin6_family = AF_INET6;
        if (inet_pton(AF_INET6, source.c_str(), &v6->sin6_addr) != 1) return false;
        len = sizeof *v6;
    }
    return ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0;
}

// `source`: the local address to connect from (any 127.0.0.0/8 address on loopback), empty = the kernel's choice.
int connect_to(const std::string& host, int port, std::chrono::milliseconds timeout, const std::string& source) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res)
        return -1;
    int fd = -1;
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
        fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (!source.empty() && !bind_source(fd, ai->ai_family, source)) {
            ::close(fd);
            fd = -1;
            continue;
        }
        int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc < 0 && errno == EINPROGRESS) {
            pollfd p{fd, POLLOUT, 0};
            if (::poll(&p, 1, static_cast<int>(timeout.count())) == 1) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
                rc = err == 0 ? 0 : -1;
            }
        }
        if (rc == 0) {
            // Blocking from here on; reads still go through poll() for their deadlines.
            int flags = fcntl(fd, F_GETFL);
            fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            break;
        }
        ::close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

}  // namespace

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                        [](char x, char y) { return lower(x) < lower(y); });
}

std::string HttpResponse::header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
}

HttpClient::HttpClient(int port, const std::string& host, const std::string& source) : port_(port), host_(host) {
    fd_ = connect_to(host, port, std::chrono::seconds(5), source);
}

HttpClient::~HttpClient() {
    close();
}

int HttpClient::local_port() const {
    if (fd_ < 0)
        return 0;
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        return 0;
    if (addr.ss_family == AF_INET)
        return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    if (addr.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    return 0;
}

void HttpClient::shutdown_write() {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

void HttpClient::close() {
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
}

void HttpClient::send_raw(const std::string& bytes) {
    std::size_t sent = 0;
    while (fd_ >= 0 && sent < bytes.size()) {
        ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;  // the peer went away; the test sees it when reading
        sent += static_cast<std::size_t>(n);
    }
}

bool HttpClient::fill(Clock::time_point deadline) {
    if (fd_ < 0 || eof_)
        return false;
    for (;;) {
        pollfd p{fd_, POLLIN, 0};
        int rc = ::poll(&p, 1, remaining_ms(deadline));
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return false;  // timeout or error
        char buf[64 * 1024];
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            eof_ = true;
            return false;
        }
        buffer_.append(buf, static_cast<std::size_t>(n));
        return true;
    }
}

HttpResponse HttpClient::read_response(bool head_request, std::chrono::milliseconds timeout) {
    HttpResponse r;
    last_body_bytes_ = 0;
    auto deadline = Clock::now() + timeout;

    // Head.
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
        if (!fill(deadline))
            return r;
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    std::size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    // "HTTP/1.1 200 OK"
    auto sp1 = status_line.find(' ');
    if (sp1 == std::string::npos)
        return r;
    auto sp2 = status_line.find(' ', sp1 + 1);
    r.status =
        std::atoi(status_line.substr(sp1 + 1, sp2 == std::string::npos ? std::string::npos : sp2 - sp1 - 1).c_str());
    r.reason = sp2 == std::string::npos ? "" : status_line.substr(sp2 + 1);
    std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
        auto next = head.find("\r\n", pos);
        std::string line = head.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
        pos = next == std::string::npos ? head.size() : next + 2;
        auto colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        r.headers.emplace(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
    }

    auto keep = [&](const char* data, std::size_t n) {
        last_body_bytes_ += n;
        if (r.body.size() < max_body_)
            r.body.append(data, std::min(n, max_body_ - r.body.size()));
    };

    if (head_request || (r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304)
        return r;

    if (icontains(r.header("Transfer-Encoding"), "chunked")) {
        r.chunked = true;
        for (;;) {
            std::size_t eol;
            while ((eol = buffer_.find("\r\n")) == std::string::npos)
                if (!fill(deadline))
                    return r;
            std::string size_line = buffer_.substr(0, eol);
            buffer_.erase(0, eol + 2);
            std::size_t size = std::strtoull(size_line.c_str(), nullptr, 16);  // extensions after ';' ignored
            if (size == 0) {
                // Trailers, up to an empty line.
                for (;;) {
                    while ((eol = buffer_.find("\r\n")) == std::string::npos)
                        if (!fill(deadline))
                            return r;
                    bool empty = eol == 0;
                    buffer_.erase(0, eol + 2);
                    if (empty)
                        return r;
                }
            }
            while (size > 0) {
                if (buffer_.empty() && !fill(deadline))
                    return r;
                std::size_t n = std::min(size, buffer_.size());
                keep(buffer_.data(), n);
                buffer_.erase(0, n);
                size -= n;
            }
            while (buffer_.size() < 2)
                if (!fill(deadline))
                    return r;
            buffer_.erase(0, 2);  // CRLF after the chunk data
        }
    }

    std::string length = r.header("Content-Length");
    if (!length.empty()) {
        std::uint64_t left = std::strtoull(length.c_str(), nullptr, 10);
        while (left > 0) {
            if (buffer_.empty() && !fill(deadline))
                return r;
            std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer_.size()));
            keep(buffer_.data(), n);
            buffer_.erase(0, n);
            left -= n;
        }
        return r;
    }

    // No length: the body runs until the peer closes.
    for (;;) {
        keep(buffer_.data(), buffer_.size());
        buffer_.clear();
        if (!fill(deadline))
            return r;
    }
}

HttpResponse HttpClient::request(const std::string& method, const std::string& target,
                                 const std::vector<std::pair<std::string, std::string>>& headers,
                                 const std::string& body) {
    bool has_host = false, has_length = false;
    std::string req = method + " " + target + " HTTP/1.1\r\n";
    for (const auto& [name, value] : headers) {
        if (!CaseInsensitiveLess{}(name, "Host") && !CaseInsensitiveLess{}("Host", name))
            has_host = true;
        if (!CaseInsensitiveLess{}(name, "Content-Length") && !CaseInsensitiveLess{}("Content-Length", name))
            has_length = true;
    }
    if (!has_host) {
        bool v6 = host_.find(':') != std::string::npos;
        req += "Host: " + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_) + "\r\n";
    }
    for (const auto& [name, value] : headers) req += name + ": " + value + "\r\n";
    if (!has_length && (!body.empty() || method == "POST" || method == "PUT"))
        req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n";
    req += body;
    send_raw(req);
    for (;;) {
        HttpResponse r = read_response(method == "HEAD");
        if (r.status >= 100 && r.status < 200 && r.status != 101)
            continue;
        return r;
    }
}

bool HttpClient::closed_by_peer(std::chrono::milliseconds timeout) {
    if (fd_ < 0 || eof_)
        return true;
    auto deadline = Clock::now() + timeout;
    for (;;) {
        pollfd p{fd_, POLLIN, 0};
        int rc = ::poll(&p, 1, remaining_ms(deadline));
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc == 0)
            return false;
        if (rc < 0)
            return true;
        char buf[16 * 1024];
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            eof_ = true;
            return true;
        }
        buffer_.append(buf, static_cast<std::size_t>(n));  // kept for a later read_response
    }
}

HttpResponse http_get(int port, const std::string& target,
                      const std::vector<std::pair<std::string, std::string>>& headers) {
    HttpClient client(port);
    return client.request("GET", target, headers);
}

}  // namespace gisgate::test
