#include "proxy/private_connection.hpp"

#include "util/ascii.hpp"

namespace gisgate::proxy {

bool is_connection_bound_scheme(std::string_view credentials) {
    // auth-scheme [ 1*SP ( token68 / #auth-param ) ]; WWW-Authenticate may also list several challenges
    // ("Negotiate, NTLM"), so a scheme followed by ',' counts too.
    for (const std::string_view scheme : {std::string_view("NTLM"), std::string_view("Negotiate")}) {
        if (!util::istarts_with(credentials, scheme)) continue;
        if (credentials.size() == scheme.size()) return true;
        const char next = credentials[scheme.size()];
        if (next == ' ' || next == '\t' || next == ',') return true;
    }
    return false;
}

bool request_binds_connection(const http::RequestHead& head) {
    for (const auto& h : head.headers)
        if (util::iequals(h.name, "authorization") && is_connection_bound_scheme(h.value)) return true;
    return false;
}

bool response_binds_connection(const http::ResponseHead& head) {
    if (head.status != 401) return false;
    for (const auto& h : head.headers) {
        if (!util::iequals(h.name, "www-authenticate")) continue;
        // One field may carry several challenges: "Basic realm=x, Negotiate, NTLM".
        std::string_view rest = h.value;
        while (!rest.empty()) {
            while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t' || rest.front() == ','))
                rest.remove_prefix(1);
            if (is_connection_bound_scheme(rest)) return true;
            const std::size_t comma = rest.find(',');
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        }
    }
    return false;
}

}  // namespace gisgate::proxy
