#include "support/tls_client.hpp"
#include "support/support_util.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace gisgate::test {

using Clock = std::chrono::steady_clock;

namespace {

using support::lower;
using support::remaining_ms;

// Waits for what OpenSSL asked for; false on timeout.
bool wait_for(int fd, int ssl_error, Clock::time_point deadline) {
    pollfd p{fd, static_cast<short>(ssl_error == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN), 0};
    return ::poll(&p, 1, remaining_ms(deadline)) == 1;
}

std::string ssl_errors() {
    std::string text;
    while (const unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!text.empty()) text += "; ";
        text += buf;
    }
    return text;
}


}  // namespace

TlsClient::TlsClient(int port, TlsClientOptions options, const std::string& host) : host_(host), port_(port) {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    sockaddr_storage addr{};
    socklen_t len = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<std::uint16_t>(port));
        len = sizeof *v4;
    } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<std::uint16_t>(port));
        len = sizeof *v6;
    } else {
        error_ = "not an IP address: " + host;
        return;
    }
    fd_ = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) {
        error_ = std::strerror(errno);
        return;
    }
    int rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), len);
    if (rc < 0 && errno == EINPROGRESS) {
        pollfd p{fd_, POLLOUT, 0};
        int err = ETIMEDOUT;
        if (::poll(&p, 1, remaining_ms(deadline)) == 1) {
            socklen_t elen = sizeof err;
            getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &elen);
        }
        rc = err == 0 ? 0 : -1;
        errno = err;
    }
    if (rc != 0) {
        error_ = std::string("connect: ") + std::strerror(errno);
        return;
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!options.preamble.empty() &&
        ::send(fd_, options.preamble.data(), options.preamble.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(options.preamble.size())) {
        error_ = std::string("preamble: ") + std::strerror(errno);
        return;
    }

    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    if (options.max_version) SSL_CTX_set_max_proto_version(ctx_, options.max_version);
    if (!options.ca_pem.empty()) {
        BIO* bio = BIO_new_mem_buf(options.ca_pem.data(), static_cast<int>(options.ca_pem.size()));
        X509_STORE* store = SSL_CTX_get_cert_store(ctx_);
        while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
            X509_STORE_add_cert(store, cert);
            X509_free(cert);
        }
        ERR_clear_error();
        BIO_free(bio);
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    }
    SSL* ssl = SSL_new(ctx_);
    SSL_set_fd(ssl, fd_);
    if (!options.sni.empty()) SSL_set_tlsext_host_name(ssl, options.sni.c_str());
    if (!options.ca_pem.empty() && !options.verify_name.empty()) {
        unsigned char ip[16];
        if (inet_pton(AF_INET, options.verify_name.c_str(), ip) == 1 ||
            inet_pton(AF_INET6, options.verify_name.c_str(), ip) == 1)
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), options.verify_name.c_str());
        else
            SSL_set1_host(ssl, options.verify_name.c_str());
    }
    if (!options.alpn.empty()) {
        std::string wire;
        for (const auto& p : options.alpn) {
            wire += static_cast<char>(p.size());
            wire += p;
        }
        SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned>(wire.size()));
    }
    for (;;) {
        const int r = SSL_connect(ssl);
        if (r == 1) break;
        const int e = SSL_get_error(ssl, r);
        if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) && wait_for(fd_, e, deadline)) continue;
        error_ = "handshake: " + ssl_errors();
        if (SSL_get_verify_result(ssl) != X509_V_OK)
            error_ += std::string(" (") + X509_verify_cert_error_string(SSL_get_verify_result(ssl)) + ")";
        SSL_free(ssl);
        return;
    }
    ssl_ = ssl;
}

TlsClient::~TlsClient() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
}

std::string TlsClient::alpn() const {
    const unsigned char* data = nullptr;
    unsigned len = 0;
    if (ssl_) SSL_get0_alpn_selected(ssl_, &data, &len);
    return std::string(reinterpret_cast<const char*>(data), len);
}

std::string TlsClient::version() const { return ssl_ ? SSL_get_version(ssl_) : ""; }

std::string TlsClient::peer_certificate_pem() const {
    if (!ssl_) return {};
    X509* cert = SSL_get1_peer_certificate(ssl_);
    if (!cert) return {};
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    X509_free(cert);
    return out;
}

