// The `tls:` sections; see tls_reader.hpp.
#include "config/tls_reader.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "config/tls.hpp"
#include "tls/certificates.hpp"
#include "util/file.hpp"

namespace gisgate::config {

const char* to_string(TlsVersion version) { return version == TlsVersion::v1_3 ? "1.3" : "1.2"; }

namespace detail {

namespace {

// Relative paths are taken from the config file's directory, so `gisgate run -c /etc/gisgate/gisgate.yaml`
// finds `cert: tls/site.pem` wherever it is started from.
std::string resolve_file(const Reader& r, const Field& field) {
    const std::string text = r.string(field);
    if (text.empty()) r.fail(r.loc(field), fmt::format("'{}' must be a file path", field.name));
    std::filesystem::path path(text);
    if (path.is_relative()) path = std::filesystem::path(r.file()).parent_path() / path;
    return path.lexically_normal().string();
}

std::string read_pem(const Reader& r, const Field& field, const std::string& path, const char* what) {
    std::string error;
    auto text = util::read_file(path, error);
    if (!text) r.fail(r.loc(field), fmt::format("cannot read {} file '{}': {}", what, path, error));
    return std::move(*text);
}

TlsVersion read_version(const Reader& r, const Field& field) {
    const std::string text = r.scalar(field, "\"1.2\" or \"1.3\"");
    if (text == "1.2") return TlsVersion::v1_2;
    if (text == "1.3") return TlsVersion::v1_3;
    r.fail(r.loc(field), fmt::format("'min_version' must be \"1.2\" or \"1.3\" (older TLS versions are not "
                                     "offered), got '{}'",
                                     text));
}

void read_ciphers(const Reader& r, const MapFields& map, std::string& ciphers, std::string& suites) {
    ciphers = tls::kDefaultCiphers;
    suites = tls::kDefaultCiphersuites;
    if (const Field* f = map.find("ciphers")) {
        ciphers = r.string(*f);
        const std::string error = tls::check_ciphers(ciphers);
        if (!error.empty()) r.fail(r.loc(*f), fmt::format("'ciphers' {}: '{}'", error, ciphers));
    }
    if (const Field* f = map.find("ciphersuites")) {
        suites = r.string(*f);
        const std::string error = tls::check_ciphersuites(suites);
        if (!error.empty()) r.fail(r.loc(*f), fmt::format("'ciphersuites' {}: '{}'", error, suites));
    }
}

CertificateConfig read_certificate(const Reader& r, const MapFields& map) {
    CertificateConfig cert;
    const Field& cert_field = map.require("cert");
    const Field& key_field = map.require("key");
    cert.loc = r.loc(cert_field);
    cert.cert_file = resolve_file(r, cert_field);
    cert.key_file = resolve_file(r, key_field);
    cert.cert_pem = read_pem(r, cert_field, cert.cert_file, "certificate");
    tls::CertificateInfo info;
    std::string error = tls::check_certificate(cert.cert_pem, info);
    if (!error.empty()) r.fail(r.loc(cert_field), fmt::format("certificate file '{}' {}", cert.cert_file, error));
    cert.names = std::move(info.names);
    cert.key_pem = read_pem(r, key_field, cert.key_file, "key");
    error = tls::check_key(cert.key_pem, cert.cert_pem);
    if (!error.empty())
        r.fail(r.loc(key_field), fmt::format("key file '{}': {} ('{}')", cert.key_file, error, cert.cert_file));
    return cert;
}

bool valid_host_name(std::string_view name) {
    return !name.empty() && name.size() <= 253 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    });
}

}  // namespace

ListenerTlsConfig read_listener_tls(const Reader& r, const Field& field) {
    const MapFields map(r, field, "listener tls", {"cert", "key", "certs", "min_version", "ciphers", "ciphersuites"});
    ListenerTlsConfig tls;
    tls.loc = map.loc();
    const Field* list = map.find("certs");
    if (list && (map.find("cert") || map.find("key"))) {
        r.fail(r.loc(list->key), "use either 'cert' and 'key' (one certificate) or a 'certs' list, not both");
    }
    if (map.find("cert") || map.find("key")) {
        tls.certs.push_back(read_certificate(r, map));
        tls.certs.back().is_default = true;
    } else if (list) {
        const SourceLoc* default_at = nullptr;
        SourceLoc first_default;
        for (const auto& node : r.list(*list)) {
            const MapFields entry(r, r.item(node, "certs"), "certs entry", {"cert", "key", "default"});
            CertificateConfig cert = read_certificate(r, entry);
            if (const Field* d = entry.find("default")) {
                cert.is_default = r.boolean(*d);
                if (cert.is_default && default_at) {
                    r.fail(r.loc(*d), fmt::format("only one certificate can be the default (the first is at {}:{})",
                                                  default_at->line, default_at->column));
                }
                if (cert.is_default) {
                    first_default = r.loc(*d);
                    default_at = &first_default;
                }
            }
            tls.certs.push_back(std::move(cert));
        }
        if (tls.certs.empty()) r.fail(r.loc(*list), "'certs' needs at least one certificate");
        if (!default_at) tls.certs.front().is_default = true;  // the first one, when none is marked
    }
    if (const Field* f = map.find("min_version")) tls.min_version = read_version(r, *f);
    read_ciphers(r, map, tls.ciphers, tls.ciphersuites);
    return tls;
}

