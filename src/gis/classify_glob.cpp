// Service globs ("Geocode/*", "*/World", "Utilities/PrintingTools", "*") and the "folder/service" key they are
// written against.
#include <cstddef>

#include "gis/classify.hpp"
#include "gis/classify_text.hpp"

namespace gisgate::gis {
namespace {

// Case-insensitive glob of one name part; '*' matches any run of characters (the names hold no '/', so a '/'
// left in the pattern simply never matches). Greedy with one backtrack point: linear for one star, at worst
// quadratic, and never recursive.
bool glob_part(std::string_view pattern, std::string_view text) {
    std::size_t p = 0, t = 0;
    std::size_t star = std::string_view::npos, star_t = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            star_t = t;
        } else if (p < pattern.size() && pattern[p] != '/' && ascii_lower(pattern[p]) == ascii_lower(text[t])) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++star_t;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

}  // namespace

std::string Classification::service_key() const {
    if (service.empty()) return {};  // a folder listing or no service at all: nothing a glob should match
    std::string key;
    if (!folder.empty()) {
        key.reserve(folder.size() + 1 + service.size());
        key.append(folder).push_back('/');
    }
    key.append(service);
    return key;
}

bool service_glob_match(std::string_view pattern, std::string_view folder, std::string_view service) {
    if (service.empty()) return false;
    const std::size_t slash = pattern.find('/');
    if (slash == std::string_view::npos) return folder.empty() && glob_part(pattern, service);
    return !folder.empty() && glob_part(pattern.substr(0, slash), folder) &&
           glob_part(pattern.substr(slash + 1), service);
}

}  // namespace gisgate::gis
