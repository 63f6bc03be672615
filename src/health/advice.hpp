// What `gisgate check` says about a pool's health settings: how fast failures are detected, and warnings
// about settings the vendor guides call risky.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace gisgate::health {

struct Advice {
    std::vector<std::string> lines;     // e.g. "pool gis: slow or failing server out after 2m0s..4m35s; ..."
    std::vector<std::string> warnings;  // e.g. "pool gis: health timeout 2s is below the recommended 5s"
};

Advice advise(const config::Config& config);

}  // namespace gisgate::health
