#include "sim/cors.hpp"

#include <stdexcept>

namespace gisgate::sim {

std::string request_header(const SimRequest& req, std::string_view name) {
    for (const auto& [n, v] : req.headers)
        if (iequals(n, name))
            return v;
    return {};
}

bool origin_allowed(const std::vector<std::string>& allowed, std::string_view origin, std::string_view path) {
    if (allowed.empty() || path.rfind("/arcgis/tokens", 0) == 0)
        return true;
    for (const auto& a : allowed)
        if (a == "*" || iequals(a, origin))
            return true;
    return false;
}

bool is_preflight(const SimRequest& req) {
    return req.method == "OPTIONS" && !request_header(req, "Origin").empty() &&
           !request_header(req, "Access-Control-Request-Method").empty();
}

Reply preflight_reply(const SimRequest& req) {
    Reply r = text_reply(200, "");
    r.content_type.clear();
    // POST and PUT for /sim/fault (the demo dashboard's buttons); the REST API itself is GET and POST.
    r.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, OPTIONS");
    if (auto asked = request_header(req, "Access-Control-Request-Headers"); !asked.empty())
        r.headers.emplace_back("Access-Control-Allow-Headers", asked);
    r.headers.emplace_back("Access-Control-Max-Age", "600");
    return r;
}

void add_cors_headers(const std::vector<std::string>& allowed, const SimRequest& req, Reply& reply) {
    const std::string origin = request_header(req, "Origin");
    if (origin.empty())
        return;
    // The answer depends on the Origin: caches in between must keep one copy per origin.
    reply.headers.emplace_back("Vary", "Origin");
    if (!origin_allowed(allowed, origin, req.path))
        return;
    reply.headers.emplace_back("Access-Control-Allow-Origin", origin);
    reply.headers.emplace_back("Access-Control-Allow-Credentials", "true");
    reply.headers.emplace_back("Access-Control-Expose-Headers", kCorsExposedHeaders);
}

std::vector<std::string> parse_allowed_origins(std::string_view list) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= list.size()) {
        auto comma = list.find(',', start);
        std::string item(list.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
        item = b == std::string::npos ? "" : item.substr(b, e - b + 1);
        const auto scheme = item.find("://");
        const bool url_like = scheme != std::string::npos && scheme > 0 && scheme + 3 < item.size() &&
                              item.find('/', scheme + 3) == std::string::npos;
        if (item != "*" && !url_like)
            throw std::invalid_argument("--allowed-origins: '" + item +
                                        "' is not an origin (scheme://host[:port], no path) or *");
        out.push_back(item);
        if (comma == std::string_view::npos)
            break;
        start = comma + 1;
    }
    return out;
}

}  // namespace gisgate::sim
