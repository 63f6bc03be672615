// Builds the heads gisgate sends: the request head to a server (rewritten path, hop-by-hop headers removed,
// X-Forwarded-* added) and the response head to a client. Output goes into a caller-owned string whose
// capacity is reused, so the steady state allocates nothing.
#pragma once

#include <span>
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

// What gisgate changes in a server's response head on its way to the client.
struct ResponseRewrite {
    // Optional: how Location, Content-Location and Refresh are turned back into the client's view
    // (location_rewrite.hpp).
    const LocationRewrite* location = nullptr;
    // The body is sent without its chunked coding (to an HTTP/1.0 client), so no Transfer-Encoding.
    bool dechunked = false;
    OwnField request_id{};  // the request's id, sent to the client instead of any the server sent
    // Fields gisgate adds after the server's (the sticky cookie, X-Cache); empty values are skipped.
    std::span<const OwnField> extra{};
};

// The end-to-end fields of a response as the client gets them, in order, each as fn(name, value): the
// server's (hop-by-hop ones dropped, Content-Length as one plain value, Location-type fields rewritten), then
// the request id and `extra`. write_response_head writes them as HTTP/1.1 text; an HTTP/2 stream takes them as
// they are (h2::StreamChannel::take_final_head), so its head is neither written as text nor parsed again.
// `scratch` holds a rewritten value for the duration of its call.
template <class Fn>
void for_each_response_field(const http::ResponseHead& head, const ResponseRewrite& rewrite, std::string& scratch,
                             Fn&& fn);

// `keep_alive`: what gisgate will do with the client connection after this response (a Connection field
// follows the end-to-end fields when the protocol needs one).
void write_response_head(const http::ResponseHead& head, bool keep_alive, int client_version_minor,
                         std::string& out, const ResponseRewrite& rewrite = {});

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

// The parsers accept a Content-Length list of identical values ("5, 5") and repeated identical fields; the next
// hop gets exactly one plain value, so no recipient can read the length differently.
inline std::string_view first_list_element(std::string_view value) {
    return util::trim_ows(value.substr(0, value.find(',')));
}

inline bool is_own(std::string_view name, const OwnField& own) {
    return !own.value.empty() && name.size() == own.name.size() && iequals(name, own.name);
}

template <class Fn>
void for_each_response_field(const http::ResponseHead& head, const ResponseRewrite& rewrite, std::string& scratch,
                             Fn&& fn) {
    bool length_written = false;
    for (const auto& h : head.headers) {
        if (is_hop_by_hop(h.name, head.connection) || is_own(h.name, rewrite.request_id)) continue;
        if (h.name.size() == 14 && iequals(h.name, "content-length")) {
            if (!length_written) fn(h.name, first_list_element(h.value));
            length_written = true;
            continue;
        }
        if (rewrite.dechunked && h.name.size() == 17 && iequals(h.name, "transfer-encoding")) continue;
        if (const LocationRewrite* location = rewrite.location) {
            const bool is_location = (h.name.size() == 8 && iequals(h.name, "location")) ||
                                     (h.name.size() == 16 && iequals(h.name, "content-location"));
            if ((is_location && rewrite_location(h.value, *location, scratch)) ||
                (h.name.size() == 7 && iequals(h.name, "refresh") && rewrite_refresh(h.value, *location, scratch))) {
                fn(h.name, std::string_view(scratch));
                continue;
            }
        }
        fn(h.name, h.value);
    }
    if (!rewrite.request_id.value.empty()) fn(rewrite.request_id.name, rewrite.request_id.value);
    for (const OwnField& f : rewrite.extra)
        if (!f.value.empty()) fn(f.name, f.value);
}

}  // namespace gisgate::proxy
