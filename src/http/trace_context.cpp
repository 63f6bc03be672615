#include "http/trace_context.hpp"

#include <sys/random.h>

#include <algorithm>
#include <chrono>

namespace gisgate::http {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

bool lower_hex(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool all_zero(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == '0'; });
}

int hex_value(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

void append_hex(std::uint64_t v, char* out) {
    for (int i = 15; i >= 0; --i, v >>= 4) out[i] = kHexDigits[v & 0xf];
}

}  // namespace

IdSource::IdSource() {
    std::uint64_t seed = 0;
    if (::getrandom(&seed, sizeof seed, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof seed))
        seed = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
               reinterpret_cast<std::uintptr_t>(this);  // entropy not ready yet (early boot): still unique
    state_ = seed;
}

std::uint64_t IdSource::next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

bool acceptable_request_id(std::string_view id) {
    return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
        return c > ' ' && c < 0x7f && c != '"' && c != '\\';
    });
}

void make_request_id(IdSource& ids, std::string& out) {
    std::uint64_t high = 0, low = 0;
    while ((high | low) == 0) {
        high = ids.next();
        low = ids.next();
    }
    out.resize(32);
    append_hex(high, out.data());
    append_hex(low, out.data() + 16);
}

std::optional<TraceParent> parse_traceparent(std::string_view v) {
    if (v.size() < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return std::nullopt;
    const std::string_view version = v.substr(0, 2), trace = v.substr(3, 32), parent = v.substr(36, 16),
                           flags = v.substr(53, 2);
    if (!lower_hex(version) || version == "ff" || !lower_hex(trace) || !lower_hex(parent) || !lower_hex(flags))
        return std::nullopt;
    if (all_zero(trace) || all_zero(parent)) return std::nullopt;
    if (version == "00" ? v.size() != 55 : (v.size() > 55 && v[55] != '-')) return std::nullopt;
    TraceParent tp;
    std::copy(trace.begin(), trace.end(), tp.trace_id.begin());
    std::copy(parent.begin(), parent.end(), tp.parent_id.begin());
    tp.flags = static_cast<std::uint8_t>(hex_value(flags[0]) * 16 + hex_value(flags[1]));
    return tp;
}

void make_traceparent(IdSource& ids, const std::optional<TraceParent>& incoming, std::string_view request_id,
                      std::string& out, bool request_id_made_here) {
    out.assign("00-");
    if (incoming) {
        out.append(incoming->trace_id.data(), incoming->trace_id.size());
    } else if (request_id.size() == 32 &&
               (request_id_made_here || (lower_hex(request_id) && !all_zero(request_id)))) {
        out.append(request_id);
    } else {
        char trace[32];
        append_hex(ids.next(), trace);
        append_hex(ids.next(), trace + 16);
        out.append(trace, sizeof trace);
    }
    out.push_back('-');
    char span[16];
    std::uint64_t id;
    do id = ids.next(); while (id == 0);
    append_hex(id, span);
    out.append(span, sizeof span);
    const std::uint8_t flags = incoming ? incoming->flags : 0;
    out.push_back('-');
    out.push_back(kHexDigits[flags >> 4]);
    out.push_back(kHexDigits[flags & 0xf]);
}

}  // namespace gisgate::http
