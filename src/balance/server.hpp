// Runtime state of one backend server, shared by all workers. Counters workers touch on every request sit on
// their own cache lines; everything else is written only by the control thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "net/asio.hpp"

namespace gisgate::balance {

enum class ServerState : std::uint8_t { up, down, drain, maint };
const char* to_string(ServerState state);

struct ServerRuntime {
    std::uint32_t id = 0;  // unique for the process lifetime; indexes per-worker tables (idle connections)
    std::string name;
    std::string pool_name;
    config::Endpoint address;
    std::vector<tcp::endpoint> endpoints;  // resolved once at load
    std::uint32_t weight = 1;
    bool backup = false;

    std::atomic<ServerState> state{ServerState::up};

    // Requests in flight on this server across all workers (throttle and least_conn read it).
    alignas(64) std::atomic<std::uint32_t> active{0};
    alignas(64) std::atomic<std::uint64_t> requests_total{0};

    // Takes traffic for new requests (health and admin state; capacity is checked separately).
    bool usable() const { return weight > 0 && state.load(std::memory_order_relaxed) == ServerState::up; }
};

}  // namespace gisgate::balance
