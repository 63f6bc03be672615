// `mode: tcp` listeners (layer 4): a TLS session relayed end to end (the client sees the site's own certificate),
// round robin per connection, half-close, the idle timeout, the throttle per connection, and TCP health checks.
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "integration/proxy_fixture.hpp"
#include "support/tls_client.hpp"
#include "tls/certificates.hpp"

namespace gisgate::test {
namespace {


// A raw TCP backend: reads each connection until the client's FIN, then answers "received N bytes\n" and closes.
// It can only answer once the proxy has passed the client's half-close on.
class EofServer {
public:
    EofServer() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::listen(fd_, 64);
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~EofServer() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    int port() const { return port_; }
    int accepted() const { return accepted_.load(); }

private:
    void serve() {
        std::vector<std::thread> connections;
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) != 1) continue;
            const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) continue;
            ++accepted_;
            connections.emplace_back([this, c] {
                std::size_t total = 0;
                char buf[65536];
                while (!stop_) {
                    pollfd q{c, POLLIN, 0};
                    if (::poll(&q, 1, 50) != 1) continue;
                    const ssize_t n = ::recv(c, buf, sizeof buf, 0);
                    if (n <= 0) break;
                    total += static_cast<std::size_t>(n);
                }
                const std::string answer = fmt::format("received {} bytes\n", total);
                ::send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
                ::close(c);
            });
        }
        for (auto& t : connections) t.join();
    }

    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> accepted_{0};
    std::thread thread_;
};

// A blocking client socket to the proxy's tcp listener.
class RawClient {
public:
    explicit RawClient(int port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    ~RawClient() {
        if (fd_ >= 0) ::close(fd_);
    }
    bool connected() const { return fd_ >= 0; }
    void send_all(const std::string& data) {
        std::size_t sent = 0;
        while (sent < data.size()) {
            const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) return;
            sent += static_cast<std::size_t>(n);
        }
    }
    void half_close() { ::shutdown(fd_, SHUT_WR); }
    // Everything until the peer closes (or `timeout`); `closed` says whether it did.
    std::string read_to_end(bool& closed, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
        std::string out;
        closed = false;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        char buf[4096];
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) != 1) continue;
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) {
                closed = true;
                break;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
        return out;
    }

private:
    int fd_ = -1;
};

std::string pool_state(int admin, const std::string& server, const std::string& field = "state") {
    const auto status = nlohmann::json::parse(http_get(admin, "/api/v1/status").body, nullptr, false);
    if (status.is_discarded()) return "?";
    for (const auto& s : status["pools"][0]["servers"])
        if (s["name"] == server) return field == "state" ? s["state"].get<std::string>() : s["health"][field].dump();
    return "missing";
}

int pool_queued(int admin) {
    const auto status = nlohmann::json::parse(http_get(admin, "/api/v1/status").body, nullptr, false);
    if (status.is_discarded()) return -1;
    return status["pools"][0]["queued"].get<int>();
}

std::string tcp_config(const std::string& listener_keys, const std::string& pool_keys, const std::string& servers,
                       const std::string& top = "") {
    return fmt::format(R"(workers: 1
access_log: stdout
{}listeners:
  - name: passthrough
    bind: 127.0.0.1:0
    mode: tcp
    pool: gis
{}pools:
  - name: gis
{}    servers:
{})",
                       top, listener_keys, pool_keys, servers);
}

TEST(TcpMode, RelaysTlsEndToEndAndTheClientSeesTheSitesCertificate) {
    const auto a_pair = tls::make_self_signed("127.0.0.1");
    const auto b_pair = tls::make_self_signed("127.0.0.1");
    Sim a = start_sim("a", {"--tls-cert", write_temp_file("tcp/a.pem", a_pair.cert), "--tls-key",
                            write_temp_file("tcp/a.key", a_pair.key)});
    Sim b = start_sim("b", {"--tls-cert", write_temp_file("tcp/b.pem", b_pair.cert), "--tls-key",
                            write_temp_file("tcp/b.key", b_pair.key)});
    ASSERT_NE(a.port, 0);
    ASSERT_NE(b.port, 0);
    // The servers speak TLS themselves (SSL pass-through); their health checks are HTTPS GETs.
    Proxy proxy = start_proxy(tcp_config("", "    tls: { verify: false }\n", servers_yaml({&a, &b})), "passthrough");
    ASSERT_NE(proxy.port, 0);

    std::map<std::string, int> sites;
    for (int i = 0; i < 4; ++i) {
        TlsClient client(proxy.port);
        ASSERT_TRUE(client.connected()) << client.error();
        const std::string cert = client.peer_certificate_pem();
        const auto r = client.request("GET", "/arcgis/rest/info/healthcheck");
        ASSERT_EQ(r.status, 200);
        const std::string site = r.header("X-Gisgate-Sim-Site");
        // The certificate is the one of the site that answered: gisgate did not terminate TLS.
        EXPECT_EQ(cert, site == "a" ? a_pair.cert : b_pair.cert) << "site " << site;
        // Several requests on the same relayed connection go to the same site.
        EXPECT_EQ(client.request("GET", "/arcgis/rest/info?f=json").header("X-Gisgate-Sim-Site"), site);
        sites[site]++;
    }
    EXPECT_EQ(sites["a"], 2);  // round robin per connection
    EXPECT_EQ(sites["b"], 2);
    EXPECT_TRUE(proxy.process->wait_for_output("passthrough \"TCP\" closed gis/"));
}

