// What a failed attempt says about its server, for passive outlier ejection (balance/outlier.hpp): a server that
// let the request time out is slow or hung; one that closed or reset the connection without an answer failed
// like a 502. A refused connect is not here: it takes the server out at once (ServerEvents::server_refused).
#pragma once

#include "balance/outlier.hpp"
#include "proxy/retry_policy.hpp"

namespace gisgate::proxy {

inline balance::LiveOutcome outcome_of_failure(Failure failure) {
    switch (failure) {
        case Failure::connect_timeout:
        case Failure::timed_out_without_answer: return balance::LiveOutcome::timeout;
        case Failure::connect_failed:
        case Failure::send_failed:
        case Failure::closed_without_answer: break;
    }
    return balance::LiveOutcome::error_5xx;
}

}  // namespace gisgate::proxy
