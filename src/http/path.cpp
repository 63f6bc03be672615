#include "http/path.hpp"

#include <cctype>
#include <cstring>

#include "http/header_rules.hpp"

namespace gisgate::http {

namespace {

using detail::uc;


// Byte classes for the fast path.
constexpr unsigned char kBad = 1, kEscape = 2, kMatchOnly = 4, kSlash = 8, kDot = 16;

struct PathTables {
    signed char hex[256] = {};
    bool unreserved[256] = {};  // RFC 3986 §2.3: ALPHA DIGIT - . _ ~
    unsigned char cls[256] = {};
    constexpr PathTables() {
        for (int c = 0; c < 256; ++c) {
            hex[c] = -1;
            unreserved[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '.' || c == '_' || c == '~';
            cls[c] = (c < 0x21 || c == 0x7F) ? kBad
                     : c == '%'              ? kEscape
                     : (c == ';' || c == '\\') ? kMatchOnly
                     : c == '/'              ? kSlash
                     : c == '.'              ? kDot
                                             : 0;
        }
        for (int c = '0'; c <= '9'; ++c) hex[c] = static_cast<signed char>(c - '0');
        for (int c = 'a'; c <= 'f'; ++c) hex[c] = static_cast<signed char>(c - 'a' + 10);
        for (int c = 'A'; c <= 'F'; ++c) hex[c] = static_cast<signed char>(c - 'A' + 10);
    }
};
constexpr PathTables kPath{};
constexpr char kUpperHex[] = "0123456789ABCDEF";

// Resolves "." and ".." segments (never above the root) and merges empty segments, in place. `s` starts with a
// separator. A trailing slash is kept, and a final "." or ".." leaves one (RFC 3986 §5.2.4: "/a/b/.." is
// "/a/"). In match mode '\' also separates segments and ";params" are cut from each segment, because the
// servers behind the proxy may read the path that way (IIS turns '\' into '/'; Tomcat, which ArcGIS Server
// runs on, drops path parameters and so resolves "/..;/" as "/../"). The match form is only compared, never
// forwarded, so reading more into it can only make deny rules match more, not less.
// Returns false when a ".." would climb above the root (it is then dropped, as RFC 3986 says).
// In match mode trailing dots of a segment are dropped too ("admin." is "admin" to Windows and IIS).
bool normalize_segments(std::string& s, bool match_mode) {
    char* const d = s.data();
    const std::size_t n = s.size();
    std::size_t r = 0, w = 0;
    bool trailing = false, within_root = true;
    auto is_sep = [match_mode](char c) { return c == '/' || (match_mode && c == '\\'); };
    while (r < n) {
        ++r;  // the separator at d[r]
        const std::size_t seg = r;
        while (r < n && !is_sep(d[r])) ++r;
        std::size_t len = r - seg;
        if (match_mode) {
            const void* semi = std::memchr(d + seg, ';', len);
            if (semi != nullptr) len = static_cast<std::size_t>(static_cast<const char*>(semi) - (d + seg));
            std::size_t dots = 0;
            while (dots < len && d[seg + dots] == '.') ++dots;
            if (dots < len)
                while (len > 0 && d[seg + len - 1] == '.') --len;
        }
        if (len == 0 || (len == 1 && d[seg] == '.')) {
            trailing = true;
            continue;
        }
        if (len == 2 && d[seg] == '.' && d[seg + 1] == '.') {
            if (w == 0) within_root = false;
            while (w > 0 && d[w - 1] != '/') --w;  // drop the last output segment...
            if (w > 0) --w;                        // ...and its slash
            trailing = true;
            continue;
        }
        d[w++] = '/';
        std::memmove(d + w, d + seg, len);  // w < seg: moving left
        w += len;
        trailing = false;
    }
    if (w == 0 || trailing) d[w++] = '/';
    s.resize(w);
    return within_root;
}

// The ambiguous spellings of PathError found on the raw path (encoded separators, raw '\', parameters on
// dot-segments). Escapes are assumed well-formed here; the main pass validates them. Double escapes are
// looked for in the forward form instead, where "%25%32%65" has become "%252e" too.
PathError find_ambiguous(std::string_view raw) {
    std::size_t i = 0;
    while (i < raw.size()) {
        ++i;  // the '/' that starts the segment
        std::size_t core = 0, core_dots = 0;  // the segment before any parameter (%2e decoded): length, dots
        bool param = false;
        for (; i < raw.size() && raw[i] != '/'; ++i) {
            char c = raw[i];
            if (c == '\\') return PathError::backslash;
            if (c == '%' && i + 2 < raw.size() && kPath.hex[uc(raw[i + 1])] >= 0 && kPath.hex[uc(raw[i + 2])] >= 0) {
                const int v = kPath.hex[uc(raw[i + 1])] * 16 + kPath.hex[uc(raw[i + 2])];
                if (v == '/' || v == '\\') return PathError::encoded_separator;
                c = static_cast<char>(v);
                i += 2;
            }
            if (c == ';') param = true;
            if (!param) {
                ++core;
                core_dots += c == '.';
            }
        }
        if (param && core == core_dots && (core == 1 || core == 2)) return PathError::dot_parameter;
    }
    return PathError::none;
}

// `to` = `from` with every percent-escape decoded and ASCII lower-cased. `from`'s escapes must be valid.
void lower_decoded(const std::string& from, std::string& to) {
    to.resize(from.size());
    char* m = to.data();
    for (const char *q = from.data(), *qe = q + from.size(); q < qe;) {
        if (*q == '%') {
            *m++ = detail::to_lower(static_cast<char>(kPath.hex[uc(q[1])] * 16 + kPath.hex[uc(q[2])]));
            q += 3;
        } else {
            *m++ = detail::to_lower(*q++);
        }
    }
    to.resize(static_cast<std::size_t>(m - to.data()));
}

}  // namespace

PathError normalize_path(std::string_view raw, NormalizedPath& out, bool keep_escapes) {
    out.forward.clear();
    out.match.clear();
    if (raw.empty() || raw[0] != '/') return PathError::not_absolute;

    // Fast path, the usual case: no escapes, no bad bytes and no segment that is empty or starts with a dot
    // ("//", "/.", "/..", "/.x"). Then the forward form is the raw path and, unless ';' or '\\' call for the
    // match-only rules, the match form is just its lower-case copy.
    {
        unsigned acc = 0;
        bool after_slash = false, after_dot = false, simple = true, dot_ends_segment = false;
        for (const char ch : raw) {
            const unsigned k = kPath.cls[uc(ch)];
            if ((k & (kBad | kEscape)) != 0 || (after_slash && (k & (kSlash | kDot)) != 0)) {
                simple = false;  // leave early: the general path starts over
                break;
            }
            acc |= k;
            dot_ends_segment |= after_dot && k == kSlash;
            after_slash = k == kSlash;
            after_dot = k == kDot;
        }
        dot_ends_segment |= after_dot;
        if (simple) {
            // Only a raw '\\' can be ambiguous here (no escapes, no segment that starts with a dot).
            if ((acc & kMatchOnly) != 0 && !keep_escapes && raw.find('\\') != std::string_view::npos)
                return PathError::backslash;
            out.forward.assign(raw);
            if ((acc & kMatchOnly) == 0 && !dot_ends_segment) {
                out.match.resize(raw.size());
                char* m = out.match.data();
                for (const char ch : raw) *m++ = detail::to_lower(ch);
                return PathError::none;
            }
            lower_decoded(out.forward, out.match);
            normalize_segments(out.match, true);
            return PathError::none;
        }
    }

    if (!keep_escapes) {
        const PathError ambiguous = find_ambiguous(raw);
        if (ambiguous != PathError::none) return ambiguous;
    }

    // Forward form: decode escapes of unreserved characters, upper-case the hex of the others, validate bytes.
    out.forward.resize(raw.size());  // decoding only shrinks
    char* w = out.forward.data();
    const char* p = raw.data();
    const char* const end = p + raw.size();
    while (p < end) {
        const unsigned char c = uc(*p);
        if (c == '%') {
            if (end - p < 3) { out.forward.clear(); return PathError::bad_escape; }
            const int hi = kPath.hex[uc(p[1])], lo = kPath.hex[uc(p[2])];
            if (hi < 0 || lo < 0) { out.forward.clear(); return PathError::bad_escape; }
            const int v = hi * 16 + lo;
            if (v == 0) { out.forward.clear(); return PathError::nul_byte; }
            if (kPath.unreserved[v]) {
                *w++ = static_cast<char>(v);
            } else {
                w[0] = '%';
                w[1] = kUpperHex[hi];
                w[2] = kUpperHex[lo];
                w += 3;
            }
            p += 3;
            continue;
        }
        if (c < 0x21 || c == 0x7F) { out.forward.clear(); return PathError::bad_character; }
        *w++ = static_cast<char>(c);
        ++p;
    }
    out.forward.resize(static_cast<std::size_t>(w - out.forward.data()));
    if (!keep_escapes) {
        // "%25" then two hex digits: a second decoding (some servers and frameworks do one) yields an escape.
        for (std::size_t at = out.forward.find("%25"); at != std::string::npos; at = out.forward.find("%25", at + 3))
            if (at + 4 < out.forward.size() && kPath.hex[uc(out.forward[at + 3])] >= 0 &&
                kPath.hex[uc(out.forward[at + 4])] >= 0) {
                out.forward.clear();
                return PathError::double_escape;
            }
    }
    if (!normalize_segments(out.forward, false)) {
        out.forward.clear();
        return PathError::above_root;
    }

    // Match form: every escape decoded (forward's escapes are all valid by now), lower-cased, normalised again.
    lower_decoded(out.forward, out.match);
    normalize_segments(out.match, true);
    return PathError::none;
}

const char* to_string(PathError error) {
    switch (error) {
        case PathError::none: return "none";
        case PathError::not_absolute: return "path is not absolute";
        case PathError::bad_escape: return "invalid percent-escape in path";
        case PathError::nul_byte: return "NUL byte in path";
        case PathError::bad_character: return "invalid character in path";
        case PathError::above_root: return "path climbs above the root ('..')";
        case PathError::encoded_separator: return "encoded '/' or '\\' (%2F, %5C) in path";
        case PathError::backslash: return "'\\' in path";
        case PathError::dot_parameter: return "path parameter on a '.' or '..' segment";
        case PathError::double_escape: return "double percent-encoding (%25xx) in path";
    }
    return "unknown path error";
}

bool has_prefix_icase(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (detail::to_lower(text[i]) != detail::to_lower(prefix[i])) return false;
    return true;
}

bool has_segment_prefix(std::string_view path, std::string_view prefix) {
    if (!has_prefix_icase(path, prefix)) return false;
    if (prefix.empty() || prefix.back() == '/') return true;  // "/" and "/arcgis/" are plain prefixes
    return path.size() == prefix.size() || path[prefix.size()] == '/';
}

std::string encode_path_segment(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

}  // namespace gisgate::http
