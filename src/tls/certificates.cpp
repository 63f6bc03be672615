#include "tls/certificates.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <ctime>
#include <memory>
#include <stdexcept>

#include "util/ascii.hpp"

namespace gisgate::tls {

namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CtxPtr = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX, SSL_CTX_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;

void free_general_names(GENERAL_NAMES* names) { GENERAL_NAMES_free(names); }
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, free_general_names>>;

BioPtr memory_bio(std::string_view text) {
    return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Never prompt on a terminal for a pass phrase: an encrypted key is an error.
int no_password(char*, int, int, void*) { return -1; }

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* t) {
    std::tm tm{};
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return {};
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string ip_text(const ASN1_OCTET_STRING* ip) {
    char text[INET6_ADDRSTRLEN] = {};
    const int len = ASN1_STRING_length(ip);
    const unsigned char* data = ASN1_STRING_get0_data(ip);
    if (len == 4) inet_ntop(AF_INET, data, text, sizeof text);
    else if (len == 16) inet_ntop(AF_INET6, data, text, sizeof text);
    return text;
}

void fill_info(X509* leaf, CertificateInfo& info) {
    char subject[512] = {};
    X509_NAME_oneline(X509_get_subject_name(leaf), subject, sizeof subject);
    info.subject = subject;
    if (!info.subject.empty() && info.subject.front() == '/') info.subject.erase(0, 1);
    info.names.clear();
    NamesPtr names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr)));
    if (names) {
        for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
            const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
            if (name->type == GEN_DNS) {
                const ASN1_STRING* s = name->d.dNSName;
                info.names.push_back(lower(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                                            static_cast<std::size_t>(ASN1_STRING_length(s)))));
            } else if (name->type == GEN_IPADD) {
                std::string ip = ip_text(name->d.iPAddress);
                if (!ip.empty()) info.names.push_back(std::move(ip));
            }
        }
    }
    if (info.names.empty()) {
        const int at = X509_NAME_get_index_by_NID(X509_get_subject_name(leaf), NID_commonName, -1);
        if (at >= 0) {
            const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(X509_get_subject_name(leaf), at));
            info.names.push_back(lower(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(cn)),
                                                        static_cast<std::size_t>(ASN1_STRING_length(cn)))));
        }
    }
    info.not_before = to_time_point(X509_get0_notBefore(leaf));
    info.not_after = to_time_point(X509_get0_notAfter(leaf));
}

// Reads every certificate of a PEM text. Empty `error` on success.
std::vector<X509Ptr> read_certificates(std::string_view pem, std::string& error) {
    std::vector<X509Ptr> out;
    ERR_clear_error();
    BioPtr bio = memory_bio(pem);
    for (;;) {
        X509* cert = PEM_read_bio_X509(bio.get(), nullptr, no_password, nullptr);
        if (cert) {
            out.emplace_back(cert);
            continue;
        }
        const unsigned long e = ERR_peek_last_error();
        if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
            ERR_clear_error();  // the end of the text (or no certificate at all)
            break;
        }
        error = "not a valid PEM certificate: " + openssl_error_text();
        return {};
    }
    if (out.empty()) error = "contains no PEM certificate (expected '-----BEGIN CERTIFICATE-----')";
    return out;
}

}  // namespace

std::string openssl_error_text() {
    std::string text;
    while (const unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        // "error:0480006C:PEM routines::no start line" → keep the readable reason.
        const char* reason = ERR_reason_error_string(e);
        if (!text.empty()) text += "; ";
        text += reason ? reason : buf;
    }
    return text.empty() ? "unknown OpenSSL error" : text;
}

std::string check_certificate(std::string_view cert_pem, CertificateInfo& info) {
    std::string error;
    auto certs = read_certificates(cert_pem, error);
    if (!error.empty()) return error;
    info.chain_length = certs.size();
    fill_info(certs.front().get(), info);
    return {};
}

std::string check_key(std::string_view key_pem, std::string_view cert_pem) {
    if (key_pem.find("ENCRYPTED") != std::string_view::npos)
        return "the private key is encrypted; gisgate needs an unencrypted PEM key (protect it with file permissions)";
    ERR_clear_error();
    BioPtr bio = memory_bio(key_pem);
    KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr));
    if (!key) return "not a valid PEM private key: " + openssl_error_text();
    std::string error;
    auto certs = read_certificates(cert_pem, error);
    if (!error.empty()) return error;
    if (X509_check_private_key(certs.front().get(), key.get()) != 1) {
        ERR_clear_error();
        return "the private key does not match the certificate";
    }
    return {};
}

