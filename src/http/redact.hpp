// Secrets in request targets: ArcGIS passes tokens in the query (`?token=...`), OAuth flows pass codes. What is
// forwarded is untouched; what is logged (the access log) has those values replaced by REDACTED.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gisgate::http {

// Query parameters always redacted; config `redact_params` adds more.
inline constexpr std::array<std::string_view, 5> kSecretParams = {"token", "password", "client_secret", "code",
                                                                   "refresh_token"};

// `out` = `target` with the value of every query parameter named in kSecretParams or `extra` replaced by
// "REDACTED". Names are compared case-insensitively after percent-decoding ("TOKEN", "t%6Fken"), as a server
// reads them. `extra` holds lower-case names. A target without '?' is copied as it is.
void redact_target(std::string_view target, const std::vector<std::string>& extra, std::string& out);

// A query parameter name as a server reads it: '+' is a space, %XX decoded, ASCII lower-cased.
std::string decoded_param_name(std::string_view raw_name);

// The raw value of the first parameter of `query` (the part after '?') whose name, as a server reads it, is
// `lower_name` ("TOKEN" and "%74oken" are "token"); an empty value for a name without '='; nullopt when none.
std::optional<std::string_view> query_param(std::string_view query, std::string_view lower_name);

}  // namespace gisgate::http
