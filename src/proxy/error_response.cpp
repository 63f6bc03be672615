#include "proxy/error_response.hpp"

#include <fmt/format.h>

namespace gisgate::proxy {

const char* reason_phrase(int status) {
    switch (status) {
        case 100: return "Continue";
        case 200: return "OK";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 411: return "Length Required";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        case 505: return "HTTP Version Not Supported";
        default: return "Error";
    }
}

void append_json_escaped(std::string& out, std::string_view text) {
    for (char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", c);
                else out += c;
        }
    }
}

void write_error_response(const ErrorResponse& error, bool keep_alive, bool head_only, std::string& out) {
    std::string body = fmt::format("{{\"error\":{{\"code\":{},\"message\":\"", error.status);
    append_json_escaped(body, error.message);
    body += "\"}}\n";
    out = fmt::format("HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n", error.status,
                      reason_phrase(error.status), body.size());
    if (error.retry_after_seconds >= 0) out += fmt::format("Retry-After: {}\r\n", error.retry_after_seconds);
    out += "Cache-Control: no-store\r\n";
    out += keep_alive ? "" : "Connection: close\r\n";
    out += "\r\n";
    if (!head_only) out += body;
}

}  // namespace gisgate::proxy
