// HTML text escaping for the pages gisgate writes (report, sim site pages) (header-only, no dependencies).
#pragma once

#include <string>
#include <string_view>

namespace gisgate::util {

// Escapes the five characters that matter in HTML text and attribute values (both quote kinds).
inline std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out.push_back(c);
        }
    }
    return out;
}

}  // namespace gisgate::util
