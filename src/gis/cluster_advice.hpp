// `gisgate check` warnings about clusters: a pool that serves a subset of services (a `services` route
// points at it, or discovery may send services to it) with a single server is a single point of failure.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace gisgate::gis {

std::vector<std::string> cluster_warnings(const config::Config& config);

}  // namespace gisgate::gis
