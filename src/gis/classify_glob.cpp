// Service globs ("Geocode/*", "*/World", "Utilities/PrintingTools", "*") and the "folder/service" key they are
// written against.
#include <cstddef>

#include "gis/classify.hpp"
#include "util/glob.hpp"

namespace gisgate::gis {

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
    // Folder and service names are single path segments (no '/'), so each part is matched on its own.
    if (slash == std::string_view::npos) return folder.empty() && util::iglob_match(pattern, service);
    return !folder.empty() && util::iglob_match(pattern.substr(0, slash), folder) &&
           util::iglob_match(pattern.substr(slash + 1), service);
}

}  // namespace gisgate::gis
