#include "support/http_receiver.hpp"
#include "support/support_util.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <stdexcept>

namespace gisgate::test {

namespace {

using support::lower;

// Reads until `pred(buffer)` or EOF/timeout; false on EOF/timeout.
template <class Pred>
bool read_until(int fd, std::string& buffer, Pred pred) {
    char chunk[4096];
    while (!pred(buffer)) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 5000) != 1) return false;
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0) return false;
        buffer.append(chunk, static_cast<std::size_t>(n));
    }
    return true;
}

const char* reason(int status) {
    switch (status) {
        case 200: return "OK";
        case 204: return "No Content";
        case 500: return "Internal Server Error";
        case 503: return "Service Unavailable";
        default: return "Status";
    }
}

}  // namespace

HttpReceiver::HttpReceiver(int port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 16) != 0)
        throw std::runtime_error(std::string("HttpReceiver: ") + std::strerror(errno));
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
}

HttpReceiver::~HttpReceiver() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
}

void HttpReceiver::script(std::vector<int> statuses) {
    std::lock_guard lock(mutex_);
    script_.assign(statuses.begin(), statuses.end());
}

std::vector<ReceivedRequest> HttpReceiver::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

void HttpReceiver::run() {
    while (!stop_) {
        pollfd p{listen_fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) != 1) continue;
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        serve(fd);
        ::close(fd);
    }
}

void HttpReceiver::serve(int fd) {
    std::string buffer;
    if (!read_until(fd, buffer, [](const std::string& b) { return b.find("\r\n\r\n") != std::string::npos; }))
        return;
    const std::size_t head_end = buffer.find("\r\n\r\n") + 4;
    ReceivedRequest request;
    const std::string head = buffer.substr(0, head_end);
    const std::size_t sp1 = head.find(' ');
    const std::size_t sp2 = head.find(' ', sp1 + 1);
    request.method = head.substr(0, sp1);
    request.target = head.substr(sp1 + 1, sp2 - sp1 - 1);
    std::size_t content_length = 0;
    for (std::size_t pos = head.find("\r\n") + 2; pos < head_end - 2;) {
        const std::size_t eol = head.find("\r\n", pos);
        const std::string line = head.substr(pos, eol - pos);
        const std::size_t colon = line.find(':');
        if (colon != std::string::npos) {
            const std::string name = lower(line.substr(0, colon));
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            if (name == "content-length") content_length = std::stoul(value);
            if (name == "content-type") request.content_type = value;
        }
        pos = eol + 2;
    }
    read_until(fd, buffer, [&](const std::string& b) { return b.size() >= head_end + content_length; });
    request.body = buffer.substr(head_end, content_length);

    int status = default_status_;
    {
        std::lock_guard lock(mutex_);
        if (!script_.empty()) {
            status = script_.front();
            script_.pop_front();
        }
    }
    request.answered = status;
    // Recorded before the answer goes out: a sender that has seen its answer must find the request in
    // requests() (recording afterwards raced with tests that check right after the delivery).
    {
        std::lock_guard lock(mutex_);
        requests_.push_back(std::move(request));
    }
    if (status != 0) {
        const std::string response = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
                                     "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        [[maybe_unused]] const ssize_t n = ::write(fd, response.data(), response.size());
    }
}

}  // namespace gisgate::test
