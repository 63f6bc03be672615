// Certificate and key handling shared by the config loader (validation with located errors), the proxy
// (listener and pool TLS contexts) and the simulated site: PEM checks, the names a certificate serves, and the
// self-signed certificate generator used when a TLS listener has none configured. OpenSSL 3 only; no Asio.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gisgate::tls {

// Defaults: TLS 1.2 with ECDHE key exchange and AEAD ciphers only (Mozilla "intermediate" without DHE), and
// OpenSSL's TLS 1.3 suites.
inline constexpr const char* kDefaultCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
inline constexpr const char* kDefaultCiphersuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

// What a certificate says about itself (the leaf of a chain).
struct CertificateInfo {
    std::string subject;             // one line, e.g. "CN=gis.example.com"
    std::vector<std::string> names;  // DNS names (lower case, "*.example.com" kept) and IP addresses from the
                                     // subjectAltName; the CN when there is no DNS or IP name at all
    std::chrono::system_clock::time_point not_before{};
    std::chrono::system_clock::time_point not_after{};
    std::size_t chain_length = 0;    // certificates in the PEM (leaf + intermediates)
};

// A PEM certificate chain (leaf first) and the matching private key, as text.
struct PemPair {
    std::string cert;
    std::string key;
};

// Checks a certificate chain: at least one certificate, every block parses. Fills `info` from the leaf.
// Returns an error message, empty when fine.
std::string check_certificate(std::string_view cert_pem, CertificateInfo& info);
// Checks a private key (PEM, unencrypted) and that it belongs to the chain's leaf certificate.
std::string check_key(std::string_view key_pem, std::string_view cert_pem);
// Checks a CA bundle: at least one certificate, every block parses.
std::string check_ca(std::string_view ca_pem);
// Checks an OpenSSL cipher list (TLS 1.2) / TLS 1.3 ciphersuites string: empty when OpenSSL accepts it and it
// selects at least one cipher.
std::string check_ciphers(const std::string& ciphers);
std::string check_ciphersuites(const std::string& suites);

// Whether a certificate name ("gis.example.com", "*.example.com", "10.0.0.4") covers `server_name` (an SNI
// host name, already lower case). A wildcard matches exactly one leftmost label.
bool name_matches(std::string_view pattern, std::string_view server_name);

// A self-signed certificate for `host` (an IP literal or a DNS name; a wildcard address such as 0.0.0.0 or ::
// stands for this machine: its host name, localhost, 127.0.0.1 and ::1), EC P-256, SHA-256, valid from an hour
// ago for `validity`. Throws std::runtime_error if OpenSSL fails.
PemPair make_self_signed(const std::string& host, std::chrono::hours validity = std::chrono::hours(24 * 365));

// The last OpenSSL error queue entries as text (and clears the queue).
std::string openssl_error_text();

}  // namespace gisgate::tls
