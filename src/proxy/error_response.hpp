// The responses gisgate itself produces (403, 404, 502, 503, 504, ...): always a JSON body in the ArcGIS
// error shape {"error": {"code": N, "message": "..."}} so GIS clients show a readable message.
#pragma once

#include <string>
#include <string_view>

namespace gisgate::proxy {

struct ErrorResponse {
    int status = 500;
    std::string message;  // error path only, so an owned string is fine
    int retry_after_seconds = -1;  // >= 0 adds Retry-After
};

const char* reason_phrase(int status);

// Writes the full response (head and body) into `out`. `head_only` for HEAD requests.
void write_error_response(const ErrorResponse& error, bool keep_alive, bool head_only, std::string& out);

// Escapes `text` for inclusion in a JSON string.
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace gisgate::proxy