std::string check_ca(std::string_view ca_pem) {
    std::string error;
    read_certificates(ca_pem, error);
    return error;
}

std::string check_ciphers(const std::string& ciphers) {
    if (ciphers.empty()) return "must not be empty";
    CtxPtr ctx(SSL_CTX_new(TLS_method()));
    if (!ctx) return openssl_error_text();
    if (SSL_CTX_set_cipher_list(ctx.get(), ciphers.c_str()) != 1) {
        ERR_clear_error();
        return "OpenSSL accepts no cipher of this list";
    }
    return {};
}

std::string check_ciphersuites(const std::string& suites) {
    if (suites.empty()) return "must not be empty";
    CtxPtr ctx(SSL_CTX_new(TLS_method()));
    if (!ctx) return openssl_error_text();
    if (SSL_CTX_set_ciphersuites(ctx.get(), suites.c_str()) != 1) {
        ERR_clear_error();
        return "OpenSSL does not know these TLS 1.3 ciphersuites";
    }
    return {};
}

bool name_matches(std::string_view pattern, std::string_view server_name) {
    if (pattern.size() > 2 && pattern[0] == '*' && pattern[1] == '.') {
        const std::size_t dot = server_name.find('.');
        if (dot == std::string_view::npos || dot == 0) return false;
        return util::iequals(pattern.substr(1), server_name.substr(dot));
    }
    return util::iequals(pattern, server_name);
}

PemPair make_self_signed(const std::string& host, std::chrono::hours validity) {
    auto fail = [](const char* step) -> void {
        throw std::runtime_error(std::string("self-signed certificate: ") + step + ": " + openssl_error_text());
    };
    ERR_clear_error();
    KeyPtr key(EVP_EC_gen("P-256"));
    if (!key) fail("key generation");
    X509Ptr cert(X509_new());
    if (!cert) fail("X509_new");
    X509_set_version(cert.get(), 2);  // v3, for the extensions

    BnPtr serial(BN_new());
    if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
        !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
        fail("serial number");
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);  // tolerate a client clock slightly behind
    X509_time_adj_ex(X509_getm_notAfter(cert.get()), static_cast<int>(validity.count() / 24),
                     static_cast<long>((validity.count() % 24) * 3600), nullptr);
    X509_set_pubkey(cert.get(), key.get());

    // The names: an IP literal as an IP SAN, a host name as a DNS SAN, a wildcard bind as this machine.
    std::string san;
    std::string common_name = host;
    unsigned char probe[16];
    const bool is_v4 = inet_pton(AF_INET, host.c_str(), probe) == 1;
    const bool is_v6 = !is_v4 && inet_pton(AF_INET6, host.c_str(), probe) == 1;
    if (host.empty() || host == "0.0.0.0" || host == "::") {
        char name[256] = {};
        if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') std::strcpy(name, "localhost");
        common_name = name;
        san = "DNS:" + std::string(name);
        if (common_name != "localhost") san += ",DNS:localhost";
        san += ",IP:127.0.0.1,IP:::1";
    } else if (is_v4 || is_v6) {
        san = "IP:" + host;
    } else {
        san = "DNS:" + host;
    }
    if (common_name.size() > 64) common_name.resize(64);  // the X.509 upper bound for a CN

    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>("gisgate self-signed"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);

    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
    // No keyUsage: with one that lacks keyCertSign, OpenSSL no longer treats the certificate as self-signed, and
    // clients could not use it as its own trust anchor (curl --cacert cert.pem).
    const std::pair<int, std::string> extensions[] = {
        {NID_basic_constraints, "critical,CA:FALSE"},
        {NID_ext_key_usage, "serverAuth"},
        {NID_subject_key_identifier, "hash"},
        {NID_subject_alt_name, san},
    };
    for (const auto& [nid, value] : extensions) {
        ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str()));
        if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1) fail("extension");
    }
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) fail("signing");

    PemPair out;
    BioPtr cert_bio(BIO_new(BIO_s_mem()));
    BioPtr key_bio(BIO_new(BIO_s_mem()));
    if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
        PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        fail("PEM encoding");
    char* data = nullptr;
    long n = BIO_get_mem_data(cert_bio.get(), &data);
    out.cert.assign(data, static_cast<std::size_t>(n));
    n = BIO_get_mem_data(key_bio.get(), &data);
    out.key.assign(data, static_cast<std::size_t>(n));
    return out;
}

}  // namespace gisgate::tls
