#include "h2/translation.hpp"

#include <algorithm>


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
    return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

}  // namespace

std::string lower(std::string_view name) {
    std::string out(name);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
}

bool response_field_allowed(std::string_view name) {
    return !iequals(name, "connection") && !iequals(name, "keep-alive") && !iequals(name, "proxy-connection") &&
           !iequals(name, "transfer-encoding") && !iequals(name, "upgrade");
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
    if (request.method == "CONNECT") return fail(405, "CONNECT is not supported");
    if (request.method.empty() || request.path.empty() || request.scheme.empty())
        return fail(400, "an HTTP/2 request needs :method, :scheme and :path");
    // Origin-form only: "*" (OPTIONS *) and absolute paths; anything else has no HTTP/1.1 origin-form.
    if (request.path != "*" && request.path.front() != '/') return fail(400, ":path must start with '/'");
    if (!line_safe(request.method) || !line_safe(request.path) || !line_safe(request.authority) ||
        request.method.find(' ') != std::string::npos || request.path.find(' ') != std::string::npos)
        return fail(400, "a pseudo-header holds a character HTTP/1.1 cannot carry");

    out.clear();
    out.reserve(256 + request.size);
    out.append(request.method).append(" ").append(request.path).append(" HTTP/1.1\r\n");
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
        out.append(f.name).append(": ").append(f.value).append("\r\n");
    }
    if (!have_host) return fail(400, "an HTTP/2 request needs :authority or host");
    if (!cookie.empty()) out.append("cookie: ").append(cookie).append("\r\n");
    if (body_follows && !have_length) {
        out.append("transfer-encoding: chunked\r\n");
        r.chunked = true;
    }
    out.append("\r\n");
    r.ok = true;
    return r;
}

}  // namespace gisgate::h2
