// Signals from live traffic to the health logic. Workers call it from their own threads; the implementation
// (health::HealthMonitor) must be thread-safe and cheap.
#pragma once

#include <string_view>

#include "balance/server.hpp"

namespace gisgate::balance {

class ServerEvents {
public:
    virtual ~ServerEvents() = default;
    // A connection to `server` was refused or reset before any response: nothing is listening, so the server
    // is taken out at once (the vendor's high-availability load-balancing guide, health-check settings: dead is
    // not slow) and needs `rise` good checks to come back.
    virtual void server_refused(ServerRuntime& server, std::string_view reason) = 0;
    // Live traffic ejected `server` (balance/outlier.hpp: it is already out of service): the bookkeeping and the
    // log line, on the control thread. Default: nothing, for listeners that only care about refusals.
    virtual void server_ejected(ServerRuntime& /*server*/, OutlierReason /*reason*/) {}
};

}  // namespace gisgate::balance