UpstreamTlsConfig read_upstream_tls(const Reader& r, const Field& field) {
    const MapFields map(r, field, "pool tls",
                        {"enabled", "verify", "ca", "sni", "min_version", "ciphers", "ciphersuites"});
    UpstreamTlsConfig tls;
    tls.enabled = true;  // a `tls:` section means TLS unless it says `enabled: false`
    if (const Field* f = map.find("enabled")) tls.enabled = r.boolean(*f);
    if (const Field* f = map.find("verify")) tls.verify = r.boolean(*f);
    if (const Field* f = map.find("ca")) {
        tls.ca_file = resolve_file(r, *f);
        tls.ca_pem = read_pem(r, *f, tls.ca_file, "CA");
        const std::string error = tls::check_ca(tls.ca_pem);
        if (!error.empty()) r.fail(r.loc(*f), fmt::format("CA file '{}' {}", tls.ca_file, error));
    }
    if (const Field* f = map.find("sni")) {
        tls.sni = r.string(*f);
        if (!valid_host_name(tls.sni))
            r.fail(r.loc(*f), fmt::format("'sni' must be a host name (letters, digits, '-' and '.'), got '{}'", tls.sni));
    }
    if (const Field* f = map.find("min_version")) tls.min_version = read_version(r, *f);
    read_ciphers(r, map, tls.ciphers, tls.ciphersuites);
    return tls;
}

}  // namespace detail

TlsAdvice advise_tls(const Config& config) {
    TlsAdvice advice;
    const auto now = std::chrono::system_clock::now();
    for (const auto& listener : config.listeners) {
        if (!listener.tls) continue;
        if (listener.tls->certs.empty()) {
            advice.lines.push_back(fmt::format("listener {}: TLS with a self-signed certificate generated at start "
                                               "for {}",
                                               listener.name, listener.bind.host));
            advice.warnings.push_back(fmt::format(
                "listener {} has no certificate: gisgate run generates a self-signed one, which clients do not "
                "trust; configure a CA-signed certificate for production",
                listener.name));
            continue;
        }
        for (const auto& cert : listener.tls->certs) {
            tls::CertificateInfo info;
            tls::check_certificate(cert.cert_pem, info);
            const auto days = std::chrono::duration_cast<std::chrono::hours>(info.not_after - now).count() / 24;
            advice.lines.push_back(fmt::format("listener {}: certificate {} ({}) for [{}]{}, expires in {} days",
                                               listener.name, cert.cert_file, info.subject,
                                               fmt::join(cert.names, ", "), cert.is_default ? ", default" : "",
                                               days));
            if (info.not_after <= now)
                advice.warnings.push_back(
                    fmt::format("listener {}: certificate {} has expired", listener.name, cert.cert_file));
            else if (days < 30)
                advice.warnings.push_back(fmt::format("listener {}: certificate {} expires in {} days",
                                                      listener.name, cert.cert_file, days));
            if (info.not_before > now)
                advice.warnings.push_back(
                    fmt::format("listener {}: certificate {} is not valid yet", listener.name, cert.cert_file));
        }
    }
    for (const auto& pool : config.pools) {
        if (!pool.tls.enabled) continue;
        advice.lines.push_back(fmt::format("pool {}: TLS to the servers, {}{}", pool.name,
                                           pool.tls.verify ? "certificates verified against " : "certificates not verified",
                                           pool.tls.verify ? (pool.tls.ca_file.empty() ? std::string("the system CA store")
                                                                                       : pool.tls.ca_file)
                                                           : std::string()));
        if (!pool.tls.verify)
            advice.warnings.push_back(fmt::format(
                "pool {}: server certificates are not verified (verify: false); fine for the self-signed certificates "
                "GIS servers ship with on a trusted network, otherwise set verify: true and ca",
                pool.name));
    }
    return advice;
}

}  // namespace gisgate::config
