// TLS contexts built from the config, held by the runtime snapshot (shared_ptr): a reload builds new ones, so new
// connections get the new certificates while open connections keep the context they started with.
//
//   TlsServer: a listener's certificates. One OpenSSL context per certificate; connections start on the default
//              one, and the SNI callback switches to the certificate whose names match the client's server name.
//              TLS 1.2+ (configurable 1.3), the configured ciphers, ALPN h2 (when the
//              listener has http2) and http/1.1.
//   TlsClient: a pool's settings for connections to its servers: verification against a CA file (or the system
//              store) and the server's name, or none (`verify: false`, for GIS servers' self-signed certificates);
//              SNI per server.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "net/asio.hpp"

namespace gisgate::net {

namespace ssl = asio::ssl;

class TlsServer {
public:
    // Throws std::runtime_error when OpenSSL refuses the (already validated) material. A listener without
    // certificates gets a self-signed one for its bind host, generated once per process and host (logged with a
    // warning: clients do not trust it).
    // `http2`: ALPN offers h2 before http/1.1.
    static std::shared_ptr<const TlsServer> build(const config::ListenerTlsConfig& config,
                                                  const config::Endpoint& bind, const std::string& listener,
                                                  bool http2 = false);
    ~TlsServer();
    TlsServer(const TlsServer&) = delete;
    TlsServer& operator=(const TlsServer&) = delete;

    // The context new connections start on (the default certificate).
    ssl::context& context() const { return *entries_[default_].context; }
    std::size_t certificate_count() const { return entries_.size(); }

private:
    TlsServer() = default;
    struct Entry {
        std::vector<std::string> names;
        std::unique_ptr<ssl::context> context;
    };
    static int on_server_name(SSL* ssl, int* alert, void* arg);
    const Entry* find(std::string_view server_name) const;

    std::vector<Entry> entries_;
    std::size_t default_ = 0;
};

class TlsClient {
public:
    // Throws std::runtime_error when OpenSSL refuses the (already validated) settings.
    static std::shared_ptr<const TlsClient> build(const config::UpstreamTlsConfig& config);

    ssl::context& context() const { return *context_; }
    // Sets SNI and, when verifying, the name (or IP address) the certificate must carry, on a new connection to
    // a server whose configured host is `server_host`. False when OpenSSL refuses.
    bool prepare(SSL* ssl, std::string_view server_host) const;

private:
    TlsClient() = default;
    std::unique_ptr<ssl::context> context_;
    std::string sni_;
    bool verify_ = true;
};

}  // namespace gisgate::net
