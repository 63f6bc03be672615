// The wall-clock conversions the control plane's statistics share: slices and history intervals are keyed by
// UTC Unix seconds, alert events by milliseconds, and the API shows both as ISO-8601 UTC.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

namespace gisgate::proxy {

using WallClock = std::chrono::system_clock;

inline std::int64_t unix_seconds(WallClock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

inline std::int64_t unix_ms(WallClock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// A configured window or interval in whole seconds: the statistics have one-second slices, and a window of
// nothing would divide by zero.
inline std::int64_t whole_seconds(std::chrono::milliseconds d) {
    return std::max<std::int64_t>(1, d.count() / 1000);
}

// "2024-05-01T12:00:00.123Z"
std::string iso_time(std::int64_t unix_ms);

}  // namespace gisgate::proxy