TEST(TcpMode, HalfCloseLetsTheServerAnswerAfterTheClientFinished) {
    EofServer backend;
    Proxy proxy = start_proxy(
        tcp_config("", "    health: { type: tcp }\n",
                   fmt::format("      - {{ name: eof, address: 127.0.0.1:{} }}\n", backend.port())),
        "passthrough");
    ASSERT_NE(proxy.port, 0);
    RawClient client(proxy.port);
    ASSERT_TRUE(client.connected());
    const std::string payload(300 * 1024, 'x');
    client.send_all(payload);
    client.half_close();  // the server answers only after seeing this FIN
    bool closed = false;
    EXPECT_EQ(client.read_to_end(closed), fmt::format("received {} bytes\n", payload.size()));
    EXPECT_TRUE(closed);
    EXPECT_TRUE(proxy.process->wait_for_output(fmt::format("\"TCP\" closed gis/eof 22 {}", payload.size())))
        << proxy.process->output();
}

TEST(TcpMode, IdleConnectionsAreClosedAfterTheIdleTimeout) {
    EofServer backend;
    Proxy proxy = start_proxy(
        tcp_config("    idle_timeout: 2s\n", "    health: { type: tcp }\n",
                   fmt::format("      - {{ name: eof, address: 127.0.0.1:{} }}\n", backend.port())),
        "passthrough");
    ASSERT_NE(proxy.port, 0);

    // Traffic keeps a connection open past the idle timeout...
    RawClient busy(proxy.port);
    ASSERT_TRUE(busy.connected());
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    std::size_t sent = 0;
    while (std::chrono::steady_clock::now() < until) {
        busy.send_all("ping");
        sent += 4;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // pacing the traffic, not synchronisation
    }
    busy.half_close();
    bool closed = false;
    EXPECT_EQ(busy.read_to_end(closed), fmt::format("received {} bytes\n", sent));

    // ...a silent one is closed.
    RawClient idle(proxy.port);
    ASSERT_TRUE(idle.connected());
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(idle.read_to_end(closed, std::chrono::seconds(15)), "");
    EXPECT_TRUE(closed);
    EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1800));
    EXPECT_TRUE(proxy.process->wait_for_output("\"TCP\" idle-timeout gis/eof"));
}

TEST(TcpMode, ConnectionsAreThrottledPerServer) {
    EofServer backend;
    Proxy proxy = start_proxy(
        // No health checks: the backend's accept count is then exactly the relayed connections.
        tcp_config("", "    max_active_per_server: 1\n    queue: { max: 1, timeout: 30s }\n    health: { enabled: false }\n",
                   fmt::format("      - {{ name: eof, address: 127.0.0.1:{} }}\n", backend.port()), kAdmin),
        "passthrough");
    ASSERT_NE(proxy.port, 0);
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);

    RawClient first(proxy.port);
    ASSERT_TRUE(eventually([&] { return backend.accepted() >= 1; }));
    RawClient second(proxy.port);  // waits in the queue: the server's one slot is taken
    ASSERT_TRUE(eventually([&] { return pool_queued(admin) == 1; }));
    RawClient third(proxy.port);  // the queue is full: refused, i.e. closed
    bool closed = false;
    EXPECT_EQ(third.read_to_end(closed, std::chrono::seconds(10)), "");
    EXPECT_TRUE(closed);
    EXPECT_TRUE(proxy.process->wait_for_output("\"TCP\" queue-full gis/-"));
    EXPECT_EQ(backend.accepted(), 1);

    // The first connection ends; its slot goes to the queued one.
    first.send_all("one");
    first.half_close();
    EXPECT_EQ(first.read_to_end(closed), "received 3 bytes\n");
    second.send_all("second");
    second.half_close();
    EXPECT_EQ(second.read_to_end(closed), "received 6 bytes\n");
    EXPECT_EQ(backend.accepted(), 2);
}

TEST(TcpMode, TcpHealthChecksTakeADeadServerOut) {
    EofServer live;
    int dead_port = 0;
    {
        EofServer gone;  // a port that was just free: nothing listens there once it is destroyed
        dead_port = gone.port();
    }
    Proxy proxy = start_proxy(
        tcp_config("", "    health: { type: tcp, interval: 200ms, timeout: 1s, fall: 2, rise: 2 }\n",
                   fmt::format("      - {{ name: live, address: 127.0.0.1:{} }}\n"
                               "      - {{ name: dead, address: 127.0.0.1:{} }}\n",
                               live.port(), dead_port),
                   kAdmin),
        "passthrough");
    ASSERT_NE(proxy.port, 0);
    const int admin = proxy.process->wait_for_port("admin");
    ASSERT_NE(admin, 0);
    ASSERT_TRUE(eventually([&] { return pool_state(admin, "dead") == "down"; }));
    EXPECT_EQ(pool_state(admin, "live"), "up");
    EXPECT_NE(pool_state(admin, "dead", "last_error").find("connect"), std::string::npos);
    for (int i = 0; i < 3; ++i) {
        RawClient c(proxy.port);
        c.half_close();
        bool closed = false;
        EXPECT_EQ(c.read_to_end(closed), "received 0 bytes\n");
    }
}

}  // namespace
}  // namespace gisgate::test
