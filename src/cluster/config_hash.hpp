// The hash peers compare to warn when their configs differ (docs/cluster.md).
#pragma once

#include <string>

#include "config/config.hpp"

namespace gisgate::cluster {

// SHA-256 (first 16 hex digits) of the effective config as `gisgate check` prints it, without what differs
// per node by design: `admin` (bind address, token), `cluster` (node name, peers), the listeners' bind
// addresses (a node may bind its own address) and `workers` (`auto` is the machine's core count). Servers added or removed at runtime are part of it: peers converge on them too.
std::string config_hash(const config::Config& config);

}  // namespace gisgate::cluster
