// The up/down state machine of one server, pure (no sockets, no clock) so every sequence can be unit-tested.
//
// The vendor's high-availability load-balancing guide (health-check settings) distinguishes a slow server from a
// dead one: a timeout or a bad answer may be a CPU spike on a busy GIS server, so it takes `fall` consecutive
// failures to go down; a refused or reset connection means nothing is listening, so the server goes down at once.
// Either way a down server needs `rise` consecutive good checks.
#pragma once

#include <cstdint>

#include "balance/server.hpp"

namespace gisgate::health {

enum class Outcome : std::uint8_t {
    success,  // expected status (and body text)
    failure,  // slow or wrong: timeout, bad status, missing body text, malformed response
    dead,     // connection refused / reset / unreachable: nothing is listening
};

enum class Change : std::uint8_t { none, went_down, went_up };

class HealthTracker {
public:
    HealthTracker(std::uint32_t fall, std::uint32_t rise) : fall_(fall), rise_(rise) {}

    // Counts `outcome` into `info` (consecutive counters, transitions) and updates `healthy`. Returns the
    // up/down change it caused, if any. Does not touch last_check/last_error/checks (the caller's details).
    Change record(Outcome outcome, bool& healthy, balance::HealthInfo& info) const;

private:
    std::uint32_t fall_;
    std::uint32_t rise_;
};

}  // namespace gisgate::health
