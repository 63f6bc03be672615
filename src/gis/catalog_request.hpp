// How the monitors address a pool's server for catalog reads: its resolved endpoints, its address as Host,
// and the site's context path taken from the pool's health check path.
#pragma once

#include <string>
#include <string_view>

#include "balance/server.hpp"
#include "config/config.hpp"
#include "gis/catalog.hpp"

namespace gisgate::gis {

// The first segment of the health path: "/arcgis/rest/info/healthcheck" → "/arcgis". A path that starts at
// "/rest" (a site published without a context) gives "", and an empty path the default "/arcgis".
std::string site_context(std::string_view health_path);

// A catalog read of `server`. The per-request timeout is the pool's health timeout, but at least a few
// seconds: a catalog (a description of a large service) is heavier than a health check.
CatalogRequest catalog_request(const balance::ServerRuntime& server, const config::PoolConfig& pool,
                               bool with_descriptions);

}  // namespace gisgate::gis
