// Token-key drift (pool `drift_token`, part of drift detection): ArcGIS sites behind one balancer must share
// their token key, or a token issued by one site is refused by the next one the balancer picks. Each round
// asks every compared server's token service for a token (POST <context>/tokens/generateToken), then
// presents each token to every other server (<context>/rest/services?f=json&token=...). Servers that accept
// each other's tokens share a key; the largest such group is the majority, and every other server differs.
// The comparison (compare_token_keys) has no sockets, so it is unit-tested alone.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gis/catalog.hpp"

namespace gisgate::gis {

struct TokenDrift {
    std::string difference;  // human readable, e.g. "token key differs: its tokens are refused by b, c"
    bool decisive = false;   // against a real majority (more than half of the servers), not a tie
};

// `servers`: the servers compared, in order. `mint_errors`: servers whose token service gave no token (why).
// `accepted`: (minted by, presented to) pairs that were accepted. Returns only the servers that differ.
std::map<std::string, TokenDrift> compare_token_keys(const std::vector<std::string>& servers,
                                                     const std::map<std::string, std::string>& mint_errors,
                                                     const std::set<std::pair<std::string, std::string>>& accepted);

struct TokenCheckServer {
    std::string name;
    CatalogRequest request;  // endpoints, Host, context, TLS, timeout, cancel token
};

// Runs the exchange above and compares. Servers that cannot be reached at all are left out (health checks
// deal with them); fewer than two servers compare nothing.
awaitable<std::map<std::string, TokenDrift>> check_token_keys(std::vector<TokenCheckServer> servers,
                                                              std::string username, std::string password);

}  // namespace gisgate::gis
