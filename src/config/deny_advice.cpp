#include "config/deny_advice.hpp"

#include <fmt/format.h>

#include <cctype>

namespace gisgate::config {
namespace {

// ASCII case-insensitive "text starts with prefix", as the proxy compares paths.
bool starts_with_icase(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
            return false;
    return true;
}

// What the client sends for the upstream path `denied` through a route that rewrites `prefix` to `rewrite`,
// or "" when no client path of that route reaches it. Mirrors Session::build_forward_path: the part of the
// client path after `prefix` is appended to `rewrite`.
std::string client_prefix_for(const RouteConfig& route, std::string_view denied) {
    const std::string& rewrite = *route.rewrite;
    const std::string_view base = rewrite == "/" ? std::string_view{} : std::string_view{rewrite};
    if (starts_with_icase(denied, base) && (denied.size() == base.size() || denied[base.size()] == '/')) {
        std::string client = route.prefix == "/" ? std::string{} : route.prefix;
        client.append(denied.substr(base.size()));
        return client.empty() ? "/" : client;
    }
    // The rewrite itself lies inside the denied prefix (e.g. rewrite /arcgis/admin): the whole route is refused.
    if (starts_with_icase(rewrite, denied)) return route.prefix;
    return {};
}

}  // namespace

std::vector<std::string> deny_advice(const Config& config) {
    std::vector<std::string> lines;
    for (const ListenerConfig& listener : config.listeners) {
        if (listener.mode != ListenerMode::http || listener.deny_paths.empty()) continue;
        for (const std::string& denied : listener.deny_paths) {
            lines.push_back(fmt::format("listener {}: {} (as sent)", listener.name, denied));
            for (const RouteConfig& route : listener.routes) {
                if (!route.rewrite || route.prefix.empty()) continue;
                const std::string client = client_prefix_for(route, denied);
                if (client.empty()) continue;
                lines.push_back(fmt::format("listener {}: {} → {} (route {} rewrites to {})", listener.name, client,
                                            denied, route.prefix, *route.rewrite));
            }
        }
    }
    return lines;
}

std::vector<std::string> deny_warnings(const Config& config) {
    std::vector<std::string> warnings;
    for (const ListenerConfig& listener : config.listeners)
        if (listener.keep_path_escapes && !listener.deny_paths.empty())
            warnings.push_back(fmt::format(
                "listener {} ({}): 'path_escapes: keep' forwards %2F, %5C, '\\', \"..;\" and %25xx as sent, so "
                "deny_paths hold only if the servers read them as gisgate assumes (separators, parameters cut, one "
                "decoding); keep the default 'reject' unless a service needs them",
                listener.name, fmt::format("{}:{}", listener.loc.file, listener.loc.line)));
    return warnings;
}

}  // namespace gisgate::config
