// HTTP/2 ↔ HTTP/1.1 message translation (RFC 9113 §8.2-8.3), pure functions over strings. An HTTP/2 stream
// runs through the same request pipeline as an HTTP/1.1 request (proxy::Session), and the servers behind speak
// HTTP/1.1: the stream's request is written as an HTTP/1.1 head the pipeline parses, and the pipeline's
// HTTP/1.1 response head is turned back into HTTP/2 fields. Apache's mod_http2 does the same with its
// secondary connections. The cost is one head written and parsed per request (about a microsecond); what it
// buys is that every rule of the pipeline (allow, deny, route, classification, cache, throttle, retries, job
// affinity, statistics, logs) applies to HTTP/2 exactly as it does to HTTP/1.1, with no second implementation.
// One exception, for speed: a relayed server response's head, the one every proxied request has, is handed to
// the stream as fields (StreamChannel::take_final_head), built by the same proxy::for_each_response_field that
// writes it for HTTP/1.1, so the rules stay in one place.
//
// libnghttp2 has already validated what it passes on (its HTTP messaging checks: pseudo-headers present, once
// and first; lower-case names; no connection-specific fields; TE only "trailers"; content-length agreeing with
// the DATA frames). The checks here are the ones the translation itself needs.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gisgate::h2 {

struct Field {
    std::string name;  // lower-case, as HTTP/2 requires
    std::string value;
};

// One stream's request as its HEADERS frames carried it.
struct RequestFields {
    std::string method, scheme, authority, path, protocol;  // pseudo-headers (:protocol: extended CONNECT)
    std::vector<Field> fields;                             // the rest, in order
    std::size_t size = 0;   // RFC 9113 §6.5.2 size of the list so far (name + value + 32 per field)
};

// Adds one decoded field of a request's header block: pseudo-headers to their place, the rest in order. False
// once the list is larger than `max_list_size` (RFC 9113 §6.5.2 sizes): nothing more is kept, and `request`
// is emptied so that an oversized list costs no memory (the stream is answered 431).
bool add_field(RequestFields& request, std::string_view name, std::string_view value, std::size_t max_list_size);

struct RequestHeadResult {
    bool ok = false;
    int status = 0;             // when not ok: the answer (400 malformed, 405 CONNECT)
    const char* error = nullptr;
    bool chunked = false;       // the body is sent with the chunked coding (a body of unknown length)
    bool websocket = false;     // an extended CONNECT for a WebSocket (RFC 8441): the stream becomes a tunnel
};

// Writes the HTTP/1.1 request head for `request` into `out`. `body_follows`: the HEADERS frame did not end the
// stream. A body without content-length is sent chunked (the pipeline then streams it like any chunked body);
// Host is :authority (a host field is dropped when :authority is present); cookie fields are joined with "; "
// (§8.2.3). An extended CONNECT with `:protocol websocket` (RFC 8441) becomes the HTTP/1.1 opening handshake
// (GET with Upgrade, a fresh Sec-WebSocket-Key) so the pipeline's WebSocket path serves it; any other CONNECT
// is refused (405).
RequestHeadResult write_http1_request(const RequestFields& request, bool body_follows, std::string& out);

// Whether a response field may be sent on HTTP/2: not a connection-specific one (§8.2.2: Connection,
// Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade). `name` in any case.
bool response_field_allowed(std::string_view name);

// Trailers (RFC 9113 §8.1, RFC 9110 §6.5). A request's trailer HEADERS frame becomes the trailer section of
// its chunked HTTP/1.1 body: `add_request_trailer` appends "name: value\r\n" to `block` unless the field may
// not be a trailer (framing, routing and connection-specific fields are dropped, not relayed); false once
// `block` would pass `max_size` (the field is dropped). A server's chunked trailer section (lines as
// http::ChunkedScanner captured them) becomes the response's trailer HEADERS: `response_trailers` parses the
// lines, lower-cases names, trims the values and drops the fields HTTP/2 does not allow.
bool add_request_trailer(std::string& block, std::string_view name, std::string_view value, std::size_t max_size);
std::vector<Field> response_trailers(std::string_view block);

// ASCII lower-case copy (HTTP/2 field names must be lower-case).
std::string lower(std::string_view name);

}  // namespace gisgate::h2
