// Connection-bound authentication (Windows IWA: NTLM, Negotiate/Kerberos) authenticates the TCP connection,
// not the request: after the handshake, every request on that server connection runs as the signed-in user.
// So such a server connection becomes *private* to the client connection that started it (HAProxy's private
// connections): every later request of that client goes on it, it is never pooled nor handed to anyone else,
// never retried on another connection, and it closes with the client connection. Detection only; the
// Session keeps the connections (Session::private_upstreams_).
#pragma once

#include <string_view>

#include "http/request_head.hpp"
#include "http/response_head.hpp"

namespace gisgate::proxy {

// An authorization value of a connection-bound scheme: "NTLM ..." or "Negotiate ..." (any case).
bool is_connection_bound_scheme(std::string_view credentials);

// The request carries `Authorization: NTLM ...` or `Authorization: Negotiate ...`.
bool request_binds_connection(const http::RequestHead& head);

// A 401 whose `WWW-Authenticate` offers NTLM or Negotiate (the first step of the handshake, or its challenge).
bool response_binds_connection(const http::ResponseHead& head);

}  // namespace gisgate::proxy
