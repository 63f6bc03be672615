// Fault injection: how the site answers everything except /sim/* (healthcheck included), switched at run
// time with POST /sim/fault so tests can make a site slow, failing, hanging or connection-dropping.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

namespace gisgate::sim {

enum class FaultMode {
    ok,     // answer normally
    slow,   // wait delay, then answer normally
    error,  // HTTP 500 with an ArcGIS error body
    hang,   // read the request, never answer; keep the connection open
    close,  // close the connection without a response
};

const char* to_string(FaultMode m);
std::optional<FaultMode> parse_fault_mode(const std::string& s);

struct Fault {
    FaultMode mode = FaultMode::ok;
    std::chrono::milliseconds delay{1000};  // for slow
};

class FaultState {
public:
    Fault get() const {
        std::lock_guard lock(mutex_);
        return fault_;
    }
    void set(const Fault& f) {
        std::lock_guard lock(mutex_);
        fault_ = f;
    }

private:
    mutable std::mutex mutex_;
    Fault fault_;
};

}  // namespace gisgate::sim
