// Token-based security as ArcGIS Server does it (`--token-key K`): `/arcgis/tokens/generateToken` mints a
// token for a user name and password, signed with the site's key (HMAC-SHA256), and every service and output
// file then needs a valid token (`token` parameter, or `X-Esri-Authorization: Bearer <t>` / `Authorization:
// Bearer <t>`). Sites configured with the same key accept each other's tokens, as the sites of a cluster
// sharing their token key do; a token from a site with another key is refused as "Invalid Token".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sim/handlers.hpp"

namespace gisgate::sim {

// A token: hex(user) "." expires (ms since epoch) "." hex(HMAC-SHA256(key, hex(user) "." expires)).
std::string mint_token(const std::string& key, const std::string& user, std::int64_t expires_ms);
// The user the token was minted for, when its signature matches `key` and it has not expired at `now_ms`;
// otherwise nullopt and `why` says what is wrong.
std::optional<std::string> verify_token(const std::string& key, const std::string& token, std::int64_t now_ms,
                                        std::string& why);

// /arcgis/tokens[/generateToken]: `rest` is what follows /arcgis/tokens.
Reply handle_tokens(Site& site, const SimRequest& req, Segments rest);
// The refusal for a request without a valid token (code 499 "Token Required" when `required` and none is
// given, 498 "Invalid Token" for a bad one even where none is required; HTTP 200 as ArcGIS answers them in
// JSON); nullopt when it may proceed.
std::optional<Reply> token_gate(const Site& site, const SimRequest& req, bool required);

}  // namespace gisgate::sim
