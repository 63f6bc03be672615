#include "cluster/config_hash.hpp"

#include <openssl/evp.h>

#include "config/loader.hpp"

namespace gisgate::cluster {

std::string config_hash(const config::Config& config) {
    config::Config shared = config;
    shared.admin.reset();
    shared.cluster.reset();
    shared.workers = 0;
    for (auto& listener : shared.listeners) listener.bind = {};
    const std::string text = config::to_yaml(shared);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < size && out.size() < 16; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 15]);
    }
    return out;
}

}  // namespace gisgate::cluster
