// Config path normalisation; see paths.hpp.
#include "config/paths.hpp"

namespace gisgate::config {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string normalize_config_path(std::string_view text, PathKind kind, std::string& error) {
    error.clear();
    if (text.empty() || text.front() != '/') {
        error = "must start with '/'";
        return {};
    }
    for (char c : text) {
        // Requests are matched after percent-decoding, so an escape here could never match; '?' and '#' are not
        // part of a path; spaces and control characters would corrupt the forwarded request line.
        const auto u = static_cast<unsigned char>(c);
        if (u <= ' ' || u == 0x7f || c == '?' || c == '#' || c == '%') {
            error = "must be a plain decoded path (no spaces, control characters, '?', '#' or '%')";
            return {};
        }
    }

    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (pos < text.size()) {
        // Each iteration consumes one '/' plus the segment after it; empty segments ("//") are merged away.
        const std::size_t start = pos + 1;
        std::size_t end = text.find('/', start);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view segment = text.substr(start, end - start);
        if (segment == "." || segment == "..") {
            // Requests have dot-segments resolved before matching, so such a prefix would never match.
            error = "must not contain '.' or '..' segments";
            return {};
        }
        if (!segment.empty()) {
            out += '/';
            out += segment;
        }
        pos = end;
    }
    const bool trailing = text.size() > 1 && text.back() == '/';
    if (out.empty() || (kind == PathKind::deny && trailing)) out += '/';

    if (kind == PathKind::deny) {
        for (char& c : out) c = lower(c);
    }
    return out;
}

bool iequals_path(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

}  // namespace gisgate::config
