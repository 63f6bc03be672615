// What `gisgate check` says about the TLS settings of a valid config: which certificate each listener serves
// and for which names, and warnings (expired or soon-expiring certificates, a generated self-signed
// certificate, server certificates that are not verified).
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace gisgate::config {

struct TlsAdvice {
    std::vector<std::string> lines;     // printed as YAML comments
    std::vector<std::string> warnings;  // printed on stderr
};

TlsAdvice advise_tls(const Config& config);

const char* to_string(TlsVersion version);  // "1.2", "1.3"

}  // namespace gisgate::config
