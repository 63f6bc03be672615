#include "net/tls_context.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <map>
#include <mutex>
#include <stdexcept>

#include "tls/certificates.hpp"

namespace gisgate::net {

namespace {

// What a listener offers, in its order of preference (the ALPN callback's argument).
struct AlpnList {
    const unsigned char* protocols;
    unsigned size;
};
constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
constexpr unsigned char kH2Http11[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};  // h2 when offered
constexpr AlpnList kAlpnHttp11{kHttp11, sizeof kHttp11};
constexpr AlpnList kAlpnH2Http11{kH2Http11, sizeof kH2Http11};

bool is_ip_literal(std::string_view host) {
    const std::string text(host);
    unsigned char bytes[16];
    return inet_pton(AF_INET, text.c_str(), bytes) == 1 || inet_pton(AF_INET6, text.c_str(), bytes) == 1;
}

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + tls::openssl_error_text());
}

// Settings every gisgate TLS context shares: TLS 1.2 or 1.3 only, no compression or renegotiation, buffers
// released while a connection is idle, and a peer closing without close_notify read as end of stream (HTTP
// framing, not TLS, tells whether a message is complete; most clients and servers just close).
void apply_common(ssl::context& context, config::TlsVersion min_version, const std::string& ciphers,
                  const std::string& suites) {
    SSL_CTX* ctx = context.native_handle();
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_set_min_proto_version(ctx, min_version == config::TlsVersion::v1_3 ? TLS1_3_VERSION
                                                                                    : TLS1_2_VERSION) != 1)
        fail("TLS minimum version");
    if (SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1) fail("ciphers '" + ciphers + "'");
    if (SSL_CTX_set_ciphersuites(ctx, suites.c_str()) != 1) fail("ciphersuites '" + suites + "'");
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen,
                void* arg) {
    unsigned char* chosen = nullptr;
    const auto& offered = *static_cast<const AlpnList*>(arg);
    if (SSL_select_next_proto(&chosen, outlen, offered.protocols, offered.size, in, inlen) ==
        OPENSSL_NPN_NEGOTIATED) {
        *out = chosen;
        return SSL_TLSEXT_ERR_OK;
    }
    // A client offering only h2 gets no ALPN answer and may still speak HTTP/1.1; refusing it outright would
    // break clients that would have fallen back.
    return SSL_TLSEXT_ERR_NOACK;
}

// A listener without a certificate serves one generated for its bind host, once per process: a reload keeps the
// same certificate, so clients that accepted it once are not asked again.
std::shared_ptr<const tls::PemPair> self_signed_for(const std::string& host, const std::string& listener) {
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<const tls::PemPair>> generated;
    std::lock_guard lock(mutex);
    auto& slot = generated[host];
    if (!slot) {
        slot = std::make_shared<const tls::PemPair>(tls::make_self_signed(host));
        spdlog::warn("listener {}: no certificate configured; generated a self-signed certificate for {} (valid 1 "
                     "year). Clients do not trust it: configure a CA-signed certificate (tls: {{ cert, key }}) for "
                     "production",
                     listener, host.empty() ? "this host" : host);
    }
    return slot;
}

}  // namespace

TlsServer::~TlsServer() = default;

