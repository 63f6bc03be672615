// A multipart/form-data upload body (RFC 7578) as ArcGIS clients send to .../uploads/upload: a `file` part and
// optional `description` and `f` parts.
#pragma once

#include <string>

namespace gisgate::test {

inline constexpr const char* kUploadBoundary = "----gisgateTestBoundary7MA4YWxkTrZu0gW";

inline std::string upload_content_type() { return std::string("multipart/form-data; boundary=") + kUploadBoundary; }

inline std::string upload_body(const std::string& filename, const std::string& content,
                               const std::string& description = "", const std::string& f = "json") {
    const std::string b = std::string("--") + kUploadBoundary;
    std::string body = b + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename +
                       "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + content + "\r\n";
    if (!description.empty())
        body += b + "\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n" + description + "\r\n";
    if (!f.empty()) body += b + "\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n" + f + "\r\n";
    return body + b + "--\r\n";
}

}  // namespace gisgate::test
