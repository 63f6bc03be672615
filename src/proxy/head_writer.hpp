// Builds the heads gisgate sends: the request head to a server (rewritten path, hop-by-hop headers removed,
// X-Forwarded-* added) and the response head to a client. Output goes into a caller-owned string whose
// capacity is reused, so the steady state allocates nothing.
#pragma once

#include <string>
#include <string_view>

#include "http/request_head.hpp"
#include "http/response_head.hpp"
#include "proxy/location_rewrite.hpp"
#include "util/ascii.hpp"

namespace gisgate::proxy {

// A header gisgate sets itself (the request id): any field of that name the message carried is dropped, then
// `name: value` is written. Empty value: nothing is done.
struct OwnField {
    std::string_view name;
    std::string_view value;
};

struct RequestRewrite {
    std::string_view path;            // path to send (normalised, rewritten)
    std::string_view host_override;   // non-empty: send this Host instead of the client's
    std::string_view client_ip;       // appended to X-Forwarded-For
    std::string_view scheme;          // X-Forwarded-Proto
    bool websocket = false;           // a WebSocket handshake: Connection/Upgrade are sent on
    // The client is one of the listener's trusted_proxies: its X-Forwarded-For chain is kept (and appended to),
    // its X-Forwarded-Proto and -Host are kept. Otherwise they are replaced by what gisgate saw.
    bool trusted_forwarded = false;
    OwnField request_id{};            // tracing.request_id
    std::string_view traceparent{};   // non-empty: replaces the client's traceparent (tracing: create)
    bool drop_tracestate = false;     // the client's traceparent was invalid or absent: its tracestate goes too
};

void write_request_head(const http::RequestHead& head, const RequestRewrite& rewrite, std::string& out);

// `keep_alive`: what gisgate will do with the client connection after this response. `location` (optional):
// how Location, Content-Location and Refresh are turned back into the client's view (location_rewrite.hpp).
// `dechunked`: the body is sent without its chunked coding (to an HTTP/1.0 client), so no Transfer-Encoding.
// `request_id`: the request's id, sent to the client instead of any the server sent.
void write_response_head(const http::ResponseHead& head, bool keep_alive, int client_version_minor,
                         std::string& out, const LocationRewrite* location = nullptr, bool dechunked = false,
                         OwnField request_id = {});

// Adds `name: value` to the head at the start of `out` (before the blank line that ends it, a body may follow);
// nothing for an empty value.
void add_field_to_head(std::string& out, OwnField field);

// A server's 101 to a WebSocket handshake, for the client: its end-to-end fields (Sec-WebSocket-Accept,
// -Protocol, -Extensions) and the upgrade itself.
void write_upgrade_response_head(const http::ResponseHead& head, std::string& out, OwnField request_id = {});

// True for the hop-by-hop fields a proxy must not forward (RFC 9110 §7.6.1), plus fields named in the
// message's own Connection header.
bool is_hop_by_hop(std::string_view name, std::string_view connection_value);

using util::iequals;

}  // namespace gisgate::proxy
