// The floor for an idle HTTPS keep-alive connection with this machine's OpenSSL: a bare TLS server that holds
// nothing per connection but the socket, OpenSSL's SSL object and an 8-byte pointer in an array. bench/https's
// `floor` row measures its RSS growth per connection with the same client (bench/lib/idle_conns.py,
// IDLE_TLS=1) as gisgate, HAProxy and NGINX: what no TLS-terminating proxy using this OpenSSL can go below.
//
// It sets on its context exactly what gisgate's listeners set (net/tls_context.cpp): SSL_MODE_RELEASE_BUFFERS
// (no record buffers while idle), no compression or renegotiation, server cipher preference, OpenSSL's defaults
// otherwise (TLS 1.3 session tickets, two per handshake). One thread, level-triggered epoll, glibc malloc (as
// HAProxy and NGINX use). Every connection gets one fixed 2-byte answer per request head and is then held.
//
// Usage: tls_idle_floor PORT CERT.pem KEY.pem [SECONDS]   (stops by itself after SECONDS, default 600, or on
// SIGTERM/SIGINT; prints "ready" once listening)
#include <arpa/inet.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cstdint>
#include <ctime>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

constexpr char kAnswer[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

// Per connection: the SSL object (its socket is SSL_get_fd), and whether the head seen so far ended. A request
// head of the bench client arrives in one record; `tail` keeps the last 3 bytes so a split "\r\n\r\n" is found.
struct Conn {
    SSL* ssl = nullptr;
    unsigned char tail[3] = {0, 0, 0};
};

int fail(const char* what) {
    std::fprintf(stderr, "tls_idle_floor: %s\n", what);
    ERR_print_errors_fp(stderr);
    return 1;
}

void close_conn(int ep, std::vector<Conn*>& conns, int fd) {
    Conn* c = conns[fd];
    conns[fd] = nullptr;
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
    SSL_free(c->ssl);
    delete c;
    close(fd);
}

// True: the connection stays open.
bool on_readable(Conn& c) {
    unsigned char buf[16384];  // on the stack: nothing of it is held between reads
    for (;;) {
        const int n = SSL_read(c.ssl, buf, sizeof buf);
        if (n <= 0) {
            const int e = SSL_get_error(c.ssl, n);
            return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
        }
        // Count the heads that end in what was read ("\r\n\r\n", maybe across reads) and answer each.
        unsigned char window[4] = {c.tail[0], c.tail[1], c.tail[2], 0};
        for (int i = 0; i < n; ++i) {
            window[0] = window[1];
            window[1] = window[2];
            window[2] = window[3];
            window[3] = buf[i];
            if (std::memcmp(window, "\r\n\r\n", 4) == 0 &&
                SSL_write(c.ssl, kAnswer, static_cast<int>(sizeof kAnswer - 1)) <= 0)
                return false;  // a 2-byte answer to a client that reads: a full socket would be a broken one
        }
        std::memcpy(c.tail, window + 1, 3);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: tls_idle_floor PORT CERT.pem KEY.pem [SECONDS]\n");
        return 2;
    }
    const int port = std::atoi(argv[1]);
    const long seconds = argc > 4 ? std::atol(argv[4]) : 600;
    std::signal(SIGTERM, on_signal);
    std::signal(SIGINT, on_signal);
    std::signal(SIGPIPE, SIG_IGN);

    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) return fail("SSL_CTX_new");
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(ctx, argv[2]) != 1) return fail("certificate");
    if (SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) != 1) return fail("key");

    const int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    const int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(lfd, 4096) != 0) {
        std::perror("tls_idle_floor: bind/listen");
        return 1;
    }
    const int ep = epoll_create1(0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = lfd;
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    std::vector<Conn*> conns;  // by descriptor
    std::printf("ready\n");
    std::fflush(stdout);

    const std::time_t until = std::time(nullptr) + seconds;
    epoll_event events[256];
    while (!g_stop && std::time(nullptr) < until) {
        const int n = epoll_wait(ep, events, 256, 500);
        for (int i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (fd == lfd) {
                for (;;) {
                    const int cfd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK);
                    if (cfd < 0) break;
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    auto* c = new Conn;
                    c->ssl = SSL_new(ctx);
                    SSL_set_fd(c->ssl, cfd);
                    SSL_set_accept_state(c->ssl);
                    if (static_cast<std::size_t>(cfd) >= conns.size()) conns.resize(cfd + 1024, nullptr);
                    conns[cfd] = c;
                    epoll_event cev{};
                    cev.events = EPOLLIN;
                    cev.data.fd = cfd;
                    epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
                }
                continue;
            }
            Conn* c = static_cast<std::size_t>(fd) < conns.size() ? conns[fd] : nullptr;
            if (c && !on_readable(*c)) close_conn(ep, conns, fd);
        }
    }
    for (std::size_t fd = 0; fd < conns.size(); ++fd)
        if (conns[fd]) close_conn(ep, conns, static_cast<int>(fd));
    close(lfd);
    close(ep);
    SSL_CTX_free(ctx);
    return 0;
}
