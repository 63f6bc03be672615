#include "sim/tokens.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <chrono>

#include "sim/cors.hpp"

namespace gisgate::sim {

using nlohmann::json;

namespace {

constexpr std::int64_t kDefaultMinutes = 60;        // ArcGIS's short-lived token validity
constexpr std::int64_t kMaxMinutes = 15 * 24 * 60;  // ArcGIS's default maximum (15 days)

std::string to_hex(const unsigned char* data, std::size_t n) {
    std::string out;
    out.reserve(2 * n);
    for (std::size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", data[i]);
    return out;
}

std::optional<std::string> from_hex(const std::string& hex) {
    if (hex.size() % 2)
        return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        unsigned v = 0;
        auto [p, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
        if (ec != std::errc{} || p != hex.data() + i + 2)
            return std::nullopt;
        out.push_back(static_cast<char>(v));
    }
    return out;
}

std::string signature(const std::string& key, const std::string& payload) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(payload.data()),
         payload.size(), mac, &len);
    return to_hex(mac, len);
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Reply token_error(const std::string& message, const std::string& detail) {
    // The token service answers errors with HTTP 200 and the ArcGIS error body, like the REST API.
    return arcgis_error(400, message, 200, {detail});
}

Reply generate_token(Site& site, const SimRequest& req) {
    if (site.options.token_key.empty())
        return token_error("Unable to generate token.", "Token-based security is not enabled on this site.");
    const std::string user = param(req.params, "username");
    const std::string password = param(req.params, "password");
    // A simulated user store: every user name with a non-empty password signs in.
    if (user.empty() || password.empty())
        return token_error("Unable to generate token.", "Invalid username or password.");
    std::int64_t minutes = kDefaultMinutes;
    if (auto v = param(req.params, "expiration"); !v.empty()) {
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), minutes);
        if (ec != std::errc{} || p != v.data() + v.size() || minutes < 1)
            return token_error("Unable to generate token.", "'expiration' must be a positive number of minutes.");
        minutes = std::min(minutes, kMaxMinutes);
    }
    const std::int64_t expires = now_ms() + minutes * 60000;
    json body = {{"token", mint_token(site.options.token_key, user, expires)},
                 {"expires", expires},
                 {"ssl", site.options.tls_self_signed || !site.options.tls_cert_file.empty()}};
    return json_reply(body, req.params);
}

std::string bearer(const std::string& header) {
    if (header.size() > 7 && iequals(header.substr(0, 7), "Bearer "))
        return header.substr(7);
    return {};
}

}  // namespace

std::string mint_token(const std::string& key, const std::string& user, std::int64_t expires_ms) {
    const std::string payload =
        to_hex(reinterpret_cast<const unsigned char*>(user.data()), user.size()) + "." + std::to_string(expires_ms);
    return payload + "." + signature(key, payload);
}

std::optional<std::string> verify_token(const std::string& key, const std::string& token, std::int64_t now,
                                        std::string& why) {
    const auto dot2 = token.rfind('.');
    const auto dot1 = dot2 == std::string::npos || dot2 == 0 ? std::string::npos : token.rfind('.', dot2 - 1);
    if (dot1 == std::string::npos) {
        why = "Token is malformed.";
        return std::nullopt;
    }
    const std::string payload = token.substr(0, dot2);
    if (signature(key, payload) != token.substr(dot2 + 1)) {
        why = "Token was not issued by this site's token service (key differs).";
        return std::nullopt;
    }
    std::int64_t expires = 0;
    const std::string e = token.substr(dot1 + 1, dot2 - dot1 - 1);
    auto [p, ec] = std::from_chars(e.data(), e.data() + e.size(), expires);
    auto user = from_hex(token.substr(0, dot1));
    if (ec != std::errc{} || p != e.data() + e.size() || !user) {
        why = "Token is malformed.";
        return std::nullopt;
    }
    if (expires <= now) {
        why = "Token has expired.";
        return std::nullopt;
    }
    return user;
}

Reply handle_tokens(Site& site, const SimRequest& req, Segments rest) {
    if (rest.empty()) {
        json body = {{"currentVersion", kCurrentVersionNumber},
                     {"authInfo",
                      {{"isTokenBasedSecurity", !site.options.token_key.empty()},
                       {"tokenServicesUrl", req.base_url() + "/arcgis/tokens/"},
                       {"shortLivedTokenValidity", kDefaultMinutes}}}};
        return page_reply(body, req.params, "Token Service");
    }
    if (rest.size() == 1 && iequals(rest[0], "generateToken"))
        return generate_token(site, req);
    return not_found();
}

std::optional<Reply> token_gate(const Site& site, const SimRequest& req, bool required) {
    if (site.options.token_key.empty())
        return std::nullopt;
    std::string token = param(req.params, "token");
    if (token.empty())
        token = bearer(request_header(req, "X-Esri-Authorization"));
    if (token.empty())
        token = bearer(request_header(req, "Authorization"));
    if (token.empty())
        return required ? std::optional<Reply>(arcgis_error(499, "Token Required", 200)) : std::nullopt;
    std::string why;
    if (!verify_token(site.options.token_key, token, now_ms(), why))
        return arcgis_error(498, "Invalid Token", 200, {why});
    return std::nullopt;
}

}  // namespace gisgate::sim
