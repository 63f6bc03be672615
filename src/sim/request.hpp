// A request as the handlers see it: decoded path segments and merged parameters, independent of Beast.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sim/params.hpp"

namespace gisgate::sim {

struct SimRequest {
    std::string method;                 // "GET", "POST", ...
    bool head = false;                  // HEAD: answer as GET, send no body
    std::string target;                 // as received
    std::string path;                   // target without the query
    std::vector<std::string> segments;  // decoded, empty ones dropped
    Params params;                      // query string + url-encoded form body
    std::string host;                   // Host header, for absolute URLs in responses
    std::string if_none_match;
    std::string body;  // raw body (e.g. JSON for POST /sim/fault)
    std::vector<std::pair<std::string, std::string>> headers;  // as received, for GET /sim/echo

    // "http://<host>" for building absolute URLs the client can follow.
    std::string base_url() const { return "http://" + (host.empty() ? std::string("localhost") : host); }
};

}  // namespace gisgate::sim
