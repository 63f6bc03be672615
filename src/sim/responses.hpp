// What a handler returns (a buffered body or a generated image stream) and builders for the answer shapes
// ArcGIS uses: JSON honouring f=json|pjson|html, the `{"error":{...}}` body, plain text and HTML.
#pragma once

#include <nlohmann/json.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/image_bytes.hpp"
#include "sim/params.hpp"

namespace gisgate::sim {

inline constexpr const char* kCurrentVersion = "11.1";
inline constexpr double kCurrentVersionNumber = 11.1;
inline constexpr const char* kFullVersion = "11.1.0";

struct Reply {
    unsigned status = 200;
    std::string content_type = "application/json; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::optional<ImageSpec> image;  // set: body is generated and sent chunked instead of `body`
    bool compressible = false;       // JSON/HTML: may be gzipped for clients that accept it
    std::chrono::milliseconds work{0};  // the instance is busy this long before the answer goes out
    // With the CPU model (--cpu-cores): the request's CPU cost, when it is not `work` (an export's size-based
    // cost); zero = `work` if set, else the site's request_cost.
    std::chrono::microseconds cpu_cost{0};
};

// f=pjson pretty-prints, f=html wraps the JSON in a minimal page (like the Services Directory), anything
// else is compact JSON.
Reply json_reply(const nlohmann::json& body, const Params& params, unsigned status = 200);
// The same for resources that ArcGIS answers in HTML when `f` is absent: the Services Directory pages,
// rest/info and rest/info/healthcheck, and the portal's pages (only f=json|pjson gives JSON).
Reply page_reply(const nlohmann::json& body, const Params& params, const std::string& title);
// {"error":{"code":code,"message":message,"details":[...]}} with the given HTTP status.
Reply arcgis_error(int code, const std::string& message, unsigned http_status,
                   const std::vector<std::string>& details = {});
Reply text_reply(unsigned status, const std::string& text);
Reply html_reply(const std::string& title, const std::string& body_html);
Reply image_reply(const ImageSpec& spec);

// gzip (RFC 1952) of `in`; false if zlib failed.
bool gzip_compress(const std::string& in, std::string& out);

}  // namespace gisgate::sim
