#include "admin/router.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

#include "util/ascii.hpp"

namespace gisgate::admin {

namespace {

using util::hex_digit_value;

// Pattern segments are split the same way as request paths, but never decoded ("{pool}" is literal).
std::vector<std::string> split_pattern(std::string_view pattern) {
    std::vector<std::string> out;
    if (!pattern.empty() && pattern.front() == '/') pattern.remove_prefix(1);
    if (pattern.empty()) return out;
    for (;;) {
        const auto slash = pattern.find('/');
        out.emplace_back(pattern.substr(0, slash));
        if (slash == std::string_view::npos) break;
        pattern.remove_prefix(slash + 1);
    }
    return out;
}

}  // namespace

const std::string& RouteRequest::param(std::string_view name) const {
    static const std::string empty;
    for (const auto& [key, value] : params)
        if (key == name) return value;
    return empty;
}

std::optional<std::string> RouteRequest::query_param(std::string_view name) const {
    std::string_view rest = query;
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) == name) {
            std::string value(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
            for (char& c : value)
                if (c == '+') c = ' ';
            return percent_decode(value);
        }
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out.push_back(text[i]);
            continue;
        }
        if (i + 2 >= text.size()) return std::nullopt;  // needs two hex digits after '%'
        const int hi = hex_digit_value(text[i + 1]), lo = hex_digit_value(text[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

std::optional<std::vector<std::string>> split_path(std::string_view target) {
    const auto query = target.find('?');
    std::string_view path = target.substr(0, query);
    if (path.empty() || path.front() != '/') return std::nullopt;  // absolute-form or "*": not for us
    // Split before decoding, so an escaped "/" (%2F) stays inside its segment instead of adding one.
    std::vector<std::string> out;
    for (const auto& raw : split_pattern(path)) {
        auto decoded = percent_decode(raw);
        if (!decoded) return std::nullopt;
        out.push_back(std::move(*decoded));
    }
    return out;
}

Router::Router(std::vector<Route> routes) {
    routes_.reserve(routes.size());
    for (auto& route : routes) {
        Compiled c;
        c.segments = split_pattern(route.pattern);
        for (const auto& s : c.segments) c.is_param.push_back(s.size() >= 2 && s.front() == '{' && s.back() == '}');
        c.route = std::move(route);
        routes_.push_back(std::move(c));
    }
}

bool Router::match(const Compiled& c, const std::vector<std::string>& path, RouteRequest& out) const {
    if (c.segments.size() != path.size()) return false;
    out.params.clear();
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (c.is_param[i]) {
            if (path[i].empty()) return false;  // "/pools//servers" names no pool
            out.params.emplace_back(c.segments[i].substr(1, c.segments[i].size() - 2), path[i]);
        } else if (c.segments[i] != path[i]) {
            return false;
        }
    }
    return true;
}

Reply Router::dispatch(std::string_view method, std::string_view target, std::string_view body) const {
    const auto path = split_path(target);
    if (!path) return error_reply(400, "malformed request path");

    RouteRequest request;
    request.method = method;
    request.body = body;
    if (const auto q = target.find('?'); q != std::string_view::npos) request.query = target.substr(q + 1);
    std::vector<std::string_view> allowed;  // methods of routes whose pattern matches, for 405's Allow header
    for (const auto& c : routes_) {
        if (!match(c, *path, request)) continue;
        if (c.route.method == method) {
            try {
                return c.route.handler(request);
            } catch (const std::exception& e) {
                // The proxy's state is owned elsewhere; a failing call must not take the listener down.
                spdlog::error("admin: {} {}: {}", method, target, e.what());
                return error_reply(500, std::string("internal error: ") + e.what());
            }
        }
        if (std::find(allowed.begin(), allowed.end(), c.route.method) == allowed.end())
            allowed.push_back(c.route.method);
    }
    if (allowed.empty()) return error_reply(404, "no such endpoint");
    std::string allow;
    for (const auto m : allowed) allow += (allow.empty() ? "" : ", ") + std::string(m);
    Reply reply = error_reply(405, "method not allowed; use " + allow);
    reply.headers.emplace_back("Allow", allow);
    return reply;
}

}  // namespace gisgate::admin
