#include "h2/translation.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>

#include "http/chunked.hpp"


namespace gisgate::h2 {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return (x | 0x20) == (y | 0x20);
           });
}

// Bytes that would end or split an HTTP/1.1 line. nghttp2 refuses them in field values already; a second check
// here keeps the written head unambiguous whatever calls this.
bool line_safe(std::string_view s) {
    // One pass with a branch-free test per byte (find_first_of runs a memchr over the set for every byte).
    unsigned bad = 0;
    for (const char c : s) bad |= static_cast<unsigned>(c == '\r') | static_cast<unsigned>(c == '\n') |
                                  static_cast<unsigned>(c == '\0');
    return bad == 0;
}

}  // namespace

std::string lower(std::string_view name) {
    std::string out(name);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
}

bool response_field_allowed(std::string_view name) {
    // Dispatch on length first: every field of every response comes here, and most pass after one comparison.
    switch (name.size()) {
        case 7: return !iequals(name, "upgrade");
        case 10: return !iequals(name, "connection") && !iequals(name, "keep-alive");
        case 16: return !iequals(name, "proxy-connection");
        case 17: return !iequals(name, "transfer-encoding");
        default: return true;
    }
}

namespace {

// A field HTTP/2 never relays as a trailer: connection-specific ones (§8.2.2), TE, and the ones a trailer
// section must not carry.
bool trailer_relayed(std::string_view lower_name) {
    return response_field_allowed(lower_name) && lower_name != "te" && !http::forbidden_in_trailer(lower_name) &&
           (lower_name.empty() || lower_name.front() != ':');
}

}  // namespace

bool add_request_trailer(std::string& block, std::string_view name, std::string_view value, std::size_t max_size) {
    if (!trailer_relayed(name) || !line_safe(name) || !line_safe(value)) return true;
    if (block.size() + name.size() + value.size() + 4 > max_size) return false;
    block.append(name).append(": ").append(value).append("\r\n");
    return true;
}

std::vector<Field> response_trailers(std::string_view block) {
    std::vector<Field> out;
    while (!block.empty()) {
        const std::size_t eol = block.find("\r\n");
        const std::string_view line = block.substr(0, eol);
        block.remove_prefix(eol == std::string_view::npos ? block.size() : eol + 2);
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) continue;  // the scanner has refused such lines
        std::string name = lower(line.substr(0, colon));
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
        if (trailer_relayed(name)) out.push_back({std::move(name), std::string(value)});
    }
    return out;
}

bool add_field(RequestFields& request, std::string_view name, std::string_view value, std::size_t max_list_size) {
    request.size += name.size() + value.size() + 32;
    if (request.size > max_list_size) {
        request = RequestFields{};
        request.size = max_list_size + 1;
        return false;
    }
    if (!name.empty() && name.front() == ':') {
        std::string* slot = name == ":method"      ? &request.method
                            : name == ":scheme"    ? &request.scheme
                            : name == ":authority" ? &request.authority
                            : name == ":path"      ? &request.path
                            : name == ":protocol"  ? &request.protocol
                                                   : nullptr;
        if (slot) slot->assign(value);  // nghttp2 has refused unknown and repeated pseudo-headers already
        return true;
    }
    request.fields.push_back({std::string(name), std::string(value)});
    return true;
}

RequestHeadResult write_http1_request(const RequestFields& request, bool body_follows, std::string& out) {
    RequestHeadResult r;
    const auto fail = [&](int status, const char* why) {
        r.status = status;
        r.error = why;
        return r;
    };
    const bool websocket = request.method == "CONNECT" && request.protocol == "websocket";
    if (request.method == "CONNECT" && !websocket)
        return fail(405, request.protocol.empty() ? "CONNECT is not supported"
                                                  : "extended CONNECT is supported for :protocol websocket only");
    if (request.method.empty() || request.path.empty() || request.scheme.empty())
        return fail(400, "an HTTP/2 request needs :method, :scheme and :path");
    // Origin-form only: "*" (OPTIONS *) and absolute paths; anything else has no HTTP/1.1 origin-form.
    if (request.path != "*" && request.path.front() != '/') return fail(400, ":path must start with '/'");
    if (!line_safe(request.method) || !line_safe(request.path) || !line_safe(request.authority) ||
        request.method.find(' ') != std::string::npos || request.path.find(' ') != std::string::npos)
        return fail(400, "a pseudo-header holds a character HTTP/1.1 cannot carry");

    out.clear();
    out.reserve(256 + request.size);
    out.append(websocket ? std::string_view("GET") : std::string_view(request.method))
        .append(" ")
        .append(request.path)
        .append(" HTTP/1.1\r\n");
    bool have_host = false, have_length = false;
    if (!request.authority.empty()) {
        out.append("Host: ").append(request.authority).append("\r\n");
        have_host = true;
    }
    std::string cookie;
    for (const Field& f : request.fields) {
        if (!line_safe(f.name) || !line_safe(f.value) || f.name.empty())
            return fail(400, "a header field holds a character HTTP/1.1 cannot carry");
        if (f.name == "cookie") {
            if (!cookie.empty()) cookie.append("; ");
            cookie.append(f.value);
            continue;
        }
        if (f.name == "host") {
            if (have_host) continue;  // :authority wins (RFC 9113 §8.3.1)
            have_host = true;
        }
        // Connection-specific fields never reach here through nghttp2; "te: trailers" is hop-by-hop too.
        if (!response_field_allowed(f.name) || f.name == "te") continue;
        if (f.name == "content-length") have_length = true;
        if (websocket && f.name == "sec-websocket-key") continue;  // HTTP/2 has none; one is made below
        out.append(f.name).append(": ").append(f.value).append("\r\n");
    }
    if (!have_host) return fail(400, "an HTTP/2 request needs :authority or host");
    if (!cookie.empty()) out.append("cookie: ").append(cookie).append("\r\n");
    if (websocket) {
        // The server checks the key's form and answers with its hash; the client never sees either (its 200
        // carries no Sec-WebSocket-Accept), so any fresh 16 bytes do.
        unsigned char key[16];
        unsigned char encoded[25];
        if (RAND_bytes(key, sizeof key) != 1) return fail(500, "no randomness for a WebSocket key");
        EVP_EncodeBlock(encoded, key, sizeof key);
        out.append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ")
            .append(reinterpret_cast<const char*>(encoded), 24)
            .append("\r\n\r\n");
        r.websocket = true;
        r.ok = true;
        return r;
    }
    if (body_follows && !have_length) {
        out.append("transfer-encoding: chunked\r\n");
        r.chunked = true;
    }
    out.append("\r\n");
    r.ok = true;
    return r;
}

}  // namespace gisgate::h2