std::string TlsClient::peer_subject() const {
    if (!ssl_) return {};
    X509* cert = SSL_get1_peer_certificate(ssl_);
    if (!cert) return {};
    char text[512] = {};
    X509_NAME_oneline(X509_get_subject_name(cert), text, sizeof text);
    X509_free(cert);
    return text;
}

void TlsClient::send_raw(const std::string& bytes) {
    if (!ssl_) return;
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const int r = SSL_write(ssl_, bytes.data() + sent, static_cast<int>(bytes.size() - sent));
        if (r > 0) {
            sent += static_cast<std::size_t>(r);
            continue;
        }
        const int e = SSL_get_error(ssl_, r);
        if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) && wait_for(fd_, e, deadline)) continue;
        return;
    }
}

bool TlsClient::fill(Clock::time_point deadline) {
    if (!ssl_ || eof_) return false;
    char buf[16384];
    for (;;) {
        const int r = SSL_read(ssl_, buf, sizeof buf);
        if (r > 0) {
            buffer_.append(buf, static_cast<std::size_t>(r));
            return true;
        }
        const int e = SSL_get_error(ssl_, r);
        if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) && wait_for(fd_, e, deadline)) continue;
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) eof_ = true;
        ERR_clear_error();
        return false;
    }
}

HttpResponse TlsClient::read_response(bool head_request, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    HttpResponse response;
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
        if (!fill(deadline)) return response;
    const std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    std::size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    if (status_line.size() < 12) return response;
    response.status = std::atoi(status_line.substr(9, 3).c_str());
    response.reason = status_line.size() > 13 ? status_line.substr(13) : "";
    while (line_end != std::string::npos) {
        const std::size_t start = line_end + 2;
        line_end = head.find("\r\n", start);
        const std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        response.headers.emplace(line.substr(0, colon), value);
    }
    const bool no_body = head_request || response.status < 200 || response.status == 204 || response.status == 304;
    if (no_body) return response;
    if (lower(response.header("Transfer-Encoding")).find("chunked") != std::string::npos) {
        response.chunked = true;
        for (;;) {
            std::size_t eol;
            while ((eol = buffer_.find("\r\n")) == std::string::npos)
                if (!fill(deadline)) return response;
            const std::size_t size = std::stoul(buffer_.substr(0, eol), nullptr, 16);
            buffer_.erase(0, eol + 2);
            if (size == 0) {
                while ((eol = buffer_.find("\r\n")) != 0) {  // trailers up to the empty line
                    if (eol == std::string::npos) {
                        if (!fill(deadline)) return response;
                    } else {
                        buffer_.erase(0, eol + 2);
                    }
                }
                buffer_.erase(0, 2);
                return response;
            }
            while (buffer_.size() < size + 2)
                if (!fill(deadline)) return response;
            response.body += buffer_.substr(0, size);
            buffer_.erase(0, size + 2);
        }
    }
    const std::string length = response.header("Content-Length");
    if (!length.empty()) {
        const std::size_t n = std::stoul(length);
        while (buffer_.size() < n)
            if (!fill(deadline)) break;
        response.body = buffer_.substr(0, std::min(n, buffer_.size()));
        buffer_.erase(0, response.body.size());
        return response;
    }
    while (fill(deadline)) {
    }
    response.body = std::move(buffer_);
    buffer_.clear();
    return response;
}

HttpResponse TlsClient::request(const std::string& method, const std::string& target,
                                const std::vector<std::pair<std::string, std::string>>& headers,
                                const std::string& body) {
    std::string text = method + " " + target + " HTTP/1.1\r\n";
    bool has_host = false, has_length = false;
    for (const auto& [name, value] : headers) {
        has_host = has_host || lower(name) == "host";
        has_length = has_length || lower(name) == "content-length";
        text += name + ": " + value + "\r\n";
    }
    if (!has_host) text += "Host: " + host_ + ":" + std::to_string(port_) + "\r\n";
    if (!has_length && (!body.empty() || method == "POST" || method == "PUT"))
        text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    text += "\r\n" + body;
    send_raw(text);
    for (;;) {
        HttpResponse r = read_response(method == "HEAD");
        if (r.status >= 100 && r.status < 200) continue;
        return r;
    }
}

bool TlsClient::closed_by_peer(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        if (!fill(deadline)) return eof_;
    }
    return eof_;
}

HttpResponse https_get(int port, const std::string& target, const TlsClientOptions& options) {
    TlsClient client(port, options);
    if (!client.connected()) return {};
    return client.request("GET", target);
}

}  // namespace gisgate::test
