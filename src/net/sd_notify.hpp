// systemd's readiness protocol (sd_notify(3)) without libsystemd: one datagram of newline-separated
// VAR=value assignments to the AF_UNIX socket named by $NOTIFY_SOCKET. The unit's Type=notify makes systemd
// wait for READY=1 before it counts gisgate as started (docs/packaging.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gisgate::net {

// Sends `state` (e.g. "READY=1\nSTATUS=...") to $NOTIFY_SOCKET: a path, or a name in the abstract namespace
// when it starts with '@'. True when the datagram was sent; false when NOTIFY_SOCKET is unset or empty (not
// started by systemd) or on any error, which is logged at debug level. Never throws.
bool sd_notify(std::string_view state) noexcept;

// "RELOADING=1\nMONOTONIC_USEC=<CLOCK_MONOTONIC now, in µs>": what systemd expects when a reload starts.
std::string sd_reloading_state();

}  // namespace gisgate::net
