#include "cache/policy.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>

#include "http/redact.hpp"
#include "util/ascii.hpp"
#include "util/glob.hpp"

namespace gisgate::cache {

using util::iequals;
using util::trim_ows;

namespace {

// Calls f(name, value) for each comma-separated directive of a Cache-Control value ("max-age=60, public").
template <class F>
void for_each_directive(std::string_view value, F&& f) {
    while (!value.empty()) {
        const auto comma = value.find(',');
        std::string_view item = trim_ows(value.substr(0, comma));
        value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
        if (item.empty()) continue;
        const auto eq = item.find('=');
        std::string_view name = trim_ows(item.substr(0, eq));
        std::string_view arg = eq == std::string_view::npos ? std::string_view{} : trim_ows(item.substr(eq + 1));
        if (arg.size() >= 2 && arg.front() == '"' && arg.back() == '"') arg = arg.substr(1, arg.size() - 2);
        f(name, arg);
    }
}

// Delta-seconds; negative or malformed → -1 (a cache must then treat the response as stale).
std::int64_t delta_seconds(std::string_view text) {
    std::int64_t v = -1;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size() || v < 0) return -1;
    return v;
}

bool token_list_has(std::string_view list, std::string_view token) {
    bool found = false;
    for_each_directive(list, [&](std::string_view name, std::string_view) { found = found || iequals(name, token); });
    return found;
}

// A `Cookie` header value ("a=1; esri_auth=...") names a sign-in cookie of `config.bypass_cookies`, or any
// cookie with `bypass_cookies: all`.
bool has_credential_cookie(std::string_view value, const config::CacheConfig& config) {
    while (!value.empty()) {
        const auto semi = value.find(';');
        const std::string_view pair = value.substr(0, semi);
        const std::string_view name = util::trim_ows(pair.substr(0, pair.find('=')));
        if (!name.empty()) {
            if (config.bypass_all_cookies) return true;
            for (const auto& secret : config.bypass_cookies)
                if (iequals(name, secret)) return true;
        }
        if (semi == std::string_view::npos) break;
        value.remove_prefix(semi + 1);
    }
    return false;
}

}  // namespace

bool path_glob_match(std::string_view glob, std::string_view path) { return util::iglob_match(glob, path); }

bool path_matches_any(const config::CacheConfig& config, std::string_view path) {
    for (const auto& glob : config.paths)
        if (path_glob_match(glob, path)) return true;
    return false;
}

// As the server reads the name: any case, percent-encoded or not ("TOKEN", "%74oken").
bool query_has_token(std::string_view query) { return http::query_param(query, "token").has_value(); }

RequestUse request_use(const http::RequestHead& head, const config::CacheConfig& config) {
    if (head.method != http::Method::get && head.method != http::Method::head) return RequestUse::bypass;
    if (!config.allow_token && query_has_token(head.query)) return RequestUse::bypass;
    RequestUse use = RequestUse::lookup;
    for (const auto& h : head.headers) {
        // Credentials in every form ArcGIS accepts (RFC 9111 §3.5: a shared cache keeps a credentialed
        // request's answer for others only when told so): both authorization headers and sign-in cookies.
        if (iequals(h.name, "authorization") || iequals(h.name, "x-esri-authorization")) {
            if (!config.allow_authorized) return RequestUse::bypass;
        } else if (iequals(h.name, "cookie")) {
            if (!config.allow_authorized && has_credential_cookie(h.value, config)) return RequestUse::bypass;
        } else if (iequals(h.name, "cache-control")) {
            bool no_store = false, no_cache = false;
            for_each_directive(h.value, [&](std::string_view name, std::string_view) {
                if (iequals(name, "no-store")) no_store = true;
                if (iequals(name, "no-cache")) no_cache = true;
            });
            if (no_store) return RequestUse::bypass;
            if (no_cache) use = RequestUse::reload;
        } else if (iequals(h.name, "pragma")) {
            if (token_list_has(h.value, "no-cache")) use = RequestUse::reload;
        }
    }
    return use;
}