std::shared_ptr<const TlsServer> TlsServer::build(const config::ListenerTlsConfig& config,
                                                  const config::Endpoint& bind, const std::string& listener,
                                                  bool http2) {
    std::shared_ptr<TlsServer> server(new TlsServer());
    struct Material {
        std::string cert;
        std::string key;
        std::vector<std::string> names;
        bool is_default;
    };
    std::vector<Material> material;
    for (const auto& c : config.certs) material.push_back({c.cert_pem, c.key_pem, c.names, c.is_default});
    if (material.empty()) {
        const auto pair = self_signed_for(bind.host, listener);
        material.push_back({pair->cert, pair->key, {}, true});
    }
    for (std::size_t i = 0; i < material.size(); ++i) {
        const Material& m = material[i];
        auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
        apply_common(*context, config.min_version, config.ciphers, config.ciphersuites);
        error_code ec;
        context->use_certificate_chain(asio::buffer(m.cert), ec);
        if (ec) throw std::runtime_error("listener " + listener + ": certificate: " + ec.message());
        context->use_private_key(asio::buffer(m.key), ssl::context::pem, ec);
        if (ec) throw std::runtime_error("listener " + listener + ": private key: " + ec.message());
        SSL_CTX_set_alpn_select_cb(context->native_handle(), select_alpn,
                                   const_cast<AlpnList*>(http2 ? &kAlpnH2Http11 : &kAlpnHttp11));
        if (m.is_default) server->default_ = i;
        server->entries_.push_back({m.names, std::move(context)});
    }
    if (server->entries_.size() > 1) {
        SSL_CTX* ctx = server->context().native_handle();
        SSL_CTX_set_tlsext_servername_callback(ctx, &TlsServer::on_server_name);
        // The snapshot owns this object for as long as any connection uses its contexts.
        SSL_CTX_set_tlsext_servername_arg(ctx, server.get());
    }
    return server;
}

const TlsServer::Entry* TlsServer::find(std::string_view server_name) const {
    // Exact names first, then wildcards, each in the order the certificates are listed.
    for (const auto& entry : entries_)
        for (const auto& name : entry.names)
            if (name.find('*') == std::string::npos && tls::name_matches(name, server_name)) return &entry;
    for (const auto& entry : entries_)
        for (const auto& name : entry.names)
            if (name.find('*') != std::string::npos && tls::name_matches(name, server_name)) return &entry;
    return nullptr;
}

int TlsServer::on_server_name(SSL* ssl, int*, void* arg) {
    const auto* self = static_cast<const TlsServer*>(arg);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (!name) return SSL_TLSEXT_ERR_NOACK;  // no SNI: the default certificate
    const Entry* entry = self->find(name);
    if (!entry || entry->context.get() == self->entries_[self->default_].context.get()) return SSL_TLSEXT_ERR_OK;
    if (!SSL_set_SSL_CTX(ssl, entry->context->native_handle())) return SSL_TLSEXT_ERR_ALERT_FATAL;
    return SSL_TLSEXT_ERR_OK;
}

std::shared_ptr<const TlsClient> TlsClient::build(const config::UpstreamTlsConfig& config) {
    std::shared_ptr<TlsClient> client(new TlsClient());
    client->context_ = std::make_unique<ssl::context>(ssl::context::tls_client);
    ssl::context& context = *client->context_;
    apply_common(context, config.min_version, config.ciphers, config.ciphersuites);
    SSL_CTX_set_alpn_protos(context.native_handle(), kHttp11, sizeof kHttp11);
    client->sni_ = config.sni;
    client->verify_ = config.verify;
    error_code ec;
    if (config.verify) {
        context.set_verify_mode(ssl::verify_peer, ec);
        if (!config.ca_pem.empty()) context.add_certificate_authority(asio::buffer(config.ca_pem), ec);
        else context.set_default_verify_paths(ec);
        if (ec) throw std::runtime_error("pool TLS: CA certificates: " + ec.message());
    } else {
        context.set_verify_mode(ssl::verify_none, ec);
    }
    return client;
}

bool TlsClient::prepare(SSL* ssl, std::string_view server_host) const {
    const std::string name(sni_.empty() ? server_host : std::string_view(sni_));
    const bool ip = is_ip_literal(name);
    // SNI carries host names only (RFC 6066); a server addressed by IP gets none unless `sni` is set.
    if (!ip && !name.empty() && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) return false;
    if (!verify_) return true;
    if (ip) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1;
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return SSL_set1_host(ssl, name.c_str()) == 1;
}

}  // namespace gisgate::net
