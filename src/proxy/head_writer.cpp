#include "proxy/head_writer.hpp"

#include <array>
#include <charconv>
#include <cstring>

#include "http/upgrade.hpp"

namespace gisgate::proxy {

namespace {

// One size check and one copy per part rather than four appends (a head is some ten fields, per request).
void append_header(std::string& out, std::string_view name, std::string_view value) {
    const std::size_t at = out.size();
    out.resize(at + name.size() + value.size() + 4);
    char* p = out.data() + at;
    std::memcpy(p, name.data(), name.size());
    p += name.size();
    *p++ = ':';
    *p++ = ' ';
    std::memcpy(p, value.data(), value.size());
    p += value.size();
    *p++ = '\r';
    *p = '\n';
}

// Room for the head as it came plus what gisgate adds (X-Forwarded-*, ids, cookies), so building it does not
// grow the string step by step (an HTTP/2 stream's session starts with an empty one).
constexpr std::size_t kHeadRoom = 512;

}  // namespace

void add_field_to_head(std::string& out, OwnField field) {
    if (field.value.empty()) return;
    const auto end = out.find("\r\n\r\n");  // the head may be followed by a body (error responses)
    if (end == std::string::npos) return;
    std::string line;
    line.reserve(field.name.size() + field.value.size() + 4);
    line.append(field.name).append(": ").append(field.value).append("\r\n");
    out.insert(end + 2, line);
}

bool is_hop_by_hop(std::string_view name, std::string_view connection_value) {
    // Dispatch on length first: most headers are rejected with one comparison.
    switch (name.size()) {
        case 2: if (iequals(name, "te")) return true; break;
        case 7: if (iequals(name, "trailer") || iequals(name, "upgrade")) return true; break;
        case 10: if (iequals(name, "connection") || iequals(name, "keep-alive")) return true; break;
        case 16: if (iequals(name, "proxy-connection")) return true; break;
        default: break;
    }
    return !connection_value.empty() && http::list_contains(connection_value, name);
}

void write_request_head(const http::RequestHead& head, const RequestRewrite& rewrite, std::string& out) {
    out.clear();
    out.reserve(head.head_size + rewrite.path.size() + kHeadRoom);
    out.append(head.method_text).push_back(' ');
    out.append(rewrite.path);
    if (!head.query.empty() || head.target.find('?') != std::string_view::npos) out.append("?").append(head.query);
    // A 1.0 client gets a 1.0 request upstream so the server cannot answer with chunked coding it can't read.
    out.append(head.version_minor == 0 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");

    std::array<std::string_view, 8> forwarded_for{};
    std::size_t forwarded_for_count = 0;
    bool length_written = false;
    bool proto_kept = false, host_kept = false;  // a trusted proxy's own X-Forwarded-Proto / -Host
    for (const auto& h : head.headers) {
        if (is_hop_by_hop(h.name, head.connection) || is_own(h.name, rewrite.request_id)) continue;
        switch (h.name.size()) {
            case 10:
                if (iequals(h.name, "tracestate") && rewrite.drop_tracestate) continue;
                break;
            case 11:
                if (iequals(h.name, "traceparent") && !rewrite.traceparent.empty()) continue;
                break;
            case 4:
                if (iequals(h.name, "host") && !rewrite.host_override.empty()) continue;
                break;
            case 6:
                // We answer 100-continue ourselves (see session), so the server must not wait for it.
                if (iequals(h.name, "expect")) continue;
                break;
            case 14:
                if (iequals(h.name, "content-length")) {
                    // The parsed value, in plain decimal: "6, 6", "006" and repeated fields all become "6".
                    if (!length_written) {
                        char digits[24];
                        const auto end = std::to_chars(digits, digits + sizeof digits, head.content_length).ptr;
                        append_header(out, h.name, std::string_view(digits, static_cast<std::size_t>(end - digits)));
                    }
                    length_written = true;
                    continue;
                }
                break;
            case 15:
                if (iequals(h.name, "x-forwarded-for")) {
                    if (!rewrite.trusted_forwarded) continue;  // anyone could claim any chain
                    if (forwarded_for_count < forwarded_for.size()) forwarded_for[forwarded_for_count] = h.value;
                    ++forwarded_for_count;
                    continue;
                }
                break;
            case 16:
                if (iequals(h.name, "x-forwarded-host")) {
                    if (!rewrite.trusted_forwarded || host_kept) continue;
                    host_kept = true;
                }
                break;
            case 17:
                if (iequals(h.name, "x-forwarded-proto")) {
                    if (!rewrite.trusted_forwarded || proto_kept) continue;
                    proto_kept = true;
                    break;
                }
                // The parser let through only "chunked", possibly with empty list elements or split over
                // fields: send the one plain form.
                if (iequals(h.name, "transfer-encoding")) {
                    if (!length_written) out.append("Transfer-Encoding: chunked\r\n");
                    length_written = true;
                    continue;
                }
                break;
            default: break;
        }
        append_header(out, h.name, h.value);
    }
    if (!rewrite.host_override.empty()) append_header(out, "Host", rewrite.host_override);
    // The whole chain the client sent, then the client: up to 8 fields from the array, more (rare, and
    // bounded by the header limits) by a second pass over the headers.
    out.append("X-Forwarded-For: ");
    if (forwarded_for_count <= forwarded_for.size()) {
        for (std::size_t i = 0; i < forwarded_for_count; ++i) out.append(forwarded_for[i]).append(", ");
    } else {
        for (const auto& h : head.headers)
            if (h.name.size() == 15 && iequals(h.name, "x-forwarded-for")) out.append(h.value).append(", ");
    }
    out.append(rewrite.client_ip).append("\r\n");
    if (!proto_kept) append_header(out, "X-Forwarded-Proto", rewrite.scheme);
    if (!host_kept && !head.host.empty()) append_header(out, "X-Forwarded-Host", head.host);
    if (!rewrite.request_id.value.empty()) append_header(out, rewrite.request_id.name, rewrite.request_id.value);
    if (!rewrite.traceparent.empty()) append_header(out, "traceparent", rewrite.traceparent);
    // A WebSocket handshake keeps its upgrade (hop-by-hop, so rebuilt here rather than copied).
    if (rewrite.websocket) out.append("Connection: Upgrade\r\nUpgrade: websocket\r\n");
    else if (head.version_minor == 0) out.append("Connection: keep-alive\r\n");
    out.append("\r\n");
}

void write_upgrade_response_head(const http::ResponseHead& head, std::string& out, OwnField request_id) {
    out.clear();
    out.append("HTTP/1.1 101 ").append(head.reason).append("\r\n");
    for (const auto& h : head.headers)
        if (!is_hop_by_hop(h.name, head.connection) && !is_own(h.name, request_id)) append_header(out, h.name, h.value);
    if (!request_id.value.empty()) append_header(out, request_id.name, request_id.value);
    out.append("Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
}

void write_response_head(const http::ResponseHead& head, bool keep_alive, int client_version_minor,
                         std::string& out, const ResponseRewrite& rewrite) {
    std::string rewritten;
    out.clear();
    out.reserve(head.head_size + kHeadRoom);
    out.append("HTTP/1.1 ");
    char status[4];
    std::to_chars(status, status + 3, head.status);
    out.append(status, 3).push_back(' ');
    out.append(head.reason).append("\r\n");
    for_each_response_field(head, rewrite, rewritten,
                            [&](std::string_view name, std::string_view value) { append_header(out, name, value); });
    if (!keep_alive) out.append("Connection: close\r\n");
    else if (client_version_minor == 0) out.append("Connection: keep-alive\r\n");
    out.append("\r\n");
}

}  // namespace gisgate::proxy
