#include "http/redact.hpp"

#include "http/header_rules.hpp"
#include "util/ascii.hpp"

namespace gisgate::http {
using util::hex_digit_value;

std::string decoded_param_name(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && i + 2 < name.size()) {
            const int hi = hex_digit_value(name[i + 1]), lo = hex_digit_value(name[i + 2]);
            if (hi >= 0 && lo >= 0) {
                c = static_cast<char>(hi * 16 + lo);
                i += 2;
            }
        }
        out.push_back(detail::to_lower(c));
    }
    return out;
}

std::optional<std::string_view> query_param(std::string_view query, std::string_view lower_name) {
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view param = query.substr(0, amp);
        const std::size_t eq = param.find('=');
        const std::string_view name = param.substr(0, eq);
        // Most names need no decoding: compare them as they are, without building a string.
        const bool encoded = name.find_first_of("%+") != std::string_view::npos;
        if (encoded ? decoded_param_name(name) == lower_name : util::iequals(name, lower_name))
            return eq == std::string_view::npos ? std::string_view{} : param.substr(eq + 1);
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

namespace {

bool is_secret(std::string_view raw_name, const std::vector<std::string>& extra) {
    const std::string name = decoded_param_name(raw_name);
    for (const std::string_view s : kSecretParams)
        if (name == s) return true;
    for (const std::string& s : extra)
        if (name == s) return true;
    return false;
}

}  // namespace

void redact_target(std::string_view target, const std::vector<std::string>& extra, std::string& out) {
    const std::size_t q = target.find('?');
    out.assign(target.substr(0, q == std::string_view::npos ? target.size() : q + 1));
    if (q == std::string_view::npos) return;
    std::string_view query = target.substr(q + 1);
    bool first = true;
    while (true) {
        const std::size_t amp = query.find('&');
        const std::string_view param = query.substr(0, amp);
        if (!first) out.push_back('&');
        first = false;
        const std::size_t eq = param.find('=');
        if (eq != std::string_view::npos && is_secret(param.substr(0, eq), extra)) {
            out.append(param.substr(0, eq + 1));
            out.append("REDACTED");
        } else {
            out.append(param);
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
}

}  // namespace gisgate::http
