// A small blocking HTTPS client for tests (OpenSSL directly, not the code under test): SNI and ALPN control,
// the peer's certificate, optional verification, and plain HTTP/1.1 requests over the TLS connection.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "support/http_client.hpp"

namespace gisgate::test {

struct TlsClientOptions {
    std::string sni = {};                // server name sent; empty = no SNI
    std::vector<std::string> alpn = {};  // offered protocols, e.g. {"h2", "http/1.1"}; empty = no ALPN
    std::string ca_pem = {};             // when set, the server's chain must verify against it...
    std::string verify_name = {};        // ...and carry this host name or IP address
    int max_version = 0;                 // e.g. TLS1_2_VERSION; 0 = the library's highest
    std::string preamble = {};           // bytes sent in clear before the handshake (a PROXY protocol header)
};

class TlsClient {
public:
    explicit TlsClient(int port, TlsClientOptions options = {}, const std::string& host = "127.0.0.1");
    ~TlsClient();
    TlsClient(const TlsClient&) = delete;
    TlsClient& operator=(const TlsClient&) = delete;

    bool connected() const { return ssl_ != nullptr; }  // TCP connected and handshake done
    const std::string& error() const { return error_; }  // why not, when not
    std::string alpn() const;
    std::string version() const;               // "TLSv1.3"
    std::string peer_certificate_pem() const;  // the leaf the server presented
    std::string peer_subject() const;           // e.g. "O=gisgate self-signed/CN=127.0.0.1"

    void send_raw(const std::string& bytes);
    HttpResponse read_response(bool head_request = false, std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // Adds Host (and Content-Length for a body) unless given; skips 1xx answers.
    HttpResponse request(const std::string& method, const std::string& target,
                         const std::vector<std::pair<std::string, std::string>>& headers = {},
                         const std::string& body = "");
    // True if the peer closed (close_notify, FIN or reset) within `timeout`.
    bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // The peer's close_notify has been read (a clean TLS close, not a cut connection).
    bool close_notify_received() const { return ssl_ && (SSL_get_shutdown(ssl_) & SSL_RECEIVED_SHUTDOWN) != 0; }

private:
    bool fill(std::chrono::steady_clock::time_point deadline);
    int fd_ = -1;
    SSL_CTX* ctx_ = nullptr;
    SSL* ssl_ = nullptr;
    std::string host_;
    int port_ = 0;
    std::string error_;
    std::string buffer_;
    bool eof_ = false;
};

// One-shot HTTPS GET on a fresh connection without verification.
HttpResponse https_get(int port, const std::string& target, const TlsClientOptions& options = {});

}  // namespace gisgate::test