ResponsePolicy response_policy(const http::ResponseHead& response, std::int64_t now) {
    ResponsePolicy policy;
    if (response.status != 200) return policy;
    std::int64_t max_age = -1, s_maxage = -1, expires = -1, date = -1, age = 0;
    bool expires_present = false, no_cache = false;
    for (const auto& h : response.headers) {
        if (iequals(h.name, "cache-control")) {
            bool refuse = false;
            for_each_directive(h.value, [&](std::string_view name, std::string_view arg) {
                if (iequals(name, "no-store") || iequals(name, "private")) refuse = true;
                else if (iequals(name, "no-cache")) no_cache = true;
                else if (iequals(name, "max-age")) max_age = delta_seconds(arg) < 0 ? 0 : delta_seconds(arg);
                else if (iequals(name, "s-maxage")) s_maxage = delta_seconds(arg) < 0 ? 0 : delta_seconds(arg);
            });
            if (refuse) return ResponsePolicy{};
        } else if (iequals(h.name, "set-cookie")) {
            return ResponsePolicy{};  // a per-user answer
        } else if (iequals(h.name, "vary")) {
            bool other = false;
            for_each_directive(h.value, [&](std::string_view name, std::string_view) {
                if (iequals(name, "accept-encoding")) policy.gzip_variant = true;
                else other = true;
            });
            if (other) return ResponsePolicy{};
        } else if (iequals(h.name, "etag")) {
            policy.etag = h.value;
        } else if (iequals(h.name, "last-modified")) {
            policy.last_modified = h.value;
        } else if (iequals(h.name, "expires")) {
            expires_present = true;
            expires = parse_http_date(h.value);
        } else if (iequals(h.name, "date")) {
            date = parse_http_date(h.value);
        } else if (iequals(h.name, "age")) {
            age = std::max<std::int64_t>(0, delta_seconds(h.value));
        } else if (iequals(h.name, "content-range")) {
            return ResponsePolicy{};  // partial content is never stored
        }
    }
    std::int64_t lifetime = -1;
    if (s_maxage >= 0) lifetime = s_maxage;
    else if (max_age >= 0) lifetime = max_age;
    else if (expires_present) lifetime = expires < 0 ? 0 : std::max<std::int64_t>(0, expires - (date >= 0 ? date : now));
    const bool validator = !policy.etag.empty() || !policy.last_modified.empty();
    if (lifetime < 0 && !validator) return ResponsePolicy{};  // nothing says it may be reused
    if (no_cache) lifetime = 0;                                 // keep, but ask the server every time
    policy.fresh_for = std::max<std::int64_t>(0, lifetime - age);
    policy.storable = policy.fresh_for > 0 || validator;
    return policy;
}

std::int64_t parse_http_date(std::string_view text) {
    // IMF-fixdate only: "Sun, 06 Nov 1994 08:49:37 GMT" (29 characters), what every current server sends.
    text = trim_ows(text);
    if (text.size() != 29 || text[3] != ',' || text.substr(26) != "GMT") return -1;
    static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
    auto number = [&](std::size_t at, std::size_t len, int& out) {
        const auto r = std::from_chars(text.data() + at, text.data() + at + len, out);
        return r.ec == std::errc() && r.ptr == text.data() + at + len;
    };
    std::tm tm{};
    int day = 0, year = 0, hour = 0, minute = 0, second = 0;
    const auto month = kMonths.find(text.substr(8, 3));
    if (month == std::string_view::npos || month % 3 != 0) return -1;
    if (!number(5, 2, day) || !number(12, 4, year) || !number(17, 2, hour) || !number(20, 2, minute) ||
        !number(23, 2, second))
        return -1;
    if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return -1;
    tm.tm_mday = day;
    tm.tm_mon = static_cast<int>(month / 3);
    tm.tm_year = year - 1900;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    return static_cast<std::int64_t>(timegm(&tm));
}

void format_http_date(std::int64_t unix_time, char (&out)[30]) {
    const std::time_t t = static_cast<std::time_t>(unix_time);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(out, sizeof out, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

bool not_modified(const http::RequestHead& request, std::string_view etag, std::string_view last_modified) {
    bool has_inm = false;
    for (const auto& h : request.headers) {
        if (!iequals(h.name, "if-none-match")) continue;
        has_inm = true;
        if (etag.empty()) continue;
        // Weak comparison (RFC 9110 §13.1.2): W/ prefixes are ignored.
        auto weakless = [](std::string_view t) { return t.size() > 2 && t[0] == 'W' && t[1] == '/' ? t.substr(2) : t; };
        std::string_view list = h.value;
        while (!list.empty()) {
            const auto comma = list.find(',');
            const std::string_view tag = trim_ows(list.substr(0, comma));
            if (tag == "*" || weakless(tag) == weakless(etag)) return true;
            if (comma == std::string_view::npos) break;
            list.remove_prefix(comma + 1);
        }
    }
    if (has_inm || last_modified.empty()) return false;  // If-None-Match wins over If-Modified-Since
    const std::int64_t modified = parse_http_date(last_modified);
    for (const auto& h : request.headers) {
        if (!iequals(h.name, "if-modified-since")) continue;
        const std::int64_t since = parse_http_date(h.value);
        return since >= 0 && modified >= 0 && modified <= since;
    }
    return false;
}

bool accepts_gzip(const http::RequestHead& request) {
    for (const auto& h : request.headers) {
        if (!iequals(h.name, "accept-encoding")) continue;
        bool yes = false;
        std::string_view list = h.value;
        while (!list.empty()) {
            const auto comma = list.find(',');
            const std::string_view item = trim_ows(list.substr(0, comma));
            list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
            // "gzip;q=0" refuses gzip; anything else naming gzip accepts it.
            const auto semi = item.find(';');
            if (!iequals(trim_ows(item.substr(0, semi)), "gzip")) continue;
            std::string_view params = semi == std::string_view::npos ? std::string_view{} : item.substr(semi + 1);
            std::string_view q = trim_ows(params);
            yes = !(q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000");
        }
        return yes;
    }
    return false;
}

}  // namespace gisgate::cache
