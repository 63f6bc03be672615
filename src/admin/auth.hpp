// Who may use the admin API: the client address must be inside `admin.allow`; anything that changes state
// also needs the bearer token.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "config/cidr.hpp"
#include "net/client_allow.hpp"

namespace gisgate::admin {

// The part of AdminConfig that hot reload may change; swapped as a whole so a request never sees a new
// token with an old allow list.
struct AccessRules {
    std::string token;
    std::vector<config::Cidr> allow;
};

using net::client_allowed;  // the admin API's `allow` is tested like a listener's

// Methods that change state and so need the token. Everything but GET and HEAD: a method the router does not
// know is refused for lack of a token before it can learn which paths exist.
bool is_write_method(std::string_view method);

// Checks an Authorization header value ("Bearer <token>", scheme case-insensitive) against `token`.
// An empty configured token matches nothing: a missing secret must not open the API.
bool bearer_matches(std::string_view authorization, std::string_view token);

// Equality whose running time depends only on `presented`'s length, never on where the first difference is
// or on the length of `expected` (the secret).
bool constant_time_equal(std::string_view presented, std::string_view expected);

}  // namespace gisgate::admin
