// `gisgate sim --auth ntlm`: Windows Integrated Authentication in front of the site, as IIS with a Web Adaptor
// does it. NTLM authenticates the TCP connection: a three-step handshake (NEGOTIATE → 401 with a CHALLENGE →
// AUTHENTICATE) that must run on one connection, after which every request on that connection is the user's,
// with no Authorization header. The sim checks the binding, not passwords: an AUTHENTICATE on a connection that
// did not get this site's CHALLENGE is refused, and an authenticated connection answers as its user
// (X-Gisgate-Sim-User), so a balancer that moves handshake steps between connections, or hands one user's
// connection to another client, is caught. The messages are real NTLMSSP (curl --ntlm works against it).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sim/responses.hpp"

namespace gisgate::sim {

struct ConnectionAuth {
    enum class State : std::uint8_t { none, challenged, authenticated };
    State state = State::none;
    std::array<std::uint8_t, 8> challenge{};
    std::string user;  // "DOMAIN\user" or "user" once authenticated
};

// One request's pass through the gate: nullopt = go on (as auth.user), or the answer to send instead (401 with
// WWW-Authenticate, or 400 for a malformed message). `authorization` is the request's header value ("" if none).
std::optional<Reply> ntlm_gate(ConnectionAuth& auth, std::string_view authorization);

// NTLMSSP messages, also used by the tests' client side of the handshake.
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
std::string ntlm_negotiate_message();                                  // type 1
std::string ntlm_authenticate_message(std::string_view user, std::string_view domain);  // type 3 (no proof)
// The server challenge of a type-2 message, or nullopt.
std::optional<std::array<std::uint8_t, 8>> ntlm_challenge_of(std::string_view type2);

}  // namespace gisgate::sim
