// The same strictness towards servers: a real `gisgate run` in front of a fake server that answers with raw,
// malformed bytes. The client must get 502, and gisgate must close that server connection instead of reusing
// it (whatever the server sends next would be read as the next response).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "support/http_client.hpp"
#include "support/process.hpp"

namespace gisgate::test {
namespace {

using namespace std::string_literals;
using Clock = std::chrono::steady_clock;

// Accepts connections on 127.0.0.1, reads one request head on each, answers with `response` and then waits
// (bounded) for the peer to close, counting connections accepted and connections the peer closed.
class RawServer {
public:
    explicit RawServer(std::string response) : response_(std::move(response)) {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int one = 1;
        ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(listen_fd_, 64) != 0) {
            ADD_FAILURE() << "raw server cannot listen";
            return;
        }
        socklen_t len = sizeof addr;
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { accept_loop(); });
    }
    ~RawServer() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        for (auto& t : handlers_) t.join();
        if (listen_fd_ >= 0) ::close(listen_fd_);
    }
    int port() const { return port_; }
    int accepted() const { return accepted_.load(); }
    int closed_by_proxy() const { return closed_by_proxy_.load(); }
    int requests() const { return requests_.load(); }

private:
    void accept_loop() {
        const auto deadline = Clock::now() + std::chrono::seconds(60);
        while (!stop_ && Clock::now() < deadline) {
            pollfd p{listen_fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) continue;
            ++accepted_;
            std::lock_guard lock(mutex_);
            handlers_.emplace_back([this, fd] { handle(fd); });
        }
    }
    void handle(int fd) {
        const auto deadline = Clock::now() + std::chrono::seconds(20);
        std::string in;
        bool answered = false;
        char buf[4096];
        while (!stop_ && Clock::now() < deadline) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {  // the proxy closed its side
                if (answered) ++closed_by_proxy_;
                break;
            }
            in.append(buf, static_cast<std::size_t>(n));
            if (!answered && in.find("\r\n\r\n") != std::string::npos) {
                ++requests_;
                ::send(fd, response_.data(), response_.size(), MSG_NOSIGNAL);
                answered = true;
            }
        }
        ::close(fd);
    }

    std::string response_;
    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> accepted_{0};
    std::atomic<int> closed_by_proxy_{0};
    std::atomic<int> requests_{0};
    std::mutex mutex_;
    std::vector<std::thread> handlers_;
    std::thread thread_;
};

std::unique_ptr<ChildProcess> start_proxy_to(int server_port, int& proxy_port) {
    const std::string yaml = fmt::format(R"(workers: 1
access_log: off
listeners:
  - name: public
    bind: 127.0.0.1:0
    routes:
      - {{ prefix: /, pool: raw }}
pools:
  - name: raw
    retries: 0
    timeouts: {{ server: 5s }}
    health: {{ enabled: false }}
    servers:
      - {{ name: raw, address: 127.0.0.1:{} }}
)",
                                         server_port);
    auto proxy = ChildProcess::start({"run", "-c", write_temp_file("raw-responses.yaml", yaml)});
    proxy_port = proxy->wait_for_port("public");
    return proxy;
}

struct BadResponse {
    const char* name;
    std::string bytes;
};

void PrintTo(const BadResponse& c, std::ostream* os) { *os << c.name; }

class RawResponses : public ::testing::TestWithParam<BadResponse> {};

TEST_P(RawResponses, Get502AndTheServerConnectionIsNotReused) {
    const BadResponse& c = GetParam();
    RawServer server(c.bytes);
    ASSERT_NE(server.port(), 0);
    int proxy_port = 0;
    const auto proxy = start_proxy_to(server.port(), proxy_port);
    ASSERT_NE(proxy_port, 0) << proxy->output();

    auto client = std::make_unique<HttpClient>(proxy_port);
    for (int i = 0; i < 2; ++i) {
        const HttpResponse r = client->request("GET", "/arcgis/rest/info?f=json");
        EXPECT_EQ(r.status, 502) << c.name << " request " << i << ": " << r.body;
        if (r.header("Connection") == "close") client = std::make_unique<HttpClient>(proxy_port);
    }
    // Each request took a new server connection, and gisgate closed the one that carried the bad answer.
    EXPECT_TRUE(eventually([&] { return server.closed_by_proxy() == 2; }, std::chrono::seconds(10)))
        << c.name << ": closed " << server.closed_by_proxy() << " of " << server.accepted();
    EXPECT_EQ(server.accepted(), 2) << c.name;
    EXPECT_EQ(server.requests(), 2) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, RawResponses,
    ::testing::Values(
        BadResponse{"ClAndTe", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        BadResponse{"TwoDifferentContentLengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!"},
        BadResponse{"ContentLengthNotDigits", "HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nok"},
        BadResponse{"ChunkedTwice", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"},
        BadResponse{"ChunkedInHttp10", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        BadResponse{"Http20", "HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok"},
        BadResponse{"NotHttp", "SSH-2.0-OpenSSH_9.2\r\n"},
        BadResponse{"StatusTwoDigits", "HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok"},
        BadResponse{"ObsFold", "HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 2\r\n\r\nok"},
        BadResponse{"SpaceBeforeColon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok"},
        BadResponse{"BareLf", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok"},
        BadResponse{"NulInHeader", "HTTP/1.1 200 OK\r\nX: a\0b\r\nContent-Length: 2\r\n\r\nok"s},
        BadResponse{"ConnectionNamesContentLength",
                    "HTTP/1.1 200 OK\r\nConnection: content-length\r\nContent-Length: 2\r\n\r\nok"},
        BadResponse{"UnderscoreContentLength", "HTTP/1.1 200 OK\r\nContent_Length: 2\r\n\r\nok"},
        BadResponse{"SwitchingProtocols", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n"}),
    [](const auto& info) { return std::string(info.param.name); });

// A well-formed answer from the same fake server is relayed and its connection kept for the next request.
TEST(RawResponsesControl, WellFormedAnswerIsRelayedAndTheConnectionReused) {
    RawServer server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    int proxy_port = 0;
    const auto proxy = start_proxy_to(server.port(), proxy_port);
    ASSERT_NE(proxy_port, 0) << proxy->output();
    HttpClient client(proxy_port);
    const HttpResponse r = client.request("GET", "/x");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "ok");
    EXPECT_EQ(server.accepted(), 1);
    EXPECT_EQ(server.closed_by_proxy(), 0);
}

}  // namespace
}  // namespace gisgate::test
