#include "sim/faults.hpp"

#include "sim/params.hpp"

namespace gisgate::sim {

const char* to_string(FaultMode m) {
    switch (m) {
        case FaultMode::ok: return "ok";
        case FaultMode::slow: return "slow";
        case FaultMode::error: return "error";
        case FaultMode::hang: return "hang";
        case FaultMode::close: return "close";
    }
    return "ok";
}

std::optional<FaultMode> parse_fault_mode(const std::string& s) {
    for (FaultMode m : {FaultMode::ok, FaultMode::slow, FaultMode::error, FaultMode::hang, FaultMode::close})
        if (iequals(s, to_string(m)))
            return m;
    return std::nullopt;
}

}  // namespace gisgate::sim
