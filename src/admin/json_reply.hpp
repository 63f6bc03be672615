// What a route handler returns, and the helpers that build the admin API's JSON answers. Kept free of Beast so
// the router and its handlers can be unit-tested without a socket.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace gisgate::admin {

struct Reply {
    int status = 200;
    // JSON by default; later routes (metrics text, the HTML dashboard) set their own type.
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Allow, WWW-Authenticate, ...)
};

inline Reply json_reply(int status, const nlohmann::json& body) {
    Reply reply;
    reply.status = status;
    // A trailing newline so `curl` output does not run into the shell prompt; still valid JSON.
    // `replace` rather than throwing: a name with invalid UTF-8 must not turn a status page into a 500.
    reply.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    return reply;
}

// {"error": {"code": status, "message": message}}: the one error shape of the whole API (ControlApi uses it too).
inline nlohmann::json error_body(int status, const std::string& message) {
    return {{"error", {{"code", status}, {"message", message}}}};
}

inline Reply error_reply(int status, const std::string& message) {
    return json_reply(status, error_body(status, message));
}

}  // namespace gisgate::admin
