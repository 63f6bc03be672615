#include "balance/algorithm.hpp"

#include "balance/least_conn.hpp"
#include "balance/round_robin.hpp"

namespace gisgate::balance {

std::unique_ptr<Algorithm> make_algorithm(config::BalanceAlgorithm kind) {
    switch (kind) {
        case config::BalanceAlgorithm::least_conn: return std::make_unique<LeastConn>();
        case config::BalanceAlgorithm::round_robin: break;
    }
    return std::make_unique<RoundRobin>();
}

const char* to_string(AdminState state) {
    switch (state) {
        case AdminState::ready: return "ready";
        case AdminState::drain: return "drain";
        case AdminState::maint: return "maint";
    }
    return "?";
}

const char* to_string(ServerState state) {
    switch (state) {
        case ServerState::up: return "up";
        case ServerState::down: return "down";
        case ServerState::drain: return "drain";
        case ServerState::maint: return "maint";
    }
    return "?";
}

}  // namespace gisgate::balance
