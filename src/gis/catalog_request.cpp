#include "gis/catalog_request.hpp"

#include "util/ascii.hpp"

#include <algorithm>
#include <cctype>

namespace gisgate::gis {

namespace {
constexpr std::chrono::milliseconds kMinCatalogTimeout{std::chrono::seconds(5)};

using util::iequals;
}  // namespace

std::string site_context(std::string_view health_path) {
    const std::size_t query = health_path.find_first_of("?#");
    if (query != std::string_view::npos) health_path = health_path.substr(0, query);
    while (!health_path.empty() && health_path.front() == '/') health_path.remove_prefix(1);
    if (health_path.empty()) return "/arcgis";
    const std::string_view first = health_path.substr(0, health_path.find('/'));
    if (iequals(first, "rest")) return "";
    return "/" + std::string(first);
}

CatalogRequest catalog_request(const balance::ServerRuntime& server, const config::PoolConfig& pool,
                               bool with_descriptions) {
    CatalogRequest request;
    request.endpoints = server.endpoints;
    request.host = server.address.to_string();
    request.context = site_context(pool.health.path);
    request.with_descriptions = with_descriptions;
    request.timeout = std::max(std::chrono::milliseconds(pool.health.timeout), kMinCatalogTimeout);
    return request;
}

}  // namespace gisgate::gis
