// Why a request must or should go to one server of its pool. Built by the code that knows the reason (the job
// and upload tables, the client's private connections, the sticky cookie); the selector (select.hpp) sees only this.
#pragma once

#include <cstdint>

#include "balance/server.hpp"

namespace gisgate::balance {

struct Affinity {
    enum class Kind : std::uint8_t {
        none,
        job,         // the server that received submitJob: no other server knows the job id
        upload,      // the server that stored an uploaded item the request names: no other one has the item
        connection,  // the client's private (NTLM/Negotiate) connection is to this server
        cookie,      // a sticky cookie names it: a preference only
    };
    Kind kind = Kind::none;
    ServerRuntime* server = nullptr;

    static Affinity to(Kind kind, ServerRuntime* server) { return {server ? kind : Kind::none, server}; }
    bool any() const { return server != nullptr; }
    // No other server can answer: when this one cannot take the request, the request fails.
    bool binding() const { return kind == Kind::job || kind == Kind::upload; }
    // Served by a draining server too (it finishes what only it can serve).
    bool pinned() const { return binding() || kind == Kind::connection; }
};

}  // namespace gisgate::balance
